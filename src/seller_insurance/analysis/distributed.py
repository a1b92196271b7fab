"""The same analysis on a Dask cluster: the pandas helpers run per partition, the results are the pandas ones.

Nothing here is a second engine. Each function reads or accepts a ``dask.dataframe.DataFrame``, runs the pandas
function of the project (``rules.compare_rules``, ``rules.required_over_time``, the claims helpers and the interval
functions of ``intervals.py``) on each partition via ``map_partitions`` with an explicit ``meta``, and combines the
partition results on the client into the same pandas DataFrame the pandas path returns. Design and figures:
``docs/scale-out.md``.

Partitioning (the one invariant the rule engine needs): every row of a seller-marketplace sits in ONE partition, so
``compare_rules`` per partition sees each seller's whole history (calendar-month streaks, duplicate checks).

* A dataset written by ``generate.write_dataset(..., partitioned=True)`` (``manifest.json`` says
  ``"partitioned": true``) is read one partition per part file (``split_row_groups=False``): the generator writes
  each seller's whole history into exactly one part.
* Anything else (a folder of Parquet files of unknown layout, a pandas or Dask DataFrame) is repartitioned by a hash
  of ``seller_id`` + ``marketplace`` (``DataFrame.shuffle(on=...)``, dask's deterministic
  ``hash_pandas_object``), unless the caller asserts ``partitioned=True``.
* As a safety net, ``compare_rules_dask`` refuses (``ValueError``) a result with a seller-marketplace in two
  partitions, which only happens when ``partitioned=True`` was asserted wrongly.

Claim shares are not additive, so each partition returns per-group sufficient statistics (count, count under the
cap, sums of amounts and of amounts under the cap, and the centred second moments ``Cxx``, ``Cxy``, ``Cyy`` of
amount ``x`` and amount-under-cap ``y``); partitions are merged with Chan's pairwise update and the intervals are
finished with ``intervals.wilson_interval`` and the delta-method formula of ``intervals.ratio_delta_interval``
written on those statistics (``sum((y - R x)^2) = Cyy - 2 R Cxy + R^2 Cxx`` because ``sum(y - R x) = 0`` at
``R = sum(y) / sum(x)``). The bootstrap groups (fewer than ``bootstrap_below`` claims) are small by construction:
their rows are gathered to the client in the input's order and ``intervals.ratio_bootstrap_interval`` runs on them
with the same generator and group order as ``claims.claim_shares``, so the draws are the same.

Given paths, the Dask path reads Parquet directly (text months and dates as ISO dates of any precision; other text
is an ``InputError``) and does not run the loading layer's reject reporting; the rule engine still refuses missing
ids or months, NaN sales and duplicated months (each seller's rows are in one partition, so the duplicate check is
complete). The command line's ``--scheduler`` instead loads every input through the loader (any layout, CSV
included, rejects files written) and passes the loaded frames here (docs/loading.md).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from seller_insurance import months as mo
from seller_insurance.analysis import claims as cl
from seller_insurance.analysis import rules
from seller_insurance.analysis.claims import ratio_delta_from_moments, z_value
from seller_insurance.errors import InputError, RunError
from seller_insurance.policy import (
    BOOTSTRAP_BELOW,
    CLAIM_CAP_USD,
    DEFAULT_INCLUSIVE,
    NEW_RULE_MONTHS,
    OLD_RULE_MONTHS,
    VALID_CLAIM_STATUSES,
)

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "claim_shares_dask",
    "client_for",
    "compare_arrays_dask",
    "compare_rules_dask",
    "compare_rules_lazy",
    "read_claims",
    "ratio_delta_from_moments",
    "read_sales",
    "required_over_time_dask",
]

# LocalCluster defaults: 2 worker processes x 1 thread (this machine has 2 cores) and an explicit memory limit per
# worker, so a worker that outgrows it is paused / restarted by the nanny instead of taking the machine down.
LOCAL_WORKERS = 2
LOCAL_THREADS = 1
DEFAULT_MEMORY_LIMIT = (
    "4GiB"  # per worker; a 100,000-seller x 36-month partition peaks near 0.5 GB (see docs)
)

SALES_COLUMNS = ("seller_id", "marketplace", "month", "gross_sales")
CLAIMS_COLUMNS = ("claim_id", "seller_id", "marketplace", "filed_date", "claim_type", "amount", "status")
_KEY = ["seller_id", "marketplace"]
_STATS = ["n", "k", "sx", "sy", "cxx", "cxy", "cyy"]


# ---------------------------------------------------------------------------------------------------------------
# Cluster
# ---------------------------------------------------------------------------------------------------------------
@contextmanager
def client_for(
    scheduler: str | None,
    *,
    memory_limit: str | int = DEFAULT_MEMORY_LIMIT,
    n_workers: int = LOCAL_WORKERS,
    threads_per_worker: int = LOCAL_THREADS,
    processes: bool = True,
    timeout: str = "10s",
) -> Iterator[object | None]:
    """A ``dask.distributed.Client`` for ``scheduler``, closed on exit; ``None`` for plain pandas.

    Parameters
    ----------
    scheduler : None or "" (plain pandas: yields None), ``"local"`` (a LocalCluster on this machine with
        ``n_workers`` worker processes of ``threads_per_worker`` threads and ``memory_limit`` each, no dashboard),
        or the address of a running scheduler (``tcp://host:8786``; the workers' sizes are then the cluster's).
    memory_limit : per local worker (bytes or text such as "4GiB"); the nanny pauses a worker at 80% and restarts
        it at 95% of it (dask's defaults).
    processes : local workers as processes (default; real parallelism, separate memory) or threads (tests).
    timeout : how long to try to connect to a remote scheduler.

    Raises ``RunError`` when the scheduler cannot be reached.
    """
    if scheduler is None or str(scheduler).strip() == "":
        yield None
        return
    from distributed import Client, LocalCluster

    if str(scheduler).strip().lower() == "local":
        with (
            LocalCluster(
                n_workers=n_workers,
                threads_per_worker=threads_per_worker,
                memory_limit=memory_limit,
                processes=processes,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(str(scheduler).strip(), timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise RunError(f"cannot reach the dask scheduler at {scheduler!r}: {exc}") from None
    with client:
        yield client


# ---------------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------------
def _dataset_files(source, table: str) -> tuple[object, list[str], dict | None]:
    """Filesystem, Parquet files of ``table`` under ``source`` and the dataset's manifest (None if there is none).

    ``source``: a dataset root (``<table>/`` folder or ``<table>.parquet``), a table folder or one file; a local
    path or any fsspec URL (``s3://``, ``gs://``, ``file://``...). Files in sorted name order.
    """
    import fsspec

    fs, path = fsspec.core.url_to_fs(str(source))
    path = path.rstrip("/")
    if not fs.exists(path):
        raise InputError("no such file or folder", path=source)
    manifest_at = None
    parent = posixpath.dirname(path)
    if fs.isdir(path) and fs.isdir(f"{path}/{table}"):  # dataset root with a partitioned table folder
        manifest_at, path = f"{path}/manifest.json", f"{path}/{table}"
    elif fs.isdir(path) and fs.isfile(f"{path}/{table}.parquet"):  # dataset root, one file per table
        manifest_at, path = f"{path}/manifest.json", f"{path}/{table}.parquet"
    elif fs.isdir(path) and fs.isfile(f"{parent}/manifest.json"):  # the table folder itself
        manifest_at = f"{parent}/manifest.json"
    manifest = json.loads(fs.cat(manifest_at)) if manifest_at is not None and fs.isfile(manifest_at) else None
    files = sorted(fs.glob(f"{path}/*.parquet")) if fs.isdir(path) else [path]
    if not files:
        raise InputError("no .parquet file in this folder", path=source)
    return fs, files, manifest


def _read_parquet(fs, files: list[str], wanted: Sequence[str], required: Sequence[str]):
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    present = pq.read_schema(fs.open(files[0], "rb")).names
    missing = [c for c in required if c not in present]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} (has: {', '.join(present)})", path=files[0])
    columns = [c for c in wanted if c in present]
    return dd.read_parquet([fs.unstrip_protocol(f) for f in files], columns=columns, split_row_groups=False)


def _plain_dates(part: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Date columns as ``datetime64[s]`` (Parquet date32 arrives as a pyarrow dtype), ids as ``str``."""
    out = {}
    for col in part.columns:
        s = part[col]
        if col in columns and not (isinstance(s.dtype, np.dtype) and s.dtype.kind == "M"):
            s = pd.Series(_datetime_seconds(s), index=part.index, name=col)
        elif (_is_text(s.dtype) and str(s.dtype) != "str") or isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("str")  # pandas' default string dtype, as schema.read_parquet gives (the loader's
            # Categorical ids too: the result is sorted by the id text, as the pandas path sorts it)
        out[col] = s
    return pd.DataFrame(out, index=part.index)


def _datetime_seconds(s: pd.Series) -> np.ndarray:
    """``datetime64[s]`` values of a date column.

    Parquet ``date32`` is cast by pyarrow (pandas' parser: ~1 s per million rows, the cast ~1 ms).
    """
    if isinstance(s.dtype, pd.ArrowDtype):
        import pyarrow as pa

        if pa.types.is_date(s.dtype.pyarrow_dtype) or pa.types.is_timestamp(s.dtype.pyarrow_dtype):
            return pa.array(s.array).cast(pa.timestamp("s")).to_numpy(zero_copy_only=False)
    if _is_text(s.dtype) or s.dtype == object:
        try:  # ISO dates of any precision in one column ("2020-02-29" beside "2021-07"), as the loader reads them
            return pd.to_datetime(s, format="ISO8601").to_numpy().astype("datetime64[s]")
        except (ValueError, TypeError):
            raise InputError(
                f"{s.name}: text that is not an ISO date (YYYY-MM or YYYY-MM-DD) in a Parquet file read by the "
                "Dask workers; the command line loads such files through the loader (with or without --scheduler)"
            ) from None
    return pd.to_datetime(s).to_numpy().astype("datetime64[s]")


def _is_text(dtype) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        return pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    return False


def _normalise(ddf, date_columns: Sequence[str]):
    meta = _plain_dates(ddf._meta, date_columns)
    return ddf.map_partitions(_plain_dates, list(date_columns), meta=meta)


def _as_dask(frame, npartitions: int | None):
    import dask.dataframe as dd

    if isinstance(frame, pd.DataFrame):
        return dd.from_pandas(frame, npartitions=npartitions or 2, sort=False)
    if isinstance(frame, dd.DataFrame):
        return frame
    return None


def read_sales(source, *, partitioned: bool | None = None, npartitions: int | None = None):
    """Monthly sales as a Dask DataFrame with each seller-marketplace's whole history in one partition.

    Parameters
    ----------
    source : a dataset folder (``data/raw/<name>`` with ``monthly_sales/`` or ``monthly_sales.parquet``), a folder
        of Parquet part files, one Parquet file (local paths or fsspec URLs such as ``s3://bucket/data/big``; the
        workers must see the same path), a pandas DataFrame or a Dask DataFrame. Columns ``seller_id``,
        ``month``, ``gross_sales`` and optionally ``marketplace`` (others are not read).
    partitioned : True: the caller guarantees one partition per seller-marketplace history (no shuffle). False:
        always shuffle. None (default): trusted only for a generator dataset whose manifest says
        ``"partitioned": true`` (one partition per part file); otherwise shuffled by a hash of seller_id +
        marketplace into ``npartitions`` partitions (default: as many as the input has).

    Returns a lazy Dask DataFrame; months as ``datetime64[s]``, ids as ``str``.
    """
    ddf = _as_dask(source, npartitions)
    trusted = bool(partitioned)
    if ddf is None:
        fs, files, manifest = _dataset_files(source, "monthly_sales")
        ddf = _read_parquet(fs, files, SALES_COLUMNS, ("seller_id", "month", "gross_sales"))
        if partitioned is None:
            in_folder = posixpath.basename(posixpath.dirname(files[0])) == "monthly_sales"
            trusted = bool(manifest and manifest.get("partitioned")) and in_folder
    else:
        missing = [c for c in ("seller_id", "month", "gross_sales") if c not in ddf.columns]
        if missing:
            raise ValueError(
                f"sales is missing column(s) {', '.join(missing)} (has: {', '.join(ddf.columns)})"
            )
        ddf = ddf[[c for c in SALES_COLUMNS if c in ddf.columns]]
    ddf = _normalise(ddf, ["month"])
    if not trusted:
        on = [c for c in _KEY if c in ddf.columns]
        ddf = ddf.shuffle(on=on, npartitions=npartitions or ddf.npartitions)
    return ddf


def read_claims(source, *, npartitions: int | None = None):
    """Claims as a Dask DataFrame (any partitioning: the claim shares do not need one); dates ``datetime64[s]``.

    ``source``: a dataset folder (``claims/`` or ``claims.parquet``), a folder of Parquet files, one file, a pandas
    or Dask DataFrame. Partition order = sorted file names (the order the bootstrap sees the claims in).
    """
    ddf = _as_dask(source, npartitions)
    if ddf is None:
        fs, files, _ = _dataset_files(source, "claims")
        ddf = _read_parquet(fs, files, CLAIMS_COLUMNS, ("seller_id", "filed_date", "amount"))
    return _normalise(ddf, ["filed_date"])


# ---------------------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------------------
def _comparison_meta(**kw) -> pd.DataFrame:
    empty = pd.DataFrame(
        {
            "seller_id": pd.Series([], dtype="str"),
            "marketplace": pd.Series([], dtype="str"),
            "month": pd.Series([], dtype="datetime64[s]"),
            "gross_sales": pd.Series([], dtype=float),
        }
    )
    return rules.compare_rules(empty, **kw)


def compare_rules_lazy(
    sales,
    *,
    old_months: int = OLD_RULE_MONTHS,
    new_months: int = NEW_RULE_MONTHS,
    threshold: rules.Threshold = None,
    inclusive: bool = DEFAULT_INCLUSIVE,
    start=None,
    end=None,
    partitioned: bool | None = None,
):
    """``rules.compare_rules`` on each partition of ``read_sales(sales, partitioned=...)``, lazily.

    One output partition per input partition, each sorted by seller_id, marketplace; the partitions are not in
    a global order. Use it to feed :func:`required_over_time_dask` without collecting every seller.
    """
    kw = dict(
        old_months=old_months,
        new_months=new_months,
        threshold=threshold,
        inclusive=inclusive,
        start=start,
        end=end,
    )
    meta = _comparison_meta(**kw)  # also validates the parameters before any work is sent to the cluster
    ddf = read_sales(sales, partitioned=partitioned)
    return ddf.map_partitions(_compare_part, kw, meta=meta)


def _compare_part(part: pd.DataFrame, kw: dict) -> pd.DataFrame:
    return rules.compare_rules(part, **kw)


def _sorted_by_key(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in (seller_id, marketplace) order (skipped when already so); a key twice is a partitioning error."""
    s = frame["seller_id"].to_numpy()
    m = frame["marketplace"].to_numpy()
    if len(frame) > 1:
        ok = (s[1:] > s[:-1]) | ((s[1:] == s[:-1]) & (m[1:] > m[:-1]))
        if not ok.all():
            frame = frame.sort_values(_KEY, kind="stable", ignore_index=True)
            s, m = frame["seller_id"].to_numpy(), frame["marketplace"].to_numpy()
    if len(frame) > 1:
        dup = (s[1:] == s[:-1]) & (m[1:] == m[:-1])
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise ValueError(
                f"seller_id={s[i]!r} marketplace={m[i]!r} is in more than one partition: the input is not "
                "partitioned by seller-marketplace (read it with partitioned=None or False to repartition it)"
            )
    return frame.reset_index(drop=True)


def compare_rules_dask(
    sales,
    *,
    old_months: int = OLD_RULE_MONTHS,
    new_months: int = NEW_RULE_MONTHS,
    threshold: rules.Threshold = None,
    inclusive: bool = DEFAULT_INCLUSIVE,
    start=None,
    end=None,
    partitioned: bool | None = None,
) -> pd.DataFrame:
    """``rules.compare_rules`` on a Dask cluster; returns the same pandas DataFrame (same rows, order, dtypes).

    ``sales``: anything :func:`read_sales` accepts; the other parameters are ``rules.compare_rules``'s. Runs on the
    current dask client (see :func:`client_for`), or dask's default scheduler when there is none. The result is
    collected on the client: one row per seller-marketplace (~0.35 KB each in memory; 1.9 GB at 5M). For more,
    write ``compare_rules_lazy(...).to_parquet(...)`` from the workers.
    """
    lazy = compare_rules_lazy(
        sales,
        old_months=old_months,
        new_months=new_months,
        threshold=threshold,
        inclusive=inclusive,
        start=start,
        end=end,
        partitioned=partitioned,
    )
    return _sorted_by_key(lazy.compute())


def compare_arrays_dask(sales, **kw) -> rules.Comparison:
    """``rules.compare_arrays`` on a Dask cluster (same keyword arguments as :func:`compare_rules_dask`).

    The raw arrays the ``evaluate`` command formats: ids, old/new trigger month indices (``mo.NO_MONTH`` when none)
    and status codes (index into ``rules.STATUSES``), in (seller_id, marketplace) order.
    """
    frame = compare_rules_dask(sales, **kw)
    status = pd.Index(rules.STATUSES).get_indexer(frame["status"]).astype(np.int8)
    return rules.Comparison(
        frame["seller_id"].array,
        frame["marketplace"].array,
        _month_index(frame["old_trigger"]),
        _month_index(frame["new_trigger"]),
        status,
    )


def _month_index(col: pd.Series) -> np.ndarray:
    values = col.to_numpy()
    idx = values.astype("datetime64[M]").astype(np.int64)
    idx[np.isnat(values)] = mo.NO_MONTH
    return idx


def required_over_time_dask(
    comparison,
    months_range=None,
    *,
    sellers: pd.DataFrame | None = None,
    by: str | list[str] | None = None,
) -> pd.DataFrame:
    """``rules.required_over_time`` for a pandas comparison or a lazy one (:func:`compare_rules_lazy`).

    With a Dask ``comparison``, each partition is counted by ``rules.required_over_time`` over the same list of
    months (the global first..last trigger when ``months_range`` is None, found by one min/max pass) and the counts,
    which are additive across disjoint seller sets, are summed per month and group. Same result as pandas. The
    first/last trigger are dask scalars fed to the per-partition step, so the comparison is computed once (its
    partitions wait in worker memory until the scalars are known: about 100 bytes per seller-marketplace).
    """
    if isinstance(comparison, pd.DataFrame):
        return rules.required_over_time(comparison, months_range, sellers=sellers, by=by)
    import dask

    first = last = None
    if months_range is None:  # global first..last trigger as dask scalars: one pass computes everything
        trig = comparison[["old_trigger", "new_trigger"]]
        first, last = trig.min().min(), trig.max().max()
    by_cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    meta = rules.required_over_time(comparison._meta, months_range, sellers=sellers, by=by)
    seller_arg = dask.delayed(sellers) if sellers is not None else None
    parts = comparison.map_partitions(
        _required_part, months_range, first, last, seller_arg, by, meta=meta
    ).compute()
    counts = ["n_required_old", "n_required_new", "n_total"]
    keys = ["month", *by_cols]
    summed = parts.groupby(keys, dropna=False, sort=False, observed=True)[counts].sum().reset_index()
    summed = summed.sort_values([*by_cols, "month"], kind="stable", na_position="last", ignore_index=True)
    for col in counts:
        summed[col] = summed[col].astype(np.int64)
    for col in by_cols:  # keep the pandas dtypes of the group labels (Categorical stays Categorical)
        if isinstance(meta[col].dtype, pd.CategoricalDtype):
            summed[col] = pd.Categorical(summed[col], dtype=meta[col].dtype)
    return summed[list(meta.columns)]


def _required_part(part, months_range, first, last, sellers, by) -> pd.DataFrame:
    if months_range is None and not pd.isna(first):  # no trigger anywhere: None gives pandas' empty table
        months_range = (first, last)
    return rules.required_over_time(part, months_range, sellers=sellers, by=by)


# ---------------------------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------------------------
def _period_codes(filed_date: pd.Series, name: str) -> np.ndarray:
    months = pd.to_datetime(filed_date).to_numpy().astype("datetime64[M]").astype(np.int64)
    return {"filed_month": months, "filed_quarter": months // 3, "filed_year": months // 12}[name]


def _plain_keys(chosen: pd.DataFrame, by_cols: list[str], sellers, comparison) -> pd.DataFrame:
    """Group keys of each claim as plain values: derived periods as integer period indices, Categoricals as values.

    Categories and the full range of periods are restored once, on the client (:func:`_final_keys`), so every
    partition's keys mean the same thing whatever it holds.
    """
    derived = [b for b in by_cols if b in cl.DERIVED_PERIODS and b not in chosen.columns]
    other = [b for b in by_cols if b not in derived]
    keys = (
        cl.key_frame(chosen, other, sellers=sellers, comparison=comparison)
        if other
        else pd.DataFrame(index=chosen.index)
    )
    out = pd.DataFrame(index=chosen.index)
    for b in by_cols:
        if b in derived:
            out[b] = _period_codes(chosen["filed_date"], b)
        else:
            v = keys[b]
            out[b] = v.astype(v.cat.categories.dtype) if isinstance(v.dtype, pd.CategoricalDtype) else v
    return out


def _chosen(part, statuses, by_cols, sellers, comparison):
    chosen = cl.select_claims(part, statuses)
    return chosen, _plain_keys(chosen, by_cols, sellers, comparison)


def _claim_stats_part(part, by_cols, cap, strict, statuses, sellers, comparison) -> pd.DataFrame:
    """Per-group sufficient statistics of one partition (one row per observed key combination)."""
    chosen, keys = _chosen(part, statuses, by_cols, sellers, comparison)
    codes, groups = cl.group_codes(keys)
    g = len(groups) if len(chosen) else 0
    x = chosen["amount"].to_numpy(dtype=float)
    under = cl.under_cap(x, cap, strict)
    y = np.where(under, x, 0.0)
    n = np.bincount(codes, minlength=g).astype(float)
    sx = np.bincount(codes, weights=x, minlength=g)
    sy = np.bincount(codes, weights=y, minlength=g)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = x - (sx / n)[codes]
        dy = y - (sy / n)[codes]
    stats = pd.DataFrame(
        {
            "n": n,
            "k": np.bincount(codes, weights=under.astype(float), minlength=g),
            "sx": sx,
            "sy": sy,
            "cxx": np.bincount(codes, weights=dx * dx, minlength=g),
            "cxy": np.bincount(codes, weights=dx * dy, minlength=g),
            "cyy": np.bincount(codes, weights=dy * dy, minlength=g),
        }
    )
    return pd.concat([groups.iloc[:g].reset_index(drop=True), stats], axis=1) if by_cols else stats


def _merge_stats(stats: pd.DataFrame, by_cols: list[str]) -> pd.DataFrame:
    """Merge partition statistics of the same group (Chan et al.'s pairwise update, vectorised)."""
    if by_cols:
        gcodes = stats.groupby(by_cols, dropna=False, sort=False, observed=True).ngroup().to_numpy()
        first = pd.Series(np.arange(len(stats))).groupby(gcodes).first().to_numpy()
        keys = stats[by_cols].iloc[first].reset_index(drop=True)
    else:
        gcodes = np.zeros(len(stats), dtype=np.int64)
        keys = pd.DataFrame(index=range(1 if len(stats) else 0))
    g = len(keys)

    def total(col, w=None):
        return np.bincount(gcodes, weights=stats[col].to_numpy() if w is None else w, minlength=g)

    n, sx, sy = total("n"), total("sx"), total("sy")
    pn = stats["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ex = np.where(pn > 0, stats["sx"].to_numpy() / pn - (sx / n)[gcodes], 0.0)
        ey = np.where(pn > 0, stats["sy"].to_numpy() / pn - (sy / n)[gcodes], 0.0)
    merged = pd.DataFrame(
        {
            "n": n,
            "k": total("k"),
            "sx": sx,
            "sy": sy,
            "cxx": total("cxx", stats["cxx"].to_numpy() + pn * ex * ex),
            "cxy": total("cxy", stats["cxy"].to_numpy() + pn * ex * ey),
            "cyy": total("cyy", stats["cyy"].to_numpy() + pn * ey * ey),
        }
    )
    return pd.concat([keys, merged], axis=1)


def _final_keys(merged: pd.DataFrame, by_cols: list[str], key_meta: pd.DataFrame) -> pd.DataFrame:
    """The merged groups' keys with the dtypes ``claims.claim_shares`` groups by (Categoricals, period ranges)."""
    out = pd.DataFrame(index=merged.index)
    for b in by_cols:
        v = merged[b]
        meta = key_meta[b] if b in key_meta.columns else None
        if b in cl.DERIVED_PERIODS and meta is None:
            idx = v.to_numpy(dtype=np.int64)
            lo, hi = (int(idx.min()), int(idx.max())) if len(idx) else (0, -1)
            if b == "filed_month":
                cats = pd.DatetimeIndex(np.arange(lo, hi + 1).astype("datetime64[M]").astype("datetime64[s]"))
            elif b == "filed_quarter":
                cats = [f"{q // 4 + 1970}Q{q % 4 + 1}" for q in range(lo, hi + 1)]
            else:
                cats = np.arange(lo + 1970, hi + 1971, dtype=np.int64)
            out[b] = pd.Categorical.from_codes(idx - lo, categories=cats)
        elif meta is not None and isinstance(meta.dtype, pd.CategoricalDtype):
            out[b] = pd.Categorical(v, dtype=meta.dtype)
        else:
            out[b] = v.to_numpy()
    return out


def _key_meta(claims_meta: pd.DataFrame, by_cols, sellers, comparison) -> pd.DataFrame:
    """Dtypes of the key columns as the pandas path builds them (Categorical with known categories kept)."""
    other = [b for b in by_cols if not (b in cl.DERIVED_PERIODS and b not in claims_meta.columns)]
    if not other:
        return pd.DataFrame()
    sample = claims_meta.iloc[:0]
    if "status" not in sample.columns:
        sample = sample.assign(status=pd.Series([], dtype="str"))
    keys = cl.key_frame(cl.select_claims(sample, None), other, sellers=sellers, comparison=comparison)
    return keys


def claim_shares_dask(
    claims,
    *,
    cap: float = CLAIM_CAP_USD,
    strict: bool = False,
    by: str | list[str] | None = None,
    statuses: tuple[str, ...] | None = VALID_CLAIM_STATUSES,
    sellers: pd.DataFrame | None = None,
    comparison: pd.DataFrame | None = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    bootstrap_below: int = BOOTSTRAP_BELOW,
    seed: int = 0,
) -> pd.DataFrame:
    """``claims.claim_shares`` on a Dask cluster: same parameters, same pandas DataFrame.

    ``claims``: anything :func:`read_claims` accepts. ``sellers``/``comparison`` are pandas tables sent once to
    every worker (one shared task each). Two passes over the claims: sufficient statistics per partition and
    group (merged on the client), then, only if some group has ``1 <= n < bootstrap_below`` claims, the rows of
    those small groups (in partition order = the pandas path's row order for the same files). Counts, sums (USD,
    rounded to cents), Wilson bounds and the bootstrap bounds equal the pandas ones; ratios and delta-method bounds
    equal them up to floating-point summation order (relative 1e-12).
    """
    import dask

    z_value(confidence)  # validate before sending work
    by_cols = cl.normalise_by(by)
    ddf = read_claims(claims)
    cl.check_columns(
        ddf._meta,
        ["seller_id", "filed_date", "amount"] + (["status"] if statuses is not None else []),
        "claims",
    )
    s_arg = dask.delayed(sellers) if sellers is not None else None
    c_arg = dask.delayed(comparison) if comparison is not None else None
    key_meta = _key_meta(ddf._meta, by_cols, sellers, comparison)
    probe = _claim_stats_part(ddf._meta, by_cols, cap, strict, statuses, sellers, comparison)
    parts = ddf.map_partitions(
        _claim_stats_part, by_cols, cap, strict, statuses, s_arg, c_arg, meta=probe.iloc[:0]
    ).compute()
    merged = _merge_stats(parts.reset_index(drop=True), by_cols)
    if not by_cols and len(merged) == 0:
        merged = pd.DataFrame({c: [0.0] for c in _STATS})

    keys = _final_keys(merged, by_cols, key_meta)
    codes, groups = cl.group_codes(keys)
    n_groups = len(groups)

    def per_group(col):
        return np.bincount(codes, weights=merged[col].to_numpy(), minlength=n_groups)

    n = per_group("n").round().astype(np.int64)
    sx, sy = per_group("sx"), per_group("sy")
    ratio, low, high = ratio_delta_from_moments(
        n, sx, sy, per_group("cxx"), per_group("cxy"), per_group("cyy"), confidence
    )

    def rows_of(boot_groups):
        return _bootstrap_rows(
            ddf, boot_groups, groups, by_cols, cap, strict, statuses, s_arg, c_arg, sellers, comparison
        )

    return cl.assemble_shares(
        groups,
        n,
        per_group("k").round().astype(np.int64),
        sx,
        sy,
        ratio,
        low,
        high,
        rows_of,
        confidence=confidence,
        n_boot=n_boot,
        bootstrap_below=bootstrap_below,
        seed=seed,
    )


def _boot_part(
    part, wanted: pd.DataFrame, by_cols, cap, strict, statuses, sellers, comparison
) -> pd.DataFrame:
    """Rows of the bootstrap groups in this partition, in row order: final group code, y, x."""
    chosen, keys = _chosen(part, statuses, by_cols, sellers, comparison)
    x = chosen["amount"].to_numpy(dtype=float)
    if by_cols:
        pos = keys.reset_index(drop=True).merge(wanted, on=by_cols, how="left")["_code"].to_numpy()
    else:
        pos = np.full(len(chosen), wanted["_code"].iloc[0] if len(wanted) else -1, dtype=float)
    take = ~np.isnan(pos.astype(float))
    y = np.where(cl.under_cap(x, cap, strict), x, 0.0)
    return pd.DataFrame({"code": pos[take].astype(np.int64), "y": y[take], "x": x[take]})


def _bootstrap_rows(
    ddf, boot_groups, groups, by_cols, cap, strict, statuses, s_arg, c_arg, sellers, comparison
):
    wanted = pd.DataFrame(index=range(len(boot_groups)))
    if by_cols:
        # the groups' keys in the per-partition (plain) form of _plain_keys
        chosen_groups = groups.iloc[boot_groups].reset_index(drop=True)
        for b in by_cols:
            v = chosen_groups[b]
            if b in cl.DERIVED_PERIODS and isinstance(v.dtype, pd.CategoricalDtype):
                cats = v.cat.categories
                first = _first_period_index(cats, b)
                wanted[b] = v.cat.codes.to_numpy().astype(np.int64) + first
            elif isinstance(v.dtype, pd.CategoricalDtype):
                wanted[b] = v.astype(v.cat.categories.dtype).to_numpy()
            else:
                wanted[b] = v.to_numpy()
    wanted["_code"] = boot_groups.astype(np.int64)
    meta = pd.DataFrame(
        {
            "code": pd.Series([], dtype=np.int64),
            "y": pd.Series([], dtype=float),
            "x": pd.Series([], dtype=float),
        }
    )
    rows = ddf.map_partitions(
        _boot_part, wanted, by_cols, cap, strict, statuses, s_arg, c_arg, meta=meta
    ).compute()
    return rows["code"].to_numpy(), rows["y"].to_numpy(), rows["x"].to_numpy()


def _first_period_index(cats, name: str) -> int:
    first = cats[0]
    if name == "filed_month":
        return int(np.datetime64(first, "M").astype(np.int64))
    if name == "filed_quarter":
        year, q = str(first).split("Q")
        return (int(year) - 1970) * 4 + int(q) - 1
    return int(first) - 1970
