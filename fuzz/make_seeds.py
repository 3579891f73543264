#!/usr/bin/env python3
"""Writes the generated seed inputs of fuzz/corpus/<target>/ (seed-*): small
valid command streams, a register trace for rt::Device, and tiny safetensors
and GGUF files. YAML seeds are copies of models/*.yaml and configs/*.yaml.
Run from anywhere: python3 fuzz/make_seeds.py"""
import json, os, shutil, struct

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- fuzz_accel_model: 16-byte header (configuration `small`, window 0x10000000 + 16 MiB), commands
LOAD, STORE, GEMM, VEC, NOP, FENCE, IRQ = 1, 2, 3, 4, 5, 6, 7
QL, QG, QV, QS = 1, 2, 4, 8  # token bits: load, gemm, vec, store
BASE = 0x1000_0000


def header(err=0, seed=1):
    return bytes([3, 4, 0]) + struct.pack("<HHH", 1023, 255, 255) + bytes([63, err, 0x10, 15, 0]) + struct.pack("<H", seed)


def cmd(op, pop=0, push=0, func=0, *words):
    w = [op | pop << 8 | push << 12 | func << 16] + list(words)
    w += [0] * (16 - len(w))
    return struct.pack("<16I", *w)


def load(dram, stride, rows, rw, local, space, lstride, pop=0, push=0, op=LOAD):
    return cmd(op, pop, push, 0, dram, stride, rows | rw << 16, local | space << 24, lstride)


def gemm(a, w, acc, m, kt, nt, flags=0, pop=0, push=0):
    return cmd(GEMM, pop, push, flags, a, w, acc, m | kt << 16, 1, 4, nt, 4, 4)


def vec(func, src, sspace, dst, dspace, rows, n, sg, dg, pop=0, push=0):
    return cmd(VEC, pop, push, func, src | sspace << 24, 1, dst | dspace << 24, 1, 0, 0, rows | n << 16,
               sg | dg << 8 | 1 << 16)


gemm_fenced = (load(BASE, 16, 4, 1, 0, 0, 1) + load(BASE + 64, 16, 4, 1, 0, 1, 1) + gemm(0, 0, 0, 4, 1, 1) +
               cmd(FENCE) + load(BASE + 0x1000, 32, 4, 2, 0, 2, 2, op=STORE))
gemm_tokens = (load(BASE, 16, 4, 1, 0, 0, 1) + load(BASE + 64, 16, 4, 1, 0, 1, 1, push=QG) +
               gemm(0, 0, 0, 4, 1, 1, flags=1, pop=QL, push=QS) +
               load(BASE + 0x1000, 32, 4, 2, 0, 2, 2, pop=QG, op=STORE) + cmd(IRQ))
vec_stream = (load(BASE, 16, 4, 2, 0, 0, 2) + cmd(FENCE) + vec(23, 0, 2, 64, 0, 4, 5, 4, 8) +
              vec(20, 64, 0, 128, 0, 4, 5, 8, 8, push=QS) + load(BASE + 0x2000, 16, 4, 1, 128, 0, 1, pop=QV, op=STORE))
put("fuzz_accel_model", "seed-gemm-fence", header() + gemm_fenced)
put("fuzz_accel_model", "seed-gemm-tokens", header(seed=7) + gemm_tokens)
put("fuzz_accel_model", "seed-vec", header(seed=3) + vec_stream)
put("fuzz_accel_model", "seed-slverr", header(err=1) + gemm_fenced)

# --- fuzz_device: flags (ID ok, geometry ok), ring entries, then register values
regs = struct.pack("<6I", 1024, 256, 256, 64, 0, 0)  # HW_ASPAD/WSPAD/ACC/VEC_MAXLEN, RING_HEAD, ...
put("fuzz_device", "seed-valid", bytes([3, 6]) + regs + bytes(64))
put("fuzz_device", "seed-raw-geometry",
    bytes([1, 6]) + struct.pack("<7I", 4 | 5 << 8 | 16 << 16 | 4 << 24, 1024, 256, 256, 64, 0, 0) + bytes(32))
