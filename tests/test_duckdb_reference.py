"""``seller-insurance claims`` and ``evaluate`` (order-level) against a second implementation: one DuckDB statement.

The statements are the benchmark's contract references (``benchmarks/bench_layouts.py``,
``duckdb_claims_contract_sql`` and ``duckdb_orders_contract_sql``): they validate rows and apply the duplicate
rules in SQL, written from docs/your-own-data.md, not from the loader's code. The benchmark's ratio against them is
only a like-for-like comparison if they compute what our commands compute; these tests check that, on a hand-made
claims file whose totals are also worked out by hand, and on random files with every kind of bad and repeated row.
They also check that the plain queries (no contract) give other numbers on such files, so the files do exercise
the contract.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from benchmark_modules import bench_layouts as bench

from seller_insurance.cli import main

duckdb = pytest.importorskip("duckdb")


COUNTS = ["n_claims", "n_under_cap"]
SUMS = ["amount_total", "amount_under_cap"]

# claim_id, seller_id, marketplace, filed_date, claim_type, amount, status, category; comment: what the loader does
HAND_ROWS = [
    ("C1", "S1", "US", "2021-01-15", "property_damage", 200.00, "valid", "Toys"),  # 2021Q1, under
    (
        " C1 ",
        "S1",
        "US",
        "2021-01-15",
        "Property Damage",
        200.00,
        "VALID",
        "Toys ",
    ),  # exact copy of C1 once parsed
    (
        "C2",
        "S2",
        "US",
        "2021-02-01",
        "personal_injury",
        1000.00,
        "valid",
        "Toys",
    ),  # 2021Q1, at the cap: under
    ("C3", "S3", "US", "2021-03-31", "property_damage", 1500.00, "valid", "Garden"),  # 2021Q1, over
    ("C4", "S4", "US", "2021-04-01", "property_damage", 300.00, "valid", "Garden"),  # conflicting: both out
    ("C4", "S4", "US", "2021-04-01", "property_damage", 310.00, "valid", "Garden"),
    ("C5", "S5", "CA", "2021-05-05", "personal_injury", 999.99, "valid", "Garden"),  # 2021Q2, under
    ("C5", "S5", "CA", "2021-05-05", "personal_injury", -1.00, "valid", "Garden"),  # bad amount: not a copy
    ("C6", "S6", "US", "2021-06-30", "property_damage", 4000.00, "valid", "Toys"),  # 2021Q2, over
    ("C7", "S7", "US", "2021-07-01", "property_damage", 50.00, "rejected", "Toys"),  # accepted, not counted
    ("C8", "S8", "US", "2021-08-01", "property_damage", 60.00, "pending", "Toys"),  # accepted, not counted
    ("C9", "S9", "US", "2021-09-01", "property_damage", 70.00, "valid", "Toys"),  # 2021Q3, under
    ("C10", "S9", "US", "2021-09-02", "theft", 80.00, "valid", "Toys"),  # bad_claim_type
    ("C11", "S9", "US", "2021-09-03", "property_damage", 90.00, "open", "Toys"),  # bad_status
    ("C12", "S9", "XX", "2021-09-04", "property_damage", 95.00, "valid", "Toys"),  # bad_marketplace
    ("C13", "S9", "US", None, "property_damage", 96.00, "valid", "Toys"),  # bad_date
    ("C14", "S9", "US", "2021-09-05", "property_damage", 0.00, "valid", "Toys"),  # non_positive_amount
    ("  ", "S9", "US", "2021-09-06", "property_damage", 97.00, "valid", "Toys"),  # missing_claim_id
    ("C15", None, "US", "2021-09-07", "property_damage", 98.00, "valid", "Toys"),  # missing_seller_id
    # C16: the same values but the category: conflicting, both out
    ("C16", "S1", "US", "2021-09-08", "property_damage", 500.00, "valid", "Toys"),
    ("C16", "S1", "US", "2021-09-08", "property_damage", 500.00, "valid", "Garden"),
]
# valid claims accepted, per quarter: (n_claims, n_under_cap, amount_total, amount_under_cap), worked out by hand
HAND_EXPECTED = {
    "2021Q1": (3, 2, 200.00 + 1000.00 + 1500.00, 200.00 + 1000.00),
    "2021Q2": (2, 1, 999.99 + 4000.00, 999.99),
    "2021Q3": (1, 1, 70.00, 70.00),
}


CLAIM_COLUMNS = [
    "claim_id",
    "seller_id",
    "marketplace",
    "filed_date",
    "claim_type",
    "amount",
    "status",
    "category",
]


def _write_typed(frame: pd.DataFrame, path: Path, date_column: str) -> Path:
    """Parquet as the benchmark's files type it: ``date_column`` ``date32``, ``amount`` ``double``, the rest text."""

    def typed(name: str) -> pa.Array:
        if name == date_column:
            return pa.array(pd.to_datetime(frame[name]).dt.date, pa.date32())
        if name == "amount":
            return pa.array(frame[name], pa.float64(), from_pandas=True)
        return pa.array(frame[name], pa.string())

    pq.write_table(pa.table({name: typed(name) for name in frame.columns}), path)
    return path


