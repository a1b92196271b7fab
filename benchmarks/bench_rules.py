"""Benchmark of the rule engine against the same rules as one DuckDB SQL query (issue 4).

Run: ``.venv/bin/python benchmarks/bench_rules.py`` (100k, 300k and 1M seller-marketplaces x 36 months; ~23M rows at
1M) or ``--quick`` (20k and 100k). ``--repeat N`` (default 3): runs alternate and the best is kept, since the
machine is shared (2 cores); only ratios measured side by side in one run mean much.

Data (built here with numpy, deterministic): each seller-marketplace (one per seller; 70% US, 10% CA, 10% UK, 10% DE)
has a row in each of 36 calendar months from 2019-01 with probability 0.64 (gaps break streaks), lognormal sales
around a seller scale; rows sorted by seller then month, ``seller_id`` strings ``S0000001``..., written to a
temporary Parquet (``date32`` months, zstd as the generator writes).

Measured, per size:
* ``engine``: ``rules.compare_arrays`` (old 3 / new 1 months, start 2021-09) on the frame in memory, as the loader
  returns it (Categorical ids); ``engine_frame``: ``rules.compare_rules`` (the same plus the pandas DataFrame).
* ``duckdb_compute``: the same rules as one SQL query with window functions, on a table already loaded in DuckDB
  (``CREATE TEMP TABLE ... AS``, sorted like ours; also without the ORDER BY). Its trigger months and statuses are checked equal to ours.
* ``parquet_read``: ``pyarrow.parquet.read_table`` of the file (the read floor), and ``parquet_read_pandas`` (to
  pandas with dictionary ids, what any loader must at least do).
* ``duckdb_process``: a fresh Python process: ``import duckdb``, read the Parquet, compute, write the formatted
  output (same columns as ``evaluate``) to Parquet. ``cli``: a fresh ``seller-insurance evaluate FILE --out
  OUT.parquet --start 2021-09 --timings`` process (loading checks, rejects file, output); its load / compute / write
  split is parsed from ``--timings``. Peak memory of each process: its VmHWM.
* ``engine_peak_mb``: peak RSS of a child process that loads the frame and runs the engine, minus its RSS after
  loading: the engine's own working memory.

Results are printed as a table and written to ``reports/benchmarks/rules.json``. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seller_insurance.analysis import rules
from seller_insurance.data.synthetic import PARQUET_OPTIONS
from seller_insurance.months import NO_MONTH
from seller_insurance.paths import REPORTS_DIR
from seller_insurance.policy import DEFAULT_THRESHOLDS, INSURANCE_DUE_DAYS

N_MONTHS = 36
FIRST_MONTH = "2019-01"
START = "2021-09"
SITES = ("US", "CA", "UK", "DE")
SITE_SHARE = (0.7, 0.1, 0.1, 0.1)


# --- data -----------------------------------------------------------------------------------------------------------
def make_table(n: int, seed: int = 20210901) -> pa.Table:
    """n seller-marketplaces x up to 36 months, sorted by seller then month (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    active = rng.random((n, N_MONTHS), dtype=np.float32) < 0.64
    seller, offset = np.nonzero(active)  # row-major: sorted by seller then month
    del active
    scale = rng.lognormal(8.6, 1.2, n)
    gross = np.round(scale[seller] * rng.lognormal(0.0, 0.45, len(seller)), 2)
    site = rng.choice(len(SITES), size=n, p=SITE_SHARE).astype(np.int32)
    ids = np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)
    seller_col = pa.DictionaryArray.from_arrays(pa.array(seller.astype(np.int32)), pa.array(ids, pa.string()))
    site_col = pa.DictionaryArray.from_arrays(pa.array(site[seller]), pa.array(list(SITES), pa.string()))
    month = (np.datetime64(FIRST_MONTH, "M") + offset).astype("datetime64[D]")
    return pa.table(
        {
            "seller_id": seller_col.cast(pa.string()),
            "marketplace": site_col.cast(pa.string()),
            "month": pa.array(month, pa.date32()),
            "gross_sales": pa.array(gross),
        }
    )


