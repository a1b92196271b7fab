"""The PowerPoint deck of a report run: ``run_dir/metrics.json`` + the run's chart PNGs -> ``run_dir/slides.pptx``.

A 16:9 deck (13.333 x 7.5 in): a title slide (run name, date, data source), then one slide per entry of
``metrics["slides"]`` with the finding as title, the chart, the key number large beside it with its label, and the
parameters and data source in the slide notes. Every number on a slide comes from a value in ``metrics.json``:
rounded for the slide (:func:`slide_number`: ``$13.7M``, ``6,193``, ``82%``), exact in the speaker notes
(:func:`format_metric` with the metric's ``format`` spec: ``$13,668,923``) with the metric's key and raw value.

Layout decisions (``docs/charts-and-slides.md``): every slide's title is in the layout's *title placeholder*
("Title Slide", "Title Only"), so PowerPoint's outline view and accessibility checker see it; the placeholders
are moved to 16:9 positions here (the default template places them for 4:3, python-pptx #873), other shapes are
text boxes. The chart is the untitled copy ``charts.save_figure`` writes (``<name>.slide.png``), so the finding
is not shown twice; the chart's own title goes to the notes. Font sizes are chosen from the text length with a
conservative width estimate (no ``fit_text``, which needs font files); Arial, which LibreOffice renders with the
metric-compatible Liberation Sans. Text goes through :func:`seller_insurance.publish.text.literal` (``"pptx"``).
The file's bytes depend only on ``metrics.json`` and the figures: the document dates come from ``run.created``
and the zip entries get a fixed timestamp.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from seller_insurance.errors import InputError
from seller_insurance.publish import text as _text
from seller_insurance.publish.charts import SLIDE_SUFFIX, TITLE_CROP_KEY, TITLE_TEXT_KEY

SLIDE_WIDTH_IN = 13.333
SLIDE_HEIGHT_IN = 7.5
FONT = "Arial"
ACCENT = "0072B2"  # Okabe-Ito blue, the charts' first colour
TEXT = "222222"
MUTED = "666666"

# Regions of a figure slide (inches). The chart is ~2/3 of the width; the key number panel is to its right.
MARGIN = 0.45
TITLE_BOX = (MARGIN, 0.3, SLIDE_WIDTH_IN - 2 * MARGIN, 1.25)  # left, top, width, height
CHART_LEFT, CHART_TOP, CHART_WIDTH = 0.35, 1.65, 8.75
CHART_MAX_HEIGHT = 5.0  # down to 6.65 in; a figure taller than 16:9 is scaled to this height instead
PANEL_LEFT = CHART_LEFT + CHART_WIDTH + 0.25
PANEL_WIDTH = SLIDE_WIDTH_IN - PANEL_LEFT - MARGIN + 0.1
FOOTER_BOX = (MARGIN, 6.85, SLIDE_WIDTH_IN - 2 * MARGIN, 0.45)

# Average glyph width of Arial as a fraction of the font size (bold digits/caps are ~0.55-0.6); a little generous
# so the estimate errs towards smaller type rather than overflowing boxes.
_CHAR_EM = {False: 0.52, True: 0.58}
_FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

__all__ = ["SlideSpec", "build_deck", "fit_font_size", "format_metric", "load_metrics", "slide_number"]


@dataclass(frozen=True)
class SlideSpec:
    """One figure slide, validated from an entry of ``metrics["slides"]``."""

    figure: Path  # absolute path of the chart PNG
    title: str
    metric: str | None  # key into metrics["metrics"], or None for a slide without a key number
    notes: str


# --- reading and validating metrics.json ------------------------------------------------------------------------


def load_metrics(run_dir: str | Path) -> dict[str, Any]:
    """Read and validate ``run_dir/metrics.json``; :class:`InputError` (exit 2) naming the problem otherwise.

    Required: ``run`` (an object with ``name``), ``metrics`` (an object of ``{value, label, format}`` objects) and
    ``slides`` (a list of ``{figure, title}`` objects, ``metric`` naming a key of ``metrics`` if present).
    """
    path = Path(run_dir) / "metrics.json"
    if not path.is_file():
        raise InputError("metrics.json not found (run the report first: seller-insurance report)", path=path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", path=path, row=exc.lineno
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path=path) from exc
    if not isinstance(doc, dict):
        raise InputError("top level must be a JSON object with run, metrics and slides", path=path)
    for key, kind in (("run", dict), ("metrics", dict), ("slides", list)):
        if not isinstance(doc.get(key), kind):
            raise InputError(
                f"missing or malformed {key!r} (expected a JSON {kind.__name__})", path=path, column=key
            )
    if not isinstance(doc["run"].get("name"), str) or not doc["run"]["name"]:
        raise InputError("run.name must be a non-empty string", path=path, column="run.name")
    for key, metric in doc["metrics"].items():
        if not isinstance(metric, dict) or not {"value", "label", "format"} <= metric.keys():
            raise InputError("each metric needs value, label and format", path=path, column=f"metrics.{key}")
        format_metric(
            metric, key=key, path=path
        )  # a bad format spec fails here, not half-way through the deck
    for i, entry in enumerate(doc["slides"], start=1):
        where = f"slides[{i - 1}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("figure"), str) or not entry.get("title"):
            raise InputError("each slide needs a figure path and a title", path=path, column=where)
        metric = entry.get("metric")
        if metric is not None and metric not in doc["metrics"]:
            raise InputError(f"metric {metric!r} is not in metrics", path=path, column=f"{where}.metric")
    return doc


def format_metric(metric: Mapping[str, Any], *, key: str = "", path: object = None) -> str:
    """``format(metric["value"], metric["format"])``, e.g. 12345 with ``",.0f"`` -> ``"12,345"``.

    A leading ``$`` is a currency prefix (``"$,.0f"`` -> ``"$13,500,000"``; negative ``"-$1,200"``), the one
    extension of Python's format-spec mini-language. A ``null`` value shows as ``"n/a"``. An unusable spec raises :class:`InputError` naming the metric.
    """
    value, spec = metric.get("value"), str(metric.get("format", ""))
    if value is None:
        return "n/a"
    try:
        if spec.startswith("$"):  # money: "$,.0f" -> "$13,500,000", "-$1,200"
            text = format(abs(value), spec[1:])
            return f"-${text}" if value < 0 else f"${text}"
        return format(value, spec)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"cannot format {value!r} with {spec!r}: {exc}", path=path, column=f"metrics.{key}"
        ) from exc


_PERCENT_SPEC = re.compile(r"^[,_]?(\.\d+)?%$")
_WHOLE_SPEC = re.compile(r"^,?(\.0)?[fd]$")


def slide_number(metric: Mapping[str, Any], *, key: str = "", path: object = None) -> str:
    """A metric rounded for a slide: money short (``$13.7M``), counts whole (``6,193``), shares whole (``82%``).

    Parameters
    ----------
    metric : mapping
        A ``metrics.json`` entry with ``value`` and ``format``.
    key, path : optional
        Named in the :class:`InputError` of an unusable spec.

    Returns
    -------
    str
        ``"$,..."`` specs (US dollars): :func:`text.money` ``style="short"``; percent specs (``".1%"``):
        :func:`text.percent` with whole percents unless that shows 0% or 100% for a share that is neither;
        whole-number specs (``",.0f"``, ``"d"``): :func:`text.count`. Any other spec (``".2f"``, ``".4f"``): as
        :func:`format_metric` writes it. ``"n/a"`` for a null value. The exact figure goes in the notes.
    """
    value, spec = metric.get("value"), str(metric.get("format", ""))
    if value is None:
        return "n/a"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.startswith("$"):
            return _text.money(value, "USD", "short")
        if _PERCENT_SPEC.match(spec):
            return _text.percent(value)
        if _WHOLE_SPEC.match(spec):
            return _text.count(value)
    return format_metric(metric, key=key, path=path)


def _slide_specs(doc: Mapping[str, Any], run_dir: Path) -> list[SlideSpec]:
    specs = []
    for i, entry in enumerate(doc["slides"], start=1):
        figure = (run_dir / entry["figure"]).resolve()
        if not figure.is_file():
            raise InputError(
                f"slides[{i - 1}] ({entry['title']!r}): figure {entry['figure']!r} not found in the run folder",
                path=figure,
            )
        specs.append(
            SlideSpec(figure, str(entry["title"]), entry.get("metric"), str(entry.get("notes") or ""))
        )
    return specs


# --- text helpers -------------------------------------------------------------------------------------------------


def fit_font_size(
    text: str, width_in: float, height_in: float, sizes: tuple[int, ...], *, bold: bool = False
) -> int:
    """Largest size in ``sizes`` (descending) at which ``text`` fits the box by a width estimate; else the smallest.

    Lines needed = words greedily packed at ``_CHAR_EM`` x size per character, 1.2 line height, 0.1 in insets.
    """
    usable_w = (width_in - 0.2) * 72
    usable_h = (height_in - 0.1) * 72
    for size in sizes:
        per_line = max(1, int(usable_w / (_CHAR_EM[bold] * size)))
        lines = 0
        for paragraph in str(text).split("\n"):
            lines += _count_lines(paragraph, per_line)
        if lines * size * 1.2 <= usable_h:
            return size
    return sizes[-1]


def _count_lines(paragraph: str, per_line: int) -> int:
    lines, used = 1, 0
    for word in paragraph.split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if need <= per_line:
            used = need
        else:
            lines += 1 + (len(word) - 1) // per_line
            used = len(word) % per_line or per_line
    return lines


def _fill(
    frame: Any,
    text: str,
    *,
    size: int,
    bold: bool = False,
    color: str = TEXT,
    align: Any = PP_ALIGN.LEFT,
    anchor: Any = MSO_ANCHOR.TOP,
) -> None:
    """Replace a text frame's text: one paragraph per line, in the deck's font, wrapped, never auto-sized."""
    frame.clear()
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = anchor
    for i, line in enumerate(_text.literal(text, "pptx").split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        run.font.name = FONT
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor.from_string(color)


def _text_box(
    slide: Any,
    box: tuple[float, float, float, float],
    text: str,
    *,
    size: int,
    bold: bool = False,
    color: str = TEXT,
    align: Any = PP_ALIGN.LEFT,
    anchor: Any = MSO_ANCHOR.TOP,
) -> Any:
    left, top, width, height = box
    shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    _fill(shape.text_frame, text, size=size, bold=bold, color=color, align=align, anchor=anchor)
    return shape


def _title(slide: Any, box: tuple[float, float, float, float], text: str, **style: Any) -> Any:
    """Put ``text`` in the slide's title placeholder, moved to ``box`` (inches): what outline view reads."""
    shape = slide.shapes.title
    left, top, width, height = box
    shape.left, shape.top, shape.width, shape.height = (
        Inches(left),
        Inches(top),
        Inches(width),
        Inches(height),
    )
    _fill(shape.text_frame, text, **style)
    return shape