def _write(rows: list[tuple], path: Path) -> Path:
    return _write_typed(pd.DataFrame(rows, columns=CLAIM_COLUMNS), path, "filed_date")


def _execute(sql: str) -> None:
    """Run one DuckDB statement on a connection of its own."""
    con = duckdb.connect()
    try:
        con.execute(sql)
    finally:
        con.close()


def _ours(path: Path, tmp_path: Path) -> pd.DataFrame:
    out = tmp_path / "ours.csv"
    assert main(["claims", str(path), "--by", "filed_quarter", "--out", str(out)]) == 0
    got = pd.read_csv(out).set_index("filed_quarter")
    # quarters between the first and last filing with no valid claim are listed with zero claims; DuckDB's GROUP BY
    # has no row for them
    return got[got["n_claims"] > 0]


def _duckdb(sql_of, path: Path, tmp_path: Path) -> pd.DataFrame:
    out = tmp_path / "duckdb.csv"
    _execute(sql_of(path, out))
    return pd.read_csv(out).set_index("filed_quarter")


def _assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(ours.index) == list(theirs.index)
    assert (ours[COUNTS].to_numpy() == theirs[COUNTS].to_numpy()).all()
    np.testing.assert_allclose(ours[SUMS].to_numpy(), theirs[SUMS].to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["count_share"], theirs["count_share"], rtol=1e-12)
    np.testing.assert_allclose(ours["amount_share"], theirs["amount_share"], rtol=1e-9)


def test_hand_made_file_by_hand_and_by_duckdb(tmp_path):
    path = _write(HAND_ROWS, tmp_path / "claims.parquet")
    ours = _ours(path, tmp_path)
    by_hand = pd.DataFrame.from_dict(HAND_EXPECTED, orient="index", columns=COUNTS + SUMS)
    assert list(ours.index) == list(by_hand.index)
    assert (ours[COUNTS].to_numpy() == by_hand[COUNTS].to_numpy()).all()
    np.testing.assert_allclose(ours[SUMS].to_numpy(), by_hand[SUMS].to_numpy(), rtol=0, atol=1e-9)
    _assert_same(ours, _duckdb(bench.duckdb_claims_contract_sql, path, tmp_path))
    # the plain benchmark query counts the copy of C1 and both conflicting pairs: other numbers
    plain = _duckdb(bench.duckdb_claims_sql, path, tmp_path)
    assert plain["n_claims"].sum() != ours["n_claims"].sum()


