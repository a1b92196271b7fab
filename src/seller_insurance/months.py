"""Calendar-month arithmetic shared by every module.

A calendar month is represented internally as an integer *month index*: months since 1970-01
(``numpy.datetime64[M]`` as int64), so 1970-01 -> 0, 2021-09 -> 620. Consecutive calendar months differ by exactly
1, across year boundaries, which is what the N-month rules need. Tables on disk store a month as a date (the first
day of the month).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NO_MONTH = np.iinfo(np.int64).min  # sentinel for "no month" in int64 month-index arrays

_YYYY_MM = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def to_month_index(values) -> np.ndarray:
    """Month index (int64, months since 1970-01) of datetime-like values.

    Accepts a Series/array of datetime64 (any unit, timezone-naive or aware: the local calendar month is used) or of
    ``datetime.date`` objects. Missing values raise ``ValueError``; the loading layer rejects them before this.
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    if s.dtype == object or not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s)
    if s.isna().any():
        raise ValueError("missing month")
    return s.to_numpy().astype("datetime64[M]").astype(np.int64)


def parse_month(text: str) -> int:
    """Month index of ``'YYYY-MM'`` (command-line arguments such as ``--start 2021-09``).

    Raises ``ValueError`` with the offending text otherwise.
    """
    m = _YYYY_MM.match(str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"not a month (expected YYYY-MM): {text!r}")
    return (int(m.group(1)) - 1970) * 12 + int(m.group(2)) - 1


def month_index_to_datetime64(index) -> np.ndarray:
    """``datetime64[M]`` array from month indices; ``NO_MONTH`` becomes ``NaT``."""
    idx = np.asarray(index, dtype=np.int64)
    out = idx.astype("datetime64[M]")
    out[idx == NO_MONTH] = np.datetime64("NaT")
    return out


def month_index_to_timestamp(index) -> pd.DatetimeIndex:
    """First day of each month as a ``DatetimeIndex`` (``datetime64[s]``); ``NO_MONTH`` becomes ``NaT``."""
    return pd.DatetimeIndex(month_index_to_datetime64(index).astype("datetime64[s]"))


def format_month(index) -> np.ndarray:
    """``'YYYY-MM'`` strings (object array) from month indices; ``NO_MONTH`` becomes ``''``.

    Vectorised: formats each distinct month once (a lookup table), so a million rows cost one ``take``.
    """
    idx = np.asarray(index, dtype=np.int64)
    out = np.full(idx.shape, "", dtype=object)
    ok = idx != NO_MONTH
    if ok.any():
        lo, hi = int(idx[ok].min()), int(idx[ok].max())
        table = np.array([f"{m // 12 + 1970:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)], dtype=object)
        out[ok] = table[idx[ok] - lo]
    return out


def month_end_plus_days(index, days: int) -> np.ndarray:
    """Date (``datetime64[D]``) of the last day of each month plus ``days`` days; ``NO_MONTH`` -> ``NaT``.

    Used for the insurance due date: "within thirty (30) days" after the trigger month ends.
    """
    idx = np.asarray(index, dtype=np.int64)
    first_of_next = (np.where(idx == NO_MONTH, 0, idx) + 1).astype("datetime64[M]").astype("datetime64[D]")
    out = first_of_next - np.timedelta64(1, "D") + np.timedelta64(int(days), "D")
    out[idx == NO_MONTH] = np.datetime64("NaT")
    return out


def month_range(start: int, end: int) -> np.ndarray:
    """All month indices from ``start`` to ``end`` inclusive."""
    return np.arange(int(start), int(end) + 1, dtype=np.int64)