def write_data(n: int, folder: Path) -> tuple[Path, int]:
    path = folder / f"sales_{n}.parquet"
    table = make_table(n)
    pq.write_table(table, path, **PARQUET_OPTIONS)
    return path, table.num_rows


def read_frame(path: Path):
    """The frame as the loader returns it: Categorical ids, datetime64 months, float64 sales."""
    table = pq.read_table(path, read_dictionary=["seller_id", "marketplace"])
    return table.to_pandas(date_as_object=False)


# --- DuckDB ---------------------------------------------------------------------------------------------------------
def duckdb_query(source: str, *, formatted: bool, order: bool = True) -> str:
    """The rules (old 3 months, new 1 month, strict, per-site thresholds, start) as one query with a window."""
    thr = ", ".join(f"('{s}', {DEFAULT_THRESHOLDS[s]!r})" for s in SITES)
    y, m = (int(x) for x in START.split("-"))
    start = (y - 1970) * 12 + m - 1
    core = f"""
        WITH thr(marketplace, threshold) AS (VALUES {thr}),
        q AS (
            SELECT s.seller_id, s.marketplace, (year(s.month) - 1970) * 12 + month(s.month) - 1 AS m
            FROM {source} s JOIN thr USING (marketplace)
            WHERE s.gross_sales > thr.threshold
        ),
        r AS (
            SELECT seller_id, marketplace, m,
                   m - lag(m, 2) OVER (PARTITION BY seller_id, marketplace ORDER BY m) AS d
            FROM q
        ),
        t AS (
            SELECT seller_id, marketplace, min(m) AS new_m, min(m) FILTER (WHERE d = 2) AS old_m
            FROM r GROUP BY seller_id, marketplace
        ),
        u AS (SELECT DISTINCT seller_id, marketplace FROM {source})
        SELECT u.seller_id, u.marketplace, t.old_m, t.new_m,
               CASE WHEN t.old_m < {start} THEN 'already_required'
                    WHEN t.new_m IS NULL THEN 'unaffected'
                    WHEN t.old_m IS NULL THEN 'newly_affected'
                    WHEN t.new_m < t.old_m THEN 'accelerated'
                    ELSE 'unchanged' END AS status,
               t.old_m - t.new_m AS lead_months
        FROM u LEFT JOIN t USING (seller_id, marketplace)
        {"ORDER BY u.seller_id, u.marketplace" if order else ""}
    """
    if not formatted:
        return core

    def month(col):
        return f"make_date(1970 + {col} // 12, {col} % 12 + 1, 1)"

    return f"""
        SELECT seller_id, marketplace,
               coalesce(strftime({month("old_m")}, '%Y-%m'), '') AS old_trigger,
               coalesce(strftime({month("new_m")}, '%Y-%m'), '') AS new_trigger,
               status, lead_months,
               coalesce(strftime(last_day({month("new_m")}) + INTERVAL {INSURANCE_DUE_DAYS} DAY, '%Y-%m-%d'), '')
                   AS insurance_due
        FROM ({core})
    """


DUCKDB_PROCESS = """
import sys, duckdb
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute(sys.argv[3].replace("@SRC", f"read_parquet('{src}')").join(["COPY (", f") TO '{out}' (FORMAT parquet)"]))
"""


# --- measuring ------------------------------------------------------------------------------------------------------
def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident set (VmHWM) of a process in MB, from /proc (per address space, so not inherited by fork)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_process(cmd: list[str]) -> dict:
    """Wall time and peak RSS (MB, VmHWM polled every 5 ms until exit) of one child process.

    (``ru_maxrss`` of a child is useless here: Linux carries the parent's high-water mark across fork + exec.)
    """
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak = 0.0
        while proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):  # the process may exit between poll and read
                peak = max(peak, vm_hwm_mb(proc.pid))
            time.sleep(0.005)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {stderr[-2000:]}")
    return {"seconds": wall, "peak_mb": peak, "stdout": stdout, "stderr": stderr}


def best_process(cmd: list[str], repeat: int) -> dict:
    runs = [run_process(cmd) for _ in range(repeat)]
    fastest = min(runs, key=lambda r: r["seconds"])
    fastest["peak_mb"] = max(r["peak_mb"] for r in runs)
    return fastest


