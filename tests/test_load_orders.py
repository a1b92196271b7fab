"""Order-level sales against a plain pandas reference: copies, item lines, blank ids, refunds, sparse months.

The loader sums orders per seller-marketplace-month over a cell table (``sales._month_cells``) and compares rows
only among repeated order ids found by hashing (``stream.repeated_key_rows``); the reference does it the obvious
way, row by row with pandas. Both duplicate paths are run: exact (small table) and hashed (threshold forced to 0);
and both ways of grouping rows into seller-months: a table of every possible cell (dense months) and a sort of the
cell keys (sparse months, with the table's slack set to 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seller_insurance.data.loading import load_monthly_sales, sales, stream


def _orders(seed: int, months: list[str], shape: str = "mixed") -> pd.DataFrame:
    """``mixed``: refunds, item lines, exact copies and blank ids; ``plain``: refunds only (every row usable);
    ``items``: refunds and item lines, no copy; ``bad_row``: refunds and one row with an unreadable date."""
    rng = np.random.default_rng(seed)
    n = 400
    frame = pd.DataFrame(
        {
            "seller_id": [f"S{k}" for k in rng.integers(0, 25, n)],
            "marketplace": rng.choice(["US", "UK", "DE"], n),
            "order_date": [f"{rng.choice(months)}-{d:02d}" for d in rng.integers(1, 29, n)],
            "amount": np.round(rng.lognormal(4, 1, n), 2),
            "order_id": [f"O{k}" for k in range(n)],
        }
    )
    frame.loc[rng.choice(n, 12, replace=False), "amount"] *= -3  # refunds (some months go negative)
    items = frame.iloc[[5, 6]].assign(amount=[1.25, 2.5])  # more item lines of orders O5 and O6
    if shape == "plain":
        return frame
    if shape == "items":
        return pd.concat([frame, items], ignore_index=True)
    if shape == "bad_row":
        return pd.concat([frame, frame.iloc[[3]].assign(order_date="2021-13-40")], ignore_index=True)
    copies = frame.iloc[[7, 8, 8]]  # exact copies
    blanks = frame.iloc[[9, 10]].assign(order_id=["", " "])  # blank order ids (one value for the rule)
    return pd.concat([frame, items, copies, blanks, blanks.iloc[[0]]], ignore_index=True)


def _reference(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Monthly totals and (line, reason) rejects computed directly with pandas."""
    df = frame.assign(line=np.arange(len(frame)) + 1, oid=frame.order_id.str.strip())
    bad_date = pd.to_datetime(df.order_date, format="%Y-%m-%d", errors="coerce").isna()
    rejects = [(int(x), "bad_order_date") for x in df.line[bad_date]]
    df = df[~bad_date]
    value_cols = ["seller_id", "marketplace", "order_date", "amount", "oid"]
    copy = df.duplicated(subset=value_cols, keep="first")
    rejects += [(int(x), "duplicate_copy") for x in df.line[copy]]
    df = df[~copy]
    df = df.assign(month=df.order_date.str[:7])
    g = df.groupby(["seller_id", "marketplace", "month"])
    totals = g.amount.sum().round(2)
    orders = g.oid.nunique()
    negative = totals[totals < 0].index
    bad = df.set_index(["seller_id", "marketplace", "month"]).index.isin(negative)
    rejects += [(int(x), "negative_monthly_total") for x in df.line[bad]]
    out = pd.DataFrame({"gross_sales": totals, "orders": orders}).drop(index=negative).reset_index()
    return out, sorted(rejects)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "seller_id": frame.seller_id.astype(str).to_numpy(),
            "marketplace": frame.marketplace.astype(str).to_numpy(),
            "month": pd.to_datetime(frame.month).dt.strftime("%Y-%m").to_numpy(),
            "gross_sales": frame.gross_sales.to_numpy(dtype=float),
            "orders": frame.orders.to_numpy(dtype=np.int64),
        }
    )
    return out.sort_values(["seller_id", "marketplace", "month"]).reset_index(drop=True)


@pytest.mark.parametrize("hashed", [False, True], ids=["exact", "hashed"])
@pytest.mark.parametrize(
    "months", [["2021-01", "2021-02", "2021-03"], ["2001-06", "2024-11"]], ids=["dense", "sparse"]
)
@pytest.mark.parametrize("shape", ["mixed", "plain", "items", "bad_row"])
@pytest.mark.parametrize("blocks", [False, True], ids=["one_block", "blocks_of_7"])
def test_orders_match_a_pandas_reference(tmp_path, monkeypatch, hashed, months, shape, blocks):
    """Every shape: the loader takes its path with every row usable (no row positions) or without; the cell keys
    are built in one block of rows or in blocks of 7 (a block boundary inside most seller-months)."""
    if hashed:
        monkeypatch.setattr(stream, "HASHED_KEYS_FROM", 0)
    if blocks:
        monkeypatch.setattr(sales, "_BLOCK_ROWS", 7)
    # sparse months: more possible cells (25 sellers x 3 sites x 282 months) than 4 per row, so with no slack the
    # keys are sorted instead of counted in a table
    monkeypatch.setattr(sales, "_CELL_TABLE_SLACK", 0)
    frame = _orders(seed=len(months), months=months, shape=shape)
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    got = load_monthly_sales(path)
    expected, expected_rejects = _reference(frame)
    pd.testing.assert_frame_equal(_plain(got.frame), _plain(expected.assign(month=expected.month + "-01")))
    reasons = sorted(
        zip(got.rejects.source_line.astype(int), got.rejects.reason.str.split(":").str[0], strict=True)
    )
    assert reasons == expected_rejects
    # the premise: negative months are there (and copies, or the bad row, where the shape has them)
    codes = {c for _, c in expected_rejects}
    assert "negative_monthly_total" in codes
    assert ("duplicate_copy" in codes) == (shape == "mixed") and ("bad_order_date" in codes) == (
        shape == "bad_row"
    )
    assert got.rows_accepted + len(got.rejects) == got.rows_read == len(frame)
