"""Slide-ready charts: one function per chart kind the notebooks need, all in the package style.

Every function returns a :class:`matplotlib.figure.Figure` of the fixed size :data:`FIGSIZE` (10 x 5.625 in,
16:9), drawn in the ``seller_insurance.publish.styles.slides`` style whatever the caller's current style is.
:func:`save_figure` writes it as PNG (:data:`DPI` = 200 -> exactly 2000 x 1125 px) and SVG at that same size
(never a tight bounding box, so every chart fills the same slide area).

Conventions (see ``docs/charts-and-slides.md``):

- ``title`` states the finding with its computed number; the caller passes it in (numbers come from the analysis,
  never typed here). Long titles and category labels are wrapped, never cut off.
- ``value_format`` is a :meth:`str.format` template such as ``"{:,.0f}"``, ``"${:,.0f}"`` or ``"{:.1%}"`` (or any
  callable ``value -> str``); it formats the direct labels and the value-axis ticks.
- Direct labels instead of legends: values on bars, series names at line ends, a coloured key above the plot
  only where several series share a bar.
- ``footnote`` (data source, parameters) sits at the bottom left in space reserved for it (:func:`footnote`).
- Missing values (NaN) in the plotted columns raise :class:`ValueError` naming the category: nothing is dropped
  silently.
"""

from __future__ import annotations

import functools
import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.offsetbox import AnchoredOffsetbox, DrawingArea, HPacker, TextArea
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from seller_insurance.publish.text import percent

#: Dotted name matplotlib (>= 3.7) resolves to ``seller_insurance/styles/slides.mplstyle``.
STYLE: str = "seller_insurance.publish.styles.slides"
#: Figure size in inches (16:9). The deck shows a chart ~8.6 in wide, so 16 pt type reads at ~14 pt on a slide.
FIGSIZE: tuple[float, float] = (10.0, 5.625)
#: PNG resolution: 10 x 5.625 in at 200 dpi = 2000 x 1125 px.
DPI: int = 200
#: Okabe-Ito colours in the order the style's colour cycle uses them.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
#: PNG text key holding the share of the image height taken by the title (see :func:`save_figure`).
TITLE_CROP_KEY: str = "seller-insurance:title-crop"
#: PNG text key holding the figure title (line breaks as spaces), so the deck can tell a duplicate title.
TITLE_TEXT_KEY: str = "seller-insurance:title"
#: File-stem suffix of the copy of a chart drawn without its title, for a slide whose title states the finding.
SLIDE_SUFFIX: str = ".slide"
#: Colour of non-highlighted bars and of reference lines.
MUTED: str = "#BBBBBB"
REFERENCE_COLOR: str = "#D55E00"

TITLE_SIZE = 20  # pt; matches figure.titlesize in the style
TICK_SIZE = 15  # pt; matches xtick/ytick.labelsize in the style
FOOTNOTE_SIZE = 12  # pt
LABEL_SIZE = 15  # pt, direct value labels
TITLE_WRAP = 66  # characters per title line at 20 pt bold on a 10 in canvas
FOOTNOTE_WRAP = 118  # characters per footnote line at 12 pt
CATEGORY_WRAP = 24  # characters per category label line (horizontal bars)
# Plot area left on the fixed canvas once title, footnote and axis labels are placed (pt, a conservative estimate)
# and the average glyph width as a fraction of the font size: used to size labels so they never collide.
_PLOT_HEIGHT_PT = 280.0
_PLOT_WIDTH_PT = 600.0
_CHAR_EM = 0.55

ValueFormat = str | Callable[[float], str]

__all__ = [
    "DPI",
    "FIGSIZE",
    "NOTHING_TO_SHOW",
    "PALETTE",
    "SLIDE_SUFFIX",
    "STYLE",
    "TITLE_CROP_KEY",
    "TITLE_TEXT_KEY",
    "PercentTicks",
    "bar_chart",
    "footnote",
    "grouped_bar_chart",
    "heatmap",
    "histogram",
    "interval_chart",
    "line_chart",
    "nothing_to_show",
    "save_figure",
    "stacked_share_chart",
    "title_crop_share",
    "use_style",
]


def use_style() -> None:
    """Make the package style the current matplotlib style (for notebooks; chart functions apply it themselves)."""
    plt.style.use(STYLE)


def _styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a chart function inside the package style, so its figure looks the same whatever style is active."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with plt.style.context(STYLE):
            return func(*args, **kwargs)

    return wrapper


# --- empty data -------------------------------------------------------------------------------------------------

NOTHING_TO_SHOW = (
    "Nothing to chart: the data have no rows for this figure (for example nobody newly required or required "
    "earlier, no claims, or a single site or month)."
)


def _nothing(data: object, columns: Sequence[str] = ()) -> bool:
    """True if ``data`` has no rows, or every value of every column in ``columns`` is missing (NaN)."""
    if data is None or len(data) == 0:  # type: ignore[arg-type]
        return True
    if columns and isinstance(data, pd.DataFrame):
        present = [c for c in columns if c in data.columns]
        if present and bool(data[present].apply(pd.to_numeric, errors="coerce").isna().all().all()):
            return True
    return False


