#!/usr/bin/env python3
"""make report: the benchmarks' counters as plots.

  scripts/report.py run  [--build BUILD] [--out DIR]   runs the benchmark cases below on
                                                       the `base` RTL (bench_top_bin), then plots
  scripts/report.py plot RECORDS.jsonl [--out DIR]     plots records written earlier

bench_top_bin (and npu_sim --model) append one JSON line per case to $NPU_BENCH_JSON:
kind (gemm, encoder, decode), what, dtype, cycles, macs, peak_macs_per_cycle,
dma_rd_bytes, dma_wr_bytes, bus_bytes, and for layers the work per op (GEMM cycles at
one tile row per cycle, VEC cycles at the engine's lanes, DMA bytes). Written into DIR
(default BUILD/report): breakdown.png (per op of each layer: GEMM, VEC and DMA cycles),
utilization.png (MAC utilization of the GEMMs against their size), roofline.png (MACs per
cycle against MACs per DRAM byte, under the MAC peaks and the bus bandwidth, with every
GEMM, layer and decode step as a point), report.html (the three and a table) and the
records themselves. `make regress` embeds report.html's plots in its summary when it exists.
"""
import argparse
import html
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# bench_top_bin arguments of `report.py run` (about two minutes on `base` once it is built)
CASES = ([["--gemm", str(n), str(n), str(n), t] for t in ("int8", "bf16") for n in (32, 64, 128, 256)]
         + [["--layer", "minilm-l6", "32"], ["--layer-int8", "minilm-l6", "32"], ["--decode", "128"]])

REQUIRED = ("kind", "what", "dtype", "cycles", "macs", "peak_macs_per_cycle", "dma_rd_bytes", "dma_wr_bytes",
            "bus_bytes")


class ReportError(Exception):
    pass


def load(path):
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                raise ReportError(f"{path}:{n}: not JSON: {e}")
            if not isinstance(r, dict):
                raise ReportError(f"{path}:{n}: a record is a JSON object")
            missing = [k for k in REQUIRED if k not in r]
            if missing:
                raise ReportError(f"{path}:{n}: record without {', '.join(missing)}")
            if r["cycles"] <= 0 or r["peak_macs_per_cycle"] <= 0 or r["bus_bytes"] <= 0:
                raise ReportError(f"{path}:{n}: cycles, peak_macs_per_cycle and bus_bytes must be positive")
            recs.append(r)
    if not recs:
        raise ReportError(f"{path}: no records")
    return recs


def utilization(r):
    return 100.0 * r["macs"] / (r["cycles"] * r["peak_macs_per_cycle"])


def intensity(r):
    return r["macs"] / max(1, r["dma_rd_bytes"] + r["dma_wr_bytes"])


