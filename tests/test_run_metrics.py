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
