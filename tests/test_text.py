"""publish.text: hostile strings render as written in each target; number formats checked against hand values."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import matplotlib
import matplotlib.pyplot as plt
import mistune
import pytest
from markdown_it import MarkdownIt

from seller_insurance.publish import text

HOSTILE = [
    "$5 and $10",
    "Uninsured sellers pay $29,447,661 under the three-month rule and $15,778,738 under the single-month rule",
    "$10k-$100k",
    "a_b_c and __init__ and *bold* and **strong**",
    "<b>bold?</b> <script>alert(1)</script> & &amp;",
    r"\(x\) and \[y\] and \begin{equation}z\end{equation} and \$",
    "`code` [link](http://x) ~~strike~~ | pipe | # not a heading",
    "$$display$$ and a lone $",
    "plain words, 82%",
]


class _Runs(HTMLParser):
    """Text of an HTML fragment, and its runs of text between tags (where MathJax looks for a pair of `$`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = [""]

    def handle_starttag(self, tag, attrs):
        self.runs.append("")

    def handle_endtag(self, tag):
        self.runs.append("")

    def handle_data(self, data):
        self.runs[-1] += data

    @property
    def text(self) -> str:
        return "".join(self.runs)


def _runs(html: str) -> _Runs:
    parser = _Runs()
    parser.feed(html)
    parser.close()
    return parser


def _strip_paragraph(html: str) -> str:
    html = html.strip()
    assert html.startswith("<p>") and html.endswith("</p>"), html
    return html[3:-4]


def _assert_no_maths(runs: list[str]) -> None:
    for run in runs:
        # MathJax 3 (JupyterLab) pairs `$`, `$$`, `\(`..`\)`, `\[`..`\]` and `\begin` within one text run.
        assert run.count("$") <= 1, run
        assert "\\" not in run or run == "\\", run  # a lone backslash opens nothing


@pytest.mark.parametrize("s", HOSTILE)
def test_markdown_renders_as_written_in_commonmark_and_mistune(s: str) -> None:
    escaped = text.literal(s, "markdown")
    # JupyterLab's first step (removeMath) scans the Markdown source for `$` and backslash delimiters: none left.
    assert "$" not in escaped and "\\" not in escaped
    for html in (
        MarkdownIt("commonmark").render(escaped),  # CommonMark, as JupyterLab's marked
        mistune.html(escaped),  # nbconvert's Markdown renderer
    ):
        runs = _runs(_strip_paragraph(html))
        assert runs.text == s
        _assert_no_maths(runs.runs)


@pytest.mark.parametrize("s", HOSTILE)
def test_html_renders_as_written_without_markup_or_maths(s: str) -> None:
    escaped = text.literal(s, "html")
    runs = _runs(f"<td>{escaped}</td>")
    assert runs.text == s
    _assert_no_maths(runs.runs)
    assert "<b>" not in escaped and "<script>" not in escaped


def test_markdown_helper_keeps_template_markup_and_escapes_values() -> None:
    out = text.md("Sellers pay **{}** (range $500-$2,000) for {what}", "$5 and $10", what="a_b <i>")
    html = _strip_paragraph(MarkdownIt("commonmark").render(out))
    assert "<strong>" in html and "<i>" not in html
    runs = _runs(html)
    assert runs.text == "Sellers pay $5 and $10 (range $500-$2,000) for a_b <i>"
    _assert_no_maths(runs.runs)


def test_markdown_helper_applies_format_spec_before_escaping() -> None:
    assert text.md("{:,.0f} and {x:.1%}", 1234.5, x=0.25) == "1,234 and 25.0%"


def _width(fig, s: str, parse_math: bool) -> float:
    t = fig.text(0, 0.5, s, parse_math=parse_math, fontsize=12)
    fig.canvas.draw()
    return t.get_window_extent().width


@pytest.mark.parametrize("s", ["$5 and $10", "$10k-$100k", "a_b_c $x^2$ and $", "no dollars"])
def test_mpl_escape_draws_the_same_as_plain_text(s: str) -> None:
    matplotlib.use("agg")
    fig = plt.figure()
    try:
        escaped = text.literal(s, "mpl")
        # Same width as the raw string drawn with mathtext off: the text is drawn character for character.
        assert _width(fig, escaped, parse_math=True) == pytest.approx(_width(fig, s, parse_math=False))
        if (
            s.count("$") % 2 == 0 and "$" in s
        ):  # and unescaped it would have been mathtext (a different width)
            assert _width(fig, s, parse_math=True) != pytest.approx(_width(fig, s, parse_math=False))
    finally:
        plt.close(fig)


def test_pptx_and_plain_keep_text_but_drop_xml_invalid_characters() -> None:
    from pptx import Presentation

    s = "$5 and $10 a_b_c <b> & tab\there\x0bvt\x00nul"
    out = text.literal(s, "pptx")
    assert out == "$5 and $10 a_b_c <b> & tab\there\ufffdvt\ufffdnul"
    assert text.literal(s, "plain") == out
    prs = Presentation()
    box = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(0, 0, 100, 100)
    box.text_frame.text = out  # python-pptx raises on the raw string's NUL
    assert box.text_frame.text == out


def test_unknown_target_is_an_error() -> None:
    with pytest.raises(ValueError, match="latex"):
        text.literal("x", "latex")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "exact", "short"),
    [
        (13_668_923, "$13,668,923", "$13.7M"),
        (29_447_661.4, "$29,447,661", "$29.4M"),
        (1_000, "$1,000", "$1k"),
        (10_000, "$10,000", "$10k"),
        (950, "$950", "$950"),
        (999.6, "$1,000", "$1k"),
        (99_950, "$99,950", "$100k"),
        (137_000_000, "$137,000,000", "$137M"),
        (999_600, "$999,600", "$1M"),  # 999.6k rounds to 1,000k: the next unit
        (2_000_000, "$2,000,000", "$2M"),
        (4_500_000_000, "$4,500,000,000", "$4.5B"),
        (-1_250, "-$1,250", "-$1.2k"),
        (0, "$0", "$0"),
    ],
)
def test_money(value: float, exact: str, short: str) -> None:
    assert text.money(value) == exact
    assert text.money(value, style="short") == short


