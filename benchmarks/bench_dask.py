"""Benchmark of the Dask path (issue 10): 1M, 2M and 5M sellers x 36 months on a LocalCluster of this machine.

Run: ``.venv/bin/python benchmarks/bench_dask.py`` (generates 5,000,000 sellers x 36 months, ~100M sales rows, as a
partitioned dataset under /tmp, evaluates 1M / 2M / 5M sellers and deletes the data) or ``--quick`` (200k sellers,
sizes 100k / 200k, for a smoke run). ``--keep`` keeps the data; ``--data-dir`` chooses where it goes.

Steps:

1. ``generate.write_dataset(..., partitioned=True)`` for the largest size (seed 20261127, 36 months from 2019-10,
   ``chunk_size`` 100,000 sellers = one part file of monthly_sales and of claims per 100,000 sellers). Timed; its
   peak memory is this process's ``ru_maxrss`` after it (the generator holds at most workers + 2 chunks).
2. The smaller sizes are the first 10 / 20 part files of that dataset (folders of symbolic links plus the manifest,
   so ``read_sales`` trusts the one-partition-per-file layout and does not shuffle).
3. Reference, in a forked child process of this run: plain pandas on the smallest size (``schema.read_parquet`` of
   the folder, ``rules.compare_rules``), its time and peak RSS (VmHWM). Ratios below are against it.
4. Per size, a fresh ``LocalCluster`` (``client_for("local")``: 2 worker processes x 1 thread, ``memory_limit``
   per worker, default 4 GiB) and, timed one after the other:
   ``compare_rules_dask`` (old 3-month vs new 1-month rule, start 2021-09; the full per-seller table collected
   on the client, as ``evaluate`` would write it), ``required_over_time_dask`` on ``compare_rules_lazy`` by
   marketplace (nothing per seller leaves the workers), ``claim_shares_dask`` by filed quarter.
   Worker memory: every worker's peak RSS (``VmHWM`` of the worker process, read with ``client.run`` at the end;
   fresh processes per size, so it is that size's peak) and the largest RSS sampled every 0.5 s with
   ``client.run(psutil...)``; worker restarts are counted (a restart would mean the limit was hit).

Results: printed table and ``reports/benchmarks/dask.json``. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import threading
import time
from pathlib import Path

import psutil

from seller_insurance import schema
from seller_insurance.analysis import distributed as sd
from seller_insurance.analysis import rules
from seller_insurance.data.synthetic import GeneratorParams, write_dataset
from seller_insurance.paths import REPORTS_DIR
from seller_insurance.policy import NEW_RULE_START

MB = 1024 * 1024
SEED = 20261127
START_MONTH = "2019-10"
N_MONTHS = 36


def _hwm_mb() -> float:
    """Peak resident memory of the calling process (VmHWM), MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / MB


