"""Ids hashed by hash partitions (``stream._encode_partitioned``) give exactly what one pass gives.

The reference is ``pandas.factorize`` on the Python values (first-appearance order, null -> -1), computed
independently of pyarrow's hashing; the partitioned path is forced on small columns by its module constants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from seller_insurance.data.loading import stream
from seller_insurance.data.loading.sales import load_monthly_sales


@pytest.fixture(autouse=True)
def _tables_by_layout_only(monkeypatch):
    """These columns are small, so their few distinct ids would be hashed in one table whatever their layout
    (``_ONE_TABLE_DISTINCT``, tested in test_loading_partitions.py): off here, to reach each layout's path."""
    monkeypatch.setattr(stream, "_ONE_TABLE_DISTINCT", 0)


def _column(n: int, seed: int, chunks: int, kind: str, null_share: float = 0.02) -> pa.ChunkedArray:
    rng = np.random.default_rng(seed)
    pool = [f"S{k:05d}" for k in range(max(n // 3, 1))] + ["", "  ", " S00001 "]
    values: list = [pool[i] for i in rng.integers(0, len(pool), n)]
    if kind == "int":
        values = [int(v.strip()[1:]) if v.strip() else None for v in values]
    for k in rng.integers(0, n, int(n * null_share)):
        values[k] = None
    typ = {"string": pa.string(), "large": pa.large_string(), "int": pa.int64()}[kind]
    cuts = np.sort(rng.integers(0, n + 1, chunks - 1)) if chunks > 1 else np.array([], dtype=int)
    bounds = [0, *cuts.tolist(), n]  # some chunks may be empty
    return pa.chunked_array(
        [pa.array(values[a:b], typ) for a, b in zip(bounds[:-1], bounds[1:], strict=True)], type=typ
    )


@pytest.mark.parametrize("kind", ["string", "large", "int"])
@pytest.mark.parametrize(("n", "chunks", "parts"), [(5_000, 1, 2), (5_001, 9, 16), (300, 4, 64), (3, 3, 4)])
@pytest.mark.parametrize("mask_block", [None, 7], ids=["one_mask", "masks_of_7"])
def test_partitioned_encoding_equals_pandas_factorize(kind, n, chunks, parts, mask_block, monkeypatch):
    if mask_block:  # each partition's rows found a block of rows at a time
        monkeypatch.setattr(stream, "_MASK_BLOCK_ROWS", mask_block)
    col = _column(n, seed=n + parts, chunks=chunks, kind=kind)
    dictionary, codes = stream._encode_partitioned(col, parts)
    ref_codes, ref_uniques = pd.factorize(pd.Series(col.to_pylist(), dtype=object), use_na_sentinel=True)
    assert dictionary.to_pylist() == list(ref_uniques)
    assert codes.dtype == np.int32
    np.testing.assert_array_equal(codes, ref_codes)


@pytest.mark.parametrize("block", [1, 3, 8, 1000])
def test_positions_equal_is_flatnonzero(block, monkeypatch):
    monkeypatch.setattr(stream, "_MASK_BLOCK_ROWS", block)
    values = np.random.default_rng(block).integers(0, 4, 50).astype(np.uint8)
    for v in range(5):  # 4 never occurs
        got = stream._positions_equal(values, v)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, np.flatnonzero(values == v))
    assert len(stream._positions_equal(values[:0], 1)) == 0


def test_partitioned_encoding_of_all_nulls_and_of_one_value():
    nulls = pa.chunked_array([pa.array([None, None], pa.string()), pa.array([None], pa.string())])
    dictionary, codes = stream._encode_partitioned(nulls, 4)
    assert dictionary.to_pylist() == []
    np.testing.assert_array_equal(codes, [-1, -1, -1])
    same = pa.chunked_array([pa.array(["x", None, "x"]), pa.array(["x"])])
    dictionary, codes = stream._encode_partitioned(same, 16)
    assert dictionary.to_pylist() == ["x"]
    np.testing.assert_array_equal(codes, [0, -1, 0, 0])


def test_hash_bits_are_a_function_of_the_value_and_in_range():
    values = [f"id{k % 97}" for k in range(10_000)]
    col = pa.chunked_array([pa.array(values[:4_000]), pa.array(values[4_000:])])
    bits = stream.hash_bits(col, 4)
    assert bits.dtype == np.uint8 and len(bits) == len(values)
    assert int(bits.max()) < 16
    first: dict[str, int] = {}
    for v, b in zip(values, bits.tolist(), strict=True):
        assert first.setdefault(v, b) == b
    assert len(set(first.values())) > 8  # 97 values spread over the 16 partitions


@pytest.mark.parametrize("kind", ["string", "large", "int"])
def test_to_categorical_by_partitions_is_the_trimmed_values(monkeypatch, kind):
    """Through ``to_categorical``: trimmed text, blank and null missing, the same as the path without partitions."""
    col = _column(4_000, seed=7, chunks=5, kind=kind)
    monkeypatch.setattr(stream, "_SPLIT_HASHING_ROWS", 1)
    monkeypatch.setattr(stream, "_PARTITION_ROWS", 100)
    assert stream._sample_layout(col) == "scattered" and stream._partition_count(len(col)) >= 16
    by_parts, maybe_missing = stream.to_categorical(col, report_missing=True)
    expected = [None if v is None or not str(v).strip() else str(v).strip() for v in col.to_pylist()]
    got = [None if pd.isna(v) else v for v in np.asarray(by_parts, dtype=object)]
    assert got == expected
    assert maybe_missing
    monkeypatch.setattr(stream, "_PARTITION_DISTINCT_SHARE", 2.0)  # never partitions: two halves
    assert stream._sample_layout(col) == "repeating"
    halves = stream.to_categorical(col)
    assert list(by_parts.categories) == list(halves.categories)
    np.testing.assert_array_equal(np.asarray(by_parts.codes), np.asarray(halves.codes))


def test_partitions_only_for_unsorted_ids_that_rarely_repeat(monkeypatch):
    monkeypatch.setattr(stream, "_PARTITION_SAMPLE_ROWS", 1_000)
    sellers = [f"S{k:05d}" for k in range(2_000)]
    by_seller = pa.chunked_array([pa.array([s for s in sellers for _ in range(12)])])  # repeats nearby
    by_month = pa.chunked_array([pa.array(sellers * 12)])  # distinct, ascending
    rng = np.random.default_rng(3)
    shuffled = pa.chunked_array([pa.array([sellers[i] for i in rng.integers(0, 2_000, 24_000)])])
    assert stream._sample_layout(by_seller) == "repeating"
    assert stream._sample_layout(by_month) == "ascending"
    assert stream._sample_layout(shuffled) == "scattered"
    assert stream._partition_count(len(shuffled)) == 16
    monkeypatch.setattr(stream, "_PARTITION_ROWS", 100)
    assert stream._partition_count(len(shuffled)) == 64  # 24,000 rows / 100: capped


def test_load_of_a_shuffled_file_is_the_same_with_and_without_partitions(tmp_path, monkeypatch):
    rng = np.random.default_rng(11)
    n_sellers, months = 300, pd.date_range("2021-01-01", periods=12, freq="MS")
    frame = pd.DataFrame(
        {
            "seller_id": np.repeat(
                [f" S{k:04d}" if k % 50 == 0 else f"S{k:04d}" for k in range(n_sellers)], 12
            ),
            "month": np.tile(months.strftime("%Y-%m"), n_sellers),
            "gross_sales": np.round(rng.uniform(0, 20_000, n_sellers * 12), 2),
        }
    ).sample(frac=1.0, random_state=5)
    frame.iloc[7, 0] = "   "  # blank id: rejected after the hashing
    frame.iloc[8, 2] = np.nan
    path = tmp_path / "shuffled.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setattr(stream, "_SPLIT_HASHING_ROWS", 1)
    monkeypatch.setattr(stream, "_PARTITION_ROWS", 50)
    monkeypatch.setattr(stream, "_PARTITION_SAMPLE_ROWS", 200)
    calls = []
    real = stream._encode_partitioned
    monkeypatch.setattr(
        stream, "_encode_partitioned", lambda col, parts: calls.append(parts) or real(col, parts)
    )
    with_parts = load_monthly_sales(path, sort=False)
    assert calls == [64]  # the seller ids went through the partitions (3,600 rows / 50, capped)
    monkeypatch.setattr(stream, "_PARTITION_DISTINCT_SHARE", 2.0)
    without = load_monthly_sales(path, sort=False)
    pd.testing.assert_frame_equal(with_parts.frame, without.frame)
    pd.testing.assert_frame_equal(with_parts.rejects, without.rejects)
    assert with_parts.rows_read == len(frame) == with_parts.rows_accepted + len(with_parts.rejects)
    assert set(with_parts.reject_counts()) == {"missing_seller_id", "bad_amount"}


def test_few_distinct_ids_in_any_order_are_hashed_in_one_table(monkeypatch):
    """Order rows: many rows per id, shuffled. The sample's distinct count says the column has few ids, so they
    are hashed in halves (one table each), not by partitions; the codes are the same either way."""
    monkeypatch.setattr(stream, "_ONE_TABLE_DISTINCT", 500)
    monkeypatch.setattr(stream, "_PARTITION_SAMPLE_ROWS", 1_000)
    monkeypatch.setattr(stream, "_SPLIT_HASHING_ROWS", 1)
    monkeypatch.setattr(stream, "_PARTITION_ROWS", 100)
    # by hand: 500 ids, 1,000 rows drawn: 500 * (1 - e^-2) = 432.33 distinct expected
    assert stream._distinct_in_sample(500, 1_000) == pytest.approx(432.332358, abs=1e-6)
    assert stream._distinct_in_sample(0, 1_000) == 0.0
    rng = np.random.default_rng(11)
    few = [f"S{k:04d}" for k in rng.integers(0, 300, 20_000)]  # 300 ids: about 287 distinct in the sample
    many = [f"S{k:05d}" for k in rng.integers(0, 5_000, 20_000)]  # 5,000 ids: about 905 distinct
    few_col, many_col = pa.chunked_array([pa.array(few)]), pa.chunked_array([pa.array(many)])
    assert stream._sample_layout(few_col) == "repeating"
    assert stream._sample_layout(many_col) == "scattered"
    halves = stream.to_categorical(few_col)
    monkeypatch.setattr(stream, "_ONE_TABLE_DISTINCT", 0)  # the rule off: partitions
    assert stream._sample_layout(few_col) == "scattered"
    parts = stream.to_categorical(few_col)
    assert list(halves.categories) == list(parts.categories)
    np.testing.assert_array_equal(np.asarray(halves.codes), np.asarray(parts.codes))
    assert list(np.asarray(halves, dtype=object)) == few


def test_sample_layout_threshold_is_the_expected_distinct_count(monkeypatch):
    """Exactly at the expected count of a column of ``_ONE_TABLE_DISTINCT`` ids: one table; one more: partitions."""
    monkeypatch.setattr(stream, "_ONE_TABLE_DISTINCT", 500)
    monkeypatch.setattr(stream, "_PARTITION_SAMPLE_ROWS", 1_000)
    # 1,000 sampled rows, neither mostly repeating (> 250 distinct) nor ascending; 432 or 433 distinct values
    for distinct, layout in ((432, "repeating"), (433, "scattered")):
        values = [f"V{k:04d}" for k in range(distinct)]
        values += [values[k] for k in np.random.default_rng(distinct).integers(0, distinct, 1_000 - distinct)]
        values = [values[k] for k in np.random.default_rng(1).permutation(1_000)]
        assert stream._sample_layout(pa.chunked_array([pa.array(values)])) == layout
