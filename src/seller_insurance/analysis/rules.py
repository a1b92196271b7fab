"""The insurance rule engine: when does an N-month rule first require a seller to insure, old rule vs new rule.

Semantics (each one is a parameter with a default from :mod:`seller_insurance.policy`; the quotations and sources
are in ``docs/policy-facts.md``, the decisions in ``docs/rules.md``):

* **Unit**: a seller on a marketplace, ``(seller_id, marketplace)``. Input without a ``marketplace`` column is one
  marketplace, ``policy.DEFAULT_MARKETPLACE`` ("US").
* **Threshold**: per marketplace, in that marketplace's currency (``policy.DEFAULT_THRESHOLDS``: US 10,000 USD, CA
  10,000 CAD, MX 100,000 MXN, JP 1,000,000 JPY, UK 4,000 GBP, EU sites 5,000 EUR, SE 50,000 SEK, PL 22,500 PLN;
  Business Solutions Agreement s.9 and Seller Central help). ``threshold`` overrides it with one number (every
  site) or a mapping ``site -> number`` (other sites keep their default). A site with no threshold is a
  ``ValueError``.
* **Comparison**: a month *counts* when ``gross_sales > threshold`` (the contract says "exceed");
  ``inclusive=True`` gives ``>=`` (Amazon's Aug 2021 notice: "once you reach $10,000").
* **Calendar months**: a month with no row has zero sales and breaks a streak (rows are not months).
* **N-month rule**: triggers in the first month ``m`` such that each calendar month ``m-N+1 .. m`` counts. Old rule
  ``N = policy.OLD_RULE_MONTHS`` (3, BSA before 2021-09-01), new rule ``N = policy.NEW_RULE_MONTHS`` (1, from
  2021-09-01 on the US site).
* **History**: triggers are looked for over the whole history up to an optional ``end`` month (inclusive, the "as
  of" month; later rows are ignored). History before ``start`` counts (Amazon's 2021 email asked sellers with a past
  qualifying month for proof).
* **Insurance due**: the last day of the trigger month plus ``policy.INSURANCE_DUE_DAYS`` (30) days ("within thirty
  (30) days thereafter"); once required, always required ("throughout the remainder of the Term").
* **Status** (``compare_rules``), with ``start`` the month the new rule took effect (``policy.NEW_RULE_START``):
  ``already_required`` old trigger month < ``start`` (only when ``start`` is given); otherwise ``unaffected`` the new
  rule never triggers (then the old one never does either), ``newly_affected`` new triggers and old never does,
  ``accelerated`` both trigger and the new one is earlier, ``unchanged`` both trigger in the same month (possible
  only when the windows are equal). The new window may not be longer than the old one, so the new trigger is never
  later than the old one.

Input (``sales``): columns ``seller_id``, ``month`` (datetime64, any day in the month, or date objects / strings
that ``pandas.to_datetime`` reads), ``gross_sales`` (float, local currency) and optionally ``marketplace``.
``seller_id``/``marketplace`` may be ``str`` or ``Categorical`` (the loader gives Categorical; the engine then works
on the codes). Rows need not be sorted. Refused with ``ValueError``: missing columns, missing ids or months,
NaN ``gross_sales`` (NaN never compares as "exceeds" in numpy or SQL, so silently keeping it would read as zero
sales; the loading layer rejects such rows with a reason instead), and duplicated ``(seller_id, marketplace,
month)`` rows (they must be aggregated or removed before any streak logic; the message names an example).

Output rows: one per seller-marketplace present in ``sales``, ordered by ``seller_id`` then ``marketplace``
(lexicographic for ``str``; sorted categories for ``Categorical``). No global state; inputs are not modified.

Implementation: vectorised numpy on one integer key per row (group, month), built one block of rows at a time;
no Python loop per seller or per row. Sorted input (the generator's and the loader's order) is read in one pass
and not re-sorted; rows in any other order with unique keys are checked against a table of cells and only their
qualifying keys sorted; only a repeated key (an error, reported with two rows) or keys too sparse for the table
sort every row's key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from numbers import Real

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seller_insurance import months as mo
from seller_insurance import policy
from seller_insurance.arrow_text import big_endian_words, common_byte_length
from seller_insurance.policy import (
    DEFAULT_INCLUSIVE,
    DEFAULT_MARKETPLACE,
    DEFAULT_THRESHOLDS,
    INSURANCE_DUE_DAYS,
    NEW_RULE_MONTHS,
    OLD_RULE_MONTHS,
)

__all__ = [
    "STATUSES",
    "CalendarComparison",
    "Comparison",
    "Threshold",
    "calendar_arrays",
    "compare_arrays",
    "compare_rules",
    "evaluate_calendar",
    "insurance_due",
    "required_over_time",
    "resolve_thresholds",
    "trigger_months",
]

STATUSES = ("already_required", "newly_affected", "accelerated", "unchanged", "unaffected")
_ALREADY, _NEWLY, _ACCEL, _UNCHANGED, _UNAFFECTED = range(len(STATUSES))

Threshold = float | Mapping[str, float] | None

_MAX_DAY_TABLE = 4_000_000  # day -> month lookup tables up to ~11,000 years of days; beyond: numpy's calendar


# ---------------------------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------------------------
def _check_window(months: int, name: str = "months") -> int:
    if isinstance(months, bool) or not isinstance(months, int | np.integer) or months < 1:
        raise ValueError(f"{name} must be a whole number of months >= 1, got {months!r}")
    return int(months)


def _month_arg(value, name: str) -> int | None:
    """Month index of a ``start``/``end`` argument: ``'YYYY-MM'``, a date/Timestamp/datetime64, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return mo.parse_month(value)
        except ValueError:
            try:
                ts = pd.Timestamp(value)
            except (ValueError, TypeError):
                raise ValueError(f"{name}: not a month (expected YYYY-MM or a date): {value!r}") from None
    else:
        ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"{name}: missing month")
    return (ts.year - 1970) * 12 + ts.month - 1


def _check_number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or np.isnan(float(value)):
        raise ValueError(f"threshold {where} must be a number, got {value!r}")
    return float(value)


def resolve_thresholds(marketplaces: Iterable[str], threshold: Threshold = None) -> dict[str, float]:
    """Threshold (local currency) of each marketplace: defaults, one number for all, or a mapping of overrides.

    Raises ``ValueError`` naming the marketplaces that have no threshold (not a known site and not in the mapping)
    and for a threshold that is not a number (NaN included).
    """
    sites = list(marketplaces)
    if threshold is not None and not isinstance(threshold, Mapping):
        value = _check_number(threshold, "")
        return {site: value for site in sites}
    overrides = {str(k): _check_number(v, f"for {k!r}") for k, v in (threshold or {}).items()}
    out, missing = {}, []
    for site in sites:
        if site in overrides:
            out[site] = overrides[site]
        elif site in DEFAULT_THRESHOLDS:
            out[site] = float(DEFAULT_THRESHOLDS[site])
        else:
            missing.append(site)
    if missing:
        raise ValueError(
            f"no insurance threshold for marketplace(s) {', '.join(repr(s) for s in missing)}: known sites are "
            f"{', '.join(DEFAULT_THRESHOLDS)}; pass threshold=<number> or a mapping such as {{{missing[0]!r}: 10000}}"
        )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Input to arrays
