"""Benchmark the generator: sellers x 36 months (sales and claims) generated and written to Parquet.

Usage::

    .venv/bin/python benchmarks/bench_generate.py             # 100k, 300k, 1M sellers (+ 1M partitioned)
    .venv/bin/python benchmarks/bench_generate.py --sizes 100000,1000000 --months 36

Each run is a fresh subprocess (``write_dataset`` into a temporary folder, deleted afterwards); its peak
memory is its peak resident set size, read with ``resource.getrusage(RUSAGE_CHILDREN)`` by a small measuring
process that starts only that one child. Throughput is seller-months per second (sellers x months, whether or
not a month has sales). Ratios are against the first (smallest) run of the same invocation, the reference:
time ratio vs size ratio shows how the cost grows. Results: printed, and saved to
``reports/benchmarks/generate.json``. Budget (issue 3): 1,000,000 sellers x 36 months in under 30 s and 4 GB
peak on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKER = """
import sys, time
from seller_insurance.data.synthetic import GeneratorParams, write_dataset, read_manifest
n, months, partitioned, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
t0 = time.perf_counter()
write_dataset(out, GeneratorParams(n_sellers=n, n_months=months), partitioned=partitioned)
elapsed = time.perf_counter() - t0
rows = read_manifest(out)["row_counts"]
print(elapsed, rows["monthly_sales"], rows["claims"])
"""


def measure(n: int, months: int, partitioned: bool) -> dict:
    """Run one worker in a child process; called inside a dedicated measuring process (see ``main``)."""
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        out = Path(tmp) / "data"
        t0 = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-c", WORKER, str(n), str(months), "1" if partitioned else "0", str(out)],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        if res.returncode:
            raise SystemExit(res.stderr)
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    inner, sales_rows, claim_rows = res.stdout.split()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    return {
        "sellers": n,
        "months": months,
        "partitioned": partitioned,
        "seconds": float(inner),
        "process_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": peak_kib / 1024,
        "monthly_sales_rows": int(sales_rows),
        "claims_rows": int(claim_rows),
        "bytes_on_disk": size,
        "seller_months_per_s": n * months / float(inner),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,300000,1000000", help="comma-separated seller counts")
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument(
        "--no-partitioned", action="store_true", help="skip the partitioned run at the largest size"
    )
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "reports" / "benchmarks"
    )
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:  # measuring process: one worker, report its peak RSS
        n, months, part = args.child
        print(json.dumps(measure(int(n), int(months), part == "1")))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    plan = [(n, False) for n in sizes] + ([] if args.no_partitioned else [(max(sizes), True)])
    results = []
    load = os.getloadavg()[0]
    for n, part in plan:
        res = subprocess.run(
            [sys.executable, __file__, "--child", str(n), str(args.months), "1" if part else "0"],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(res.stdout))
    ref = results[0]
    print(
        f"generator benchmark: sellers x {args.months} months, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {load:.1f} at start; reference = first run"
    )
    print(
        f"{'sellers':>10} {'layout':>11} {'seconds':>8} {'CPU s':>6} {'peak MB':>8} {'seller-months/s':>16} "
        f"{'sales rows':>11} {'claims':>8} {'MB disk':>8} {'size x':>7} {'time x':>7}"
    )
    for r in results:
        r["size_ratio"] = r["sellers"] / ref["sellers"]
        r["time_ratio"] = r["seconds"] / ref["seconds"]
        print(
            f"{r['sellers']:>10,} {'partitioned' if r['partitioned'] else 'files':>11} {r['seconds']:>8.2f} "
            f"{r['cpu_seconds']:>6.1f} {r['peak_rss_mb']:>8.0f} {r['seller_months_per_s']:>16,.0f} "
            f"{r['monthly_sales_rows']:>11,} "
            f"{r['claims_rows']:>8,} {r['bytes_on_disk'] / 1e6:>8.1f} {r['size_ratio']:>7.1f} "
            f"{r['time_ratio']:>7.2f}"
        )
    big = [r for r in results if r["sellers"] >= 1_000_000 and r["months"] >= 36]
    for r in big:
        ok = r["seconds"] < 30 and r["peak_rss_mb"] < 4096
        print(
            f"budget 1M x 36 ({'partitioned' if r['partitioned'] else 'files'}): "
            f"{r['seconds']:.1f} s < 30 s, "
            f"{r['peak_rss_mb']:.0f} MB < 4096 MB: {'OK' if ok else 'OVER'}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "generate.json").write_text(
        json.dumps({"cores": os.cpu_count(), "load_average": load, "runs": results}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