def _drop_empty_placeholders(slide: Any) -> None:
    """Remove placeholders left empty (a subtitle): they would show "Click to add text" when edited."""
    for shape in list(slide.placeholders):
        if not shape.has_text_frame or not shape.text_frame.text:
            element = shape.element
            element.getparent().remove(element)


def _parameters_text(run: Mapping[str, Any]) -> str:
    params = run.get("parameters") or {}
    if not isinstance(params, Mapping):
        return f"Parameters: {params}"
    lines = ["Parameters:"]
    lines += [f"  {key}: {json.dumps(value, default=str)}" for key, value in params.items()]
    return "\n".join(lines)


def _run_line(run: Mapping[str, Any]) -> str:
    bits = [f"Run {run['name']}"]
    if run.get("created"):
        bits.append(f"created {run['created']}")
    if run.get("package_version"):
        bits.append(f"seller-insurance {run['package_version']}")
    if run.get("git_commit"):
        bits.append(f"commit {run['git_commit']}")
    return ", ".join(bits)


def _run_date(run: Mapping[str, Any]) -> tuple[str, datetime | None]:
    created = run.get("created")
    if not created:
        return "", None
    try:
        stamp = datetime.fromisoformat(str(created))
    except ValueError:
        return str(created), None
    return stamp.date().isoformat(), stamp


