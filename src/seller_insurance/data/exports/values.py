"""Cell values of Seller Central exports: money in each report language, date/times with a printed time zone.

Every parser returns ``None`` for a value it cannot read (the caller rejects the row and names the column); nothing
is guessed. Cells from an Excel workbook arrive already typed (``float``, ``int``, ``datetime``) and are taken as
they are.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

# Time-zone abbreviations Seller Central prints after the time, as fixed UTC offsets in hours. The abbreviation
# already says whether daylight saving applied (PST vs PDT), so a fixed offset is exact. German files print
# MEZ/MESZ, French ones HNEC/HAEC (heure normale/avancee d'Europe centrale).
TIME_ZONE_OFFSETS: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "BST": 1,
    "CET": 1,
    "MEZ": 1,
    "HNEC": 1,
    "CEST": 2,
    "MESZ": 2,
    "HAEC": 2,
    "EET": 2,
    "EEST": 3,
    "JST": 9,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "AEST": 10,
    "AEDT": 11,
}

# Month names (lower case, without a trailing dot) in the report languages read here.
MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "jan january janv janvier januar jän gen gennaio ene enero",
        "feb february févr fevr février fevrier februar febbraio febrero",
        "mar march mars märz maerz mär marzo",
        "apr april avr avril aprile abr abril",
        "may mai mag maggio mayo",
        "jun june juin juni giu giugno junio",
        "jul july juil juillet juli lug luglio julio",
        "aug august août aout ago agosto",
        "sep sept september septembre settembre set septiembre",
        "oct october octobre okt oktober ott ottobre octubre",
        "nov november novembre noviembre",
        "dec december déc decembre décembre dez dezember dic dicembre diciembre",
    ),
    start=1,
):
    for _n in _names.split():
        MONTHS[_n] = _i

_CURRENCY_MARKS = re.compile(r"[$€£¥₹]|\b(?:USD|CAD|MXN|GBP|EUR|JPY|SEK|PLN|INR)\b", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")


def money(value: object, decimal: str = ".") -> float | None:
    """An amount as written in a report whose decimal mark is ``decimal`` (``"."`` or ``","``).

    Parameters
    ----------
    value : object
        The cell: text such as ``"$1,234.56"``, ``"-12.50"``, ``"(3.00)"`` (negative), ``"1.234,56 €"`` (with
        ``decimal=","``), ``"1 234,56"`` (spaces, no-break spaces and apostrophes as thousands separators), or a
        number (Excel cells). An empty cell is ``0.0`` (Seller Central leaves zero amounts blank in some files).
    decimal : str
        The decimal mark of the report's language; the other of ``.``/``,`` is then a thousands separator and is
        accepted only in groups of three digits.

    Returns
    -------
    float or None
        The amount in the report's currency (not rounded), ``None`` if it is not a number in that convention
        (e.g. ``"1,2345"`` with ``decimal="."``, ``"12.50"`` with ``decimal=","``).
    """
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None
    return _money_text(str(value), decimal)


@lru_cache(maxsize=65536)
def _money_text(text: str, decimal: str) -> float | None:
    t = _SPACES.sub("", _CURRENCY_MARKS.sub("", text.strip()))
    if t in ("", "-", "--", "—", "–"):
        return 0.0 if t == "" else None
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1]
    if t.startswith(("-", "−", "\u2212")):
        negative, t = not negative, t[1:]
    elif t.startswith("+"):
        t = t[1:]
    thousands = "," if decimal == "." else "."
    d = re.escape(decimal)
    th = re.escape(thousands)
    pattern = rf"(?:\d{{1,3}}(?:{th}\d{{3}})+|\d+)(?:{d}\d+)?|{d}\d+"
    if not re.fullmatch(pattern, t):
        return None
    number = float(t.replace(thousands, "").replace(decimal, "."))
    return -number if negative else number


_NUMERIC_DATE = re.compile(r"(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?\s*[Mm]\.?)?")
_ZONE = re.compile(r"(?:(?:UTC|GMT)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$")


def _ymd(text: str) -> tuple[int, int, int] | None:
    """Year, month, day of a date written in one of the forms below.

    ``2021-01-03``, ``01/03/2021`` (US), ``03.01.2021``, ``Jan 3, 2021``, ``3 Jan 2021``, ``3 janv. 2021``,
    ``03-Jan-2021``.
    """
    t = text.strip().rstrip(",")
    m = _NUMERIC_DATE.fullmatch(t)
    if m:
        a, sep, b, c = int(m[1]), m[2], int(m[3]), int(m[4])
        if len(m[1]) == 4:
            y, mo, d = a, b, c
        elif len(m[4]) == 4:
            y = c
            mo, d = (a, b) if sep == "/" else (b, a)
        else:
            return None
        return (y, mo, d) if _valid(y, mo, d) else None
    words = re.split(r"[\s,\-]+", t.replace(".", " "))
    words = [w for w in words if w]
    if len(words) != 3:
        return None
    nums = [w for w in words if w.isdigit()]
    names = [w for w in words if not w.isdigit()]
    if len(nums) != 2 or len(names) != 1 or names[0].lower() not in MONTHS:
        return None
    mo = MONTHS[names[0].lower()]
    year = next((int(n) for n in nums if len(n) == 4), None)
    day = next((int(n) for n in nums if len(n) <= 2), None)
    if year is None or day is None:
        return None
    return (year, mo, day) if _valid(year, mo, day) else None


def _valid(y: int, m: int, d: int) -> bool:
    if not (1900 <= y <= 2199 and 1 <= m <= 12):
        return False
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def day(value: object) -> date | None:
    """A calendar day (Business Report ``Date``), ``None`` if not a valid date.

    Written as ``2021-01-03``, ``1/3/2021`` (a slash is US month/day/year), ``03.01.2021`` (day.month.year),
    ``Jan 3, 2021``, ``3 Jan 2021``, or an Excel date cell.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None:
        return None
    ymd = _ymd(str(value))
    return date(*ymd) if ymd else None


