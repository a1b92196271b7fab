"""A folder of Seller Central exports, one or more per account, into one monthly sales table.

Seller id of a row: the file's ``seller_id`` column when it has one, else the accounts file's ``seller_id`` for that
file, else the file name without extension. Files are read in name order. Two files of one account (seller id and
site) that share a month are compared by dates: the earlier file (in name order) covers, in that month, the span
from its first to its last row (a transaction's instant; a Business Report day spans the whole day). Rows of a
later file inside a span already covered would count the same sales twice: they are rejected
(``overlapping_month``, naming the file that covers them) and the overlap is flagged. Rows outside it (adjacent
date ranges, such as two half-month downloads) are summed and the shared month is flagged. Months between an account's first and
last month that no file covers are flagged as gaps (read as zero sales, the project's convention).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from seller_insurance import policy
from seller_insurance.data.exports.containers import export_suffix, looks_like_export
from seller_insurance.data.exports.formats import normalise
from seller_insurance.data.exports.reports import (
    CLAIM_FIELDS,
    REJECT_FIELDS,
    ExportResult,
    read_export,
)
from seller_insurance.data.loading import LoadResult, load_monthly_sales
from seller_insurance.errors import InputError
from seller_insurance.safe_export import to_spreadsheet_csv

ACCOUNTS_FILE = "accounts.csv"
DATASET_TABLES = ("sellers", "monthly_sales", "claims")
COUNTED = ("order", "refund", "day")


@dataclass
class FileReport:
    """What happened to one file of the folder: its result, or the error that made it unusable."""

    path: Path
    result: ExportResult | None = None
    error: str = ""
    overlap_rejected: int = 0

    @property
    def rows_read(self) -> int:
        """Data rows read from the file (0 if it could not be read)."""
        return self.result.rows_read if self.result else 0

    @property
    def rejected(self) -> int:
        """Rows rejected: the file's own rejects plus its rows rejected as overlaps with other files."""
        return (len(self.result.rejects) if self.result else 0) + self.overlap_rejected

    @property
    def accepted(self) -> int:
        """Rows read and not rejected."""
        return self.rows_read - self.rejected


@dataclass
class AccountsResult:
    """A folder of exports read together.

    Attributes
    ----------
    files : list of FileReport
        One per export file, in name order.
    monthly : pandas.DataFrame
        ``seller_id``, ``marketplace``, ``month`` (``datetime64[s]``, first of the month), ``gross_sales`` (local
        currency, rounded to cents, >= 0), ``currency``: one row per seller, site and month with counted rows.
    claims : pandas.DataFrame
        Daily claim counts and amounts of the Business Reports (``CLAIM_FIELDS`` plus ``source_file``).
    sellers : pandas.DataFrame
        ``seller_id``, ``category`` from the accounts file (empty without one or without a category column).
    rejects : pandas.DataFrame
        Every rejected row of every file (``REJECT_FIELDS``), overlaps and negative net months included.
    flags : list of str
        Gaps and overlaps, in words.
    definition : str
        Gross proceeds definition used.
    """

    files: list[FileReport]
    monthly: pd.DataFrame
    claims: pd.DataFrame
    sellers: pd.DataFrame
    rejects: pd.DataFrame
    flags: list[str] = field(default_factory=list)
    definition: str = "gross"

    @property
    def rows_read(self) -> int:
        """Data rows read, over every file."""
        return sum(f.rows_read for f in self.files)

    @property
    def errors(self) -> list[str]:
        """``"<path>: <error>"`` for each file that could not be read."""
        return [f"{f.path}: {f.error}" for f in self.files if f.error]


def export_files(folder: Path, accounts: Path | None = None) -> list[Path]:
    """The export files of ``folder`` (not recursive, name order).

    Known suffixes, not hidden, not a rejects file, not the accounts file and not a dataset table
    (``monthly_sales.csv`` ...).
    """
    out = []
    for p in sorted(folder.iterdir()):
        name = p.name.lower()
        if p.is_dir() or name.startswith((".", "~$")) or not export_suffix(p):
            continue
        if name.endswith(".rejects.csv") or name == ACCOUNTS_FILE:
            continue
        if accounts is not None and p.resolve() == accounts.resolve():
            continue
        if any(name in (f"{t}.csv", f"{t}.csv.gz") for t in DATASET_TABLES):
            continue
        out.append(p)
    return out


