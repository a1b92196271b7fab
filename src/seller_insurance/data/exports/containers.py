"""Getting rows out of an export file: CSV/TSV text, ``.gz``, ``.zip`` and ``.xlsx`` workbooks.

Text is UTF-8, UTF-16 with a BOM, or Windows-1252; a ``.zip`` has one CSV inside.

The result is every physical record of the file as a list of cells plus its line number (1-based, the line where
the record starts; for a workbook, the sheet's row number), so that note lines above the header, the header and
the data rows all keep the numbers a user sees in a text editor or in Excel.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from seller_insurance.data.exports.formats import HEADER_SEARCH_LINES, detect
from seller_insurance.errors import InputError

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
DELIMITERS = (",", "\t", ";", "|")


@dataclass
class Rows:
    """The records of one file: ``cells[i]`` was read from line ``lines[i]``; ``container`` says how."""

    cells: list[list[object]]
    lines: list[int]
    container: str


def export_suffix(path: Path) -> str:
    """``.csv``, ``.csv.gz``, ``.zip``, ``.xlsx``, ``.txt``, ``.tsv`` (lower case), or ``""`` if none of these."""
    name = path.name.lower()
    for s in (".csv.gz", ".txt.gz", ".tsv.gz", ".zip", ".xlsx", *TEXT_SUFFIXES):
        if name.endswith(s):
            return s
    return ""


def stem(path: Path) -> str:
    """The file name without its export suffix (``acme-us.csv.gz`` -> ``acme-us``)."""
    suffix = export_suffix(path)
    return path.name[: len(path.name) - len(suffix)] if suffix else path.stem


def read_rows(path: Path, sheet: str | None = None) -> Rows:
    """All records of an export file.

    Parameters
    ----------
    path : Path
        ``.csv``/``.txt``/``.tsv`` (optionally ``.gz``), ``.zip`` holding exactly one such file, or ``.xlsx``.
    sheet : str, optional
        Workbook sheet name (``.xlsx`` only); default the first sheet.

    Raises
    ------
    InputError
        Missing or empty file, an unsupported container (``.xls``, ``.parquet`` ...), a zip without exactly one CSV,
        a corrupt workbook or gzip stream, an unknown sheet, or text in no known delimiter.
    """
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, not an export file", path=path)
    suffix = export_suffix(path)
    if not suffix:
        hint = " (save it as .xlsx or CSV)" if path.suffix.lower() in (".xls", ".xlsm", ".ods") else ""
        raise InputError(
            f"not a Seller Central export container{hint}: expected .csv, .txt, .tsv, .csv.gz, .zip or .xlsx",
            path=path,
        )
    if suffix == ".xlsx":
        return _workbook_rows(path, sheet)
    if sheet:
        raise InputError("--sheet applies to .xlsx workbooks only", path=path)
    if suffix.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        except (OSError, EOFError) as exc:
            raise InputError(f"not a readable gzip file ({exc})", path=path) from None
        return _text_rows(data, path, "gzip")
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = [
                    n
                    for n in zf.namelist()
                    if not n.endswith("/")
                    and not n.startswith("__MACOSX/")
                    and n.lower().endswith(TEXT_SUFFIXES)
                ]
                if len(members) != 1:
                    raise InputError(
                        f"a .zip must hold exactly one .csv/.txt/.tsv file, found {len(members)}"
                        + (f": {', '.join(members[:5])}" if members else ""),
                        path=path,
                    )
                data = zf.read(members[0])
        except zipfile.BadZipFile as exc:
            raise InputError(f"not a readable zip file ({exc})", path=path) from None
        return _text_rows(data, path, f"zip:{members[0]}")
    return _text_rows(path.read_bytes(), path, "text")


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8"
    if b"\x00" in data[:4096]:
        raise InputError(
            "looks binary or UTF-16 without a byte-order mark: save it as CSV or 'Unicode text'", path=path
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def _text_rows(data: bytes, path: Path, how: str) -> Rows:
    if not data.strip():
        raise InputError("empty file", path=path)
    text, encoding = _decode(data, path)
    best: tuple[int, str] | None = None
    head = "\n".join(text.splitlines()[: HEADER_SEARCH_LINES + 1])
    for d in DELIMITERS:  # the delimiter under which a known header appears; else the most fields
        sample = list(csv.reader(io.StringIO(head), delimiter=d))
        if detect(sample) is not None:
            best = (10**6, d)
            break
        widest = max((len(r) for r in sample), default=0)
        if best is None or widest > best[0]:
            best = (widest, d)
    delimiter = best[1] if best else ","
    cells: list[list[object]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for record in reader:
            cells.append(record)
            lines.append(previous_end + 1)
            previous_end = reader.line_num
    except csv.Error as exc:
        raise InputError(f"unreadable CSV ({exc})", path=path, row=previous_end + 1) from None
    name = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}[delimiter]
    return Rows(cells, lines, f"{how}, {encoding}, {name}-separated")


def _workbook_rows(path: Path, sheet: str | None) -> Rows:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a corrupt or non-xlsx file
        raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})", path=path) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(f"no sheet {sheet!r}; sheets: {', '.join(map(repr, wb.sheetnames))}", path=path)
        ws = wb[sheet] if sheet is not None else wb[wb.sheetnames[0]]
        cells: list[list[object]] = []
        lines: list[int] = []
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells.append(["" if v is None else v for v in row])
            lines.append(number)
    finally:
        wb.close()
    if not cells:
        raise InputError(f"sheet {ws.title!r} is empty", path=path)
    return Rows(cells, lines, f"xlsx, sheet {ws.title!r}")


def looks_like_export(path: Path, sheet: str | None = None) -> bool:
    """Whether ``path`` should be read as a Seller Central export rather than a contract table.

    True for a container the contract loader does not read (``.xlsx``, ``.zip``, UTF-16 text) and for text
    (plain or gzip-compressed) whose first 40 lines hold a known export header (only the first 256 KB are read).
    False for a missing file, a folder, or other text: a ``.csv.gz`` with the contract's header is a contract
    table, read by the fast loader.
    """
    if not path.is_file():
        return False
    suffix = export_suffix(path)
    if suffix in (".xlsx", ".zip"):
        return True
    if not suffix:
        return False
    if suffix.endswith(".gz"):  # the contract loader reads .csv.gz too: decide by the header inside
        import gzip

        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(256 * 1024)
        except (OSError, EOFError):
            return False  # not readable as gzip: the loader names the problem in one line (exit 2)
    else:
        with path.open("rb") as fh:
            head = fh.read(256 * 1024)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = "\n".join(text.splitlines()[:HEADER_SEARCH_LINES])
    return any(detect(list(csv.reader(io.StringIO(lines), delimiter=d))) for d in DELIMITERS)
