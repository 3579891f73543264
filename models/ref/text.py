"""The fixed text sets in models/text/ (calibration.txt, eval.txt)."""
from __future__ import annotations

import os

TEXT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "text")


def _lines(name: str) -> list[str]:
    with open(os.path.join(TEXT_DIR, name), encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]


def load_calibration() -> list[str]:
    """The calibration sentences, in file order."""
    return _lines("calibration.txt")


def load_eval() -> tuple[list[str], list[tuple[int, int]]]:
    """(sentences, pairs): all evaluation sentences in file order (a pair line
    "A | B" gives A then B) and the index pairs of the paraphrase pairs."""
    sents, pairs = [], []
    for line in _lines("eval.txt"):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 2:
            pairs.append((len(sents), len(sents) + 1))
            sents.extend(parts)
        elif len(parts) == 1:
            sents.append(parts[0])
        else:
            raise ValueError(f"eval.txt: more than one '|' in: {line}")
    return sents, pairs
