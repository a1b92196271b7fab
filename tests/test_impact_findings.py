"""Notebook 02's findings on hand-worked sellers (no papermill): every number worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hand_data import sales_frame

from seller_insurance import policy
from seller_insurance.analysis import impact

# US sellers, threshold USD 10,000 (sales must exceed it), new rule from 2021-09; data 2021-06 to 2022-02.
# A: 1,000 a month Jun-Sep, 12,000 in Oct, 500 in Nov -> newly required, first trigger Oct 2021.
# B: 11,000 Oct-Dec 2021 -> new trigger Oct, old trigger Dec: accelerated by 2 months.
# C: 20,000 Jun-Aug 2021 -> old trigger Aug 2021, before the start: already required.
# D: 5,000 in Oct 2021 -> never over: unaffected.
# E: 15,000 in Feb 2022 -> newly required, first trigger Feb 2022.
ROWS = [
    *[("A", "US", f"2021-{m:02d}", 1_000) for m in (6, 7, 8, 9)],
    ("A", "US", "2021-10", 12_000),
    ("A", "US", "2021-11", 500),
    *[("B", "US", f"2021-{m}", 11_000) for m in (10, 11, 12)],
    *[("C", "US", f"2021-{m:02d}", 20_000) for m in (6, 7, 8)],
    ("D", "US", "2021-10", 5_000),
    ("E", "US", "2022-02", 15_000),
]
SALES = sales_frame(ROWS)
SELLERS = pd.DataFrame(
    {
        "seller_id": ["A", "B", "C", "D", "E"],
        "marketplace": "US",
        "size_band": ["small", "small", "large", "mid", "small"],
        "category": ["toys", "toys", "home", "home", "home"],
    }
)
PREMIUM = 1_250.0
# A's 12 months to Oct 2021 start with its first row in Jun: 5 months, 4 x 1,000 + 12,000 = 16,000 -> x 12/5.
A_SALES_12M = 16_000 * 12 / 5
# E has one month of history: 15,000 x 12.
E_SALES_12M = 15_000 * 12


@pytest.fixture(scope="module")
def found():
    return impact.findings(
        SALES,
        SELLERS,
        None,
        start="2021-09",
        annual_premium_usd=PREMIUM,
        rule_names=("the single-month rule", "the three-month rule"),
    )


def test_overall_counts_each_status(found):
    o = found.overall
    assert not found.calendar_mode
    assert (o["population"], o["already_required"]) == (4, 1)  # A, B, D, E; C
    assert (o["newly_affected"], o["accelerated"], o["unaffected"]) == (2, 1, 1)
    assert o["newly_affected_share"] == pytest.approx(2 / 4)
    assert o["accelerated_share"] == pytest.approx(1 / 4)
    assert o["median_lead_months"] == 2
    assert found.events is None and found.event_totals is None and found.site_series == []
    assert found.event_sites("US, September 2021").empty


def test_groups_top_band_and_category_range(found):
    band = found.by_band.set_index("size_band")
    assert band.loc["small", "newly_affected"] == 2  # A and E
    assert band.loc["mid", "unaffected"] == 1 and band.loc["large", "already_required"] == 1
    assert found.top_band == "small"
    cat = found.by_category.set_index("category")
    assert cat.loc["toys", "changed_share"] == pytest.approx(2 / 2)  # A newly, B earlier
    assert cat.loc["home", "changed_share"] == pytest.approx(1 / 2)  # E of D and E (C already required)
    assert found.category_changed_range == pytest.approx((0.5, 1.0))
    assert found.by_marketplace.set_index("marketplace").loc["US", "population"] == 4


def test_trigger_month_profile_q4_and_peak(found):
    sellers = found.profile.set_index("month_name")["sellers"]
    assert sellers["Oct"] == 2 and sellers["Feb"] == 1 and sellers.sum() == 3  # A, B in Oct; E in Feb
    assert found.q4_share == pytest.approx(2 / 3)
    assert (found.peak_month, found.peak_sellers) == ("Oct", 2)


def test_required_over_time_last_month(found):
    assert found.last_month == pd.Timestamp("2022-02-01")
    assert len(found.over_time) == 9  # Jun 2021 .. Feb 2022, every month of the data
    # by Feb 2022: single-month rule A, B, C (Jun 2021), E; three-month rule B (Dec 2021), C (Aug 2021)
    assert (found.required_new_last, found.required_old_last) == (4, 2)


def test_leads_and_premium_burden(found):
    assert found.leads.to_dict(orient="list") == {"lead_months": [1, 2], "sellers": [0, 1]}
    shares = found.burden.set_index("seller_id")["premium_share"]
    assert shares["A"] == pytest.approx(PREMIUM / A_SALES_12M, rel=1e-6)
    assert shares["E"] == pytest.approx(PREMIUM / E_SALES_12M, rel=1e-6)
    assert found.median_burden == pytest.approx((PREMIUM / A_SALES_12M + PREMIUM / E_SALES_12M) / 2, rel=1e-6)
    assert found.burden_by_band["size_band"].tolist() == ["small"]


def test_metrics_wrap_the_numbers(found):
    m = found.metrics
    assert {
        k: m[k]["value"] for k in ("population", "already_required", "newly_affected", "accelerated")
    } == {
        "population": 4,
        "already_required": 1,
        "newly_affected": 2,
        "accelerated": 1,
    }
    assert m["newly_affected_share"]["value"] == pytest.approx(0.5)
    assert m["median_lead_months"]["value"] == 2
    assert m["q4_trigger_share"]["value"] == pytest.approx(2 / 3)
    assert (m["required_new_last"]["value"], m["required_old_last"]["value"]) == (4, 2)
    assert m["median_premium_share"]["value"] == pytest.approx(found.median_burden)
    assert m["newly_affected"]["label"] == "sellers newly required by the single-month rule"
    assert m["required_old_last"]["label"] == "sellers required, three-month rule"
    assert all(set(e) == {"value", "label", "format", "unit"} for e in m.values())


def test_nobody_accelerated():
    """Only A (newly required) and D (never over): no lead, no median lead."""
    sales = SALES[SALES["seller_id"].isin(["A", "D"])]
    f = impact.findings(sales, SELLERS, None, start="2021-09")
    assert (f.overall["newly_affected"], f.overall["accelerated"]) == (1, 0)
    assert math.isnan(f.overall["median_lead_months"])
    assert f.leads.empty
    assert f.metrics["median_lead_months"]["value"] is None
    assert f.q4_share == pytest.approx(1.0) and f.peak_month == "Oct"
    assert f.median_burden == pytest.approx(PREMIUM / A_SALES_12M, rel=1e-6)


def test_nobody_changed():
    """Only D: nobody newly required or earlier; no triggers, no burden."""
    f = impact.findings(SALES[SALES["seller_id"] == "D"], SELLERS, None, start="2021-09")
    assert (f.overall["population"], f.overall["unaffected"]) == (1, 1)
    assert f.q4_share == 0.0 and f.peak_sellers == 0
    assert f.burden.empty and math.isnan(f.median_burden)
    assert f.metrics["median_premium_share"]["value"] is None
    assert (f.required_new_last, f.required_old_last) == (0, 0)


def test_calendar_mode_events_and_site_series():
    """The shipped calendar: the US changed in 2021-09, so the US sellers get the same statuses."""
    cal = policy.DEFAULT_CALENDAR
    f = impact.findings(SALES, SELLERS, cal)
    assert f.calendar_mode
    us_event = next(ev["event"] for ev in cal.events() if "US" in ev["sites"])
    total = f.event_total(us_event)
    assert (total["newly_affected"], total["accelerated"], total["already_required"]) == (2, 1, 1)
    assert [(p["site"], p["switch_month"], p["newly_affected"], p["accelerated"]) for p in f.site_series] == [
        ("US", "2021-09", 2, 1)
    ]
    other = [ev["event"] for ev in cal.events() if "US" not in ev["sites"]]
    for event in other:
        assert f.event_sites(event, with_sellers=True).empty
        assert len(f.event_sites(event)) == len(
            next(ev["sites"] for ev in cal.events() if ev["event"] == event)
        )
    with pytest.raises(KeyError):
        f.event_total("no such event")
    assert (f.required_new_last, f.required_old_last) == (4, 2)
