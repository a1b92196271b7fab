"""One Seller Central export -> accepted rows (what they add to gross proceeds, per site and month) and rejects.

Gross proceeds definitions (:data:`GROSS_DEFINITIONS`; the agreement's "gross proceeds" has no public mapping to
these columns, so the definition is a choice, recorded in every result):

- Date Range Report, ``"gross"`` (default): product sales + shipping credits + gift wrap credits, summed over rows
  of type Order; refunds are not subtracted. ``"net"``: the same sum over rows of type Order *and* Refund (refund
  amounts are negative in the file, so they are netted).
- Business Report: Ordered Product Sales under either definition (the report has no refund amounts).

Every data row is either accepted (parsed; it may add nothing, such as a Transfer or Service Fee row, or a Refund
under ``"gross"``) or rejected with its line, column, reason and value: ``accepted + rejected = rows read``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from seller_insurance import policy
from seller_insurance.data.exports import values
from seller_insurance.data.exports.containers import Rows, read_rows, stem
from seller_insurance.data.exports.formats import (
    BUSINESS,
    DATE_RANGE,
    FORMATS,
    Detected,
    detect,
    expected_names,
    normalise,
    site_of,
)
from seller_insurance.errors import InputError

GROSS_DEFINITIONS: dict[str, str] = {
    "gross": "Date Range Report: product sales + shipping credits + gift wrap credits over rows of type Order "
    "(refunds not subtracted); Business Report: Ordered Product Sales",
    "net": "Date Range Report: product sales + shipping credits + gift wrap credits over rows of type Order and "
    "Refund (refunds netted); Business Report: Ordered Product Sales (it has no refund amounts)",
}

REJECT_FIELDS = ("source_file", "source_line", "column", "reason", "value")
ROW_FIELDS = ("source_line", "seller_id", "marketplace", "month", "gross", "kind", "instant")
CLAIM_FIELDS = ("seller_id", "marketplace", "date", "claims_granted", "claims_amount", "source_line")

_SYMBOL_SITES = {
    "£": ("UK",),
    "¥": ("JP",),
    "$": ("US", "CA", "MX"),
    "€": ("DE", "FR", "IT", "ES", "NL", "BE"),
}


@dataclass
class ExportResult:
    """One export file read.

    Attributes
    ----------
    path : Path
    format : str
        ``"date-range"`` or ``"business"``.
    language : str
        Header set matched (``en-US``, ``en-GB``, ``de``, ``fr``, ``en``).
    container : str
        How the file was read (``"text, UTF-8, comma-separated"``, ``"xlsx, sheet 'Sheet1'"`` ...).
    header_line : int
        Line of the header (note lines above it are skipped).
    definition : str
        The gross proceeds definition used (a key of :data:`GROSS_DEFINITIONS`).
    rows : pandas.DataFrame
        One row per accepted data row: ``source_line``, ``seller_id``, ``marketplace`` (site code), ``month``
        (first day of the local month, ``datetime64[s]``), ``gross`` (what the row adds to gross proceeds, local
        currency; 0 for rows outside the definition), ``kind`` (``order``, ``refund``, ``other``, ``day``) and
        ``instant`` (UTC, naive ``datetime64[s]``; a Business Report day is its 00:00). Rows of kind ``other``
        have no month or site.
    claims : pandas.DataFrame
        Business Report only: per day ``seller_id``, ``marketplace``, ``date``, ``claims_granted`` (count),
        ``claims_amount`` (local currency), ``source_line``; empty otherwise or without those columns.
    rejects : pandas.DataFrame
        ``source_file``, ``source_line``, ``column`` (header name, ``""`` for the whole row), ``reason``
        (``code: explanation``), ``value`` (the cell as read).
    rows_read : int
        Data rows below the header.
    """

    path: Path
    format: str
    language: str
    container: str
    header_line: int
    definition: str
    rows: pd.DataFrame
    claims: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int
    seller_id_from: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rows_accepted(self) -> int:
        """Number of accepted data rows (the rows of ``rows``)."""
        return len(self.rows)

    def months(self) -> list[str]:
        """Months (``YYYY-MM``) with at least one row counted in gross proceeds, sorted."""
        counted = self.rows[self.rows["kind"].isin(["order", "refund", "day"])]
        return sorted({m.strftime("%Y-%m") for m in counted["month"].dropna()})


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


class _Rejects:
    def __init__(self, source: str):
        self.source = source
        self.rows: list[tuple] = []

    def add(self, line: int, column: str, code: str, text: str, value: object) -> None:
        self.rows.append((self.source, line, column, f"{code}: {text}", "" if value is None else str(value)))

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return _empty(REJECT_FIELDS).astype({"source_line": "int64"})
        out = pd.DataFrame(self.rows, columns=list(REJECT_FIELDS))
        return out.astype({"source_line": "int64"})


def read_export(
    path: str | Path,
    *,
    format: str = "auto",
    sheet: str | None = None,
    definition: str = "gross",
    seller_id: str | None = None,
    marketplace: str | None = None,
) -> ExportResult:
    """Read one Seller Central export.

    Parameters
    ----------
    path : str or Path
        The export (``.csv``, ``.txt``, ``.tsv``, ``.csv.gz``, ``.zip`` with one CSV, ``.xlsx``; UTF-8, UTF-16
        with a BOM or Windows-1252 text, any of comma, tab, semicolon or pipe).
    format : str
        ``"auto"`` (detect by header), ``"date-range"`` or ``"business"`` (only that format's headers are looked
        for; the error then lists them).
    sheet : str, optional
        Workbook sheet (``.xlsx``); default the first.
    definition : str
        Gross proceeds definition, a key of :data:`GROSS_DEFINITIONS`.
    seller_id : str, optional
        Seller id of rows without a ``seller_id`` column value; default the file name without extension.
    marketplace : str, optional
        Site code of rows without a ``marketplace`` column (a Business Report is one site's view). Default: from
        the currency symbol (``£`` UK, ``¥`` JP, ``$`` US); euro amounts need it.

    Raises
    ------
    InputError
        Unreadable container, no recognised header in the first 40 lines (the message lists the expected names and
        the first line's cells), an unknown ``format``/``definition``/``marketplace``, or euro amounts in a
        Business Report without ``marketplace``.
    """
    path = Path(path)
    if format not in ("auto", *FORMATS):
        raise InputError(f"unknown format {format!r}: use auto, {', '.join(FORMATS)}")
    if definition not in GROSS_DEFINITIONS:
        raise InputError(
            f"unknown gross proceeds definition {definition!r}: use {', '.join(GROSS_DEFINITIONS)}"
        )
    if marketplace is not None and marketplace not in policy.KNOWN_MARKETPLACES:
        raise InputError(
            f"unknown marketplace {marketplace!r}: use one of {', '.join(policy.KNOWN_MARKETPLACES)}"
        )
    rows = read_rows(path, sheet)
    found = detect(rows.cells, format)
    if found is None:
        first = next((r for r in rows.cells if any(str(c).strip() for c in r)), [])
        shown = ", ".join(repr(str(c)) for c in first[:6]) + (", ..." if len(first) > 6 else "")
        what = "a Seller Central export" if format == "auto" else f"a {format} report"
        raise InputError(
            f"not {what}: no header row in the first 40 lines with the columns {expected_names(format)}; "
            f"first line: {shown}"
            + (
                ""
                if rows.container.startswith("text, UTF-8")
                else "; a table in the project's own columns (seller_id, month, gross_sales, ...) must be saved as "
                "UTF-8 CSV (docs/your-own-data.md)"
            ),
            path=path,
        )
    default_id = seller_id if seller_id else stem(path)
    id_from = (
        "column seller_id" if "seller_id" in found.columns else ("mapping" if seller_id else "file name")
    )
    if found.header_set.format == DATE_RANGE:
        result = _date_range(path, rows, found, definition, default_id, marketplace)
    else:
        result = _business(path, rows, found, definition, default_id, marketplace)
    result.seller_id_from = id_from
    return result


def _data_rows(rows: Rows, found: Detected, rejects: _Rejects, width: int, pad: bool):
    """Yield (line, cells) of data rows of the right width; reject empty and malformed rows."""
    for cells, line in zip(
        rows.cells[found.header_index + 1 :], rows.lines[found.header_index + 1 :], strict=True
    ):
        if not any(str(c).strip() for c in cells):
            rejects.add(line, "", "empty_row", "every field is empty", "")
            continue
        if len(cells) != width:
            if pad and len(cells) < width:
                cells = list(cells) + [""] * (width - len(cells))
            elif pad and not any(str(c).strip() for c in cells[width:]):
                cells = list(cells[:width])
            else:
                rejects.add(
                    line,
                    "",
                    "malformed_row",
                    f"{len(cells)} fields, the header has {width}",
                    ",".join(map(str, cells)),
                )
                continue
        yield line, cells


def _cell_text(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _date_range(
    path: Path, rows: Rows, found: Detected, definition: str, default_id: str, marketplace: str | None
) -> ExportResult:
    hs, cols = found.header_set, found.columns
    header = [str(c) for c in rows.cells[found.header_index]]
    rejects = _Rejects(str(path))
    counted_types = hs.order_types + (hs.refund_types if definition == "net" else ())
    money_fields = ("product_sales", "shipping_credits", "gift_wrap_credits")
    out: list[tuple] = []
    pad = rows.container.startswith("xlsx")
    for line, cells in _data_rows(rows, found, rejects, len(header), pad):
        kind_text = normalise(cells[cols["type"]])
        if not kind_text:
            rejects.add(line, header[cols["type"]], "missing_type", "the transaction type is empty", "")
            continue
        if kind_text not in counted_types:
            kind = "refund" if kind_text in hs.refund_types else "other"
            out.append((line, None, None, pd.NaT, 0.0, kind, pd.NaT))
            continue
        kind = "order" if kind_text in hs.order_types else "refund"
        sid = _cell_text(cells[cols["seller_id"]]) if "seller_id" in cols else default_id
        if not sid:
            rejects.add(line, header[cols["seller_id"]], "missing_seller_id", "the seller id is empty", "")
            continue
        raw_time = cells[cols["datetime"]]
        when, problem = values.local_time(raw_time)
        if when is None:
            code = "bad_time_zone" if problem == "time zone" else "bad_datetime"
            text = (
                "time zone not known: one of PST, PDT, GMT, UTC, BST, MEZ, MESZ, JST, ... "
                "(seller_insurance.data.exports.TIME_ZONE_OFFSETS) or an offset such as +01:00"
                if problem == "time zone"
                else f"not a date/time such as 'Jan 3, 2021 10:15:32 PM PST' (bad {problem})"
            )
            rejects.add(line, header[cols["datetime"]], code, text, raw_time)
            continue
        if "marketplace" in cols:
            raw_site = cells[cols["marketplace"]]
            site = site_of(raw_site)
            if site is None:
                rejects.add(
                    line,
                    header[cols["marketplace"]],
                    "bad_marketplace",
                    "not an Amazon store of policy.KNOWN_MARKETPLACES (amazon.com, amazon.co.uk, amazon.de, ...)",
                    raw_site,
                )
                continue
        else:
            site = marketplace or policy.DEFAULT_MARKETPLACE
        total = 0.0
        for fld in money_fields:
            amount = values.money(cells[cols[fld]], hs.decimal)
            if amount is None:
                example = "1,234.56" if hs.decimal == "." else "1.234,56"
                rejects.add(
                    line,
                    header[cols[fld]],
                    "bad_amount",
                    f"not an amount in this report's convention (e.g. {example})",
                    cells[cols[fld]],
                )
                break
            total += amount
        else:
            month = datetime(when.year, when.month, 1)
            instant = when.astimezone(UTC).replace(tzinfo=None)
            out.append((line, sid, site, month, total, kind, instant))
    frame = _rows_frame(out)
    return ExportResult(
        path=path,
        format=DATE_RANGE,
        language=hs.language,
        container=rows.container,
        header_line=rows.lines[found.header_index],
        definition=definition,
        rows=frame,
        claims=_empty(CLAIM_FIELDS),
        rejects=rejects.frame(),
        rows_read=len(rows.cells) - found.header_index - 1,
    )


def _rows_frame(out: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(out, columns=list(ROW_FIELDS)) if out else _empty(ROW_FIELDS)
    frame["source_line"] = frame["source_line"].astype("int64")
    frame["gross"] = frame["gross"].astype("float64")
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[s]")
    frame["instant"] = pd.to_datetime(frame["instant"]).astype("datetime64[s]")
    return frame


def _business_site(rows: Rows, found: Detected, marketplace: str | None, path: Path) -> str:
    if marketplace:
        return marketplace
    seen: Counter[str] = Counter()
    col = found.columns["ordered_product_sales"]
    for cells in rows.cells[found.header_index + 1 : found.header_index + 200]:
        if col < len(cells):
            seen.update(re.findall(r"[$€£¥]", str(cells[col])))
    symbol = seen.most_common(1)[0][0] if seen else "$"
    if symbol == "€":
        raise InputError(
            "a Business Report in euros: say which site it is (accounts file column 'marketplace', "
            "or marketplace=...), e.g. DE",
            path=path,
        )
    if symbol == "£":
        return "UK"
    if symbol == "¥":
        return "JP"
    return policy.DEFAULT_MARKETPLACE


def _business(
    path: Path, rows: Rows, found: Detected, definition: str, default_id: str, marketplace: str | None
) -> ExportResult:
    hs, cols = found.header_set, found.columns
    header = [str(c) for c in rows.cells[found.header_index]]
    site = _business_site(rows, found, marketplace, path)
    allowed = {s for s, sites in _SYMBOL_SITES.items() if site in sites}
    rejects = _Rejects(str(path))
    out: list[tuple] = []
    claims: list[tuple] = []
    seen_days: dict[tuple, int] = {}
    pad = rows.container.startswith("xlsx")
    for line, cells in _data_rows(rows, found, rejects, len(header), pad):
        sid = _cell_text(cells[cols["seller_id"]]) if "seller_id" in cols else default_id
        if not sid:
            rejects.add(line, header[cols["seller_id"]], "missing_seller_id", "the seller id is empty", "")
            continue
        raw_day = cells[cols["date"]]
        day = values.day(raw_day)
        if day is None:
            rejects.add(
                line,
                header[cols["date"]],
                "bad_date",
                "not a date such as 01/03/2021 (month/day/year), 2021-01-03 or Jan 3, 2021",
                raw_day,
            )
            continue
        if (sid, day) in seen_days:  # a day twice (two exports pasted together): never summed twice
            rejects.add(
                line,
                header[cols["date"]],
                "duplicate_day",
                f"{day.isoformat()} of {sid} is already on line {seen_days[(sid, day)]}; not counted twice",
                raw_day,
            )
            continue
        seen_days[(sid, day)] = line
        bad = False
        amounts: dict[str, float] = {}
        for fld in ("ordered_product_sales", "claims_amount"):
            if fld not in cols:
                continue
            raw = cells[cols[fld]]
            symbols = set(re.findall(r"[$€£¥]", str(raw)))
            if symbols - allowed:
                rejects.add(
                    line,
                    header[cols[fld]],
                    "currency_mismatch",
                    f"currency symbol {''.join(sorted(symbols))} on site {site} ({policy.SITE_CURRENCY[site]})",
                    raw,
                )
                bad = True
                break
            amount = values.money(raw, hs.decimal)
            if amount is None or amount < 0:
                rejects.add(
                    line,
                    header[cols[fld]],
                    "bad_amount",
                    "not an amount >= 0 such as $1,234.56",
                    raw,
                )
                bad = True
                break
            amounts[fld] = amount
        if bad:
            continue
        count = 0
        if "claims_granted" in cols:
            raw = cells[cols["claims_granted"]]
            number = values.money(raw, ".")
            if number is None or number < 0 or number != int(number):
                rejects.add(line, header[cols["claims_granted"]], "bad_count", "not a whole number >= 0", raw)
                continue
            count = int(number)
        month = datetime(day.year, day.month, 1)
        instant = datetime(day.year, day.month, day.day)
        out.append((line, sid, site, month, amounts["ordered_product_sales"], "day", instant))
        if "claims_granted" in cols or "claims_amount" in cols:
            claims.append((sid, site, instant, count, amounts.get("claims_amount", 0.0), line))
    claim_frame = pd.DataFrame(claims, columns=list(CLAIM_FIELDS)) if claims else _empty(CLAIM_FIELDS)
    claim_frame["date"] = pd.to_datetime(claim_frame["date"]).astype("datetime64[s]")
    return ExportResult(
        path=path,
        format=BUSINESS,
        language=hs.language,
        container=rows.container,
        header_line=rows.lines[found.header_index],
        definition=definition,
        rows=_rows_frame(out),
        claims=claim_frame,
        rejects=rejects.frame(),
        rows_read=len(rows.cells) - found.header_index - 1,
        notes=(
            ["Business Report: 'net' has no refund amounts to subtract; Ordered Product Sales used"]
            if definition == "net"
            else []
        ),
    )
