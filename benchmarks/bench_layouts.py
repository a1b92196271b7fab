"""Benchmark matrix: ``seller-insurance evaluate`` on the layouts users bring, each paired with DuckDB.

Run: ``.venv/bin/python benchmarks/bench_layouts.py [--sellers 100000 1000000] [--claims 1000000 10000000]
[--runs 3] [--layouts ...]``; ``--duckdb PATH`` runs only the DuckDB side for one input (to pair it with another
timer); ``--make-only`` writes the inputs and prints their paths.

For each size (sellers x 36 months; each seller starts in a random month, so about 22 rows per seller) the script
writes, once, into ``$TMPDIR/seller_insurance_bench_layouts/``:

- ``str_by_seller``: Parquet, string ids, sorted by seller then month (as the generator writes; the baseline);
- ``int_by_seller_nomp``: Parquet, integer ids, sorted by seller, no marketplace column;
- ``str_by_month``: Parquet, string ids, sorted by month then seller (monthly extracts appended);
- ``shuffled``: Parquet, string ids, rows in random order;
- ``large_string``: Parquet, every column ``large_string`` (pandas 3 writing a CSV read as text);
- ``csv``: the baseline as CSV text (``YYYY-MM`` months);
- ``long_ids_by_month``, ``long_ids_shuffled``: as ``str_by_month`` and ``shuffled`` with 13-character ids
  (``AMZN0000007US``, the length of Amazon's merchant tokens): ids longer than 8 bytes are hashed as text, not as
  integers;
- ``orders``: one row per order (20 per seller-month, a day of the month, an amount, a unique ``order_id``),
  shuffled, up to 1M sellers (100k: 45M rows; 1M: 450M rows, 6.9 GB, written in slices and loaded through the
  order spill, docs/loading.md): ``evaluate`` sums them to calendar months; DuckDB's query sums them
  with ``GROUP BY`` before the rules. ``orders_contract`` pairs the same run with DuckDB's query that also applies
  the loader's contract (copies of an order dropped, negative months left out: :func:`duckdb_orders_contract_sql`).
  At 1M sellers each side takes 1.5-5 minutes (DuckDB's contract query spills about 14 GB to the bench's cache),
  so those two pairs run once whatever ``--runs`` says.

Each layout is timed as a whole process, ``seller-insurance evaluate FILE --out OUT.csv``, against a DuckDB process
doing the same work on the same file: one query that scans it, applies both rules (first month over the threshold;
first month ending three consecutive calendar months over it) and writes one row per seller-marketplace to CSV.
Claims (``--claims``, 1M and 10M by default): a Parquet file not written by the generator, ``seller-insurance claims
FILE --by filed_quarter`` against DuckDB computing the count and value shares under the cap per quarter, twice:
``claims_by_quarter`` with the plain query (every row with status ``valid``; the same shares as ours only on a file
with no bad or repeated row, as this one), ``claims_contract`` with the query that also applies the loader's checks
and duplicate rule (:func:`duckdb_claims_contract_sql`; tested to give our numbers on messy files).

Each input is read once before its pairs, so that the first process does not pay the disk alone (the files
are then in the page cache, as a file just written or read usually is). Runs alternate (A B A B ...); the median
wall time, the median of the pairwise ratios and the peak resident set of
each (``ru_maxrss`` of the child, Linux) are printed and written to ``reports/benchmarks/layouts.json``, with the
phases of each side's median run:

- ours (``--timings``, :func:`our_phases`): ``start`` (process start and imports), the load's ``read`` (pyarrow on
  the reading thread, overlapping ``parse``), ``wait`` (for the reader), ``parse`` (per batch: values, checks,
  rejects), ``aggregate`` (ids to codes, duplicate checks, orders to seller-months, the frame), then ``compute``
  (the rules or the shares) and ``write``;
- DuckDB's (its JSON profile, :func:`duckdb_phases`): ``start`` (the process outside the query), ``query`` (wall),
  and its operators' CPU seconds summed over its threads: ``scan`` (reading and decoding, with the filters pushed
  into the scan), ``compute`` (grouping, windows, joins, sorting) and ``write``.
``--runs 1`` is enough on a shared machine for the order of magnitude; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "seller_insurance_bench_layouts"
N_MONTHS = 36
LAYOUTS = (
    "str_by_seller",
    "int_by_seller_nomp",
    "str_by_month",
    "shuffled",
    "large_string",
    "csv",
    "long_ids_by_month",
    "long_ids_shuffled",
    "orders",
)
ORDERS_PER_MONTH = 20
# one row per order is 20x the rows: 45M at 100k sellers, 450M (about 6 GB of Parquet) at 1M sellers; above
# ORDERS_IN_ONE_TABLE sellers the file is written in ORDERS_PER_MONTH slices (``write_orders_in_slices``: the
# whole table would need about 25 GB); at 5M sellers (2.2G rows) it is not written on this machine kind
ORDERS_MAX_SELLERS = 1_000_000
ORDERS_IN_ONE_TABLE = 100_000
US_THRESHOLD = 10_000.0


def make_table(n_sellers: int, seed: int = 0):
    """Monthly sales sorted by seller then month: string ids ``S0000001``, US site, ``date32`` months.

    Parameters
    ----------
    n_sellers : number of sellers; each is active from a random month (0-27) to the last of 36.
    seed : random seed.

    Returns
    -------
    pyarrow Table with seller_id, marketplace, month, gross_sales.
    """
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    start = rng.integers(0, 28, n_sellers)
    length = N_MONTHS - start
    seller = np.repeat(np.arange(n_sellers, dtype=np.int64), length)
    first = np.repeat(np.cumsum(length) - length, length)
    offset = np.arange(len(seller)) - first + np.repeat(start, length)
    month = (np.datetime64("2019-01", "M") + offset).astype("datetime64[D]")
    gross = np.round(rng.lognormal(8.3, 0.9, len(seller)), 2)
    width = len(str(n_sellers))
    ids = np.char.add("S", np.char.zfill(np.arange(n_sellers).astype(str), width))
    seller_txt = pa.DictionaryArray.from_arrays(pa.array(seller.astype(np.int32)), pa.array(ids)).cast(
        pa.string()
    )
    return pa.table(
        {
            "seller_id": seller_txt,
            "marketplace": pa.array(np.full(len(seller), "US")),
            "month": pa.array(month, pa.date32()),
            "gross_sales": gross,
            "_num": seller + 1,
        }
    )


def layout_files(n_sellers: int, layouts: list[str]) -> dict[str, Path]:
    """Write (once) the files of ``layouts`` at ``n_sellers``; returns layout -> path."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    folder = CACHE / str(n_sellers)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / (f"{name}.csv" if name == "csv" else f"{name}.parquet") for name in LAYOUTS}
    if n_sellers > ORDERS_MAX_SELLERS:
        layouts = [name for name in layouts if name != "orders"]
    missing = [name for name in layouts if not paths[name].exists()]
    if not missing:
        return {name: paths[name] for name in layouts}
    t = make_table(n_sellers)
    base = t.drop_columns(["_num"])
    for name in missing:
        p = paths[name]
        if name == "str_by_seller":
            pq.write_table(base, p)
        elif name == "int_by_seller_nomp":
            pq.write_table(
                pa.table({"seller_id": t["_num"], "month": t["month"], "gross_sales": t["gross_sales"]}), p
            )
        elif name == "str_by_month":
            pq.write_table(base.sort_by([("month", "ascending"), ("seller_id", "ascending")]), p)
        elif name in ("shuffled", "long_ids_shuffled", "long_ids_by_month"):
            table = base if name == "shuffled" else _long_ids(base)
            if name == "long_ids_by_month":
                table = table.sort_by([("month", "ascending"), ("seller_id", "ascending")])
            else:
                table = table.take(pa.array(np.random.default_rng(1).permutation(base.num_rows)))
            pq.write_table(table, p)
        elif name == "large_string":
            text = {
                "seller_id": base["seller_id"],
                "marketplace": base["marketplace"],
                "month": base["month"].cast(pa.string()),
                "gross_sales": base["gross_sales"].cast(pa.string()),
            }
            pq.write_table(pa.table({k: v.cast(pa.large_string()) for k, v in text.items()}), p)
        elif name == "orders" and n_sellers > ORDERS_IN_ONE_TABLE:
            write_orders_in_slices(base, p)
        elif name == "orders":
            pq.write_table(orders_table(base), p)
        elif name == "csv":
            month_txt = pc.strftime(base["month"].cast(pa.timestamp("s")), "%Y-%m")
            pcsv.write_csv(base.set_column(2, "month", month_txt), p)
    return {name: paths[name] for name in layouts}


