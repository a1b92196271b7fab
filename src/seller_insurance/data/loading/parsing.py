"""Vectorised parsers for messy export values: column names, money, months, dates, marketplaces.

Every parser works on a whole pyarrow column at once and never raises on bad values: it returns the parsed
values plus a boolean "ok" mask, and the loading layer turns the failures into rejected rows.

Decisions (documented for analysts in ``docs/your-own-data.md``):

- Money: ``12345.67``, ``12,345.67``, ``$12,345.67``, ``(1,234.00)`` (accounting negative), ``-12.5``, with
  currency symbols ``$ € £ ¥ ₹``, ISO codes (``USD 12.00``, ``12.00 EUR``) and spaces (also non-breaking) ignored.
  The comma is a thousands separator only: ``12,34`` is rejected rather than guessed. A decimal comma is accepted
  only where it cannot be a thousands separator: ``1234,5``, ``12,50`` (one or two decimals), ``1.234,56``.
- Months: ``2021-09``, ``2021/09``, ``2021-09-01``, ``2021-09-15T10:00:00Z`` (the calendar month as written, the
  UTC offset is not applied), ``09/2021``, ``9-2021``, ``Sep 2021``, ``September 2021``, ``Sep-2021``, ``202109``;
  also full dates (below). Two-digit years are rejected (``Sep-21`` could be a day).
- Dates: ISO (``2021-09-15``, with an optional time), ``09/15/2021`` (slash = US month/day/year, as Amazon US
  exports write it), ``15.09.2021`` (dot = day.month.year), ``Sep 15, 2021``, ``15 Sep 2021``.
- Distinct strings are parsed once and mapped back (exports have few distinct month and date strings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seller_insurance.months import NO_MONTH
from seller_insurance.policy import KNOWN_MARKETPLACES

# --- column names ------------------------------------------------------------------------------------------------


def normalise_name(name: object) -> str:
    """``'  Seller ID '`` -> ``'seller_id'``: lower case, runs of non-alphanumerics become one underscore."""
    text = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower().replace("\ufeff", ""))
    return text.strip("_")


# --- marketplaces ------------------------------------------------------------------------------------------------

# Accepted spellings besides the site codes themselves (compared upper-case after trimming): the ISO country code
# GB for the UK site, and the Amazon domains.
MARKETPLACE_ALIASES: dict[str, str] = {
    "GB": "UK",
    "AMAZON.COM": "US",
    "AMAZON.CA": "CA",
    "AMAZON.COM.MX": "MX",
    "AMAZON.CO.JP": "JP",
    "AMAZON.CO.UK": "UK",
    "AMAZON.DE": "DE",
    "AMAZON.FR": "FR",
    "AMAZON.IT": "IT",
    "AMAZON.ES": "ES",
    "AMAZON.NL": "NL",
    "AMAZON.COM.BE": "BE",
    "AMAZON.SE": "SE",
    "AMAZON.PL": "PL",
}


def marketplace_code(value: object) -> int:
    """Index into ``policy.KNOWN_MARKETPLACES`` of one raw value (case-insensitive, aliases), -1 if unknown."""
    if value is None:
        return -1
    key = str(value).strip().upper()
    key = MARKETPLACE_ALIASES.get(key, key)
    try:
        return KNOWN_MARKETPLACES.index(key)
    except ValueError:
        return -1


# --- helpers on arrow columns -------------------------------------------------------------------------------------


def is_text(arr: pa.ChunkedArray | pa.Array) -> bool:
    """Whether ``arr`` holds text: string, large_string or string_view, plain or dictionary-encoded."""
    t = arr.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def dictionary_codes(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[list]]:
    """Per-row (chunk-local) dictionary indices and each chunk's dictionary values, for text columns.

    Returns ``(indices, dictionaries)`` where ``indices`` is int64 with -1 for nulls and offsets so that all chunks'
    dictionaries are concatenated (``np.concatenate`` of the per-chunk value lists in order).
    """
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    idx_parts, dicts, offset = [], [], 0
    for chunk in chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        d = chunk.dictionary
        if pa.types.is_dictionary(d.type):  # pragma: no cover - nested dictionaries do not occur
            d = d.dictionary_decode()
        ind = chunk.indices.to_numpy(zero_copy_only=False)
        if chunk.null_count:
            ind = np.where(chunk.is_null().to_numpy(zero_copy_only=False), -1, ind.astype(np.int64) + offset)
        else:
            ind = ind.astype(np.int64) + offset
        idx_parts.append(ind)
        dicts.append(d.to_pylist())
        offset += len(d)
    indices = np.concatenate(idx_parts) if idx_parts else np.empty(0, np.int64)
    return indices, dicts


def map_distinct(arr: pa.ChunkedArray | pa.Array, fn, fill, dtype) -> np.ndarray:
    """Apply ``fn`` to each distinct text value once and map the results back to rows (nulls -> ``fill``).

    Plain text is dictionary-encoded over all chunks at once (one shared dictionary: ``fn`` runs once per distinct
    value, not once per value and row group); dictionary columns use their per-chunk dictionaries.
    """
    if not pa.types.is_dictionary(arr.type):
        enc = pc.dictionary_encode(arr)
        chunks = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
        if chunks and all(len(c.dictionary) == len(chunks[-1].dictionary) for c in chunks):
            values = chunks[-1].dictionary.to_pylist()
            table = np.array([fn(v) for v in values] + [fill], dtype=dtype)
            out = np.empty(len(arr), dtype=dtype)
            at = 0
            for c in chunks:
                ind = pc.fill_null(c.indices, len(values)) if c.null_count else c.indices
                out[at : at + len(c)] = table[np.asarray(ind.to_numpy(zero_copy_only=False))]
                at += len(c)
            return out
    if isinstance(arr, pa.DictionaryArray) or (
        isinstance(arr, pa.ChunkedArray) and pa.types.is_dictionary(arr.type)
    ):
        return _map_dictionary_chunks(arr, fn, fill, dtype)
    indices, dicts = dictionary_codes(arr)
    flat = [v for d in dicts for v in d]
    table = np.array([fn(v) for v in flat] + [fill], dtype=dtype)
    return table[np.where(indices < 0, len(flat), indices)]


def _map_dictionary_chunks(arr: pa.ChunkedArray | pa.Array, fn, fill, dtype) -> np.ndarray:
    """:func:`map_distinct` of a dictionary column: one gather per chunk straight into the output.

    ``fn`` runs once per value of each distinct dictionary (no per-row index arrays concatenated and offset first).

    Parquet read with ``read_dictionary`` gives each row group its own dictionary (and its batches the same one):
    a status column of 10M rows in 77 chunks is 77 gathers from 4-entry tables.
    """
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    out = np.empty(len(arr), dtype=dtype)
    at, prev_d, table = 0, None, None
    for ch in chunks:
        n = len(ch)
        d = ch.dictionary
        if table is None or not (d is prev_d or d.equals(prev_d)):
            values = (
                d.to_pylist() if not pa.types.is_dictionary(d.type) else d.dictionary_decode().to_pylist()
            )
            table = np.array([fn(v) for v in values] + [fill], dtype=dtype)
            prev_d = d
        ind = pc.fill_null(ch.indices, len(table) - 1) if ch.null_count else ch.indices
        np.take(table, np.asarray(ind.to_numpy(zero_copy_only=False)), out=out[at : at + n])
        at += n
    return out


def trimmed(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The text with leading and trailing whitespace removed (pyarrow's ``utf8_trim_whitespace``)."""
    return pc.utf8_trim_whitespace(arr)