# ---------------------------------------------------------------------------------------------------------------
_BLOCK_ROWS = 1 << 20  # rows per block where a row-sized temporary would otherwise be built


def _codes(
    col: pd.Series | None, name: str, n_rows: int
) -> tuple[np.ndarray, pd.Index, bool, np.ndarray | None]:
    """Integer codes of a key column, its categories, whether it was Categorical, and each code's value rank.

    The rank of each code in value order is None when the codes are already in value order. Categorical codes
    are used as they are (no per-row remap); the output is put in value order at the end, on one row per
    seller-marketplace.
    """
    rank = None
    if col is None:
        return np.zeros(n_rows, dtype=np.int8), pd.Index([DEFAULT_MARKETPLACE]), False, None
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.array.codes
        cats = col.cat.categories
        if not _increasing(cats):
            rank = np.empty(len(cats), dtype=np.int64)
            rank[_text_order(cats)] = np.arange(len(cats))
        categorical = True
    else:
        try:
            codes, cats = pd.factorize(col, sort=True)
        except TypeError as exc:
            raise ValueError(f"{name}: values of mixed types cannot be ordered ({exc})") from None
        cats = pd.Index(cats)
        categorical = False
    if n_rows and codes.min() < 0:
        row = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(f"{name} is missing in {int((codes < 0).sum())} row(s), e.g. row {col.index[row]!r}")
    return codes, cats, categorical, rank


class _MonthCodes:
    """Month index (int64, months since 1970-01) of each row of a datetime column (tz: local time), by blocks.

    Exact integer arithmetic: days since 1970-01-01 (floor division in the column's own unit), then a day -> month
    lookup table over the days spanned (a few thousand entries), so the calendar is computed once per day, not
    once per row; ``block(a, b)`` gives rows ``a:b``, so the caller never holds a row-sized month array (0.9 GB
    at 112M rows) beside the keys it builds. ``lo``/``hi``: the first and last month (the mapping is monotone).
    """

    def __init__(self, col: pd.Series):
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            col = col.dt.tz_localize(None)
        if not (isinstance(col.dtype, np.dtype) and col.dtype.kind == "M"):
            try:
                col = pd.to_datetime(col)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"month: not a date or YYYY-MM ({exc})") from None
            if isinstance(col.dtype, pd.DatetimeTZDtype):
                col = col.dt.tz_localize(None)
        values = col.to_numpy()
        self.raw = values.view(np.int64)
        self.full: np.ndarray | None = None
        self.lo = self.hi = 0
        if len(self.raw) == 0:
            return
        lo_raw, hi_raw = int(self.raw.min()), int(self.raw.max())
        if lo_raw == np.iinfo(np.int64).min:  # NaT
            row = int(np.flatnonzero(self.raw == lo_raw)[0])
            raise ValueError(f"month is missing (NaT) in row {col.index[row]!r}")
        unit, _ = np.datetime_data(values.dtype)
        per_day = {
            "D": 1,
            "h": 24,
            "m": 1440,
            "s": 86_400,
            "ms": 86_400_000,
            "us": 86_400_000_000,
            "ns": 86_400_000_000_000,
        }.get(unit)
        if per_day is None or (hi_raw - lo_raw) // per_day > _MAX_DAY_TABLE:  # odd units or huge spans: numpy
            self.full = values.astype("datetime64[M]").astype(np.int64)
            self.lo, self.hi = int(self.full.min()), int(self.full.max())
            return
        self.per_day, self.day_lo = per_day, lo_raw // per_day
        self.table = (
            np.arange(self.day_lo, hi_raw // per_day + 1, dtype=np.int64)
            .astype("datetime64[D]")
            .astype("datetime64[M]")
            .astype(np.int64)
        )
        self.lo, self.hi = int(self.table[0]), int(self.table[-1])

    def block(self, a: int, b: int) -> np.ndarray:
        """Month indices of rows ``a:b`` (a fresh array)."""
        if self.full is not None:
            return self.full[a:b].copy()
        days = self.raw[a:b] // self.per_day if self.per_day != 1 else self.raw[a:b].copy()
        days -= self.day_lo
        return self.table.take(days)


def _money(col: pd.Series) -> np.ndarray:
    try:
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"gross_sales must be numeric ({exc})") from None
    return values


@dataclass
class _Prepared:
    """Rows reduced to what the rules need: the sorted keys of the qualifying (counting) months.

    ``key = group * stride + (month - month_lo)`` with ``group = seller_code * n_mp + marketplace_code`` and
    ``stride = month span + 1``; the spare slot between groups makes "the next calendar month of the same
    seller-marketplace" exactly ``key + 1``.
    """

    groups: np.ndarray  # int64 sorted unique group codes present in the input
    seller_cats: pd.Index
    seller_categorical: bool
    seller_ordered: bool
    mp_cats: pd.Index
    mp_categorical: bool
    n_mp: int
    stride: int
    month_lo: int
    q_keys: np.ndarray  # keys of the qualifying rows (month counts and is <= end), strictly increasing
    order: np.ndarray | None = (
        None  # permutation putting groups in value order (None: code order is value order)
    )

    def first_trigger(self, months: int) -> np.ndarray:
        """Month index of the first trigger of an N-month rule per group (``NO_MONTH`` when none).

        A qualifying row j ends a run of N consecutive counting months iff ``q_keys[j] - q_keys[j-N+1] == N-1``:
        keys strictly increase, each step is >= 1, and only a step of exactly 1 is the next month of the same group.
        """
        out = np.full(len(self.groups), mo.NO_MONTH, dtype=np.int64)
        q = self.q_keys
        w = months - 1
        if w:
            if len(q) <= w:
                return out  # all NO_MONTH: order does not matter
            keys = q[w:][(q[w:] - q[:-w]) == w]
        else:
            keys = q
        if len(keys) == 0:
            return out
        g = keys // self.stride
        first = np.ones(len(g), dtype=bool)
        np.not_equal(g[1:], g[:-1], out=first[1:])
        g, keys = g[first], keys[first]
        out[np.searchsorted(self.groups, g)] = (keys - g * self.stride).astype(np.int64) + self.month_lo
        return out if self.order is None else out[self.order]

    def ids(self):
        """seller_id and marketplace values of each group, in the input's kind (Categorical stays Categorical)."""
        groups = self.groups if self.order is None else self.groups[self.order]
        s_codes = groups // self.n_mp
        m_codes = groups - s_codes * self.n_mp
        return (
            _values(s_codes, self.seller_cats, self.seller_categorical, self.seller_ordered),
            _values(m_codes, self.mp_cats, self.mp_categorical, False),
        )