def child_engine_memory(path: Path) -> dict:
    """Run in a child: load the frame, then the engine; report RSS peaks (MB) before and after the engine."""
    frame = read_frame(path)
    before = vm_hwm_mb()
    rules.compare_arrays(frame, start=START)
    after = vm_hwm_mb()
    return {
        "after_load_mb": before,
        "peak_mb": after,
        "engine_mb": after - before,
        "frame_mb": frame.memory_usage(deep=False).sum() / 2**20,
    }


def check_same(ours, duck) -> None:
    old = np.where(ours.old == NO_MONTH, -1, ours.old)
    new = np.where(ours.new == NO_MONTH, -1, ours.new)
    d_old = duck["old_m"].fillna(-1).to_numpy(dtype=np.int64)
    d_new = duck["new_m"].fillna(-1).to_numpy(dtype=np.int64)
    status = np.asarray(rules.STATUSES)[ours.status]
    ids = np.asarray(ours.seller_id.astype(str))
    if not (
        np.array_equal(ids, duck["seller_id"].to_numpy(dtype=str))
        and np.array_equal(old, d_old)
        and np.array_equal(new, d_new)
        and np.array_equal(status, duck["status"].to_numpy(dtype=str))
    ):
        raise AssertionError("engine and DuckDB disagree")


def measure(n: int, folder: Path, repeat: int) -> dict:
    import duckdb

    path, n_rows = write_data(n, folder)
    frame = read_frame(path)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE sales AS SELECT * FROM read_parquet('{path}') ORDER BY seller_id, month")
    sql = duckdb_query("sales", formatted=False)

    res: dict = {"seller_marketplaces": n, "rows": n_rows, "parquet_mb": path.stat().st_size / 2**20}
    sql_unordered = duckdb_query("sales", formatted=False, order=False)
    engine_t, frame_t, duck_t, duck_u = [], [], [], []
    for _ in range(repeat):  # alternate so a busy neighbour hurts both sides alike
        t = time.perf_counter()
        ours = rules.compare_arrays(frame, start=START)
        engine_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        rules.compare_rules(frame, start=START)
        frame_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE result AS {sql}")
        duck_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE result_unordered AS {sql_unordered}")
        duck_u.append(time.perf_counter() - t)
    check_same(ours, con.execute("SELECT * FROM result").df())
    res["engine"], res["engine_frame"], res["duckdb_compute"] = min(engine_t), min(frame_t), min(duck_t)
    res["duckdb_compute_unordered"] = min(duck_u)
    res["status_counts"] = dict(
        zip(rules.STATUSES, np.bincount(ours.status, minlength=5).tolist(), strict=True)
    )
    con.close()
    del frame, ours

    res["parquet_read"], _ = best(lambda: pq.read_table(path), repeat)
    res["parquet_read_pandas"], _ = best(lambda: read_frame(path), repeat)

    out_dir = folder / f"out_{n}"
    out_dir.mkdir(exist_ok=True)
    duck = best_process(
        [
            sys.executable,
            "-c",
            DUCKDB_PROCESS,
            str(path),
            str(out_dir / "duckdb.parquet"),
            duckdb_query("@SRC", formatted=True),
        ],
        repeat,
    )
    cli = best_process(
        [
            str(Path(sys.executable).with_name("seller-insurance")),
            "evaluate",
            str(path),
            "--out",
            str(out_dir / "cli.parquet"),
            "--start",
            START,
            "--timings",
        ],
        repeat,
    )
    res["duckdb_process"], res["duckdb_process_peak_mb"] = duck["seconds"], duck["peak_mb"]
    res["cli"], res["cli_peak_mb"] = cli["seconds"], cli["peak_mb"]
    split = re.search(r"load ([\d.]+) s, compute ([\d.]+) s, write ([\d.]+) s", cli["stderr"])
    res["cli_load"], res["cli_compute"], res["cli_write"] = (float(x) for x in split.groups())
    same = pq.read_table(out_dir / "cli.parquet").equals(
        pq.read_table(out_dir / "duckdb.parquet").cast(pq.read_schema(out_dir / "cli.parquet"))
    )
    res["cli_output_equals_duckdb_output"] = bool(same)
    child = run_process([sys.executable, __file__, "--child-memory", str(path)])
    res.update({f"engine_{k}": v for k, v in json.loads(child["stdout"]).items()})
    res["ratio_engine_vs_duckdb_compute"] = res["engine"] / res["duckdb_compute"]
    res["ratio_cli_vs_duckdb_process"] = res["cli"] / res["duckdb_process"]
    return res