def local_time(value: object) -> tuple[datetime, str] | tuple[None, str]:
    """A ``date/time`` cell read in the time zone it prints.

    Parameters
    ----------
    value : object
        Text such as ``"Jan 3, 2021 10:15:32 PM PST"`` (US), ``"3 Jan 2021 22:15:32 GMT"`` (UK),
        ``"03.01.2021 22:15:32 UTC"`` (DE), ``"3 janv. 2021 22:15:32 UTC"`` (FR), an ISO timestamp with an offset
        (``"2021-01-03T22:15:32-08:00"``), or an Excel date cell (taken as local time, zone unknown).

    Returns
    -------
    (datetime, str) or (None, str)
        The *local* wall-clock time with its ``tzinfo`` set to the printed offset (so ``.month`` is the month as
        printed, and ``.astimezone(timezone.utc)`` the instant), and ``""``; or ``None`` and why: ``"date"``,
        ``"time"`` or ``"time zone"`` (an abbreviation not in :data:`TIME_ZONE_OFFSETS`; no zone at all is also
        refused, as the month could then be wrong by a day's worth of transactions).
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC), ""
    if value is None or str(value).strip() == "":
        return None, "date"
    return _local_time_text(str(value).strip())


@lru_cache(maxsize=65536)
def _local_time_text(text: str) -> tuple[datetime, str] | tuple[None, str]:
    iso = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*(Z|[+-]\d{2}:?\d{2})", text
    )
    if iso:
        try:
            return datetime.fromisoformat(f"{iso[1]}T{iso[2]}{'+00:00' if iso[3] == 'Z' else iso[3]}"), ""
        except ValueError:
            return None, "date"
    times = list(_TIME.finditer(text))  # the last match: a date such as 03.01.2021 has no colon, so no clash
    tm = times[-1] if times else None
    if tm is None:
        return None, "time"
    ymd = _ymd(text[: tm.start()])
    if ymd is None:
        return None, "date"
    hour, minute, second = int(tm[1]), int(tm[2]), int(tm[3] or 0)
    if tm[4]:
        if not 1 <= hour <= 12:
            return None, "time"
        hour = hour % 12 + (12 if tm[4].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None, "time"
    zone_text = text[tm.end() :].strip()
    offset = zone_offset(zone_text)
    if offset is None:
        return None, "time zone"
    return datetime(*ymd, hour, minute, second, tzinfo=offset), ""


def zone_offset(text: str) -> timezone | None:
    """The UTC offset of a printed zone: an abbreviation of :data:`TIME_ZONE_OFFSETS` or ``+01:00``/``UTC-8``."""
    key = text.strip().upper()
    if key in TIME_ZONE_OFFSETS:
        return timezone(timedelta(hours=TIME_ZONE_OFFSETS[key]))
    m = _ZONE.fullmatch(key)
    if m:
        minutes = int(m[2]) * 60 + int(m[3] or 0)
        return timezone(timedelta(minutes=minutes if m[1] == "+" else -minutes))
    return None
