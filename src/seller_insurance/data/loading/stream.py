"""Streaming machinery shared by the loaders: batches -> parsed arrays -> rejects.

Categoricals without per-row Python strings, duplicate runs, line numbers. Internal to the loading layer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seller_insurance.arrow_text import (
    big_endian_words,
    common_byte_length,
    equality_words,
    text_of_equality_words,
    text_of_words,
    text_offsets,
)
from seller_insurance.data.loading import parsing
from seller_insurance.data.loading.buffers import Accumulator, fast_dtype
from seller_insurance.data.loading.rejects import (
    Rejects,
    reasons_from_table,
)
from seller_insurance.data.loading.sources import NotUtf8, Source, open_bytes, open_source
from seller_insurance.data.loading.timings import timed_items
from seller_insurance.errors import InputError
from seller_insurance.policy import (
    KNOWN_MARKETPLACES,
    SITE_CURRENCY,
)


def column_or_none(table: pa.Table, name: str | None, columns: list[str]):
    """The column ``name`` of ``table``, or None when ``name`` is None or the table has no such column."""
    if name is None:
        return None
    names = table.column_names
    return table.column(names.index(name)) if name in names else None


def empty_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every field is empty text (blank lines of a CSV)."""
    n = table.num_rows
    if not table.num_columns or any(not parsing.is_text(c) for c in table.columns):
        return np.zeros(n, dtype=bool)
    out = np.ones(n, dtype=bool)
    for c in table.columns:
        out &= _empty_text(c)
        if not out.any():
            break
    return out


