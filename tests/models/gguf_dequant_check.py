#!/usr/bin/env python3
"""Independent check of sw/models/gguf (npu::models::GgufFile) against
llama.cpp's own GGUF reader, the PyPI `gguf` package (gguf-py).

models_gguf_dump prints what the C++ reader sees; this script compares, for
the given file: version, alignment, data offset, every metadata key with its
type and value, the whole tensor table (name, ggml type, ne, absolute offset,
byte size), and dequantized rows of a few tensors of each type present
(Q4_1, Q8_0, F32), bit for bit. Both sides compute x = q*d (+ m) in float32
from exactly converted fp16 scales, so the results must be identical.

Usage: gguf_dequant_check.py --dump build/.../models_gguf_dump --gguf model.gguf
"""
import argparse
import json
import subprocess
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType
from gguf.quants import dequantize

VALUE_TYPE = {
    GGUFValueType.UINT8: "U8", GGUFValueType.INT8: "I8", GGUFValueType.UINT16: "U16",
    GGUFValueType.INT16: "I16", GGUFValueType.UINT32: "U32", GGUFValueType.INT32: "I32",
    GGUFValueType.FLOAT32: "F32", GGUFValueType.BOOL: "BOOL", GGUFValueType.STRING: "STRING",
    GGUFValueType.ARRAY: "ARRAY", GGUFValueType.UINT64: "U64", GGUFValueType.INT64: "I64",
    GGUFValueType.FLOAT64: "F64",
}

# (tensor, first row, row count); rows run along ne[0].
ROWS = [
    ("blk.0.attn_q.weight", 0, 2),          # Q4_1
    ("blk.0.attn_k.weight", 0, 192),        # Q4_1, whole tensor
    ("blk.29.ffn_down.weight", 574, 2),     # Q4_1, last rows of the last layer, ne0 = 1536
    ("token_embd.weight", 0, 1),            # Q8_0
    ("token_embd.weight", 1000, 4),
    ("token_embd.weight", 49151, 1),        # last row
    ("blk.0.attn_norm.weight", 0, 1),       # F32
    ("output_norm.weight", 0, 1),
]


def plain(x):
    """numpy scalars / lists -> JSON-comparable Python values."""
    if isinstance(x, list):
        return [plain(e) for e in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x)
    return x


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", required=True, help="models_gguf_dump executable")
    ap.add_argument("--gguf", required=True, help="GGUF file to compare")
    args = ap.parse_args()

    ours = json.loads(subprocess.run([args.dump, args.gguf, "meta"], check=True,
                                     capture_output=True).stdout)
    ref = GGUFReader(args.gguf)
    errors = []

    def expect(what, got, want):
        if got != want:
            errors.append(f"{what}: C++ reader {got!r}, gguf-py {want!r}")

    expect("version", ours["version"], int(ref.fields["GGUF.version"].contents()))
    expect("alignment", ours["alignment"], ref.alignment)
    expect("data_offset", ours["data_offset"], ref.data_offset)

    ref_kv = {k: f for k, f in ref.fields.items() if not k.startswith("GGUF.")}
    expect("metadata keys (in file order)", list(ours["kv"]), list(ref_kv))
    for key, field in ref_kv.items():
        mine = ours["kv"].get(key)
        if mine is None:
            continue
        expect(f"key {key} type", mine["type"], VALUE_TYPE[field.types[0]])
        if field.types[0] == GGUFValueType.ARRAY:
            expect(f"key {key} element type", mine["array_type"], VALUE_TYPE[field.types[-1]])
        expect(f"key {key} value", mine["value"], plain(field.contents()))

    expect("tensor count", len(ours["tensors"]), len(ref.tensors))
    for mine, t in zip(ours["tensors"], ref.tensors):
        expect(f"tensor {t.name}", (mine["name"], mine["type"], mine["ne"], mine["offset"],
                                    mine["size"]),
               (t.name, t.tensor_type.name, [int(d) for d in t.shape], int(t.data_offset),
                int(t.n_bytes)))
        expect(f"tensor {t.name} shape", mine["shape"], [int(d) for d in reversed(t.shape)])

    by_name = {t.name: t for t in ref.tensors}
    compared = 0
    for name, first, count in ROWS:
        t = by_name[name]
        ne0 = int(t.shape[0])
        rows = int(t.n_elements) // ne0
        # Slice the raw rows first: dequantizing all of token_embd would take seconds.
        blocks = t.data.reshape(rows, -1)[first:first + count]
        want = dequantize(blocks, t.tensor_type).reshape(count, ne0)
        want = np.ascontiguousarray(want, dtype=np.float32)
        raw = subprocess.run([args.dump, args.gguf, "rows", name, str(first), str(count)],
                             check=True, capture_output=True).stdout
        got = np.frombuffer(raw, dtype="<f4").reshape(count, ne0)
        diff = np.flatnonzero(got.view(np.uint32) != want.view(np.uint32))
        if diff.size:
            i = int(diff[0])
            errors.append(f"{name} rows [{first}, {first + count}) ({t.tensor_type.name}): "
                          f"{diff.size} of {got.size} values differ, first at {i}: "
                          f"C++ {got.flat[i]!r}, gguf-py {want.flat[i]!r}")
        compared += got.size
        print(f"{name:28s} {t.tensor_type.name:5s} rows [{first}, {first + count}) "
              f"x {ne0}: {'bit-exact' if not diff.size else 'MISMATCH'}")

    print(f"{len(ref_kv)} keys, {len(ref.tensors)} tensors, {compared} dequantized values "
          f"compared with gguf {getattr(sys.modules['gguf'], '__version__', '')}".rstrip())
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
