"""Rows in any order: the loader's counting sort and read-order mode, and the rule engine without a full sort.

The loader finds unique keys and their order through a table of cells (``sales._dense_order``) and falls back to a
comparison sort when keys repeat or the table would be sparse; ``rules._prepare`` likewise. Each result here is
compared with an independent pandas sort of the same rows, or with the same frame in sorted order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seller_insurance.analysis import rules
from seller_insurance.data.loading import load_monthly_sales
from seller_insurance.data.loading import sales as sales_loading
from seller_insurance.policy import KNOWN_MARKETPLACES


def _rows(n_sellers: int, months: list[str], sites=("US", "UK", "DE"), seed: int = 0) -> pd.DataFrame:
    """Each seller on one or two sites, in a random subset of ``months``; shuffled; no repeated key."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_sellers):
        for site in rng.choice(sites, size=rng.integers(1, 3), replace=False):
            for m in months:
                if rng.random() < 0.7:
                    out.append((f"S{s:04d}", site, m, round(float(rng.lognormal(8.5, 1.0)), 2)))
    frame = pd.DataFrame(out, columns=["seller_id", "marketplace", "month", "gross_sales"])
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _write(frame: pd.DataFrame, path) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def _expected_sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Independent order: seller by first appearance, marketplace by policy order, month ascending."""
    first_seen = {s: k for k, s in enumerate(dict.fromkeys(frame.seller_id))}
    return (
        frame.assign(
            _s=frame.seller_id.map(first_seen),
            _m=frame.marketplace.map(KNOWN_MARKETPLACES.index),
            _t=pd.to_datetime(frame.month),
        )
        .sort_values(["_s", "_m", "_t"], kind="stable")
        .reset_index(drop=True)
    )


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seller_id": frame.seller_id.astype(str).to_numpy(),
            "marketplace": frame.marketplace.astype(str).to_numpy(),
            "month": pd.to_datetime(frame.month).dt.strftime("%Y-%m").to_numpy(),
            "gross_sales": frame.gross_sales.to_numpy(dtype=float),
        }
    )


@pytest.fixture(params=[None, 7], ids=["blocks of 1M rows", "blocks of 7 rows"])
def block_rows(request, monkeypatch):
    """The loader checks and orders the cells one block of rows at a time: with 7 rows a block, at every boundary."""
    if request.param is not None:
        monkeypatch.setattr(sales_loading, "_BLOCK_ROWS", request.param)
    return request.param


DENSE_MONTHS = [f"2021-{m:02d}" for m in range(1, 13)]
# Two months 20 years apart: a cell table of sellers x 240 months would be far larger than the rows (fallback).
SPARSE_MONTHS = ["2004-01", "2023-12"]


@pytest.mark.parametrize("months", [DENSE_MONTHS, SPARSE_MONTHS], ids=["dense", "sparse"])
def test_sorted_load_of_shuffled_rows_matches_an_independent_sort(tmp_path, months, block_rows):
    frame = _rows(400, months)
    _write(frame, tmp_path / "s.parquet")
    got = load_monthly_sales(tmp_path / "s.parquet").frame
    pd.testing.assert_frame_equal(_plain(got), _plain(_expected_sorted(frame)))


@pytest.mark.parametrize("months", [DENSE_MONTHS, SPARSE_MONTHS], ids=["dense", "sparse"])
def test_unsorted_load_keeps_the_read_order(tmp_path, months, block_rows):
    frame = _rows(400, months, seed=1)
    _write(frame, tmp_path / "s.parquet")
    got = load_monthly_sales(tmp_path / "s.parquet", sort=False)
    pd.testing.assert_frame_equal(_plain(got.frame), _plain(frame))
    assert got.rows_accepted == len(frame) and got.rejects.empty


def test_unsorted_load_with_a_repeated_key_rejects_it_as_the_sorted_load_does(tmp_path, block_rows):
    frame = _rows(50, DENSE_MONTHS, seed=2)
    copy = frame.iloc[[7]]
    clash = frame.iloc[[11]].assign(gross_sales=frame.gross_sales.iloc[11] + 1.0)
    data = pd.concat([frame, copy, clash], ignore_index=True)
    _write(data, tmp_path / "d.parquet")
    by_sort = {s: load_monthly_sales(tmp_path / "d.parquet", sort=s) for s in (True, False)}
    for got in by_sort.values():
        codes = sorted(r.split(":")[0] for r in got.rejects["reason"])
        assert codes == ["conflicting_duplicate"] * 2 + ["duplicate_copy"]
        assert sorted(got.rejects["source_line"]) == [12, len(frame) + 1, len(frame) + 2]
        assert got.rows_accepted == len(data) - 3
    key = ["seller_id", "marketplace", "month"]
    a = _plain(by_sort[True].frame).sort_values(key).reset_index(drop=True)
    b = _plain(by_sort[False].frame).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("months", [DENSE_MONTHS, SPARSE_MONTHS], ids=["dense", "sparse"])
@pytest.mark.parametrize("inclusive", [False, True])
def test_engine_gives_the_same_answer_on_rows_in_any_order(tmp_path, months, inclusive):
    frame = _rows(300, months, seed=3)
    _write(frame, tmp_path / "s.parquet")
    shuffled = load_monthly_sales(tmp_path / "s.parquet", sort=False).frame
    ordered = load_monthly_sales(tmp_path / "s.parquet").frame
    assert not shuffled.equals(ordered)  # the premise: two different row orders
    kw = dict(threshold={"US": 5_000.0, "UK": 4_000.0, "DE": 6_000.0}, inclusive=inclusive, end=months[-2])
    a = rules.compare_rules(shuffled, **kw)
    b = rules.compare_rules(ordered, **kw)
    pd.testing.assert_frame_equal(a, b)


def test_engine_reports_a_repeated_key_in_rows_in_any_order():
    frame = _rows(30, DENSE_MONTHS, seed=4)
    dup = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)
    with pytest.raises(ValueError, match="1 duplicated"):
        rules.compare_rules(dup)