def _long_ids(table):
    """``table`` with its ids ``S0000007`` made ``AMZN0000007US`` (13 characters, as long as a merchant token)."""
    import pyarrow.compute as pc

    ids = pc.binary_join_element_wise("AMZN", pc.utf8_slice_codeunits(table["seller_id"], 1), "US", "")
    return table.set_column(table.schema.get_field_index("seller_id"), "seller_id", ids)


def orders_table(monthly, seed: int = 2):
    """One row per order from a monthly table: ``ORDERS_PER_MONTH`` orders per seller-month, shuffled.

    Each order falls on a random day (1-28) of its month with a log-normal amount (monthly totals near the monthly
    table's), and has a unique text ``order_id``.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    n = monthly.num_rows * ORDERS_PER_MONTH
    order = rng.permutation(n)
    row = order // ORDERS_PER_MONTH  # the seller-month of each (shuffled) order
    day = monthly["month"].to_numpy().astype("datetime64[D]")[row] + rng.integers(0, 28, n)
    ids = pc.binary_join_element_wise("O", pc.cast(pa.array(np.arange(n)), pa.string()), "")
    return pa.table(
        {
            "seller_id": monthly["seller_id"].take(pa.array(row)),
            "marketplace": monthly["marketplace"].take(pa.array(row)),
            "order_date": pa.array(day, pa.date32()),
            "amount": np.round(rng.lognormal(8.3 - np.log(ORDERS_PER_MONTH), 0.9, n), 2),
            "order_id": ids,
        }
    )


def write_orders_in_slices(monthly, path: Path, seed: int = 2) -> None:
    """:func:`orders_table`'s rows for a table too large to build at once, written slice by slice.

    Slice ``k`` (of ``ORDERS_PER_MONTH``) holds one order of every seller-month, in a random order of its own, so
    every row group holds most sellers (as in a shuffled file) while only one slice is in memory. Order ids
    ``O<k>-<row>`` are unique; days and amounts are drawn as in :func:`orders_table`.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    m = monthly.num_rows
    first_day = monthly["month"].to_numpy().astype("datetime64[D]")
    writer = None
    try:
        for k in range(ORDERS_PER_MONTH):
            row = rng.permutation(m)
            table = pa.table(
                {
                    "seller_id": monthly["seller_id"].take(pa.array(row)),
                    "marketplace": monthly["marketplace"].take(pa.array(row)),
                    "order_date": pa.array(first_day[row] + rng.integers(0, 28, m), pa.date32()),
                    "amount": np.round(rng.lognormal(8.3 - np.log(ORDERS_PER_MONTH), 0.9, m), 2),
                    "order_id": pc.binary_join_element_wise(
                        f"O{k}-", pc.cast(pa.array(np.arange(m)), pa.string()), ""
                    ),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(path.with_suffix(".part"), table.schema)
            writer.write_table(table)
            del table, row
    finally:
        if writer is not None:
            writer.close()
    path.with_suffix(".part").rename(path)


def claims_file(n_claims: int, seed: int = 0) -> Path:
    """A claims Parquet not written by the generator (once): string claim and seller ids, ``date32`` filing
    dates over four years, two claim types, three statuses, ten categories, log-normal amounts."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = CACHE / "claims" / f"claims_{n_claims}.parquet"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = n_claims

    def ids(prefix, values):
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(values), pa.string()), "")

    day = (np.datetime64("2019-01-01") + rng.integers(0, 1461, n)).astype("datetime64[D]")
    table = pa.table(
        {
            "claim_id": ids("C", rng.permutation(n)),
            "seller_id": ids("S", rng.integers(0, max(n // 10, 1), n)),
            "marketplace": pa.array(np.full(n, "US")),
            "filed_date": pa.array(day, pa.date32()),
            "claim_type": pa.array(np.array(["property_damage", "personal_injury"])[rng.integers(0, 2, n)]),
            "amount": np.round(rng.lognormal(6.3, 1.2, n), 2),
            "status": pa.array(np.array(["valid", "rejected", "pending"])[rng.integers(0, 3, n)]),
            "category": pa.array([f"category_{i}" for i in range(10)]).take(pa.array(rng.integers(0, 10, n))),
        }
    )
    pq.write_table(table, path)
    return path


def duckdb_claims_sql(path: Path, out: Path) -> str:
    """One DuckDB statement: valid claims per filing quarter, count and value share under the $1,000 cap."""
    return f"""
COPY (
SELECT year(filed_date) || '-Q' || quarter(filed_date) AS filed_quarter,
       count(*) AS n_claims, count(*) FILTER (WHERE amount <= 1000) AS n_under_cap,
       n_under_cap / n_claims AS count_share,
       sum(amount) AS amount_total, sum(amount) FILTER (WHERE amount <= 1000) AS amount_under_cap,
       amount_under_cap / amount_total AS amount_share
FROM read_parquet('{path}') WHERE status = 'valid' GROUP BY 1 ORDER BY 1
) TO '{out}' (HEADER, DELIMITER ',')
"""


def _enum_sql(column: str) -> str:
    """SQL for the loader's enumeration spelling (``parsing.normalise_name``): lower case, trimmed, each run of
    other characters one ``_``."""
    return f"trim(regexp_replace(lower(trim({column})), '[^0-9a-z]+', '_', 'g'), '_')"


def duckdb_claims_contract_sql(path: Path, out: Path) -> str:
    """One DuckDB statement computing what ``seller-insurance claims FILE --by filed_quarter`` computes, contract
    included: the shares of :func:`duckdb_claims_sql` over the claims the loader accepts, not over every row.

    For a Parquet file with the bench's typed columns (claim_id, seller_id, marketplace, filed_date ``date32``,
    claim_type, amount ``double``, status, category): a row is used only if its ids are not blank once trimmed, its
    site is one of ``policy.KNOWN_MARKETPLACES`` (codes only: the loader's aliases such as ``GB`` are not spelled
    out here), its date is present, its amount above zero and its claim type and status are allowed (compared as
    the loader compares them). Among those rows, a claim id (trimmed) seen more than once keeps one row if every
    copy has the same values once parsed (amounts to the cent, text trimmed, enumerations normalised) and none if
    they disagree (docs/your-own-data.md, ``duplicate_copy`` / ``conflicting_duplicate``). Labels are ``2021Q3``,
    as ours.

    ``tests/test_duckdb_reference.py`` checks that it gives our counts and sums on a file with every kind
    of bad and repeated row, so the ratio against it compares the same work.
    """
    from seller_insurance.policy import KNOWN_MARKETPLACES

    site_list = ", ".join(f"'{s}'" for s in KNOWN_MARKETPLACES)
    return f"""
COPY (
WITH parsed AS (
  SELECT trim(claim_id) AS k, trim(seller_id) AS seller_id, upper(trim(marketplace)) AS marketplace, filed_date,
         {_enum_sql("claim_type")} AS claim_type, amount AS amount_read, round(amount, 2) AS amount,
         {_enum_sql("status")} AS status, trim(category) AS category
  FROM read_parquet('{path}')
),
c AS (
  SELECT * EXCLUDE (amount_read) FROM parsed
  WHERE coalesce(k, '') <> '' AND coalesce(seller_id, '') <> '' AND marketplace IN ({site_list})
    AND filed_date IS NOT NULL AND amount_read > 0
    AND claim_type IN ('property_damage', 'personal_injury') AND status IN ('valid', 'rejected', 'pending')
),
repeated AS (SELECT k FROM c GROUP BY k HAVING count(*) > 1),
copies AS (
  SELECT any_value(filed_date) AS filed_date, any_value(amount) AS amount, any_value(status) AS status
  FROM c SEMI JOIN repeated USING (k) GROUP BY k
  HAVING count(DISTINCT (seller_id, marketplace, filed_date, claim_type, amount, status, category)) = 1
),
accepted AS (
  SELECT filed_date, amount, status FROM c ANTI JOIN repeated USING (k) UNION ALL SELECT * FROM copies
)
SELECT year(filed_date) || 'Q' || quarter(filed_date) AS filed_quarter,
       count(*) AS n_claims, count(*) FILTER (WHERE amount <= 1000) AS n_under_cap,
       n_under_cap / n_claims AS count_share,
       sum(amount) AS amount_total, coalesce(sum(amount) FILTER (WHERE amount <= 1000), 0) AS amount_under_cap,
       amount_under_cap / amount_total AS amount_share
FROM accepted WHERE status = 'valid' GROUP BY 1 ORDER BY 1
) TO '{out}' (HEADER, DELIMITER ',')
"""


def duckdb_sql(path: Path, out: Path) -> str:
    """One DuckDB statement: scan ``path``, both rules per seller-marketplace, result to ``out`` (CSV)."""
    csv = path.suffix == ".csv"
    scan = f"read_csv('{path}', all_varchar=true)" if csv else f"read_parquet('{path}')"
    if path.stem == "orders":  # sum the orders into calendar months first
        scan = (
            "(SELECT seller_id, strftime(order_date, '%Y-%m') AS month, sum(amount) AS gross_sales "
            f"FROM read_parquet('{path}') GROUP BY ALL)"
        )
    return _rules_sql(scan, out)


def duckdb_orders_contract_sql(path: Path, out: Path) -> str:
    """:func:`duckdb_sql` for the order-level file with the loader's contract: what ``seller-insurance evaluate``
    computes on it, on any such file, not only on a clean one.

    For a Parquet file of one site (US; seller_id, marketplace, order_date ``date32``, amount ``double``,
    order_id): a row is used only if its seller id is not blank once trimmed, its site is US and its date and
    amount are present (negative amounts are refunds and count). Rows that share an order id (trimmed; blank and
    missing ids are one value) and agree on every value are one order: one is kept (``duplicate_copy``); rows that
    share an id and differ are item lines and all count. A seller-month whose orders sum below zero (to the cent)
    is left out (``negative_monthly_total``). docs/your-own-data.md; checked against ``evaluate`` on messy files by
    ``tests/test_duckdb_reference.py``.
    """
    scan = f"""(
  WITH c AS (
    SELECT * EXCLUDE (marketplace) FROM (
      SELECT trim(seller_id) AS seller_id, upper(trim(marketplace)) AS marketplace, order_date, amount,
             coalesce(trim(order_id), '') AS o
      FROM read_parquet('{path}')
    )
    WHERE coalesce(seller_id, '') <> '' AND marketplace = 'US' AND order_date IS NOT NULL AND isfinite(amount)
  ),
  repeated AS (SELECT o FROM c GROUP BY o HAVING count(*) > 1),
  kept AS (
    SELECT seller_id, order_date, amount FROM c ANTI JOIN repeated USING (o)
    UNION ALL
    SELECT seller_id, order_date, amount
    FROM (SELECT DISTINCT seller_id, order_date, amount, o FROM c SEMI JOIN repeated USING (o))
  )
  SELECT seller_id, strftime(order_date, '%Y-%m') AS month, round(sum(amount), 2) AS gross_sales
  FROM kept GROUP BY ALL HAVING round(sum(amount), 2) >= 0
)"""
    return _rules_sql(scan, out)


def _rules_sql(scan: str, out: Path) -> str:
    """Both rules per seller (one site, US) over ``scan``'s seller_id, month and gross_sales, to ``out`` (CSV)."""
    return f"""
COPY (
WITH src AS (SELECT * FROM {scan}),
s AS (
  SELECT CAST(seller_id AS VARCHAR) AS seller_id, 'US' AS mp,
         date_trunc('month', CAST(CASE WHEN length(CAST(month AS VARCHAR)) = 7
                                       THEN CAST(month AS VARCHAR) || '-01' ELSE CAST(month AS VARCHAR) END
                                  AS DATE)) AS m,
         CAST(gross_sales AS DOUBLE) AS g
  FROM src),
ov AS (SELECT seller_id, mp, m, year(m) * 12 + month(m) AS mi FROM s WHERE g > {US_THRESHOLD}),
r AS (SELECT *, mi - row_number() OVER (PARTITION BY seller_id, mp ORDER BY mi) AS grp FROM ov),
c AS (SELECT *, row_number() OVER (PARTITION BY seller_id, mp, grp ORDER BY mi) AS k FROM r),
trig AS (SELECT seller_id, mp, min(m) AS new_trigger, min(m) FILTER (WHERE k >= 3) AS old_trigger
         FROM c GROUP BY seller_id, mp),
keys AS (SELECT DISTINCT seller_id, mp FROM s)
SELECT keys.seller_id, keys.mp AS marketplace, strftime(old_trigger, '%Y-%m') AS old_trigger,
       strftime(new_trigger, '%Y-%m') AS new_trigger
FROM keys LEFT JOIN trig USING (seller_id, mp) ORDER BY 1, 2
) TO '{out}' (HEADER, DELIMITER ',')
"""


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (GB) and stderr (text) of one child process."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{text[-2000:]}")
    return wall, usage.ru_maxrss / 1e6, text