@_styled
def nothing_to_show(title: str, text: str | None = None, *, footnote: str | None = None) -> Figure:
    """A figure with the title and a sentence instead of a chart (empty groups, one-sided or tiny data).

    Every chart helper returns this when it gets no rows (or only missing values), so a notebook publishes a
    figure that says what it cannot show rather than crashing. ``text`` defaults to :data:`NOTHING_TO_SHOW`.
    """
    fig = plt.figure(figsize=FIGSIZE)
    fig.text(
        0.5,
        0.5,
        _wrap(text or NOTHING_TO_SHOW, 70),
        ha="center",
        va="center",
        fontsize=LABEL_SIZE + 2,
        color="#444444",
    )
    return _finish(fig, title, footnote)


# --- small helpers ----------------------------------------------------------------------------------------------


def _wrap(text: str, width: int) -> str:
    """Wrap ``text`` to lines of at most ``width`` characters, keeping explicit line breaks."""
    return "\n".join(
        textwrap.fill(part, width=width, break_long_words=False, break_on_hyphens=True) or part
        for part in str(text).split("\n")
    )


def _formatter(value_format: ValueFormat) -> Callable[[float], str]:
    if callable(value_format):
        return value_format
    return value_format.format


_TRAILING_ZEROS = re.compile(r"(\d)\.(\d*?)0+(?!\d)")


def _strip_zeros(text: str) -> str:
    """Tick labels without meaningless zeros: "2.00%" -> "2%", "2.50%" -> "2.5%", "$1,000" unchanged."""
    return _TRAILING_ZEROS.sub(lambda m: m.group(1) + (f".{m.group(2)}" if m.group(2) else ""), text)


def _tick_formatter(value_format: ValueFormat) -> FuncFormatter:
    """Ticks in the labels' format, minus trailing decimal zeros (the direct labels keep the full format)."""
    fmt = _formatter(value_format)
    return FuncFormatter(lambda v, _pos: _strip_zeros(fmt(v)))


class PercentTicks(Formatter):
    """Shares in [0, 1] as percentages with as many decimals as the ticks need, the same on every tick.

    Ticks 0.80, 0.805, 0.81 read "80.0%, 80.5%, 81.0%"; ticks 0.2, 0.4 read "20%, 40%" (matplotlib's
    ``PercentFormatter(decimals=None)`` wrote "80.00% 80.50%" on a narrow axis). At most 3 decimals.
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The label of one tick ``x`` (``pos`` unused), formatted on its own."""
        return self.format_ticks([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        """Labels of all ``values``, each with the fewest decimals (0 to 3) that show every tick exactly."""
        pcts = [float(v) * 100 for v in values]
        for decimals in range(4):
            if all(abs(round(p, decimals) - p) < 1e-9 * max(1.0, abs(p)) for p in pcts):
                break
        return [percent(p / 100, decimals) for p in pcts]


def _percent_axis(axis: Any) -> None:
    """Shares in [0, 1] as percentages on round ticks (1, 2, 5 x 10^k: never a 77.5% shown as "78%")."""
    axis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10]))
    axis.set_major_formatter(PercentTicks())


