"""Latency over time from the load scenario's samples: p50, p95 and p99 per 5 s bucket for each kind of request,
with the VUs on a second axis and the ends of the stages as dotted lines; one row per run, one column per kind.

  python scripts/chart.py OUT.png LABEL=DIR [LABEL=DIR ...]

Each DIR is a LOAD_OUT folder of scripts/load.sh: samples.csv (every request) and summary.json (the stages' start,
and the thresholds drawn as dashed lines). Run by scripts/report.ts with matplotlib from PyPI.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BUCKET_S = 5
KINDS = ["read", "order", "auth"]
PERCENTILES = [(50, "#4c78a8"), (95, "#f58518"), (99, "#e45756")]


def percentile(sorted_values: list[float], p: float) -> float:
    """k6's percentile: linear interpolation between the closest ranks (as load/locust/shop.py)."""
    i = p / 100 * (len(sorted_values) - 1)
    lo, hi = sorted_values[math.floor(i)], sorted_values[math.ceil(i)]
    return lo + (hi - lo) * (i - math.floor(i))


def load(folder: str):
    with open(os.path.join(folder, "summary.json")) as f:
        summary = json.load(f)
    buckets: dict[str, dict[int, list[float]]] = {k: {} for k in KINDS}
    vus: dict[int, int] = {}
    with open(os.path.join(folder, "samples.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    origin = summary.get("started_ms") or min((int(r["time_ms"]) for r in rows), default=0)
    for r in rows:
        b = (int(r["time_ms"]) - origin) // 1000 // BUCKET_S
        buckets.setdefault(r["kind"], {}).setdefault(b, []).append(float(r["duration_ms"]))
        vus[b] = max(vus.get(b, 0), int(r["vus"]))
    limits = {}
    for t in summary.get("thresholds", []):
        m = re.fullmatch(r"http_req_duration\{kind:(\w+)\}", t["metric"])
        c = re.fullmatch(r"p\(99\)<(\d+(?:\.\d+)?)", t["condition"])
        if m and c:
            limits[m.group(1)] = float(c.group(1))
    return summary, buckets, vus, limits


def main() -> None:
    if len(sys.argv) < 3 or any("=" not in a for a in sys.argv[2:]):
        sys.exit(__doc__)
    out, runs = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
    fig, axes = plt.subplots(len(runs), len(KINDS), figsize=(5 * len(KINDS), 3.6 * len(runs)), squeeze=False)
    for row, (label, folder) in enumerate(runs):
        summary, buckets, vus, limits = load(folder)
        for col, kind in enumerate(KINDS):
            ax = axes[row][col]
            series = sorted(buckets.get(kind, {}).items())
            xs = [b * BUCKET_S for b, _ in series]
            for p, color in PERCENTILES:
                ys = [percentile(sorted(values), p) for _, values in series]
                ax.plot(xs, ys, marker=".", color=color, label=f"p{p}")
            if kind in limits:
                ax.axhline(limits[kind], color="black", linestyle="--", linewidth=1, label=f"p99 < {limits[kind]:g} ms")
            if not series:
                ax.text(0.5, 0.5, "no requests", transform=ax.transAxes, ha="center", va="center", color="grey")
            else:
                ax.set_yscale("log")
            boundary = 0
            for stage in summary.get("stages", []):
                boundary += stage["duration_s"]
                ax.axvline(boundary, color="grey", linestyle=":", linewidth=1)
            ax.set_title(f"{label}: {kind} ({sum(len(v) for _, v in series)} requests)", fontsize=10)
            ax.set_xlabel(f"seconds since the stages started ({BUCKET_S} s buckets)")
            if col == 0:
                ax.set_ylabel("latency, ms (log)")
            ax.grid(True, which="both", alpha=0.25)
            vx = sorted(vus)
            twin = ax.twinx()
            twin.fill_between([b * BUCKET_S for b in vx], [vus[b] for b in vx], step="post", color="grey", alpha=0.15)
            twin.set_ylim(0, max(vus.values(), default=1) * 1.1)
            if col == len(KINDS) - 1:
                twin.set_ylabel("VUs (grey)")
            ax.set_zorder(twin.get_zorder() + 1)
            ax.patch.set_visible(False)
            if row == 0 and col == 0:
                ax.legend(fontsize=7, loc="best", framealpha=0.6)
            elif kind in limits:
                ax.legend(fontsize=7, loc="best", framealpha=0.6)
        axes[row][0].annotate(
            f"profile {summary['profile']}, {summary['started_at']}",
            xy=(0, 1.12),
            xycoords="axes fraction",
            fontsize=9,
        )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