_OUR_TIMINGS = re.compile(r"timings: load ([\d.]+) s, compute ([\d.]+) s, write ([\d.]+) s")
_OUR_LOAD = re.compile(
    r"timings of the load: read ([\d.]+) s .*?, wait ([\d.]+) s, parse ([\d.]+) s, aggregate ([\d.]+) s"
)
_DUCKDB_PHASES = "duckdb phases: "


def our_phases(wall: float, stderr: str) -> dict[str, float]:
    """Phases (seconds) of one of our runs from its ``--timings`` lines: ``start`` (process start, imports and
    argument checks: the wall time outside the three timed steps), the load's ``read`` (reading thread; overlaps
    ``parse``), ``wait``, ``parse``, ``aggregate``, then ``compute`` and ``write``."""
    load, compute, write = (float(x) for x in _OUR_TIMINGS.search(stderr).groups())
    read, wait, parse, aggregate = (float(x) for x in _OUR_LOAD.search(stderr).groups())
    return {
        "start": max(wall - load - compute - write, 0.0),
        "read": read,
        "wait": wait,
        "parse": parse,
        "aggregate": aggregate,
        "compute": compute,
        "write": write,
    }


def duckdb_phases(wall: float, stderr: str) -> dict[str, float]:
    """Phases of a DuckDB run (the line :func:`run_duckdb` prints): ``start`` (the process outside the query),
    ``query`` (its wall time), then the operators' CPU seconds summed over DuckDB's threads: ``scan`` (reading and
    decoding the file, filters pushed into it), ``compute`` (every other operator: grouping, windows, joins,
    sorting) and ``write`` (the CSV). CPU seconds over two threads may add up to more than ``query``."""
    line = next(ln for ln in stderr.splitlines() if ln.startswith(_DUCKDB_PHASES))
    ph = json.loads(line.removeprefix(_DUCKDB_PHASES))
    return {"start": max(wall - ph["query"], 0.0), **ph}