put("fuzz_device", "regression-bus-bytes-0", bytes([1, 6]) + struct.pack("<7I", 4 | 5 << 8, 1024, 256, 256, 64, 0, 0))

# --- fuzz_safetensors
def safetensors(tensors, meta=None):
    hdr, data = {}, b""
    for name, dtype, shape, raw in tensors:
        hdr[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if meta:
        hdr["__metadata__"] = meta
    h = json.dumps(hdr).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


put("fuzz_safetensors", "seed-three-dtypes", safetensors([
    ("a.weight", "F32", [2, 3], struct.pack("<6f", 1, -2, 3.5, 0, 1e-3, -7)),
    ("b", "F16", [4], struct.pack("<4H", 0x3C00, 0xC000, 0x7C00, 0x0001)),
    ("c", "BF16", [2, 2], struct.pack("<4H", 0x3F80, 0xBF80, 0x7FC0, 0x0000)),
    ("ids", "I64", [2], struct.pack("<2q", 1, -1))], {"format": "pt"}))
put("fuzz_safetensors", "seed-scalar-empty", safetensors([
    ("s", "F32", [], struct.pack("<f", 2.0)), ("e", "F16", [0, 3], b"")]))

# The same for safetensors: an empty F32 tensor.
put("fuzz_safetensors", "regression-empty-f32-memcpy-null", safetensors([("e", "F32", [0, 3], b"")]))

# --- fuzz_gguf (version 3)
def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(kvs, tensors, align=32):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for k, t, v in kvs:
        out += gstr(k) + struct.pack("<I", t) + v
    data, infos = b"", b""
    for name, gtype, ne, raw in tensors:
        data += b"\0" * (-len(data) % align)
        infos += gstr(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne) + struct.pack("<IQ", gtype, len(data))
        data += raw
    out += infos
    out += b"\0" * (-len(out) % align)
    return out + data


q8_0 = struct.pack("<H", 0x3C00) + bytes(range(32))               # 32 elements, scale 1.0
q4_1 = struct.pack("<HH", 0x3C00, 0xBC00) + bytes(range(16))       # 32 elements, d = 1, m = -1
put("fuzz_gguf", "seed-small", gguf([
    ("general.architecture", 8, gstr("llama")),
    ("general.alignment", 4, struct.pack("<I", 32)),
    ("llama.rope.freq_base", 6, struct.pack("<f", 10000.0)),
    ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 2) + gstr("a") + gstr("b")),
    ("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, 2) + struct.pack("<2i", 1, 3)),
    ("flag", 7, b"\1")],
    [("f32", 0, [3, 2], struct.pack("<6f", 1, 2, 3, 4, 5, 6)),
     ("f16", 1, [4], struct.pack("<4H", 0x3C00, 0, 0x7C00, 0x8001)),
     ("bf16", 30, [2], struct.pack("<2H", 0x3F80, 0x4000)),
     ("q8_0", 8, [32, 2], q8_0 * 2),
     ("q4_1", 3, [32], q4_1)]))

# An empty F32 tensor: dequantize() copied 0 bytes into an empty vector's null data()
# (UBSan: memcpy's nonnull argument).
put("fuzz_gguf", "regression-empty-f32-memcpy-null", gguf([], [("e", 0, [3, 0], b"")]))

# --- YAML: the real files
for src, target in (("models", "fuzz_model_desc"), ("configs", "fuzz_config")):
    for f in sorted(os.listdir(os.path.join(root, src))):
        if f.endswith(".yaml"):
            os.makedirs(os.path.join(corpus, target), exist_ok=True)
            shutil.copy(os.path.join(root, src, f), os.path.join(corpus, target, "seed-" + f))
