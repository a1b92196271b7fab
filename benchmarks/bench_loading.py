"""Benchmark of the loading layer: a large Parquet (the ``evaluate`` hot path) and a ~1 GB CSV (peak memory).

Run: ``.venv/bin/python benchmarks/bench_loading.py [--sellers 1000000] [--months 23] [--csv-gb 1.0] [--repeat 3]
[--skip-csv]``.

Parquet: ``sellers x months`` rows sorted by seller then month (string seller ids, ``date32`` months, float64
sales), as the generator writes them. ``load_monthly_sales`` is timed (wall and CPU) against a reference run in the same process
on the same file: ``pyarrow.parquet.read_table(read_dictionary=["seller_id"]).to_pandas(date_as_object=False)``,
the least work any loader must do (the machine is shared, so only the ratio is meaningful). Runs alternate and the
best of ``--repeat`` is kept. Two variants: clean, and "dirty" (0.01% negative or missing sales and 0.01%
duplicate rows appended at the end, so the file is no longer sorted and the loader must sort: the worst case).

CSV: the clean table written as text (``seller_id,marketplace,month,gross_sales`` with ``YYYY-MM`` months) and
repeated up to ``--csv-gb`` (seller ids prefixed per repetition, so no row is a duplicate). Each load runs in a
fresh child process, which reports its wall and CPU time and its peak resident set above its level just before
the call (sampled every 5 ms; ``ru_maxrss`` is not used, it survives ``exec`` from this large parent):
``load_monthly_sales`` (streamed in 4 MB blocks into final column buffers, text columns read once) against the
reference ``pyarrow.csv.read_csv`` of the whole file as text (multi-threaded, not streamed, nothing validated).

Results are printed and written to ``reports/benchmarks/loading.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from seller_insurance.data.loading import load_monthly_sales
from seller_insurance.paths import REPORTS_DIR

CACHE = Path(tempfile.gettempdir()) / "seller_insurance_bench_loading"


def make_table(n_sellers: int, n_months: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    width = len(str(n_sellers))
    ids = np.char.add("S", np.char.zfill(np.arange(n_sellers).astype(str), width)).astype(object)
    seller = pa.DictionaryArray.from_arrays(
        pa.array(np.repeat(np.arange(n_sellers, dtype=np.int32), n_months)), pa.array(ids, pa.string())
    ).cast(pa.string())
    month = (np.datetime64("2019-06", "M") + np.tile(np.arange(n_months), n_sellers)).astype("datetime64[D]")
    gross = np.round(rng.lognormal(7, 2, n_sellers * n_months), 2)
    return pa.table({"seller_id": seller, "month": pa.array(month, pa.date32()), "gross_sales": gross})


def parquet_files(n_sellers: int, n_months: int) -> tuple[Path, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    clean = CACHE / f"monthly_{n_sellers}x{n_months}.parquet"
    dirty = CACHE / f"monthly_{n_sellers}x{n_months}_dirty.parquet"
    if not clean.exists() or not dirty.exists():
        t = make_table(n_sellers, n_months)
        pq.write_table(t, clean)
        n = t.num_rows
        rng = np.random.default_rng(1)
        k = max(1, n // 10_000)
        gross = t.column("gross_sales").to_numpy().copy()
        bad = rng.choice(n, size=2 * k, replace=False)
        gross[bad[:k]] = -1.0
        gross[bad[k:]] = np.nan
        t2 = t.set_column(2, "gross_sales", pa.array(gross))
        dup = t2.take(pa.array(np.sort(rng.choice(n, size=k, replace=False))))
        pq.write_table(pa.concat_tables([t2, dup]), dirty)
    return clean, dirty


def csv_file(n_sellers: int, n_months: int, gb: float) -> Path:
    """The clean table as CSV text, repeated (with the seller ids prefixed R1_, R2_, ... so no row repeats) until
    the file reaches ``gb`` GB; the last repetition stops at the first batch past the target."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"monthly_{n_sellers}x{n_months}_{gb:g}gb_v2.csv"
    if path.exists():
        return path
    t = make_table(n_sellers, n_months)
    month = pa.array(np.datetime_as_string(t.column("month").to_numpy().astype("datetime64[M]")), pa.string())
    gross = t.column("gross_sales").cast(pa.string())
    tmp = path.with_suffix(".tmp")
    target = int(gb * 1e9)
    schema = pa.schema(
        [
            ("seller_id", pa.string()),
            ("marketplace", pa.string()),
            ("month", pa.string()),
            ("gross_sales", pa.string()),
        ]
    )
    with pcsv.CSVWriter(str(tmp), schema) as w:
        rep = 0
        while tmp.stat().st_size < target:
            ids = (
                t.column("seller_id")
                if rep == 0
                else pc.binary_join_element_wise(f"R{rep}_", t.column("seller_id"), "")
            )
            text = pa.table([ids, pa.array(["US"] * t.num_rows), month, gross], schema=schema)
            for b in text.to_batches(max_chunksize=500_000):
                w.write_batch(b)
                if tmp.stat().st_size >= target:
                    break
            rep += 1
    tmp.rename(path)
    return path


