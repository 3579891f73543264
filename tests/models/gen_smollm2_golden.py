#!/usr/bin/env python3
"""Golden float logits of SmolLM2-135M-Instruct for tests/models/test_smollm2.cpp.

Runs the numpy float64 reference through its command line,
    models/ref/run.py generate --prompt PROMPT --tokens 8 --no-stop --dump X.npy
and keeps, for each of the 8 greedy steps, the logits of the 128 tokens the
float model ranks highest (the full rows are 8 x 49152 numbers, ~6 MB of
text; the top of the distribution is what greedy decoding and top-1
agreement look at). Writes tests/models/data/smollm2_float_logits.txt:

    # comment lines
    prompt <ids>
    generated <ids>
    step <j> <k>           then k lines "<id> <logit>", float rank order

Usage: gen_smollm2_golden.py [OUTDIR]   (files go below OUTDIR, default the repository)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = "tests/models/data/smollm2_float_logits.txt"
PROMPT = "The capital of France is"
STEPS = 8
TOP = 128


def main() -> int:
    outdir = sys.argv[1] if len(sys.argv) > 1 else ROOT
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "logits.npy")
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")  # reproducible sums
        r = subprocess.run([sys.executable, os.path.join(ROOT, "models/ref/run.py"), "generate", "--prompt", PROMPT,
                            "--tokens", str(STEPS), "--no-stop", "--ids", "--dump", dump],
                           capture_output=True, text=True, env=env, check=True)
        rows = np.load(dump)
    ids = {}
    for line in r.stderr.splitlines():  # "prompt ids (5): [...]", "generated ids (8): [...]"
        for key in ("prompt", "generated"):
            if line.startswith(key + " ids"):
                ids[key] = [int(t) for t in line.split(":", 1)[1].strip(" []").split(",")]
    assert rows.shape == (STEPS, 49152) and len(ids["generated"]) == STEPS, (rows.shape, ids)
    assert all(int(np.argmax(rows[j])) == ids["generated"][j] for j in range(STEPS))
    path = os.path.join(outdir, OUT)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("# SmolLM2-135M-Instruct, numpy float64 reference over the dequantized GGUF weights\n")
        f.write(f"# models/ref/run.py generate --prompt {PROMPT!r} --tokens {STEPS} --no-stop --dump\n")
        f.write(f"# per greedy step: the float model's top {TOP} logits (id, logit), highest first\n")
        f.write("# written by tests/models/gen_smollm2_golden.py; do not edit\n")
        f.write("prompt " + " ".join(map(str, ids["prompt"])) + "\n")
        f.write("generated " + " ".join(map(str, ids["generated"])) + "\n")
        for j in range(STEPS):
            top = np.argsort(-rows[j], kind="stable")[:TOP]
            f.write(f"step {j} {TOP}\n")
            for t in top:
                f.write(f"{int(t)} {rows[j][t]:.6e}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