def _profile_phases(profile: dict) -> dict[str, float]:
    """DuckDB's JSON profile (``enable_profiling = 'json'``, 1.x-2.x layout: ``query.total_time``, an ``operator``
    tree of ``type`` and ``timing``) summed as :func:`duckdb_phases` reports it."""
    cpu = {"scan": 0.0, "compute": 0.0, "write": 0.0}

    def walk(node: dict) -> None:
        kind = node.get("type", "")
        phase = "scan" if kind == "TABLE_SCAN" else "write" if "COPY_TO_FILE" in kind else "compute"
        cpu[phase] += float(node.get("timing", 0.0))
        for child in node.get("children", []):
            walk(child)

    for op in profile.get("operator", []):
        walk(op)
    return {"query": float(profile["query"]["total_time"]), **cpu}


def commands(path: Path, claims: bool = False, contract: bool = False) -> tuple[list[str], list[str]]:
    """(our command, the paired DuckDB command) for one input file; ``contract``: DuckDB's claims or order-level
    query with the loader's contract (:func:`duckdb_claims_contract_sql`, :func:`duckdb_orders_contract_sql`)."""
    out = CACHE / "out"
    out.mkdir(parents=True, exist_ok=True)
    exe = str(Path(sys.executable).parent / "seller-insurance")
    if claims:
        ours = [exe, "claims", str(path), "--by", "filed_quarter", "--out", str(out / "ours_claims.csv")]
    else:
        ours = [exe, "evaluate", str(path), "--out", str(out / "ours.csv")]
    ours.append("--timings")
    theirs = [sys.executable, str(Path(__file__).resolve()), "--duckdb", str(path)]
    if contract:
        theirs.append("--contract")
    return ours, theirs