def _column(data: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """Column ``column`` of ``data`` as float64; a clear error if it is missing or has NaN."""
    if column not in data.columns:
        raise ValueError(
            f"{what}: column {column!r} not in data (columns: {', '.join(map(str, data.columns))})"
        )
    return pd.to_numeric(data[column], errors="raise").to_numpy(dtype="float64")


def _check_finite(values: np.ndarray, labels: Sequence[object], column: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        names = ", ".join(repr(str(labels[i])) for i in np.flatnonzero(bad)[:5])
        raise ValueError(
            f"column {column!r} has missing or infinite values for {names}; drop or fill them first"
        )


def _categories(data: pd.DataFrame, category: str, horizontal: bool = True) -> CategoryLabels:
    if category not in data.columns:
        raise ValueError(f"column {category!r} not in data (columns: {', '.join(map(str, data.columns))})")
    return _category_labels([str(c) for c in data[category]], horizontal)


class CategoryLabels(NamedTuple):
    """Category tick labels laid out for the space each category gets: wrapped text, size (pt), rotation."""

    labels: list[str]
    size: float
    rotation: float
    room_pt: float  # height (horizontal) or width (vertical) of one category's slot


def _category_labels(names: list[str], horizontal: bool) -> CategoryLabels:
    """Wrap and size category labels so neighbours never overlap (estimate from the fixed plot area).

    Horizontal bars: a label may use as many lines as its row holds; with many rows the type shrinks (not below
    9 pt) and labels stay on one line. Vertical bars: the type shrinks until the longest word fits the column;
    if even 11 pt does not fit in four lines, labels go on one line each, rotated 40 degrees.
    """
    n = max(len(names), 1)
    if horizontal:
        row = _PLOT_HEIGHT_PT / n
        size = float(TICK_SIZE) if row >= 22 else max(9.0, row / 1.45)
        lines = max(1, int(row // (size * 1.2)))
        width = CATEGORY_WRAP if lines >= 2 else 40
        return CategoryLabels([_wrap(x, width) for x in names], size, 0.0, row)
    col = _PLOT_WIDTH_PT / n
    longest_word = max((len(w) for x in names for w in x.split()), default=1)
    for size in (15.0, 14.0, 13.0, 12.0, 11.0):
        width = int(col / (size * _CHAR_EM))
        if width >= longest_word:
            labels = [_wrap(x, width) for x in names]
            if max((label.count("\n") for label in labels), default=0) <= 3:
                return CategoryLabels(labels, size, 0.0, col)
    return CategoryLabels([_wrap(x, 60) for x in names], 11.0, 40.0, col)  # one line each when rotated


def _fit_size(
    text_chars: int, room_pt: float, *, largest: float = LABEL_SIZE, smallest: float = 9.0
) -> float:
    """Font size at which ``text_chars`` characters fit ``room_pt`` points (estimate), within [smallest, largest]."""
    return float(min(largest, max(smallest, room_pt / (max(text_chars, 1) * _CHAR_EM))))


def _new_figure() -> tuple[Figure, Any]:
    fig = plt.figure(figsize=FIGSIZE)
    ax = fig.add_subplot()
    return fig, ax


def _title(fig: Figure, title: str) -> None:
    """The finding, left-aligned at the top of the figure, wrapped to the canvas width."""
    fig.suptitle(_wrap(title, TITLE_WRAP), x=0.012, ha="left", fontsize=TITLE_SIZE, fontweight="bold")


def _resolved_font() -> str:
    """Name of the installed font the current style's sans-serif list resolves to (e.g. Liberation Sans)."""
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    return font_manager.get_font(path).family_name


def _finish(fig: Figure, title: str, note: str | None) -> Figure:
    _title(fig, title)
    if note:
        footnote(fig, note)
    # Fix what matplotlib would otherwise resolve from the caller's rcParams at draw time (outside the style):
    # the concrete font list, and "$50k to $250k" as text rather than mathtext.
    family = _resolved_font()
    for text in fig.findobj(Text):
        text.set_parse_math(False)
        text.set_fontfamily(family)
    return fig


def _text_color_on(face: object) -> str:
    """Black or white, whichever reads better on the colour ``face`` (WCAG relative luminance)."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in mcolors.to_rgb(face))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Contrast with white (1.05 / (L + 0.05)) beats contrast with black ((L + 0.05) / 0.05) below L ~ 0.179.
    return "white" if luminance < 0.179 else "black"


def _series_key(ax: Any, labels: Sequence[str], colors: Sequence[str]) -> None:
    """A coloured key (swatch + name per series) just above the plot: a direct label, not a boxed legend."""
    items = []
    for label, color in zip(labels, colors, strict=True):
        swatch = DrawingArea(14, 14, 0, 0)
        swatch.add_artist(Rectangle((0, 0), 14, 14, facecolor=color, edgecolor="none"))
        items.append(
            HPacker(children=[swatch, TextArea(label, textprops={"fontsize": LABEL_SIZE})], pad=0, sep=6)
        )
    key = AnchoredOffsetbox(
        loc="lower left",
        child=HPacker(children=items, pad=0, sep=24),
        frameon=False,
        pad=0,
        borderpad=0.3,
        bbox_to_anchor=(0, 1.0),
        bbox_transform=ax.transAxes,
    )
    ax.add_artist(key)


def _value_limits(lo: float, hi: float, pad: float = 0.16) -> tuple[float, float]:
    """Axis limits that include 0 and leave room (``pad`` of the span) for direct labels beyond the bar ends."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if lo == hi == 0.0:  # every value is 0 (a one-sided user dataset): a unit axis, not a singular one
        return (0.0, 1.0)
    span = hi - lo
    return (lo - pad * span if lo < 0 else 0.0, hi + pad * span if hi > 0 else 0.0)


def _category_axis(
    ax: Any, positions: np.ndarray, cats: CategoryLabels, horizontal: bool, label: str | None = None
) -> None:
    n = len(cats.labels)
    if label:
        (ax.set_ylabel if horizontal else ax.set_xlabel)(label)
    if horizontal:
        ax.set_yticks(positions, cats.labels)
        ax.set_ylim(n - 0.5, -0.5)  # first category on top
        ax.tick_params(axis="y", length=0, labelsize=cats.size)
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xticks(positions, cats.labels)
        ax.set_xlim(-0.5, n - 0.5)
        ax.tick_params(axis="x", length=0, labelsize=cats.size)
        ax.grid(axis="x", visible=False)
        if cats.rotation:
            for label in ax.get_xticklabels():
                label.set_rotation(cats.rotation)
                label.set_ha("right")
                label.set_rotation_mode("anchor")


# --- footnote and saving ----------------------------------------------------------------------------------------


def footnote(fig: Figure, text: str) -> Figure:
    """Put the source/parameter footnote at the bottom left, in space reserved below the plot.

    The text is wrapped to the canvas width; the constrained-layout area shrinks by the footnote's height, so the
    axes, tick labels and axis labels are laid out above it and never overlap it. Calling it again replaces the
    previous footnote. Returns ``fig``.
    """
    for old in [t for t in fig.texts if t.get_gid() == "footnote"]:
        old.remove()
    wrapped = _wrap(text, FOOTNOTE_WRAP)
    n_lines = wrapped.count("\n") + 1
    height_in = (n_lines * FOOTNOTE_SIZE * 1.25 + 8) / 72  # line height 1.25 em + 8 pt gap above
    bottom = height_in / fig.get_figheight()
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, bottom, 1, 1 - bottom))
    fig.text(
        0.012,
        4 / 72 / fig.get_figheight(),  # 4 pt above the bottom edge
        wrapped,
        ha="left",
        va="bottom",
        fontsize=FOOTNOTE_SIZE,
        color="#555555",
        linespacing=1.25,
        gid="footnote",
    )
    return fig


def save_figure(fig: Figure, name: str, out_dir: str | Path, *, slide_copy: bool = True) -> dict[str, Path]:
    """Write ``out_dir/name.png`` (200 dpi, 2000 x 1125 px) and ``out_dir/name.svg`` at the figure's fixed size.

    With ``slide_copy`` (default) and a titled figure, also ``out_dir/name.slide.png`` (:data:`SLIDE_SUFFIX`):
    the same chart drawn without its title, the plot taking the freed space, for a slide whose own title states
    the finding (the deck uses it, so no title is shown twice). The returned dict has it as ``"slide_png"``.

    No tight bounding box: the saved canvas is exactly ``FIGSIZE``. Metadata that changes between runs (the SVG
    date) is left out, so the same figure gives the same bytes. The PNG carries two text chunks:
    :data:`TITLE_CROP_KEY`, the share of the image height, from the top, taken by the figure title, and
    :data:`TITLE_TEXT_KEY`, the title; the deck crops that band off when the slide's title is the same finding
    (never when the chart's title says something the slide does not). Creates ``out_dir``. Returns
    ``{"png": path, "svg": path}``.
    """
    if not name or Path(name).name != name or name.endswith((".png", ".svg")):
        raise ValueError(f"figure name must be a bare file stem like 'rules_by_band', got {name!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"png": out / f"{name}.png", "svg": out / f"{name}.svg"}
    with plt.style.context(STYLE):
        metadata = {"Software": None}
        crop = title_crop_share(fig)
        if crop is not None:
            metadata[TITLE_CROP_KEY] = f"{crop:.4f}"
            metadata[TITLE_TEXT_KEY] = " ".join(fig.get_suptitle().split())
        fig.savefig(paths["png"], dpi=DPI, format="png", metadata=metadata)
        fig.savefig(paths["svg"], format="svg", metadata={"Date": None})
        title = fig._suptitle  # no public getter for the artist (see title_crop_share)
        if slide_copy and crop is not None and title is not None:
            paths["slide_png"] = out / f"{name}{SLIDE_SUFFIX}.png"
            title.set_visible(False)
            title.set_in_layout(False)  # constrained layout gives the title's band to the plot
            try:
                fig.savefig(paths["slide_png"], dpi=DPI, format="png", metadata={"Software": None})
            finally:
                title.set_visible(True)
                title.set_in_layout(True)
    return paths


def title_crop_share(fig: Figure) -> float | None:
    """Share of the figure's height, from the top edge down to just below the title; None without a title."""
    title = fig._suptitle  # matplotlib keeps the suptitle here; there is no public getter for the artist
    if title is None or not title.get_text():
        return None
    fig.canvas.draw()  # the layout (and so the title's place) is final only once drawn
    bottom = title.get_window_extent(fig.canvas.get_renderer()).y0
    # Keep a few points of space: crop to 3 pt below the title's descenders.
    return float(min(max((fig.bbox.height - bottom + 3 * fig.dpi / 72) / fig.bbox.height, 0.0), 0.5))


# --- chart kinds ------------------------------------------------------------------------------------------------


@_styled
def bar_chart(
    data: pd.DataFrame,
    category: str,
    value: str,
    *,
    title: str,
    value_label: str,
    footnote: str | None = None,
    horizontal: bool = True,
    value_format: ValueFormat = "{:,.0f}",
    highlight: object | Sequence[object] | None = None,
    category_label: str | None = None,
) -> Figure:
    """One bar per row of ``data``, in row order (first row on top), each labelled with its value; no legend.

    ``value_label`` names the value axis with its unit (e.g. "sellers", "USD"). ``highlight``: a category (or
    several) drawn in the accent colour while the others are grey; ``None`` draws every bar in the accent colour.
    ``category_label`` names the category axis when the categories need a unit (e.g. "months earlier").
    """
    if _nothing(data, [value]):
        return nothing_to_show(title, footnote=footnote)
    cats = _categories(data, category, horizontal)
    values = _column(data, value, "bar_chart")
    _check_finite(values, list(data[category]), value)
    colors = [PALETTE[0]] * len(values)
    if highlight is not None:
        wanted = {str(h) for h in ([highlight] if isinstance(highlight, str | int | float) else highlight)}
        colors = [PALETTE[0] if str(c) in wanted else MUTED for c in data[category]]
    fmt = _formatter(value_format)
    fig, ax = _new_figure()
    pos = np.arange(len(values))
    if horizontal:
        bars = ax.barh(pos, values, height=0.68, color=colors)
        ax.set_xlim(*_value_limits(np.min(values, initial=0), np.max(values, initial=0)))
        ax.xaxis.set_major_formatter(_tick_formatter(value_format))
        ax.set_xlabel(value_label)
    else:
        bars = ax.bar(pos, values, width=0.68, color=colors)
        ax.set_ylim(*_value_limits(np.min(values, initial=0), np.max(values, initial=0), pad=0.12))
        ax.yaxis.set_major_formatter(_tick_formatter(value_format))
        ax.set_ylabel(value_label)
    _category_axis(ax, pos, cats, horizontal, category_label)
    texts = [fmt(v) for v in values]
    size, rotation = cats.size, 0.0
    if not horizontal:
        longest = max(map(len, texts))
        size = _fit_size(longest, 0.95 * cats.room_pt, smallest=1.0)
        if size < 10:  # too many bars to write values side by side: write them upwards
            size, rotation = min(float(LABEL_SIZE), max(8.0, 0.8 * cats.room_pt / 1.25)), 90.0
            top = np.max(values, initial=0)
            # room above the tallest bar for its upright label (estimate as a share of the axes height)
            ax.set_ylim(top=top * (1 + 1.3 * longest * size * _CHAR_EM / _PLOT_HEIGHT_PT))
    ax.bar_label(bars, labels=texts, padding=5, fontsize=size, color="#222222", rotation=rotation)
    return _finish(fig, title, footnote)


@_styled
def grouped_bar_chart(
    data: pd.DataFrame,
    category: str,
    series: Mapping[str, str],
    *,
    title: str,
    value_label: str,
    footnote: str | None = None,
    horizontal: bool = True,
    value_format: ValueFormat = "{:,.0f}",
    category_label: str | None = None,
) -> Figure:
    """Side-by-side bars per category, one bar per series (``{label: column}``), each labelled with its value.

    E.g. newly affected vs accelerated sellers by size band. Series colours follow the palette in order; a
    coloured key above the plot names them (no boxed legend). ``category_label`` names the category axis.
    """
    if _nothing(data, list(series.values())):
        return nothing_to_show(title, footnote=footnote)
    if not series:
        raise ValueError("grouped_bar_chart: series is empty; pass {label: column}")
    cats = _categories(data, category, horizontal)
    labels = cats.labels
    columns = {label: _column(data, col, "grouped_bar_chart") for label, col in series.items()}
    for (_label, vals), col in zip(columns.items(), series.values(), strict=True):
        _check_finite(vals, list(data[category]), col)
    k = len(columns)
    fmt = _formatter(value_format)
    thickness = 0.8 / k
    longest = max(len(fmt(v)) for vals in columns.values() for v in vals)
    if horizontal:  # each bar gets 0.8/k of the row's height
        label_size = min(float(LABEL_SIZE), max(8.0, 0.8 * cats.room_pt / k / 1.25))
    else:  # and 0.8/k of the column's width
        label_size = _fit_size(longest, 0.8 * cats.room_pt / k, smallest=8.0)
    fig, ax = _new_figure()
    pos = np.arange(len(labels))
    all_values = np.concatenate(list(columns.values()))
    limits = _value_limits(np.min(all_values, initial=0), np.max(all_values, initial=0), pad=0.18)
    for i, (_label, vals) in enumerate(columns.items()):
        offset = (i - (k - 1) / 2) * thickness
        if horizontal:
            bars = ax.barh(pos + offset, vals, height=thickness * 0.92, color=PALETTE[i % len(PALETTE)])
        else:
            bars = ax.bar(pos + offset, vals, width=thickness * 0.92, color=PALETTE[i % len(PALETTE)])
        ax.bar_label(bars, labels=[fmt(v) for v in vals], padding=4, fontsize=label_size, color="#222222")
    if horizontal:
        ax.set_xlim(*limits)
        ax.xaxis.set_major_formatter(_tick_formatter(value_format))
        ax.set_xlabel(value_label)
    else:
        ax.set_ylim(*limits)
        ax.yaxis.set_major_formatter(_tick_formatter(value_format))
        ax.set_ylabel(value_label)
    _category_axis(ax, pos, cats, horizontal, category_label)
    _series_key(ax, list(columns), [PALETTE[i % len(PALETTE)] for i in range(k)])
    return _finish(fig, title, footnote)


def _spread(y: np.ndarray, min_gap: float, lo: float, hi: float) -> np.ndarray:
    """Move label positions apart so neighbours are at least ``min_gap`` apart, staying inside [lo, hi]."""
    order = np.argsort(y)
    placed = y[order].astype(float)
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + min_gap)
    overflow = placed[-1] - hi if len(placed) else 0
    if overflow > 0:
        placed -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - min_gap)
    placed = np.maximum(placed, lo)
    out = np.empty_like(placed)
    out[order] = placed
    return out


@_styled
def line_chart(
    data: pd.DataFrame,
    x: str,
    series: Mapping[str, str],
    *,
    title: str,
    ylabel: str,
    footnote: str | None = None,
    x_is_month: bool = True,
    vline: tuple[object, str] | object | None = None,
    value_format: ValueFormat = "{:,.0f}",
    xlabel: str | None = None,
    y_from_zero: bool = True,
    x_format: ValueFormat | None = None,
) -> Figure:
    """One line per series (``{label: column}``) over ``x``, each named with its last value at its right end.

    ``x_is_month``: ``x`` holds calendar months (datetime64 at the first of the month, or "YYYY-MM" strings) and
    the axis shows concise month/year ticks. ``vline``: ``(x_value, text)`` draws a dashed marker with a label,
    e.g. ``("2021-09", "single-month rule starts")``. ``y_from_zero`` starts the value axis at 0 when every
    value is >= 0. For a numeric ``x`` (``x_is_month=False``), ``x_format`` formats its ticks (e.g. ``"${:,.0f}"``)
    and ``xlabel`` names it with its unit. NaN values leave gaps; a series that is all NaN raises ValueError.
    """
    if _nothing(data):  # rows whose series are all missing stay an error (a wrong column, not no data)
        return nothing_to_show(title, footnote=footnote)
    if not series:
        raise ValueError("line_chart: series is empty; pass {label: column}")
    if x not in data.columns:
        raise ValueError(f"line_chart: column {x!r} not in data")
    xs = pd.to_datetime(data[x]) if x_is_month else data[x]
    xs_arr = np.asarray(xs)
    fmt = _formatter(value_format)
    fig, ax = _new_figure()
    ends: list[tuple[str, float, float, str]] = []
    for i, (label, col) in enumerate(series.items()):
        vals = _column(data, col, "line_chart")
        valid = np.flatnonzero(np.isfinite(vals))
        if len(valid) == 0:
            raise ValueError(f"line_chart: series {label!r} (column {col!r}) has no values")
        color = PALETTE[i % len(PALETTE)]
        ax.plot(xs_arr, vals, color=color)
        last = valid[-1]
        ends.append((label, float(vals[last]), float(vals[last]), color))
    all_vals = np.concatenate([_column(data, c, "line_chart") for c in series.values()])
    if y_from_zero and np.nanmin(all_vals) >= 0:
        ax.set_ylim(bottom=0)
    ax.set_ylim(top=ax.get_ylim()[1] + 0.04 * (ax.get_ylim()[1] - ax.get_ylim()[0]))
    ax.margins(x=0.01)
    ylo, yhi = ax.get_ylim()
    label_texts = [f"{_wrap(label, 18)}\n{fmt(val)}" for label, val, _, _ in ends]
    max_lines = max(t.count("\n") + 1 for t in label_texts)
    gap = 0.075 * max_lines * (yhi - ylo)
    placed = _spread(np.array([e[1] for e in ends]), gap, ylo, yhi)
    for (_label, _val, _, color), text, y in zip(ends, label_texts, placed, strict=True):
        ax.annotate(
            text,
            xy=(1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            color=color,
            fontsize=LABEL_SIZE,
            fontweight="bold",
            annotation_clip=False,
        )
    if vline is not None:
        vx, vtext = vline if isinstance(vline, tuple) else (vline, "")
        vx_val = pd.Timestamp(vx) if x_is_month else vx
        ax.axvline(vx_val, color="#444444", linestyle="--", linewidth=1.5, zorder=1)
        if vtext:
            ax.annotate(
                _wrap(vtext, 26),
                xy=(vx_val, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(6, -4),
                textcoords="offset points",
                va="top",
                ha="left",
                fontsize=LABEL_SIZE - 1,
                color="#333333",
                bbox={
                    "boxstyle": "square,pad=0.15",
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.85,
                },
            )
    if x_is_month:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    elif x_format is not None:
        ax.xaxis.set_major_formatter(_tick_formatter(x_format))
    ax.yaxis.set_major_formatter(_tick_formatter(value_format))
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.grid(axis="x", visible=False)
    return _finish(fig, title, footnote)


@_styled
def interval_chart(
    data: pd.DataFrame,
    category: str,
    estimate: str,
    low: str,
    high: str,
    *,
    title: str,
    value_label: str,
    footnote: str | None = None,
    reference: tuple[float, str] | float | None = None,
    as_percent: bool = True,
    value_format: ValueFormat | None = None,
) -> Figure:
    """A point with an interval bar per category (first row on top), the estimate written beside it.

    E.g. the share of claims of $1,000 or less by category with its 95% interval. ``reference``:
    ``(value, text)`` draws a dashed reference line, e.g. ``(0.80, "Amazon: more than 80%")``. ``as_percent``:
    the values are shares in [0, 1] shown as percentages. Requires ``low <= estimate <= high`` in every row.
    """
    if _nothing(data, [estimate]):
        return nothing_to_show(title, footnote=footnote)
    cats = _categories(data, category)
    labels = cats.labels
    est, lo, hi = (_column(data, c, "interval_chart") for c in (estimate, low, high))
    names = list(data[category])
    for arr, col in ((est, estimate), (lo, low), (hi, high)):
        _check_finite(arr, names, col)
    wrong = np.flatnonzero((lo > est) | (est > hi))
    if len(wrong):
        raise ValueError(
            f"interval_chart: need {low} <= {estimate} <= {high}; not so for {names[wrong[0]]!r}"
        )
    if value_format is None:
        value_format = "{:.0%}" if as_percent else "{:,.2f}"
    fmt = _formatter(value_format)
    fig, ax = _new_figure()
    pos = np.arange(len(labels))
    ax.errorbar(
        est,
        pos,
        xerr=np.vstack([est - lo, hi - est]),
        fmt="o",
        color=PALETTE[0],
        markersize=10,
        elinewidth=3,
        capsize=6,
        capthick=2,
    )
    for x_hi, y, e in zip(hi, pos, est, strict=True):
        ax.annotate(
            fmt(e),
            xy=(x_hi, y),
            xytext=(10, 0),
            textcoords="offset points",
            va="center",
            fontsize=cats.size,
            color="#222222",
        )
    ref_value, ref_text = (
        (reference if isinstance(reference, tuple) else (reference, "")) if reference else (None, "")
    )
    span_lo = min(lo.min(), ref_value if ref_value is not None else lo.min())
    span_hi = max(hi.max(), ref_value if ref_value is not None else hi.max())
    span = (span_hi - span_lo) or 1.0
    ax.set_xlim(span_lo - 0.08 * span, span_hi + 0.2 * span)
    if ref_value is not None:
        ax.axvline(ref_value, color=REFERENCE_COLOR, linestyle="--", linewidth=2, zorder=1)
        if ref_text:
            ax.annotate(
                _wrap(ref_text, 30),
                xy=(ref_value, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=LABEL_SIZE - 1,
                color=REFERENCE_COLOR,
                fontweight="bold",
            )
    if as_percent:
        _percent_axis(ax.xaxis)
    else:
        ax.xaxis.set_major_formatter(_tick_formatter(value_format))
    ax.set_xlabel(value_label)
    _category_axis(ax, pos, cats, horizontal=True)
    return _finish(fig, title, footnote)


@_styled
def stacked_share_chart(
    data: pd.DataFrame,
    category: str,
    parts: Mapping[str, str],
    *,
    title: str,
    footnote: str | None = None,
    value_label: str = "share of total (%)",
    min_label_share: float = 0.05,
    total_format: ValueFormat | None = None,
) -> Figure:
    """100% stacked horizontal bars: each row's parts (``{label: column}``) as shares of the row total.

    E.g. claim dollars by payer (Amazon, insurer, seller) under the old vs new rule. Each segment of at least
    ``min_label_share`` is labelled inside with its percentage (text colour chosen for contrast); a coloured key
    above the plot names the parts. ``total_format`` (e.g. ``"${:,.0f}"``) writes each row's total at its right
    end. Parts must be >= 0 and every row total > 0.
    """
    if _nothing(data, list(parts.values())):
        return nothing_to_show(title, footnote=footnote)
    if not parts:
        raise ValueError("stacked_share_chart: parts is empty; pass {label: column}")
    cats = _categories(data, category)
    labels = cats.labels
    names = list(data[category])
    values = np.column_stack([_column(data, col, "stacked_share_chart") for col in parts.values()])
    for j, col in enumerate(parts.values()):
        _check_finite(values[:, j], names, col)
        if (values[:, j] < 0).any():
            raise ValueError(f"stacked_share_chart: column {col!r} has negative values")
    totals = values.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError(f"stacked_share_chart: row {names[int(np.argmin(totals))]!r} has a total of 0")
    shares = values / totals[:, None]
    fig, ax = _new_figure()
    pos = np.arange(len(labels))
    left = np.zeros(len(labels))
    colors = [PALETTE[j % len(PALETTE)] for j in range(len(parts))]
    segment_size = min(float(LABEL_SIZE), max(8.0, 0.62 * cats.room_pt / 1.3))
    for j in range(len(parts)):
        ax.barh(pos, shares[:, j], left=left, height=0.62, color=colors[j])
        text_color = _text_color_on(colors[j])
        for y, (x0, s) in enumerate(zip(left, shares[:, j], strict=True)):
            if s >= min_label_share:
                ax.text(
                    x0 + s / 2,
                    y,
                    f"{s:.0%}",
                    ha="center",
                    va="center",
                    fontsize=segment_size,
                    color=text_color,
                    fontweight="bold",
                )
        left = left + shares[:, j]
    if total_format is not None:
        tfmt = _formatter(total_format)
        for y, t in enumerate(totals):
            ax.annotate(
                tfmt(t),
                xy=(1.0, y),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=LABEL_SIZE,
                color="#222222",
                annotation_clip=False,
            )
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.set_xlabel(value_label)
    _category_axis(ax, pos, cats, horizontal=True)
    ax.grid(axis="x", visible=False)
    _series_key(ax, list(parts), colors)
    return _finish(fig, title, footnote)


@_styled
def heatmap(
    grid: pd.DataFrame,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    footnote: str | None = None,
    value_format: ValueFormat = "{:,.0f}",
    cmap: str = "cividis",
    colorbar_label: str | None = None,
    annotate: bool | None = None,
) -> Figure:
    """Colour-coded grid (rows x columns of ``grid``) with each cell's value written in it.

    E.g. sellers newly required by threshold x window length. ``cmap`` should be a colour-blind-safe sequential
    map (default cividis). Cell text is black or white, whichever contrasts with the cell. ``annotate`` defaults
    to True when the values fit their cells at 9 pt or more. NaN cells are light grey and marked "n/a". With
    more than 12 columns only every k-th column is labelled.
    """
    if _nothing(grid) or bool(grid.isna().all().all()):
        return nothing_to_show(title, footnote=footnote)
    if grid.empty:
        raise ValueError("heatmap: grid is empty")
    arr = grid.to_numpy(dtype="float64")
    fig, ax = _new_figure()
    cm = plt.get_cmap(cmap).with_extremes(bad="#EEEEEE")
    im = ax.imshow(np.ma.masked_invalid(arr), aspect="auto", cmap=cm, interpolation="nearest")
    n_rows, n_cols = arr.shape
    rows = _category_labels([str(r) for r in grid.index], horizontal=True)
    ax.set_yticks(np.arange(n_rows), rows.labels)
    ax.tick_params(axis="y", labelsize=rows.size)
    # Columns: at most 12 labelled (every k-th), rotated only if they would not fit side by side.
    step = math.ceil(n_cols / 12)
    col_names = [str(c) if i % step == 0 else "" for i, c in enumerate(grid.columns)]
    slot = 0.92 * _PLOT_WIDTH_PT / n_cols * step
    longest = max(len(c) for c in col_names)
    ax.set_xticks(np.arange(n_cols), [_wrap(c, 12) for c in col_names])
    if min(longest, 12) * TICK_SIZE * _CHAR_EM > slot:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_ha("right")
            label.set_rotation_mode("anchor")
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fmt = _formatter(value_format)
    texts = [[fmt(v) if np.isfinite(v) else "n/a" for v in row] for row in arr]
    # Cell text must fit the cell: width from the longest text, height from the row.
    cell_w, cell_h = 0.92 * _PLOT_WIDTH_PT / n_cols, _PLOT_HEIGHT_PT / n_rows
    size = min(_fit_size(max(len(t) for row in texts for t in row), 0.9 * cell_w, smallest=1.0), cell_h / 1.4)
    if annotate is None:
        annotate = size >= 9
    if annotate:
        size = max(size, 8.0)
        for (r, c), v in np.ndenumerate(arr):
            color = _text_color_on(cm(im.norm(v))) if np.isfinite(v) else "#555555"
            ax.text(c, r, texts[r][c], ha="center", va="center", fontsize=size, color=color)
    cbar = fig.colorbar(im, ax=ax, pad=0.02, aspect=25)
    cbar.outline.set_visible(False)
    cbar.ax.yaxis.set_major_formatter(_tick_formatter(value_format))
    if colorbar_label:
        cbar.set_label(colorbar_label)
    return _finish(fig, title, footnote)


@_styled
def histogram(
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    bins: int | Sequence[float] = 30,
    title: str,
    xlabel: str,
    footnote: str | None = None,
    log_x: bool = False,
    ylabel: str = "sellers",
    value_format: ValueFormat = "{:,.0f}",
    mark_median: bool = False,
) -> Figure:
    """Distribution of ``values`` (e.g. months of lead time, premium as % of sales) as a bar histogram.

    ``log_x``: logarithmic x axis with ``bins`` geometric bins (every value must be > 0). ``ylabel`` is the
    unit counted (default "sellers"). ``mark_median`` draws and labels the median. NaN values raise
    ValueError (drop them explicitly and say so in the footnote).
    """
    if len(values) == 0:
        return nothing_to_show(title, footnote=footnote)
    v = np.asarray(values, dtype="float64")
    if v.size == 0:
        raise ValueError("histogram: no values")
    n_bad = int((~np.isfinite(v)).sum())
    if n_bad:
        raise ValueError(f"histogram: {n_bad} missing or infinite values; drop them first and say so")
    if log_x:
        if (v <= 0).any():
            raise ValueError(f"histogram: log_x needs values > 0; {int((v <= 0).sum())} are <= 0")
        if isinstance(bins, int):
            lo, hi = v.min(), v.max()
            if lo == hi:
                lo, hi = lo / 1.5, hi * 1.5
            bins = np.geomspace(lo, hi, bins + 1)
    fig, ax = _new_figure()
    ax.hist(v, bins=bins, color=PALETTE[0], edgecolor="white", linewidth=0.6)
    if log_x:
        ax.set_xscale("log")
    ax.xaxis.set_major_formatter(_tick_formatter(value_format))
    ax.yaxis.set_major_formatter(_tick_formatter("{:,.0f}"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    if mark_median:
        ax.set_ylim(top=ax.get_ylim()[1] * 1.12)  # headroom for the label above the tallest bars
        med = float(np.median(v))
        ax.axvline(med, color=REFERENCE_COLOR, linestyle="--", linewidth=2)
        ax.annotate(
            f"median {_formatter(value_format)(med)}",
            xy=(med, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(6, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=LABEL_SIZE,
            color=REFERENCE_COLOR,
            fontweight="bold",
        )
    return _finish(fig, title, footnote)


def publish(fig: Figure, name: str, out_dir: str | Path, *, width: int = 960) -> None:
    """Save a figure (:func:`save_figure`), close it, and show the saved PNG in the notebook.

    Notebooks call this instead of relying on the inline backend, so the report shows exactly the image the deck
    uses (also under ``MPLBACKEND=agg``), and the cell prints no file paths. ``width`` is the display width in
    pixels (the PNG itself stays 2000 x 1125).
    """
    from IPython.display import Image, display

    paths = save_figure(fig, name, out_dir)
    plt.close(fig)
    display(Image(filename=str(paths["png"]), width=width))