def _random_rows(seed: int, n: int = 3000) -> list[tuple]:
    """Claims with ids drawn from a small pool (so ids repeat, as copies and as conflicts) and about one row in
    eight broken in one of the ways the contract names; amounts in cents, some exactly at the cap."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        claim = f"C{rng.integers(0, n * 3 // 4)}"
        seller = f"S{rng.integers(0, 200)}"
        day = (np.datetime64("2021-01-01") + int(rng.integers(0, 540))).astype(str)
        amount = 1000.0 if rng.random() < 0.05 else float(np.round(rng.lognormal(6.3, 1.2), 2))
        row = [
            claim,
            seller,
            str(rng.choice(["US", "CA", "UK"])),
            day,
            str(rng.choice(["property_damage", "personal_injury"])),
            amount,
            str(rng.choice(["valid", "valid", "rejected", "pending"])),
            f"cat{rng.integers(0, 4)}",
        ]
        if (
            rows and rng.random() < 0.15
        ):  # repeat an earlier row: an exact copy, respelled, or with one change
            row = list(rows[int(rng.integers(0, len(rows)))])
            kind = rng.integers(0, 3)
            if kind == 1:
                row[0], row[4], row[6] = (
                    f" {row[0]} ",
                    str(row[4]).upper().replace("_", " "),
                    str(row[6]).title(),
                )
            elif kind == 2:
                row[5] = round(float(row[5]) + 1.0, 2) if isinstance(row[5], float) else 5.0
        if rng.random() < 0.12:  # break one field
            field, value = [
                (0, ""),
                (1, None),
                (2, "XX"),
                (3, None),
                (4, "theft"),
                (5, 0.0),
                (5, -3.5),
                (6, "open"),
            ][int(rng.integers(0, 8))]
            row[field] = value
        rows.append(tuple(row))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_files_same_as_duckdb(seed, tmp_path):
    path = _write(_random_rows(seed), tmp_path / "claims.parquet")
    ours = _ours(path, tmp_path)
    _assert_same(ours, _duckdb(bench.duckdb_claims_contract_sql, path, tmp_path))
    plain = _duckdb(bench.duckdb_claims_sql, path, tmp_path)
    assert plain["n_claims"].sum() != ours["n_claims"].sum()


def _random_orders(seed: int, n_sellers: int = 40) -> pd.DataFrame:
    """Order rows of one site (US) around the US threshold (USD 10,000 a month): 2-8 orders of about USD 2,000 per
    seller in 6-12 random months of 2021 (so streaks break), with refunds, item lines (an order id again with
    another amount), exact copies (some with the id padded), blank ids, and about one row in ten broken. One seller
    is planted so that counting a copy twice crosses the threshold (the plain query's mistake)."""
    rng = np.random.default_rng(seed)
    rows, k = [], 0
    for s in range(n_sellers):
        for month in rng.choice(12, int(rng.integers(6, 13)), replace=False):
            for _ in range(int(rng.integers(2, 9))):
                day = f"2021-{month + 1:02d}-{int(rng.integers(1, 29)):02d}"
                amount = float(np.round(rng.lognormal(np.log(2000), 0.4), 2))
                if rng.random() < 0.05:
                    amount = -amount  # a refund
                rows.append([f"S{s}", "US", day, amount, f"O{k}"])
                k += 1
    n = len(rows)
    for i in rng.choice(n, n // 10, replace=False):  # copies, padded copies, item lines, blank ids
        row = list(rows[i])
        kind = int(rng.integers(0, 4))
        if kind == 1:
            row[4] = f"  {row[4]} "
        elif kind == 2:
            row[3] = float(np.round(row[3] / 3, 2))
        elif kind == 3:
            rows[i][4] = row[4] = ["", " ", None][int(rng.integers(0, 3))]
        rows.append(row)
    for i in rng.choice(len(rows), len(rows) // 10, replace=False):  # break one field
        field, value = [(0, ""), (0, None), (1, "XX"), (2, None), (3, None), (3, float("nan"))][
            int(rng.integers(0, 6))
        ]
        rows[i][field] = value
    rows += [  # 7,000 + 2,000 = 9,000 (under); the copy of the 2,000 order would make it 11,000
        ["SX", "US", "2021-03-05", 7000.0, "X1"],
        ["SX", "US", "2021-03-06", 2000.0, "X2"],
        ["SX", "US", "2021-03-06", 2000.0, "X2"],
        ["SN", "US", "2021-05-01", -50.0, "N1"],  # a seller whose only month is a refund: not in the output
    ]
    order = rng.permutation(len(rows))
    frame = pd.DataFrame(
        [rows[i] for i in order], columns=["seller_id", "marketplace", "order_date", "amount", "order_id"]
    )
    return frame


TRIGGERS = ["seller_id", "marketplace", "old_trigger", "new_trigger"]


def _triggers(csv: Path) -> pd.DataFrame:
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)[TRIGGERS]
    return frame.sort_values(TRIGGERS[:2]).reset_index(drop=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_order_level_evaluate_same_as_duckdb(seed, tmp_path):
    path = _write_typed(_random_orders(seed), tmp_path / "orders.parquet", "order_date")
    ours_csv = tmp_path / "ours.csv"
    assert main(["evaluate", str(path), "--out", str(ours_csv)]) == 0
    ours = _triggers(ours_csv)
    assert (ours["new_trigger"] != "").sum() > 10 and (ours["old_trigger"] != "").sum() > 3  # the premise

    theirs_csv = tmp_path / "duckdb.csv"
    plain_csv = tmp_path / "plain.csv"
    _execute(bench.duckdb_orders_contract_sql(path, theirs_csv))
    _execute(bench.duckdb_sql(path, plain_csv))  # the plain query (it sums a file named orders.* as orders)
    pd.testing.assert_frame_equal(ours, _triggers(theirs_csv))
    plain = _triggers(plain_csv)
    assert plain.loc[plain.seller_id == "SX", "new_trigger"].item() == "2021-03"
    assert ours.loc[ours.seller_id == "SX", "new_trigger"].item() == ""
    assert "SN" not in set(ours.seller_id) and "SN" in set(plain.seller_id)