def _empty_text(col) -> np.ndarray:
    """Per row: the text is empty or null. Dictionary chunks are tested on their dictionary, then gathered.

    Empty is zero bytes: read from the offsets (``utf8_length`` would decode every value, and comparing its int32
    result with a Python 0 casts it to int64 first: 1 s on 22.5M rows, against 0.05 s here).
    """
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    parts = []
    for ch in chunks:
        if pa.types.is_dictionary(ch.type):
            per_value = _empty_text(ch.dictionary)
            idx = ch.indices
            if not len(per_value):  # no values: every row null
                out = np.ones(len(ch), dtype=bool)
            else:
                out = per_value[np.asarray(pc.fill_null(idx, 0) if idx.null_count else idx)]
                if idx.null_count:
                    out |= np.asarray(idx.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        elif pa.types.is_string(ch.type) or pa.types.is_large_string(ch.type):
            offsets = text_offsets(ch)
            out = offsets[1:] == offsets[:-1]
            if ch.null_count:
                out |= np.asarray(ch.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        else:  # string_view and other types: lengths computed by pyarrow
            out = np.asarray(
                pc.fill_null(
                    pc.equal(pc.binary_length(pc.cast(ch, pa.string())), pa.scalar(0, pa.int32())), True
                ).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
        parts.append(out)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def null_or_empty(col) -> np.ndarray | None:
    """Rows whose value is null or empty text, from the validity bitmap and the offsets (no string is read).

    None when there is none. Text of only spaces is not found here: it is empty once trimmed, which the hashing
    (``to_categorical``) does on the distinct values.
    """
    if col is None:
        return None
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    if not any(parsing.is_text(ch) for ch in chunks):
        if not any(ch.null_count for ch in chunks):
            return None
        return np.concatenate(
            [np.asarray(ch.is_null().to_numpy(zero_copy_only=False), dtype=bool) for ch in chunks]
        )
    out = _empty_text(col)
    return out if out.any() else None


def join_chunks(cols: list) -> pa.ChunkedArray:
    """One chunked array of the per-batch columns ``cols`` (no copy); text when their types differ."""
    chunks = [
        ch for c in cols if c is not None for ch in (c.chunks if isinstance(c, pa.ChunkedArray) else [c])
    ]
    if not chunks:
        return pa.chunked_array([], pa.string())
    types = {ch.type for ch in chunks}
    if len(types) > 1:
        chunks = [
            (ch.dictionary_decode() if pa.types.is_dictionary(ch.type) else ch).cast(pa.string())
            for ch in chunks
        ]
    return pa.chunked_array(chunks, type=chunks[0].type)


def dictionary_column(col) -> pa.ChunkedArray:
    """Text column as a chunked dictionary array with trimmed values (dictionary work only, never per row)."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    out = []
    for ch in chunks:
        if not pa.types.is_dictionary(ch.type):
            if not parsing.is_text(ch):
                ch = pc.cast(ch, pa.string())
            ch = pc.dictionary_encode(ch)
        d = ch.dictionary
        td = pc.utf8_trim_whitespace(d)
        if not pc.all(pc.equal(td, d)).as_py():
            ch = pa.DictionaryArray.from_arrays(ch.indices, td)
        out.append(ch)
    return (
        pa.chunked_array(out, type=out[0].type)
        if out
        else pa.chunked_array([], pa.dictionary(pa.int32(), pa.string()))
    )


def to_categorical(col, report_missing: bool = False, split: bool = True):
    """Text or integer column -> Categorical of trimmed text values; null, empty and blank values get code -1.

    Parquet columns read with ``read_dictionary`` and sorted by this column convert without hashing any string;
    anything else is hashed once per row (or once per dictionary value) by pyarrow. Trimming and the empty check
    run on the categories only. With ``report_missing`` returns ``(categorical, maybe_missing)`` where
    ``maybe_missing`` False guarantees no code is -1. ``split`` lets a long column be hashed in two halves on two
    threads (``_encode_in_halves``): a gain when values repeat (seller ids: 1M in 22M rows), a loss when nearly
    every value is distinct (order ids: joining the halves hashes them all again), so pass False for those.
    """
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    nulls = col.null_count
    if col.num_chunks == 0 or not len(col):
        cat = pd.Categorical([], categories=pd.Index([], dtype="str"))
        return (cat, False) if report_missing else cat
    cat = None
    if pa.types.is_dictionary(col.type) and parsing.is_text(col) and not nulls:
        cat = _sorted_chunks_categorical(col)
    if cat is None:
        cat = _encoded_categorical(col, split)
    cats_pa = pa.array(cat.categories.array) if len(cat.categories) else pa.array([], pa.string())
    if not parsing.is_text(cats_pa):
        cats_pa = pc.cast(cats_pa, pa.string())
    stripped = pc.utf8_trim_whitespace(cats_pa)
    changed = not pc.all(pc.equal(stripped, cats_pa)).as_py() if len(cats_pa) else False
    any_empty = pc.any(pc.equal(pc.utf8_length(stripped), 0)).as_py() if len(cats_pa) else False
    if not changed and not any_empty:
        return (cat, bool(nulls)) if report_missing else cat
    empty = np.asarray(pc.equal(pc.utf8_length(stripped), 0).to_numpy(zero_copy_only=False), dtype=bool)
    codes = np.asarray(cat.codes)
    stripped_idx = pd.Index(stripped.to_pandas(), dtype="str")
    inv, uniq = pd.factorize(stripped_idx.where(~empty, None), use_na_sentinel=True)
    inv = np.append(inv, -1).astype(np.int32)  # code -1 stays -1
    new_codes = inv[np.where(codes < 0, len(inv) - 1, codes)]
    out = pd.Categorical.from_codes(new_codes, categories=pd.Index(uniq, dtype="str"), validate=False)
    return (out, True) if report_missing else out


def _sorted_chunks_categorical(col: pa.ChunkedArray) -> pd.Categorical | None:
    """Categorical from dictionary chunks without hashing any string, when the data are sorted by this column.

    Parquet gives each row group its own dictionary in order of first appearance; for data sorted by seller id
    every dictionary is strictly increasing and each starts at or after the previous one's last value (equal only
    for a seller spanning two row groups). Then the global categories are the dictionaries laid end to end (the
    shared boundary value once) and each chunk's codes are its indices plus an offset: no unification hash table
    over a million ids. Returns None when the condition does not hold (the caller unifies the general way).
    """
    if not col.num_chunks:
        return None
    pieces, bases, total, prev_last, prev_d, prev_base = [], [], 0, None, None, 0
    for ch in col.chunks:
        d = ch.dictionary
        if not parsing.is_text(d):
            return None
        if len(d) == 0:
            bases.append(total)
            continue
        if prev_d is not None and (d is prev_d or d.equals(prev_d)):  # batches of one row group share it
            bases.append(prev_base)
            continue
        prev_d = d
        if len(d) > 1 and not pc.all(pc.greater(d.slice(1), d.slice(0, len(d) - 1))).as_py():
            return None
        first = d[0].as_py()
        if prev_last is not None and first < prev_last:
            return None
        if prev_last is not None and first == prev_last:
            prev_base = total - 1
            pieces.append(d.slice(1))
            total += len(d) - 1
        else:
            prev_base = total
            pieces.append(d)
            total += len(d)
        bases.append(prev_base)
        prev_last = d[len(d) - 1].as_py()
    codes = np.empty(len(col), dtype=np.int32)
    at = 0
    for ch, base in zip(col.chunks, bases, strict=True):
        n = len(ch)
        np.add(ch.indices.to_numpy(zero_copy_only=False), base, out=codes[at : at + n], casting="unsafe")
        at += n
    values = pa.concat_arrays([p.cast(pa.string()) for p in pieces]) if pieces else pa.array([], pa.string())
    cats = pd.Index(values.to_pandas(), dtype="str")  # strictly increasing, hence unique
    return pd.Categorical.from_codes(codes, dtype=fast_dtype(cats), validate=False)


def _shared_dictionary(enc: pa.ChunkedArray) -> pa.Array | None:
    """The dictionary every chunk of ``pc.dictionary_encode(chunked)`` carries (one memo table over all chunks).

    None if the chunks do not share one (then the caller unifies).
    """
    d = enc.chunk(enc.num_chunks - 1).dictionary
    if all(ch.dictionary is d or len(ch.dictionary) == len(d) for ch in enc.chunks):
        return d
    return None


def _codes_of(chunks, mappings=None) -> np.ndarray:
    """One int32 buffer of the chunks' dictionary indices (nulls -> -1), each mapped through ``mappings[k]``."""
    codes = np.empty(sum(len(ch) for ch in chunks), dtype=np.int32)
    at = 0
    tables: dict[int, np.ndarray] = {}  # one lookup table per distinct mapping (chunks share them)
    for k, ch in enumerate(chunks):
        n = len(ch)
        ind = pc.fill_null(ch.indices, -1) if ch.null_count else ch.indices
        ind = np.asarray(ind.to_numpy(zero_copy_only=False))
        if mappings is not None and mappings[k] is not None:
            m = tables.get(id(mappings[k]))
            if m is None:
                m = tables[id(mappings[k])] = np.append(mappings[k], -1).astype(np.int32)  # -1 -> -1
            ind = m[ind]
        codes[at : at + n] = ind
        at += n
    return codes


_SPLIT_HASHING_ROWS = 1 << 21


def _encode_in_halves(col: pa.ChunkedArray) -> tuple[pa.Array, list, list]:
    """``dictionary_encode`` of a long column on two cores: each half hashed on its own thread, then joined.

    The second half's dictionary is mapped onto the first's by encoding the two dictionaries together (their
    sizes, not the rows); the result is the dictionary a single pass would give (values in order of first
    appearance over the whole column) with, per chunk, its indices and the mapping to apply (None: as they are).
    """
    from concurrent.futures import ThreadPoolExecutor

    half = len(col) // 2
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="hash-half") as pool:
        enc_a, enc_b = pool.map(pc.dictionary_encode, [col.slice(0, half), col.slice(half)])
    da, db = _shared_dictionary(enc_a), _shared_dictionary(enc_b)
    if da is None or db is None:  # pragma: no cover - pyarrow always shares the memo table across chunks
        enc = pc.dictionary_encode(col).unify_dictionaries()
        return enc.chunk(0).dictionary, enc.chunks, [None] * enc.num_chunks
    both = pc.dictionary_encode(pa.chunked_array([da, db]))
    last = both.chunk(both.num_chunks - 1)  # db's chunk (da's maps onto itself: its values come first)
    dictionary = last.dictionary
    map_b = np.asarray(last.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
    chunks = list(enc_a.chunks) + list(enc_b.chunks)
    return dictionary, chunks, [None] * enc_a.num_chunks + [map_b] * enc_b.num_chunks


_PARTITION_SAMPLE_ROWS = 1 << 18  # rows sampled to tell whether ids repeat nearby (sorted) or not (unsorted)
_PARTITION_DISTINCT_SHARE = 0.25  # above this share of distinct values in the sample: hash by partitions
# ... unless the sample says the whole column has at most this many distinct values (one table then stays in cache)
_ONE_TABLE_DISTINCT = 1 << 18
# ... unless the sample is mostly in ascending order (sorted by month, then id)
_PARTITION_ASCENDING_SHARE = 0.9
_PARTITION_ROWS = 1_500_000  # rows per partition (at least 16 partitions, at most 64)


def _sample_layout(col: pa.ChunkedArray) -> str:
    """How the first ``_PARTITION_SAMPLE_ROWS`` values of ``col`` are laid out, which picks how they are encoded.

    "repeating": at most a quarter distinct (sorted by seller), or so few distinct values that the whole column
    has at most ``_ONE_TABLE_DISTINCT`` of them (:func:`_distinct_in_sample`; order rows: 100k sellers over 45M
    rows); "ascending": mostly in ascending order (sorted by month, then seller); "scattered": neither (shuffled,
    or months in any seller order). Only "scattered" columns are hashed by partitions (:func:`_encode_partitioned`,
    :func:`_partition_count` of them).

    A column whose values repeat within a stretch of rows (a file sorted by seller) hashes fast in one table: the
    next row usually finds the entry the last one touched, and so does a column in ascending order (a file sorted
    by month then seller: the table's text is then read in the order it was stored). When the first
    ``_PARTITION_SAMPLE_ROWS`` rows are more than a quarter distinct and not mostly ascending (shuffled rows, or
    months in any seller order), each lookup in a table of a million ids misses the cache three times; then the
    column is hashed by partitions, 16 for 1M sellers x 36 months and more for longer columns. Measured on 1M
    sellers x 36 months: shuffled 2.3 s by partitions against 3.6 s in two halves; sorted by month 1.7 s in
    halves against 2.4 s by partitions. Re-measured on 2026-12-03 on another host, the month-sorted file was
    faster by partitions at 1M (whole process 0.92x, 6 pairs) but much slower at 5M (load 19.6 -> 33.6 s, two
    single runs each: 64 passes over a byte a row, and text gathered from all over the column), so it is not
    partitioned: ascending ids go to :func:`_encode_ascending_runs`, with two halves as its fallback.
    """
    sample = col.slice(0, _PARTITION_SAMPLE_ROWS).combine_chunks()
    distinct = len(pc.unique(sample))
    if distinct <= _PARTITION_DISTINCT_SHARE * len(sample) or distinct <= _distinct_in_sample(
        _ONE_TABLE_DISTINCT, len(sample)
    ):
        return "repeating"
    ascending = pc.sum(pc.greater_equal(sample.slice(1), sample.slice(0, len(sample) - 1))).as_py() or 0
    if ascending >= _PARTITION_ASCENDING_SHARE * (len(sample) - 1):
        return "ascending"
    return "scattered"


def _distinct_in_sample(n_distinct: int, rows: int) -> float:
    """Distinct values expected among ``rows`` rows drawn at random from a column of ``n_distinct`` values.

    ``n_distinct * (1 - exp(-rows / n_distinct))``; 0 when ``n_distinct`` is 0 (the test is off). It grows with
    ``n_distinct``, so a sample with at most this many distinct values comes from a column of at most
    ``n_distinct`` (read as: shuffled rows). Partitions pay for a table of a million ids, which misses the cache at
    every lookup; a table of ``_ONE_TABLE_DISTINCT`` = 262,144 ids is hashed in two halves on two cores instead:
    the 45M order rows' seller ids (100k sellers; 89,140 distinct among the 262,144 sampled rows, against the
    165,706 expected of 262,144 ids) took 0.9-1.1 s in halves against 1.8-2.1 s by 32 partitions.
    """
    if n_distinct <= 0:
        return 0.0
    return n_distinct * -np.expm1(-rows / n_distinct)


def _partition_count(n: int) -> int:
    """Partitions for ``n`` scattered rows: about ``_PARTITION_ROWS`` each, at least 16 and at most 64."""
    return int(min(64, max(16, 1 << int(np.ceil(np.log2(max(n / _PARTITION_ROWS, 1)))))))


# Blocks of this many rows keep a temporary mask (a byte a row) under glibc's largest threshold for mapping fresh
# memory (32 MB): freed, it is reused by the next block instead of being given back to the system and faulted in
# again, which on this VM costs 2.5-5 s a GB (docs/loading.md, fourth and sixth rounds).
_MASK_BLOCK_ROWS = 1 << 22


def _positions_equal(values: np.ndarray, value: int) -> np.ndarray:
    """``np.flatnonzero(values == value)`` (int64, ascending), without a mask as long as ``values``."""
    n = len(values)
    if n <= _MASK_BLOCK_ROWS:
        return np.flatnonzero(values == value)
    pieces = []
    for at in range(0, n, _MASK_BLOCK_ROWS):
        found = np.flatnonzero(values[at : at + _MASK_BLOCK_ROWS] == value)
        found += at
        pieces.append(found)
    return np.concatenate(pieces)


def _encode_partitioned(col: pa.ChunkedArray, parts: int) -> tuple[pa.Array, np.ndarray]:
    """``dictionary_encode`` of a long column whose values rarely repeat nearby, by hash partitions, on two cores.

    Every row goes to one of ``parts`` partitions by a 64-bit hash of its value (DuckDB's ``hash``), so equal
    values share a partition; each partition is hashed on its own (its table, about 64k ids, stays in the CPU
    cache, where one table of a million ids misses it on nearly every row) by two worker threads. The partitions'
    dictionaries are disjoint; they are laid end to end and put in order of first appearance over the whole column,
    so the result is exactly what one ``dictionary_encode`` pass gives: the distinct values (first appearance
    order) and int32 codes per row (-1 for null). Measured on 1M sellers x 36 months, shuffled (22.5M rows, this
    2-core machine): 2.3 s against 2.8-4.5 s for two halves of one table each (``_encode_in_halves``).
    """
    from concurrent.futures import ThreadPoolExecutor

    n = len(col)
    part = hash_bits(col, int(np.log2(parts)))
    chunks = [ch for ch in col.chunks if len(ch)]
    starts = np.cumsum([0] + [len(ch) for ch in chunks])
    codes = np.empty(n, dtype=np.int32)  # first the code within the row's partition, then the final code

    def encode(p: int):
        # its rows in read order: one pass over a byte a row (no row-sized index kept for every partition), a
        # block at a time, so that no row-sized mask is allocated for each partition either
        rows = _positions_equal(part, p)
        cuts = np.searchsorted(rows, starts)
        pieces = [
            chunks[j].take(pa.array(rows[cuts[j] : cuts[j + 1]] - starts[j]))
            for j in range(len(chunks))
            if cuts[j + 1] > cuts[j]
        ]
        enc = pc.dictionary_encode(pa.chunked_array(pieces, type=col.type))
        pieces = None
        dictionary = enc.chunk(enc.num_chunks - 1).dictionary if enc.num_chunks else pa.array([], col.type)
        local = _codes_of(enc.chunks)
        enc = None
        codes[rows] = local
        # the first row of each local code (codes are numbered in order of first appearance)
        first = np.empty(len(local), dtype=bool)
        if len(local):
            first[0] = local[0] >= 0
            np.greater(local[1:], np.maximum.accumulate(local)[:-1], out=first[1:])
        return dictionary, rows[first]

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="hash-part") as pool:
        done = list(pool.map(encode, range(parts)))
    sizes = np.array([len(d) for d, _ in done], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    order = np.argsort(np.concatenate([f for _, f in done]), kind="stable")  # by first row
    rank = np.empty(len(order) + 1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    rank[-1] = -1  # null
    nulls = bool(col.null_count)
    block = 1 << 20
    for at in range(0, n, block):  # (partition, local code) -> code, a block at a time
        local = codes[at : at + block]
        where = base[part[at : at + block]] + local
        if nulls:
            where[local < 0] = len(rank) - 1
        codes[at : at + block] = rank[where]
    dictionary = pa.concat_arrays([d for d, _ in done]) if done else pa.array([], col.type)
    return dictionary.take(pa.array(order)), codes


# more descents than this in one chunk: not ascending runs (the caller hashes instead)
_RUN_BREAKS_PER_CHUNK = 16
# new ids wait in a small sorted table until it holds this many (or 1/8 of the main one)
_PENDING_MIN = 1 << 16


class _AscendingRunsDictionary:
    """First-appearance codes of 1-8-byte ids given as big-endian words, a stretch of ascending rows at a time.

    Two sorted tables map word -> code: the main one and a small pending one that new ids join (merging two
    sorted arrays is linear; the pending table joins the main one when it reaches 1/8 of its size). Within an
    ascending stretch the ids not seen before are themselves ascending, so numbering them in that order is their
    order of first appearance, as ``pc.dictionary_encode`` numbers them.
    """

    def __init__(self) -> None:
        empty_w, empty_c = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int32)
        self.words, self.codes = empty_w, empty_c  # main table, sorted by word
        self.pending_words, self.pending_codes = empty_w, empty_c
        self.by_code: list[np.ndarray] = []  # the new words of each stretch, in code order
        self.size = 0

    @staticmethod
    def _lookup(words: np.ndarray, codes: np.ndarray, values: np.ndarray) -> np.ndarray:
        if not len(words):
            return np.full(len(values), -1, dtype=np.int32)
        pos = np.searchsorted(words, values)
        np.minimum(pos, len(words) - 1, out=pos)
        return np.where(words[pos] == values, codes[pos], np.int32(-1))

    @staticmethod
    def _merge(wa, ca, wb, cb) -> tuple[np.ndarray, np.ndarray]:
        words = np.concatenate([wa, wb])
        order = np.argsort(words, kind="stable")  # two sorted runs: one linear merge
        return words[order], np.concatenate([ca, cb])[order]

    def lookup(self, values: np.ndarray) -> np.ndarray:
        """Code of each word, -1 for words not seen yet."""
        codes = self._lookup(self.words, self.codes, values)
        miss = codes < 0
        if len(self.pending_words) and miss.any():
            codes[miss] = self._lookup(self.pending_words, self.pending_codes, values[miss])
        return codes

    def encode(self, values: np.ndarray) -> np.ndarray:
        """int32 codes of ``values`` (ascending, repeats allowed), numbering unseen ones from ``size`` up."""
        codes = self.lookup(values)
        miss = np.flatnonzero(codes < 0)
        if len(miss):
            missed = values[miss]
            first = np.empty(len(missed), dtype=bool)
            first[0] = True
            np.not_equal(missed[1:], missed[:-1], out=first[1:])
            new = missed[first]
            new_codes = np.arange(self.size, self.size + len(new), dtype=np.int32)
            codes[miss] = new_codes[np.cumsum(first) - 1]
            self.size += len(new)
            self.by_code.append(new)
            self.pending_words, self.pending_codes = self._merge(
                self.pending_words, self.pending_codes, new, new_codes
            )
            if len(self.pending_words) >= max(_PENDING_MIN, len(self.words) // 8):
                self.words, self.codes = self._merge(
                    self.words, self.codes, self.pending_words, self.pending_codes
                )
                self.pending_words, self.pending_codes = self.pending_words[:0], self.pending_codes[:0]
        return codes

    def words_in_code_order(self) -> np.ndarray:
        return np.concatenate(self.by_code) if self.by_code else np.empty(0, dtype=np.uint64)


def _first_id_length(col: pa.ChunkedArray) -> tuple[list[pa.Array], int]:
    """The non-empty chunks of ``col`` and the byte length all values of the first share, if 1-8; else 0.

    0 also when the first chunk is not text or has a null (``common_byte_length``, which the caller applies to the
    other chunks too).
    """
    chunks = [ch for ch in col.chunks if len(ch)]
    size = common_byte_length(chunks[0]) if chunks else 0
    return chunks, size if size <= 8 else 0


def _encode_ascending_runs(col: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray] | None:
    """``dictionary_encode`` of ids that arrive in a few ascending runs (a file sorted by month, then seller id).

    Applies to text ids without nulls that all have the same 1-8 UTF-8 bytes ("S0001234"), read as big-endian
    integers (:mod:`seller_insurance.arrow_text`; equal integers, equal text). Each half of the rows is encoded on
    its own thread by :class:`_AscendingRunsDictionary` (binary searches in sorted integer tables, which read
    memory in order where a hash table of a million strings misses the cache on nearly every row); the second
    half's dictionary is then mapped onto the first's. Returns what one ``pc.dictionary_encode`` pass gives (the
    distinct values in order of first appearance, int32 codes), or None if the ids are not of that kind or a
    chunk holds more than ``_RUN_BREAKS_PER_CHUNK`` descents (then both halves stop, so at most one pass is lost,
    and the caller hashes).
    """
    from concurrent.futures import ThreadPoolExecutor

    chunks, size = _first_id_length(col)
    if not size:
        return None
    n = len(col)
    codes = np.empty(n, dtype=np.int32)
    ends = np.cumsum([len(ch) for ch in chunks])
    cut = int(np.searchsorted(ends, n // 2)) + 1  # chunks [0, cut) and [cut, ...)
    starts = np.concatenate([[0], ends])
    give_up = threading.Event()  # one half found other ids: the other stops too

    def encode(lo: int, hi: int) -> _AscendingRunsDictionary | None:
        d = _AscendingRunsDictionary()
        for j in range(lo, hi):
            ch = chunks[j]
            if give_up.is_set():
                return None
            if common_byte_length(ch) != size:
                give_up.set()
                return None
            values = big_endian_words(ch, size)
            breaks = np.flatnonzero(values[1:] < values[:-1]) + 1
            if len(breaks) > _RUN_BREAKS_PER_CHUNK:
                give_up.set()
                return None
            at = int(starts[j])
            for a, b in zip([0, *breaks], [*breaks, len(ch)], strict=True):
                codes[at + a : at + b] = d.encode(values[a:b])
        return d

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ascending-runs") as pool:
        first, second = pool.map(lambda r: encode(*r), [(0, cut), (cut, len(chunks))])
    if first is None or second is None:
        return None
    head, tail = first.words_in_code_order(), second.words_in_code_order()
    mapping = first.lookup(tail)  # the second half's codes -> the first's (-1: new in the second half)
    new = mapping < 0
    mapping[new] = np.arange(len(head), len(head) + int(new.sum()), dtype=np.int32)
    tail_rows = codes[int(starts[cut]) :]
    block = 1 << 20
    for at in range(0, len(tail_rows), block):
        tail_rows[at : at + block] = mapping[tail_rows[at : at + block]]
    return text_of_words(np.concatenate([head, tail[new]]), size), codes


def _equality_words(col: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int] | None:
    """``col``'s text ids as uint64 (``arrow_text.equality_words``) when all have one length of 1-8 UTF-8 bytes.

    None for anything else (other lengths, nulls, not text). Hashing, gathering and comparing an integer a row
    costs less than a string a row, wherever the ids are hashed (one length is the usual case for seller ids);
    8-byte ids are a view of the Arrow buffer, no copy. :func:`_text_dictionary` turns the integers back into text.
    """
    chunks, size = _first_id_length(col)
    if not size or any(common_byte_length(ch) != size for ch in chunks[1:]):
        return None
    return pa.chunked_array([pa.array(equality_words(ch, size)) for ch in chunks], type=pa.uint64()), size


def _text_dictionary(dictionary: pa.Array, size: int) -> pa.Array:
    """The distinct integers of :func:`_equality_words`, back as text."""
    return text_of_equality_words(dictionary.to_numpy(zero_copy_only=False), size)


def _encoded_categorical(col: pa.ChunkedArray, split: bool = True) -> pd.Categorical:
    """Categorical of any chunked column through one hash table (values hashed once, never per chunk again).

    Plain columns (text or integer ids) are dictionary-encoded by pyarrow over all chunks at once; every output
    chunk then carries the same final dictionary, so no ``unify_dictionaries`` (which re-hashes every chunk's
    dictionary: 18-28 s for a million ids over 172 row groups). Integer ids are encoded as integers and only the
    distinct values are cast to text; so are text ids of one 1-8-byte length (:func:`_equality_words`). Dictionary
    columns whose per-chunk dictionaries together are smaller than the column are unified by encoding those
    dictionaries once; otherwise they are decoded and encoded as plain.

    Long columns (``split``, from ``_SPLIT_HASHING_ROWS`` rows) are encoded by how their first rows are laid out
    (:func:`_sample_layout`): ascending runs by binary search (:func:`_encode_ascending_runs`), scattered ids by
    hash partitions (:func:`_encode_partitioned`), anything else in two halves (:func:`_encode_in_halves`).
    """
    chunks = col.chunks
    mappings = None
    if pa.types.is_dictionary(col.type):
        dicts, which = [], []
        for ch in chunks:
            d = ch.dictionary
            if not len(d):  # an empty dictionary (an empty or all-null chunk) maps nothing
                which.append(-1)
                continue
            if not dicts or not (d is dicts[-1] or (len(d) == len(dicts[-1]) and d.equals(dicts[-1]))):
                dicts.append(d)
            which.append(len(dicts) - 1)
        if dicts and sum(len(d) for d in dicts) <= len(col):
            enc_d = pc.dictionary_encode(pa.chunked_array(dicts, type=col.type.value_type))
            dictionary = _shared_dictionary(enc_d)
            if dictionary is not None and enc_d.num_chunks == len(dicts):
                per_dict = [
                    np.asarray(c.indices.to_numpy(zero_copy_only=False), dtype=np.int32) for c in enc_d.chunks
                ]
                empty = np.empty(0, dtype=np.int32)
                mappings = [per_dict[w] if w >= 0 else empty for w in which]
        if mappings is None:
            col = pa.chunked_array([ch.dictionary_decode() for ch in chunks], type=col.type.value_type)
    if mappings is not None:
        return _categorical_of_codes(dictionary, _codes_of(chunks, mappings))
    layout = _sample_layout(col) if split and len(col) >= _SPLIT_HASHING_ROWS else "short"
    if layout == "ascending":
        runs = _encode_ascending_runs(col)
        if runs is not None:
            return _categorical_of_codes(*runs)
    as_words = _equality_words(col)
    values, size = (col, 0) if as_words is None else as_words
    if layout == "scattered":
        dictionary, codes = _encode_partitioned(values, _partition_count(len(col)))
    elif layout == "short":
        enc = pc.dictionary_encode(values)
        dictionary = _shared_dictionary(enc)
        if dictionary is None:  # pragma: no cover - pyarrow always shares the memo table across chunks
            enc = enc.unify_dictionaries()
            dictionary = enc.chunk(0).dictionary
        codes = _codes_of(enc.chunks)
    else:
        dictionary, chunks, mappings = _encode_in_halves(values)
        codes = _codes_of(chunks, mappings)
    if as_words is not None:
        values = as_words = None  # the integers, before the text is built
        dictionary = _text_dictionary(dictionary, size)
    return _categorical_of_codes(dictionary, codes)


def _categorical_of_codes(dictionary: pa.Array, codes: np.ndarray) -> pd.Categorical:
    """Categorical of int32 ``codes`` (-1: missing) over the distinct values ``dictionary`` (cast to text)."""
    if not pa.types.is_string(dictionary.type):
        dictionary = pc.cast(dictionary, pa.string())
    cats = pd.Index(dictionary.to_pandas(), dtype="str")
    return pd.Categorical.from_codes(codes, dtype=fast_dtype(cats), validate=False)


def drop_unused_categories(cat: pd.Categorical) -> pd.Categorical:
    """``remove_unused_categories`` in O(rows) (pandas sorts all codes with np.unique); order kept."""
    codes = np.asarray(cat.codes)
    n_cat = len(cat.categories)
    used = np.bincount(codes[codes >= 0] if (codes < 0).any() else codes, minlength=n_cat) > 0
    if used.all():
        return cat
    remap = np.cumsum(used, dtype=np.int64) - 1
    remap = np.append(remap, -1).astype(codes.dtype)  # code -1 stays -1
    new_codes = remap[np.where(codes < 0, n_cat, codes)]
    return pd.Categorical.from_codes(new_codes, dtype=fast_dtype(cat.categories[used]), validate=False)


def categorical_lookup(cat: pd.Categorical, fn, dtype, fill) -> np.ndarray:
    """``fn`` applied to each category once, gathered per row (code -1 -> ``fill``)."""
    table = np.array([fn(v) for v in cat.categories] + [fill], dtype=dtype)
    codes = np.asarray(cat.codes)
    return table[np.where(codes < 0, len(table) - 1, codes)]


CURRENCIES = tuple(sorted(set(SITE_CURRENCY.values())))


MARKETPLACE_DTYPE = pd.CategoricalDtype(pd.Index(list(KNOWN_MARKETPLACES), dtype="str"))


SITE_CURRENCY_CODE = np.array([CURRENCIES.index(SITE_CURRENCY[m]) for m in KNOWN_MARKETPLACES], dtype=np.int8)


def currency_code(v) -> int:
    """Index into CURRENCIES; -2 for blank (means: the site's currency); -1 for anything else."""
    if v is None or not str(v).strip():
        return -2
    t = str(v).strip().upper()
    return CURRENCIES.index(t) if t in CURRENCIES else -1


def _first_reason(checks: list[tuple[np.ndarray | None, str, str]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(bad mask, index of the first failing check per row) over ordered ``(mask, code, text)`` checks.

    A row failing several checks is reported under the first (the order of ``checks``).
    """
    failing = [k for k, (m, _, _) in enumerate(checks) if m is not None and m.any()]
    if not failing:
        return np.zeros(n, dtype=bool), np.empty(0, dtype=np.int16)
    which = np.full(n, -1, dtype=np.int16)
    for k in reversed(failing):
        which[checks[k][0]] = k
    return which >= 0, which


def _line_of(lines: np.ndarray | None, idx, first_row: int = 0):
    """Line (CSV) or row number (Parquet, ``lines`` None: ``first_row`` + row index + 1) of batch rows ``idx``."""
    return np.asarray(idx, dtype=np.int64) + (first_row + 1) if lines is None else lines[idx]


def run_load(path, dictionary_of, load_fn):
    """Open ``path`` and run ``load_fn(src)``, restarting once with Latin-1 if the CSV is not UTF-8.

    The result's ``timings`` (:class:`~seller_insurance.data.loading.timings.LoadTimings`) cover the whole load, a
    restart included (the first attempt's time goes to ``aggregate``).
    """
    started = time.perf_counter()
    src = open_source(path)
    src.dictionary_columns = dictionary_of(src.columns)
    try:
        return _timed_result(load_fn(src), src, started)
    except NotUtf8:
        pass
    src = open_source(path)
    src.encoding = "latin1"
    src.columns = _reheader(src)
    src.dictionary_columns = dictionary_of(src.columns)
    try:
        return _timed_result(load_fn(src), src, started)
    except NotUtf8 as exc:  # pragma: no cover - Latin-1 decodes any byte
        raise InputError(f"cannot decode text ({exc})", path=path) from None


def _timed_result(result, src: Source, started: float):
    """``result`` with ``src``'s timings, their ``total`` the seconds since ``started``."""
    src.timings.total = time.perf_counter() - started
    result.timings = src.timings
    return result


def _reheader(src: Source) -> list[str]:
    import csv
    import io

    with open_bytes(src.path) as fh:
        head = fh.read(1 << 16)
    text = head.decode("latin-1")
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=src.delimiter), src.columns)
    except csv.Error:
        return src.columns


def _row_estimate(src: Source, first_batch_rows: int) -> int:
    """Generous estimate of the rows in ``src`` (buffer capacity; untouched pages cost no memory)."""
    if src.fmt == "parquet":
        try:
            return sum(pq.ParquetFile(f).metadata.num_rows for f in src.files) + 16
        except (OSError, pa.ArrowException):
            return first_batch_rows * max(len(src.files), 1)
    from seller_insurance.data.loading import sources as loading_io

    size = sum(f.stat().st_size for f in src.files)
    return int(first_batch_rows * max(size / loading_io.CSV_BLOCK_BYTES, 1.0) * 1.3) + 1024


def read_ahead(batches: Iterator, depth: int = 1) -> Iterator:
    """The items of ``batches``, the next one read on a worker thread while the caller works on this one.

    Reading (Parquet decoding, CSV parsing: pyarrow releases the GIL) then overlaps the per-batch parsing and
    checks of the main thread, on the second core. At most ``depth`` items wait beyond the one in use. An exception
    raised by the reader is raised here, in the caller's thread, at the point it was met; a caller that stops early
    stops the reader.
    """
    import queue

    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        box.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put((done, None))
        except BaseException as exc:
            box.put((done, exc))

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = box.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # let a blocked put finish, then the thread ends
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)


def iterate_batches(src: Source, rejects: Rejects, per_batch, accumulate: bool = False, sink=None):
    """Stream batches, collecting row-level rejects; returns (parsed parts, ok masks, batch meta, rows read).

    With ``accumulate`` the per-batch arrays are appended into growable buffers as they come (``parts`` and
    ``oks`` then hold one merged entry): the columns are never held twice, which is what bounds the peak memory
    of a large CSV. With ``sink`` nothing is kept: each batch's ``sink(parsed, ok, first_position)`` takes the
    parsed arrays (``first_position``: the read position of the batch's first row), and ``parts``/``oks`` are
    empty unless the source has no row.
    """
    parts, oks, metas = [], [], []
    acc = None
    pos = 0
    clock = src.timings
    batches = read_ahead(timed_items(src.batches(), clock))
    while True:
        t0 = time.perf_counter()
        batch = next(batches, None)
        t1 = time.perf_counter()
        clock.wait += t1 - t0
        if batch is None:
            break
        table = batch.table
        n = table.num_rows
        parsed, checks = per_batch(table, n)
        bad, which = _first_reason(checks, n)
        if bad.any():
            idx = np.flatnonzero(bad)
            w = which[idx]
            rejects.add(
                table,
                idx,
                batch.file,
                _line_of(batch.lines, idx, batch.first_row),
                reasons_from_table(w, [f"{code}: {text}" for _, code, text in checks]),
                np.array([c for _, c, _ in checks], dtype=object)[w],
            )
        if sink is not None:
            sink(parsed, ~bad, pos)
        elif accumulate:
            if acc is None:
                acc = Accumulator(_row_estimate(src, n))
            acc.add({"parsed": parsed, "ok": ~bad})
        else:
            parts.append(parsed)
            oks.append(~bad)
        metas.append((batch.file, pos, n, *_compact_lines(batch.lines, batch.first_row)))  # for late rejects
        pos += n
        del table, parsed, checks, bad, which
        clock.parse += time.perf_counter() - t1
    if acc is not None:
        merged = acc.finish()
        parts, oks = [merged["parsed"]], [merged["ok"]]
    if not parts and not pos:  # a header without rows: parse an empty table so every array exists (length 0)
        table = pa.table({c: pa.array([], pa.string()) for c in dict.fromkeys(src.columns)})
        parsed, _ = per_batch(table, 0)
        parts.append(parsed)
        oks.append(np.zeros(0, dtype=bool))
        metas.append((str(src.files[0]), 0, 0, np.zeros(0, np.int64), 0))
    return parts, oks, metas, pos


def _compact_lines(lines: np.ndarray | None, first_row: int) -> tuple[np.ndarray | None, int]:
    """A batch's ``(lines, first_row)`` as kept in the batch meta, without a row-sized array when it can.

    CSV lines that follow one another (no line break inside a value, no skipped line in the batch: the usual case)
    become ``first_row`` alone, as for Parquet (:func:`_line_of` gives the same numbers). A row-sized int64 array
    per batch kept to the end of the load was 8 bytes a row: 3.6 GB for a CSV of 450M order rows.
    """
    n = 0 if lines is None else len(lines)
    if n and int(lines[-1]) - int(lines[0]) == n - 1:  # strictly increasing, so consecutive
        return None, int(lines[0]) - 1
    return lines, first_row


def reject_rows_at(
    src: Source, metas, positions: np.ndarray, rejects: Rejects, codes: np.ndarray, reasons: pa.Array
) -> None:
    """Add rejects for rows at read-order ``positions`` found bad after the read (duplicates, month totals).

    A second streamed pass over the source picks the rows (only when there are such rejects), so the first pass
    keeps no read table alive (on a Parquet file of 20M rows that is about 0.5 GB less at the peak).
    """
    if not len(positions):
        return
    positions = np.asarray(positions, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    positions, codes, reasons = (
        positions[order],
        np.asarray(codes, dtype=object)[order],
        reasons.take(pa.array(order)),
    )
    starts = np.array([m[1] for m in metas], dtype=np.int64)
    which = np.searchsorted(starts, positions, side="right") - 1
    for k, b in enumerate(src.batches()):
        sel = np.flatnonzero(which == k)
        if len(sel):
            local = positions[sel] - metas[k][1]
            lines = _line_of(b.lines, local, b.first_row)
            rejects.add(b.table, local, b.file, lines, reasons.take(pa.array(sel)), codes[sel])


def month_datetimes(idx: np.ndarray) -> np.ndarray:
    """datetime64[s] first-of-month values from month indices, via a small lookup table."""
    if not len(idx):
        return np.empty(0, dtype="datetime64[s]")
    lo, hi = int(idx.min()), int(idx.max())
    table = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[M]").astype("datetime64[s]")
    return table[idx - lo]


def round_cents(x: np.ndarray, inplace: bool = False) -> np.ndarray:
    """Round to cents exactly as ``np.round(x, 2)`` (x*100, round half to even, /100), in place if asked."""
    out = x if (inplace and x.flags.writeable) else np.multiply(x, 100.0)
    if out is x:
        np.multiply(out, 100.0, out=out)
    np.rint(out, out=out)
    np.divide(out, 100.0, out=out)
    return out


def strictly_increasing(levels: list[np.ndarray], block: int = 1 << 18) -> bool:
    """Whether rows are strictly increasing in lexicographic order of ``levels`` (sorted, no equal keys).

    Evaluated in cache-sized blocks with reused byte buffers: no combined int64 key and no row-sized temporaries,
    and the common case (data already sorted by seller, marketplace, month without duplicates) needs nothing more.
    """
    n = len(levels[0])
    if n < 2:
        return True
    gt, eq, tmp = (np.empty(min(block, n - 1), dtype=bool) for _ in range(3))
    for s in range(0, n - 1, block):
        e = min(s + block, n - 1)
        m = e - s
        g, q, t = gt[:m], eq[:m], tmp[:m]
        for i, a in enumerate(levels):
            hi, lo = a[s + 1 : e + 1], a[s:e]
            if i == 0:
                np.greater(hi, lo, out=g)
                np.equal(hi, lo, out=q)
                continue
            np.greater(hi, lo, out=t)
            t &= q
            g |= t
            if i < len(levels) - 1:
                np.equal(hi, lo, out=t)
                q &= t
        if not g.all():
            return False
    return True


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")``, usually 10x faster: the key and the row position packed into one int64.

    When the key's range and the row count fit together in 63 bits (1M sellers x 8 sites x 36 months of days and
    22.5M rows need 58), ``key - min`` shifted left with the position in the low bits is sorted by numpy's SIMD
    sort (0.3 s for 22.5M rows here, against 3.6 s for the stable argsort) and the positions are read back: equal
    keys keep their order of appearance, exactly as the stable sort does. Otherwise the stable argsort itself.

    Parameters
    ----------
    key : numpy.ndarray
        Integer keys (int64), any order, any sign.

    Returns
    -------
    numpy.ndarray
        int64 positions that sort ``key`` stably.
    """
    n = len(key)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    lo, hi = int(key.min()), int(key.max())
    pos_bits = max(1, (n - 1).bit_length())
    if (hi - lo).bit_length() + pos_bits > 63:
        return np.argsort(key, kind="stable")
    packed = np.subtract(key, lo, dtype=np.int64)
    packed <<= pos_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << pos_bits) - 1
    return packed


def group_duplicates(key: np.ndarray, values: list[np.ndarray]):
    """Duplicate handling over a key array: returns (order, keep mask in order, copy positions, conflict positions).

    ``order`` sorts ``key`` (identity when already sorted); within a run of equal keys, rows whose values all equal
    the run's first row are copies (the first is kept); if any row differs, the whole run is a conflict.
    Positions are indices into the original arrays.
    """
    n = len(key)
    if n < 2:
        return None, np.ones(n, dtype=bool), np.empty(0, np.int64), np.empty(0, np.int64)
    if bool(np.all(key[1:] >= key[:-1])):
        order, k = None, key
    else:
        order = stable_argsort(key)
        k = key[order]
    same = k[1:] == k[:-1]
    if not same.any():
        return order, np.ones(n, dtype=bool), np.empty(0, np.int64), np.empty(0, np.int64)
    # rows in a duplicate run, in sorted order
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    run_rows = np.flatnonzero(in_run)
    starts_flag = np.ones(len(run_rows), dtype=bool)
    starts_flag[1:] = ~same[run_rows[1:] - 1]
    run_id = np.cumsum(starts_flag) - 1
    first = run_rows[starts_flag][run_id]
    src_rows = run_rows if order is None else order[run_rows]
    src_first = first if order is None else order[first]
    differ = np.zeros(len(run_rows), dtype=bool)
    for v in values:
        a, b = v[src_rows], v[src_first]
        if a.dtype.kind == "f":
            differ |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
        else:
            differ |= a != b
    conflict_run = np.zeros(run_id[-1] + 1, dtype=bool)
    np.logical_or.at(conflict_run, run_id, differ)
    conflict = conflict_run[run_id]
    keep = np.ones(n, dtype=bool)  # in sorted order
    keep[run_rows[conflict | ~starts_flag]] = False
    copies = src_rows[~conflict & ~starts_flag]
    conflicts = src_rows[conflict]
    return order, keep, copies, conflicts


def concat_parts(parts: list[np.ndarray | None]) -> np.ndarray | None:
    """Concatenate per-batch arrays without copying the (common) single-batch case."""
    if not parts or parts[0] is None:
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def counts_column(v: np.ndarray):
    """int64 counts, or nullable Int64 when some are blank (NaN)."""
    missing = np.isnan(v)
    if missing.any():
        return pd.arrays.IntegerArray(np.where(missing, 0, v).astype(np.int64), missing)
    return v.astype(np.int64)


def lines_at(metas, positions: np.ndarray) -> np.ndarray:
    """Source line (or Parquet row number) of rows at read-order ``positions``."""
    positions = np.asarray(positions, dtype=np.int64)
    starts = np.array([m[1] for m in metas], dtype=np.int64)
    which = np.searchsorted(starts, positions, side="right") - 1
    out = np.empty(len(positions), dtype=np.int64)
    for k in np.unique(which):
        sel = which == k
        out[sel] = _line_of(metas[k][3], positions[sel] - metas[k][1], metas[k][4])
    return out


# From this many rows the duplicate check first narrows the rows down by a 64-bit hash of the key (DuckDB's
# ``hash``, on both cores); below it every key is encoded exactly (no DuckDB start-up for a small table).
HASHED_KEYS_FROM = 1 << 17


def key_hashes(columns: list) -> np.ndarray:
    """A uint64 hash per row of the key ``columns`` (Arrow; equal keys, equal hashes), computed by DuckDB.

    The columns go to DuckDB without a copy (Arrow, or Arrow views of numpy arrays); DuckDB keeps the row order of
    a plain projection (``preserve_insertion_order``, on by default and set here anyway).
    """
    args = ", ".join(f"k{i}" for i in range(len(columns)))
    with _keys_in_duckdb(pa.table({f"k{i}": col for i, col in enumerate(columns)})) as con:
        h = np.asarray(con.sql(f"SELECT hash({args}) AS h FROM keys").fetchnumpy()["h"], dtype=np.uint64)
        return h if h.flags.writeable else h.copy()


def ordered_duckdb():
    """A new DuckDB connection that keeps the row order of a plain projection (``preserve_insertion_order``)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    return con


@contextmanager
def _keys_in_duckdb(keys: pa.Table, con=None):
    """A DuckDB connection with ``keys`` registered as the view ``keys`` (no copy) and row order preserved.

    ``con``: an :func:`ordered_duckdb` connection to use (kept open; only the view is dropped after); by default a
    new one, closed after.
    """
    own = con is None
    con = ordered_duckdb() if own else con
    try:
        con.register("keys", keys)
        yield con
    finally:
        if own:
            con.close()
        else:
            con.unregister("keys")


def hash_bits(col, bits: int, con=None) -> np.ndarray:
    """The top ``bits`` (at most 8) of DuckDB's 64-bit hash of each value of ``col``, as uint8 (equal values, equal bits).

    Streamed from DuckDB a million rows at a time: one byte a row is all that is kept. ``con``: a connection of
    :func:`ordered_duckdb` to reuse (a caller hashing batch after batch saves a connection per call, about 13 ms).
    """
    out = np.empty(len(col), dtype=np.uint8)
    query = f"SELECT (hash(k) >> {64 - bits})::UTINYINT AS h FROM keys"
    at = 0
    with _keys_in_duckdb(pa.table({"k": col}), con) as c:
        for batch in c.sql(query).to_arrow_reader(1 << 20):
            h = batch.column(0).to_numpy(zero_copy_only=False)
            out[at : at + len(h)] = h
            at += len(h)
    if at != len(col):  # pragma: no cover - DuckDB returns one row per row
        raise AssertionError("hash_bits: row count changed")
    return out


def repeated_key_rows(columns: list, ok: np.ndarray) -> np.ndarray:
    """Positions of the ok rows whose key may occur more than once among the ok rows (sorted).

    Every ok row whose key really repeats is among them (equal keys have equal hashes); a few more may be (a
    64-bit hash collision), so the caller still compares the keys of these rows exactly. Small tables: all ok rows.
    One sort of 8-byte hashes instead of a hash table of every key string (10M claim ids: about 0.3 s against
    2.7 s for ``pc.dictionary_encode``), on two cores (:func:`sort_on_two_threads`).
    """
    n = len(ok)
    if n < HASHED_KEYS_FROM:
        return np.flatnonzero(ok)
    h = key_hashes(columns)
    all_ok = bool(ok.all())
    s = h if all_ok else h[ok]
    # in place: no second 80 MB array for 10M rows (the hashes are recomputed if a key repeats)
    sort_on_two_threads(s)
    repeated = s[1:][s[1:] == s[:-1]]
    if not len(repeated):
        return np.zeros(0, dtype=np.int64)
    if all_ok:
        h = key_hashes(columns)
    hit = np.isin(h, np.unique(repeated))
    if not all_ok:
        hit &= ok
    return np.flatnonzero(hit)


_TWO_THREAD_SORT_FROM = 1 << 17


def sort_on_two_threads(a: np.ndarray) -> None:
    """Sort a 1-D numeric array in place, on two cores once it has ``_TWO_THREAD_SORT_FROM`` values.

    One selection (``ndarray.partition``, linear) puts every value of the lower half before every value of the
    upper half; then each half is sorted on its own thread (numpy releases the GIL while sorting), and the whole
    is sorted. No copy. 10M uint64 hashes: 0.45 s against 0.8 s for one ``sort``.
    """
    k = len(a) // 2
    if len(a) < _TWO_THREAD_SORT_FROM:
        a.sort()
        return
    from concurrent.futures import ThreadPoolExecutor

    a.partition(k)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sort-half") as pool:
        list(pool.map(np.ndarray.sort, [a[:k], a[k:]]))
