"""Independent oracle: the reference model's BF16 conversions against
ml_dtypes' bfloat16 (numpy). Our contract differs from IEEE in two stated
ways only: subnormal inputs are zero (DAZ) and every NaN is the canonical one;
everything else must agree bit for bit.
Usage: test_bf16_ml_dtypes.py <bf16_dump binary> [count] [seed]"""
import os
import subprocess
import sys
import tempfile

import ml_dtypes
import numpy as np

FP32_NAN = 0x7FC00000
BF16_NAN = 0x7FC0


def compare(name: str, inputs, want, model, in_digits: int, out_digits: int) -> int:
    """Prints the verdict; returns 1 on any mismatch (first one reported)."""
    bad = np.nonzero(want != model)[0]
    if len(bad) == 0:
        print(f"{name}: {len(inputs)} patterns agree with ml_dtypes")
        return 0
    i = bad[0]
    print(f"FAIL {name}: {len(bad)} mismatches; first input 0x{int(inputs[i]):0{in_digits}x}: "
          f"ml_dtypes 0x{int(want[i]):0{out_digits}x} model 0x{int(model[i]):0{out_digits}x}")
    return 1


def main() -> int:
    dump = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    seed = int(os.environ.get("NPU_SEED", sys.argv[3] if len(sys.argv) > 3 else "1"))
    print(f"seed {seed} (replay: NPU_SEED={seed}), {count} random FP32 patterns")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([dump, tmp, str(count), str(seed)], check=True)
        widen = np.fromfile(os.path.join(tmp, "widen.bin"), dtype=np.uint32)
        narrow = np.fromfile(os.path.join(tmp, "narrow.bin"),
                             dtype=np.dtype([("f", "<u4"), ("b", "<u2")]))
    failures = 0

    # BF16 -> FP32, all 65,536 patterns.
    bf = np.arange(0x10000, dtype=np.uint32).astype(np.uint16)
    want = bf.view(ml_dtypes.bfloat16).astype(np.float32).view(np.uint32).copy()
    exp = (bf >> 7) & 0xFF
    frac = bf & 0x7F
    want[exp == 0] = (bf[exp == 0].astype(np.uint32) & 0x8000) << 16  # DAZ
    want[(exp == 0xFF) & (frac != 0)] = FP32_NAN
    failures += compare("bf16_to_fp32", bf, want, widen, 4, 8)

    # FP32 -> BF16 (round to nearest even).
    f = narrow["f"]
    model = narrow["b"]
    with np.errstate(invalid="ignore"):  # NaN inputs: replaced below anyway
        want16 = f.view(np.float32).astype(ml_dtypes.bfloat16).view(np.uint16).copy()
    fexp = (f >> 23) & 0xFF
    ffrac = f & 0x7FFFFF
    want16[fexp == 0] = ((f[fexp == 0] >> 16) & 0x8000).astype(np.uint16)  # DAZ
    want16[(fexp == 0xFF) & (ffrac != 0)] = BF16_NAN
    failures += compare("fp32_to_bf16", f, want16, model, 8, 4)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