def test_money_currencies_and_missing() -> None:
    assert text.money(5000, "EUR") == "€5,000"
    assert text.money(10_000, "CAD", "short") == "CA$10k"
    assert text.money(22_500, "PLN") == "PLN 22,500"
    assert text.money(float("nan")) == "n/a"
    assert text.money(None) == "n/a"
    with pytest.raises(ValueError, match="style"):
        text.money(1, style="long")  # type: ignore[arg-type]


def test_money_short_matches_a_reference_for_many_values() -> None:
    # Reference: pick the largest unit whose one-decimal value stays below 1000 after rounding.
    for exp in range(3, 12):
        for mantissa in (1.0, 1.04, 1.05, 2.5, 9.99, 9.9951, 99.94, 99.96, 999.4, 999.5, 999.96):
            v = mantissa * 10**exp / 1000 * 1000
            out = text.money(v, style="short")
            m = re.fullmatch(r"\$([\d,.]+)([kMB])", out)
            assert m, (v, out)
            number, unit = float(m.group(1).replace(",", "")), {"k": 1e3, "M": 1e6, "B": 1e9}[m.group(2)]
            assert number < 1000 or unit == 1e9, (v, out)
            assert math.isclose(number * unit, v, rel_tol=0.06, abs_tol=unit * 0.5), (v, out)


@pytest.mark.parametrize(
    ("share", "decimals", "expected"),
    [
        (0.82, None, "82%"),
        (0.8249, None, "82%"),
        (0.1234, 1, "12.3%"),
        (0.8, 2, "80.00%"),
        (0.004, None, "0.4%"),
        (0.00004, None, "0.004%"),
        (0.99996, None, "99.996%"),
        (0.996, None, "99.6%"),
        (0.0, None, "0%"),
        (1.0, None, "100%"),
        (1e-9, None, "<0.001%"),
        (1 - 1e-9, None, ">99.999%"),
        (float("nan"), None, "n/a"),
        (None, 1, "n/a"),
    ],
)
def test_percent(share, decimals, expected) -> None:
    assert text.percent(share, decimals) == expected


def test_count_plural_and_rule_names() -> None:
    assert text.count(6193) == "6,193"
    assert text.count(6192.6) == "6,193"
    assert text.count(None) == "n/a"
    assert text.plural(1, "month") == "1 month"
    assert text.plural(2, "month") == "2 months"
    assert text.plural(0, "seller") == "0 sellers"
    assert text.plural(6193, "seller") == "6,193 sellers"
    assert text.plural(1.5, "month") == "1.5 months"
    assert text.plural(2, "category") == "2 categories"
    assert text.plural(2, "day") == "2 days"
    assert text.plural(3, "box") == "3 boxes"
    assert text.plural(2, "person", "people") == "2 people"
    assert text.plural(1, "month", with_count=False) == "month"
    assert text.rule_name(1) == "single-month rule"
    assert text.rule_name(2) == "two-month rule"
    assert text.rule_name(3) == "three-month rule"
    assert text.rule_name(13) == "13-month rule"
