"""Reading export files as pyarrow tables: CSV (sniffed delimiter and encoding, streamed) and Parquet.

A :class:`Source` yields :class:`Batch` es of the file's original columns (CSV: every column as text, read once;
Parquet: native types, ``seller_id``/``marketplace`` dictionary-encoded so no Python strings are made), each with
the 1-based line number of every row (CSV: physical line in the file, header = line 1, quoted line breaks counted;
Parquet: row number in the file). Rows the CSV parser cannot split into the header's number of fields are reported
in ``Source.malformed`` (file, line, text) instead of stopping the read.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from seller_insurance.arrow_text import text_offsets
from seller_insurance.data.loading.timings import LoadTimings
from seller_insurance.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
CSV_BLOCK_BYTES = (
    4 << 20
)  # streamed CSV block size: pyarrow reads ~36 blocks ahead, so peak memory grows with it
_SAMPLE_BYTES = 1 << 16
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


class NotUtf8(Exception):
    """The CSV turned out not to be UTF-8 part-way through; the reader restarts with Latin-1."""


@dataclass
class Batch:
    """One batch of rows as read: the Arrow table, its file, and each row's CSV line (None for Parquet)."""

    table: pa.Table
    file: str
    lines: np.ndarray | None  # int64 1-based CSV line of each row; None for Parquet (row number = index + 1)
    first_row: int = 0  # Parquet: rows of the file before this batch (row number = first_row + index + 1)


