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
