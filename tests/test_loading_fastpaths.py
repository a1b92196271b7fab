"""Fast paths of the claims loader's parsers, each against the general path it replaces.

- ``parse_days`` of a ``date32`` column (copied as days) against the datetime64 route, nulls and chunks included;
- ``parse_enum`` of a dictionary column (a gather per chunk from each dictionary's table) against the same values
  as plain text, for any mix of chunks, shared dictionaries, nulls and unknown values (hypothesis);
- dictionary text decoded with its values trimmed against decoding first and trimming every row;
- empty text found from the offsets (``stream._empty_text``) against a Python reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seller_insurance.data.loading import parsing, tables
from seller_insurance.policy import CLAIM_STATUSES, CLAIM_TYPES


def test_parse_days_of_date32_matches_the_datetime_route():
    a = pa.array(["2021-01-05", None, "1969-12-31", "2199-12-31", "1900-01-01"]).cast(pa.date32())
    for arr in (a, pa.chunked_array([a, a.slice(1, 2), a.slice(0, 0)]), pa.chunked_array([], pa.date32())):
        got = parsing.parse_days(arr)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, parsing._parse_temporal(arr, "D", parsing.day_of_text))


_VALUES = st.sampled_from(["valid", "Valid ", "PENDING", "rejected", "x", "", None, "property damage"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_VALUES, max_size=8), min_size=1, max_size=5), st.booleans())
def test_parse_enum_of_dictionary_chunks_matches_plain_text(chunks, share):
    plain = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], type=pa.string())
    if share:  # batches of one row group carry one dictionary object
        enc = pc.dictionary_encode(plain)
    else:
        enc = pa.chunked_array([pc.dictionary_encode(pa.array(c, pa.string())) for c in chunks])
    for allowed in (CLAIM_STATUSES, CLAIM_TYPES):
        expected = parsing.parse_enum(plain, allowed)
        np.testing.assert_array_equal(parsing.parse_enum(enc, allowed), expected)
        got8 = parsing.parse_enum(enc, allowed, dtype=np.int8)
        assert got8.dtype == np.int8
        np.testing.assert_array_equal(got8, expected)
    if enc.num_chunks == 1:
        got = parsing.parse_enum(enc.chunk(0), CLAIM_STATUSES)
        np.testing.assert_array_equal(got, parsing.parse_enum(plain, CLAIM_STATUSES))


def test_dictionary_text_is_trimmed_per_value_then_decoded():
    d1 = pc.dictionary_encode(pa.array([" a", "b ", None, " a", ""]))
    d2 = pc.dictionary_encode(pa.array(["c", None]))
    col = pa.chunked_array([d1, d1.slice(1, 2), d2])
    got = tables._text_values(col, len(col))
    plain = pa.chunked_array([c.dictionary_decode() for c in col.chunks])
    expected = pc.fill_null(pc.utf8_trim_whitespace(plain), "").to_pylist()
    assert list(got) == expected == ["a", "b", "", "a", "", "b", "", "c", ""]
    assert str(got.dtype) == "str"


_EDGE_TEXT = st.text(
    alphabet=st.sampled_from(list("aZ09 \t\n\r\x0b\x0c\x1c\u00a0\u2003\u3000\u0085éß-")), max_size=6
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), _EDGE_TEXT), max_size=12), st.integers(0, 3))
def test_text_values_skip_the_trim_only_when_it_changes_nothing(values, cut):
    """Plain text: the trimmed copy is skipped when no value starts or ends with whitespace (any Unicode kind);
    the result always equals trimming every value, for whole and sliced chunks."""
    arr = pa.array(values, pa.string())
    for col in (
        pa.chunked_array([arr, arr.slice(min(cut, len(arr)))], type=pa.string()),
        arr.slice(cut // 2),
    ):
        got = tables._text_values(col, len(col))
        expected = pc.fill_null(pc.utf8_trim_whitespace(col), "").to_pylist()
        assert list(got) == expected
        if not tables.may_need_trim(col):
            assert pc.fill_null(col, "").to_pylist() == expected


def test_ids_without_edge_whitespace_are_not_trimmed():
    ids = pa.array(["C1", "S22", "", None, "x y"], pa.string())
    assert not tables.may_need_trim(ids)
    assert tables.may_need_trim(pa.array(["C1", "S22 "]))
    assert tables.may_need_trim(pa.array(["\u00a0C1"]))
    assert tables.may_need_trim(pa.array(["Café"]))  # a non-ASCII last byte: checked by the real trim


def test_load_claims_columns_builds_a_cut_of_the_same_frame(tmp_path):
    """``columns=``: the frame is the full one cut to the names asked (unknown names ignored); the rows accepted,
    the rejects and the counts are the same (every column is still checked and compared for duplicates)."""
    from seller_insurance.data.loading import load_claims

    text = (
        "claim_id,seller_id,marketplace,filed_date,claim_type,amount,status,category\n"
        "C1,s1,US,2021-09-15,property_damage,950,valid,toys\n"
        "C2,s1,XX,2021-09-15,property_damage,950,valid,toys\n"
        "C3,s2,UK,2021-10-01,personal_injury,20,pending, books \n"
        "C3,s2,UK,2021-10-01,personal_injury,20,pending,garden\n"
        "C4,s2,US,2021-10-02,property_damage,5,valid,toys\n"
        "C4,s2,US,2021-10-02,property_damage,5.00,valid,toys\n"
        "C5,s3,US,2021-10-03,fire,5,valid,toys\n"
    )
    p = tmp_path / "claims.csv"
    p.write_text(text, encoding="utf-8")
    full = load_claims(p)
    for asked in (["amount", "filed_date", "status"], ["category", "nope"], [], ["marketplace", "claim_id"]):
        cut = load_claims(p, columns=asked)
        kept = [c for c in full.frame.columns if c in asked]
        assert list(cut.frame.columns) == kept
        if kept:
            pd.testing.assert_frame_equal(cut.frame, full.frame[kept])
        assert cut.frame.shape == (len(full.frame), len(kept))
        pd.testing.assert_frame_equal(cut.rejects, full.rejects)
        assert (cut.rows_read, cut.rows_accepted, cut.counts) == (
            full.rows_read,
            full.rows_accepted,
            full.counts,
        )
    assert full.rows_accepted == 2 and len(full.frame) == 2


def test_deferred_text_converts_only_what_is_taken():
    """A user's text column is held as read: converting the rows taken equals taking the converted rows, for plain
    and dictionary chunks; batches of different Arrow types are converted before they are joined."""
    plain = pa.array([" a", None, "b ", "", "\u00a0c", "d"], pa.string())
    dictionary = pc.dictionary_encode(plain)
    idx = np.array([5, 0, 2, 2, 1], dtype=np.int64)
    for col in (plain, dictionary, pa.chunked_array([plain.slice(0, 3), plain.slice(3)])):
        deferred = tables._DeferredText(col)
        full = tables._text_values(pa.chunked_array([col]) if isinstance(col, pa.Array) else col, len(col))
        assert len(deferred) == len(col)
        assert list(deferred.take(idx).values()) == list(full.take(idx))
        assert list(tables._materialised(deferred)) == list(full)
    same = tables._concat([tables._DeferredText(plain), tables._DeferredText(plain.slice(2))])
    assert isinstance(same, tables._DeferredText) and len(same) == 10
    mixed = tables._concat([tables._DeferredText(plain), tables._DeferredText(dictionary)])
    expected = tables._text_values(pa.chunked_array([plain]), 6)
    assert list(mixed) == list(expected) * 2


def test_ids_stay_arrow_until_the_frame_asks():
    """Claim and seller ids are trimmed as read and kept as Arrow: empty checks, hashing and taking rows work on
    them; the pandas array is made only for the frame, equal to the direct conversion."""
    raw = pa.chunked_array([pa.array([" C1", None, "C2", "  "]), pa.array(["C3\t"])])
    ids = tables._DeferredText(tables._trimmed_text(raw), trimmed=True)
    np.testing.assert_array_equal(ids.empty(), [False, True, False, True, False])
    assert list(ids.values()) == list(tables._text_values(raw, 5)) == ["C1", "", "C2", "", "C3"]
    assert list(ids.take(np.array([4, 0])).values()) == ["C3", "C1"]
    assert tables._arrow(ids) is ids.col
    codes = tables._key_codes({"claim_id": ids}, ["claim_id"], 5)
    assert codes[1] == codes[3] and len(set(codes.tolist())) == 4


def test_users_low_cardinality_text_is_read_as_dictionary_with_the_same_result(tmp_path, monkeypatch):
    """Parquet: a user's column with small per-row-group dictionaries is read as a dictionary, an id-like one
    (dictionary overflowing into plain pages) and a number are not; the frame and rejects equal a plain read."""
    import pyarrow.parquet as pq

    from seller_insurance.data.loading import load_claims

    n = 3000
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "claim_id": [f"C{i}" for i in range(n)],
            "seller_id": [f"S{i % 97}" for i in range(n)],
            "filed_date": pa.array(rng.integers(18_000, 19_000, n), pa.int32()).cast(pa.date32()),
            "claim_type": ["property_damage"] * n,
            "amount": np.where(np.arange(n) % 50 == 0, -1.0, 10.0),
            "status": ["valid"] * n,
            "category": rng.choice([" toys", "books ", "garden"], n).tolist(),
            "note": [f"free text {i} {i * 7919 % 1013}" for i in range(n)],
            "score": rng.integers(0, 5, n),
        }
    )
    path = tmp_path / "claims.parquet"
    pq.write_table(table, path, row_group_size=1000, dictionary_pagesize_limit=4096)
    assert tables._dictionary_pages_only([path], ["category", "note", "score"]) == ["category"]
    fast = load_claims(path)
    monkeypatch.setattr(tables, "_dictionary_pages_only", lambda files, columns: [])
    plain = load_claims(path)
    pd.testing.assert_frame_equal(fast.frame, plain.frame)
    pd.testing.assert_frame_equal(fast.rejects, plain.rejects)
    assert set(fast.frame["category"]) == {"toys", "books", "garden"} and len(fast.rejects) == n // 50


@pytest.mark.parametrize("kind", ["string", "large", "dictionary", "sliced"])
def test_empty_text_from_the_offsets_is_empty_or_null_per_row(kind):
    """``stream._empty_text`` against a Python reference: empty or null, never a value of spaces or of 'é'."""
    from seller_insurance.data.loading import stream

    values = ["a", "", None, " ", "é", "", "bc", None]
    typ = pa.large_string() if kind == "large" else pa.string()
    arr = pa.array(values, typ)
    if kind == "dictionary":
        arr = arr.dictionary_encode()
    if kind == "sliced":
        arr, values = arr.slice(1, 5), values[1:6]
    col = pa.chunked_array([arr, pa.array([], arr.type), arr])
    expected = [v is None or v == "" for v in values] * 2
    assert stream._empty_text(col).tolist() == expected
    null_only = pa.chunked_array([pa.array([None, None], pa.string()).dictionary_encode()])
    assert stream._empty_text(null_only).tolist() == [True, True]
