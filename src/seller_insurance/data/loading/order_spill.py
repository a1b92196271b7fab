"""Order rows spilled to disk by a hash of their seller id, so that an order file of any size loads in bounded memory.

Every rule the order loader applies is local to one seller: an exact copy of an order row has the same seller,
a seller-month's orders and total are the seller's, and so is a negative month. So the usable rows can be split
by a hash of the (trimmed) seller id into ``2**bits`` partitions as they stream in, each partition written to a
temporary Arrow IPC stream file (zstd-compressed), and then summed to seller-months one partition at a time with
the same code as a file that fits in memory (``sales._order_months``). Memory then follows the largest partition,
not the file: about 4M rows a partition (``ROWS_PER_PARTITION``), about 0.4 GB at the peak.

Used when a file holds more than ``ORDER_ROWS_IN_MEMORY`` rows (``partition_bits``; the environment variable
``SELLER_INSURANCE_ORDER_ROWS_IN_MEMORY`` sets another limit, :func:`rows_in_memory`); below that the rows are held
in memory, which is faster (no spill written and read back). The spill goes to a fresh folder in the system's
temporary folder (``TMPDIR``), removed when the load ends, even on an error; it needs about 15 bytes a row (seller
and order ids, day, amount, site and read position, zstd-compressed).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seller_insurance.data.loading.stream import hash_bits, ordered_duckdb
from seller_insurance.data.loading.tables import may_need_trim
from seller_insurance.errors import InputError, RunError
from seller_insurance.policy import DEFAULT_MARKETPLACE, KNOWN_MARKETPLACES

_DEFAULT_SITE = KNOWN_MARKETPLACES.index(DEFAULT_MARKETPLACE)

# More order rows than this (2**26, about 67M) are summed partition by partition. The 45M order rows of 100k
# sellers x 20 orders a month peak at 2.9 GB in memory (docs/loading.md); 67M rows would be about 4.3 GB.
ORDER_ROWS_IN_MEMORY = 1 << 26
# Rows a partition is sized for (2**22, about 4.2M): its arrays, keys and hashes take about 0.4 GB (45M rows in
# 16 partitions: peak 0.59 GB and 20.2 s, against 0.83 GB and 20.2 s in 8 partitions of 5.6M).
ROWS_PER_PARTITION = 1 << 22
# The partitions' seller-months are appended to buffers sized for rows / this many (grown when exceeded; pages
# never written cost nothing): 20 orders per seller-month is the benchmark's, Seller Central's is often fewer.
ORDERS_PER_CELL_HINT = 8
# A CSV's rows are estimated from its size before it is read: an order row takes at least this many bytes (an
# id, a date, an amount and separators), so the estimate errs towards more rows, that is towards the spill.
CSV_BYTES_PER_ORDER_ROW = 24
# gzip shrinks such text about this much (a .csv.gz is estimated as this many times its size).
GZIP_RATIO = 5


@dataclass
class OrderRows:
    """Order rows that passed the per-row checks, in read order: what ``sales._order_months`` sums to months.

    ``ids`` are the seller ids (text or integer; trimmed later), ``ok`` which rows are usable (a writable copy:
    blank ids are marked later), ``mp`` int8 site codes (``policy.KNOWN_MARKETPLACES``), ``day`` day numbers
    (days since 1970-01-01), ``amount`` in the site's currency, ``units`` (float, NaN when blank) and ``cur`` int8
    currency codes when those columns exist, ``order_ids`` when an order id column exists. ``pos`` is each row's
    read position in the whole source (0-based over all batches), None when row ``i`` is read position ``i``.
    """

    ids: pa.ChunkedArray
    ok: np.ndarray
    mp: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    units: np.ndarray | None
    cur: np.ndarray | None
    order_ids: pa.ChunkedArray | None
    pos: np.ndarray | None = None

    def positions(self, local: np.ndarray) -> np.ndarray:
        """Read positions in the source of the rows at ``local`` indices of these arrays."""
        return np.asarray(local, dtype=np.int64) if self.pos is None else self.pos[local]


def estimated_rows(fmt: str, files: list[Path]) -> int:
    """Rows in the source, before reading it: exact for Parquet (its footer), an upper estimate for CSV."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    total = 0
    for f in files:
        size = f.stat().st_size
        total += size * (GZIP_RATIO if f.name.lower().endswith(".gz") else 1) // CSV_BYTES_PER_ORDER_ROW
    return total


