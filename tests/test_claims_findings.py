"""Notebook 03's findings on hand-worked claims (no papermill): every number worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from seller_insurance import policy
from seller_insurance.analysis import claims

NaT = pd.NaT
# Who must insure, by hand: A newly required (first over in Oct 2021: insurance due 30 days after Oct 31, i.e.
# Nov 30), B required earlier (new rule: due Nov 30, 2021; old rule: Dec 2021 trigger, due Jan 30, 2022),
# C never required.
COMPARISON = pd.DataFrame(
    {
        "seller_id": ["A", "B", "C"],
        "marketplace": "US",
        "status": ["newly_affected", "accelerated", "unaffected"],
        "old_insurance_due": pd.to_datetime([NaT, "2022-01-30", NaT]),
        "new_insurance_due": pd.to_datetime(["2021-11-30", "2021-11-30", NaT]),
    }
)
SELLERS = pd.DataFrame(
    {"seller_id": ["A", "B", "C"], "marketplace": "US", "category": ["toys", "toys", "home"]}
)
# Four valid claims (USD 1,000 cap, at or under counts) and one rejected one that never counts:
# c1 A 400 and c2 A 1,000 under the cap; c3 B 1,500 and c4 C 2,000 over it. c4 filed in 2021, the rest in 2022.
# Old rule: nobody insured on the filing date (A never, B from Jan 30, 2022) -> sellers pay all 4,900.
# New rule: A insured -> Amazon pays c1 + c2 = 1,400; B insured -> its insurer pays 1,500; C pays 2,000.
CLAIMS = pd.DataFrame(
    {
        "claim_id": ["c1", "c2", "c3", "c4", "c5"],
        "seller_id": ["A", "A", "B", "C", "B"],
        "marketplace": "US",
        "filed_date": pd.to_datetime(["2022-01-15", "2022-01-15", "2022-01-15", "2021-12-20", "2022-01-15"]),
        "claim_type": [
            "property_damage",
            "property_damage",
            "personal_injury",
            "property_damage",
            "property_damage",
        ],
        "amount": [400.0, 1000.0, 1500.0, 2000.0, 100.0],
        "status": ["valid", "valid", "valid", "valid", "rejected"],
    }
)
Z = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval at 95%, from the textbook formula."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def found():
    return claims.findings(CLAIMS, SELLERS, COMPARISON, cap=1_000.0, cap_text="USD 1,000")


def test_overall_shares_and_intervals(found):
    o = found.overall
    assert found.has_claims and found.n_outside == 0
    assert (o["n_claims"], o["n_under_cap"]) == (4, 2)
    assert o["count_share"] == pytest.approx(2 / 4)
    assert (o["count_share_low"], o["count_share_high"]) == pytest.approx(wilson(2, 4))
    assert o["amount_share"] == pytest.approx(1_400 / 4_900)
    assert found.by_site is None  # one cap for every claim: no per-site programme table


def test_groups(found):
    cat = found.by_category.set_index("category")
    assert cat.loc["toys", "n_claims"] == 3 and cat.loc["toys", "count_share"] == pytest.approx(2 / 3)
    assert cat.loc["home", "n_claims"] == 1 and cat.loc["home", "count_share"] == 0
    assert found.category_count_range == pytest.approx((0.0, 2 / 3))
    year = found.by_year.set_index("filed_year")
    assert (year.loc[2021, "n_claims"], year.loc[2022, "n_claims"]) == (1, 3)
    assert year.loc[2022, "count_share"] == pytest.approx(2 / 3)
    kind = found.by_type.set_index("claim_type")
    assert (kind.loc["personal_injury", "n_claims"], kind.loc["property_damage", "n_claims"]) == (1, 3)
    status = found.by_status.set_index("rule_status")
    assert status.loc["newly_affected", "n_under_cap"] == 2 and status.loc["accelerated", "n_claims"] == 1
    assert status.loc["unaffected", "n_claims"] == 1
    assert found.by_quarter["n_claims"].sum() == 4


def test_who_pays(found):
    assert found.seller_paid_old == pytest.approx(4_900)
    assert found.seller_paid_new == pytest.approx(2_000)
    assert found.moved_from_sellers == pytest.approx(2_900)
    shares = found.payer_shares
    assert list(shares.index) == ["old", "new"]
    assert shares.loc["old"].to_dict() == pytest.approx({"amazon": 0.0, "insurer": 0.0, "seller": 1.0})
    assert shares.loc["new"].to_dict() == pytest.approx(
        {"amazon": 1_400 / 4_900, "insurer": 1_500 / 4_900, "seller": 2_000 / 4_900}
    )


def test_metrics_wrap_the_numbers(found):
    m = found.metrics
    assert m["n_claims"]["value"] == 4 and m["n_outside_programme"]["value"] == 0
    assert m["count_share_under_cap"]["value"] == pytest.approx(0.5)
    assert m["count_share_under_cap"]["label"] == "of claims at or under USD 1,000"
    assert (m["count_share_low"]["value"], m["count_share_high"]["value"]) == pytest.approx(wilson(2, 4))
    assert m["value_share_under_cap"]["value"] == pytest.approx(1_400 / 4_900)
    assert (m["seller_paid_old"]["value"], m["seller_paid_new"]["value"]) == pytest.approx((4_900, 2_000))
    assert m["moved_from_sellers"]["value"] == pytest.approx(2_900)
    assert all(set(e) == {"value", "label", "format", "unit"} for e in m.values())


def test_strict_cap_leaves_the_claim_at_the_cap_out():
    f = claims.findings(CLAIMS, SELLERS, COMPARISON, cap=1_000.0, strict=True)
    assert f.overall["n_under_cap"] == 1  # only c1 (400); c2 is exactly 1,000
    assert f.overall["amount_share"] == pytest.approx(400 / 4_900)
    # the new rule: Amazon pays c1, A's insurer c2 and B's c3
    assert f.payer_shares.loc["new", "insurer"] == pytest.approx(2_500 / 4_900)


def test_no_counted_claims_skips_the_comparison():
    """Only a rejected claim: nothing counts, the comparison is never computed, two metrics."""

    def never():
        raise AssertionError("the comparison is not needed without claims")

    f = claims.findings(CLAIMS[CLAIMS["status"] == "rejected"], SELLERS, never)
    assert not f.has_claims and f.n_outside == 0
    assert f.by_category is None and f.payers is None and f.comparison is None
    assert (f.seller_paid_old, f.seller_paid_new, f.moved_from_sellers) == (0.0, 0.0, 0.0)
    assert math.isnan(f.category_count_range[0])
    assert {k: e["value"] for k, e in f.metrics.items()} == {"n_claims": 0, "n_outside_programme": 0}


def test_no_claims_table_rows():
    f = claims.findings(CLAIMS.iloc[0:0], SELLERS, COMPARISON)
    assert not f.has_claims and f.metrics["n_claims"]["value"] == 0


def test_calendar_programme_and_claims_outside_it():
    """The shipped calendar: the US programme starts 2021-09-01, so a claim filed in June 2021 is outside it."""
    early = CLAIMS.iloc[[0]].assign(claim_id="c0", filed_date=pd.Timestamp("2021-06-15"))
    f = claims.findings(
        pd.concat([CLAIMS, early], ignore_index=True),
        SELLERS,
        lambda: COMPARISON,
        calendar=policy.DEFAULT_CALENDAR,
    )
    assert f.n_outside == 1 and f.overall["n_claims"] == 4
    us = f.by_site.set_index("site").loc["US"]
    assert (us["n_claims"], us["n_under_cap"], us["n_outside_programme"]) == (4, 2, 1)
    assert us["cap_usd"] == pytest.approx(1_000)
    assert f.metrics["n_outside_programme"]["value"] == 1
    # the early claim is outside the programme but still paid: by A itself under both rules (uninsured in June)
    assert f.seller_paid_old == pytest.approx(4_900 + 400)
    assert f.seller_paid_new == pytest.approx(2_000 + 400)


def test_calendar_only_claims_outside_the_programme():
    """Every counted claim outside the programme: no shares, but the per-site table shows where they were."""
    early = CLAIMS.iloc[:4].assign(filed_date=pd.Timestamp("2021-06-15"))
    f = claims.findings(early, SELLERS, COMPARISON, calendar=policy.DEFAULT_CALENDAR)
    assert not f.has_claims and f.n_outside == 4
    assert f.by_site.set_index("site").loc["US", "n_outside_programme"] == 4
    assert {k: e["value"] for k, e in f.metrics.items()} == {"n_claims": 0, "n_outside_programme": 4}


def test_business_report_claims_are_totals_per_month_and_site_never_shares():
    """Three report days: two in 2021-01 on US (1 + 2 claims, 300.50 + 1,800.00), one in 2021-02 on UK."""
    from seller_insurance.analysis.claims import business_report_claims

    daily = pd.DataFrame(
        {
            "seller_id": ["a", "b", "a"],
            "marketplace": ["US", "US", "UK"],
            "date": pd.to_datetime(["2021-01-03", "2021-01-20", "2021-02-01"]),
            "claims_granted": [1, 2, 0],
            "claims_amount": [300.5, 1800.0, 0.0],
        }
    )
    monthly, n_claims, n_months = business_report_claims(daily)
    assert monthly.to_dict(orient="records") == [
        {"month": "2021-01", "marketplace": "US", "days": 2, "claims_granted": 3, "claims_amount": 2100.5},
        {"month": "2021-02", "marketplace": "UK", "days": 1, "claims_granted": 0, "claims_amount": 0.0},
    ]
    assert (n_claims, n_months) == (3, 2)
    empty, n0, m0 = business_report_claims(pd.DataFrame())
    assert empty.empty and (n0, m0) == (0, 0)
