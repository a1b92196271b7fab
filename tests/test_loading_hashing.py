"""Seller ids hashed in two halves on two threads give exactly what one pass gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from seller_insurance.data.loading import stream


def _ids(n: int, seed: int, chunks: int) -> pa.ChunkedArray:
    rng = np.random.default_rng(seed)
    pool = np.array([f"S{k:05d}" for k in range(n // 3)] + ["", "  ", " S00001 "], dtype=object)
    values = pool[rng.integers(0, len(pool), n)].tolist()
    for k in rng.integers(0, n, n // 50):  # nulls
        values[k] = None
    cuts = np.linspace(0, n, chunks + 1).astype(int)
    return pa.chunked_array(
        [pa.array(values[a:b], pa.string()) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    )


@pytest.mark.parametrize(("n", "chunks"), [(5_000, 1), (5_001, 7), (40, 3), (2, 2)])
def test_two_halves_equal_one_pass_and_a_pandas_reference(monkeypatch, n, chunks):
    col = _ids(n, seed=n, chunks=chunks)
    monkeypatch.setattr(stream, "_SPLIT_HASHING_ROWS", 1)
    split = stream.to_categorical(col)
    monkeypatch.setattr(stream, "_SPLIT_HASHING_ROWS", 1 << 40)
    whole = stream.to_categorical(col)
    assert list(split.categories) == list(whole.categories)
    np.testing.assert_array_equal(np.asarray(split.codes), np.asarray(whole.codes))
    # reference: trimmed text, empty or null -> missing, categories in order of first appearance
    text = pd.Series(col.to_pylist(), dtype=object).str.strip().replace("", None)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    assert list(split.categories) == list(uniques)
    np.testing.assert_array_equal(np.asarray(split.codes), codes)
