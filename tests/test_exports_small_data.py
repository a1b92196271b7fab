"""Small and one-sided data (issue 15 item 6): chart helpers say in words what they cannot show; the report
completes on a folder of one account's Seller Central export where nobody is required and there are no claims."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from exports_fixtures import BUSINESS, write_csv
from matplotlib.text import Text

from seller_insurance.publish import charts


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(Text))


EMPTY = pd.DataFrame({"cat": pd.Series([], dtype=str), "v": pd.Series([], dtype=float)})
ALL_NAN = pd.DataFrame({"cat": ["a", "b"], "v": [np.nan, np.nan]})


@pytest.mark.parametrize(
    "draw",
    [
        lambda d: charts.bar_chart(d, "cat", "v", title="T", value_label="sellers"),
        lambda d: charts.bar_chart(d, "cat", "v", title="T", value_label="sellers", horizontal=False),
        lambda d: charts.grouped_bar_chart(d, "cat", {"V": "v"}, title="T", value_label="sellers"),
        lambda d: charts.interval_chart(d, "cat", "v", "v", "v", title="T", value_label="share"),
        lambda d: charts.stacked_share_chart(d, "cat", {"V": "v"}, title="T"),
    ],
)
@pytest.mark.parametrize("data", [EMPTY, ALL_NAN], ids=["no rows", "only NaN"])
def test_chart_helpers_show_a_sentence_for_empty_groups(draw, data):
    fig = draw(data)
    assert "Nothing to chart" in _texts(fig)
    assert fig.get_suptitle() == "T"


def test_line_heatmap_and_histogram_with_nothing():
    line = charts.line_chart(
        pd.DataFrame({"month": pd.Series([], dtype="datetime64[s]"), "n": pd.Series([], dtype=float)}),
        "month",
        {"N": "n"},
        title="L",
        ylabel="sellers",
    )
    assert "Nothing to chart" in _texts(line)
    assert "Nothing to chart" in _texts(charts.heatmap(pd.DataFrame(), title="H", xlabel="x", ylabel="y"))
    assert "Nothing to chart" in _texts(charts.histogram([], title="Hi", xlabel="x"))


def test_nothing_to_show_is_saved_like_any_figure(tmp_path):
    fig = charts.nothing_to_show("No claims", "No claims in the data.", footnote="Source: test.")
    paths = charts.save_figure(fig, "empty", tmp_path)
    assert all(p.exists() for p in paths.values())


@pytest.mark.notebook
@pytest.mark.slow
def test_report_completes_on_one_account_nobody_required_no_claims(tmp_path):
    """One account, one site, $1,000 a month for 12 months (under every threshold: nobody required, nobody
    accelerated), no claims: every notebook runs and the pages say in words what they cannot show."""
    from seller_insurance.publish import report

    folder = tmp_path / "solo"
    folder.mkdir()
    rows = [BUSINESS] + [[f"{m:02d}/15/2021", "$1,000.00", *[""] * 8, "0", "$0.00"] for m in range(1, 13)]
    write_csv(folder / "solo.csv", rows)
    out = report.run_report(
        {"input_dir": str(folder), "top_k": 10},
        "solo",
        reports_dir=tmp_path / "r",
        progress_bar=False,
        log=lambda m: None,
    )
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["data.sellers"]["value"] == 1
    assert metrics["rules.newly_affected"]["value"] == 0 and metrics["rules.accelerated"]["value"] == 0
    assert metrics["rules.required_new_last"]["value"] == 0  # 12 months x $1,000: never over $10,000
    assert metrics["claims.n_claims"]["value"] == 0
    assert "No claims to analyse" in (out / "03_claims.html").read_text()
    assert "No forecast for these data" in (out / "05_watch_list.html").read_text()
    assert "forecast.watch_list_size" not in metrics
