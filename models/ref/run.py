#!/usr/bin/env python3
"""Float reference of the real models (numpy, from the published math).

  .venv/bin/python models/ref/run.py embed --text "A man is eating food." --text "..."
  .venv/bin/python models/ref/run.py embed --eval --dump build/ref/minilm_eval.npy
  .venv/bin/python models/ref/run.py generate --prompt "The capital of France is" --tokens 8
  .venv/bin/python models/ref/run.py generate --chat --prompt "What is the capital of France?" \
      --tokens 16 --dump build/ref/smollm2_logits.npy

--dtype float64 (default) or float32.  --dump PATH writes the embeddings
(n, 384) or the logits that chose each generated token (n, 49152): NumPy .npy
when PATH ends in .npy, otherwise plain text, one row per line ("%.9e"),
preceded by '#' comment lines naming the texts / token ids.
See docs/models.md, "Float reference".
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import numpy as np  # noqa: E402


def _dump(path: str, arr: np.ndarray, comments: list[str]) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    if path.endswith(".npy"):
        np.save(path, arr)
    else:
        with open(path, "w", encoding="utf-8") as f:
            for c in comments:
                f.write("# " + c.replace("\n", "\\n") + "\n")
            np.savetxt(f, arr, fmt="%.9e")
    print(f"wrote {arr.shape[0]}x{arr.shape[1]} {arr.dtype} to {path}", file=sys.stderr)


def cmd_embed(a) -> int:
    from models.ref.minilm import MiniLM, cosine_matrix
    from models.ref import text

    texts = list(a.text or [])
    if a.file:
        with open(a.file, encoding="utf-8") as f:
            texts += [l.strip() for l in f if l.strip() and not l.startswith("#")]
    if a.eval:
        texts += text.load_eval()[0]
    if a.calibration:
        texts += text.load_calibration()
    if not texts:
        print("embed: give --text, --file, --eval or --calibration", file=sys.stderr)
        return 2
    t0 = time.time()
    m = MiniLM(np.dtype(a.dtype))
    t1 = time.time()
    e = m.embed(texts)
    t2 = time.time()
    for i, (s, v) in enumerate(zip(texts, e)):
        head = " ".join(f"{x:+.5f}" for x in v[:a.show])
        print(f"[{i}] {s}\n    norm {np.linalg.norm(v):.6f}  e[:{a.show}] = {head}")
    if len(texts) > 1:
        C = cosine_matrix(e)
        print("cosine:")
        w = max(len(str(len(texts) - 1)), 2)
        print(" " * (w + 1) + " ".join(f"{j:>7d}" for j in range(len(texts))))
        for i in range(len(texts)):
            print(f"{i:>{w}d} " + " ".join(f"{C[i, j]:7.4f}" for j in range(len(texts))))
    print(f"minilm {a.dtype}: load {t1 - t0:.2f} s, {len(texts)} embeddings {t2 - t1:.2f} s",
          file=sys.stderr)
    if a.dump:
        _dump(a.dump, e, [f"[{i}] {s}" for i, s in enumerate(texts)])
    return 0


def cmd_generate(a) -> int:
    from models.ref.smollm2 import SmolLM2, chat_prompt

    t0 = time.time()
    m = SmolLM2(np.dtype(a.dtype))
    t1 = time.time()
    prompt = chat_prompt(a.prompt, a.system) if a.chat else a.prompt
    ids = m.encode(prompt)
    if a.ids:
        print(f"prompt ids ({len(ids)}): {ids}", file=sys.stderr)
    sys.stdout.write(prompt if a.echo else "")
    sys.stdout.flush()
    prev = ""
    out: list[int] = []

    def on_token(t: int) -> None:
        nonlocal prev
        out.append(t)
        text = m.decode(out)           # decode the whole tail: multi-byte tokens
        sys.stdout.write(text[len(prev):])
        sys.stdout.flush()
        prev = text

    toks, rows = m.generate(ids, a.tokens, stop_at_eos=not a.no_stop, on_token=on_token)
    t2 = time.time()
    print()
    if a.ids:
        print(f"generated ids ({len(toks)}): {toks}", file=sys.stderr)
    print(f"smollm2 {a.dtype}: load {t1 - t0:.2f} s, prompt {len(ids)} tokens + "
          f"{len(toks)} generated in {t2 - t1:.2f} s", file=sys.stderr)
    if a.dump:
        _dump(a.dump, np.stack(rows), [f"prompt ids {ids}", f"generated ids {toks}"])
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("embed", help="all-MiniLM-L6-v2 sentence embeddings and cosines")
    e.add_argument("--text", action="append", help="a sentence (repeatable)")
    e.add_argument("--file", help="sentences, one per line ('#' lines skipped)")
    e.add_argument("--eval", action="store_true", help="add the models/text/eval.txt sentences")
    e.add_argument("--calibration", action="store_true", help="add models/text/calibration.txt")
    e.add_argument("--show", type=int, default=6, help="leading components to print")
    g = sub.add_parser("generate", help="SmolLM2-135M-Instruct greedy generation")
    g.add_argument("--prompt", required=True)
    g.add_argument("--tokens", type=int, default=16)
    g.add_argument("--chat", action="store_true", help="wrap the prompt in the chat template")
    g.add_argument("--system", default=None, help="system message with --chat (default: the template's)")
    g.add_argument("--echo", action="store_true", help="print the prompt before the continuation")
    g.add_argument("--ids", action="store_true", help="print prompt and generated token ids")
    g.add_argument("--no-stop", action="store_true", help="do not stop at <|im_end|>")
    for s in (e, g):
        s.add_argument("--dtype", choices=["float64", "float32"], default="float64")
        s.add_argument("--dump", help="write embeddings / logits to PATH (.npy or text)")
    a = p.parse_args(argv)
    return cmd_embed(a) if a.cmd == "embed" else cmd_generate(a)


if __name__ == "__main__":
    sys.exit(main())