def _timed(fn):
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _cpu(fn):
    gc.collect()
    c0 = time.process_time()
    out = fn()
    return time.process_time() - c0, out


def bench_parquet(path: Path, repeat: int) -> dict:
    ref_t, load_t, ref_c, load_c = [], [], [], []
    result = None

    def ref():
        return pq.read_table(path, read_dictionary=["seller_id"]).to_pandas(date_as_object=False)

    for _ in range(repeat):
        c0 = time.process_time()
        t, df = _timed(ref)
        ref_t.append(t)
        ref_c.append(time.process_time() - c0)
        del df
        c0 = time.process_time()
        t, result = _timed(lambda: load_monthly_sales(path))
        load_t.append(t)
        load_c.append(time.process_time() - c0)
    read_t = min(_timed(lambda: pq.read_table(path, read_dictionary=["seller_id"]))[0] for _ in range(repeat))
    out = {
        "file": str(path),
        "rows": result.rows_read,
        "reference_s": min(ref_t),
        "load_s": min(load_t),
        "ratio": min(load_t) / min(ref_t),
        "read_table_only_s": read_t,
        "ratio_to_read_table": min(load_t) / read_t,
        "reference_cpu_s": min(ref_c),
        "load_cpu_s": min(load_c),
        "cpu_ratio": min(load_c) / min(ref_c),
        "all_reference_s": ref_t,
        "all_load_s": load_t,
        "summary": result.summary(),
    }
    del result
    return out


_CHILD = r"""
import gc, json, resource, sys, threading, time
import psutil
kind, path = sys.argv[1], sys.argv[2]
import pyarrow as pa, pyarrow.csv as pcsv
from seller_insurance.data.loading import load_monthly_sales
proc = psutil.Process()
gc.collect()
base = proc.memory_info().rss
peak = [base]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.005)
th = threading.Thread(target=sample, daemon=True)
th.start()
t0, c0 = time.perf_counter(), time.process_time()
if kind == "load":
    r = load_monthly_sales(path)
    rows, summary, kept = r.rows_read, r.summary(), r.frame.memory_usage(deep=True).sum()
else:
    names = ["seller_id", "marketplace", "month", "gross_sales"]
    t = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}))
    rows, summary, kept = t.num_rows, "pyarrow.csv.read_csv, all columns as text", t.nbytes
dt, dc = time.perf_counter() - t0, time.process_time() - c0
stop.set(); th.join()
peak[0] = max(peak[0], proc.memory_info().rss)  # (ru_maxrss survives exec: not usable here)
print(json.dumps({"seconds": dt, "cpu_seconds": dc, "peak_above_start_mib": (peak[0] - base) / 2**20,
                  "result_mib": kept / 2**20, "rows": rows, "summary": summary}))
"""


def bench_csv(path: Path) -> dict:
    out = {"file": str(path), "size_gb": path.stat().st_size / 1e9}
    for kind in ("reference", "load"):
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, kind, str(path)], capture_output=True, text=True, check=True
        )
        out[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["time_ratio"] = out["load"]["seconds"] / out["reference"]["seconds"]
    out["memory_ratio"] = out["load"]["peak_above_start_mib"] / max(
        out["reference"]["peak_above_start_mib"], 1e-9
    )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sellers", type=int, default=1_000_000, help="sellers in the Parquet (default 1,000,000)"
    )
    ap.add_argument("--months", type=int, default=23, help="months per seller (default 23: 23M rows)")
    ap.add_argument("--csv-gb", type=float, default=1.0, help="size of the CSV in GB (default 1.0)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per variant, best kept (default 3)")
    ap.add_argument("--skip-csv", action="store_true", help="only the Parquet part")
    args = ap.parse_args(argv)
    clean, dirty = parquet_files(args.sellers, args.months)
    res = {}
    for name, path in (("parquet_clean", clean), ("parquet_dirty", dirty)):
        r = res[name] = bench_parquet(path, args.repeat)
        print(
            f"{name}  {r['rows']:,} rows: load {r['load_s']:.2f} s (cpu {r['load_cpu_s']:.2f}), reference "
            f"read+to_pandas {r['reference_s']:.2f} s (cpu {r['reference_cpu_s']:.2f}), ratio {r['ratio']:.2f} "
            f"(cpu {r['cpu_ratio']:.2f}); read_table alone {r['read_table_only_s']:.2f} s, load/read "
            f"{r['ratio_to_read_table']:.2f}  [{r['summary']}]"
        )
    if not args.skip_csv:
        c = bench_csv(csv_file(args.sellers, args.months, args.csv_gb))
        res["csv"] = c
        print(
            f"csv {c['size_gb']:.2f} GB, {c['load']['rows']:,} rows: load {c['load']['seconds']:.1f} s, peak "
            f"{c['load']['peak_above_start_mib']:,.0f} MiB above start (result {c['load']['result_mib']:,.0f} MiB); "
            f"reference read_csv {c['reference']['seconds']:.1f} s, peak "
            f"{c['reference']['peak_above_start_mib']:,.0f} MiB (time ratio {c['time_ratio']:.2f}, memory ratio "
            f"{c['memory_ratio']:.2f})"
        )
    out = REPORTS_DIR / "benchmarks" / "loading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
