"""Text ids of one 1-8-byte length are hashed as 64-bit integers (``stream._equality_words``) on every path.

The reference is ``pandas.factorize`` on the Python values (first-appearance order); a spy checks that the
integers, not the text, went through the hash tables, and that other ids still go through as text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seller_insurance.arrow_text import equality_words, text_of_equality_words
from seller_insurance.data.loading import stream

_UNITS = {1: "aZ9 \x00", 2: "é", 3: "€", 4: "\U0001f600"}  # characters by their UTF-8 byte length


@pytest.fixture(autouse=True)
def _tables_by_layout_only(monkeypatch):
    """These columns are small, so their few distinct ids would be hashed in one table whatever their layout
    (``_ONE_TABLE_DISTINCT``, tested in test_loading_partitions.py): off here, to reach each layout's path."""
    monkeypatch.setattr(stream, "_ONE_TABLE_DISTINCT", 0)


@st.composite
def _text_of_bytes(draw, width: int) -> str:
    out, left = "", width
    while left:
        size = draw(st.sampled_from([k for k in _UNITS if k <= left]))
        out += draw(st.sampled_from(_UNITS[size]))
        left -= size
    return out


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 8), data=st.data())
def test_equality_words_are_equal_exactly_when_the_text_is(width, data):
    values = data.draw(st.lists(_text_of_bytes(width), min_size=1, max_size=30))
    prefix = data.draw(st.text("ab", max_size=7))  # the slice's text starts anywhere in the buffer
    arr = pa.array([prefix, *values]).slice(1)
    words = equality_words(arr, width)
    assert words.dtype == np.uint64 and len(words) == len(values)
    for i, u in enumerate(values):
        for j, v in enumerate(values):
            assert (words[i] == words[j]) == (u == v)
    assert text_of_equality_words(words, width).to_pylist() == values


def _column(values: list, typ: pa.DataType) -> pa.ChunkedArray:
    third = len(values) // 3
    unaligned = pa.array(["abc", *values[2 * third :]], typ).slice(1)  # its text starts 3 bytes in
    return pa.chunked_array(
        [pa.array(values[:third], typ), pa.array(values[third : 2 * third], typ), unaligned]
    )


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
@pytest.mark.parametrize("width", [2, 5, 8])
@pytest.mark.parametrize("layout", ["short", "repeating", "scattered"])
def test_ids_of_one_length_go_through_as_integers(monkeypatch, typ, width, layout):
    rng = np.random.default_rng(width)
    alphabet = list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    pool = list(dict.fromkeys("".join(rng.choice(alphabet, width)) for _ in range(400)))
    if layout == "repeating":
        values = [v for v in pool for _ in range(12)]  # each id's rows together (sorted by seller)
    else:
        values = [pool[i] for i in rng.integers(0, len(pool), 6_000)]
    if layout != "short":
        monkeypatch.setattr(stream, "_SPLIT_HASHING_ROWS", 1)
        monkeypatch.setattr(stream, "_PARTITION_ROWS", 100)
        monkeypatch.setattr(stream, "_PARTITION_SAMPLE_ROWS", 1_000)
    seen: list = []
    for name in ("_encode_partitioned", "_encode_in_halves"):
        real = getattr(stream, name)
        monkeypatch.setattr(stream, name, lambda c, *a, real=real: seen.append(c.type) or real(c, *a))
    real_encode = pc.dictionary_encode
    monkeypatch.setattr(pc, "dictionary_encode", lambda c, *a: seen.append(c.type) or real_encode(c, *a))

    col = _column(values, typ)
    assert stream._sample_layout(col) == layout or layout == "short"
    cat = stream.to_categorical(col)
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    assert list(cat.categories) == list(uniques)
    np.testing.assert_array_equal(np.asarray(cat.codes), codes)
    assert seen and seen[0] == pa.uint64()

    seen.clear()
    mixed = [*values[:-1], "é" * width]  # one id of another byte length: the text is hashed
    cat = stream.to_categorical(_column(mixed, typ))
    codes, uniques = pd.factorize(pd.Series(mixed, dtype=object))
    assert list(cat.categories) == list(uniques)
    np.testing.assert_array_equal(np.asarray(cat.codes), codes)
    assert seen and seen[0] == typ