def is_export_folder(folder: str | Path) -> bool:
    """Whether ``folder`` is a folder of exports.

    True if ``folder`` holds no dataset table (``monthly_sales.csv``/``.parquet``/folder) and at least one
    export file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return False
    if any(
        (folder / n).exists()
        for n in ("monthly_sales.parquet", "monthly_sales.csv", "monthly_sales.csv.gz", "monthly_sales")
    ):
        return False
    return bool(export_files(folder))


def is_export_input(path: str | Path, sheet: str | None = None) -> bool:
    """Whether ``path`` is Seller Central export input, a folder or a file.

    True if ``path`` is an export folder (:func:`is_export_folder`) or an export file (a container the
    contract loader does not read, or a known Seller Central header in its first lines).
    """
    path = Path(path)
    return is_export_folder(path) if path.is_dir() else looks_like_export(path, sheet)


def read_accounts_file(path: Path) -> dict[str, dict[str, str]]:
    """``file, seller_id[, category][, marketplace]`` per line -> {file name: {seller_id, category, marketplace}}.

    Raises ``InputError`` (with the line) for a missing column, an empty file name or seller id, a file listed
    twice, or an unknown marketplace.
    """
    if not path.exists():
        raise InputError("accounts file not found", path=path)
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [normalise(h).replace(" ", "_") for h in next(reader)]
    except StopIteration:
        raise InputError("empty accounts file", path=path) from None
    for need in ("file", "seller_id"):
        if need not in header:
            raise InputError(
                f"accounts file needs columns file, seller_id (optional category, marketplace); found "
                f"{', '.join(header)}",
                path=path,
            )
    out: dict[str, dict[str, str]] = {}
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        rec = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        if not rec["file"] or not rec["seller_id"]:
            raise InputError("file and seller_id must not be empty", path=path, row=line)
        if rec["file"] in out:
            raise InputError(f"file {rec['file']!r} listed twice", path=path, row=line)
        site = rec.get("marketplace", "").upper()
        site = "UK" if site == "GB" else site
        if site and site not in policy.KNOWN_MARKETPLACES:
            raise InputError(f"unknown marketplace {site!r}", path=path, row=line, column="marketplace")
        out[rec["file"]] = {
            "seller_id": rec["seller_id"],
            "category": rec.get("category", ""),
            "marketplace": site,
        }
    return out


def read_accounts(
    folder: str | Path,
    *,
    accounts: str | Path | None = None,
    format: str = "auto",
    sheet: str | None = None,
    definition: str = "gross",
) -> AccountsResult:
    """Read every export of ``folder`` and combine them into monthly gross sales per seller and site.

    Parameters
    ----------
    folder : str or Path
        A folder of exports (a single file is read as a folder of one).
    accounts : str or Path, optional
        Accounts file (``file, seller_id[, category][, marketplace]``); default ``<folder>/accounts.csv`` if it
        exists. A file named in it that is not in the folder is an error.
    format, sheet, definition
        As for :func:`read_export` (applied to every file).

    Returns
    -------
    AccountsResult
        Files that could not be read at all carry their error (``FileReport.error``) and add no rows; the caller
        decides whether that stops the run (``validate`` reports and exits 2; ``evaluate``/``report`` stop).

    Raises
    ------
    InputError
        Missing folder, no export file in it, or a bad accounts file.
    """
    folder = Path(folder)
    if not folder.exists():
        raise InputError("folder not found", path=folder)
    files = [folder] if folder.is_file() else export_files(folder, Path(accounts) if accounts else None)
    base = folder.parent if folder.is_file() else folder
    if not files:
        raise InputError("no export file (.csv, .txt, .tsv, .csv.gz, .zip, .xlsx) in the folder", path=folder)
    acc_path = Path(accounts) if accounts else (base / ACCOUNTS_FILE)
    mapping = read_accounts_file(acc_path) if (accounts or acc_path.exists()) else {}
    names = {p.name for p in files}
    missing = [f for f in mapping if f not in names]
    if folder.is_file():  # one file: only its own line of the accounts file applies
        mapping = {k: v for k, v in mapping.items() if k in names}
    elif missing:
        raise InputError(f"accounts file names files not in the folder: {', '.join(missing)}", path=acc_path)
    reports: list[FileReport] = []
    for p in files:
        m = mapping.get(p.name, {})
        try:
            res = read_export(
                p,
                format=format,
                sheet=sheet,
                definition=definition,
                seller_id=m.get("seller_id") or None,
                marketplace=m.get("marketplace") or None,
            )
            reports.append(FileReport(p, res))
        except InputError as exc:
            reports.append(FileReport(p, error=str(exc)))
    return _combine(reports, mapping, definition)


def _combine(reports: list[FileReport], mapping: dict, definition: str) -> AccountsResult:
    flags: list[str] = []
    extra_rejects: list[pd.DataFrame] = []
    kept: dict[tuple, list[tuple]] = {}  # (seller, site, month) -> [(file, first, last)]
    parts = []
    for rep in reports:
        if rep.result is None:
            continue
        rows = rep.result.rows
        counted = rows[rows["kind"].isin(COUNTED)].copy()
        if counted.empty:
            continue
        counted["file"] = rep.path.name
        # a row covers an instant (Date Range Report) or a whole day (Business Report)
        counted["until"] = counted["instant"] + (
            pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
            if rep.result.format == "business"
            else pd.Timedelta(0)
        )
        drop = pd.Series(False, index=counted.index)
        for key, grp in counted.groupby(["seller_id", "marketplace", "month"], sort=True):
            month_text = key[2].strftime("%Y-%m")
            inside = pd.Series(False, index=grp.index)
            clash: list[str] = []
            for other, first, last in kept.get(key, []):
                hit = (grp["instant"] <= last) & (grp["until"] >= first)
                if hit.any():
                    clash.append(other)
                    inside |= hit
            if inside.any():
                lines = grp.loc[inside, "source_line"].astype("int64")
                drop.loc[lines.index] = True
                others = " and ".join(dict.fromkeys(clash))
                flags.append(
                    f"overlap: {key[0]} {key[1]} {month_text} is in {others} and {rep.path.name} with "
                    f"overlapping dates; {len(lines)} rows of {rep.path.name} inside the dates of {others} "
                    "rejected (not counted twice)"
                )
                extra_rejects.append(
                    pd.DataFrame(
                        {
                            "source_file": str(rep.path),
                            "source_line": lines,
                            "column": "",
                            "reason": f"overlapping_month: {month_text} of {key[0]} on {key[1]} is already "
                            f"covered by {others} at this date; not counted twice",
                            "value": "",
                        }
                    )
                )
                rep.overlap_rejected += len(lines)
            rest = grp[~inside]
            if rest.empty:
                continue
            if kept.get(key):
                flags.append(
                    f"shared month: {key[0]} {key[1]} {month_text} is in {kept[key][0][0]} and {rep.path.name}; "
                    f"{len(rest)} rows of {rep.path.name} outside the other file's dates summed"
                )
            kept.setdefault(key, []).append((rep.path.name, rest["instant"].min(), rest["until"].max()))
        parts.append(counted[~drop])
    cols = ["seller_id", "marketplace", "month", "gross", "source_line", "file"]
    rows = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    monthly = (
        rows.groupby(["seller_id", "marketplace", "month"], sort=True)["gross"].sum().reset_index()
        if len(rows)
        else pd.DataFrame(columns=["seller_id", "marketplace", "month", "gross"])
    )
    negative = monthly[monthly["gross"] < -0.005]
    for _, neg in negative.iterrows():
        sel = (
            (rows["seller_id"] == neg["seller_id"])
            & (rows["marketplace"] == neg["marketplace"])
            & (rows["month"] == neg["month"])
        )
        month_text = neg["month"].strftime("%Y-%m")
        for file_name, grp in rows[sel].groupby("file"):
            rep = next(r for r in reports if r.path.name == file_name)
            rep.overlap_rejected += len(grp)
            extra_rejects.append(
                pd.DataFrame(
                    {
                        "source_file": str(rep.path),
                        "source_line": grp["source_line"].astype("int64"),
                        "column": "",
                        "reason": f"negative_monthly_total: {month_text} nets to {neg['gross']:.2f} after "
                        "refunds (gross proceeds cannot be negative)",
                        "value": "",
                    }
                )
            )
        flags.append(f"negative month: {neg['seller_id']} {neg['marketplace']} {month_text} rejected")
    monthly = monthly[monthly["gross"] >= -0.005].copy()
    monthly["gross_sales"] = monthly["gross"].astype(float).round(2).clip(lower=0.0)
    monthly["month"] = pd.to_datetime(monthly["month"]).astype("datetime64[s]")
    monthly["currency"] = monthly["marketplace"].map(dict(policy.SITE_CURRENCY))
    monthly = monthly[["seller_id", "marketplace", "month", "gross_sales", "currency"]].reset_index(drop=True)
    flags.extend(_gaps(monthly))
    claims = [
        r.result.claims.assign(source_file=str(r.path))
        for r in reports
        if r.result is not None and len(r.result.claims)
    ]
    claim_frame = (
        pd.concat(claims, ignore_index=True)
        if claims
        else pd.DataFrame(columns=[*CLAIM_FIELDS, "source_file"])
    )
    rejects = [r.result.rejects for r in reports if r.result is not None and len(r.result.rejects)]
    rejects += extra_rejects
    reject_frame = (
        pd.concat(rejects, ignore_index=True)[list(REJECT_FIELDS)]
        if rejects
        else pd.DataFrame({c: pd.Series([], dtype=object) for c in REJECT_FIELDS})
    )
    sellers = pd.DataFrame(
        [(m["seller_id"], m["category"]) for m in mapping.values() if m.get("category")],
        columns=["seller_id", "category"],
    ).drop_duplicates("seller_id")
    return AccountsResult(reports, monthly, claim_frame, sellers, reject_frame, flags, definition)


def _gaps(monthly: pd.DataFrame) -> list[str]:
    out = []
    for (sid, site), grp in monthly.groupby(["seller_id", "marketplace"], sort=True):
        have = set(pd.PeriodIndex(grp["month"], freq="M"))
        full = pd.period_range(min(have), max(have), freq="M")
        missing = [p for p in full if p not in have]
        if missing:
            shown = ", ".join(str(p) for p in missing[:6]) + (", ..." if len(missing) > 6 else "")
            out.append(
                f"gap: {sid} {site} has no rows in {shown} (a missing export or months without sales; read as zero)"
            )
    return out


def months_text(months: list[str]) -> str:
    """``2021-01..2021-06`` for a run of months, runs joined by commas; ``none`` if empty."""
    if not months:
        return "none"
    periods = sorted(pd.Period(m, freq="M") for m in months)
    runs, start, prev = [], periods[0], periods[0]
    for p in periods[1:]:
        if p != prev + 1:
            runs.append((start, prev))
            start = p
        prev = p
    runs.append((start, prev))
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in runs)


def write_dataset(result: AccountsResult, out: str | Path, source: str | Path) -> Path:
    """Write a combined folder as a dataset folder the loading layer reads; returns ``out``.

    The files: ``monthly_sales.csv``, ``sellers.csv`` (when the accounts file has categories: seller_id,
    marketplace, category, launch_month = first month with sales), ``claims_daily.csv`` (Business Report claim
    counts and amounts), ``exports.rejects.csv`` and ``exports.json`` (files, formats, counts, flags,
    definition).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    monthly = result.monthly.copy()
    monthly["month"] = monthly["month"].dt.strftime("%Y-%m")
    monthly.to_csv(out / "monthly_sales.csv", index=False)
    sellers_path = out / "sellers.csv"
    if len(result.sellers):
        first = result.monthly.groupby(["seller_id", "marketplace"], sort=True)["month"].min().reset_index()
        cats = first.merge(result.sellers, on="seller_id", how="left")
        cats["category"] = cats["category"].fillna("unknown").replace("", "unknown")
        cats["launch_month"] = cats["month"].dt.strftime("%Y-%m")
        cats[["seller_id", "marketplace", "category", "launch_month"]].to_csv(sellers_path, index=False)
    elif sellers_path.exists():
        sellers_path.unlink()
    result.claims.to_csv(out / "claims_daily.csv", index=False)
    to_spreadsheet_csv(result.rejects, out / "exports.rejects.csv")
    record = {
        "source": str(source),
        "definition": result.definition,
        "files": [
            {
                "file": str(f.path),
                "format": f.result.format if f.result else "",
                "language": f.result.language if f.result else "",
                "rows_read": f.rows_read,
                "accepted": f.accepted,
                "rejected": f.rejected,
                "months": f.result.months() if f.result else [],
                "error": f.error,
            }
            for f in result.files
        ],
        "flags": result.flags,
    }
    (out / "exports.json").write_text(json.dumps(record, indent=2) + "\n")
    return out


def as_load_result(result: AccountsResult, workdir: str | Path, source: str | Path) -> LoadResult:
    """The combined monthly sales as a :class:`LoadResult`, with the exports' rejects and counts.

    Typed exactly as every sales table the loading layer loads, through ``load_monthly_sales`` on the written
    ``monthly_sales.csv`` in ``workdir``. Counts: ``rows_read`` = data rows of every file, ``rows_accepted`` =
    rows not rejected.
    """
    folder = write_dataset(result, workdir, source)
    loaded = load_monthly_sales(folder / "monthly_sales.csv")
    if len(loaded.rejects):  # cannot happen for rows built here; never hide it if it does
        raise InputError(f"internal: the combined monthly sales failed the contract: {loaded.summary()}")
    accepted = sum(f.accepted for f in result.files)
    return LoadResult(
        frame=loaded.frame,
        rejects=result.rejects,
        rows_read=result.rows_read,
        source=str(source),
        rows_accepted=accepted if len(loaded.frame) else 0,
        kind="exports",
    )
