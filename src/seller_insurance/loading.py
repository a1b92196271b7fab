"""The loading layer: every notebook and command reads its input through here.

Each loader reads a CSV (comma, semicolon, tab or pipe; UTF-8 with or without BOM, Latin-1 fallback), a Parquet
file, or a folder of Parquet files, maps the columns onto the data contract (``schema.py``) and returns a
:class:`LoadResult`: a clean, typed frame plus one rejects row per source row that could not be used, with its
line number, the reason and the original values. Nothing is dropped silently:
``rows_accepted + len(rejects) == rows_read`` always.

Errors that make a whole file unusable (missing file, unreadable or empty file, missing required column) raise
``InputError`` naming the file and column. A file whose rows are all rejected is *not* an error here: the caller
writes the rejects first (:func:`write_rejects`) and then calls :func:`ensure_usable`, which raises.

The decisions (aliases, money and month formats, marketplaces, duplicates, refunds) are documented in
``docs/your-own-data.md``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seller_insurance import parsing
from seller_insurance.errors import InputError
from seller_insurance.loading_buffers import Accumulator
from seller_insurance.loading_io import NotUtf8, Source, open_source
from seller_insurance.loading_rejects import (
    REJECT_COLUMNS,
    Rejects,
    empty_rejects,
    reasons_from_table,
    reasons_with_number,
)
from seller_insurance.months import NO_MONTH
from seller_insurance.policy import (
    CLAIM_STATUSES,
    CLAIM_TYPES,
    DEFAULT_MARKETPLACE,
    KNOWN_MARKETPLACES,
    SITE_CURRENCY,
)
from seller_insurance.safe_export import to_spreadsheet_csv

__all__ = ["REJECT_COLUMNS", "LoadResult", "ensure_usable", "load_claims", "load_dataset", "load_monthly_sales",
           "load_sellers", "rejects_path", "write_rejects"]

# --- column names --------------------------------------------------------------------------------------------------

# Accepted names per contract column (compared after parsing.normalise_name: case, spaces and punctuation ignored).
# The contract name itself always matches first; then the aliases in this order.
ALIASES: dict[str, tuple[str, ...]] = {
    "seller_id": ("seller", "sellerid", "seller_code", "merchant_id", "merchant", "merchant_token"),
    "marketplace": ("site", "marketplace_code", "market", "country", "sales_channel", "store"),
    "month": ("sales_month", "period", "month_start", "reporting_month", "year_month", "yearmonth"),
    "gross_sales": ("gross", "sales", "revenue", "gross_revenue", "gross_proceeds", "total_sales",
                    "ordered_product_sales", "sales_amount"),
    "currency": ("currency_code", "ccy"),
    "orders": ("order_count", "num_orders", "n_orders", "total_orders", "total_order_items"),
    "units": ("units_ordered", "units_sold", "quantity", "qty"),
    # order-level exports
    "order_date": ("purchase_date", "order_datetime", "transaction_date", "order_time", "date"),
    "amount": ("order_amount", "order_total", "total", "item_price", "price", "sale_amount", "value"),
    "order_id": ("amazon_order_id", "order_number", "order_no"),
    # claims
    "claim_id": ("claim", "claim_number", "claim_no", "claim_ref"),
    "filed_date": ("filed", "filed_on", "date_filed", "claim_date", "filing_date", "date"),
    "claim_type": ("type", "claim_category"),
    "status": ("claim_status", "state"),
    # sellers
    "category": ("product_category", "main_category"),
    "launch_month": ("launch", "launch_date", "start_month", "first_month", "start_date"),
    "churn_month": ("churn", "churn_date", "end_month", "stop_month"),
    "fulfilment_channel": ("fulfillment_channel", "channel", "fulfilment", "fulfillment"),
    "size_band": ("band",),
}
CLAIM_AMOUNT_ALIASES = ("claim_amount", "amount_usd", "claimed_amount", "value")

FULFILMENT_CHANNELS = ("FBA", "FBM")
FULFILMENT_ALIASES = {"AFN": "FBA", "MFN": "FBM", "Amazon": "FBA", "Merchant": "FBM"}


def resolve_columns(columns: list[str], wanted: dict[str, tuple[str, ...]], column_map: dict[str, str] | None,
                    path) -> dict[str, str]:
    """Map contract column -> source column name, for the contract columns found.

    ``column_map`` maps source names to contract names and wins over the aliases; its keys must exist (compared
    exactly, then by normalised name). Two source columns that both match a contract column equally well are an
    error (``InputError``) rather than a guess.
    """
    norm = [parsing.normalise_name(c) for c in columns]
    out: dict[str, str] = {}
    used: set[int] = set()
    for src, target in (column_map or {}).items():
        t = parsing.normalise_name(target)
        if src in columns:
            i = columns.index(src)
        elif parsing.normalise_name(src) in norm:
            i = norm.index(parsing.normalise_name(src))
        else:
            raise InputError(f"column_map names column {src!r}, which is not in the file; columns found: "
                             f"{_list(columns)}", path=path, column=str(src))
        out[t] = columns[i]
        used.add(i)
    for target, aliases in wanted.items():
        if target in out:
            continue
        for name in (target, *aliases):
            hits = [i for i, n in enumerate(norm) if n == name and i not in used]
            if len(hits) > 1:
                raise InputError(f"columns {_list([columns[i] for i in hits])} all look like {target!r}; "
                                 "pass a column mapping to say which to use", path=path, column=target)
            if hits:
                out[target] = columns[hits[0]]
                used.add(hits[0])
                break
    return out


def _list(names) -> str:
    return ", ".join(repr(str(n)) for n in names) if len(names) else "(none)"


def _require(found: dict[str, str], required: list[str], columns: list[str], path, what: str) -> None:
    missing = [c for c in required if c not in found]
    if missing:
        hint = ", ".join(f"{m!r} (also accepted: {', '.join(ALIASES.get(m, ())[:4]) or '-'})" for m in missing)
        raise InputError(f"missing required column {hint} for {what}; columns found: {_list(columns)}",
                         path=path, column=missing[0])


# --- the result ----------------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """A loaded table and its rejects.

    ``frame``: clean, typed rows. ``rejects``: one row per rejected source row (``source_file``, ``source_line``
    1-based with the header as line 1, or the Parquet row number; ``reason`` = ``code: text``; then the original
    values as text). ``rows_read``: data rows read. ``rows_accepted``: source rows that went into ``frame`` (for
    order-level input these are order rows, aggregated into fewer monthly rows).
    """

    frame: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int
    source: str
    rows_accepted: int = -1
    kind: str = ""
    counts: dict[str, int] | None = None  # rejects per reason code (computed from ``rejects`` when None)

    def __post_init__(self):
        if self.rows_accepted < 0:
            self.rows_accepted = len(self.frame)

    def reject_counts(self) -> dict[str, int]:
        """Rejected rows per reason code, most frequent first (ties by code)."""
        if self.counts is not None:
            counts = Counter(self.counts)
        elif self.rejects.empty:
            return {}
        else:
            counts = Counter(self.rejects["reason"].astype(str).str.split(":", n=1).str[0].tolist())
        return dict(sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0])))

    def summary(self) -> str:
        """``read N rows: A accepted, R rejected (k duplicate_copy, j bad_month, ...)``."""
        parts = ", ".join(f"{n:,} {code}" for code, n in self.reject_counts().items())
        text = (f"read {self.rows_read:,} rows: {self.rows_accepted:,} accepted, {len(self.rejects):,} rejected"
                + (f" ({parts})" if parts else ""))
        if self.kind == "orders":
            text += f"; {len(self.frame):,} seller-months"
        return text


def ensure_usable(result: LoadResult) -> LoadResult:
    """Raise ``InputError`` if no row was accepted (call after writing the rejects); else return ``result``."""
    if result.rows_accepted == 0 or result.frame.empty:
        if result.rows_read == 0:
            raise InputError("no data rows (the file has a header and nothing else)", path=result.source)
        raise InputError(f"no usable row: {result.summary()}", path=result.source)
    return result


def rejects_path(out_path) -> Path:
    """``<OUT without extension>.rejects.csv``."""
    p = Path(out_path)
    return p.with_name(p.stem + ".rejects.csv") if p.suffix else p.with_name(p.name + ".rejects.csv")


def write_rejects(result: LoadResult, out_path) -> Path:
    """Write ``result.rejects`` beside ``out_path`` as ``<OUT without extension>.rejects.csv`` and return the path.

    Always written (header only when nothing was rejected), UTF-8, spreadsheet-safe (text starting with ``=``,
    ``+``, ``-``, ``@``, tab or CR is prefixed with ``'``, see ``safe_export``).
    """
    path = rejects_path(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rej = result.rejects if len(result.rejects.columns) else empty_rejects([])
    return to_spreadsheet_csv(rej, path)


# --- per-batch field parsing ---------------------------------------------------------------------------------------


def _col(table: pa.Table, name: str | None, columns: list[str]):
    if name is None:
        return None
    names = table.column_names
    return table.column(names.index(name)) if name in names else None


def _empty_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every field is empty text (blank lines of a CSV)."""
    n = table.num_rows
    if not table.num_columns or any(not parsing.is_text(c) for c in table.columns):
        return np.zeros(n, dtype=bool)
    out = np.ones(n, dtype=bool)
    for c in table.columns:
        out &= np.asarray(pc.fill_null(pc.equal(pc.utf8_length(c), 0), True).to_numpy(zero_copy_only=False),
                          dtype=bool)
        if not out.any():
            break
    return out


def _dict_column(col) -> pa.ChunkedArray:
    """Text column as a chunked dictionary array with trimmed values (dictionary work only, never per row)."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    out = []
    for ch in chunks:
        if not pa.types.is_dictionary(ch.type):
            if not parsing.is_text(ch):
                ch = pc.cast(ch, pa.string())
            ch = pc.dictionary_encode(ch)
        d = ch.dictionary
        td = pc.utf8_trim_whitespace(d)
        if not pc.all(pc.equal(td, d)).as_py():
            ch = pa.DictionaryArray.from_arrays(ch.indices, td)
        out.append(ch)
    return pa.chunked_array(out, type=out[0].type) if out else pa.chunked_array([], pa.dictionary(pa.int32(),
                                                                                                   pa.string()))


def _categorical(col, report_missing: bool = False):
    """Text column -> Categorical of trimmed values; null, empty and blank values get code -1.

    Parquet columns read with ``read_dictionary`` convert without making per-row Python strings; trimming and the
    empty check run on the categories only (in pyarrow). With ``report_missing`` returns ``(categorical,
    maybe_missing)`` where ``maybe_missing`` False guarantees no code is -1.
    """
    if not (pa.types.is_dictionary(col.type) and parsing.is_text(col)):
        if not parsing.is_text(col):
            col = pc.cast(col, pa.string())
        col = pc.dictionary_encode(col)
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    nulls = col.null_count
    if col.num_chunks == 0:
        cat = pd.Categorical([], categories=pd.Index([], dtype="str"))
        return (cat, False) if report_missing else cat
    cat = _sorted_chunks_categorical(col) if not nulls else None
    if cat is None:
        cat = _unified_categorical(col)
    cats_pa = pa.array(cat.categories.array) if len(cat.categories) else pa.array([], pa.string())
    if not parsing.is_text(cats_pa):
        cats_pa = pc.cast(cats_pa, pa.string())
    stripped = pc.utf8_trim_whitespace(cats_pa)
    changed = not pc.all(pc.equal(stripped, cats_pa)).as_py() if len(cats_pa) else False
    any_empty = pc.any(pc.equal(pc.utf8_length(stripped), 0)).as_py() if len(cats_pa) else False
    if not changed and not any_empty:
        return (cat, bool(nulls)) if report_missing else cat
    empty = np.asarray(pc.equal(pc.utf8_length(stripped), 0).to_numpy(zero_copy_only=False), dtype=bool)
    codes = np.asarray(cat.codes)
    stripped_idx = pd.Index(stripped.to_pandas(), dtype="str")
    inv, uniq = pd.factorize(stripped_idx.where(~empty, None), use_na_sentinel=True)
    inv = np.append(inv, -1).astype(np.int32)  # code -1 stays -1
    new_codes = inv[np.where(codes < 0, len(inv) - 1, codes)]
    out = pd.Categorical.from_codes(new_codes, categories=pd.Index(uniq, dtype="str"), validate=False)
    return (out, True) if report_missing else out


def _sorted_chunks_categorical(col: pa.ChunkedArray) -> pd.Categorical | None:
    """Categorical from dictionary chunks without hashing any string, when the data are sorted by this column.

    Parquet gives each row group its own dictionary in order of first appearance; for data sorted by seller id
    every dictionary is strictly increasing and each starts at or after the previous one's last value (equal only
    for a seller spanning two row groups). Then the global categories are the dictionaries laid end to end (the
    shared boundary value once) and each chunk's codes are its indices plus an offset: no unification hash table
    over a million ids. Returns None when the condition does not hold (the caller unifies the general way).
    """
    if not col.num_chunks:
        return None
    pieces, bases, total, prev_last, prev_d, prev_base = [], [], 0, None, None, 0
    for ch in col.chunks:
        d = ch.dictionary
        if not parsing.is_text(d):
            return None
        if len(d) == 0:
            bases.append(total)
            continue
        if prev_d is not None and (d is prev_d or d.equals(prev_d)):  # batches of one row group share it
            bases.append(prev_base)
            continue
        prev_d = d
        if len(d) > 1 and not pc.all(pc.greater(d.slice(1), d.slice(0, len(d) - 1))).as_py():
            return None
        first = d[0].as_py()
        if prev_last is not None and first < prev_last:
            return None
        if prev_last is not None and first == prev_last:
            prev_base = total - 1
            pieces.append(d.slice(1))
            total += len(d) - 1
        else:
            prev_base = total
            pieces.append(d)
            total += len(d)
        bases.append(prev_base)
        prev_last = d[len(d) - 1].as_py()
    codes = np.empty(len(col), dtype=np.int32)
    at = 0
    for ch, base in zip(col.chunks, bases, strict=True):
        n = len(ch)
        np.add(ch.indices.to_numpy(zero_copy_only=False), base, out=codes[at:at + n], casting="unsafe")
        at += n
    values = pa.concat_arrays([p.cast(pa.string()) for p in pieces]) if pieces else pa.array([], pa.string())
    cats = pd.Index(values.to_pandas(), dtype="str")
    try:  # the categories are strictly increasing, hence unique: skip pandas' uniqueness re-check
        dtype = pd.CategoricalDtype._from_fastpath(cats, False)
    except AttributeError:  # pragma: no cover - private pandas API gone
        dtype = pd.CategoricalDtype(cats)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _fast_dtype(cats: pd.Index) -> pd.CategoricalDtype:
    """CategoricalDtype of categories known to be unique (skips pandas' re-check over millions of ids)."""
    try:
        return pd.CategoricalDtype._from_fastpath(cats, False)
    except AttributeError:  # pragma: no cover - private pandas API gone
        return pd.CategoricalDtype(cats)


def _unified_categorical(col: pa.ChunkedArray) -> pd.Categorical:
    """Categorical of a chunked dictionary column: pyarrow unifies the dictionaries (unique values, first
    appearance order), the codes are copied once into one int32 buffer (nulls -> -1)."""
    u = col.unify_dictionaries()
    dictionary = u.chunk(0).dictionary
    if not parsing.is_text(dictionary) or not pa.types.is_string(dictionary.type):
        dictionary = pc.cast(dictionary, pa.string())
    codes = np.empty(len(u), dtype=np.int32)
    at = 0
    for ch in u.chunks:
        ind = pc.fill_null(ch.indices, -1) if ch.null_count else ch.indices
        codes[at:at + len(ch)] = ind.to_numpy(zero_copy_only=False)
        at += len(ch)
    cats = pd.Index(dictionary.to_pandas(), dtype="str")
    return pd.Categorical.from_codes(codes, dtype=_fast_dtype(cats), validate=False)


def _drop_unused(cat: pd.Categorical) -> pd.Categorical:
    """``remove_unused_categories`` in O(rows) (pandas sorts all codes with np.unique); order kept."""
    codes = np.asarray(cat.codes)
    n_cat = len(cat.categories)
    used = np.bincount(codes[codes >= 0] if (codes < 0).any() else codes, minlength=n_cat) > 0
    if used.all():
        return cat
    remap = np.cumsum(used, dtype=np.int64) - 1
    remap = np.append(remap, -1).astype(codes.dtype)  # code -1 stays -1
    new_codes = remap[np.where(codes < 0, n_cat, codes)]
    cats = cat.categories[used]
    try:
        dtype = pd.CategoricalDtype._from_fastpath(cats, False)
    except AttributeError:  # pragma: no cover - private pandas API gone
        dtype = pd.CategoricalDtype(cats)
    return pd.Categorical.from_codes(new_codes, dtype=dtype, validate=False)


def _union(cats: list[pd.Categorical]) -> pd.Categorical:
    if len(cats) == 1:
        return cats[0]
    if not cats:
        return pd.Categorical([], categories=pd.Index([], dtype="str"))
    from pandas.api.types import union_categoricals

    return union_categoricals(cats)


def _cat_lookup(cat: pd.Categorical, fn, dtype, fill) -> np.ndarray:
    """``fn`` applied to each category once, gathered per row (code -1 -> ``fill``)."""
    table = np.array([fn(v) for v in cat.categories] + [fill], dtype=dtype)
    codes = np.asarray(cat.codes)
    return table[np.where(codes < 0, len(table) - 1, codes)]


def _dict_lookup(dcol: pa.ChunkedArray, fn, dtype, fill) -> np.ndarray:
    """Apply ``fn`` to each dictionary value of each chunk once and gather per row (nulls -> ``fill``)."""
    parts = []
    for ch in dcol.chunks:
        table = np.array([fn(v) for v in ch.dictionary.to_pylist()] + [fill], dtype=dtype)
        ind = ch.indices.to_numpy(zero_copy_only=False)
        if ch.null_count:
            nulls = np.asarray(ch.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            ind = np.where(nulls, len(table) - 1, ind)
        parts.append(table[ind])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


_CURRENCIES = tuple(sorted(set(SITE_CURRENCY.values())))
_MP_DTYPE = pd.CategoricalDtype(pd.Index(list(KNOWN_MARKETPLACES), dtype="str"))
_SITE_CURRENCY_CODE = np.array([_CURRENCIES.index(SITE_CURRENCY[m]) for m in KNOWN_MARKETPLACES], dtype=np.int8)


def _currency_code(v) -> int:
    """Index into _CURRENCIES; -2 for blank (means: the site's currency); -1 for anything else."""
    if v is None or not str(v).strip():
        return -2
    t = str(v).strip().upper()
    return _CURRENCIES.index(t) if t in _CURRENCIES else -1


def _first_reason(checks: list[tuple[np.ndarray | None, str, str]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(bad mask, index of the first failing check per row) over ordered ``(mask, code, text)`` checks.

    A row failing several checks is reported under the first (the order of ``checks``).
    """
    failing = [k for k, (m, _, _) in enumerate(checks) if m is not None and m.any()]
    if not failing:
        return np.zeros(n, dtype=bool), np.empty(0, dtype=np.int16)
    which = np.full(n, -1, dtype=np.int16)
    for k in reversed(failing):
        which[checks[k][0]] = k
    return which >= 0, which


def _line_of(lines: np.ndarray | None, idx):
    """Line (CSV) or row number (Parquet, ``lines`` None: row index + 1) of batch rows ``idx``."""
    return np.asarray(idx, dtype=np.int64) + 1 if lines is None else lines[idx]


def _run(path, dictionary_of, load_fn):
    """Open ``path`` and run ``load_fn(src)``, restarting once with Latin-1 if the CSV is not UTF-8."""
    src = open_source(path)
    src.dictionary_columns = dictionary_of(src.columns)
    try:
        return load_fn(src)
    except NotUtf8:
        pass
    src = open_source(path)
    src.encoding = "latin1"
    src.columns = _reheader(src)
    src.dictionary_columns = dictionary_of(src.columns)
    try:
        return load_fn(src)
    except NotUtf8 as exc:  # pragma: no cover - Latin-1 decodes any byte
        raise InputError(f"cannot decode text ({exc})", path=path) from None


def _reheader(src: Source) -> list[str]:
    import csv
    import io

    with open(src.path, "rb") as fh:
        head = fh.read(1 << 16)
    text = head.decode("latin-1")
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=src.delimiter), src.columns)
    except csv.Error:
        return src.columns


# --- monthly sales -------------------------------------------------------------------------------------------------

_MONTHLY_FIELDS = ("seller_id", "marketplace", "month", "gross_sales", "currency", "orders", "units")
_ORDER_FIELDS = ("seller_id", "marketplace", "order_date", "amount", "currency", "order_id", "units")


def load_monthly_sales(path, *, column_map: dict[str, str] | None = None, kind: str = "auto") -> LoadResult:
    """Monthly gross sales per seller, marketplace and calendar month, from monthly or order-level exports.

    Parameters
    ----------
    path : CSV file, Parquet file, or folder of Parquet files.
    column_map : source column name -> contract name, for names the aliases do not cover.
    kind : ``"monthly"``, ``"orders"`` (one row per order: order date + amount, aggregated here to calendar months)
        or ``"auto"`` (orders when there is an order-date column and no month column).

    Returns
    -------
    LoadResult whose frame has ``seller_id`` (Categorical), ``marketplace`` (Categorical over
    ``policy.KNOWN_MARKETPLACES``; a missing column means ``policy.DEFAULT_MARKETPLACE``), ``month``
    (``datetime64[s]``, first of the month), ``gross_sales`` (float64, site currency, rounded to cents, >= 0), and
    ``currency``/``orders``/``units`` when present (counts int64, or Int64 when some are blank). One row per
    (seller_id, marketplace, month), ordered by seller (first appearance), marketplace, month.
    """
    if kind not in ("auto", "monthly", "orders"):
        raise ValueError(f"kind must be 'auto', 'monthly' or 'orders', not {kind!r}")
    wanted = {f: ALIASES[f] for f in _MONTHLY_FIELDS + ("order_date", "amount", "order_id")}

    def dict_cols(columns):
        found = resolve_columns(columns, wanted, column_map, path)
        return [found[c] for c in ("seller_id", "marketplace", "currency", "order_id") if c in found]

    def run(src: Source) -> LoadResult:
        found = resolve_columns(src.columns, wanted, column_map, src.path)
        k = kind
        if k == "auto":
            k = "orders" if ("month" not in found and "order_date" in found) else "monthly"
        if k == "orders":
            if "amount" not in found and "gross_sales" in found:
                found["amount"] = found.pop("gross_sales")
            _require(found, ["seller_id", "order_date", "amount"], src.columns, src.path, "order-level sales")
            use = {f: found[f] for f in _ORDER_FIELDS if f in found}
            src.read_columns = list(use.values())
            return _load_orders(src, use)
        _require(found, ["seller_id", "month", "gross_sales"], src.columns, src.path, "monthly sales")
        use = {f: found[f] for f in _MONTHLY_FIELDS if f in found}
        src.read_columns = list(use.values())
        return _load_monthly(src, use)

    return _run(path, dict_cols, run)


def _sales_checks(table, use, n, amount_field: str, allow_negative: bool):
    """Row-level parsing shared by monthly and order-level sales: returns parsed arrays and the checks list.

    ``time`` is the first-of-month day number (monthly) or the day number of the order (orders), NO_MONTH if bad.
    """
    cols = {f: _col(table, use.get(f), list(use.values())) for f in use}
    seller, missing_possible = _categorical(cols["seller_id"], report_missing=True)
    missing_id = (np.asarray(seller.codes) < 0) if missing_possible else None
    if cols.get("marketplace") is not None:
        mp = _cat_lookup(_categorical(cols["marketplace"]), parsing.marketplace_code, np.int8, -1)
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
        amount = _round_cents(amount, inplace=True)
    if not allow_negative and bool((amount >= 0).all()) and (not len(amount) or np.isfinite(amount.max())):
        bad_amount = negative = None  # the common clean case: two quick passes instead of four
    else:
        if ok_amount is None:
            ok_amount = np.isfinite(amount)
        bad_amount = ~ok_amount
        negative = None if allow_negative else (amount < 0)  # NaN compares False
    cur, bad_cur = None, None
    if cols.get("currency") is not None:
        cur = _cat_lookup(_categorical(cols["currency"]), _currency_code, np.int8, -2)
        us = _SITE_CURRENCY_CODE[KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE)]
        site = np.full(n, us, dtype=np.int8) if mp is None else _SITE_CURRENCY_CODE[np.maximum(mp, 0)]
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
        (_empty_rows(table), "empty_row", "every field is empty"),
        (missing_id, "missing_seller_id", "seller_id is empty"),
        (bad_mp, "bad_marketplace", "marketplace is empty or not a known site (" + ", ".join(KNOWN_MARKETPLACES)
         + "; GB is read as UK)"),
        (bad_time, "bad_month" if monthly else "bad_order_date",
         "month is empty or not a recognised month" if monthly else "order date is empty or not a recognised date"),
        (bad_amount, "bad_amount", f"{amount_field} is empty or not a number"),
        (negative, "negative_gross_sales", "gross_sales is negative"),
        (bad_cur, "currency_mismatch", "currency is not the site's currency (" + ", ".join(
            f"{m} {c}" for m, c in SITE_CURRENCY.items()) + ")"),
        (bad_count, "bad_count", "orders/units is not a whole number >= 0"),
    ]
    return dict(seller=seller, mp=mp, time=tm, amount=amount, cur=cur, counts=counts), checks


def _row_estimate(src: Source, first_batch_rows: int) -> int:
    """Generous estimate of the rows in ``src`` (buffer capacity; untouched pages cost no memory)."""
    if src.fmt == "parquet":
        try:
            return sum(pq.ParquetFile(f).metadata.num_rows for f in src.files) + 16
        except (OSError, pa.ArrowException):
            return first_batch_rows * max(len(src.files), 1)
    from seller_insurance import loading_io

    size = sum(f.stat().st_size for f in src.files)
    return int(first_batch_rows * max(size / loading_io.CSV_BLOCK_BYTES, 1.0) * 1.3) + 1024


def _iterate(src: Source, rejects: Rejects, per_batch, accumulate: bool = False):
    """Stream batches, collecting row-level rejects; returns (parsed parts, ok masks, batch meta, rows read).

    With ``accumulate`` the per-batch arrays are appended into growable buffers as they come (``parts`` and
    ``oks`` then hold one merged entry): the columns are never held twice, which is what bounds the peak memory
    of a large CSV.
    """
    parts, oks, metas = [], [], []
    acc = None
    pos = 0
    for batch in src.batches():
        table = batch.table
        n = table.num_rows
        parsed, checks = per_batch(table, n)
        bad, which = _first_reason(checks, n)
        if bad.any():
            idx = np.flatnonzero(bad)
            w = which[idx]
            rejects.add(table, idx, batch.file, _line_of(batch.lines, idx),
                        reasons_from_table(w, [f"{code}: {text}" for _, code, text in checks]),
                        np.array([c for _, c, _ in checks], dtype=object)[w])
        if accumulate:
            if acc is None:
                acc = Accumulator(_row_estimate(src, n))
            acc.add({"parsed": parsed, "ok": ~bad})
        else:
            parts.append(parsed)
            oks.append(~bad)
        metas.append((batch.file, pos, n, batch.lines, table if src.fmt == "parquet" else None))
        pos += n
        del table, parsed, checks, bad, which
    if acc is not None:
        merged = acc.finish()
        parts, oks = [merged["parsed"]], [merged["ok"]]
    if not parts:  # a header without rows: parse an empty table so every array exists (length 0)
        table = pa.table({c: pa.array([], pa.string()) for c in dict.fromkeys(src.columns)})
        parsed, _ = per_batch(table, 0)
        parts.append(parsed)
        oks.append(np.zeros(0, dtype=bool))
        metas.append((str(src.files[0]), 0, 0, np.zeros(0, np.int64), table))
    return parts, oks, metas, pos


def _originals_at(src: Source, metas, positions: np.ndarray, rejects: Rejects, codes: np.ndarray,
                  reasons: pa.Array) -> None:
    """Add rejects for rows at read-order ``positions`` found bad after the read (duplicates, month totals).

    Parquet: taken from the tables still in memory. CSV: a second streamed pass picks the rows (only when there
    are such rejects), so the first pass never keeps text columns.
    """
    if not len(positions):
        return
    positions = np.asarray(positions, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    positions, codes, reasons = positions[order], np.asarray(codes, dtype=object)[order], reasons.take(
        pa.array(order))
    starts = np.array([m[1] for m in metas], dtype=np.int64)
    which = np.searchsorted(starts, positions, side="right") - 1
    batches = ((k, m[4], m[0], m[3]) for k, m in enumerate(metas)) if src.fmt == "parquet" else (
        (k, b.table, b.file, b.lines) for k, b in enumerate(src.batches()))
    for k, table, file, lines in batches:
        sel = np.flatnonzero(which == k)
        if len(sel):
            local = positions[sel] - metas[k][1]
            rejects.add(table, local, file, _line_of(lines, local), reasons.take(pa.array(sel)), codes[sel])


def _day_datetime(days: np.ndarray) -> np.ndarray:
    """datetime64[s] from day numbers (days since 1970-01-01)."""
    out = np.multiply(days, 86_400, dtype=np.int64)
    return out.view("datetime64[s]")


def _month_datetime(idx: np.ndarray) -> np.ndarray:
    """datetime64[s] first-of-month values from month indices, via a small lookup table."""
    if not len(idx):
        return np.empty(0, dtype="datetime64[s]")
    lo, hi = int(idx.min()), int(idx.max())
    table = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[M]").astype("datetime64[s]")
    return table[idx - lo]


def _round_cents(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    """Round to cents exactly as ``np.round(x, 2)`` (x*100, round half to even, /100), in place if asked."""
    out = x if (inplace and x.flags.writeable) else np.multiply(x, 100.0)
    if out is x:
        np.multiply(out, 100.0, out=out)
    np.rint(out, out=out)
    np.divide(out, 100.0, out=out)
    return out


def _strictly_increasing(levels: list[np.ndarray], block: int = 1 << 18) -> bool:
    """Whether rows are strictly increasing in lexicographic order of ``levels`` (sorted, no equal keys).

    Evaluated in cache-sized blocks with reused byte buffers: no combined int64 key and no row-sized temporaries,
    and the common case (data already sorted by seller, marketplace, month without duplicates) needs nothing more.
    """
    n = len(levels[0])
    if n < 2:
        return True
    gt, eq, tmp = (np.empty(min(block, n - 1), dtype=bool) for _ in range(3))
    for s in range(0, n - 1, block):
        e = min(s + block, n - 1)
        m = e - s
        g, q, t = gt[:m], eq[:m], tmp[:m]
        for i, a in enumerate(levels):
            hi, lo = a[s + 1:e + 1], a[s:e]
            if i == 0:
                np.greater(hi, lo, out=g)
                np.equal(hi, lo, out=q)
                continue
            np.greater(hi, lo, out=t)
            t &= q
            g |= t
            if i < len(levels) - 1:
                np.equal(hi, lo, out=t)
                q &= t
        if not g.all():
            return False
    return True


def _group_duplicates(key: np.ndarray, values: list[np.ndarray]):
    """Duplicate handling over a key array: returns (order, keep mask in order, copy positions, conflict positions).

    ``order`` sorts ``key`` (identity when already sorted); within a run of equal keys, rows whose values all equal
    the run's first row are copies (the first is kept); if any row differs, the whole run is a conflict.
    Positions are indices into the original arrays.
    """
    n = len(key)
    if n < 2:
        return None, np.ones(n, dtype=bool), np.empty(0, np.int64), np.empty(0, np.int64)
    if bool(np.all(key[1:] >= key[:-1])):
        order, k = None, key
    else:
        order = np.argsort(key, kind="stable")
        k = key[order]
    same = k[1:] == k[:-1]
    if not same.any():
        return order, np.ones(n, dtype=bool), np.empty(0, np.int64), np.empty(0, np.int64)
    # rows in a duplicate run, in sorted order
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    run_rows = np.flatnonzero(in_run)
    starts_flag = np.ones(len(run_rows), dtype=bool)
    starts_flag[1:] = ~same[run_rows[1:] - 1]
    run_id = np.cumsum(starts_flag) - 1
    first = run_rows[starts_flag][run_id]
    src_rows = run_rows if order is None else order[run_rows]
    src_first = first if order is None else order[first]
    differ = np.zeros(len(run_rows), dtype=bool)
    for v in values:
        a, b = v[src_rows], v[src_first]
        if a.dtype.kind == "f":
            differ |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
        else:
            differ |= a != b
    conflict_run = np.zeros(run_id[-1] + 1, dtype=bool)
    np.logical_or.at(conflict_run, run_id, differ)
    conflict = conflict_run[run_id]
    keep = np.ones(n, dtype=bool)  # in sorted order
    keep[run_rows[conflict | ~starts_flag]] = False
    copies = src_rows[~conflict & ~starts_flag]
    conflicts = src_rows[conflict]
    return order, keep, copies, conflicts


def _cat(parts: list[np.ndarray | None]) -> np.ndarray | None:
    """Concatenate per-batch arrays without copying the (common) single-batch case."""
    if not parts or parts[0] is None:
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _load_monthly(src: Source, use: dict[str, str]) -> LoadResult:
    rejects = Rejects(list(src.columns) if src.fmt == "csv" else [c for c in src.columns if c in use.values()])

    def per_batch(table, n):
        return _sales_checks(table, use, n, "gross_sales", allow_negative=False)

    parts, oks, metas, rows_read = _iterate(src, rejects, per_batch, accumulate=True)
    rows_read += rejects.add_malformed(src.malformed, src.delimiter)
    ok = _cat(oks) if oks else np.zeros(0, dtype=bool)
    seller = _union([p["seller"] for p in parts])
    codes = np.asarray(seller.codes)
    month = _cat([p["time"] for p in parts]) if parts else np.zeros(0, np.int64)
    gross = _cat([p["amount"] for p in parts]) if parts else np.zeros(0)
    has_mp = "marketplace" in use
    mp = _cat([p["mp"] for p in parts]) if has_mp else None
    cur = _cat([p["cur"] for p in parts]) if "currency" in use else None
    counts = {f: _cat([p["counts"][f] for p in parts]) for f in ("orders", "units") if f in use and parts}
    good = None if bool(ok.all()) else np.flatnonzero(ok)

    def sel(a):
        return a if (a is None or good is None) else a[good]

    codes_g, month_g, gross_g, mp_g, cur_g = sel(codes), sel(month), sel(gross), sel(mp), sel(cur)
    counts_g = {f: sel(v) for f, v in counts.items()}
    # duplicates: key = (seller code, marketplace, month start day), O(n) when already sorted by it
    key = np.empty(0, np.int64)
    order, keep, copies, conflicts = None, np.ones(0, dtype=bool), np.empty(0, np.int64), np.empty(0, np.int64)
    levels = [codes_g] + ([mp_g] if has_mp else []) + [month_g]
    if len(month_g) and not _strictly_increasing(levels):
        # key = (seller code, marketplace, month start); the constant offset of month starts does not change order
        # or equality, so no subtraction pass. Month starts are seconds; if the product could overflow int64, use
        # days instead.
        n_mp = len(KNOWN_MARKETPLACES) if has_mp else 1
        t = month_g
        span = int(t.max()) - int(t.min()) + 1
        if (int(codes_g.max(initial=0)) + 1) * n_mp * span >= 2**62:
            t = month_g // 86_400
            span = int(t.max()) - int(t.min()) + 1
        key = np.multiply(codes_g, span * n_mp, dtype=np.int64)
        if has_mp:
            key += mp_g.astype(np.int64) * span
        key += t
        values = [gross_g] + ([cur_g] if cur_g is not None else []) + list(counts_g.values())
        order, keep, copies, conflicts = _group_duplicates(key, values)
    if len(copies) or len(conflicts):
        gpos = np.arange(len(ok)) if good is None else good
        dpos = np.concatenate([gpos[copies], gpos[conflicts]])
        codes_txt, reasons = _dup_reasons(key, order, copies, conflicts, metas, gpos)
        _originals_at(src, metas, dpos, rejects, codes_txt, reasons)
    take = None
    if order is not None:
        take = order[keep] if not keep.all() else order
    elif not keep.all():
        take = np.flatnonzero(keep)

    def fin(a):
        return a if (a is None or take is None) else a[take]

    codes_f = fin(codes_g)
    n_out = len(codes_f)
    if take is None and good is None:
        seller_out = seller  # untouched: no copy, no re-validation of a million categories
    else:
        seller_out = _drop_unused(pd.Categorical.from_codes(codes_f, dtype=seller.dtype, validate=False))
    mp_f = fin(mp_g) if has_mp else np.full(n_out, KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE), dtype=np.int8)
    data = {
        "seller_id": seller_out,
        "marketplace": pd.Categorical.from_codes(mp_f, dtype=_MP_DTYPE, validate=False),
        "month": fin(month_g).view("datetime64[s]"),
        "gross_sales": fin(gross_g),  # rounded to cents when parsed
    }
    if cur_g is not None:
        data["currency"] = pd.Categorical.from_codes(fin(cur_g), categories=list(_CURRENCIES), validate=False)
    for f, v in counts_g.items():
        data[f] = _counts_out(fin(v))
    frame = pd.DataFrame(data, copy=False)
    return LoadResult(frame, rejects.frame(), rows_read, str(src.path), rows_accepted=n_out, kind="monthly",
                      counts=dict(rejects.counts))


def _counts_out(v: np.ndarray):
    """int64 counts, or nullable Int64 when some are blank (NaN)."""
    missing = np.isnan(v)
    if missing.any():
        return pd.arrays.IntegerArray(np.where(missing, 0, v).astype(np.int64), missing)
    return v.astype(np.int64)


def _dup_reasons(key, order, copies, conflicts, metas, gpos) -> tuple[np.ndarray, pa.Array]:
    """Codes and reason texts: copies name the line of the kept row, conflicts the size of the disagreeing run."""
    parts, codes = [], []
    if len(copies):
        ks = key if order is None else key[order]
        first_sorted = np.searchsorted(ks, key[copies], side="left")  # the kept row: first of its run
        first_src = first_sorted if order is None else order[first_sorted]
        parts.append(reasons_with_number("duplicate_copy: exact copy of line ", _lines_at(metas, gpos[first_src]),
                                         " (same seller, marketplace, month and values); that row is kept"))
        codes.append(np.full(len(copies), "duplicate_copy", dtype=object))
    if len(conflicts):
        _, inv, cnt = np.unique(key[conflicts], return_inverse=True, return_counts=True)
        parts.append(reasons_with_number("conflicting_duplicate: ", cnt[inv], " rows for the same seller, "
                                         "marketplace and month disagree; all are rejected"))
        codes.append(np.full(len(conflicts), "conflicting_duplicate", dtype=object))
    return np.concatenate(codes), pa.concat_arrays(parts)


def _lines_at(metas, positions: np.ndarray) -> np.ndarray:
    """Source line (or Parquet row number) of rows at read-order ``positions``."""
    positions = np.asarray(positions, dtype=np.int64)
    starts = np.array([m[1] for m in metas], dtype=np.int64)
    which = np.searchsorted(starts, positions, side="right") - 1
    out = np.empty(len(positions), dtype=np.int64)
    for k in np.unique(which):
        sel = which == k
        out[sel] = _line_of(metas[k][3], positions[sel] - metas[k][1])
    return out


# --- order-level sales -----------------------------------------------------------------------------------------


def _load_orders(src: Source, use: dict[str, str]) -> LoadResult:
    """Order rows -> monthly totals. Refunds (negative amounts) are summed in; a negative monthly total rejects
    every order row of that seller-month. Exact duplicate rows with the same order_id are copies (one kept);
    rows sharing an order_id with different values are item lines of one order and are kept (``orders`` counts
    distinct order ids). Without an order_id column no row is treated as a duplicate (identical orders happen)."""
    rejects = Rejects(list(src.columns) if src.fmt == "csv" else [c for c in src.columns if c in use.values()])

    def per_batch(table, n):
        parsed, checks = _sales_checks(table, use, n, "amount", allow_negative=True)
        if "order_id" in use:
            parsed["order_id"] = _categorical(_col(table, use["order_id"], []))
        return parsed, checks

    parts, oks, metas, rows_read = _iterate(src, rejects, per_batch, accumulate=True)
    rows_read += rejects.add_malformed(src.malformed, src.delimiter)
    ok = _cat(oks) if oks else np.zeros(0, dtype=bool)
    n = len(ok)
    seller = _union([p["seller"] for p in parts])
    df = pd.DataFrame({
        "pos": np.arange(n, dtype=np.int64),
        "seller": seller.codes.astype(np.int64),
        "mp": (np.concatenate([p["mp"] for p in parts]).astype(np.int64) if "marketplace" in use and parts
               else np.full(n, KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE), dtype=np.int64)),
        "day": np.concatenate([p["time"] for p in parts]) if parts else np.zeros(0, np.int64),
        "amount": np.concatenate([p["amount"] for p in parts]) if parts else np.zeros(0),
    })
    if "currency" in use and parts:
        df["cur"] = np.concatenate([p["cur"] for p in parts]).astype(np.int64)
    if "units" in use and parts:
        df["units"] = np.concatenate([p["counts"]["units"] for p in parts])
    if "order_id" in use and parts:
        oid = _union([p["order_id"] for p in parts])
        df["order_id"] = oid.codes.astype(np.int64)
    df = df[ok]
    late_pos, late_codes, late_reasons = [], [], []
    if "order_id" in df.columns:
        value_cols = [c for c in df.columns if c != "pos"]
        dup = df.duplicated(subset=value_cols, keep="first")
        if dup.any():
            first = df.groupby(value_cols, sort=False)["pos"].transform("min")[dup].to_numpy()
            late_pos.append(df.loc[dup, "pos"].to_numpy())
            late_codes.append(np.full(len(first), "duplicate_copy", dtype=object))
            late_reasons.append(reasons_with_number("duplicate_copy: exact copy of the order row on line ",
                                                    _lines_at(metas, first), "; that row is kept"))
            df = df[~dup]
    df["month"] = df["day"].to_numpy().astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    keys = ["seller", "mp", "month"]
    g = df.groupby(keys, sort=True)
    agg = g["amount"].sum().rename("gross_sales").to_frame()
    agg["gross_sales"] = _round_cents(agg["gross_sales"].to_numpy())
    if "order_id" in df.columns:
        agg["orders"] = g["order_id"].nunique().astype(np.int64)
    else:
        agg["orders"] = g.size().astype(np.int64)
    if "units" in df.columns:
        agg["units"] = g["units"].sum(min_count=1)
    if "cur" in df.columns:
        agg["cur"] = g["cur"].first()
    negative = agg["gross_sales"] < 0
    if negative.any():
        bad_keys = agg.index[negative]
        in_bad = df.set_index(keys).index.isin(bad_keys)
        k = int(in_bad.sum())
        late_pos.append(df.loc[in_bad, "pos"].to_numpy())
        late_codes.append(np.full(k, "negative_monthly_total", dtype=object))
        late_reasons.append(reasons_from_table(np.zeros(k, dtype=np.int32), [
            "negative_monthly_total: the seller's order amounts in this month sum to less than zero (refunds "
            "exceed sales)"]))
        df = df[~in_bad]
        agg = agg[~negative]
    if late_pos:
        _originals_at(src, metas, np.concatenate(late_pos), rejects, np.concatenate(late_codes),
                      pa.concat_arrays(late_reasons))
    agg = agg.reset_index()
    used_codes = agg["seller"].to_numpy().astype(np.int32)
    data = {
        "seller_id": _drop_unused(pd.Categorical.from_codes(used_codes, dtype=seller.dtype, validate=False)),
        "marketplace": pd.Categorical.from_codes(agg["mp"].to_numpy().astype(np.int8),
                                                 categories=list(KNOWN_MARKETPLACES), validate=False),
        "month": _month_datetime(agg["month"].to_numpy()),
        "gross_sales": agg["gross_sales"].to_numpy(dtype=np.float64),
    }
    if "cur" in agg.columns:
        data["currency"] = pd.Categorical.from_codes(agg["cur"].to_numpy().astype(np.int8),
                                                     categories=list(_CURRENCIES), validate=False)
    data["orders"] = agg["orders"].to_numpy(dtype=np.int64)
    if "units" in agg.columns:
        data["units"] = _counts_out(agg["units"].to_numpy(dtype=np.float64))
    frame = pd.DataFrame(data, copy=False)
    return LoadResult(frame, rejects.frame(), rows_read, str(src.path), rows_accepted=len(df), kind="orders",
                      counts=dict(rejects.counts))


# --- claims and sellers --------------------------------------------------------------------------------------------


def _text_values(col, n) -> np.ndarray:
    """Trimmed text per row as an object array ('' for null), via the dictionary (few distinct values)."""
    if col is None:
        return np.full(n, "", dtype=object)
    return _dict_lookup(_dict_column(col), lambda v: "" if v is None else v, object, "")


def _generic_load(path, column_map, wanted, required, what, per_batch_fn, key_fields, finish) -> LoadResult:
    def dict_cols(columns):
        found = resolve_columns(columns, wanted, column_map, path)
        return list(found.values())

    def run(src: Source) -> LoadResult:
        found = resolve_columns(src.columns, wanted, column_map, src.path)
        _require(found, required, src.columns, src.path, what)
        src.read_columns = list(found.values())
        rejects = Rejects(list(src.columns) if src.fmt == "csv" else [c for c in src.columns
                                                                       if c in found.values()])
        parts, oks, metas, rows_read = _iterate(src, rejects, lambda t, n: per_batch_fn(t, found, n))
        rows_read += rejects.add_malformed(src.malformed, src.delimiter)
        ok = np.concatenate(oks) if oks else np.zeros(0, dtype=bool)
        n = len(ok)
        cols = {c: np.concatenate([p[c] for p in parts]) if parts else np.zeros(0, dtype=object)
                for c in (parts[0].keys() if parts else [])}
        df = pd.DataFrame(cols)
        df["pos"] = np.arange(n, dtype=np.int64)
        df = df[ok]
        value_cols = [c for c in df.columns if c != "pos"]
        dup_any = df.duplicated(subset=key_fields, keep=False)
        if dup_any.any():
            d = df[dup_any]
            n_distinct = d.drop_duplicates(subset=value_cols).groupby(key_fields, sort=False).size()
            d = d.join(n_distinct.rename("_variants"), on=key_fields)
            first_pos = d.groupby(key_fields, sort=False)["pos"].transform("min").to_numpy()
            pos_d, variants = d["pos"].to_numpy(), d["_variants"].to_numpy()
            conflict = variants > 1
            copy = ~conflict & (pos_d != first_pos)
            keys_text = " and ".join(key_fields)
            late_pos = np.concatenate([pos_d[conflict], pos_d[copy]])
            codes = np.array(["conflicting_duplicate"] * int(conflict.sum()) + ["duplicate_copy"] * int(copy.sum()),
                             dtype=object)
            reasons = pa.concat_arrays([
                reasons_from_table(np.zeros(int(conflict.sum()), np.int32), [
                    f"conflicting_duplicate: rows with the same {keys_text} disagree; all are rejected"]),
                reasons_with_number("duplicate_copy: exact copy of line ", _lines_at(metas, first_pos[copy]),
                                    "; that row is kept"),
            ])
            _originals_at(src, metas, late_pos, rejects, codes, reasons)
            df = df[~df["pos"].isin(late_pos)]
        frame = finish(df.drop(columns="pos").reset_index(drop=True))
        return LoadResult(frame, rejects.frame(), rows_read, str(src.path), rows_accepted=len(frame), kind=what,
                          counts=dict(rejects.counts))

    return _run(path, dict_cols, run)


def _marketplace_text(col, n):
    if col is None:
        return np.full(n, DEFAULT_MARKETPLACE, dtype=object), None
    code = _dict_lookup(_dict_column(col), parsing.marketplace_code, np.int8, -1)
    names = np.array(list(KNOWN_MARKETPLACES) + [""], dtype=object)
    return names[np.where(code < 0, len(KNOWN_MARKETPLACES), code)], code < 0


def load_claims(path, *, column_map: dict[str, str] | None = None) -> LoadResult:
    """Claims per ``schema.CLAIMS``: claim_id, seller_id, marketplace (if present), filed_date (datetime64[s]),
    claim_type (one of ``policy.CLAIM_TYPES``), amount (USD, > 0, rounded to cents), status (``CLAIM_STATUSES``).

    A currency column, if present, must say USD. Duplicate claim ids: exact copies keep one row; rows that disagree
    are all rejected.
    """
    wanted = {f: ALIASES.get(f, ()) for f in ("claim_id", "seller_id", "marketplace", "filed_date", "claim_type",
                                               "status", "currency")}
    wanted["amount"] = ("amount",) + CLAIM_AMOUNT_ALIASES

    def per_batch(table, found, n):
        c = {f: _col(table, found.get(f), []) for f in wanted}
        claim_id = _text_values(c["claim_id"], n)
        seller = _text_values(c["seller_id"], n)
        mp, bad_mp = _marketplace_text(c["marketplace"], n)
        day = parsing.parse_days(c["filed_date"])
        amount, ok_amount = parsing.parse_money(c["amount"])
        ctype = parsing.parse_enum(c["claim_type"], CLAIM_TYPES)
        status = parsing.parse_enum(c["status"], CLAIM_STATUSES)
        bad_cur = None
        if c["currency"] is not None:
            cur = _text_values(c["currency"], n)
            bad_cur = (cur != "USD") & (cur != "usd") & (cur != "")
        checks = [
            (_empty_rows(table), "empty_row", "every field is empty"),
            (claim_id == "", "missing_claim_id", "claim_id is empty"),
            (seller == "", "missing_seller_id", "seller_id is empty"),
            (bad_mp, "bad_marketplace", "marketplace is empty or not a known site"),
            (day == NO_MONTH, "bad_date", "filed_date is empty or not a recognised date"),
            (~ok_amount, "bad_amount", "amount is empty or not a number"),
            (ok_amount & (amount <= 0), "non_positive_amount", "amount must be greater than zero"),
            (bad_cur, "currency_mismatch", "claim amounts are in USD; the currency column says otherwise"),
            (ctype < 0, "bad_claim_type", "claim_type is not one of " + ", ".join(CLAIM_TYPES)),
            (status < 0, "bad_status", "status is not one of " + ", ".join(CLAIM_STATUSES)),
        ]
        parsed = {"claim_id": claim_id, "seller_id": seller, "marketplace": mp, "filed_date": day,
                  "claim_type": ctype, "amount": amount, "status": status}
        return parsed, checks

    def finish(df: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame({
            "claim_id": pd.array(df["claim_id"].to_numpy(dtype=object), dtype="str"),
            "seller_id": pd.array(df["seller_id"].to_numpy(dtype=object), dtype="str"),
            "marketplace": pd.array(df["marketplace"].to_numpy(dtype=object), dtype="str"),
            "filed_date": df["filed_date"].to_numpy(dtype=np.int64).astype("datetime64[D]").astype("datetime64[s]"),
            "claim_type": pd.array(np.array(CLAIM_TYPES, dtype=object)[df["claim_type"].to_numpy(dtype=np.int64)]
                                   if len(df) else np.array([], dtype=object), dtype="str"),
            "amount": _round_cents(df["amount"].to_numpy(dtype=np.float64)),
            "status": pd.array(np.array(CLAIM_STATUSES, dtype=object)[df["status"].to_numpy(dtype=np.int64)]
                               if len(df) else np.array([], dtype=object), dtype="str"),
        })
        return out

    return _generic_load(path, column_map, wanted, ["claim_id", "seller_id", "filed_date", "claim_type", "amount",
                                                    "status"], "claims", per_batch, ["claim_id"], finish)


def load_sellers(path, *, column_map: dict[str, str] | None = None) -> LoadResult:
    """Sellers per ``schema.SELLERS``: one row per (seller_id, marketplace).

    ``launch_month``/``churn_month`` are ``datetime64[s]`` first-of-month (churn empty -> NaT; a churn month not
    after the launch month is rejected). ``fulfilment_channel`` FBA/FBM (AFN/MFN accepted), empty allowed.
    """
    wanted = {f: ALIASES.get(f, ()) for f in ("seller_id", "marketplace", "category", "launch_month", "churn_month",
                                               "fulfilment_channel", "size_band")}

    def per_batch(table, found, n):
        c = {f: _col(table, found.get(f), []) for f in wanted}
        seller = _text_values(c["seller_id"], n)
        mp, bad_mp = _marketplace_text(c["marketplace"], n)
        category = _text_values(c["category"], n)
        launch = parsing.parse_months(c["launch_month"])
        bad_churn = None
        if c["churn_month"] is not None:
            churn = parsing.parse_months(c["churn_month"])
            blank = _text_values(c["churn_month"], n) == "" if parsing.is_text(c["churn_month"]) else \
                np.asarray(c["churn_month"].is_null().to_numpy(zero_copy_only=False), dtype=bool)
            bad_churn = (churn == NO_MONTH) & ~blank
            churn = np.where(blank, NO_MONTH, churn)
            before = (churn != NO_MONTH) & (launch != NO_MONTH) & (churn <= launch)
        else:
            churn, before = np.full(n, NO_MONTH, dtype=np.int64), None
        channel, bad_channel = None, None
        if c["fulfilment_channel"] is not None:
            ch_text = _text_values(c["fulfilment_channel"], n)
            code = parsing.parse_enum(c["fulfilment_channel"], FULFILMENT_CHANNELS, FULFILMENT_ALIASES)
            bad_channel = (code < 0) & (ch_text != "")
            channel = np.where(code < 0, "", np.array(FULFILMENT_CHANNELS + ("",), dtype=object)[code])
        checks = [
            (_empty_rows(table), "empty_row", "every field is empty"),
            (seller == "", "missing_seller_id", "seller_id is empty"),
            (bad_mp, "bad_marketplace", "marketplace is empty or not a known site"),
            (category == "", "missing_category", "category is empty"),
            (launch == NO_MONTH, "bad_month", "launch_month is empty or not a recognised month"),
            (bad_churn, "bad_month", "churn_month is not a recognised month"),
            (before, "churn_before_launch", "churn_month is not after launch_month"),
            (bad_channel, "bad_fulfilment_channel", "fulfilment_channel is not FBA or FBM"),
        ]
        parsed = {"seller_id": seller, "marketplace": mp, "category": category, "launch_month": launch,
                  "churn_month": churn}
        if channel is not None:
            parsed["fulfilment_channel"] = channel
        if c["size_band"] is not None:
            parsed["size_band"] = _text_values(c["size_band"], n)
        return parsed, checks

    def finish(df: pd.DataFrame) -> pd.DataFrame:
        from seller_insurance.months import month_index_to_datetime64

        out = {
            "seller_id": pd.array(df["seller_id"].to_numpy(dtype=object), dtype="str"),
            "marketplace": pd.array(df["marketplace"].to_numpy(dtype=object), dtype="str"),
            "category": pd.array(df["category"].to_numpy(dtype=object), dtype="str"),
            "launch_month": month_index_to_datetime64(df["launch_month"].to_numpy(dtype=np.int64)).astype("M8[s]"),
            "churn_month": month_index_to_datetime64(df["churn_month"].to_numpy(dtype=np.int64)).astype("M8[s]"),
        }
        for c in ("fulfilment_channel", "size_band"):
            if c in df.columns:
                out[c] = pd.array(df[c].to_numpy(dtype=object), dtype="str")
        return pd.DataFrame(out)

    return _generic_load(path, column_map, wanted, ["seller_id", "marketplace", "category", "launch_month"],
                         "sellers", per_batch, ["seller_id", "marketplace"], finish)


# --- datasets ------------------------------------------------------------------------------------------------------


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
        raise InputError("no sellers, monthly_sales or claims table (.parquet, folder or .csv) in the dataset "
                         "folder", path=folder)
    return out
