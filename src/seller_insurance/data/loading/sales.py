"""Monthly and order-level sales loaders, and ``load_dataset`` for a whole folder of exports.

Part of the loading layer; import from :mod:`seller_insurance.data.loading`. Decisions (aliases, money and month
formats, marketplaces, duplicates, refunds) are documented in ``docs/your-own-data.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from seller_insurance.data.loading import order_spill, parsing
from seller_insurance.data.loading.buffers import Accumulator
from seller_insurance.data.loading.columns import ALIASES, require_columns, resolve_columns
from seller_insurance.data.loading.order_spill import OrderRows
from seller_insurance.data.loading.rejects import (
    Rejects,
    reasons_from_table,
    reasons_with_number,
)
from seller_insurance.data.loading.result import LoadResult
from seller_insurance.data.loading.sources import Source
from seller_insurance.data.loading.stream import (
    CURRENCIES,
    MARKETPLACE_DTYPE,
    SITE_CURRENCY_CODE,
    categorical_lookup,
    column_or_none,
    concat_parts,
    counts_column,
    currency_code,
    drop_unused_categories,
    empty_rows,
    group_duplicates,
    iterate_batches,
    join_chunks,
    lines_at,
    month_datetimes,
    null_or_empty,
    reject_rows_at,
    repeated_key_rows,
    round_cents,
    run_load,
    strictly_increasing,
    to_categorical,
)
from seller_insurance.data.loading.tables import load_claims, load_sellers
from seller_insurance.errors import InputError
from seller_insurance.months import NO_MONTH
from seller_insurance.policy import (
    DEFAULT_MARKETPLACE,
    KNOWN_MARKETPLACES,
    SITE_CURRENCY,
)

__all__ = ["load_dataset", "load_monthly_sales"]


_MONTHLY_FIELDS = ("seller_id", "marketplace", "month", "gross_sales", "currency", "orders", "units")


_ORDER_FIELDS = ("seller_id", "marketplace", "order_date", "amount", "currency", "order_id", "units")


def load_monthly_sales(
    path, *, column_map: dict[str, str] | None = None, kind: str = "auto", sort: bool = True
) -> LoadResult:
    """Monthly gross sales per seller, marketplace and calendar month, from monthly or order-level exports.

    Parameters
    ----------
    path : CSV file, Parquet file, or folder of Parquet files.
    column_map : source column name -> contract name, for names the aliases do not cover.
    kind : ``"monthly"``, ``"orders"`` (one row per order: order date + amount, aggregated here to calendar months)
        or ``"auto"`` (orders when there is an order-date column and no month column).
    sort : order the rows by seller, marketplace and month (default). ``False`` keeps the accepted rows of a
        monthly file in their read order when it is not already sorted: the rule engine does not need sorted
        rows, and the sort is most of the load time of a shuffled file (``evaluate`` passes ``False``).
        Order-level files are always summed into sorted months.

    Returns
    -------
    LoadResult whose frame has ``seller_id`` (Categorical), ``marketplace`` (Categorical over
    ``policy.KNOWN_MARKETPLACES``; a missing column means ``policy.DEFAULT_MARKETPLACE``), ``month``
    (``datetime64[s]``, first of the month), ``gross_sales`` (float64, site currency, rounded to cents, >= 0), and
    ``currency``/``orders``/``units`` when present (counts int64, or Int64 when some are blank). One row per
    (seller_id, marketplace, month), ordered by seller (first appearance), marketplace, month (with ``sort``; an
    order file too large to hold, summed by ``order_spill``, has its sellers partition by partition instead).
    """
    if kind not in ("auto", "monthly", "orders"):
        raise ValueError(f"kind must be 'auto', 'monthly' or 'orders', not {kind!r}")
    wanted = {f: ALIASES[f] for f in _MONTHLY_FIELDS + ("order_date", "amount", "order_id")}

    def dict_cols(columns):
        found = resolve_columns(columns, wanted, column_map, path)
        return [found[c] for c in ("seller_id", "marketplace", "currency", "order_id") if c in found]

    def run(src: Source) -> LoadResult:
        found = resolve_columns(src.columns, wanted, column_map, src.path)
        src.id_columns = [found[c] for c in ("seller_id", "order_id") if c in found]
        k = kind
        if k == "auto":
            k = "orders" if ("month" not in found and "order_date" in found) else "monthly"
        if k == "orders":
            if "amount" not in found and "gross_sales" in found:
                found["amount"] = found.pop("gross_sales")
            require_columns(
                found, ["seller_id", "order_date", "amount"], src.columns, src.path, "order-level sales"
            )
            use = {f: found[f] for f in _ORDER_FIELDS if f in found}
            src.read_columns = list(use.values())
            return _load_orders(src, use)
        require_columns(found, ["seller_id", "month", "gross_sales"], src.columns, src.path, "monthly sales")
        use = {f: found[f] for f in _MONTHLY_FIELDS if f in found}
        src.read_columns = list(use.values())
        return _load_monthly(src, use, sort)

    return run_load(path, dict_cols, run)


def _sales_checks(table, use, n, amount_field: str, allow_negative: bool, ids: list):
    """Row-level parsing shared by monthly and order-level sales: returns parsed arrays and the checks list.

    ``time`` is the first-of-month day number (monthly) or the day number of the order (orders), NO_MONTH if bad.
    The seller id column is appended to ``ids`` as read, to be hashed once over all batches (``_seller_codes``);
    here only null and empty ids are rejected (blank ones, found by the hashing, are rejected after the read).
    """
    cols = {f: column_or_none(table, use.get(f), list(use.values())) for f in use}
    ids.append(cols["seller_id"])
    missing_id = null_or_empty(cols["seller_id"])
    if cols.get("marketplace") is not None:
        mp = categorical_lookup(to_categorical(cols["marketplace"]), parsing.marketplace_code, np.int8, -1)
        bad_mp = mp < 0
    else:
        mp, bad_mp = None, None
    monthly = amount_field == "gross_sales"
    if monthly:  # month start in seconds: the output column as it will be stored, and the duplicate key
        tm, maybe_bad = parsing.parse_month_starts(cols["month"], unit="s")
    else:
        tm, maybe_bad = parsing.parse_days(cols["order_date"]), True
    bad_time = (tm == NO_MONTH) if maybe_bad else None
    amount, ok_amount = parsing.parse_money(cols[amount_field], lazy_ok=True)
    if monthly:  # cents before duplicate comparison (5.001 and 5.00 are the same monthly figure); in place
        amount = round_cents(amount, inplace=True)
    if not allow_negative and bool((amount >= 0).all()) and (not len(amount) or np.isfinite(amount.max())):
        bad_amount = negative = None  # the common clean case: two quick passes instead of four
    else:
        if ok_amount is None:
            ok_amount = np.isfinite(amount)
        bad_amount = ~ok_amount
        negative = None if allow_negative else (amount < 0)  # NaN compares False
    cur, bad_cur = None, None
    if cols.get("currency") is not None:
        cur = categorical_lookup(to_categorical(cols["currency"]), currency_code, np.int8, -2)
        us = SITE_CURRENCY_CODE[KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE)]
        site = np.full(n, us, dtype=np.int8) if mp is None else SITE_CURRENCY_CODE[np.maximum(mp, 0)]
        cur = np.where(cur == -2, site, cur).astype(np.int8)
        bad_cur = cur != site
        if bad_mp is not None:
            bad_cur &= ~bad_mp
    counts, bad_count = {}, None
    for f in ("orders", "units"):
        if cols.get(f) is not None:
            v, ok, _blank = parsing.parse_count(cols[f])
            counts[f] = v
            bad_count = ~ok if bad_count is None else bad_count | ~ok
    checks = [
        (empty_rows(table), "empty_row", "every field is empty"),
        (missing_id, "missing_seller_id", "seller_id is empty"),
        (
            bad_mp,
            "bad_marketplace",
            "marketplace is empty or not a known site ("
            + ", ".join(KNOWN_MARKETPLACES)
            + "; GB is read as UK)",
        ),
        (
            bad_time,
            "bad_month" if monthly else "bad_order_date",
            "month is empty or not a recognised month"
            if monthly
            else "order date is empty or not a recognised date",
        ),
        (bad_amount, "bad_amount", f"{amount_field} is empty or not a number"),
        (negative, "negative_gross_sales", "gross_sales is negative"),
        (
            bad_cur,
            "currency_mismatch",
            "currency is not the site's currency ("
            + ", ".join(f"{m} {c}" for m, c in SITE_CURRENCY.items())
            + ")",
        ),
        (bad_count, "bad_count", "orders/units is not a whole number >= 0"),
    ]
    return dict(mp=mp, time=tm, amount=amount, cur=cur, counts=counts), checks


_MISSING_ID = "missing_seller_id: seller_id is empty"


def _seller_codes(src: Source, ids: list, ok: np.ndarray, metas, rejects: Rejects) -> pd.Categorical:
    """The seller ids of every batch hashed once (on two cores when long); blank ids rejected here.

    Null and empty ids were rejected per batch; an id of only spaces is found when the hashing trims it (code -1)
    and its row, if not rejected for another reason before, is rejected now as ``missing_seller_id`` (so ``ok``
    is updated in place).
    """
    seller = to_categorical(join_chunks(ids))
    codes = np.asarray(seller.codes)
    no_missing = not len(codes) or int(codes.min()) >= 0  # one pass, no row-sized temporary (the common case)
    blank = np.empty(0, np.int64) if no_missing else np.flatnonzero(ok & (codes < 0))
    if len(blank):
        ok[blank] = False
        reasons = reasons_from_table(np.zeros(len(blank), dtype=np.int32), [_MISSING_ID])
        reject_rows_at(
            src, metas, blank, rejects, np.full(len(blank), "missing_seller_id", dtype=object), reasons
        )
    return seller


def _load_monthly(src: Source, use: dict[str, str], sort: bool = True) -> LoadResult:
    rejects = Rejects(
        list(src.columns) if src.fmt == "csv" else [c for c in src.columns if c in use.values()]
    )

    ids: list = []

    def per_batch(table, n):
        return _sales_checks(table, use, n, "gross_sales", allow_negative=False, ids=ids)

    parts, oks, metas, rows_read = iterate_batches(src, rejects, per_batch, accumulate=True)
    rows_read += rejects.add_malformed(src.malformed, src.delimiter)
    ok = concat_parts(oks) if oks else np.zeros(0, dtype=bool)
    if not ok.flags.writeable:
        ok = ok.copy()
    seller = _seller_codes(src, ids, ok, metas, rejects)
    ids = None
    codes = np.asarray(seller.codes)
    month = concat_parts([p["time"] for p in parts]) if parts else np.zeros(0, np.int64)
    gross = concat_parts([p["amount"] for p in parts]) if parts else np.zeros(0)
    has_mp = "marketplace" in use
    mp = concat_parts([p["mp"] for p in parts]) if has_mp else None
    cur = concat_parts([p["cur"] for p in parts]) if "currency" in use else None
    counts = {
        f: concat_parts([p["counts"][f] for p in parts]) for f in ("orders", "units") if f in use and parts
    }
    good = None if bool(ok.all()) else np.flatnonzero(ok)

    def sel(a):
        return a if (a is None or good is None) else a[good]

    codes_g, month_g, gross_g, mp_g, cur_g = sel(codes), sel(month), sel(gross), sel(mp), sel(cur)
    counts_g = {f: sel(v) for f, v in counts.items()}
    # duplicates: key = (seller code, marketplace, month start day), O(n) when already sorted by it
    key = np.empty(0, np.int64)
    order, keep, copies, conflicts = (
        None,
        np.ones(0, dtype=bool),
        np.empty(0, np.int64),
        np.empty(0, np.int64),
    )
    levels = [codes_g] + ([mp_g] if has_mp else []) + [month_g]
    if len(month_g) and not strictly_increasing(levels):
        cells = _CellKeys(codes_g, mp_g, month_g, per_day=86_400)  # month starts in seconds
        unique, dense_order = _dense_order(cells, want_order=sort)
        if unique:  # no duplicate key: the counting sort's order, or the read order when none is wanted
            order, keep = dense_order, np.ones(len(month_g), dtype=bool)
        else:  # a key repeats (or the cells are sparse): sort, and find the copies and conflicts
            key = cells.key
            values = [gross_g] + ([cur_g] if cur_g is not None else []) + list(counts_g.values())
            order, keep, copies, conflicts = group_duplicates(key, values)
        cells = None
    if len(copies) or len(conflicts):
        gpos = np.arange(len(ok)) if good is None else good
        dpos = np.concatenate([gpos[copies], gpos[conflicts]])
        codes_txt, reasons = _dup_reasons(key, order, copies, conflicts, metas, gpos)
        reject_rows_at(src, metas, dpos, rejects, codes_txt, reasons)
    take = None
    if order is not None:
        take = order[keep] if not keep.all() else order
        if not sort:  # the kept rows, in read order
            take = None if len(take) == len(month_g) else np.sort(take)
    elif not keep.all():
        take = np.flatnonzero(keep)
    # Past this point the read tables (kept for late rejects), the key and the unsorted columns are not needed:
    # release them before the gathers below, each of which drops its source (peak memory of unsorted files).
    metas = parts = oks = key = order = None
    codes = month = gross = mp = cur = counts = None

    def fin(a):
        return a if (a is None or take is None) else a[take]

    codes_f = fin(codes_g)
    n_out = len(codes_f)
    if good is None and (take is None or len(take) == len(codes_g)):
        # every category still used: no re-validation of a million categories (and no copy when not reordered)
        seller_out = (
            seller if take is None else pd.Categorical.from_codes(codes_f, dtype=seller.dtype, validate=False)
        )
    else:
        seller_out = drop_unused_categories(
            pd.Categorical.from_codes(codes_f, dtype=seller.dtype, validate=False)
        )
    mp_f = (
        fin(mp_g) if has_mp else np.full(n_out, KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE), dtype=np.int8)
    )
    codes_g = mp_g = None
    month_f = fin(month_g)
    month_g = None
    gross_f = fin(gross_g)  # rounded to cents when parsed
    gross_g = None
    data = {
        "seller_id": seller_out,
        "marketplace": pd.Categorical.from_codes(mp_f, dtype=MARKETPLACE_DTYPE, validate=False),
        "month": month_f.view("datetime64[s]"),
        "gross_sales": gross_f,
    }
    if cur_g is not None:
        data["currency"] = pd.Categorical.from_codes(fin(cur_g), categories=list(CURRENCIES), validate=False)
    for f, v in counts_g.items():
        data[f] = counts_column(fin(v))
    frame = pd.DataFrame(data, copy=False)
    return _sales_result(src, frame, rejects, rows_read, n_out, "monthly")


def _dense_order(cells: _CellKeys, want_order: bool) -> tuple[bool, np.ndarray | None]:
    """Whether every row's cell (seller, marketplace, month) is its own, and if asked the rows' key order, in O(rows).

    A table of one byte per possible cell: the keys are unique when no two rows mark the same cell, and the key
    order is then read off the table (a counting sort: 22.5M shuffled rows in about 0.5 s, where the comparison
    sort and duplicate runs took 2 s).

    Returns
    -------
    (unique, order)
        ``(True, permutation)`` (``(True, None)`` when ``want_order`` is False); ``(False, None)`` when some key
        repeats or the table would hold more than twice as many cells as rows (sparse keys): the caller then
        sorts, and finds and reports the duplicates.
    """
    n = cells.n
    if cells.size > 2 * n + (1 << 16):
        return False, None
    seen = np.zeros(cells.size, dtype=np.uint8)
    for a in range(0, n, _BLOCK_ROWS):  # one block of keys at a time: no row-sized key array
        seen[cells.block(a, min(a + _BLOCK_ROWS, n))] = 1
    if int(np.count_nonzero(seen)) != n:
        return False, None
    if not want_order:
        return True, None
    place = np.cumsum(seen, dtype=np.int32 if n < 2**31 else np.int64)  # 1 + the row's place in key order
    del seen
    order = np.empty(n, dtype=np.int64)
    for a in range(0, n, _BLOCK_ROWS):
        b = min(a + _BLOCK_ROWS, n)
        dest = place[cells.block(a, b)]
        dest -= 1
        order[dest] = np.arange(a, b, dtype=np.int64)
    return True, order


def _dup_reasons(key, order, copies, conflicts, metas, gpos) -> tuple[np.ndarray, pa.Array]:
    """Codes and reason texts: copies name the line of the kept row, conflicts the size of the disagreeing run."""
    parts, codes = [], []
    if len(copies):
        ks = key if order is None else key[order]
        first_sorted = np.searchsorted(ks, key[copies], side="left")  # the kept row: first of its run
        first_src = first_sorted if order is None else order[first_sorted]
        parts.append(
            reasons_with_number(
                "duplicate_copy: exact copy of line ",
                lines_at(metas, gpos[first_src]),
                " (same seller, marketplace, month and values); that row is kept",
            )
        )
        codes.append(np.full(len(copies), "duplicate_copy", dtype=object))
    if len(conflicts):
        _, inv, cnt = np.unique(key[conflicts], return_inverse=True, return_counts=True)
        parts.append(
            reasons_with_number(
                "conflicting_duplicate: ",
                cnt[inv],
                " rows for the same seller, marketplace and month disagree; all are rejected",
            )
        )
        codes.append(np.full(len(conflicts), "conflicting_duplicate", dtype=object))
    return np.concatenate(codes), pa.concat_arrays(parts)


def _load_orders(src: Source, use: dict[str, str]) -> LoadResult:
    """Order rows -> monthly totals.

    Refunds (negative amounts) are summed in; a negative monthly total rejects every order row of that
    seller-month. Exact duplicate rows with the same order_id are copies (one kept);
    rows sharing an order_id with different values are item lines of one order and are kept (``orders`` counts
    distinct order ids). Without an order_id column no row is treated as a duplicate (identical orders happen).
    Amounts are summed per seller-marketplace-month in float64 (``np.bincount`` with weights, in read order), then
    rounded to cents; no sort of the rows (``_month_cells``).

    A file of more than ``order_spill.ORDER_ROWS_IN_MEMORY`` rows is split by a hash of the seller id into
    partitions spilled to disk and summed one at a time (:mod:`order_spill`): the same totals, counts and rejects
    in bounded memory; sellers then come partition by partition (each partition's in first appearance).
    """
    rejects = Rejects(
        list(src.columns) if src.fmt == "csv" else [c for c in src.columns if c in use.values()]
    )
    rows_estimate = order_spill.estimated_rows(src.fmt, src.files)
    bits = order_spill.partition_bits(rows_estimate)
    if bits:
        return _load_orders_partitioned(src, use, rejects, bits, rows_estimate)

    ids: list = []
    order_ids: list = []  # hashed once after the read, like the seller ids (per-batch hashing must be unified)

    def per_batch(table, n):
        parsed, checks = _sales_checks(table, use, n, "amount", allow_negative=True, ids=ids)
        if "order_id" in use:
            order_ids.append(column_or_none(table, use["order_id"], []))
        return parsed, checks

    parts, oks, metas, rows_read = iterate_batches(src, rejects, per_batch, accumulate=True)
    rows_read += rejects.add_malformed(src.malformed, src.delimiter)
    ok = concat_parts(oks) if oks else np.zeros(0, dtype=bool)
    if not ok.flags.writeable:
        ok = ok.copy()
    n = len(ok)
    rows = OrderRows(
        ids=join_chunks(ids),
        ok=ok,
        mp=(
            concat_parts([p["mp"] for p in parts])
            if "marketplace" in use and parts
            else np.full(n, KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE), dtype=np.int8)
        ),
        day=concat_parts([p["time"] for p in parts]) if parts else np.zeros(0, np.int64),
        amount=concat_parts([p["amount"] for p in parts]) if parts else np.zeros(0),
        units=concat_parts([p["counts"]["units"] for p in parts]) if "units" in use and parts else None,
        cur=concat_parts([p["cur"] for p in parts]) if "currency" in use and parts else None,
        order_ids=join_chunks(order_ids) if "order_id" in use and parts else None,
    )
    ids = order_ids = parts = oks = None
    late = _LateRejects()
    months, n_accepted = _order_months(rows, metas, late)
    rows = None
    late.apply(src, metas, rejects)
    return _sales_result(
        src, _orders_frame(months, "currency" in use), rejects, rows_read, n_accepted, "orders"
    )


def _load_orders_partitioned(
    src: Source, use: dict[str, str], rejects: Rejects, bits: int, rows_estimate: int
) -> LoadResult:
    """``_load_orders`` for a file too large to hold: rows spilled by seller hash, summed partition by partition.

    ``rows_estimate`` is ``order_spill.estimated_rows`` of the source (it sized the partitions and the buffers).
    """

    def per_batch(table, n):
        ids: list = []
        parsed, checks = _sales_checks(table, use, n, "amount", allow_negative=True, ids=ids)
        parsed["ids"] = ids[0]
        parsed["order_ids"] = column_or_none(table, use["order_id"], []) if "order_id" in use else None
        return parsed, checks

    with order_spill.SellerPartitions(
        bits,
        has_mp="marketplace" in use,
        has_units="units" in use,
        has_cur="currency" in use,
        has_order_id="order_id" in use,
    ) as spill:
        _parts, _oks, metas, rows_read = iterate_batches(src, rejects, per_batch, sink=spill.write)
        rows_read += rejects.add_malformed(src.malformed, src.delimiter)
        late = _LateRejects()
        # each partition's seller-months appended in place (no list of frames joined at the end: at 1M sellers
        # that join held the 22M seller-months twice, 0.65 GB more at the peak)
        joined = Accumulator(rows_estimate // order_spill.ORDERS_PER_CELL_HINT)
        n_accepted = 0
        for rows in spill.partitions():
            months, accepted = _order_months(rows, metas, late)
            joined.add(months)
            n_accepted += accepted
            rows = months = None
    months = joined.finish()
    if months is None:  # no usable row: the empty arrays of the in-memory path
        empty = OrderRows(
            ids=pa.chunked_array([], pa.string()),
            ok=np.zeros(0, dtype=bool),
            mp=np.zeros(0, np.int8),
            day=np.zeros(0, np.int64),
            amount=np.zeros(0),
            units=np.zeros(0) if "units" in use else None,
            cur=None,
            order_ids=None,
        )
        months = _order_months(empty, metas, late)[0]
    late.apply(src, metas, rejects)
    frame = _orders_frame(months, "currency" in use)
    return _sales_result(src, frame, rejects, rows_read, n_accepted, "orders")


def _sales_result(
    src: Source, frame: pd.DataFrame, rejects: Rejects, rows_read: int, n_accepted: int, kind: str
) -> LoadResult:
    """The LoadResult of a sales load (``kind``: ``"monthly"`` or ``"orders"``) with its rejects and counts."""
    return LoadResult(
        frame,
        rejects.frame(),
        rows_read,
        str(src.path),
        rows_accepted=n_accepted,
        kind=kind,
        counts=dict(rejects.counts),
    )


@dataclass
class _LateRejects:
    """Rows found unusable after the read (blank ids, copies, negative months), added in one more pass."""

    pos: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    reasons: list = field(default_factory=list)

    def add(self, pos: np.ndarray, code: str, reasons: pa.Array) -> None:
        """Rows at read positions ``pos``, with one code and a reason text each."""
        self.pos.append(np.asarray(pos, dtype=np.int64))
        self.codes.append(np.full(len(pos), code, dtype=object))
        self.reasons.append(reasons)

    def apply(self, src: Source, metas, rejects: Rejects) -> None:
        """Re-read those rows from the source into ``rejects`` (nothing to do when there are none)."""
        if self.pos:
            reject_rows_at(
                src,
                metas,
                np.concatenate(self.pos),
                rejects,
                np.concatenate(self.codes),
                pa.concat_arrays(self.reasons),
            )


def _order_months(rows: OrderRows, metas, late: _LateRejects) -> tuple[dict, int]:
    """Sum usable order rows to seller-marketplace-months; returns their arrays and the rows accepted.

    The arrays, one value per seller-month in key order (seller code, site, month): ``seller_id`` (Categorical
    over the rows' ids), ``mp`` (int8 site codes), ``month`` (months since 1970-01), ``gross_sales``, ``orders``
    and ``units`` (float, NaN when no row had units; None without a units column); ``_orders_frame`` makes them
    the monthly frame.
    Rows found unusable here (blank seller ids, exact copies, a negative month) go to ``late`` by read position.
    """
    ok = rows.ok
    n = len(ok)
    seller = to_categorical(rows.ids)
    codes = np.asarray(seller.codes)
    if len(codes) and int(codes.min()) < 0:  # ids of only spaces: found by the hashing, which trims them
        blank = np.flatnonzero(ok & (codes < 0))
        if len(blank):
            ok[blank] = False
            late.add(
                rows.positions(blank),
                "missing_seller_id",
                reasons_from_table(np.zeros(len(blank), dtype=np.int32), [_MISSING_ID]),
            )
    mp, day, amount, units, cur = rows.mp, rows.day, rows.amount, rows.units, rows.cur
    oid, repeated = None, False
    if rows.order_ids is not None and n:
        # An exact copy shares its order_id. Order reports give each order once: find the rows whose id may repeat
        # from 64-bit hashes (``repeated_key_rows``), and encode exactly only those (trimmed, blank = one value).
        col = rows.order_ids
        maybe = repeated_key_rows([col], ok)
        exact = (
            np.asarray(to_categorical(col.take(pa.array(maybe)), split=False).codes, dtype=np.int64)
            if len(maybe) > 1
            else np.zeros(len(maybe), np.int64)
        )
        oid = np.full(n, -2, dtype=np.int64)  # -2: an id that does not repeat (each a distinct order)
        oid[maybe] = exact
        repeated_id = np.bincount(exact + 1) > 1 if len(exact) else np.zeros(0, dtype=bool)
        repeated = bool(repeated_id.any())
        if repeated:  # (+1: blank ids, code -1, are one value too)
            oid[maybe[~repeated_id[exact + 1]]] = -2
    # Indices of the usable rows; None when every row is usable (the usual case), so that no column is
    # copied through them: at 45M rows those copies were 1 GB of fresh pages, which this VM charges for (docs).
    pos = None if ok.all() else np.flatnonzero(ok)
    if repeated:
        # only rows of a repeated id can be copies
        cand = np.flatnonzero(oid > -2) if pos is None else pos[oid[pos] > -2]
        sub = pd.DataFrame(
            {"pos": cand, "seller": codes[cand], "mp": mp[cand], "day": day[cand], "amount": amount[cand]}
        )
        for name, v in (("cur", cur), ("units", units)):
            if v is not None:
                sub[name] = v[cand]
        sub["order_id"] = oid[cand]
        value_cols = [c for c in sub.columns if c != "pos"]
        dup = sub.duplicated(subset=value_cols, keep="first")
        if dup.any():
            first = sub.groupby(value_cols, sort=False)["pos"].transform("min")[dup].to_numpy()
            copies = sub.loc[dup, "pos"].to_numpy()
            late.add(
                rows.positions(copies),
                "duplicate_copy",
                reasons_with_number(
                    "duplicate_copy: exact copy of the order row on line ",
                    lines_at(metas, rows.positions(first)),
                    "; that row is kept",
                ),
            )
            pos = np.setdiff1d(np.flatnonzero(ok) if pos is None else pos, copies, assume_unique=True)
    sel = slice(None) if pos is None else pos
    cells = _month_cells(codes[sel], mp[sel], day[sel])
    group, n_groups = cells.group, len(cells.cell)
    total = round_cents(np.bincount(group, weights=amount[sel], minlength=n_groups))
    if repeated:  # distinct order ids per seller-month: one per row of an id seen once, plus the repeated ids
        o = oid[sel]
        single = o == -2
        orders = np.bincount(group[single], minlength=n_groups)
        width = int(o.max()) + 2
        pairs = np.unique(group[~single] * width + (o[~single] + 1))
        orders += np.bincount(pairs // width, minlength=n_groups)
    else:  # no order_id, or each once: every row is an order of its own
        orders = np.bincount(group, minlength=n_groups)
    unit_sum = None
    if units is not None:
        u = units[sel]
        has = ~np.isnan(u)
        unit_sum = np.bincount(group, weights=np.where(has, u, 0.0), minlength=n_groups)
        unit_sum[np.bincount(group, weights=has, minlength=n_groups) == 0] = np.nan  # sum(min_count=1)
    negative = total < 0
    n_accepted = n if pos is None else len(pos)
    if negative.any():
        bad_rows = np.flatnonzero(negative[group]) if pos is None else pos[negative[group]]
        n_accepted -= len(bad_rows)
        late.add(
            rows.positions(bad_rows),
            "negative_monthly_total",
            reasons_from_table(
                np.zeros(len(bad_rows), dtype=np.int32),
                [
                    "negative_monthly_total: the seller's order amounts in this month sum to less than zero (refunds "
                    "exceed sales)"
                ],
            ),
        )
    keep = ~negative
    months = {
        "seller_id": pd.Categorical.from_codes(
            cells.seller[keep].astype(np.int32), dtype=seller.dtype, validate=False
        ),
        "mp": cells.mp[keep],
        "month": cells.month[keep],
        "gross_sales": total[keep],
        "orders": orders[keep].astype(np.int64),
        "units": None if unit_sum is None else unit_sum[keep],
    }
    return months, n_accepted


def _orders_frame(months: dict, has_currency: bool) -> pd.DataFrame:
    """The monthly frame from ``_order_months``' arrays (one partition's, or every partition's joined)."""
    mp_out = months["mp"]
    data = {
        "seller_id": drop_unused_categories(months["seller_id"]),
        "marketplace": pd.Categorical.from_codes(mp_out, categories=list(KNOWN_MARKETPLACES), validate=False),
        "month": month_datetimes(months["month"]),
        "gross_sales": months["gross_sales"],
    }
    if has_currency:  # accepted rows carry their site's currency (any other was rejected per row)
        data["currency"] = pd.Categorical.from_codes(
            SITE_CURRENCY_CODE[mp_out], categories=list(CURRENCIES), validate=False
        )
    data["orders"] = months["orders"]
    if months["units"] is not None:
        data["units"] = counts_column(months["units"])
    return pd.DataFrame(data, copy=False)


class _CellKeys:
    """One int64 key per row for its (seller, marketplace, calendar month), increasing in that order.

    ``key = (seller code x sites + site rank) x months + (month - month_lo)``, over the ``sites`` present (codes
    in ``policy.KNOWN_MARKETPLACES`` order) and the ``months`` spanned: ``size`` possible keys. Built from seller
    codes, marketplace codes (None: the default site) and times (``per_day`` units a day); not for zero rows.
    ``block(a, b)`` gives rows ``a:b``'s keys (a check over every row needs no row-sized array: on a VM whose host
    backs memory lazily, fresh pages cost 3-5 s a GB); ``key`` gives all rows' keys, built once on first use.
    The calendar month of each day comes from a table over the days spanned (once per day, not per row).
    """

    def __init__(self, seller: np.ndarray, mp: np.ndarray | None, time: np.ndarray, per_day: int):
        self.n = n = len(time)
        self._seller, self._mp, self._time, self._per_day = seller, mp, time, per_day
        self._d_lo = d_lo = int(time.min()) // per_day
        month_of_day = (
            np.arange(d_lo, int(time.max()) // per_day + 1, dtype=np.int64)
            .astype("datetime64[D]")
            .astype("datetime64[M]")
            .astype(np.int64)
        )
        self.month_lo = int(month_of_day[0])
        self.months = int(month_of_day[-1]) - self.month_lo + 1
        self._month_of_day = month_of_day - self.month_lo
        if mp is None:
            self.sites = np.array([KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE)])
        else:
            seen = np.zeros(len(KNOWN_MARKETPLACES), dtype=np.int64)
            for a in range(0, n, _BLOCK_ROWS):
                seen += np.bincount(mp[a : a + _BLOCK_ROWS], minlength=len(KNOWN_MARKETPLACES))
            self.sites = np.flatnonzero(seen)
        self._rank = np.zeros(len(KNOWN_MARKETPLACES), dtype=np.int64)
        self._rank[self.sites] = np.arange(len(self.sites))
        self.size = (int(seller.max()) + 1) * len(self.sites) * self.months
        self._key: np.ndarray | None = None

    def block(self, a: int, b: int) -> np.ndarray:
        """Keys of rows ``a:b`` (int64; a fresh array unless ``key`` was built)."""
        if self._key is not None:
            return self._key[a:b]
        g = self._seller[a:b].astype(np.int64)
        if self._mp is not None:
            g *= len(self.sites)
            g += self._rank[self._mp[a:b]]
        g *= self.months
        day = self._time[a:b] // self._per_day if self._per_day != 1 else self._time[a:b].astype(np.int64)
        day -= self._d_lo
        g += self._month_of_day[day]  # + the month offset
        return g

    @property
    def key(self) -> np.ndarray:
        """Keys of all rows (built in blocks: no row-sized temporary beside them)."""
        if self._key is None:
            key = np.empty(self.n, dtype=np.int64)
            for a in range(0, self.n, _BLOCK_ROWS):
                key[a : a + _BLOCK_ROWS] = self.block(a, min(a + _BLOCK_ROWS, self.n))
            self._key = key
        return self._key

    def decode(self, key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seller code, marketplace code (int8) and month index of each of ``key``."""
        per_seller = len(self.sites) * self.months
        return (
            key // per_seller,
            self.sites[(key // self.months) % len(self.sites)].astype(np.int8),
            key % self.months + self.month_lo,
        )


_BLOCK_ROWS = 1 << 20
# a table of up to this many cells beyond 4 per row is cheaper than sorting the keys, however few the rows
_CELL_TABLE_SLACK = 1 << 16


@dataclass
class _Cells:
    """Seller-marketplace-months of order rows: each row's ``group`` and, per group in key order, its parts."""

    group: np.ndarray  # intp, per row
    cell: np.ndarray  # int64 key per group, increasing
    seller: np.ndarray  # seller code per group
    mp: np.ndarray  # int8 marketplace code per group
    month: np.ndarray  # int64 month index (months since 1970-01) per group


def _month_cells(seller: np.ndarray, mp: np.ndarray, day: np.ndarray) -> _Cells:
    """Group order rows by (seller, marketplace, calendar month of the day), in that key order, in O(rows).

    The cell keys (:class:`_CellKeys`) index a table when there are at most four times as many possible keys as
    rows (the usual case: about 20 orders per seller-month), else the keys are sorted (``np.unique``).
    """
    if not len(day):
        empty = np.empty(0, np.int64)
        return _Cells(empty.astype(np.intp), empty, empty, empty.astype(np.int8), empty)
    cells = _CellKeys(seller, mp, day, per_day=1)
    key = cells.key
    if cells.size <= 4 * len(key) + _CELL_TABLE_SLACK:
        counts = np.bincount(key, minlength=cells.size)
        cell = np.flatnonzero(counts)
        place = np.cumsum(counts > 0) - 1
        group = place[key]
    else:
        cell, group = np.unique(key, return_inverse=True)
    return _Cells(group.astype(np.intp, copy=False), cell, *cells.decode(cell))


def load_dataset(folder) -> dict[str, LoadResult]:
    """Load a ``data/raw/<name>/`` folder: whichever of sellers, monthly_sales and claims exist.

    Each table may be ``<table>.parquet``, a ``<table>/`` folder of Parquet files, or ``<table>.csv``. Raises
    ``InputError`` if the folder is missing or holds none of them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("dataset folder not found", path=folder)
    loaders = {"sellers": load_sellers, "monthly_sales": load_monthly_sales, "claims": load_claims}
    out: dict[str, LoadResult] = {}
    for table, loader in loaders.items():
        for cand in (folder / f"{table}.parquet", folder / table, folder / f"{table}.csv"):
            if cand.exists():
                out[table] = loader(cand)
                break
    if not out:
        raise InputError(
            "no sellers, monthly_sales or claims table (.parquet, folder or .csv) in the dataset folder",
            path=folder,
        )
    return out
