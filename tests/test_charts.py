"""Chart helpers: fixed 16:9 size, exact saved pixel size, passed-in text shown, direct labels right, layout clean."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from seller_insurance.publish import charts

FOOT = "Source: synthetic data, seed 42; threshold $10,000 a month (strict >), windows 3 -> 1 months."


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bands() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "band": [
                "Under $50k a year",
                "$50k to $250k a year",
                "Over $5M a year and a very long label here",
            ],
            "newly": [312.0, 4861.0, 349.0],
            "accel": [40.0, 1290.0, 1902.0],
        }
    )


def _all_text(fig: Figure) -> str:
    """Every text on the figure, whitespace collapsed (titles and labels are wrapped onto several lines)."""
    return " ".join(" ".join(t.get_text().split()) for t in fig.findobj(Text) if t.get_text())


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _months() -> pd.DataFrame:
    months = pd.date_range("2021-01-01", periods=12, freq="MS")
    return pd.DataFrame({"month": months, "old": np.arange(12.0) * 10, "new": np.arange(12.0) * 25})


# Each case: a builder and the texts (title, axis labels, footnote) it was given.
CASES: dict[str, tuple[Callable[[], Figure], list[str]]] = {
    "bar": (
        lambda: charts.bar_chart(
            _bands(),
            "band",
            "newly",
            title="The rule newly requires 5,522 sellers",
            value_label="sellers newly required",
            footnote=FOOT,
        ),
        ["The rule newly requires 5,522 sellers", "sellers newly required"],
    ),
    "bar_vertical": (
        lambda: charts.bar_chart(
            _bands(),
            "band",
            "newly",
            title="Vertical bars",
            value_label="sellers",
            footnote=FOOT,
            horizontal=False,
            category_label="annual sales band (USD)",
        ),
        ["Vertical bars", "sellers", "annual sales band (USD)"],
    ),
    "line_numeric_x": (
        lambda: charts.line_chart(
            pd.DataFrame({"cap": [250.0, 1000.0, 5000.0], "c": [0.5, 0.82, 0.99]}),
            "cap",
            {"by count": "c"},
            title="A $5,000 cap would cover 99% of claims",
            ylabel="share of claims",
            xlabel="cap (USD)",
            footnote=FOOT,
            x_is_month=False,
            x_format="${:,.0f}",
            value_format="{:.0%}",
        ),
        ["A $5,000 cap would cover 99% of claims", "share of claims", "cap (USD)", "by count 99%"],
    ),
    "grouped": (
        lambda: charts.grouped_bar_chart(
            _bands(),
            "band",
            {"Newly required": "newly", "Required earlier": "accel"},
            title="5,522 newly required and 3,232 earlier",
            value_label="sellers",
            footnote=FOOT,
        ),
        ["5,522 newly required and 3,232 earlier", "sellers", "Newly required", "Required earlier"],
    ),
    "line": (
        lambda: charts.line_chart(
            _months(),
            "month",
            {"Single-month rule": "new", "Three-month rule": "old"},
            title="275 sellers by 2021-12 under the single-month rule",
            ylabel="sellers required",
            footnote=FOOT,
            vline=("2021-09", "Rule starts"),
        ),
        ["275 sellers by 2021-12 under the single-month rule", "sellers required", "Rule starts"],
    ),
    "interval": (
        lambda: charts.interval_chart(
            pd.DataFrame(
                {"cat": ["Toys", "Electronics"], "e": [0.85, 0.72], "lo": [0.8, 0.65], "hi": [0.9, 0.79]}
            ),
            "cat",
            "e",
            "lo",
            "hi",
            title="82% of claims are $1,000 or less",
            value_label="share of claims (%)",
            footnote=FOOT,
            reference=(0.8, "Amazon: more than 80%"),
        ),
        ["82% of claims are $1,000 or less", "share of claims (%)", "Amazon: more than 80%", "Toys"],
    ),
    "stacked": (
        lambda: charts.stacked_share_chart(
            pd.DataFrame(
                {"rule": ["Old rule", "New rule"], "a": [0.0, 2.0], "i": [6.0, 5.0], "s": [4.0, 3.0]}
            ),
            "rule",
            {"Amazon": "a", "Insurer": "i", "Seller": "s"},
            title="Amazon now pays 20% of claim dollars",
            footnote=FOOT,
            value_label="share of claim dollars (%)",
        ),
        ["Amazon now pays 20% of claim dollars", "share of claim dollars (%)", "Amazon", "Insurer", "Seller"],
    ),
    "heatmap": (
        lambda: charts.heatmap(
            pd.DataFrame(
                [[1.0, 2.0], [3.0, 4.0]], index=["$5,000", "$10,000"], columns=["1 month", "3 months"]
            ),
            title="At $10,000 and one month, 3 sellers",
            xlabel="months over the threshold",
            ylabel="threshold (USD)",
            footnote=FOOT,
            colorbar_label="sellers",
        ),
        ["At $10,000 and one month, 3 sellers", "months over the threshold", "threshold (USD)", "$5,000"],
    ),
    "histogram": (
        lambda: charts.histogram(
            [1.0, 2.0, 2.0, 3.0, 7.0],
            bins=[0.5, 2.5, 4.5, 6.5, 8.5],
            title="Required a median 2 months sooner",
            xlabel="months earlier",
            footnote=FOOT,
            mark_median=True,
        ),
        ["Required a median 2 months sooner", "months earlier", "sellers", "median 2"],
    ),
    "histogram_log": (
        lambda: charts.histogram(
            np.geomspace(0.01, 10, 50),
            bins=10,
            log_x=True,
            title="Premium burden",
            xlabel="premium as % of sales",
            footnote=FOOT,
            value_format="{:g}%",
        ),
        ["Premium burden", "premium as % of sales"],
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_fixed_size_text_and_exact_saved_size(kind: str, tmp_path: Path) -> None:
    build, texts = CASES[kind]
    fig = build()
    assert isinstance(fig, Figure)
    assert tuple(fig.get_size_inches()) == pytest.approx((10.0, 5.625))
    shown = _all_text(fig)
    for text in [*texts, FOOT]:
        assert " ".join(text.split()) in shown, f"{text!r} not on the {kind} chart"
    paths = charts.save_figure(fig, kind, tmp_path / "figures")
    assert set(paths) == {"png", "svg", "slide_png"}
    assert paths["slide_png"].name == f"{kind}.slide.png"
    assert _png_size(paths["png"]) == (2000, 1125)  # 10 x 5.625 in at 200 dpi: no tight bbox
    assert _png_size(paths["slide_png"]) == (2000, 1125)
    svg_head = paths["svg"].read_text()[:1000]
    assert re.search(r'width="720pt" height="405pt"', svg_head)  # 10 x 5.625 in at 72 pt/in


@pytest.mark.parametrize("kind", list(CASES))
def test_nothing_outside_the_canvas_and_no_overlap_with_title_or_footnote(kind: str) -> None:
    fig = CASES[kind][0]()
    with mpl.rc_context({"font.family": "serif"}):  # the caller's style must not matter at draw time
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        canvas = fig.bbox
        title = fig.get_suptitle() and fig._suptitle.get_window_extent(renderer)
        foot = [t for t in fig.texts if t.get_gid() == "footnote"][0].get_window_extent(renderer)
        for box in [title, foot] + [ax.get_tightbbox(renderer) for ax in fig.axes]:
            assert box.x0 >= -0.5 and box.y0 >= -0.5, (kind, box)
            assert box.x1 <= canvas.x1 + 0.5 and box.y1 <= canvas.y1 + 0.5, (kind, box)
        for ax in fig.axes:
            tight = ax.get_tightbbox(renderer)
            assert tight.y0 >= foot.y1, f"{kind}: axes overlap the footnote"
            assert tight.y1 <= title.y0, f"{kind}: axes overlap the title"


def test_style_is_applied_whatever_the_callers_style() -> None:
    with mpl.rc_context():
        plt.style.use("default")
        fig = charts.bar_chart(_bands(), "band", "newly", title="t", value_label="sellers")
        fig.canvas.draw()
        ticks = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
        assert ticks and all(t.get_fontsize() == 15 for t in ticks)
        assert not fig.axes[0].spines["top"].get_visible()
        assert not fig.axes[0].spines["right"].get_visible()
        # "$50k to $250k" stays literal text (two dollar signs would otherwise start mathtext)
        labels = [t for t in fig.axes[0].get_yticklabels() if t.get_text() == "$50k to $250k a year"]
        assert len(labels) == 1 and not labels[0].get_parse_math()


@pytest.mark.parametrize("kind", ["bar", "grouped", "stacked", "heatmap"])
def test_title_crop_removes_the_title_and_nothing_below_it(kind: str, tmp_path: Path) -> None:
    fig = CASES[kind][0]()
    crop = charts.title_crop_share(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    height = fig.bbox.height
    title_bottom = (height - fig._suptitle.get_window_extent(renderer).y0) / height  # share from the top
    # top of the highest plot content (axes, series key, colour bar), as a share from the top
    content_top = min((height - ax.get_tightbbox(renderer).y1) / height for ax in fig.axes)
    assert title_bottom < crop < content_top
    png = charts.save_figure(fig, kind, tmp_path)["png"]
    with Image.open(png) as img:
        assert float(img.info[charts.TITLE_CROP_KEY]) == pytest.approx(crop, abs=1e-4)


def test_use_style_loads_the_package_style_by_dotted_name() -> None:
    with mpl.rc_context():
        charts.use_style()
        assert list(mpl.rcParams["figure.figsize"]) == [10.0, 5.625]
        assert mpl.rcParams["font.size"] == 16
        assert mpl.rcParams["figure.constrained_layout.use"] is True
        assert not mpl.rcParams["axes.spines.top"]
        cycle = [to_hex(c["color"]).upper() for c in mpl.rcParams["axes.prop_cycle"]]
        assert cycle[:3] == ["#0072B2", "#E69F00", "#009E73"]  # Okabe-Ito blue, orange, bluish green


def test_bar_labels_are_the_formatted_values_and_highlight_colours() -> None:
    data = pd.DataFrame({"band": ["small", "mid", "large"], "n": [1234.0, 56.0, 1000000.0]})
    fig = charts.bar_chart(
        data, "band", "n", title="t", value_label="sellers", highlight="mid", value_format="{:,.0f}"
    )
    ax = fig.axes[0]
    bar_labels = [t.get_text() for t in ax.texts]
    assert bar_labels == ["1,234", "56", "1,000,000"]
    colours = [to_hex(p.get_facecolor()).upper() for p in ax.patches]
    assert colours == [charts.MUTED, charts.PALETTE[0], charts.MUTED]
    assert ax.get_legend() is None
    # first row on top: y limits run from the last category down to the first
    assert ax.get_ylim()[0] > ax.get_ylim()[1]


def test_grouped_bar_labels_per_series() -> None:
    data = pd.DataFrame({"band": ["a", "b"], "x": [10.0, 20.0], "y": [3.0, 4.5]})
    fig = charts.grouped_bar_chart(
        data, "band", {"X": "x", "Y": "y"}, title="t", value_label="sellers", value_format="{:.1f}"
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["10.0", "20.0", "3.0", "4.5"]
    assert ax.get_legend() is None


def test_stacked_share_labels_are_row_shares() -> None:
    data = pd.DataFrame({"row": ["r1", "r2"], "a": [6.0, 1.0], "b": [3.0, 1.0], "c": [1.0, 0.0]})
    fig = charts.stacked_share_chart(data, "row", {"A": "a", "B": "b", "C": "c"}, title="t")
    labels = [t.get_text() for t in fig.axes[0].texts]
    # r1: 6/10, 3/10, 1/10; r2: 1/2, 1/2, and the 0% segment is not labelled. Drawn part by part.
    assert labels == ["60%", "50%", "30%", "50%", "10%"]
    with pytest.raises(ValueError, match="total of 0"):
        charts.stacked_share_chart(pd.DataFrame({"row": ["z"], "a": [0.0]}), "row", {"A": "a"}, title="t")


def test_heatmap_text_colour_contrasts_with_cell() -> None:
    grid = pd.DataFrame([[0.0, 50.0], [100.0, np.nan]], index=["r1", "r2"], columns=["c1", "c2"])
    fig = charts.heatmap(grid, title="t", xlabel="x", ylabel="y", value_format="{:.0f}")
    cells = {t.get_text(): t.get_color() for t in fig.axes[0].texts}
    assert cells["0"] == "white"  # cividis is dark navy at the low end
    assert cells["100"] == "black"  # and light yellow at the high end
    assert "n/a" in cells


def test_line_end_labels_show_last_values_and_errors() -> None:
    data = _months()
    data.loc[11, "old"] = np.nan  # the last valid value of "old" is then month 11's 100
    fig = charts.line_chart(data, "month", {"New": "new", "Old": "old"}, title="t", ylabel="sellers")
    texts = [" ".join(t.get_text().split()) for t in fig.axes[0].texts]
    assert "New 275" in texts and "Old 100" in texts
    assert fig.axes[0].get_legend() is None
    data["empty"] = np.nan
    with pytest.raises(ValueError, match="no values"):
        charts.line_chart(data, "month", {"E": "empty"}, title="t", ylabel="sellers")


def test_interval_chart_checks_order_and_labels_estimates() -> None:
    data = pd.DataFrame({"cat": ["a", "b"], "e": [0.5, 0.9], "lo": [0.4, 0.8], "hi": [0.6, 0.95]})
    fig = charts.interval_chart(data, "cat", "e", "lo", "hi", title="t", value_label="share")
    assert [t.get_text() for t in fig.axes[0].texts] == ["50%", "90%"]
    bad = data.assign(lo=[0.55, 0.8])
    with pytest.raises(ValueError, match="'a'"):
        charts.interval_chart(bad, "cat", "e", "lo", "hi", title="t", value_label="share")


def test_histogram_counts_and_input_errors() -> None:
    fig = charts.histogram([0.5, 1.5, 1.6, 2.5], bins=[0, 1, 2, 3], title="t", xlabel="months")
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [1, 2, 1]  # counted by hand
    with pytest.raises(ValueError, match="1 missing"):
        charts.histogram([1.0, np.nan], title="t", xlabel="x")
    with pytest.raises(ValueError, match="> 0"):
        charts.histogram([0.0, 1.0], title="t", xlabel="x", log_x=True)


def test_missing_values_name_the_category() -> None:
    data = pd.DataFrame({"band": ["a", "b"], "n": [1.0, np.nan]})
    with pytest.raises(ValueError, match="'b'"):
        charts.bar_chart(data, "band", "n", title="t", value_label="sellers")
    with pytest.raises(ValueError, match="'nope'"):
        charts.bar_chart(data, "band", "nope", title="t", value_label="sellers")


def test_long_titles_wrap_and_footnote_replaces() -> None:
    title = "A finding with many words " * 6
    fig = charts.bar_chart(_bands(), "band", "newly", title=title, value_label="sellers", footnote="first")
    assert fig.get_suptitle().count("\n") >= 2
    assert max(len(line) for line in fig.get_suptitle().split("\n")) <= charts.TITLE_WRAP
    charts.footnote(fig, "second")
    notes = [t.get_text() for t in fig.texts if t.get_gid() == "footnote"]
    assert notes == ["second"]


def test_saving_is_deterministic_and_name_checked(tmp_path: Path) -> None:
    build = CASES["grouped"][0]
    a = charts.save_figure(build(), "g", tmp_path / "a")
    b = charts.save_figure(build(), "g", tmp_path / "b")
    assert a["png"].read_bytes() == b["png"].read_bytes()
    assert a["svg"].read_bytes() == b["svg"].read_bytes()
    with pytest.raises(ValueError, match="bare file stem"):
        charts.save_figure(build(), "sub/g", tmp_path)


CATEGORIES = [
    "Home & Kitchen", "Toys & Games", "Electronics", "Health & Personal Care", "Sports & Outdoors",
    "Baby products and nursery furniture", "Beauty", "Clothing, Shoes & Jewelry", "Automotive Parts & Accessories",
    "Pet Supplies", "Tools & Home Improvement", "Grocery & Gourmet Food",
]  # fmt: skip


def _overlaps(boxes: list) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].x0 < boxes[j].x1 and boxes[j].x0 < boxes[i].x1
        and boxes[i].y0 < boxes[j].y1 and boxes[j].y0 < boxes[i].y1
    ]  # fmt: skip


def _assert_labels_apart(labels: list[Text], renderer: object, dpi: float) -> None:
    """Unrotated labels: bounding boxes disjoint. Rotated ones (whose boxes overlap by geometry): neighbouring
    baselines are at least the text height apart, measured perpendicular to the text."""
    rotation = labels[0].get_rotation()
    if rotation == 0:
        assert _overlaps([t.get_window_extent(renderer) for t in labels]) == []
        return
    anchors = [t.get_transform().transform(t.get_position())[0] for t in labels]
    for t, a, b in zip(labels, anchors, anchors[1:], strict=False):
        lines = t.get_text().count("\n") + 1
        assert abs(b - a) * np.sin(np.radians(rotation)) >= lines * t.get_fontsize() * dpi / 72


def test_percent_ticks_are_round_and_honest() -> None:
    data = pd.DataFrame({"y": ["2019", "2020"], "e": [0.85, 0.80], "lo": [0.78, 0.76], "hi": [0.91, 0.84]})
    fig = charts.interval_chart(data, "y", "e", "lo", "hi", title="t", value_label="share", reference=0.8)
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    for tick in ax.get_xticklabels():
        if tick.get_text() and lo <= tick.get_position()[0] <= hi:
            shown = float(tick.get_text().rstrip("%")) / 100
            assert shown == pytest.approx(tick.get_position()[0], abs=1e-9)  # no 77.5% labelled "78%"
    bars = charts.bar_chart(
        pd.DataFrame({"b": ["a", "b"], "v": [0.0625, 0.0901]}), "b", "v", title="t", value_label="share",
        value_format="{:.2%}",
    )  # fmt: skip
    bars.canvas.draw()
    ticks = [t.get_text() for t in bars.axes[0].get_xticklabels() if t.get_text()]
    assert "0%" in ticks and "2%" in ticks  # not "0.00%", "2.00%"
    assert [t.get_text() for t in bars.axes[0].texts] == ["6.25%", "9.01%"]  # direct labels keep the format


def test_numeric_x_ticks_use_x_format() -> None:
    fig = CASES["line_numeric_x"][0]()
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert "$1,000" in ticks and "$5,000" in ticks


@pytest.mark.parametrize(("n", "horizontal"), [(12, True), (8, False), (12, False), (24, False)])
def test_many_long_category_labels_never_overlap(n: int, horizontal: bool) -> None:
    names = CATEGORIES[:n] if n <= len(CATEGORIES) else [str(i) for i in range(1, n + 1)]  # 24: lead months
    data = pd.DataFrame({"c": names, "v": np.linspace(1000.0, 250000.0, n)})
    fig = charts.bar_chart(data, "c", "v", title="t", value_label="USD", horizontal=horizontal,
                           value_format="${:,.0f}")  # fmt: skip
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    ticks = ax.get_yticklabels() if horizontal else ax.get_xticklabels()
    labelled = [t for t in ticks if t.get_text()]
    assert len(labelled) == n
    _assert_labels_apart(labelled, renderer, fig.dpi)
    values = [t.get_window_extent(renderer) for t in ax.texts]
    assert _overlaps(values) == []
    assert ax.get_tightbbox(renderer).x1 <= fig.bbox.x1 + 0.5


def test_wide_heatmap_thins_column_labels_and_drops_cell_text() -> None:
    columns = [f"{2022 + i // 12}-{i % 12 + 1:02d}" for i in range(24)]
    grid = pd.DataFrame(
        np.arange(120.0).reshape(5, 24) * 100, index=[f"band {i}" for i in range(5)], columns=columns
    )
    fig = charts.heatmap(grid, title="t", xlabel="month", ylabel="band")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labelled = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert [t.get_text() for t in labelled] == columns[::2]  # every second of 24 columns: at most 12
    _assert_labels_apart(labelled, renderer, fig.dpi)
    assert len(fig.axes[0].texts) == 0  # "11,900" does not fit a 24th of the width at a readable size


def test_narrow_percent_axis_has_the_decimals_its_ticks_need_and_no_more() -> None:
    # The claims chart's axis read "80.00% 80.50% 81.00%": ticks every 0.5% need one decimal, the same on each.
    data = pd.DataFrame({"y": ["a", "b"], "e": [0.803, 0.806], "lo": [0.801, 0.802], "hi": [0.807, 0.809]})
    fig = charts.interval_chart(data, "y", "e", "lo", "hi", title="t", value_label="share")
    fig.canvas.draw()
    ax = fig.axes[0]
    ticks = [(t.get_position()[0], t.get_text()) for t in ax.get_xticklabels() if t.get_text()]
    decimals = {len(text.rstrip("%").partition(".")[2]) for _, text in ticks}
    # Reference: the fewest decimals (of a percent) that write every tick position exactly.
    need = min(d for d in range(4) if all(abs(round(x * 100, d) - x * 100) < 1e-9 for x, _ in ticks))
    assert decimals == {need}
    for x, text in ticks:
        assert float(text.rstrip("%")) == pytest.approx(x * 100, abs=1e-9)
    assert charts.PercentTicks().format_ticks([0.80, 0.805, 0.81]) == ["80.0%", "80.5%", "81.0%"]
    assert charts.PercentTicks().format_ticks([0.0, 0.2, 0.4]) == ["0%", "20%", "40%"]


def test_slide_copy_has_no_title_and_a_taller_plot(tmp_path: Path) -> None:
    fig = CASES["bar"][0]()
    paths = charts.save_figure(fig, "bar", tmp_path)
    assert fig.get_suptitle()  # the figure itself keeps its title
    full = np.asarray(Image.open(paths["png"]).convert("L"), dtype=float)
    slide = np.asarray(Image.open(paths["slide_png"]).convert("L"), dtype=float)
    band = int(float(Image.open(paths["png"]).info[charts.TITLE_CROP_KEY]) * full.shape[0])
    # The title band of the full image has dark text; the slide copy's plot starts higher up, so its first
    # dark row (anything drawn) is above the full image's plot top.
    assert full[: band - 10].min() < 100  # title ink
    untitled = charts.bar_chart(
        _bands(), "band", "newly", title="", value_label="sellers newly required", footnote=FOOT
    )
    assert charts.save_figure(untitled, "untitled", tmp_path).keys() == {"png", "svg"}  # no title: no copy
    rows_with_ink = lambda a: np.flatnonzero((a < 100).any(axis=1))  # noqa: E731
    assert rows_with_ink(slide)[0] < band  # something drawn in the old title band: the plot moved up
    assert not (tmp_path / "untitled.slide.png").exists()
