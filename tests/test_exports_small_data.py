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


def _day(month: int, amount: str) -> list[str]:
    return [f"{month:02d}/15/2021", amount, *[""] * 8, "0", "$0.00"]


SMALL_FOLDERS = {
    # 12 months x $1,000: under every threshold, so nobody is required, newly or earlier
    "nobody required": ([_day(m, "$1,000.00") for m in range(1, 13)], 0),
    # $20,000 in October 2021 only: the single-month rule newly requires it, the three-month rule never; nobody
    # is accelerated, so the lead-month chart has no rows (the crash of issue 15)
    "one newly required, none earlier": (
        [_day(m, "$20,000.00" if m == 10 else "$1,000.00") for m in range(1, 13)],
        1,
    ),
    "one month": ([_day(10, "$1,000.00")], 0),  # a single month of data
}


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("case", list(SMALL_FOLDERS))
def test_report_completes_on_small_one_sided_folders(tmp_path, case):
    """One account, one site, no claims: every notebook runs and the pages say in words what they cannot show."""
    from seller_insurance.publish import report

    days, newly = SMALL_FOLDERS[case]
    folder = tmp_path / "solo"
    folder.mkdir()
    write_csv(folder / "solo.csv", [BUSINESS, *days])
    out = report.run_report(
        {"input_dir": str(folder), "top_k": 10},
        "solo",
        reports_dir=tmp_path / "r",
        progress_bar=False,
        log=lambda m: None,
    )
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["data.sellers"]["value"] == 1
    assert metrics["rules.newly_affected"]["value"] == newly
    assert metrics["rules.accelerated"]["value"] == 0
    assert metrics["rules.required_new_last"]["value"] == newly
    assert metrics["claims.n_claims"]["value"] == 0
    assert "No claims to analyse" in (out / "03_claims.html").read_text()
    assert "No forecast for these data" in (out / "05_watch_list.html").read_text()
    assert "forecast.watch_list_size" not in metrics


def test_forecast_with_too_few_crossings_is_an_input_error_not_a_scikit_learn_crash():
    """Three sellers over 36 months, one crossing: the models cannot be fitted; the message says why."""
    from seller_insurance.analysis import forecast
    from seller_insurance.data.run_data import derive_sellers
    from seller_insurance.errors import InputError

    months = pd.period_range("2019-01", "2021-12", freq="M")
    sales = pd.DataFrame(
        [
            (s, "US", m.to_timestamp(), 20_000.0 if (s, str(m)) == ("a", "2020-10") else 1_000.0)
            for s in ("a", "b", "c")
            for m in months
        ],
        columns=["seller_id", "marketplace", "month", "gross_sales"],
    )
    sellers = derive_sellers(sales)
    with pytest.raises(InputError, match=r"only 3 seller-month\(s\) of one label .* need at least 5 of each"):
        forecast.evaluate_by_time(sales, sellers, forecast.ForecastParams(top_k=2))
