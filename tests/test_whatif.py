"""The what-if engine on hand-worked sellers, its params file, and the panel's behaviour without a frontend."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from hand_data import sales_frame

from seller_insurance.analysis import whatif
from seller_insurance.publish import narrative, report

# A: one month over 10k after the change -> newly required by the single-month rule (never by three months).
# B: three months over 10k from 2021-10 -> required 2021-10 under one month, 2021-12 under three: 2 months earlier.
# C: on CA, one month at 20k -> newly required (CA default threshold 10,000 CAD), unless CA is filtered out.
# D: exactly 10,000 in one month -> unaffected when sales must exceed, newly required when reaching is enough.
SALES = sales_frame(
    [
        ("A", "US", "2021-10", 12_000),
        ("A", "US", "2021-11", 500),
        ("B", "US", "2021-10", 11_000),
        ("B", "US", "2021-11", 11_000),
        ("B", "US", "2021-12", 11_000),
        ("C", "CA", "2021-10", 20_000),
        ("D", "US", "2021-10", 10_000),
    ]
)
SELLERS = pd.DataFrame(
    {
        "seller_id": ["A", "B", "C", "D"],
        "marketplace": ["US", "US", "CA", "US"],
        "size_band": ["$10k-$100k", "$100k-$500k", "$100k-$500k", "$10k-$100k"],
    }
)


@pytest.fixture(scope="module")
def data():
    return whatif.prepare(SALES, SELLERS)


def test_defaults_count_each_hand_worked_seller(data):
    r = whatif.recompute(data, whatif.WhatIfSettings())
    h = r.headline
    assert (h["newly_affected"], h["accelerated"], h["unaffected"], h["population"]) == (2, 1, 1, 4)
    assert h["median_lead_months"] == 2
    band = r.by_band.set_index("size_band")
    assert band.loc["$100k-$500k", "newly_affected"] == 1 and band.loc["$100k-$500k", "accelerated"] == 1
    assert band.loc["$10k-$100k", "newly_affected"] == 1 and band.loc["$10k-$100k", "unaffected"] == 1
    assert data.sites == ("CA", "US") and data.months == ("2021-10", "2021-12")


def test_each_control_changes_what_it_should(data):
    us = whatif.recompute(data, whatif.WhatIfSettings(sites=("US",))).headline
    assert (us["newly_affected"], us["population"]) == (1, 3)  # C is on CA
    reach = whatif.recompute(data, whatif.WhatIfSettings(inclusive=True)).headline
    assert reach["newly_affected"] == 3  # D reaches 10,000
    high = whatif.recompute(data, whatif.WhatIfSettings(threshold=15_000)).headline
    assert (high["newly_affected"], high["accelerated"], high["unaffected"]) == (1, 0, 3)  # only C
    early = whatif.recompute(data, whatif.WhatIfSettings(as_of="2021-11")).headline
    assert (early["newly_affected"], early["accelerated"]) == (3, 0)  # B's third month not yet seen
    two = whatif.recompute(data, whatif.WhatIfSettings(new_months=2)).headline
    assert (two["newly_affected"], two["accelerated"], two["median_lead_months"]) == (0, 1, 1)


def test_a_site_missing_from_the_data_gives_zeros_not_an_error(data):
    r = whatif.recompute(data, whatif.WhatIfSettings(sites=("JP",)))
    assert r.headline["population"] == 0 and r.by_band.empty and r.over_time.empty
    assert "no seller in the data" in narrative.whatif_headline(r)


def test_headline_names_the_rules_and_counts_in_the_right_number(data):
    r = whatif.recompute(data, whatif.WhatIfSettings(new_months=2, sites=("US",)))
    sentence = narrative.whatif_headline(r)
    assert "two-month rule newly requires 0 sellers" in sentence
    assert "requires 1 seller earlier, a median of 1 month earlier" in sentence


def test_params_file_is_what_report_accepts(tmp_path):
    s = whatif.WhatIfSettings(threshold=5_000, new_months=2, inclusive=True, sites=("US",), as_of="2022-06")
    path = tmp_path / "p.yaml"
    path.write_text(s.to_yaml())
    loaded = report.load_params(path)
    assert loaded == {
        "threshold": 5000.0,
        "old_months": 3,
        "new_months": 2,
        "inclusive": True,
        "rule_start": "2021-09",
        "end_month": "2022-06",
    }
    report.check_params(loaded, report.notebook_parameters())  # every key is a notebook parameter
    assert yaml.safe_load(whatif.WhatIfSettings().to_yaml())["threshold"] is None


def test_panel_says_where_to_use_it_when_there_is_no_widget_frontend(data, tmp_path):
    from seller_insurance.publish import whatif_widget

    panel = whatif_widget.what_if_panel(data, tmp_path)
    assert repr(panel) == whatif_widget.NO_FRONTEND_MESSAGE
    assert panel._repr_mimebundle_()["text/plain"].startswith("Interactive what-if controls")