def plot(recs, out: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = []

    layers = [r for r in recs if r.get("ops")]
    if layers:
        fig, axes = plt.subplots(len(layers), 1, figsize=(10, 1.0 + 0.32 * sum(len(r["ops"]) for r in layers)
                                                          + 0.6 * len(layers)), squeeze=False)
        for ax, r in zip(axes[:, 0], layers):
            ops = r["ops"]
            names = [o["op"] for o in ops][::-1]
            g = [o["gemm_cycles"] for o in ops][::-1]
            v = [o["vec_cycles"] for o in ops][::-1]
            d = [o["dma_bytes"] / r["bus_bytes"] for o in ops][::-1]
            y = range(len(ops))
            ax.barh([i + 0.27 for i in y], g, height=0.27, label="GEMM (tile rows)", color="#4878d0")
            ax.barh(list(y), v, height=0.27, label="VEC", color="#ee854a")
            ax.barh([i - 0.27 for i in y], d, height=0.27, label="DMA (bus words)", color="#6acc64")
            ax.set_yticks(list(y))
            ax.set_yticklabels(names, fontsize=7)
            ax.set_title(f"{r['what']}: {r['cycles']:,} cycles measured", fontsize=9)
            ax.set_xlabel("cycles of work (not measured time)", fontsize=8)
            ax.tick_params(axis="x", labelsize=7)
        axes[0, 0].legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        fig.savefig(out / "breakdown.png", dpi=110)
        plt.close(fig)
        files.append("breakdown.png")

    gemms = [r for r in recs if r["kind"] == "gemm"]
    if gemms:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for dt in sorted({r["dtype"] for r in gemms}):
            pts = sorted(((r["macs"] ** (1 / 3), utilization(r)) for r in gemms if r["dtype"] == dt))
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=dt.upper())
        ax.set_xscale("log", base=2)
        ax.set_xlabel("GEMM size (cube root of M·K·N)")
        ax.set_ylabel("MAC utilization, % of the peak")
        ax.set_ylim(0, 105)
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.set_title("Tiled GEMMs DRAM to DRAM")
        fig.tight_layout()
        fig.savefig(out / "utilization.png", dpi=110)
        plt.close(fig)
        files.append("utilization.png")

    fig, ax = plt.subplots(figsize=(7.5, 5))
    xs = [intensity(r) for r in recs]
    lo, hi = min(xs) / 4, max(xs) * 4
    bus = max(r["bus_bytes"] for r in recs)
    for peak in sorted({r["peak_macs_per_cycle"] for r in recs}):
        knee = peak / bus
        ax.plot([lo, knee, hi], [lo * bus, peak, peak], color="#888", lw=1)
        ax.annotate(f"peak {peak} MACs/cycle", (hi, peak), fontsize=7, ha="right", va="bottom")
    marker = {"gemm": "o", "encoder": "s", "decode": "^"}
    for kind in ("gemm", "encoder", "decode"):
        rs = [r for r in recs if r["kind"] == kind]
        if rs:
            ax.scatter([intensity(r) for r in rs], [r["macs"] / r["cycles"] for r in rs], marker=marker[kind],
                       label=kind, zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity, MACs per DRAM byte")
    ax.set_ylabel("MACs per cycle")
    ax.set_title(f"Roofline: MAC peaks and {bus} bytes/cycle of bus")
    ax.grid(True, which="both", alpha=0.2)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "roofline.png", dpi=110)
    plt.close(fig)
    files.append("roofline.png")

    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r['what'])}</td><td>{r['cycles']:,}</td><td>{r['macs']:,}</td>"
        f"<td>{utilization(r):.1f}</td><td>{r['macs'] / r['cycles']:.1f}</td><td>{intensity(r):.2f}</td></tr>"
        for r in recs)
    (out / "report.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>npu report</title></head><body>"
        "<h1>Benchmark report (<code>make report</code>)</h1>"
        + "".join(f"<p><img src='{f}' alt='{f}'></p>" for f in files)
        + "<table border='1' cellpadding='3'><tr><th>case</th><th>cycles</th><th>MACs</th>"
          "<th>utilization %</th><th>MACs/cycle</th><th>MACs/DRAM byte</th></tr>" + rows + "</table></body></html>")
    return files


def main(argv=None):
    ap = argparse.ArgumentParser(description="Benchmark counters as plots (make report).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the benchmark cases on base, then plot")
    r.add_argument("--build", default=str(ROOT / "build"))
    r.add_argument("--out", default=None)
    p = sub.add_parser("plot", help="plot records written earlier")
    p.add_argument("records")
    p.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    try:
        if a.cmd == "run":
            out = Path(a.out or Path(a.build) / "report")
            out.mkdir(parents=True, exist_ok=True)
            records = out / "records.jsonl"
            records.unlink(missing_ok=True)
            binary = Path(a.build) / "tb/top/bench_top_bin"
            if not binary.is_file():
                raise ReportError(f"{binary} is not built (make report builds it)")
            env = dict(os.environ, NPU_BENCH_JSON=str(records))
            for c in CASES:
                print("report: bench_top_bin " + " ".join(c), flush=True)
                if subprocess.run([str(binary)] + c, env=env).returncode != 0:
                    raise ReportError("bench_top_bin " + " ".join(c) + " failed")
        else:
            records = Path(a.records)
            out = Path(a.out or records.parent)
        files = plot(load(records), out)
    except (ReportError, OSError) as e:
        print(f"report: {e}", file=sys.stderr)
        return 1
    print(f"report: {', '.join(files)} and report.html in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
