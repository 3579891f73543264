#!/usr/bin/env python3
"""make report's plotting (scripts/report.py plot) on records shaped as the benchmarks write
them (records.jsonl: two layer records from npu_sim_small --model, GEMM records), and its
error on a malformed record file."""
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORT = HERE.parent.parent / "scripts" / "report.py"


def run(*args):
    return subprocess.run([sys.executable, str(REPORT), *args], capture_output=True, text=True)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        r = run("plot", str(HERE / "records.jsonl"), "--out", str(out))
        assert r.returncode == 0, r.stderr
        page = (out / "report.html").read_text()
        for png in ("breakdown.png", "utilization.png", "roofline.png"):
            f = out / png
            assert f.is_file() and f.stat().st_size > 5000, f"{png} missing or empty"
            assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
            assert f"src='{png}'" in page, f"report.html does not show {png}"
        assert page.count("<tr>") == 1 + 8, "report.html: one table row per record"
        bad = Path(tmp) / "bad.jsonl"
        bad.write_text((HERE / "records.jsonl").read_text().splitlines()[0] + "\n{not json\n")
        r = run("plot", str(bad), "--out", str(Path(tmp) / "bad"))
        assert r.returncode == 1 and "bad.jsonl:2: not JSON" in r.stderr, (r.returncode, r.stderr)
        bad.write_text('{"kind": "gemm", "what": "x", "cycles": 5}\n')
        r = run("plot", str(bad), "--out", str(Path(tmp) / "bad"))
        assert r.returncode == 1 and "bad.jsonl:1: record without dtype" in r.stderr, r.stderr
    print("report: plots, page and errors as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