def run_duckdb(path: Path, contract: bool = False) -> None:
    """The DuckDB side of a pair (``--duckdb PATH``): the rules query for sales, the shares query for claims
    (``contract``: with the loader's checks and duplicate rule)."""
    import duckdb

    out = CACHE / "out"
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # DuckDB spills beyond its memory limit (the order rows' contract query at 1M sellers: about 14 GB) into
    # ``.tmp`` of the working folder by default: keep that in the bench's cache, not in the repository
    con.execute(f"SET temp_directory = '{CACHE / 'duckdb_tmp'}'")
    if path.name.startswith("claims_"):
        sql = duckdb_claims_contract_sql if contract else duckdb_claims_sql
        target = out / "duckdb_claims.csv"
    else:
        sql = duckdb_orders_contract_sql if contract else duckdb_sql
        target = out / "duckdb.csv"
    with tempfile.TemporaryDirectory() as tmp:  # the profile: this query's phases, printed for the pair
        profile = Path(tmp) / "profile.json"
        con.execute("SET enable_profiling = 'json'")
        con.execute(f"SET profiling_output = '{profile}'")
        con.execute(sql(path, target))
        con.execute("SET enable_profiling = 'no_output'")
        phases = _profile_phases(json.loads(profile.read_text()))
    con.close()
    print(_DUCKDB_PHASES + json.dumps(phases), file=sys.stderr)