def _values(codes: np.ndarray, cats: pd.Index, categorical: bool, ordered: bool):
    if categorical:
        # ``cats`` are the input Categorical's own (unique) categories: pandas' re-check of their uniqueness
        # hashed every one of them (1.5 s for 5M seller ids), so the dtype is built without it where pandas allows
        try:
            dtype = pd.CategoricalDtype._from_fastpath(cats, ordered)
        except AttributeError:  # pragma: no cover - private pandas API gone
            dtype = pd.CategoricalDtype(cats, ordered=ordered)
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return cats.take(codes).array


def _prepare(sales: pd.DataFrame, threshold: Threshold, inclusive: bool, end: int | None) -> _Prepared:
    if not isinstance(sales, pd.DataFrame):
        raise TypeError(f"sales must be a pandas DataFrame, got {type(sales).__name__}")
    missing = [c for c in ("seller_id", "month", "gross_sales") if c not in sales.columns]
    if missing:
        raise ValueError(
            f"sales is missing column(s) {', '.join(missing)} (has: {', '.join(map(str, sales.columns))})"
        )
    n = len(sales)
    s_codes, s_cats, s_cat, s_rank = _codes(sales["seller_id"], "seller_id", n)
    mp_col = sales["marketplace"] if "marketplace" in sales.columns else None
    m_codes, m_cats, m_cat, m_rank = _codes(mp_col, "marketplace", n)
    months = _MonthCodes(sales["month"])
    values = _money(sales["gross_sales"])
    if n and np.isnan(values).any():
        row = int(np.flatnonzero(np.isnan(values))[0])
        raise ValueError(
            f"gross_sales is NaN in {int(np.isnan(values).sum())} row(s), e.g. row {sales.index[row]!r}: a missing "
            "amount is neither zero nor over the threshold (NaN never compares as 'exceeds'); drop or fill it "
            "first (the loading layer rejects such rows with a reason)"
        )

    # Thresholds per marketplace code; a site with no threshold is an error only if it has rows.
    n_mp = len(m_cats)
    site_names = [str(c) for c in m_cats]
    known = resolve_thresholds([s for s in site_names if _has_threshold(s, threshold)], threshold)
    if len(known) < n_mp:
        used = np.bincount(m_codes.astype(np.intp), minlength=n_mp) > 0 if n else np.zeros(n_mp, dtype=bool)
        resolve_thresholds(
            [s for s, u in zip(site_names, used, strict=True) if u], threshold
        )  # raises if used
    thr_by_code = np.array(
        [known.get(s, np.inf) for s in site_names], dtype=np.float64
    )  # no rows: never counts

    seller_ordered = _is_ordered(sales["seller_id"])
    if n == 0:
        none = np.zeros(0, dtype=np.int64)
        return _Prepared(none, s_cats, s_cat, seller_ordered, m_cats, m_cat, n_mp, 1, 0, none)

    month_lo = months.lo
    stride = months.hi - month_lo + 2  # span + 1 spare slot
    n_keys = (int(s_codes.max()) + 1) * n_mp * stride
    if n_keys >= 2**62:
        raise ValueError("too many seller-marketplace-months to index (more than 2**62)")
    kt = np.int32 if n_keys < 2**31 else np.int64  # half the memory traffic when it fits

    one_site = n_mp == 1 or int(m_codes.min()) == int(m_codes.max())
    site_part = kt(int(m_codes[0]) * stride) if one_site else None

    def block_keys(a: int, b: int, base: np.ndarray | None = None, keys: np.ndarray | None = None):
        """Rows ``a:b``: base = group * stride, key = base + month offset (into ``base``/``keys`` when given)."""
        base = np.empty(b - a, dtype=kt) if base is None else base
        keys = np.empty(b - a, dtype=kt) if keys is None else keys
        np.multiply(s_codes[a:b], n_mp * stride, out=base, dtype=kt, casting="unsafe")
        if one_site:
            base += site_part
        else:
            base += m_codes[a:b].astype(kt) * kt(stride)
        np.subtract(months.block(a, b), month_lo, out=keys, casting="unsafe")
        keys += base
        return base, keys

    end_offset = None if end is None else end - month_lo
    present = _present_sites(m_codes, n_mp)
    qualifying = partial(
        _qualifying,
        thr_by_code=thr_by_code,
        inclusive=inclusive,
        end_offset=end_offset,
        present=present,
    )
    # Rows in key order (the usual file, sorted by seller then month): one pass over blocks of rows, no row-sized
    # array (on a VM whose host backs memory lazily each fresh GB cost 3-5 s of kernel time at 112M rows).
    found = _sorted_pass(n, block_keys, values, m_codes, stride, qualifying)
    if found is None:  # rows in any other order, keys unique and dense enough for a table of cells
        found = _unsorted_unique(n, block_keys, s_codes, m_codes, present, stride, values, qualifying)
    if found is None:  # a key repeats, or too sparse for the table: sort every row's key (reports duplicates)
        keys = np.empty(n, dtype=kt)
        for a in range(0, n, _BLOCK_ROWS):
            block_keys(a, min(a + _BLOCK_ROWS, n), keys=keys[a : a + _BLOCK_ROWS])
        keys, values, m_codes, base = _sort_or_raise(
            keys, values, m_codes, kt, stride, month_lo, sales, mp_col
        )
        found = _sorted_pass(n, lambda a, b: (base[a:b], keys[a:b]), values, m_codes, stride, qualifying)
        del keys, base
    groups, q_keys = found
    return _Prepared(
        groups,
        s_cats,
        s_cat,
        seller_ordered,
        m_cats,
        m_cat,
        n_mp,
        stride,
        month_lo,
        q_keys,
        _value_order(groups, n_mp, s_rank, m_rank),
    )


def _sort_or_raise(keys, values, m_codes, kt, stride: int, month_lo: int, sales: pd.DataFrame, mp_col):
    """Rows in key order by one stable sort; ``ValueError`` naming two rows when a key repeats.

    Returns the sorted keys, values and marketplace codes and each row's group base (``group * stride``).
    """
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    same = np.flatnonzero(keys[1:] == keys[:-1])
    if len(same):
        a, b = int(order[same[0]]), int(order[same[0] + 1])
        first = sales.iloc[a]
        mp = first["marketplace"] if mp_col is not None else DEFAULT_MARKETPLACE
        month_text = mo.format_month([int(keys[same[0]] % stride) + month_lo])[0]
        raise ValueError(
            f"{len(same)} duplicated (seller_id, marketplace, month) row(s), e.g. seller_id={first['seller_id']!r}"
            f" marketplace={mp!r} month={month_text} (rows {sales.index[a]!r} and {sales.index[b]!r}); "
            "aggregate or drop duplicates before evaluating"
        )
    return keys, values[order], m_codes[order], keys // kt(stride) * kt(stride)


def _increasing(cats: pd.Index) -> bool:
    """``cats.is_monotonic_increasing``, compared in pyarrow for Arrow-backed text.

    pandas would first build a Python string per category (0.35 GB and 0.2 s for 5M seller ids). UTF-8 byte order
    is code point order, so the answer is pandas' own.
    """
    arr = _arrow_text(cats)
    if arr is None:
        return bool(cats.is_monotonic_increasing)
    return bool(pc.all(pc.greater_equal(arr.slice(1), arr.slice(0, len(arr) - 1))).as_py())