# --- money -------------------------------------------------------------------------------------------------------

_SYMBOLS = r"[\s\x{00a0}\x{202f}$€£¥₹']|(?i:usd|cad|mxn|jpy|gbp|eur|sek|pln|us|zł|kr)"
_PLAIN = r"^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"  # scientific notation as spreadsheets write large numbers
_THOUSANDS = r"^\d{1,3}(,\d{3})+(\.\d*)?$"
_DECIMAL_COMMA = r"^(\d+,\d{1,2}|\d{1,3}(\.\d{3})+,\d{1,2})$"


def parse_money(
    arr: pa.ChunkedArray | pa.Array, lazy_ok: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Amounts as float64 (NaN where invalid) and an ``ok`` mask; see the module docstring for the formats.

    Numeric columns pass through (nulls and non-finite values are not ok); with ``lazy_ok`` their mask is returned
    as None (it is ``np.isfinite(values)``, left to the caller to compute only if needed). No rounding here.
    """
    if not is_text(arr):
        if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type):
            if arr.type != pa.float64():
                arr = pc.cast(arr, pa.float64())
            chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
            vals = np.empty(len(arr), dtype=np.float64)  # one fresh, writable buffer (callers round in place)
            at = 0
            for c in chunks:
                vals[at : at + len(c)] = c.to_numpy(zero_copy_only=False)
                at += len(c)
            return vals, (None if lazy_ok else np.isfinite(vals))
        n = len(arr)
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    if pa.types.is_dictionary(arr.type):
        arr = (
            arr.cast(arr.type.value_type)
            if isinstance(arr, pa.Array)
            else pa.chunked_array([c.dictionary_decode() for c in arr.chunks], type=arr.type.value_type)
        )
    try:  # fast path: every value a plain number (the common case for machine-written exports)
        vals = np.array(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        ok = np.isfinite(vals)  # "nan", "inf" and nulls are not amounts
        if not ok.all():
            vals[~ok] = np.nan
        return vals, ok
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    s = trimmed(arr)
    s = pc.replace_substring_regex(s, _SYMBOLS, "")
    paren = pc.fill_null(pc.match_substring_regex(s, r"^\(.*\)$"), False)
    s = pc.if_else(paren, pc.utf8_slice_codeunits(s, 1, -1), s)
    minus = pc.fill_null(pc.match_substring_regex(s, r"^[-−]"), False)
    plus = pc.fill_null(pc.match_substring_regex(s, r"^\+"), False)
    s = pc.replace_substring_regex(s, r"^[-−+]", "")
    plain = pc.fill_null(pc.match_substring_regex(s, _PLAIN), False)
    thousands = pc.fill_null(pc.match_substring_regex(s, _THOUSANDS), False)
    dec_comma = pc.fill_null(pc.match_substring_regex(s, _DECIMAL_COMMA), False)
    us = pc.replace_substring(s, ",", "")
    eu = pc.replace_substring(pc.replace_substring(s, ".", ""), ",", ".")
    text = pc.if_else(dec_comma, eu, pc.if_else(pc.or_(plain, thousands), us, "nan"))
    vals = np.asarray(
        pc.cast(pc.fill_null(text, "nan"), pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    as_np = lambda a: np.asarray(a.to_numpy(zero_copy_only=False), dtype=bool)  # noqa: E731
    paren_n, minus_n, plus_n = as_np(paren), as_np(minus), as_np(plus)
    ok = np.isfinite(vals) & ~(paren_n & (minus_n | plus_n)) & ~(minus_n & plus_n)
    vals = np.where(ok, np.where(paren_n | minus_n, -vals, vals), np.nan)
    return vals, ok


def parse_count(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-negative whole counts (orders, units): ``(values float64, ok, blank)``; blanks are ok and NaN."""
    if is_text(arr):
        s = trimmed(arr)
        blank = np.asarray(pc.fill_null(pc.equal(s, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
        vals, ok = parse_money(pc.if_else(pc.equal(s, ""), "0", s))
    else:
        blank = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        vals, ok = parse_money(pc.fill_null(arr, 0) if len(arr) else arr)
    ok = ok & (vals >= 0) & (vals == np.floor(vals))
    ok |= blank
    vals = np.where(blank, np.nan, vals)
    return vals, ok, blank


# --- months and dates -----------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MONTHS.update(
    {
        n: i + 1
        for i, n in enumerate(
            [
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ]
        )
    }
)
_MONTHS["sept"] = 9

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?"
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME + "$")
_EU_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$")
_NAME_DAY_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_DAY_NAME_YEAR = re.compile(r"^(\d{1,2})[\s-]+([A-Za-z]+)\.?[\s-]+(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_YYYYMM = re.compile(r"^(\d{4})(\d{2})$")
_NAME_YEAR = re.compile(r"^([A-Za-z]+)\.?[\s\-/,]*(\d{4})$")

_MIN_YEAR, _MAX_YEAR = 1900, 2199
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid(y: int, m: int, d: int = 1) -> bool:
    if not (_MIN_YEAR <= y <= _MAX_YEAR and 1 <= m <= 12 and 1 <= d <= _DAYS[m - 1]):
        return False
    return not (m == 2 and d == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)))


def _date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a text holding a full date, else None."""
    t = text.strip()
    for rx, order in ((_ISO_DATE, "ymd"), (_US_DATE, "mdy"), (_EU_DATE, "dmy")):
        m = rx.match(t)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            y, mo, d = parts["y"], parts["m"], parts["d"]
            return (y, mo, d) if _valid(y, mo, d) else None
    m = _NAME_DAY_YEAR.match(t)
    if m and m.group(1).lower() in _MONTHS:
        y, mo, d = int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))
        return (y, mo, d) if _valid(y, mo, d) else None
    m = _DAY_NAME_YEAR.match(t)
    if m and m.group(2).lower() in _MONTHS:
        y, mo, d = int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))
        return (y, mo, d) if _valid(y, mo, d) else None
    return None


def month_of_text(text: object) -> int:
    """Month index (months since 1970-01) of one month or date string; ``NO_MONTH`` if not recognised."""
    if text is None:
        return NO_MONTH
    t = str(text).strip()
    ym = None
    for rx, order in ((_YEAR_MONTH, "ym"), (_MONTH_YEAR, "my"), (_YYYYMM, "ym")):
        m = rx.match(t)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            ym = parts["y"], parts["m"]
            break
    if ym is None:
        m = _NAME_YEAR.match(t)
        if m and m.group(1).lower() in _MONTHS:
            ym = int(m.group(2)), _MONTHS[m.group(1).lower()]
    if ym is None:
        parts = _date_parts(t)
        if parts is not None:
            ym = parts[0], parts[1]
    if ym is None or not _valid(ym[0], ym[1]):
        return NO_MONTH
    return (ym[0] - 1970) * 12 + ym[1] - 1


def day_of_text(text: object) -> int:
    """Days since 1970-01-01 of one date string; ``NO_MONTH`` (the int64 minimum) if not a full date."""
    if text is None:
        return NO_MONTH
    parts = _date_parts(str(text))
    if parts is None:
        return NO_MONTH
    return int(np.datetime64(f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}", "D").astype(np.int64))


def _temporal_to_numpy(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """datetime64 array (NaT for nulls) of a date/timestamp column; tz-aware timestamps use their local time."""
    t = arr.type
    if pa.types.is_timestamp(t) and t.tz is not None:
        arr = pc.local_timestamp(arr)
    if pa.types.is_date(arr.type):
        arr = pc.cast(arr, pa.date32())
        out = np.asarray(pc.cast(arr, pa.int32()).to_numpy(zero_copy_only=False))
        if arr.null_count:
            nulls = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            days = np.where(nulls, 0, np.nan_to_num(out)).astype(np.int64).astype("datetime64[D]")
            days[nulls] = np.datetime64("NaT")
            return days
        return out.astype(np.int64).astype("datetime64[D]")
    vals = (
        arr.to_numpy(zero_copy_only=False)
        if isinstance(arr, pa.Array)
        else np.concatenate([c.to_numpy(zero_copy_only=False) for c in arr.chunks])
        if arr.num_chunks
        else np.empty(0, "M8[s]")
    )
    return np.asarray(vals).astype("datetime64[s]")


def is_temporal(arr: pa.ChunkedArray | pa.Array) -> bool:
    """Whether ``arr`` is a date or timestamp column (read as dates, not parsed from text)."""
    return pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type)


def _parse_temporal(arr: pa.ChunkedArray | pa.Array, unit: str, parse_text) -> np.ndarray:
    """Index in ``unit`` (``"M"`` months, ``"D"`` days) since 1970 per row; ``NO_MONTH`` where missing or unparseable.

    Dates/timestamps: the unit they fall in. Text: each distinct string parsed once with ``parse_text``.
    """
    if is_temporal(arr):
        dt = _temporal_to_numpy(arr)
        out = dt.astype(f"datetime64[{unit}]").astype(np.int64)
        out[np.isnat(dt)] = NO_MONTH
        return out
    if is_text(arr):
        return map_distinct(arr, parse_text, NO_MONTH, np.int64)
    return np.full(len(arr), NO_MONTH, dtype=np.int64)


def parse_months(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Month index per row (int64; ``NO_MONTH`` where missing or unparseable).

    Text: each distinct string is parsed once. Dates/timestamps: the calendar month they fall in.
    """
    return _parse_temporal(arr, "M", month_of_text)


def _month_start_day(index: int) -> int:
    if index == NO_MONTH:
        return NO_MONTH
    return int(np.datetime64(int(index), "M").astype("datetime64[D]").astype(np.int64))


def parse_month_starts(arr: pa.ChunkedArray | pa.Array, unit: str = "D") -> tuple[np.ndarray, bool]:
    """Start of each row's calendar month as int64 days (``unit="D"``) or seconds (``"s"``) since 1970-01-01.

    Returns ``(values, maybe_bad)``: invalid rows (missing, unparseable, year outside 1900-2199) hold ``NO_MONTH``;
    ``maybe_bad`` False guarantees there are none (so callers can skip a pass over the rows).
    The hot path of the loading layer: a ``date32`` column costs one gather from a small table (each distinct day
    maps to its month start), no per-row calendar arithmetic; text is parsed once per distinct string.
    """
    scale = {"D": 1, "s": 86_400}[unit]
    if pa.types.is_date32(arr.type):
        nulls = arr.null_count
        d = pc.cast(pc.fill_null(arr, 0) if nulls else arr, pa.int32())
        chunks = [d] if isinstance(d, pa.Array) else d.chunks
        if not sum(len(c) for c in chunks):
            return np.empty(0, np.int64), False
        idx = np.empty(sum(len(c) for c in chunks), dtype=np.intp)
        at = 0
        for c in chunks:  # int32 -> intp straight into one buffer (no intermediate concatenation)
            idx[at : at + len(c)] = c.to_numpy()
            at += len(c)
        lo, hi = int(idx.min()), int(idx.max())
        days = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[D]")
        table = days.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) * scale
        bad_year = (days < np.datetime64(f"{_MIN_YEAR}-01-01")) | (days > np.datetime64(f"{_MAX_YEAR}-12-31"))
        table[bad_year] = NO_MONTH
        idx -= lo
        out = np.take(
            table, idx, out=idx, mode="clip"
        )  # in place: each index is read before its slot is written
        if nulls:
            out[np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = NO_MONTH
        return out, bool(nulls or bad_year.any())
    if is_temporal(arr):
        dt = _temporal_to_numpy(arr)
        out = dt.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) * scale
        bad = (
            np.isnat(dt)
            | (dt < np.datetime64(f"{_MIN_YEAR}-01-01"))
            | (dt > np.datetime64(f"{_MAX_YEAR}-12-31"))
        )
        out[bad] = NO_MONTH
        return out, bool(bad.any())
    if is_text(arr):

        def start(v):
            day = _month_start_day(month_of_text(v))
            return day if day == NO_MONTH else day * scale

        return map_distinct(arr, start, NO_MONTH, np.int64), True
    return np.full(len(arr), NO_MONTH, dtype=np.int64), True


