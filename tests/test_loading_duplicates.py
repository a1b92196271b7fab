"""The duplicate-key check of the claims and sellers loaders, narrowed by a 64-bit hash of the key (large tables).

From ``stream.HASHED_KEYS_FROM`` rows the loader finds the rows whose key may repeat by sorting DuckDB hashes and
compares only those rows' keys exactly. These tests force that path on small data with planted duplicates (exact
copies, conflicting rows, repeats among rejected rows, ids differing only by spaces) and check it against:

- the exact path (every key encoded, the path small tables take): the same frame, the same rejects;
- a plain-Python reference of the documented rule (copies keep the first row, disagreeing rows are all rejected);
- every key hashing to the same value (all rows collide): still the same answer, the exact comparison decides.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seller_insurance.data.loading import load_claims, load_sellers, stream

HEADER = ["claim_id", "seller_id", "filed_date", "claim_type", "amount", "status", "category"]
ROWS = [
    ("C1", "s1", "2021-09-15", "property_damage", "950.00", "valid", "toys"),
    ("C2", "s1", "2021-09-16", "property_damage", "10", "valid", "toys"),
    ("C1", "s1", "2021-09-15", "property_damage", "$950", "valid", "toys"),  # copy of line 2 once parsed
    ("C3", "s2", "2021-10-01", "personal_injury", "20", "pending", "books"),
    ("C3", "s2", "2021-10-01", "personal_injury", "21", "pending", "books"),  # C3 disagrees: both rejected
    (" C2 ", "s1", "2021-09-16", "property_damage", "10", "valid", "toys"),  # C2 trimmed: a copy
    ("C4", "s3", "2021-10-02", "property_damage", "-1", "valid", "toys"),  # rejected: amount
    ("C4", "s3", "2021-10-02", "property_damage", "5", "valid", "toys"),  # the only usable C4
    ("C5", "s3", "2021-10-03", "property_damage", "5", "valid", "toys"),
    ("C5", "s3", "2021-10-03", "property_damage", "5", "valid", "garden"),  # differs in a user column
    ("C1", "s1", "2021-09-15", "property_damage", "950", "valid", "toys"),  # a second copy of line 2
    ("", "s4", "2021-10-03", "property_damage", "5", "valid", "toys"),  # rejected: no id
    ("", "s4", "2021-10-03", "property_damage", "5", "valid", "toys"),  # rejected: no id
]


def _csv(rows, header=HEADER) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _reasons(result) -> list[tuple[int, str]]:
    r = result.rejects
    return sorted(zip(r["source_line"].astype(int), r["reason"].str.split(":").str[0], strict=True))


def _load_both(monkeypatch, loader, path):
    """(exact path, hashed path) results of ``loader(path)``."""
    monkeypatch.setattr(stream, "HASHED_KEYS_FROM", 1 << 62)
    exact = loader(path)
    monkeypatch.setattr(stream, "HASHED_KEYS_FROM", 0)
    hashed = loader(path)
    return exact, hashed


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.rejects, b.rejects)
    assert (a.rows_read, a.rows_accepted, a.counts) == (b.rows_read, b.rows_accepted, b.counts)


def test_hashed_duplicate_check_matches_the_exact_one_and_the_rule(tmp_path, monkeypatch):
    p = tmp_path / "claims.csv"
    p.write_text(_csv(ROWS), encoding="utf-8")
    exact, hashed = _load_both(monkeypatch, load_claims, p)
    _same(exact, hashed)
    assert hashed.frame["claim_id"].tolist() == ["C1", "C2", "C4"]
    assert _reasons(hashed) == [
        (4, "duplicate_copy"),
        (5, "conflicting_duplicate"),
        (6, "conflicting_duplicate"),
        (7, "duplicate_copy"),
        (8, "non_positive_amount"),
        (10, "conflicting_duplicate"),
        (11, "conflicting_duplicate"),
        (12, "duplicate_copy"),
        (13, "missing_claim_id"),
        (14, "missing_claim_id"),
    ]
    assert (
        hashed.rejects["reason"][hashed.rejects["source_line"] == 12]
        .item()
        .endswith("line 2; that row is kept")
    )
    assert hashed.rows_accepted + len(hashed.rejects) == hashed.rows_read == len(ROWS)


def test_hash_collisions_are_settled_by_the_exact_keys(tmp_path, monkeypatch):
    """Every key hashing alike (the worst collision case) changes nothing: the candidates are compared exactly."""
    p = tmp_path / "claims.csv"
    p.write_text(_csv(ROWS), encoding="utf-8")
    exact, _ = _load_both(monkeypatch, load_claims, p)
    monkeypatch.setattr(stream, "key_hashes", lambda columns: np.zeros(len(columns[0]), np.uint64))
    _same(exact, load_claims(p))


def test_no_repeated_key_means_no_candidate(monkeypatch):
    monkeypatch.setattr(stream, "HASHED_KEYS_FROM", 0)
    ids = pd.array([f"C{i}" for i in range(1000)], dtype="str")
    ok = np.ones(1000, dtype=bool)
    assert len(stream.repeated_key_rows([pa.array(ids)], ok)) == 0
    ids = pd.array([f"C{i % 700}" for i in range(1000)], dtype="str")
    ok[::2] = False
    got = stream.repeated_key_rows([pa.array(ids)], ok)
    key = np.arange(1000) % 700
    ok_keys = pd.Series(key[ok])
    expected = np.flatnonzero(ok)[ok_keys.duplicated(keep=False).to_numpy()]
    assert set(expected) <= set(got) and ok[got].all()


def test_sellers_key_of_two_columns_on_parquet(tmp_path, monkeypatch):
    """Sellers: the key is seller_id and marketplace (text and a site code hashed together)."""
    df = pd.DataFrame(
        {
            "seller_id": ["a", "a", "a", "b", "b", "c", "a"],
            "marketplace": ["US", "UK", "US", "US", "US", "US", "gb"],
            "category": ["toys", "toys", "toys", "books", "games", "toys", "toys"],
            "launch_month": ["2021-01"] * 7,
        }
    )
    p = tmp_path / "sellers.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), p, row_group_size=3)
    exact, hashed = _load_both(monkeypatch, load_sellers, p)
    _same(exact, hashed)
    assert list(zip(hashed.frame["seller_id"], hashed.frame["marketplace"], strict=True)) == [
        ("a", "US"),
        ("a", "UK"),
        ("c", "US"),
    ]
    assert _reasons(hashed) == [
        (3, "duplicate_copy"),
        (4, "conflicting_duplicate"),
        (5, "conflicting_duplicate"),
        (7, "duplicate_copy"),
    ]


def _reference(rows) -> tuple[list[str], int]:
    """Plain-Python rule on generated rows (all fields valid but the id): accepted ids in order, rejects."""
    usable = [(i, r) for i, r in enumerate(rows) if r[0].strip()]
    by_id: dict[str, list] = {}
    for i, r in usable:
        by_id.setdefault(r[0].strip(), []).append((i, (r[0].strip(), *r[1:])))
    kept = set()
    for group in by_id.values():
        if len({v for _, v in group}) == 1:
            kept.add(group[0][0])
    accepted = [rows[i][0].strip() for i in sorted(kept)]
    return accepted, len(rows) - len(accepted)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", " C1", "C3 ", "", "c1"]),
            st.sampled_from(["s1", "s2"]),
            st.just("2021-09-15"),
            st.just("property_damage"),
            st.sampled_from(["1", "2"]),
            st.just("valid"),
            st.sampled_from(["x", "y"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_hashed_duplicate_check_property(tmp_path, monkeypatch, rows):
    p = tmp_path / "claims.csv"
    p.write_text(_csv(rows), encoding="utf-8")
    exact, hashed = _load_both(monkeypatch, load_claims, p)
    _same(exact, hashed)
    accepted, n_rejected = _reference(rows)
    assert hashed.frame["claim_id"].tolist() == accepted
    assert len(hashed.rejects) == n_rejected


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_inputs(tmp_path, monkeypatch, n):
    p = tmp_path / "claims.csv"
    p.write_text(_csv(ROWS[:n]), encoding="utf-8")
    exact, hashed = _load_both(monkeypatch, load_claims, p)
    _same(exact, hashed)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=60), small=st.booleans())
def test_sort_on_two_threads_is_a_sort(values, small):
    """The selection then two half sorts give numpy's sort, also with many values equal to the pivot."""
    a = np.array(values, dtype=np.uint64)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stream, "_TWO_THREAD_SORT_FROM", 0 if small else 1 << 17)
        stream.sort_on_two_threads(a)
    np.testing.assert_array_equal(a, np.sort(np.array(values, dtype=np.uint64)))
