#!/usr/bin/env python3
"""Golden float embeddings of all-MiniLM-L6-v2 for the C++ accuracy test
(tests/models/test_minilm.cpp): the numpy float64 reference
(models/ref/run.py embed --eval --dump) over models/text/eval.txt, written to
<outdir>/tests/models/data/minilm_eval_float.txt ('# [i] sentence' lines,
then one row of 384 '%.9e' values per sentence, in eval.txt order).

  .venv/bin/python tests/models/gen_minilm_golden.py [outdir]   # default: the repository
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join("tests", "models", "data", "minilm_eval_float.txt")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else ROOT
    # One BLAS thread: the same summation order on every run, so the file is reproducible.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run([sys.executable, os.path.join(ROOT, "models", "ref", "run.py"), "embed", "--eval",
                    "--dump", os.path.join(outdir, OUT)], check=True, env=env, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