# --- slides -------------------------------------------------------------------------------------------------------


def _layout(prs: Any, name: str) -> Any:
    """The default template's layout called ``name`` ("Title Slide", "Title Only")."""
    for layout in prs.slide_layouts:
        if layout.name == name:
            return layout
    raise LookupError(f"the slide template has no {name!r} layout")  # pragma: no cover - default template


def _title_slide(prs: Any, run: Mapping[str, Any]) -> None:
    slide = prs.slides.add_slide(_layout(prs, "Title Slide"))
    date_text, _ = _run_date(run)
    _text_box(slide, (0.9, 1.5, 11.5, 0.6), "Seller insurance impact", size=24, color=ACCENT, bold=True)
    name = f"Run: {run['name']}"
    _title(
        slide,
        (0.9, 2.15, 11.5, 1.5),
        name,
        bold=True,
        size=fit_font_size(name, 11.5, 1.5, (44, 40, 36, 32, 28), bold=True),
    )
    if date_text:
        _text_box(slide, (0.9, 3.7, 11.5, 0.6), date_text, size=24, color=MUTED)
    source = f"Data: {run.get('data_source') or 'not stated'}"
    _text_box(
        slide,
        (0.9, 4.45, 11.5, 1.6),
        source,
        size=fit_font_size(source, 11.5, 1.6, (20, 18, 16, 14, 12)),
        color=TEXT,
    )
    _text_box(slide, (0.9, 6.5, 11.5, 0.45), _run_line(run), size=12, color=MUTED)
    _drop_empty_placeholders(slide)
    slide.notes_slide.notes_text_frame.text = _text.literal(
        "\n".join(
            [_run_line(run), f"Data source: {run.get('data_source') or 'not stated'}", _parameters_text(run)]
        ),
        "pptx",
    )