def _pair(ours: list[str], theirs: list[str], runs: int) -> dict:
    """Alternate runs of ``ours`` and ``theirs``: median walls and ratio, peaks, and the phases of the run whose
    wall time is the median (the lower middle one of an even count)."""
    walls, rss, dwalls, drss, phases, dphases = [], [], [], [], [], []
    for _ in range(runs):
        w, r, err = _run(ours)
        walls.append(w)
        rss.append(r)
        phases.append(our_phases(w, err))
        w, r, err = _run(theirs)
        dwalls.append(w)
        drss.append(r)
        dphases.append(duckdb_phases(w, err))
    return {
        "ours_s": statistics.median(walls),
        "duckdb_s": statistics.median(dwalls),
        "ratio": statistics.median(a / b for a, b in zip(walls, dwalls, strict=True)),
        "ours_peak_gb": max(rss),
        "duckdb_peak_gb": max(drss),
        "ours_phases_s": phases[walls.index(statistics.median_low(walls))],
        "duckdb_phases_s": dphases[dwalls.index(statistics.median_low(dwalls))],
    }


def _phase_text(phases: dict[str, float]) -> str:
    return " ".join(f"{k} {v:.2f}" for k, v in phases.items())


def _print(row: dict) -> None:
    print(
        f"{row['size']:>11,} {row['layout']:<20} ours {row['ours_s']:6.2f} s {row['ours_peak_gb']:5.2f} GB | "
        f"duckdb {row['duckdb_s']:6.2f} s {row['duckdb_peak_gb']:5.2f} GB | ratio {row['ratio']:5.2f}x\n"
        f"{'':>12} ours s: {_phase_text(row['ours_phases_s'])}\n"
        f"{'':>12} duckdb s: {_phase_text(row['duckdb_phases_s'])} (scan, compute, write: CPU over threads)",
        flush=True,
    )