@dataclass
class Source:
    """A file or folder inspected by :func:`open_source`: format, columns, CSV dialect and how to read each column."""

    path: Path
    files: list[Path]
    fmt: str  # "csv" or "parquet"
    columns: list[str]
    encoding: str = "utf8"
    delimiter: str = ","
    dictionary_columns: list[str] = field(default_factory=list)
    read_columns: list[str] | None = None  # Parquet: the subset to read (None = all)
    malformed: list[tuple[str, int, str]] = field(default_factory=list)
    has_quotes: bool = True  # CSV: any '"' in the file (else no value can hold a line break: faster parsing)
    # Parquet: high-cardinality columns (ids) of ``dictionary_columns``, read as dictionary only where the row
    # groups are sorted by them (see ``sorted_row_groups``); elsewhere plain text hashed once by the loader.
    id_columns: list[str] = field(default_factory=list)
    timings: LoadTimings = field(default_factory=LoadTimings)  # filled in by the load (``stream.run_load``)

    def batches(self) -> Iterator[Batch]:
        """Stream the rows in batches (malformed CSV lines are collected in ``malformed`` as they are met)."""
        self.malformed = []
        if self.fmt == "parquet":
            yield from self._parquet_batches()
        else:
            yield from self._csv_batches()

    # -- Parquet ------------------------------------------------------------------------------------------------
    def _parquet_batches(self) -> Iterator[Batch]:
        for f in self.files:
            try:
                pf_cols = pq.read_schema(f).names
                cols = [c for c in (self.read_columns or pf_cols) if c in pf_cols]
                as_dict = [c for c in self.dictionary_columns if c in cols]
                if any(c in self.id_columns for c in as_dict):
                    meta = pq.read_metadata(f)
                    as_dict = [c for c in as_dict if c not in self.id_columns or sorted_row_groups(meta, c)]
                pf = pq.ParquetFile(f, read_dictionary=as_dict or None)
                first_row = 0
                for groups in _row_group_runs(pf.metadata, PREBUFFER_ROWS):
                    batches = pf.iter_batches(
                        batch_size=PARQUET_BATCH_ROWS, row_groups=groups, columns=cols, use_threads=True
                    )
                    for rb in batches:
                        yield Batch(pa.Table.from_batches([rb]), str(f), None, first_row)
                        first_row += rb.num_rows
                if first_row == 0:  # no rows: one empty batch, so the columns are known
                    yield Batch(pf.schema_arrow.empty_table().select(cols), str(f), None, 0)
            except (OSError, pa.ArrowException) as exc:
                raise InputError(f"cannot read as Parquet ({exc})", path=f) from None

    # -- CSV ----------------------------------------------------------------------------------------------------
    def _csv_batches(self) -> Iterator[Batch]:
        f = self.files[0]
        skipped: list[tuple[int, str]] = []  # (record number, raw text) of rows the parser skipped

        def on_invalid(row) -> str:
            skipped.append((int(row.number) if row.number is not None else -1, row.text))
            return "skip"

        read_opts = pcsv.ReadOptions(use_threads=False, block_size=CSV_BLOCK_BYTES, encoding=self.encoding)
        parse_opts = pcsv.ParseOptions(
            delimiter=self.delimiter,
            newlines_in_values=self.has_quotes,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        )
        conv_opts = pcsv.ConvertOptions(
            column_types={c: pa.string() for c in self.columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        try:
            reader = pcsv.open_csv(
                pa.input_stream(str(f), compression="gzip" if is_gzip(f) else None),
                read_options=read_opts,
                parse_options=parse_opts,
                convert_options=conv_opts,
            )
        except (pa.ArrowInvalid, OSError) as exc:
            _raise_csv(exc, f)
        rows_before = 0
        nl_events: list[tuple[int, int]] = []  # (record number, line breaks inside it), only records with any
        n_skipped_seen = 0
        while True:
            try:
                rb = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, OSError) as exc:
                _raise_csv(exc, f)
            table = pa.Table.from_batches([rb])
            n = table.num_rows
            recs = _record_numbers(rows_before, n, np.array(sorted(s[0] for s in skipped), dtype=np.int64))
            new_skips = skipped[n_skipped_seen:]
            n_skipped_seen = len(skipped)
            for rec, text in new_skips:
                if text.count("\n"):
                    nl_events.append((rec, text.count("\n")))
            if n and self.has_quotes:  # line breaks inside quoted values shift the physical line numbers
                nl = None
                for col in table.columns:
                    if not _may_hold_newline(col):
                        continue
                    c = pc.count_substring(col, "\n")
                    if pc.max(c).as_py():
                        c = np.asarray(c.to_numpy(zero_copy_only=False), dtype=np.int64)
                        nl = c if nl is None else nl + c
                if nl is not None:
                    nz = np.flatnonzero(nl)
                    nl_events.extend(zip(recs[nz].tolist(), nl[nz].tolist(), strict=True))
            lines = _lines_of_records(recs, nl_events)
            rows_before += n
            yield Batch(table, str(f), lines)
        if skipped:
            recs = np.array([s[0] for s in skipped], dtype=np.int64)
            lines = _lines_of_records(recs, nl_events)
            self.malformed = [(str(f), int(ln), text) for ln, (_, text) in zip(lines, skipped, strict=True)]


_NEWLINE = re.compile(b"\n")


def _may_hold_newline(col) -> bool:
    """Whether any value of the text column ``col`` may hold a line break (False only when none does).

    Searches the bytes of the values at memchr speed (0.15 s for the four columns of a 22.5M-row CSV) instead of
    counting per row (``count_substring``: 1.2 s); the rare column with a line break is then counted per row.
    """
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    for ch in chunks:
        if not len(ch):
            continue
        if not (pa.types.is_string(ch.type) or pa.types.is_large_string(ch.type)):
            return True
        data = ch.buffers()[2]
        if data is None:
            continue
        ends = text_offsets(ch)
        if _NEWLINE.search(memoryview(data)[int(ends[0]) : int(ends[-1])]):
            return True
    return False


def sorted_row_groups(meta: pq.FileMetaData, column: str) -> bool:
    """Whether the row groups' statistics say the file is sorted by ``column``.

    Sorted: each group starts at or after the previous one's maximum. A single row group says nothing (False: read
    as plain text and hashed once).

    Reading an id column with ``read_dictionary`` is cheap and lets the loader skip hashing when the file is sorted
    by it (each row group's dictionary then holds only its own ids). In any other order every row group holds
    most of the ids, Parquet's dictionary pages overflow into plain pages and pyarrow's dictionary read costs
    4-5x a plain read (1M ids x 36 months: 3.6-4.4 s against 0.7-0.8 s); plain text hashed once is faster.

    Parameters
    ----------
    meta : the file's Parquet metadata (``pyarrow.parquet.read_metadata``).
    column : column name.

    Returns
    -------
    bool
        True when the column is absent (nothing to decide) or every row group has min/max statistics and starts
        at or after the previous one's maximum.
    """
    names = meta.schema.names
    if column not in names:
        return True
    if meta.num_row_groups <= 1:
        return False
    i = names.index(column)
    prev_max = None
    for k in range(meta.num_row_groups):
        st = meta.row_group(k).column(i).statistics
        if st is None or not st.has_min_max:
            return False
        if prev_max is not None and st.min < prev_max:
            return False
        prev_max = st.max
    return True


def _raise_csv(exc: Exception, f: Path):
    msg = str(exc)
    if "UTF8" in msg or "UTF-8" in msg:
        raise NotUtf8(msg) from None
    raise InputError(
        f"cannot read as CSV ({msg.splitlines()[0] if msg else type(exc).__name__})", path=f
    ) from None


def _record_numbers(rows_before: int, n: int, skipped_sorted: np.ndarray) -> np.ndarray:
    """Record numbers (header = 1) of table rows ``rows_before .. rows_before+n-1`` given the skipped records."""
    g = np.arange(rows_before, rows_before + n, dtype=np.int64)
    rec = g + 2
    if skipped_sorted.size:
        for _ in range(skipped_sorted.size + 1):
            new = g + 2 + np.searchsorted(skipped_sorted, rec, side="right")
            if np.array_equal(new, rec):
                break
            rec = new
    return rec


def _lines_of_records(recs: np.ndarray, nl_events: list[tuple[int, int]]) -> np.ndarray:
    """Physical line of each record: its record number plus the line breaks inside earlier records."""
    if not nl_events:
        return recs
    ev = np.array(sorted(nl_events), dtype=np.int64)
    csum = np.concatenate([[0], np.cumsum(ev[:, 1])])
    return recs + csum[np.searchsorted(ev[:, 0], recs, side="left")]


# --- opening -------------------------------------------------------------------------------------------------


# Parquet is read in batches of this many rows, not as one table: the loaders keep what they parsed and drop each
# read batch, so the whole file's columns are never held beside their parsed arrays (1M sellers x 36 months: peak
# 1.60 -> 1.24 GiB), and reading in batches was no slower than ``read_table`` here.
PARQUET_BATCH_ROWS = 1 << 20
# rows of the row groups read by one iter_batches (pre-buffered together): see _row_group_runs
PREBUFFER_ROWS = 4 * PARQUET_BATCH_ROWS


def _row_group_runs(meta, rows: int) -> list[list[int]]:
    """The file's row groups in consecutive runs of at least ``rows`` rows (the last run may be shorter).

    Read run by run, not with one ``iter_batches`` over the file: pyarrow pre-buffers the column chunks of every
    row group it is given and holds them until its last batch, so over the whole file it held the whole file's
    compressed bytes (the 1.5 GB shuffled 5M-seller file: reading alone peaked at 1.69 GB, 0.22 GB run by run).
    Whole ``evaluate`` (farm-bench, this machine kind): 5M shuffled peak 5,730 -> 4,274 MiB, wall 0.95x; 1M
    peaks 127-226 MiB lower, wall 1.00-1.02x. Runs of one row group (no pre-buffering across row groups) were
    0.83x at 5M but 1.06-1.16x at 1M, where reading ahead pays: ``PREBUFFER_ROWS`` is 4 batches.
    """
    runs: list[list[int]] = []
    run: list[int] = []
    n = 0
    for g in range(meta.num_row_groups):
        run.append(g)
        n += meta.row_group(g).num_rows
        if n >= rows:
            runs.append(run)
            run, n = [], 0
    if run or not runs:
        runs.append(run)
    return runs


def choose_memory_pool() -> None:
    """Make jemalloc (else the system allocator) pyarrow's default memory pool.

    Unless the user chose one with ``ARROW_DEFAULT_MEMORY_POOL``.

    Measured on the project's machine kind (a 2-core virtual machine shared with other work), 1M sellers x 36
    months: pyarrow's default mimalloc pool backs large buffers with huge pages (about 7,000 page faults for the
    load of a sorted Parquet file), and when the kernel has to compact memory for them those faults stall: the same
    load took 0.98 s or 2.5 s, of which up to 2 s kernel time. jemalloc's 4 KB pages cost 0.4 s of kernel time
    every run (load 0.94-1.11 s), and jemalloc gave the lowest peak memory on every layout (whole ``evaluate``:
    sorted 1.80 -> 1.45-1.59 GB, shuffled 2.38 -> 1.79-2.03 GB, CSV 1.35 -> 1.11-1.18 GB; 10M claims 2.49 -> 2.14
    GB). Idempotent; buffers allocated before stay in their pool.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - a pyarrow build without jemalloc
        pool = pa.system_memory_pool()
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)
    if pool.backend_name == "jemalloc":
        # Freed buffers go back to the system at once (jemalloc keeps them for seconds by default): the read
        # table, freed after parsing, then no longer adds to the peak of the numpy work that follows (shuffled
        # 1M-seller file: load peak 1.94 -> 1.65 GB).
        pa.jemalloc_set_decay_ms(0)


def open_source(path, *, dictionary_columns: list[str] | None = None) -> Source:
    """Inspect ``path`` (file or folder) and return a :class:`Source` ready to stream.

    Raises ``InputError`` for a missing path, an empty file, an empty folder, or a file that is neither CSV nor
    Parquet (e.g. an Excel workbook). Sets pyarrow's memory pool first (:func:`choose_memory_pool`).
    """
    choose_memory_pool()
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=p)
    if p.is_dir():
        files = sorted(
            x
            for x in p.rglob("*")
            if x.is_file() and x.suffix.lower() in PARQUET_SUFFIXES and not x.name.startswith((".", "_"))
        )
        if not files:
            raise InputError("folder holds no Parquet files (*.parquet)", path=p)
        return _parquet_source(p, files, dictionary_columns)
    try:
        with open_bytes(p) as fh:
            head = fh.read(_SAMPLE_BYTES)
    except (OSError, EOFError) as exc:  # EOFError: a truncated .gz
        raise InputError(f"cannot read file ({getattr(exc, 'strerror', None) or exc})", path=p) from None
    if head[:4] == b"PAR1" or p.suffix.lower() in PARQUET_SUFFIXES:
        return _parquet_source(p, [p], dictionary_columns)
    if head[:4] == b"PK\x03\x04":
        raise InputError("looks like an Excel workbook or zip archive; save it as CSV (or Parquet)", path=p)
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not body.strip():
        raise InputError("file is empty", path=p)
    if b"\x00" in body:
        raise InputError("cannot read: binary data (or UTF-16 text); save the export as CSV in UTF-8", path=p)
    encoding = "utf8"
    try:
        text = _decode_sample(body, "utf-8", complete=len(head) < _SAMPLE_BYTES)
    except UnicodeDecodeError:
        encoding, text = "latin1", body.decode("latin-1")
    delimiter = sniff_delimiter(text)
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise InputError(f"cannot read the header row ({exc})", path=p) from None
    if not header or not any(h.strip() for h in header):
        raise InputError("file has no header row", path=p)
    try:
        has_quotes = _contains(p, b'"')
    except (OSError, EOFError) as exc:  # a damaged or truncated .gz
        raise InputError(f"cannot read file ({exc})", path=p) from None
    return Source(p, [p], "csv", header, encoding=encoding, delimiter=delimiter, has_quotes=has_quotes)


def is_gzip(path: Path) -> bool:
    """Whether the file starts with the gzip magic bytes (``.csv.gz`` exports).

    Parameters
    ----------
    path : file to test.

    Returns
    -------
    bool
    """
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzip.

    Parameters
    ----------
    path : file to open.

    Returns
    -------
    A binary file object (``gzip.GzipFile`` or the plain file); the caller closes it.
    """
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def _contains(path: Path, needle: bytes, chunk: int = 8 << 20) -> bool:
    """Whether the file contains ``needle`` (C-speed search in 8 MB reads; stops at the first hit).

    Plain reads, not mmap, so the scanned file does not count towards this process's resident memory.
    """
    tail = b""
    with open_bytes(path) as fh:
        while block := fh.read(chunk):
            if needle in tail + block[: len(needle) - 1] or needle in block:
                return True
            tail = block[-(len(needle) - 1) :] if len(needle) > 1 else b""
    return False


def _decode_sample(data: bytes, encoding: str, *, complete: bool) -> str:
    import codecs

    dec = codecs.getincrementaldecoder(encoding)()
    return dec.decode(data, final=complete)


def _parquet_source(p: Path, files: list[Path], dictionary_columns) -> Source:
    try:
        names = pq.read_schema(files[0]).names
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read as Parquet ({exc})", path=files[0]) from None
    return Source(p, files, "parquet", list(names), dictionary_columns=list(dictionary_columns or []))


def sniff_delimiter(text: str) -> str:
    """The delimiter among comma, semicolon, tab and pipe that splits the first lines most consistently.

    Score: the header splits into the most fields, ties broken by how many of the next lines split into the same
    number of fields; a file where none splits the header is treated as comma-separated (one column).
    """
    lines = text.splitlines()[:50]
    if len(text) >= _SAMPLE_BYTES - 4 and len(lines) > 1:
        lines = lines[:-1]  # the last line of a truncated sample may be cut
    best, best_score = ",", (1, 0)
    for d in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=d))
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows[1:] if len(r) == width)
        score = (width, consistent)
        if width > 1 and score > best_score:
            best, best_score = d, score
    return best