# --- report ---------------------------------------------------------------------------------------------------------
ROWS = [
    ("rows (M)", lambda r: f"{r['rows'] / 1e6:.1f}"),
    ("engine: compare_arrays, in memory (s)", lambda r: f"{r['engine']:.3f}"),
    ("engine: compare_rules DataFrame (s)", lambda r: f"{r['engine_frame']:.3f}"),
    ("DuckDB compute on loaded table (s)", lambda r: f"{r['duckdb_compute']:.3f}"),
    ("DuckDB compute without ORDER BY (s)", lambda r: f"{r['duckdb_compute_unordered']:.3f}"),
    ("ratio engine / DuckDB compute", lambda r: f"{r['ratio_engine_vs_duckdb_compute']:.2f}"),
    ("Parquet read floor, arrow (s)", lambda r: f"{r['parquet_read']:.3f}"),
    ("Parquet read to pandas (s)", lambda r: f"{r['parquet_read_pandas']:.3f}"),
    ("DuckDB whole process (s)", lambda r: f"{r['duckdb_process']:.3f}"),
    ("seller-insurance evaluate process (s)", lambda r: f"{r['cli']:.3f}"),
    (
        "  of which load / compute / write (s)",
        lambda r: f"{r['cli_load']:.2f} / {r['cli_compute']:.2f} / {r['cli_write']:.2f}",
    ),
    ("ratio evaluate / DuckDB process", lambda r: f"{r['ratio_cli_vs_duckdb_process']:.2f}"),
    (
        "peak RSS evaluate / DuckDB process (MB)",
        lambda r: f"{r['cli_peak_mb']:.0f} / {r['duckdb_process_peak_mb']:.0f}",
    ),
    ("engine working memory (MB)", lambda r: f"{r['engine_engine_mb']:.0f}"),
    ("in-memory frame (MB)", lambda r: f"{r['engine_frame_mb']:.0f}"),
    ("evaluate output == DuckDB output", lambda r: str(r["cli_output_equals_duckdb_output"])),
]


def table(results: list[dict]) -> str:
    head = "| | " + " | ".join(f"{r['seller_marketplaces']:,}" for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]
    lines += ["| " + name + " | " + " | ".join(fn(r) for r in results) + " |" for name, fn in ROWS]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k and 100k seller-marketplaces only")
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="seller-marketplace counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child-memory", metavar="PARQUET", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_memory:
        print(json.dumps(child_engine_memory(Path(args.child_memory))))
        return 0
    sizes = args.sizes or ([20_000, 100_000] if args.quick else [100_000, 300_000, 1_000_000])
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_rules_") as tmp:
        for n in sizes:
            print(f"== {n:,} seller-marketplaces x {N_MONTHS} months", file=sys.stderr, flush=True)
            results.append(measure(n, Path(tmp), args.repeat))
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = {
            k: last[k] / first[k]
            for k in ("engine", "duckdb_compute", "cli", "duckdb_process", "parquet_read")
        }
        growth["rows"] = last["rows"] / first["rows"]
    else:
        growth = {}
    env = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
        "duckdb": __import__("duckdb").__version__,
        "load_average_end": os.getloadavg(),
    }
    report = {
        "benchmark": "rules",
        "repeat": args.repeat,
        "environment": env,
        "results": results,
        "growth_first_to_last": growth,
    }
    out = REPORTS_DIR / "benchmarks" / "rules.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    if growth:
        print(
            "growth "
            + f"{results[0]['seller_marketplaces']:,} -> {results[-1]['seller_marketplaces']:,}: "
            + ", ".join(f"{k} x{v:.1f}" for k, v in growth.items())
        )
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
