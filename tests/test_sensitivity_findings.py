"""Notebook 04's findings on hand-worked sellers and claims (no papermill)."""

from __future__ import annotations

import pandas as pd
import pytest
from hand_data import sales_frame

from seller_insurance.analysis import sensitivity

# US sellers after the 2021-09 change (thresholds in USD):
# A: one month at 12,000 -> newly required at 5k and 10k, nobody at 15k.
# B: three months at 11,000 -> accelerated at 5k and 10k (lead 2), unaffected at 15k.
# D: one month at exactly 10,000 -> newly at 5k; at 10k only if sales may *reach* the threshold.
# E: three months at 6,000 -> accelerated at 5k only.
SALES = sales_frame(
    [
        ("A", "US", "2021-10", 12_000),
        ("A", "US", "2021-11", 500),
        ("B", "US", "2021-10", 11_000),
        ("B", "US", "2021-11", 11_000),
        ("B", "US", "2021-12", 11_000),
        ("D", "US", "2021-10", 10_000),
        ("E", "US", "2021-10", 6_000),
        ("E", "US", "2021-11", 6_000),
        ("E", "US", "2021-12", 6_000),
    ]
)
# Four valid claims: 400 and 1,000 under a 1,000 cap (count 2/4, value 1,400/4,900); one rejected claim ignored.
CLAIMS = pd.DataFrame(
    {
        "claim_id": ["c1", "c2", "c3", "c4", "c5"],
        "seller_id": ["A", "A", "B", "B", "E"],
        "marketplace": "US",
        "filed_date": pd.to_datetime(["2022-01-15"] * 5),
        "claim_type": "property_damage",
        "amount": [400.0, 1000.0, 1500.0, 2000.0, 100.0],
        "status": ["valid", "valid", "valid", "valid", "rejected"],
    }
)


@pytest.fixture(scope="module")
def found():
    return sensitivity.findings(SALES, CLAIMS, [5_000, 10_000, 15_000], [1, 3], [500, 1_000])


def test_grid_and_heat_count_each_seller(found):
    one = found.grid[found.grid["new_months"] == 1].set_index("threshold_usd")
    assert one["newly_affected"].tolist() == [2, 1, 0]
    assert one["accelerated"].tolist() == [2, 1, 0]
    three = found.grid[found.grid["new_months"] == 3]
    assert three["newly_affected"].tolist() == [0, 0, 0]  # the old window reproduces the old rule
    assert list(found.heat.index) == ["1 month", "3 months"]
    assert list(found.heat.columns) == ["$5,000", "$10,000", "$15,000"]
    assert (found.newly_at_low, found.newly_at_high) == (2, 0)
    assert (found.low_threshold, found.high_threshold) == (5_000.0, 15_000.0)


def test_exceed_or_reach_verdict(found):
    assert (found.base_newly, found.flipped_newly) == (1, 2)  # D reaches 10,000
    assert found.at_threshold_rare is False  # 1 of 1 is far more than 1%
    assert found.metrics["newly_affected_flipped_comparison"] == {
        "value": 2,
        "label": "newly required if sales must reach",
        "format": ",.0f",
        "unit": "sellers",
    }


def test_cap_grid_by_count_and_value(found):
    caps = found.cap_grid.set_index("cap_usd")
    assert found.has_claims
    assert caps.loc[500.0, "n_claims"] == 4 and caps.loc[500.0, "count_share"] == 0.25
    assert caps.loc[1_000.0, "count_share"] == 0.5
    assert caps.loc[1_000.0, "amount_share"] == pytest.approx(1_400 / 4_900)


def test_without_the_ten_thousand_cell_there_is_no_verdict_and_no_claims_is_said():
    f = sensitivity.findings(SALES, CLAIMS.iloc[0:0], [5_000, 15_000], [1], [1_000])
    assert f.base_newly is None and f.at_threshold_rare is None and not f.has_claims
    assert f.metrics["newly_affected_low_threshold"]["value"] == 2
