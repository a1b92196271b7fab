"""Rejected-row bookkeeping for the loading layer, kept in pyarrow so millions of rejects stay compact.

A rejects frame has ``source_file``, ``source_line`` (1-based; the header is line 1; for Parquet the row number),
``reason`` (``code: text``) and then every original column as text (missing values as ``''``). Column names that
would clash with the first three get an ``_original`` suffix.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seller_insurance.data.loading import parsing

REJECT_COLUMNS = ("source_file", "source_line", "reason")


def original_names(columns: list[str]) -> list[str]:
    """The file's column names as the rejects file writes them.

    ``_original`` is appended to a name that clashes with a rejects column (``source_file``, ``source_line``,
    ``reason``) or an earlier name.
    """
    out: list[str] = []
    for c in columns:
        name = str(c)
        while name in REJECT_COLUMNS or name in out:
            name = f"{name}_original"
        out.append(name)
    return out


def empty_rejects(columns: list[str]) -> pd.DataFrame:
    """A rejects table with no row: source_file, source_line (int64), reason, then the file's columns as text."""
    cols = {
        "source_file": pd.Series([], dtype="str"),
        "source_line": pd.Series([], dtype="int64"),
        "reason": pd.Series([], dtype="str"),
    }
    for c in original_names(columns):
        cols[c] = pd.Series([], dtype="str")
    return pd.DataFrame(cols)


def as_text(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Any column as text, nulls as ''. Dates print as YYYY-MM-DD, numbers as Arrow writes them."""
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if not parsing.is_text(col):
        try:
            col = pc.cast(col, pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            col = pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())
    elif not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    return pc.fill_null(col, "")


def reasons_from_table(which: np.ndarray, table: list[str]) -> pa.Array:
    """Per-row reason text from an index into a small table of ``code: text`` strings (no per-row Python)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(which, dtype=np.int32)), pa.array(table, pa.string())
    ).cast(pa.string())


def reasons_with_number(prefix: str, numbers: np.ndarray, suffix: str) -> pa.Array:
    """``prefix + str(n) + suffix`` per row, vectorised."""
    nums = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, nums, suffix, "")


def take_rows(table: pa.Table, idx: np.ndarray) -> pa.Table:
    """``table.take(idx)`` chunk by chunk: a few rows out of a many-chunk table without concatenating columns."""
    cols = []
    for col in table.columns:
        if col.num_chunks <= 1:
            cols.append(col.take(pa.array(idx)))
            continue
        bounds = np.cumsum([0] + [len(c) for c in col.chunks])
        which = np.searchsorted(bounds, idx, side="right") - 1
        order = np.argsort(which, kind="stable")
        pieces = []
        for k in np.unique(which):
            sel = order[which[order] == k]
            piece = col.chunk(int(k)).take(pa.array(idx[sel] - bounds[k]))
            if pa.types.is_dictionary(piece.type):  # decode: concatenating many dictionaries would unify them
                piece = piece.dictionary_decode()
            pieces.append(piece)
        value_type = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
        merged = pa.concat_arrays(pieces) if pieces else pa.array([], value_type)
        inverse = np.empty(len(idx), dtype=np.int64)
        inverse[order] = np.arange(len(idx))
        cols.append(merged.take(pa.array(inverse)))
    return pa.table(cols, names=table.column_names) if cols else table.slice(0, 0)


class Rejects:
    """Collects rejected rows (positions in the read order, file, line, reason, original values) and counts."""

    def __init__(self, columns: list[str]):
        self.columns = list(columns)
        self.names = original_names(self.columns)
        self.parts: list[pa.Table] = []
        self.counts: Counter = Counter()

    def __len__(self) -> int:
        return sum(self.counts.values())

    def add(
        self,
        table: pa.Table,
        idx: np.ndarray,
        file: str,
        lines: np.ndarray,
        reasons: pa.Array,
        codes: np.ndarray | list[str],
    ) -> None:
        """Rows ``idx`` of ``table`` (a batch as read), with their lines, reason texts and reason codes."""
        if not len(idx):
            return
        taken = take_rows(table, np.asarray(idx, dtype=np.int64))
        data = {
            "source_file": pa.array([file] * len(idx), pa.string()),
            "source_line": pa.array(np.asarray(lines, dtype=np.int64)),
            "reason": reasons,
        }
        names_in_table = taken.column_names
        positional = names_in_table == self.columns  # CSV: every column, in order (duplicate names allowed)
        for i, (name, orig) in enumerate(zip(self.names, self.columns, strict=True)):
            if positional:
                data[name] = as_text(taken.column(i))
            elif orig in names_in_table:
                data[name] = as_text(taken.column(names_in_table.index(orig)))
            else:
                data[name] = pa.array([""] * len(idx), pa.string())
        self.parts.append(pa.table(data))
        vals, cnt = np.unique(np.asarray(codes, dtype=object).astype(str), return_counts=True)
        self.counts.update(dict(zip(vals.tolist(), cnt.tolist(), strict=True)))

    def add_malformed(self, malformed: list[tuple[str, int, str]], delimiter: str) -> int:
        """Rows the CSV parser could not split into the header's number of fields (raw text split by hand)."""
        if not malformed:
            return 0
        n = len(self.columns)
        rows = {name: [] for name in self.names}
        files, lines, reasons = [], [], []
        for file, line, text in malformed:
            try:
                fields = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
            except csv.Error:
                fields = text.split(delimiter)
            vals = (fields[: n - 1] + [delimiter.join(fields[n - 1 :])]) if len(fields) > n else fields
            vals = vals + [""] * (n - len(vals))
            for name, v in zip(self.names, vals, strict=True):
                rows[name].append(v)
            files.append(file)
            lines.append(line)
            reasons.append(f"malformed_row: expected {n} fields, found {len(fields)}")
        data = {
            "source_file": pa.array(files, pa.string()),
            "source_line": pa.array(lines, pa.int64()),
            "reason": pa.array(reasons, pa.string()),
        }
        data.update({k: pa.array(v, pa.string()) for k, v in rows.items()})
        self.parts.append(pa.table(data))
        self.counts["malformed_row"] += len(malformed)
        return len(malformed)

    def frame(self) -> pd.DataFrame:
        """All rejects in file order (source_file, then source_line) as a DataFrame of ``str`` columns."""
        if not self.parts:
            return empty_rejects(self.columns)
        t = pa.concat_tables(self.parts) if len(self.parts) > 1 else self.parts[0]
        if t.num_rows > 1:
            t = t.sort_by([("source_file", "ascending"), ("source_line", "ascending")])
        return t.to_pandas()