def _arrow_text(cats: pd.Index) -> pa.Array | None:
    """``cats`` as an Arrow ``string``/``large_string`` array without nulls (None: not that, or fewer than 2)."""
    try:
        arr = pa.array(cats.array) if len(cats) > 1 else None
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    # categories joined from parts (``union_categoricals``, or buffers of partitions) keep their chunks
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if (
        arr is None
        or arr.null_count
        or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type))
    ):
        return None
    return arr


def _text_order(cats: pd.Index) -> np.ndarray:
    """``cats.argsort()`` of unique categories, as integers when every one is text of the same 1-16 UTF-8 bytes.

    Seller ids usually have one length ("S0001234", Amazon's 14-character merchant tokens). Text of equal length
    sorts in byte order exactly as its bytes read as a big-endian integer (1-8 bytes), or as a pair of them (9-16
    bytes, zero-padded), and UTF-8 byte order is code point order, pandas' order: numpy's stable sorts of
    integers take 0.13 s for 1M shuffled ids where the text sort took 0.45 s. Anything else (other lengths,
    nulls, not Arrow-backed text) is pandas' own ``argsort``.
    """
    arr = _arrow_text(cats)
    size = common_byte_length(arr) if arr is not None else 0
    if not size:
        return cats.argsort()
    words = big_endian_words(arr, size)
    if size <= 8:
        return np.argsort(words, kind="stable")
    return np.lexsort((words[:, 1], words[:, 0]))


