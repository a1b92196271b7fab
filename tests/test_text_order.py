"""The engine's order of seller-id categories (``rules._text_order``) against pandas' own ``argsort``.

Equal-length text of 1-16 UTF-8 bytes is sorted as big-endian integers; everything else goes to pandas. Both
must give pandas' order: byte order of UTF-8, which is code point order.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seller_insurance.analysis import rules

# Characters of 1, 2, 3 and 4 UTF-8 bytes, and the smallest and largest byte values.
ALPHABET = st.sampled_from(
    ["\x00", "\x01", "A", "Z", "a", "z", "0", "9", "é", "ÿ", "€", "中", "\U0001f600", "\x7f"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(ALPHABET, min_size=0, max_size=6), min_size=2, max_size=60, unique=True),
    st.sampled_from(["string", "large_string"]),
    st.integers(0, 3),
)
def test_text_order_is_pandas_argsort(values, arrow_type, skip):
    """Lengths from 0 to 24 bytes, equal or mixed, in a sliced Arrow array (non-zero offset)."""
    arr = pa.array(["pad"] * skip + values, type=getattr(pa, arrow_type)()).slice(skip)
    cats = pd.Index(pd.arrays.ArrowExtensionArray(arr))
    expected = pd.Index(values, dtype=object).argsort(kind="stable")
    assert list(rules._text_order(cats)) == list(expected)


@pytest.mark.parametrize("size", [1, 7, 8, 9, 15, 16, 17])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_equal_lengths_at_every_width(size, data):
    """The integer path: every value of one byte length (1-16), and the text path just past it (17)."""
    values = data.draw(
        st.lists(st.binary(min_size=size, max_size=size), min_size=2, max_size=80, unique=True).map(
            lambda bs: [b.decode("latin-1").encode("utf-8")[:size].decode("utf-8", "ignore") for b in bs]
        )
    )
    values = list(dict.fromkeys(v for v in values if len(v.encode()) == size))
    if len(values) < 2:
        return
    cats = pd.Index(values, dtype="str")
    assert list(rules._text_order(cats)) == list(pd.Index(values, dtype=object).argsort(kind="stable"))


def test_seller_ids_of_one_length_take_the_integer_path_and_others_do_not(monkeypatch):
    """Which path is taken: pandas' argsort is called only for mixed lengths or over 16 bytes."""
    calls = []
    original = pd.Index.argsort
    monkeypatch.setattr(pd.Index, "argsort", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    ids = pd.Index(["S0000300", "S0000010", "S0000200"], dtype="str")
    assert list(rules._text_order(ids)) == [1, 2, 0] and calls == []
    mixed = pd.Index(["S30", "S1", "S200"], dtype="str")
    assert list(rules._text_order(mixed)) == [1, 2, 0] and calls == [1]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 16),
    st.integers(0, 8),
    st.lists(st.integers(0, 10**8 - 1), min_size=2, max_size=50, unique=True),
)
def test_ids_sharing_a_long_prefix(prefix_len, digits, numbers):
    """Sequential ids ("SELLER-000123"): the first eight bytes tie, so the order rests on the second word."""
    prefix = "SELLER-000000000"[:prefix_len]
    values = list(dict.fromkeys(f"{prefix}{n % 10**digits:0{digits}d}" for n in numbers))
    if len(values) < 2:
        return
    cats = pd.Index(values, dtype="str")
    assert list(rules._text_order(cats)) == list(pd.Index(values, dtype=object).argsort(kind="stable"))


def test_categories_joined_from_parts_keep_their_chunks_and_still_sort():
    """``union_categoricals`` of string categoricals (the spilled order rows, one per partition) gives categories
    backed by an Arrow array of several chunks; both paths (one length, mixed lengths) sort them."""
    from pandas.api.types import union_categoricals

    for parts in (["S0000300", "S0000010"], ["S0000200"]), (["S30", "S1"], ["S200", "S4"]):
        joined = union_categoricals([pd.Categorical(p, categories=pd.Index(p, dtype="str")) for p in parts])
        cats = joined.categories
        values = [v for p in parts for v in p]
        assert list(cats) == values
        assert list(rules._text_order(cats)) == list(pd.Index(values, dtype=object).argsort(kind="stable"))
