"""narrative: Markdown helpers escape through publish.text; present() tables show "$" and "<b>" as written."""

from __future__ import annotations

import re

import pandas as pd
from markdown_it import MarkdownIt

from seller_insurance.publish import narrative as say


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {"band": ["$10k-$100k", "<b>big</b>"], "share": [0.5, 0.125], "amount": [1234.4, float("nan")]}
    )


def test_present_formats_escapes_and_keeps_mathjax_away() -> None:
    styler = say.present(
        _table(), percent=("share",), money=("amount",), rename={"share": "share of sellers"}
    )
    assert styler.data.to_dict("list") == {
        "band": ["$10k-$100k", "<b>big</b>"],
        "share of sellers": ["50.0%", "12.5%"],
        "amount": ["$1,234", ""],
    }
    html = styler.to_html()
    assert re.search(r'<table id="T_\w+" class="mathjax_ignore dataframe">', html)
    assert ">$10k-$100k</td>" in html
    assert "&lt;b&gt;big&lt;/b&gt;" in html and "<b>" not in html
    assert 'class="row_heading' not in html  # the 0..n-1 index is hidden
    assert (
        html
        == say.present(
            _table(), percent=("share",), money=("amount",), rename={"share": "share of sellers"}
        ).to_html()
    )


def test_present_with_a_named_index_keeps_it() -> None:
    html = say.present(_table(), percent=("share",), index="band").to_html()
    assert 'class="row_heading' in html and "&lt;b&gt;big&lt;/b&gt;</th>" in html


def test_markdown_helpers() -> None:
    assert say.n(12345.4) == "12,345"
    assert say.pct(0.1234) == "12.3%"
    assert say.usd(1250) == "$1,250" and say.usd(-1250) == "-$1,250" and say.usd(1.5, 2) == "$1.50"
    assert say.usd(float("nan")) == "n/a"
    html = MarkdownIt("commonmark").render(f"Pay **{say.text('$5 and $10 a_b')}**")
    assert "<strong>" in html
    assert re.sub(r"<[^>]+>", "", html).replace("&#36;", "$").strip() == "Pay $5 and $10 a_b"


def test_calibration_table_for_people_shows_each_figure_in_its_unit():
    import pandas as pd

    from seller_insurance.publish.narrative import present_calibration

    raw = pd.DataFrame(
        [
            ["share of sellers above $100k/yr", 0.13, 0.121858, 0.015, "abs", True, "report"],
            ["mean annual sales per seller (USD)", 230000.0, 322703.9, 0.2, "rel", False, "report"],
            ["December is the peak month", 1.0, 1.0, float("nan"), "bool", True, "Census"],
            ["July bump: July / mean(June, August)", 1.1, 1.3104, 0.05, "abs", False, "choice"],
        ],
        columns=["metric", "target", "generated", "tolerance", "kind", "ok", "source"],
    )
    shown = present_calibration(raw).data
    assert list(shown.index) == [0, 1, 2, 3] and list(shown.columns)[:3] == ["Figure", "Target", "Generated"]
    assert shown.iloc[0].tolist()[1:4] == ["13.0%", "12.2%", "1.5%"]
    assert shown.iloc[1].tolist()[1:4] == ["$230,000", "$322,704", "20%"]
    assert shown.iloc[2].tolist()[1:6] == ["yes", "yes", "", "must hold", "yes"]
    assert shown.iloc[3].tolist()[1:6] == ["1.10", "1.31", "0.05", "within ± tolerance", "no"]
    html = present_calibration(raw).to_html()
    assert "mathjax_ignore" in html and "<th" in html and ">0<" not in html.split("<tbody>")[1][:200]


def test_rule_names_follow_the_parameters_and_the_calendar():
    from seller_insurance import policy
    from seller_insurance.publish.narrative import rule_names

    assert rule_names(None, 3, 2) == ("the two-month rule", "the three-month rule")
    assert rule_names(None, 4, 1) == ("the single-month rule", "the four-month rule")
    assert rule_names(policy.DEFAULT_CALENDAR) == ("the single-month rule", "the three-month rule")


def test_impact_headline_counts_in_the_right_number_and_says_nobody_earlier_without_nan():
    import pandas as pd

    from seller_insurance.publish.narrative import impact_headline

    row = pd.Series(
        {
            "population": 1200,
            "already_required": 30,
            "newly_affected": 1,
            "newly_affected_share": 1 / 1200,
            "accelerated": 0,
            "accelerated_share": 0.0,
            "median_lead_months": float("nan"),
            "mean_lead_months": float("nan"),
        }
    )
    s = impact_headline(row, "the two-month rule", "the three-month rule")
    assert "the two-month rule **newly requires 1 seller** (0.1%) that the three-month rule never" in s
    assert "requires **0 sellers** (0.0%) earlier" in s and "nan" not in s and "median" not in s
    row["accelerated"], row["median_lead_months"], row["mean_lead_months"] = 2, 1.0, 1.0
    s = impact_headline(row, "the two-month rule", "the three-month rule", calendar_mode=True)
    assert s.startswith("Each site under its own rules")
    assert "a median of **1 month** earlier (mean 1.0)" in s and "**2 sellers**" in s