ROWS_IN_MEMORY_VARIABLE = "SELLER_INSURANCE_ORDER_ROWS_IN_MEMORY"


def rows_in_memory() -> int:
    """The most order rows held in memory (``ORDER_ROWS_IN_MEMORY`` unless the environment says otherwise).

    The environment variable ``SELLER_INSURANCE_ORDER_ROWS_IN_MEMORY`` (a whole number >= 0; 0 spills every order
    file), when set, replaces it: for a machine with less memory, or to check the spill on a small file.
    """
    text = os.environ.get(ROWS_IN_MEMORY_VARIABLE, "").strip()
    if not text:
        return ORDER_ROWS_IN_MEMORY
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise InputError(f"{ROWS_IN_MEMORY_VARIABLE}={text!r} is not a whole number of rows >= 0")
    return value


def partition_bits(rows: int) -> int:
    """0 (hold the rows in memory) up to :func:`rows_in_memory` rows; else the bits of the partition count.

    ``2**bits`` partitions of about ``ROWS_PER_PARTITION`` rows each, at least 2 and at most 256.
    """
    if rows <= rows_in_memory():
        return 0
    return min(max(math.ceil(math.log2(rows / ROWS_PER_PARTITION)), 1), 8)


def _plain_text(col) -> pa.Array:
    """A column (one array or chunks; text, dictionary or integer) as one ``string`` array, nulls kept."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    return col if pa.types.is_string(col.type) else pc.cast(col, pa.string())


def _trimmed_text(ids) -> pa.Array:
    """The ids as ``string`` with surrounding whitespace removed (what ``stream.to_categorical`` compares)."""
    ids = _plain_text(ids)
    return pc.utf8_trim_whitespace(ids) if may_need_trim(ids) else ids


def _numpy(table: pa.Table, name: str, dtype) -> np.ndarray:
    """A spilled column as one numpy array of ``dtype``."""
    return table.column(name).to_numpy().astype(dtype, copy=False)


class SellerPartitions:
    """Writes usable order rows to ``2**bits`` spill files by a hash of the seller id, and reads them back.

    Use as a context manager: the spill folder is removed on exit. ``write`` takes one batch's parsed arrays;
    ``partitions`` yields each non-empty partition as :class:`OrderRows` (its rows in read order), deleting
    each file once read. The hash is DuckDB's 64-bit ``hash`` of the trimmed id (fixed, so the same file always
    splits the same way); only which rows share a partition depends on it, never a result.
    """

    def __init__(self, bits: int, *, has_mp: bool, has_units: bool, has_cur: bool, has_order_id: bool):
        if not 1 <= bits <= 8:
            raise ValueError(f"bits must be 1..8, not {bits}")
        self.bits = bits
        self.count = 1 << bits
        fields = [("seller_id", pa.string())]
        if has_mp:
            fields.append(("mp", pa.int8()))
        fields += [("day", pa.int32()), ("amount", pa.float64())]
        if has_units:
            fields.append(("units", pa.float64()))
        if has_cur:
            fields.append(("cur", pa.int8()))
        if has_order_id:
            fields.append(("order_id", pa.string()))
        fields.append(("pos", pa.int64()))
        self.schema = pa.schema(fields)
        self._folder = Path(tempfile.mkdtemp(prefix="seller-insurance-orders-"))
        self._writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        self._sinks: dict[int, pa.NativeFile] = {}
        # zstd: 15 bytes a row against 46 uncompressed (29 with LZ4), for about 0.14 s of CPU per 1M rows. At 1M
        # sellers (450M rows) the uncompressed spill was 21 GB, more than the page cache holds, and reading it back
        # from disk was most of the run (docs/loading.md, "Eighth round")
        self._options = pa.ipc.IpcWriteOptions(compression="zstd")
        self._con = ordered_duckdb()  # one connection for every batch's hash

    def __enter__(self) -> SellerPartitions:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close every file and the DuckDB connection, and remove the spill folder."""
        self._close_files()
        self._con.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _close_files(self) -> list[int]:
        """Close the open spill files (flushing them); returns their partitions, in order."""
        for w in self._writers.values():
            w.close()
        for f in self._sinks.values():
            f.close()
        done = sorted(self._writers)
        self._writers, self._sinks = {}, {}
        return done

    def _path(self, p: int) -> Path:
        return self._folder / f"part-{p:03d}.arrows"

    def partition_of(self, ids: pa.Array) -> np.ndarray:
        """The partition (uint8) of each trimmed id: the top ``bits`` of DuckDB's hash (``stream.hash_bits``)."""
        return hash_bits(ids, self.bits, self._con)

    def write(self, parsed: dict, ok: np.ndarray, first_position: int) -> None:
        """Spill the usable rows (``ok``) of one batch's parsed arrays (``sales._sales_checks`` plus ids)."""
        keep = None if ok.all() else np.flatnonzero(ok)
        n = len(ok) if keep is None else len(keep)
        if not n:
            return

        def rows(v):
            return v if keep is None else v[keep]

        ids = _trimmed_text(parsed["ids"])
        cols = {"seller_id": ids if keep is None else ids.take(pa.array(keep))}
        if "mp" in self.schema.names:
            cols["mp"] = rows(parsed["mp"])
        cols["day"] = rows(parsed["time"]).astype(np.int32)  # days since 1970: +-5.8M years
        cols["amount"] = rows(parsed["amount"])
        if "units" in self.schema.names:
            cols["units"] = rows(parsed["counts"]["units"]).astype(np.float64, copy=False)
        if "cur" in self.schema.names:
            cols["cur"] = rows(parsed["cur"])
        if "order_id" in self.schema.names:
            oid = _plain_text(parsed["order_ids"])
            cols["order_id"] = oid if keep is None else oid.take(pa.array(keep))
        where = np.arange(first_position, first_position + len(ok), dtype=np.int64)
        cols["pos"] = rows(where)
        self._spill(pa.table(cols, schema=self.schema))

    def _failed(self, exc: OSError) -> RunError:
        return RunError(
            f"the spill of the order rows to {self._folder} failed: {exc}. It needs about 15 bytes a row on disk: "
            f"set TMPDIR to a folder with more room, or {ROWS_IN_MEMORY_VARIABLE} above the file's rows to hold "
            "them in memory instead"
        )

    def _spill(self, table: pa.Table) -> None:
        """Split one batch's table by partition and append each part to its file."""
        try:
            self._split_and_write(table)
        except OSError as exc:
            raise self._failed(exc) from exc

    def _split_and_write(self, table: pa.Table) -> None:
        part = self.partition_of(table.column("seller_id"))
        counts = np.bincount(part, minlength=self.count)
        order = np.argsort(part, kind="stable")  # read order kept within each partition
        table = table.take(pa.array(order))
        at = 0
        for p in np.flatnonzero(counts):
            c = int(counts[p])
            self._writer(int(p)).write_table(table.slice(at, c))
            at += c

    def _writer(self, p: int) -> pa.ipc.RecordBatchStreamWriter:
        if p not in self._writers:
            self._sinks[p] = pa.OSFile(str(self._path(p)), "wb")
            self._writers[p] = pa.ipc.new_stream(self._sinks[p], self.schema, options=self._options)
        return self._writers[p]

    def partitions(self) -> Iterator[OrderRows]:
        """Each non-empty partition's rows, one at a time (the file is deleted once read)."""
        for p in self._close_files():
            try:
                with pa.OSFile(str(self._path(p)), "rb") as f, pa.ipc.open_stream(f) as reader:
                    t = reader.read_all()
                self._path(p).unlink()
            except OSError as exc:
                raise self._failed(exc) from exc
            n = t.num_rows

            yield OrderRows(
                ids=t.column("seller_id"),
                ok=np.ones(n, dtype=bool),
                mp=_numpy(t, "mp", np.int8)
                if "mp" in t.column_names
                else np.full(n, _DEFAULT_SITE, dtype=np.int8),
                day=_numpy(t, "day", np.int64),
                amount=_numpy(t, "amount", np.float64),
                units=_numpy(t, "units", np.float64) if "units" in t.column_names else None,
                cur=_numpy(t, "cur", np.int8) if "cur" in t.column_names else None,
                order_ids=t.column("order_id") if "order_id" in t.column_names else None,
                pos=_numpy(t, "pos", np.int64),
            )
            del t
