"""Calibration: the helpers on hand-made tables, then a regenerated population against every target."""

from __future__ import annotations

import pandas as pd
import pytest
from hand_data import sales_frame

from seller_insurance.data.synthetic import GeneratorParams, generate
from seller_insurance.data.synthetic.calibration import (
    annual_sales_usd,
    calibration_table,
    month_of_year_shares,
    single_month_only_share,
)

P = GeneratorParams(start_month="2020-01", n_months=24, calibration_window_end="2020-12")
UK_FX = dict(P.fx_per_usd)["UK"]


def test_annual_sales_counts_only_sellers_active_all_window_and_converts_currency():
    sellers = pd.DataFrame(
        {
            "seller_id": ["A", "B", "C", "D"],
            "launch_month": pd.to_datetime(["2019-05-01", "2020-01-01", "2020-03-01", "2019-01-01"]),
            "churn_month": pd.to_datetime([None, None, None, "2020-10-01"]),
        }
    )
    ms = sales_frame(
        [
            ("A", "US", "2020-01-01", 1_000.0),
            ("A", "US", "2020-12-01", 500.0),
            ("A", "US", "2021-01-01", 9e9),
            ("B", "UK", "2020-06-01", 727.0),
            ("C", "US", "2020-04-01", 50.0),  # launched inside the window: not counted
            ("D", "US", "2020-02-01", 70.0),  # churned inside the window: not counted
        ]
    )
    got = annual_sales_usd(sellers, ms, P)
    assert got.to_dict() == pytest.approx({"A": 1_500.0, "B": 727.0 / UK_FX})


def test_month_of_year_shares_use_complete_years_in_usd():
    ms = sales_frame(
        [
            ("A", "US", "2020-12-01", 300.0),
            ("A", "US", "2021-07-01", 100.0),
            ("B", "UK", "2020-07-01", 100.0 * UK_FX),
        ]
    )
    shares = month_of_year_shares(ms, P)
    assert (
        shares[12] == pytest.approx(0.6)
        and shares[7] == pytest.approx(0.4)
        and shares.sum() == pytest.approx(1)
    )


def test_single_month_only_share_uses_calendar_months_and_strict_threshold():
    ms = sales_frame(
        [
            ("A", "US", "2020-01-01", 10_001),
            ("A", "US", "2020-02-01", 10_001),
            ("A", "US", "2020-03-01", 10_001),
            ("B", "US", "2020-01-01", 10_001),
            ("B", "US", "2020-02-01", 10_001),
            ("B", "US", "2020-04-01", 10_001),
            ("C", "US", "2020-12-01", 20_000),
            ("D", "US", "2020-01-01", 10_000),  # exactly the threshold does not exceed it
            ("E", "UK", "2020-01-01", 90_000),  # another site
        ]
    )
    any_over, only_single = single_month_only_share(ms)
    assert any_over == pytest.approx(3 / 4)  # A, B, C of the four US sellers
    assert only_single == pytest.approx(2 / 3)  # B (the gap in March breaks the run) and C


def test_table_flags_a_miss():
    """A population generated with other targets fails the default table's checks."""
    p = GeneratorParams(n_sellers=5_000, n_months=36, start_month="2019-01", rejected_share=0.3)
    ds = generate(p)
    table = calibration_table(ds, GeneratorParams(n_sellers=5_000, n_months=36, start_month="2019-01"))
    assert not table.set_index("metric").loc["rejected claims (share)", "ok"]


@pytest.mark.slow
def test_regenerated_population_meets_every_target():
    """50,000 sellers x 60 months at the default parameters: every calibration figure within its tolerance."""
    p = GeneratorParams(n_sellers=50_000)
    table = calibration_table(generate(p), p)
    assert len(table) >= 10
    failed = table.loc[~table["ok"], ["metric", "target", "generated", "tolerance"]]
    assert failed.empty, failed.to_string()
    by = table.set_index("metric")["generated"]
    assert by["claims <= $1,000 (share)"] > 0.80  # Amazon: "more than 80%"
