"""Where a load spends its time: :class:`LoadTimings`, filled in by the batch stream and ``run_load``.

What ``evaluate --timings`` and ``claims --timings`` print, and what ``benchmarks/bench_layouts.py`` reports as the
phases of a run beside DuckDB's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class LoadTimings:
    """Seconds (wall clock, ``time.perf_counter``) of one load, by phase.

    - ``read``: the reading thread inside pyarrow (Parquet decoding, CSV splitting and parsing to Arrow). It runs
      on the second core while the main thread parses the batch before, so it overlaps ``parse``; only ``wait`` of
      it delays the load.
    - ``wait``: the main thread waiting for the next batch (reading the main thread could not hide).
    - ``parse``: the main thread on each batch: text to months, money and codes, the row checks, the rejects.
    - ``total``: the whole load.
    - ``aggregate`` (derived: ``total - wait - parse``): the rest of the load after the last batch: ids to codes,
      the duplicate checks, orders summed to seller-months, the frame built (and opening the file: its footer or
      first CSV block).
    """

    read: float = 0.0
    wait: float = 0.0
    parse: float = 0.0
    total: float = 0.0

    @property
    def aggregate(self) -> float:
        """Seconds of the load outside ``wait`` and ``parse`` (never below 0)."""
        return max(self.total - self.wait - self.parse, 0.0)

    def summary(self) -> str:
        """``read R s (reading thread, overlaps parse), wait W s, parse P s, aggregate A s`` (3 decimals)."""
        return (
            f"read {self.read:.3f} s (reading thread, overlaps parse), wait {self.wait:.3f} s, "
            f"parse {self.parse:.3f} s, aggregate {self.aggregate:.3f} s"
        )


def timed_items(items: Iterator, timings: LoadTimings) -> Iterator:
    """The items of ``items``, the seconds spent producing each added to ``timings.read``.

    Meant to wrap the batch reader on the reading thread (``stream.read_ahead``): each ``next`` is pyarrow reading.
    """
    end = object()
    while True:
        t0 = time.perf_counter()
        item = next(items, end)
        timings.read += time.perf_counter() - t0
        if item is end:
            return
        yield item
