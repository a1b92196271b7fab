"""Ids in ascending runs (``stream._encode_ascending_runs``) give exactly what one hashing pass gives.

The reference is ``pandas.factorize`` on the Python values (first-appearance order), computed without pyarrow's
hashing or the integer words; the small tables' merges are forced by shrinking ``_PENDING_MIN``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seller_insurance.data.loading import stream
from seller_insurance.data.loading.sales import load_monthly_sales


@pytest.fixture(autouse=True)
def _tables_by_layout_only(monkeypatch):
    """These columns are small, so their few distinct ids would be hashed in one table whatever their layout
    (``_ONE_TABLE_DISTINCT``, tested in test_loading_partitions.py): off here, to reach each layout's path."""
    monkeypatch.setattr(stream, "_ONE_TABLE_DISTINCT", 0)


def _chunked(values: list, cuts: list[int], typ: pa.DataType | None = None) -> pa.ChunkedArray:
    typ = typ or pa.string()
    bounds = [0, *sorted(cuts), len(values)]
    return pa.chunked_array(
        [pa.array(values[a:b], typ) for a, b in zip(bounds[:-1], bounds[1:], strict=True)], typ
    )


def _reference(col: pa.ChunkedArray) -> tuple[list, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(col.to_pylist(), dtype=object))
    return list(uniques), codes


def test_by_hand_two_runs_over_two_chunks():
    # month 1: b d; month 2: a b b c (a repeat within a run, as two sites of one seller)
    col = _chunked(["b", "d", "a", "b", "b", "c"], [3])
    dictionary, codes = stream._encode_ascending_runs(col)
    assert dictionary.to_pylist() == ["b", "d", "a", "c"]
    np.testing.assert_array_equal(codes, [0, 1, 2, 0, 0, 3])
    assert codes.dtype == np.int32


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(1, 8),
    pool=st.integers(1, 60),
    runs=st.lists(st.lists(st.integers(0, 59), max_size=40), min_size=1, max_size=6),
    cuts=st.lists(st.integers(0, 240), max_size=5),
    large=st.booleans(),
    pending=st.sampled_from([1, 2, 5, 1 << 16]),
    data=st.data(),
)
def test_equals_pandas_factorize(width, pool, runs, cuts, large, pending, data):
    alphabet = data.draw(st.sampled_from(["AB", "09", "é€\U0001f600a"]))
    ids = sorted(
        {
            data.draw(
                st.text(alphabet, min_size=width, max_size=width).filter(lambda s: len(s.encode()) == width)
            )
            for _ in range(pool)
        }
    )
    values = [
        v for run in runs for v in sorted(ids[k % len(ids)] for k in run)
    ]  # runs ascending, repeats allowed
    if not values:
        return
    col = _chunked(values, [c for c in cuts if c <= len(values)], pa.large_string() if large else pa.string())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stream, "_PENDING_MIN", pending)
        out = stream._encode_ascending_runs(col)
    assert out is not None
    dictionary, codes = out
    ref_uniques, ref_codes = _reference(col)
    assert dictionary.to_pylist() == ref_uniques
    np.testing.assert_array_equal(codes, ref_codes)


@pytest.mark.parametrize(
    "values",
    [
        ["S01", "S02", "S3"],  # lengths differ
        ["S000000001", "S000000002"],  # 10 bytes: longer than one word
        ["S01", None, "S02"],  # a null
        [f"S{k:02d}" for k in [5, 3, 9, 1] * 10],  # 30 descents in one chunk: not ascending runs
    ],
)
def test_other_ids_are_left_to_the_hash_tables(values):
    assert stream._encode_ascending_runs(_chunked(values, [])) is None


def test_a_second_chunk_of_another_length_is_left_to_the_hash_tables():
    assert stream._encode_ascending_runs(_chunked(["S01", "S02", "S0003", "S0004"], [2])) is None


def test_load_of_a_month_sorted_file_is_the_same_through_the_runs(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    n_sellers, months = 400, pd.date_range("2021-01-01", periods=12, freq="MS")
    frame = pd.DataFrame(
        {
            "month": np.repeat(months.strftime("%Y-%m"), n_sellers),
            "seller_id": np.tile([f"S{k:04d}" for k in range(n_sellers)], 12),
            "gross_sales": np.round(rng.uniform(0, 20_000, n_sellers * 12), 2),
        }
    )
    frame = frame[rng.uniform(size=len(frame)) < 0.8]  # sellers absent some months, new ones appearing late
    path = tmp_path / "by_month.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setattr(stream, "_SPLIT_HASHING_ROWS", 1)
    monkeypatch.setattr(stream, "_PARTITION_SAMPLE_ROWS", 500)
    monkeypatch.setattr(stream, "_PENDING_MIN", 16)
    calls = []
    real = stream._encode_ascending_runs
    monkeypatch.setattr(stream, "_encode_ascending_runs", lambda col: calls.append(len(col)) or real(col))
    through_runs = load_monthly_sales(path, sort=False)
    assert calls == [len(frame)]
    monkeypatch.setattr(stream, "_encode_ascending_runs", lambda col: None)  # the hash tables instead
    hashed = load_monthly_sales(path, sort=False)
    pd.testing.assert_frame_equal(through_runs.frame, hashed.frame)
    assert through_runs.rows_accepted == hashed.rows_accepted == len(frame)