def generate(root: Path, n_sellers: int, chunk: int) -> dict:
    params = GeneratorParams(
        n_sellers=n_sellers, n_months=N_MONTHS, start_month=START_MONTH, chunk_size=chunk, seed=SEED
    )
    t0 = time.perf_counter()
    write_dataset(root, params, partitioned=True, progress=True)
    seconds = time.perf_counter() - t0
    manifest = json.loads((root / "manifest.json").read_text())
    size = sum(f.stat().st_size for f in root.rglob("*.parquet"))
    return {
        "sellers": n_sellers,
        "seconds": round(seconds, 1),
        "rows": manifest["row_counts"],
        "bytes_on_disk": size,
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def subset(root: Path, n_parts: int, dest: Path) -> Path:
    """A dataset folder holding the first ``n_parts`` part files of ``root`` (symbolic links) and its manifest."""
    if dest.exists():
        shutil.rmtree(dest)
    for table in ("monthly_sales", "claims"):
        (dest / table).mkdir(parents=True)
        for f in sorted((root / table).glob("*.parquet"))[:n_parts]:
            (dest / table / f.name).symlink_to(f)
    shutil.copy(root / "manifest.json", dest / "manifest.json")
    return dest


def _reference(path: str, queue) -> None:
    t0 = time.perf_counter()
    sales = schema.read_parquet(Path(path) / "monthly_sales", columns=list(sd.SALES_COLUMNS))
    t1 = time.perf_counter()
    out = rules.compare_rules(sales, start=NEW_RULE_START)
    t2 = time.perf_counter()
    queue.put(
        {
            "rows": len(sales),
            "read_seconds": round(t1 - t0, 2),
            "compute_seconds": round(t2 - t1, 2),
            "seconds": round(t2 - t0, 2),
            "peak_rss_mb": round(_hwm_mb()),
            "status_counts": out["status"].value_counts().sort_index().to_dict(),
        }
    )


def pandas_reference(path: Path) -> dict:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_reference, args=(str(path), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


class Sampler:
    """Largest worker RSS seen, sampled every ``every`` seconds with ``client.run`` from a background thread."""

    def __init__(self, client, every: float = 0.5):
        self.client, self.every, self.peak = client, every, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for addr, rss in self.client.run(_rss_mb).items():
                    self.peak[addr] = max(self.peak.get(addr, 0.0), rss)
            except Exception:  # a worker being restarted: skip this sample
                pass
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_size(path: Path, memory_limit: str) -> dict:
    with sd.client_for("local", memory_limit=memory_limit) as client:
        workers0 = set(client.scheduler_info()["workers"])
        pids0 = set(client.run(os.getpid).values())
        with Sampler(client) as sampler:
            t0 = time.perf_counter()
            comparison = sd.compare_rules_dask(path, start=NEW_RULE_START)
            t1 = time.perf_counter()
            lazy = sd.compare_rules_lazy(path, start=NEW_RULE_START)
            over_time = sd.required_over_time_dask(lazy, by="marketplace")
            t2 = time.perf_counter()
            shares = sd.claim_shares_dask(path, by="filed_quarter")
            t3 = time.perf_counter()
        hwm = client.run(_hwm_mb)
        pids1 = set(client.run(os.getpid).values())
        workers1 = set(client.scheduler_info()["workers"])
        n_parts = sd.read_sales(path).npartitions
    return {
        "sellers": int(comparison["seller_id"].nunique()),
        "seller_marketplaces": len(comparison),
        "partitions": n_parts,
        "compare_seconds": round(t1 - t0, 1),
        "required_over_time_seconds": round(t2 - t1, 1),
        "claim_shares_seconds": round(t3 - t2, 1),
        "worker_peak_rss_mb": sorted(round(v) for v in hwm.values()),
        "worker_sampled_max_rss_mb": sorted(round(v) for v in sampler.peak.values()),
        "worker_restarts": len(pids0 - pids1) + len(workers0 ^ workers1),
        "client_rss_after_mb": round(_rss_mb()),
        "status_counts": comparison["status"].value_counts().sort_index().to_dict(),
        "required_last_month": over_time.groupby("marketplace")[["n_required_old", "n_required_new"]]
        .last()
        .sum()
        .to_dict(),
        "claims": int(shares["n_claims"].sum()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="200k sellers, sizes 100k and 200k (smoke run)")
    ap.add_argument(
        "--memory-limit",
        default=sd.DEFAULT_MEMORY_LIMIT,
        help=f"per worker (default {sd.DEFAULT_MEMORY_LIMIT})",
    )
    ap.add_argument(
        "--data-dir", default="/tmp/bench_dask", help="where the generated data goes (deleted after)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    ap.add_argument("--out", default=str(REPORTS_DIR / "benchmarks" / "dask.json"))
    args = ap.parse_args(argv)
    sizes = [100_000, 200_000] if args.quick else [1_000_000, 2_000_000, 5_000_000]
    chunk = 50_000 if args.quick else 100_000
    data = Path(args.data_dir)
    root = data / f"sellers-{sizes[-1]}"
    report: dict = {
        "machine": {"cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30)},
        "memory_limit_per_worker": args.memory_limit,
        "workers": sd.LOCAL_WORKERS,
        "threads_per_worker": sd.LOCAL_THREADS,
        "months": N_MONTHS,
        "chunk_size": chunk,
    }
    try:
        if root.exists():
            shutil.rmtree(root)
        print(
            f"generating {sizes[-1]:,} sellers x {N_MONTHS} months (partitioned) in {root}", file=sys.stderr
        )
        report["generate"] = generate(root, sizes[-1], chunk)
        print(f"generated in {report['generate']['seconds']} s", file=sys.stderr)
        paths = {
            n: (root if n == sizes[-1] else subset(root, n // chunk, data / f"subset-{n}")) for n in sizes
        }
        print("pandas reference", file=sys.stderr)
        report["pandas_reference"] = {"sellers": sizes[0], **pandas_reference(paths[sizes[0]])}
        runs = []
        for n in sizes:
            print(f"dask: {n:,} sellers", file=sys.stderr)
            runs.append(run_size(paths[n], args.memory_limit))
            print(json.dumps(runs[-1]), file=sys.stderr)
        report["runs"] = runs
    finally:
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
    ref = report["pandas_reference"]
    base = runs[0]["compare_seconds"]
    print(
        f"\ngenerate {sizes[-1]:,} sellers x {N_MONTHS} months: {report['generate']['seconds']} s, "
        f"{report['generate']['bytes_on_disk'] / MB:,.0f} MB on disk, peak {report['generate']['process_peak_rss_mb']} MB"
    )
    print(
        f"pandas reference ({sizes[0]:,} sellers, one process): {ref['seconds']} s "
        f"(read {ref['read_seconds']} s), peak {ref['peak_rss_mb']} MB"
    )
    print(
        f"LocalCluster: {sd.LOCAL_WORKERS} workers x {sd.LOCAL_THREADS} thread, memory_limit {args.memory_limit}"
    )
    head = (
        f"{'sellers':>10} {'parts':>5} {'compare s':>9} {'x size1':>7} {'x pandas':>8} {'over-time s':>11} "
        f"{'claims s':>8} {'worker peak MB':>15} {'sampled MB':>11} {'restarts':>8}"
    )
    print(head)
    for r in runs:
        print(
            f"{r['sellers']:>10,} {r['partitions']:>5} {r['compare_seconds']:>9} "
            f"{r['compare_seconds'] / base:>7.2f} {r['compare_seconds'] / ref['seconds']:>8.2f} "
            f"{r['required_over_time_seconds']:>11} {r['claim_shares_seconds']:>8} "
            f"{'/'.join(map(str, r['worker_peak_rss_mb'])):>15} "
            f"{'/'.join(map(str, r['worker_sampled_max_rss_mb'])):>11} {r['worker_restarts']:>8}"
        )
    if not args.quick:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