def _sorted_pass(
    n: int, block_keys, values: np.ndarray, m_codes: np.ndarray, stride: int, qualifying
) -> tuple[np.ndarray, np.ndarray] | None:
    """Groups present and qualifying keys of rows whose keys strictly increase, one block of rows at a time.

    ``block_keys(a, b)`` gives rows ``a:b``'s group bases and keys; ``qualifying`` marks the rows whose month
    counts. None at the first key that is not above the one before (the caller then takes the general path, and
    the work so far is lost: at most one pass). A key equal to the one before is a duplicate: also None, so the
    general path reports it.
    """
    groups, q_keys = [], []
    last_key = last_base = None
    for a in range(0, n, _BLOCK_ROWS):
        b = min(a + _BLOCK_ROWS, n)
        base, keys = block_keys(a, b)
        if (last_key is not None and keys[0] <= last_key) or not bool(np.all(keys[1:] > keys[:-1])):
            return None
        starts = np.empty(b - a, dtype=bool)  # where the group changes
        starts[0] = last_base is None or base[0] != last_base
        np.not_equal(base[1:], base[:-1], out=starts[1:])
        groups.append(base[starts] // stride)
        q_keys.append(keys[qualifying(values[a:b], m_codes[a:b], keys, base)])
        last_key, last_base = keys[-1], base[-1]
    return np.concatenate(groups).astype(np.int64), np.concatenate(q_keys)


def _unsorted_unique(
    n: int,
    block_keys,
    s_codes: np.ndarray,
    m_codes: np.ndarray,
    present: np.ndarray,
    stride: int,
    values: np.ndarray,
    qualifying,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Groups and sorted qualifying keys of rows in any order, without sorting them all; None to sort instead.

    Rows in any order (a shuffled file, one sorted by month) with unique keys need no full sort: a table of one
    byte per (seller, marketplace present, month slot) shows the keys are unique when every row marks its own
    cell, the groups present are the marked groups, and only the qualifying rows (over the threshold, usually a
    small share) are sorted. None when some key repeats (the caller's sort reports it) or the table would hold
    more than twice as many cells as rows (sparse keys). One block of rows at a time (``block_keys(a, b)``: their
    group bases and keys), so no row-sized array; cell indices are ``intp`` (numpy converts any other index type
    on every fancy-indexing call). ``present``: whether any row has each marketplace code (``_present_sites``).
    """
    n_mp = len(present)
    present_codes = np.flatnonzero(present)
    n_present = len(present_codes)
    n_groups = (int(s_codes.max()) + 1) * n_present
    if n_groups * stride > 2 * n + (1 << 16):
        return None
    rank = np.cumsum(present, dtype=np.intp) - 1
    group_seen = np.zeros(n_groups, dtype=bool)
    seen = np.zeros(n_groups * stride, dtype=np.uint8)
    q_keys = []
    for a in range(0, n, _BLOCK_ROWS):
        b = min(a + _BLOCK_ROWS, n)
        base, keys = block_keys(a, b)
        g = s_codes[a:b].astype(np.intp)
        if n_present > 1:
            g *= n_present
            g += rank[m_codes[a:b]]
        group_seen[g] = True
        g *= stride
        g += keys
        g -= base  # + the month slot
        seen[g] = 1
        q_keys.append(keys[qualifying(values[a:b], m_codes[a:b], keys, base)])
    if int(np.count_nonzero(seen)) != n:
        return None
    del seen
    present_groups = np.flatnonzero(group_seen)
    groups = (present_groups // n_present) * n_mp + present_codes[present_groups % n_present]
    return groups.astype(np.int64), np.sort(np.concatenate(q_keys))


def _present_sites(m_codes: np.ndarray, n_mp: int) -> np.ndarray:
    """Boolean per marketplace code: whether any row has it (one site, the common case, without a count)."""
    present = np.zeros(n_mp, dtype=bool)
    if not len(m_codes):
        return present
    lo, hi = int(m_codes.min()), int(m_codes.max())
    if lo == hi:
        present[lo] = True
    else:
        present = np.bincount(m_codes.astype(np.intp), minlength=n_mp) > 0
    return present


def _qualifying(
    values: np.ndarray,
    m_codes: np.ndarray,
    keys: np.ndarray,
    base: np.ndarray,
    thr_by_code: np.ndarray,
    inclusive: bool,
    end_offset: int | None,
    present: np.ndarray | None = None,
) -> np.ndarray:
    """Whether each row's month counts, in blocks of rows (no row-sized float temporary).

    A month counts when its gross sales exceed its marketplace's threshold (``>=`` when ``inclusive``) and its
    month slot (``keys - base``) is not after ``end_offset`` (None: no end).

    One threshold for all rows when the sites present share it (the marketplace dtype lists every known site, so
    ``thr_by_code`` usually holds several values that no row uses); otherwise each block of rows gathers its own
    (a row-sized one was 0.9 GB of fresh pages at 112M rows). ``present``: the sites present, if the caller has
    them.
    """
    if present is None:
        present = _present_sites(m_codes, len(thr_by_code))
    thr_present = np.unique(thr_by_code[present])
    one = thr_present[0] if len(thr_present) == 1 else None
    compare = np.greater_equal if inclusive else np.greater
    out = np.empty(len(values), dtype=bool)
    for a in range(0, len(values), _BLOCK_ROWS):
        b = min(a + _BLOCK_ROWS, len(values))
        compare(values[a:b], one if one is not None else thr_by_code[m_codes[a:b]], out=out[a:b])
        if end_offset is not None:
            out[a:b] &= (keys[a:b] - base[a:b]) <= end_offset
    return out


def _value_order(groups: np.ndarray, n_mp: int, s_rank, m_rank) -> np.ndarray | None:
    """Permutation sorting groups by (seller_id value, marketplace value); None when code order already is."""
    if s_rank is None and m_rank is None:
        return None
    s = groups // n_mp
    m = groups - s * n_mp
    key = (s if s_rank is None else s_rank[s]) * n_mp + (m if m_rank is None else m_rank[m])
    if len(key) < 2 or bool(np.all(key[1:] > key[:-1])):
        return None
    return np.argsort(key, kind="stable")


def _has_threshold(site: str, threshold: Threshold) -> bool:
    if threshold is not None and not isinstance(threshold, Mapping):
        return True
    return site in DEFAULT_THRESHOLDS or (threshold is not None and site in threshold)


def _is_ordered(col: pd.Series) -> bool:
    return bool(isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered)


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------
def trigger_months(
    sales: pd.DataFrame,
    months: int = OLD_RULE_MONTHS,
    *,
    threshold: Threshold = None,
    inclusive: bool = DEFAULT_INCLUSIVE,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """First month an N-month rule requires insurance, per seller-marketplace.

    Parameters
    ----------
    sales : seller_id, month, gross_sales (local currency), optional marketplace (missing -> "US").
    months : window N in calendar months (default ``policy.OLD_RULE_MONTHS`` = 3): the rule triggers in the first
        month m whose N calendar months m-N+1..m each count; a month with no row has zero sales.
    threshold : None (per-site defaults, ``policy.DEFAULT_THRESHOLDS``), one number for every site, or a mapping
        site -> number (other sites keep their defaults). Local currency.
    inclusive : False: a month counts when sales > threshold ("exceed", the contract); True: >= ("reach").
    end : last month considered ('YYYY-MM' or a date in it), inclusive; later rows are ignored. None: all rows.

    Returns
    -------
    DataFrame with one row per seller-marketplace in ``sales`` (sorted by seller_id, marketplace): ``seller_id``,
    ``marketplace``, ``trigger`` (datetime64[s], first day of the trigger month; NaT when the rule never triggers).
    """
    n = _check_window(months)
    prep = _prepare(sales, threshold, inclusive, _month_arg(end, "end"))
    seller, marketplace = prep.ids()
    return pd.DataFrame(
        {
            "seller_id": seller,
            "marketplace": marketplace,
            "trigger": mo.month_index_to_timestamp(prep.first_trigger(n)),
        }
    )


@dataclass
class Comparison:
    """Raw arrays of :func:`compare_rules` (month indices, status codes), for fast output formatting."""

    seller_id: object
    marketplace: object
    old: np.ndarray  # month index, NO_MONTH when none
    new: np.ndarray
    status: np.ndarray  # int8 index into STATUSES

    def lead_months(self) -> tuple[np.ndarray, np.ndarray]:
        """(old - new in months, where both trigger; 0 elsewhere) and the mask of rows where both trigger."""
        both = (self.old != mo.NO_MONTH) & (self.new != mo.NO_MONTH)
        return np.where(both, self.old - np.where(both, self.new, 0), 0), both


def compare_arrays(
    sales: pd.DataFrame,
    *,
    old_months: int = OLD_RULE_MONTHS,
    new_months: int = NEW_RULE_MONTHS,
    threshold: Threshold = None,
    inclusive: bool = DEFAULT_INCLUSIVE,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> Comparison:
    """:func:`compare_rules` as raw arrays (same parameters and semantics); the command line formats these."""
    n_old = _check_window(old_months, "old_months")
    n_new = _check_window(new_months, "new_months")
    if n_new > n_old:
        raise ValueError(
            f"the new window ({n_new} months) may not be longer than the old one ({n_old} months)"
        )
    start_idx = _month_arg(start, "start")
    prep = _prepare(sales, threshold, inclusive, _month_arg(end, "end"))
    old = prep.first_trigger(n_old)
    new = prep.first_trigger(n_new)
    has_old, has_new = old != mo.NO_MONTH, new != mo.NO_MONTH
    status = np.full(len(old), _UNAFFECTED, dtype=np.int8)
    status[has_new & ~has_old] = _NEWLY
    both = has_new & has_old
    status[both & (new < old)] = _ACCEL
    status[both & (new == old)] = _UNCHANGED
    if start_idx is not None:
        status[has_old & (old < start_idx)] = _ALREADY
    seller, marketplace = prep.ids()
    return Comparison(seller, marketplace, old, new, status)


def compare_rules(
    sales: pd.DataFrame,
    *,
    old_months: int = OLD_RULE_MONTHS,
    new_months: int = NEW_RULE_MONTHS,
    threshold: Threshold = None,
    inclusive: bool = DEFAULT_INCLUSIVE,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Old rule vs new rule per seller-marketplace: trigger months, status, lead and insurance due dates.

    Parameters
    ----------
    sales, threshold, inclusive, end : as in :func:`trigger_months`.
    old_months, new_months : windows (defaults 3 and 1, ``policy.OLD_RULE_MONTHS``/``NEW_RULE_MONTHS``);
        ``new_months > old_months`` is a ``ValueError``.
    start : month the new rule took effect ('YYYY-MM' or a date; e.g. ``policy.NEW_RULE_START``). Only used for
        ``already_required``; None means no such status.

    Returns
    -------
    DataFrame, one row per seller-marketplace (sorted by seller_id, marketplace): ``seller_id``, ``marketplace``,
    ``old_trigger``, ``new_trigger`` (datetime64[s] first of month, NaT when none), ``status`` (one of
    :data:`STATUSES`, str), ``lead_months`` (Int64 = old minus new trigger in months, >= 0; <NA> unless both
    trigger), ``old_insurance_due``, ``new_insurance_due`` (datetime64[s]: last day of the trigger month + 30 days).

    Status rules, in order: ``already_required`` if ``start`` is given and old trigger < start (whatever the new
    rule does; its new trigger is then before start too); else ``unaffected`` if the new rule never triggers;
    ``newly_affected`` if only the new one does; ``accelerated`` if new < old; ``unchanged`` if equal. A seller whose
    old trigger is on/after ``start`` but whose new trigger is before it (one month over in the past, three in a row
    later) is ``accelerated``: under the new rule, applied to history, they were required earlier.
    """
    c = compare_arrays(
        sales,
        old_months=old_months,
        new_months=new_months,
        threshold=threshold,
        inclusive=inclusive,
        start=start,
        end=end,
    )
    lead, both = c.lead_months()
    return pd.DataFrame(
        {
            "seller_id": c.seller_id,
            "marketplace": c.marketplace,
            "old_trigger": mo.month_index_to_timestamp(c.old),
            "new_trigger": mo.month_index_to_timestamp(c.new),
            "status": pd.array(np.asarray(STATUSES, dtype=object)[c.status], dtype="str"),
            "lead_months": pd.arrays.IntegerArray(lead.astype(np.int64), ~both),
            "old_insurance_due": _due(c.old),
            "new_insurance_due": _due(c.new),
        }
    )


def insurance_due(trigger_month_index, days: int = INSURANCE_DUE_DAYS) -> np.ndarray:
    """Due date (datetime64[s]) of insurance for trigger month indices: last day of the month + ``days`` days."""
    return mo.month_end_plus_days(trigger_month_index, days).astype("datetime64[s]")


def _due(idx: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(insurance_due(idx))


def required_over_time(
    comparison: pd.DataFrame,
    months_range=None,
    *,
    sellers: pd.DataFrame | None = None,
    by: str | list[str] | None = None,
) -> pd.DataFrame:
    """How many seller-marketplaces are required to insure in each calendar month, under each rule.

    Cumulative: a seller-marketplace counts from its trigger month on (once required, always required).

    Parameters
    ----------
    comparison : output of :func:`compare_rules` (seller_id, marketplace, old_trigger, new_trigger).
    months_range : None (every month from the earliest to the latest trigger of either rule), a tuple
        ``(first, last)`` of months ('YYYY-MM' or dates; inclusive), or any other sequence of months (exactly those).
        Triggers before the first month count from the first month.
    sellers : optional table joined on seller_id (and marketplace when it has that column) to group by its columns.
        Its keys must be unique. Seller-marketplaces missing from it form a group with missing labels.
    by : column(s) of ``comparison`` or ``sellers`` to break the counts down by; None: one series.

    Returns
    -------
    DataFrame: ``month`` (datetime64[s], first of month), the ``by`` columns, ``n_required_old``,
    ``n_required_new``, ``n_total`` (seller-marketplaces in the group); sorted by group then month.
    """
    for col in ("old_trigger", "new_trigger"):
        if col not in comparison.columns:
            raise ValueError(f"comparison is missing column {col!r} (pass the output of compare_rules)")
    by_cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    frame = comparison
    if sellers is not None and by_cols:
        frame = _join_sellers(comparison, sellers, by_cols)
    for col in by_cols:
        if col not in frame.columns:
            raise ValueError(f"by column {col!r} is in neither comparison nor sellers")
    old = _trigger_index(frame["old_trigger"])
    new = _trigger_index(frame["new_trigger"])
    month_list = _months_list(months_range, old, new)

    if by_cols:
        keys = frame[by_cols].reset_index(drop=True)
        group_codes, group_labels = _group_codes(keys)
    else:
        group_codes, group_labels = np.zeros(len(frame), dtype=np.int64), None
    n_groups = int(group_codes.max()) + 1 if len(group_codes) else (0 if by_cols else 1)
    n_months = len(month_list)
    result = {}
    for name, trig in (("n_required_old", old), ("n_required_new", new)):
        # position of each trigger in month_list: number of listed months before-or-at which it is required
        pos = np.searchsorted(month_list, trig, side="left")  # first listed month >= trigger
        ok = (trig != mo.NO_MONTH) & (pos < n_months)
        hist = np.bincount(group_codes[ok] * max(n_months, 1) + pos[ok], minlength=n_groups * n_months)
        result[name] = np.cumsum(hist.reshape(n_groups, n_months), axis=1).ravel()
    totals = np.bincount(group_codes, minlength=n_groups)
    out = pd.DataFrame({"month": np.tile(mo.month_index_to_timestamp(month_list), n_groups)})
    if group_labels is not None:
        repeated = group_labels.iloc[np.repeat(np.arange(n_groups), n_months)].reset_index(drop=True)
        for col in by_cols:
            out[col] = repeated[col]
    out["n_required_old"] = result["n_required_old"].astype(np.int64)
    out["n_required_new"] = result["n_required_new"].astype(np.int64)
    out["n_total"] = np.repeat(totals, n_months).astype(np.int64)
    return pd.DataFrame(out)


def _trigger_index(col: pd.Series) -> np.ndarray:
    values = pd.to_datetime(col).to_numpy()
    na = np.isnat(values)
    idx = values.astype("datetime64[M]").astype(np.int64)
    idx[na] = mo.NO_MONTH
    return idx


def _months_list(months_range, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    if months_range is None:
        trig = np.concatenate([old[old != mo.NO_MONTH], new[new != mo.NO_MONTH]])
        if len(trig) == 0:
            return np.zeros(0, dtype=np.int64)
        return mo.month_range(trig.min(), trig.max())
    if isinstance(months_range, tuple):
        if len(months_range) != 2:
            raise ValueError("months_range tuple must be (first, last)")
        first, last = (_month_arg(m, "months_range") for m in months_range)
        if last < first:
            raise ValueError(f"months_range: last month before first ({months_range!r})")
        return mo.month_range(first, last)
    listed = np.unique(np.array([_month_arg(m, "months_range") for m in months_range], dtype=np.int64))
    return listed


def _group_codes(keys: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense group code per row (sorted by label, missing labels last) and the labels of each group."""
    grouped = keys.groupby(list(keys.columns), dropna=False, sort=True, observed=True)
    codes = grouped.ngroup().to_numpy().astype(np.int64)
    labels = grouped.size().index.to_frame(index=False)
    labels.columns = list(keys.columns)
    return codes, labels


def _join_sellers(comparison: pd.DataFrame, sellers: pd.DataFrame, by_cols: list[str]) -> pd.DataFrame:
    if "seller_id" not in sellers.columns:
        raise ValueError("sellers has no seller_id column")
    on = ["seller_id"] + (["marketplace"] if "marketplace" in sellers.columns else [])
    wanted = [c for c in by_cols if c in sellers.columns and c not in on]
    if not wanted:
        return comparison
    right = sellers[on + wanted].copy()
    for col in on:
        right[col] = right[col].astype(str)
    dup = right.duplicated(on)
    if dup.any():
        example = right.loc[dup, on].iloc[0].to_dict()
        raise ValueError(f"sellers has duplicated keys {on}, e.g. {example}")
    left = comparison.drop(columns=[c for c in wanted if c in comparison.columns]).copy()
    key_left = {col: left[col].astype(str) for col in on}
    merged = pd.DataFrame(key_left).merge(right, on=on, how="left", validate="many_to_one")
    for col in wanted:
        left[col] = (
            merged[col].to_numpy()
            if not isinstance(merged[col].dtype, pd.CategoricalDtype)
            else merged[col].array
        )
    return left


# ---------------------------------------------------------------------------------------------------------------
# Calendar mode: each site under its own rules, as enacted (docs/policy-calendar.md)
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class CalendarComparison(Comparison):
    """Raw arrays of :func:`evaluate_calendar`: :class:`Comparison` plus the switch and required-from months.

    ``old``/``new`` are the old-window and new-window first triggers, ``switch`` the site's switch month
    (``NO_MONTH`` where the site never switched, or switched after ``end``), ``required`` the first month the
    seller-site is required under the rules as enacted (``NO_MONTH``: never). ``lead_months`` is old trigger minus
    required-from (where both exist and the status is not ``already_required``).
    """

    switch: np.ndarray = None  # type: ignore[assignment]
    required: np.ndarray = None  # type: ignore[assignment]

    def lead_months(self) -> tuple[np.ndarray, np.ndarray]:
        """Old trigger minus ``required_from`` in months (0 elsewhere), and the mask where it is defined.

        It is defined where both exist and the seller-site is not ``already_required`` (its lead is not a
        change).
        """
        both = (self.old != mo.NO_MONTH) & (self.required != mo.NO_MONTH) & (self.status != _ALREADY)
        return np.where(both, self.old - np.where(both, self.required, 0), 0), both


def _site_codes(prep: _Prepared) -> np.ndarray:
    """Marketplace code of each group, in output (value) order."""
    groups = prep.groups if prep.order is None else prep.groups[prep.order]
    return groups % prep.n_mp


def _first_by_site(prep: _Prepared, site_code: np.ndarray, window_by_code: np.ndarray) -> np.ndarray:
    """First trigger of each group under its own site's window (one pass per distinct window)."""
    out = np.full(len(site_code), mo.NO_MONTH, dtype=np.int64)
    windows = window_by_code[site_code] if len(site_code) else np.zeros(0, dtype=np.int64)
    for w in np.unique(windows):
        mask = windows == w
        out[mask] = prep.first_trigger(int(w))[mask]
    return out


def _pool_members(calendar: policy.Calendar) -> dict[str, policy.SitePeriod]:
    """Site -> its change row, for every site whose change row names a pool (the EU stores in the shipped file)."""
    return {
        s: calendar.rule(s).new for s in calendar.sites if calendar.rule(s).new and calendar.rule(s).new.pool
    }


def _pooled_triggers(
    sales: pd.DataFrame,
    pool_sites: dict[str, policy.SitePeriod],
    members: set[str],
    inclusive: bool,
    end: int | None,
) -> pd.DataFrame:
    """New-window trigger of every seller-site on a pooled site, from the seller's pooled sales.

    Semantics (docs/policy-calendar.md, "EU pooling"): the seller's gross sales on all the pool's sites are
    converted to the pool's currency at ``policy.FX_PER_USD`` (pool currency per unit of the site's calendar
    currency) and added per calendar month; a month with no row on any pool site is zero. The pooled new-window
    trigger ``T`` (first month whose window months each exceed the pool threshold, history included, up to
    ``end``) is the seller's: once required, always required. A seller-site only exists from its first row on that
    site, so its new trigger is ``max(T, first month with a row on the site)``; never when ``T`` is never or the
    first row is after ``end``.

    Parameters
    ----------
    sales : DataFrame
        The engine's input (seller_id, marketplace, month, gross_sales); validated already by ``_prepare``.
    pool_sites : dict
        Every site whose change row names a pool -> that row (pool name, threshold, currency, window).
    members : set of str
        The pool sites that have switched (as of ``end``): the seller-sites that get a pooled trigger.
    inclusive, end
        As in :func:`evaluate_calendar` (``end``: month index or None).

    Returns
    -------
    DataFrame
        ``seller_id`` (str), ``marketplace`` (str), ``new`` (int64 month index, ``months.NO_MONTH`` when never),
        one row per seller-site with a row on a site in ``members``.
    """
    site = sales["marketplace"].astype(str).to_numpy()
    in_pool = np.isin(site, list(pool_sites))
    rate = {
        s: policy.FX_PER_USD[p.pool_currency] / policy.FX_PER_USD[p.currency] for s, p in pool_sites.items()
    }
    part = pd.DataFrame(
        {
            "seller_id": sales["seller_id"].astype(str).to_numpy()[in_pool],
            "marketplace": site[in_pool],
            "month": mo.to_month_index(sales["month"])[in_pool],
            "gross_sales": sales["gross_sales"].to_numpy(dtype=np.float64)[in_pool],
        }
    )
    part["pool"] = part["marketplace"].map({s: p.pool for s, p in pool_sites.items()})
    part["gross_sales"] *= part["marketplace"].map(rate).to_numpy(dtype=np.float64)
    pooled = part.groupby(["seller_id", "pool", "month"], sort=True)["gross_sales"].sum().reset_index()
    frame = pd.DataFrame(
        {
            "seller_id": pooled["seller_id"],
            "marketplace": pooled["pool"],
            "month": mo.month_index_to_datetime64(pooled["month"].to_numpy()).astype("datetime64[s]"),
            "gross_sales": pooled["gross_sales"],
        }
    )
    pools = {p.pool: p for p in pool_sites.values()}
    prep = _prepare(frame, {name: p.pool_threshold for name, p in pools.items()}, inclusive, end)
    windows = np.array([pools[str(c)].window_months for c in prep.mp_cats], dtype=np.int64)
    trigger = _first_by_site(prep, _site_codes(prep), windows)
    seller, pool = prep.ids()
    triggers = pd.DataFrame(
        {"seller_id": np.asarray(seller, dtype=object), "pool": np.asarray(pool, dtype=object)}
    )
    triggers["trigger"] = trigger
    sites = (
        part[part["marketplace"].isin(list(members))]
        .groupby(["seller_id", "marketplace", "pool"], sort=False)["month"]
        .min()
        .reset_index()
    )
    sites = sites.merge(triggers, on=["seller_id", "pool"], how="left", validate="many_to_one")
    first = sites["month"].to_numpy(dtype=np.int64)
    t = sites["trigger"].to_numpy(dtype=np.int64)
    never = (t == mo.NO_MONTH) | (first > end if end is not None else False)
    sites["new"] = np.where(never, mo.NO_MONTH, np.maximum(t, first))
    return sites[["seller_id", "marketplace", "new"]]


def calendar_arrays(
    sales: pd.DataFrame,
    calendar: policy.Calendar | None = None,
    *,
    inclusive: bool = DEFAULT_INCLUSIVE,
    end: str | pd.Timestamp | None = None,
    pool_eu: bool = False,
) -> CalendarComparison:
    """:func:`evaluate_calendar` as raw arrays (same parameters and semantics); the command line formats these."""
    cal = calendar if calendar is not None else policy.DEFAULT_CALENDAR
    end_idx = _month_arg(end, "end")
    rules = {s: cal.rule(s) for s in cal.sites}
    old_thr = {s: r.old.threshold for s, r in rules.items()}
    prep = _prepare(sales, old_thr, inclusive, end_idx)
    site_names = [str(c) for c in prep.mp_cats]
    site_code = _site_codes(prep)
    used = {site_names[c] for c in np.unique(site_code)}
    unknown = sorted(used - set(rules))
    if unknown:
        raise ValueError(
            f"no rule for marketplace(s) {', '.join(map(repr, unknown))} in the policy calendar {cal.source} "
            f"(sites: {', '.join(cal.sites)}); add rows for them"
        )

    def per_code(fn, missing):
        return np.array([fn(rules[s]) if s in rules else missing for s in site_names], dtype=np.int64)

    switch_by_code = per_code(
        lambda r: mo.NO_MONTH if r.switch_month is None else mo.parse_month(r.switch_month), mo.NO_MONTH
    )
    if end_idx is not None:  # a change after `end` has not happened as of `end`
        switch_by_code[switch_by_code > end_idx] = mo.NO_MONTH
    switched_by_code = switch_by_code != mo.NO_MONTH
    old_window = per_code(lambda r: r.old.window_months, 1)
    new_window = np.where(switched_by_code, per_code(lambda r: r.new_window, 1), old_window)

    switched_sites = {s for s, sw in zip(site_names, switched_by_code, strict=True) if sw}
    new_thr = {s: (r.current.threshold if s in switched_sites else old_thr[s]) for s, r in rules.items()}
    prep_new = prep if new_thr == old_thr else _prepare(sales, new_thr, inclusive, end_idx)

    old = _first_by_site(prep, site_code, old_window)
    new = _first_by_site(prep_new, site_code, new_window)
    seller, marketplace = prep.ids()
    pool_sites = _pool_members(cal) if pool_eu and "marketplace" in sales.columns else {}
    members = {s for s in pool_sites if s in switched_sites}
    if members:
        pooled = _pooled_triggers(sales, pool_sites, members, inclusive, end_idx)
        keys = pd.DataFrame(
            {"seller_id": np.asarray(seller, dtype=str), "marketplace": np.asarray(marketplace, dtype=str)}
        )
        got = keys.merge(pooled, on=["seller_id", "marketplace"], how="left", validate="one_to_one")["new"]
        in_pool = got.notna().to_numpy()
        new = np.where(in_pool, got.fillna(mo.NO_MONTH).to_numpy(dtype=np.int64), new)
    switch = switch_by_code[site_code] if len(site_code) else np.zeros(0, dtype=np.int64)
    switched = switch != mo.NO_MONTH
    has_old, has_new = old != mo.NO_MONTH, new != mo.NO_MONTH
    already = switched & has_old & (old < np.where(switched, switch, 0))
    required = np.where(
        ~switched, old, np.where(already, old, np.where(has_new, np.maximum(new, switch), mo.NO_MONTH))
    )
    has_req = required != mo.NO_MONTH
    status = np.full(len(old), _UNAFFECTED, dtype=np.int8)
    status[has_req & ~has_old] = _NEWLY
    status[has_req & has_old & (required < old)] = _ACCEL
    status[has_req & has_old & (required == old)] = _UNCHANGED
    status[already] = _ALREADY
    return CalendarComparison(seller, marketplace, old, new, status, switch=switch, required=required)


def evaluate_calendar(
    sales: pd.DataFrame,
    calendar: policy.Calendar | None = None,
    *,
    inclusive: bool = DEFAULT_INCLUSIVE,
    end: str | pd.Timestamp | None = None,
    pool_eu: bool = False,
) -> pd.DataFrame:
    """Each seller-site under its own site's rules over time (the policy calendar), per seller-marketplace.

    Monthly resolution: a site's change applies from its switch month S, the first calendar month starting on or
    after the change's date in force (US 2021-09, CA 2024-05, UK and EU 2024-06 in the shipped calendar). Before
    S the site's old window applies at its old threshold, from S its new window at its new threshold. History
    counts (Amazon's 2021 e-mails): a new-window trigger before S makes the seller required in S.

    Parameters
    ----------
    sales : DataFrame
        seller_id, month, gross_sales (local currency), optional marketplace (missing -> "US"); as in
        :func:`trigger_months`. Every marketplace with rows must be in the calendar (``ValueError`` otherwise).
    calendar : policy.Calendar or None
        The calendar (:func:`seller_insurance.policy.load_calendar`); None: the shipped one
        (``policy.DEFAULT_CALENDAR``).
    inclusive : bool
        False: a month counts when sales > threshold ("exceed", the contract); True: >=.
    end : 'YYYY-MM', date or None
        Last month considered (inclusive; later rows ignored). A change whose switch month is after ``end`` has not
        happened as of ``end``: that site is evaluated as never switched (empty switch_month).
    pool_eu : bool
        False (default): every site on its own. True: on a switched site with a ``pool`` in the calendar (the EU
        stores), the new window runs on the seller's pooled sales: its gross sales on all the pool's sites each
        calendar month, converted at ``policy.FX_PER_USD`` to the pool's currency, compared with the pool
        threshold (EUR 5,000); history counts as elsewhere. The pooled trigger is the seller's (once required,
        always required), but a seller-site exists only from its first row on that site: its ``new_trigger`` is
        the later of the pooled trigger and that first month (docs/policy-calendar.md, "EU pooling"). The old
        window stays per site, at the site's own threshold.

    Returns
    -------
    DataFrame
        One row per seller-marketplace (sorted by seller_id, marketplace): ``seller_id``, ``marketplace``,
        ``old_trigger`` (old window at the old threshold over the whole history: the three-month rule kept forever),
        ``new_trigger`` (first month over the threshold under the new window, history included; for a site that
        never switched, the old window), ``status`` (one of :data:`STATUSES`, relative to the site's S),
        ``lead_months`` (Int64, old_trigger - required_from in months where both exist; <NA> for
        ``already_required``), ``old_insurance_due``
        (old trigger), ``new_insurance_due`` and ``insurance_due`` (both for required_from: last day of that month
        + 30 days), ``switch_month`` and ``required_from`` (datetime64[s] first of month; NaT: no switch / never
        required). Trigger and due columns are datetime64[s] (NaT when none).

    Notes
    -----
    ``required_from`` = the old trigger when it is before S (``already_required``); otherwise the later of the
    new trigger and S; NaT when the new window never triggers. On a site that never switched it is the old
    trigger. Status: ``already_required`` old trigger < S; ``unaffected`` never required; ``newly_affected``
    required, old rule never triggers; ``accelerated`` required_from < old trigger (lead >= 1); ``unchanged``
    required_from = old trigger. A site that never switched has only ``unchanged`` or ``unaffected``.
    """
    c = calendar_arrays(sales, calendar, inclusive=inclusive, end=end, pool_eu=pool_eu)
    lead, both = c.lead_months()
    due = _due(c.required)
    return pd.DataFrame(
        {
            "seller_id": c.seller_id,
            "marketplace": c.marketplace,
            "old_trigger": mo.month_index_to_timestamp(c.old),
            "new_trigger": mo.month_index_to_timestamp(c.new),
            "status": pd.array(np.asarray(STATUSES, dtype=object)[c.status], dtype="str"),
            "lead_months": pd.arrays.IntegerArray(lead.astype(np.int64), ~both),
            "old_insurance_due": _due(c.old),
            "new_insurance_due": due,
            "switch_month": mo.month_index_to_timestamp(c.switch),
            "required_from": mo.month_index_to_timestamp(c.required),
            "insurance_due": due,
        }
    )