def parse_days(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Days since 1970-01-01 per row (int64; ``NO_MONTH`` where missing or not a full date).

    A ``date32`` column (days since 1970 already) is copied chunk by chunk into the output: one pass, no datetime64
    round trip.
    """
    if pa.types.is_date32(arr.type):
        chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
        out = np.empty(len(arr), dtype=np.int64)
        at = 0
        for ch in chunks:
            n = len(ch)
            days = ch.view(pa.int32()) if not ch.null_count else pc.fill_null(ch.view(pa.int32()), 0)
            out[at : at + n] = days.to_numpy(zero_copy_only=False)
            if ch.null_count:
                out[at : at + n][np.asarray(ch.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = (
                    NO_MONTH
                )
            at += n
        return out
    return _parse_temporal(arr, "D", day_of_text)


# --- enumerations -------------------------------------------------------------------------------------------------


def parse_enum(
    arr: pa.ChunkedArray | pa.Array,
    allowed: Iterable[str],
    aliases: Mapping[str, str] | None = None,
    dtype: type = np.int64,
) -> np.ndarray:
    """Index into ``allowed`` per row (-1 if not allowed): compared case-insensitively with spaces/dashes as ``_``.

    ``dtype`` is the integer type of the result (default int64; int8 holds any enumeration of the contract).
    """
    allowed = list(allowed)
    lookup = {normalise_name(a): i for i, a in enumerate(allowed)}
    for k, v in (aliases or {}).items():
        lookup[normalise_name(k)] = allowed.index(v)

    def code(v):
        return -1 if v is None else lookup.get(normalise_name(v), -1)

    if not is_text(arr):
        arr = pc.cast(arr, pa.string())
    return map_distinct(arr, code, -1, dtype)
