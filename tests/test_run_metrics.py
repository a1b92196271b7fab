"""metrics.json assembly: sections merge, slides must name recorded metrics, values are JSON-native."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seller_insurance.publish import run_metrics


def test_record_and_assemble(tmp_path):
    run_metrics.record(
        tmp_path,
        "rules",
        {"newly": run_metrics.metric(np.int64(12345), "sellers", ",.0f")},
        slides=[run_metrics.slide("figures/a.png", "Title", "rules.newly")],
    )
    run_metrics.record(tmp_path, "claims", {"share": run_metrics.metric(np.float64(0.8234), "claims", ".1%")})
    merged = run_metrics.assemble(tmp_path, {"name": "t"}, section_order=["rules", "claims"])
    on_disk = json.loads((tmp_path / "metrics.json").read_text())
    assert on_disk == merged
    assert merged["metrics"]["rules.newly"]["value"] == 12345
    assert run_metrics.format_metric(merged["metrics"]["claims.share"]) == "82.3%"
    assert merged["slides"] == [
        {"figure": "figures/a.png", "title": "Title", "metric": "rules.newly", "notes": ""}
    ]


def test_slide_naming_an_unrecorded_metric_fails(tmp_path):
    run_metrics.record(
        tmp_path, "rules", {}, slides=[run_metrics.slide("figures/a.png", "T", "rules.missing")]
    )
    with pytest.raises(KeyError, match="rules.missing"):
        run_metrics.assemble(tmp_path, {"name": "t"})


def test_nan_becomes_null_and_bad_format_fails_early():
    assert run_metrics.metric(float("nan"), "x", ".1%")["value"] is None
    assert run_metrics.format_metric(run_metrics.metric(float("nan"), "x", ".1%")) == "n/a"
    assert run_metrics.format_metric(run_metrics.metric(13668923.4, "x", "$,.0f")) == "$13,668,923"
    with pytest.raises(ValueError):
        run_metrics.metric(1.0, "x", ",.0q")


# --- Events: the 2021 US change and the 2024 wave, separated ------------------------------------------------------
def test_event_metrics_separate_the_2021_us_change_from_the_2024_wave_per_site(tmp_path):
    import pandas as pd

    from seller_insurance import policy
    from seller_insurance.analysis import impact, rules

    # Hand-worked with the shipped calendar (strict "exceeds"; switch months US 2021-09, CA 2024-05, UK 2024-06):
    #   a/US: 20,000 USD in 2021-06 only -> newly required in 2021-09 (2021 event).
    #   b/US: 20,000 USD in 2021-06, 2021-10, 2021-11, 2021-12 -> old rule 2021-12, required 2021-09: lead 3.
    #   c/CA: 20,000 CAD in 2022-03 only -> newly required in 2024-05 (2024 event).
    #   d/UK: 5,000 GBP 2023-01..03 -> already required (old rule 2023-03 < 2024-06).
    #   e/UK: 5,000 GBP in 2024-07, 2024-08, 2024-09 -> old 2024-09, required 2024-07: lead 2.
    #   m/MX: in no event.
    rows = [("a", "US", "2021-06", 20_000)]
    rows += [("b", "US", m, 20_000) for m in ("2021-06", "2021-10", "2021-11", "2021-12")]
    rows += [("c", "CA", "2022-03", 20_000)]
    rows += [("d", "UK", m, 5_000) for m in ("2023-01", "2023-02", "2023-03")]
    rows += [("e", "UK", m, 5_000) for m in ("2024-07", "2024-08", "2024-09")]
    rows += [("m", "MX", "2024-07", 200_000)]
    sales = pd.DataFrame(rows, columns=["seller_id", "marketplace", "month", "gross_sales"])
    sales["month"] = pd.to_datetime(sales["month"])
    cal = policy.DEFAULT_CALENDAR
    result = rules.evaluate_calendar(sales, cal)
    sections = run_metrics.event_metrics(
        impact.event_summary(result, cal).to_dict(orient="records"),
        impact.event_totals(result, cal).to_dict(orient="records"),
        cal.events(),
    )
    assert set(sections) == {"event_2021", "event_2024"}
    us = sections["event_2021"]
    assert (us["US.newly_affected"]["value"], us["US.accelerated"]["value"]) == (1, 1)
    assert us["US.median_lead_months"]["value"] == 3.0
    assert us["US.newly_affected_share"]["value"] == 0.5
    assert "CA.newly_affected" not in us
    wave = sections["event_2024"]
    assert wave["CA.newly_affected"]["value"] == 1
    assert (wave["UK.already_required"]["value"], wave["UK.accelerated"]["value"]) == (1, 1)
    assert wave["UK.median_lead_months"]["value"] == 2.0
    assert wave["UK.accelerated_share"]["value"] == 1.0  # of the 1 UK seller-site not already required
    assert wave["DE.sellers"]["value"] == 0 and wave["DE.newly_affected_share"]["value"] is None
    assert (wave["total.newly_affected"]["value"], wave["total.accelerated"]["value"]) == (1, 1)
    assert not any(k.startswith("MX.") for k in wave)
    assert "2024" in wave["CA.newly_affected"]["label"]

    # The calendar the run used is recorded with the event sections and lands in run.calendar.
    entry = run_metrics.calendar_entry(cal)
    assert entry["sha256"] == cal.sha256 and entry["source"] == "package:seller_insurance/policy_calendar.csv"
    for name, values in sections.items():
        run_metrics.record(tmp_path, name, values, extra={"calendar": entry})
    merged = run_metrics.assemble(tmp_path, {"name": "t"}, section_order=["event_2021", "event_2024"])
    assert merged["run"]["calendar"]["sha256"] == cal.sha256
    assert merged["run"]["calendar"]["switch_months"]["CA"] == "2024-05"
    assert merged["metrics"]["event_2024.UK.accelerated"]["value"] == 1


def test_two_sections_with_different_calendars_are_refused(tmp_path):
    run_metrics.record(tmp_path, "a", {}, extra={"calendar": {"source": "x.csv", "sha256": "1" * 64}})
    run_metrics.record(tmp_path, "b", {}, extra={"calendar": {"source": "y.csv", "sha256": "2" * 64}})
    with pytest.raises(ValueError, match="one run, one calendar"):
        run_metrics.assemble(tmp_path, {"name": "t"})


def test_events_in_lists_each_event_with_the_sites_that_have_sellers(tmp_path):
    m = run_metrics.metric
    run_metrics.record(
        tmp_path,
        "event_2024",
        {"CA.sellers": m(3, "x"), "UK.sellers": m(0, "x"), "total.newly_affected": m(1, "x")},
        extra={"event": "CA, UK and EU, 2024", "sites": ["CA", "UK"]},
    )
    run_metrics.record(tmp_path, "rules", {"newly_affected": m(1, "x")})
    merged = run_metrics.assemble(tmp_path, {"name": "t"})
    assert run_metrics.events_in(merged) == [
        {
            "section": "event_2024",
            "event": "CA, UK and EU, 2024",
            "sites": ["CA", "UK"],
            "with_sellers": ["CA"],
        }
    ]
