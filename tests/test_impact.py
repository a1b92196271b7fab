"""Impact tables, premium burden and the observed size band, on small hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seller_insurance.analysis import impact, sensitivity
from seller_insurance.data import run_data as datasets

NaT = pd.NaT


def _comparison() -> pd.DataFrame:
    m = pd.Timestamp
    return pd.DataFrame(
        {
            "seller_id": ["a", "b", "c", "d", "e", "f"],
            "marketplace": ["US"] * 5 + ["UK"],
            "old_trigger": [m("2020-03-01"), NaT, m("2022-03-01"), m("2022-12-01"), NaT, NaT],
            "new_trigger": [
                m("2020-01-01"),
                m("2021-12-01"),
                m("2022-01-01"),
                m("2022-10-01"),
                NaT,
                m("2022-11-01"),
            ],
            "status": [
                "already_required",
                "newly_affected",
                "accelerated",
                "accelerated",
                "unaffected",
                "newly_affected",
            ],
            "lead_months": pd.array([2, pd.NA, 2, 2, pd.NA, pd.NA], dtype="Int64"),
        }
    )


def test_impact_table_overall_counts_and_shares():
    t = impact.impact_table(_comparison()).iloc[0]
    # population excludes the one already-required seller: 5
    assert t["population"] == 5 and t["already_required"] == 1
    assert t["newly_affected"] == 2 and t["accelerated"] == 2 and t["unaffected"] == 1
    assert t["newly_affected_share"] == pytest.approx(2 / 5)
    assert t["changed_share"] == pytest.approx(4 / 5)
    assert t["median_lead_months"] == 2.0


def test_impact_table_by_marketplace():
    t = impact.impact_table(_comparison(), by="marketplace").set_index("marketplace")
    assert t.loc["UK", "population"] == 1 and t.loc["UK", "newly_affected_share"] == 1.0
    assert np.isnan(t.loc["UK", "median_lead_months"])
    assert t.loc["US", "population"] == 4


def test_impact_table_group_from_sellers_needs_sellers():
    with pytest.raises(ValueError, match="sellers"):
        impact.impact_table(_comparison(), by="category")
    sellers = pd.DataFrame(
        {
            "seller_id": list("abcdef"),
            "marketplace": ["US"] * 5 + ["UK"],
            "category": ["toys", "toys", "books", "books", "books", "toys"],
        }
    )
    t = impact.impact_table(_comparison(), by="category", sellers=sellers).set_index("category")
    assert t.loc["toys", "newly_affected"] == 2 and t.loc["books", "accelerated"] == 2


def test_trigger_month_profile_counts_changed_sellers_only():
    p = impact.trigger_month_profile(_comparison())
    # changed sellers' new triggers: Dec 2021, Jan 2022, Oct 2022, Nov 2022
    assert p.set_index("month_name")["sellers"].to_dict() == {
        "Jan": 1,
        "Feb": 0,
        "Mar": 0,
        "Apr": 0,
        "May": 0,
        "Jun": 0,
        "Jul": 0,
        "Aug": 0,
        "Sep": 0,
        "Oct": 1,
        "Nov": 1,
        "Dec": 1,
    }
    assert p["share"].sum() == pytest.approx(1.0)


def test_lead_distribution():
    assert impact.lead_distribution(_comparison()).to_dict("records") == [
        {"lead_months": 1, "sellers": 0},
        {"lead_months": 2, "sellers": 2},
    ]
    none = _comparison().assign(status="unaffected")
    assert impact.lead_distribution(none).empty


def test_premium_burden_uses_12_months_ending_at_trigger_in_usd():
    comp = _comparison()
    sales = pd.DataFrame(
        {
            "seller_id": ["b", "b", "b", "f"],
            "marketplace": ["US", "US", "US", "UK"],
            # b triggers 2021-12: 2020-12 is outside its 12-month window (2021-01..2021-12), 2022-01 after it
            "month": pd.to_datetime(["2020-12-01", "2021-06-01", "2021-12-01", "2022-11-01"]),
            "gross_sales": [99_999.0, 5_000.0, 20_000.0, 10_000.0],
        }
    )
    b = impact.premium_burden(comp, sales, annual_premium_usd=1_000.0).set_index("seller_id")
    assert b.loc["b", "sales_usd_12m"] == 25_000.0
    assert b.loc["b", "premium_share"] == pytest.approx(0.04)
    # f's history starts in its trigger month: one month available, annualised x12 (GBP at 0.727 per USD)
    assert b.loc["f", "sales_usd_12m"] == pytest.approx(12 * 10_000 / 0.727)


def test_trailing_sales_annualise_a_history_that_starts_inside_the_window():
    at = pd.DataFrame(
        {"seller_id": ["y"], "marketplace": ["US"], "new_trigger": [pd.Timestamp("2019-03-01")]}
    )
    sales = pd.DataFrame(
        {
            "seller_id": ["y", "y"],
            "marketplace": ["US", "US"],
            "month": pd.to_datetime(["2019-01-01", "2019-03-01"]),
            "gross_sales": [3_000.0, 12_000.0],
        }
    )
    # window 2018-04..2019-03, history from 2019-01: 3 months available, 15,000 -> 60,000 a year
    assert impact.trailing_sales_usd(sales, at).iloc[0] == pytest.approx(60_000.0)


def test_observed_size_band_counts_missing_months_as_zero():
    sales = pd.DataFrame(
        {
            "seller_id": ["x", "x", "y"],
            "marketplace": ["US", "US", "US"],
            "month": pd.to_datetime(["2021-01-01", "2021-12-01", "2021-12-01"]),
            "gross_sales": [6_000.0, 6_000.0, 1_000.0],
        }
    )
    sellers = pd.DataFrame(
        {
            "seller_id": ["x", "y"],
            "marketplace": ["US", "US"],
            "launch_month": pd.to_datetime(["2021-01-01", "2021-07-01"]),
        }
    )
    b = datasets.observed_size_band(sales, sellers).set_index("seller_id")
    # x: 12,000 over 12 live months -> 12,000 a year; y: 1,000 over 6 live months (Jul-Dec) -> 2,000 a year
    assert b.loc["x", "annual_sales_usd"] == 12_000.0 and b.loc["x", "size_band"] == "$10k-$100k"
    assert b.loc["y", "annual_sales_usd"] == 2_000.0 and b.loc["y", "size_band"] == "<$10k"


def test_scaled_thresholds_keep_site_ratios():
    t = sensitivity.scaled_thresholds(15_000)
    assert t["US"] == 15_000 and t["UK"] == 6_000 and t["JP"] == 1_500_000
