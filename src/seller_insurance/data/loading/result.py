"""The result of a load: :class:`LoadResult`, the rejects file and the no-usable-row check."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from seller_insurance.data.loading.rejects import (
    empty_rejects,
)
from seller_insurance.data.loading.timings import LoadTimings
from seller_insurance.errors import InputError
from seller_insurance.safe_export import to_spreadsheet_csv


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
    timings: LoadTimings | None = None  # seconds by phase of a single file's load (None: not measured)

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
        text = (
            f"read {self.rows_read:,} rows: {self.rows_accepted:,} accepted, {len(self.rejects):,} rejected"
            + (f" ({parts})" if parts else "")
        )
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