def _title_crop(img: Image.Image, slide_title: str) -> float:
    """Share of the PNG's height to crop off the top (0 to keep it whole).

    The chart's own title band (recorded by ``charts.save_figure``) when that title is the slide's title
    (whitespace aside), else 0.
    """
    chart_title = " ".join(str(img.info.get(TITLE_TEXT_KEY, "")).split())
    if not chart_title or chart_title != " ".join(slide_title.split()):
        return 0.0  # no record, or the chart's title adds something: keep it
    try:
        share = float(img.info.get(TITLE_CROP_KEY, 0.0))
    except (TypeError, ValueError):
        return 0.0
    return share if 0.0 <= share <= 0.5 else 0.0


def _picture(slide: Any, figure: Path, title: str) -> tuple[Any, str]:
    """The chart under the slide title, 8.75 in wide (aspect kept); returns it and the chart's own title.

    The untitled copy ``<name>.slide.png`` that :func:`charts.save_figure` writes beside the chart is used when
    it exists, so the slide's title is the only headline. For a PNG without that copy, the chart's title band
    (recorded in the PNG) is cropped off when it repeats the slide's title (``crop_top``; the image file is
    untouched and shows whole when the crop is reset in PowerPoint).
    """
    untitled = figure.with_name(f"{figure.stem}{SLIDE_SUFFIX}{figure.suffix}")
    with Image.open(figure) as img:
        chart_title = " ".join(str(img.info.get(TITLE_TEXT_KEY, "")).split())
        crop = 0.0 if untitled.is_file() else _title_crop(img, title)
    source = untitled if untitled.is_file() else figure
    with Image.open(source) as img:
        w_px, h_px = img.size
    width = CHART_WIDTH
    visible = width * h_px * (1 - crop) / w_px
    if visible > CHART_MAX_HEIGHT:  # taller than 16:9: fit the height instead
        width = CHART_MAX_HEIGHT * w_px / (h_px * (1 - crop))
    picture = slide.shapes.add_picture(
        str(source), Inches(CHART_LEFT), Inches(CHART_TOP), width=Inches(width)
    )
    if crop:
        full = picture.height
        picture.crop_top = crop
        picture.height = Emu(round(full * (1 - crop)))
    picture.name = f"Chart: {chart_title or figure.stem}"[:250]
    return picture, chart_title