def warm_page_cache(path: Path) -> None:
    """Read ``path`` once (into the OS page cache) so that neither side of the first pair pays the disk.

    The first process to read a file that is not cached waits for the disk: a 5M-seller file read cold took ours
    20.7 s to read against 9.5 s cached, while DuckDB, run next, found it cached. Nothing is kept in this process.
    """
    with open(path, "rb") as fh:
        while fh.read(16 << 20):
            pass


def _measure(size: int, path: Path, pairs: list[tuple[str, bool]], claims: bool, runs: int) -> list[dict]:
    """One printed row per ``(layout name, DuckDB query with the contract?)`` of ``pairs``, each timed on ``path``
    (read once before, :func:`warm_page_cache`)."""
    warm_page_cache(path)
    rows = []
    for layout, contract in pairs:
        row = {"size": size, "layout": layout, **_pair(*commands(path, claims, contract), runs)}
        rows.append(row)
        _print(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Build the inputs, time each pair, print the table and write ``reports/benchmarks/layouts.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sellers", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=LAYOUTS)
    ap.add_argument("--claims", type=int, nargs="*", default=[1_000_000, 10_000_000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--make-only", action="store_true", help="write the input files and print their paths")
    ap.add_argument("--duckdb", metavar="PATH", help="run only the DuckDB side of the pair for PATH")
    ap.add_argument(
        "--contract",
        action="store_true",
        help="with --duckdb and a claims or order-level file: the query with the loader's contract",
    )
    args = ap.parse_args(argv)
    if args.duckdb:
        run_duckdb(Path(args.duckdb), args.contract)
        return 0
    if (
        not args.make_only
    ):  # inputs written by a child: this parent stays small (a child's peak RSS starts at ours)
        make = [sys.executable, str(Path(__file__).resolve()), "--make-only", "--runs", "1"]
        make += ["--sellers", *map(str, args.sellers), "--claims", *map(str, args.claims)]
        subprocess.run([*make, "--layouts", *args.layouts], check=True, stdout=subprocess.DEVNULL)
    results = []
    for n in args.sellers:
        files = layout_files(n, args.layouts)
        for name, path in files.items():
            if args.make_only:
                print(f"{n}\t{name}\t{path}")
                continue
            pairs = [(name, False)] + ([("orders_contract", True)] if name == "orders" else [])
            once = name == "orders" and n > ORDERS_IN_ONE_TABLE  # minutes a run: one pair each
            results += _measure(n, path, pairs, False, 1 if once else args.runs)
    for n in args.claims:
        path = claims_file(n)
        if args.make_only:
            print(f"{n}\tclaims\t{path}")
            continue
        pairs = [("claims_by_quarter", False), ("claims_contract", True)]
        results += _measure(n, path, pairs, True, args.runs)
    if results:
        from seller_insurance.paths import REPORTS_DIR

        out = REPORTS_DIR / "benchmarks" / "layouts.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        machine = f"{os.cpu_count()} cores, {memory:.0f} GiB, {time.strftime('%Y-%m-%d')}"
        out.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
        print(f"-> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