def _figure_slide(prs: Any, doc: Mapping[str, Any], spec: SlideSpec) -> None:
    run = doc["run"]
    slide = prs.slides.add_slide(_layout(prs, "Title Only"))
    left, top, width, height = TITLE_BOX
    _title(
        slide,
        TITLE_BOX,
        spec.title,
        bold=True,
        anchor=MSO_ANCHOR.MIDDLE,
        size=fit_font_size(spec.title, width, height, (30, 28, 26, 24, 22, 20), bold=True),
    )
    picture, chart_title = _picture(slide, spec.figure, spec.title)
    middle = (picture.top + picture.height / 2) / Inches(1)  # the key number is centred on the chart
    notes = [f"Finding: {spec.title}"]
    if spec.metric is not None:
        metric = doc["metrics"][spec.metric]
        number = slide_number(metric, key=spec.metric)
        exact = format_metric(metric, key=spec.metric)
        label = str(metric.get("label", ""))
        size = fit_font_size(number, PANEL_WIDTH, 1.3, (66, 60, 54, 48, 40, 34, 28), bold=True)
        _text_box(
            slide,
            (PANEL_LEFT, middle - 1.25, PANEL_WIDTH, 1.3),
            number,
            size=size,
            bold=True,
            color=ACCENT,
            anchor=MSO_ANCHOR.BOTTOM,
        )
        _text_box(
            slide,
            (PANEL_LEFT, middle + 0.1, PANEL_WIDTH, 2.4),
            label,
            color=TEXT,
            size=fit_font_size(label, PANEL_WIDTH, 2.4, (22, 20, 18, 16, 14)),
        )
        unit = f" {metric['unit']}" if metric.get("unit") else ""
        notes.append(
            f"Key number: {exact} {label} (shown rounded as {number}; metric {spec.metric} = "
            f"{metric['value']!r}{unit})"
        )
    footer = f"{_run_line(run)}. Data: {run.get('data_source') or 'not stated'}"
    if len(footer) > 170:  # one line of 11 pt; the full source is in the notes
        footer = footer[:168].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
    _text_box(slide, FOOTER_BOX, footer, size=11, color=MUTED)
    if spec.notes:
        notes.append(spec.notes)
    if chart_title and chart_title != " ".join(spec.title.split()):
        notes.append(f"Chart title in the report: {chart_title}")
    notes += [
        f"Data source: {run.get('data_source') or 'not stated'}",
        _parameters_text(run),
        _run_line(run),
        f"Figure: {spec.figure.name}",
    ]
    slide.notes_slide.notes_text_frame.text = _text.literal("\n".join(notes), "pptx")


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite the .pptx zip with a fixed timestamp on every entry, so equal decks are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def build_deck(run_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Write the run's deck from ``run_dir/metrics.json`` to ``out`` (default ``run_dir/slides.pptx``).

    Slides: a title slide, then one per entry of ``metrics["slides"]`` in order. Figure paths are relative to
    ``run_dir``; a missing figure, a missing or malformed metrics.json, or a slide naming an unknown metric raises
    :class:`InputError` naming it (and nothing is written). Returns the path written.
    """
    run_dir = Path(run_dir)
    doc = load_metrics(run_dir)
    specs = _slide_specs(doc, run_dir)
    prs = Presentation()
    prs.slide_width = Emu(Inches(SLIDE_WIDTH_IN))
    prs.slide_height = Emu(Inches(SLIDE_HEIGHT_IN))
    _title_slide(prs, doc["run"])
    for spec in specs:
        _figure_slide(prs, doc, spec)
    props = prs.core_properties
    props.title = f"Seller insurance impact: {doc['run']['name']}"
    props.author = props.last_modified_by = "seller-insurance"
    props.revision = 1
    _, stamp = _run_date(doc["run"])
    stamp = (stamp or datetime(2000, 1, 1)).replace(tzinfo=None, microsecond=0)
    props.created = props.modified = props.last_printed = stamp
    buffer = io.BytesIO()
    prs.save(buffer)
    target = Path(out) if out is not None else run_dir / "slides.pptx"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_deterministic_zip(buffer.getvalue()))
    return target
