"""The deck: reopened with python-pptx, checked against the metrics.json it was built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from seller_insurance.cli import main
from seller_insurance.errors import InputError
from seller_insurance.publish import charts
from seller_insurance.publish.slides import build_deck, fit_font_size, format_metric, slide_number

SOURCE = "synthetic: data/raw/default (100,000 US sellers, 2019-01..2023-12, seed 42)"


def _metrics() -> dict[str, Any]:
    return {
        "run": {
            "name": "default",
            "created": "2026-11-27T10:00:00+00:00",
            "data_source": SOURCE,
            "parameters": {"n_sellers": 100000, "threshold": None, "new_rule_start": "2021-09"},
            "package_version": "0.1.0",
            "git_commit": "abc1234",
        },
        "metrics": {
            "rules.newly_affected": {
                "value": 12345,
                "label": "sellers newly required by the single-month rule",
                "format": ",.0f",
                "unit": "sellers",
            },
            "claims.count_share_under_cap": {
                "value": 0.823,
                "label": "of valid claims are $1,000 or less",
                "format": ".1%",
                "unit": "share",
            },
            "claims.total_usd": {
                "value": 13500000.0,
                "label": "valid claim dollars",
                "format": "$,.0f",
                "unit": "USD",
            },
        },
        "slides": [
            {
                "figure": "figures/bands.png",
                "title": "The single-month rule newly requires 12,345 sellers",
                "metric": "rules.newly_affected",
                "notes": "Newly required: never required under the old rule.",
            },
            {
                "figure": "figures/claims.png",
                "title": "82.3% of valid claims are $1,000 or less",
                "metric": "claims.count_share_under_cap",
            },
            {"figure": "figures/claims.png", "title": "$13.5M of valid claims", "metric": "claims.total_usd"},
        ],
    }


# The key numbers as a reader would write them, by hand (not by calling format()): rounded on the slide,
# exact in the speaker notes.
EXPECTED_NUMBERS = ["12,345", "82%", "$13.5M"]
EXPECTED_EXACT = ["12,345", "82.3%", "$13,500,000"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("run")
    data = pd.DataFrame({"band": ["small", "large"], "n": [12000.0, 345.0]})
    charts.save_figure(
        # the same finding as slide 2's title (the deck crops the duplicate off)
        charts.bar_chart(data, "band", "n", title=_metrics()["slides"][0]["title"], value_label="sellers"),
        "bands",
        run / "figures",
    )
    charts.save_figure(
        # a chart title that differs from slides 3 and 4's titles (kept), with non-Latin-1 text
        charts.bar_chart(data, "band", "n", title="Claims — by band, in €", value_label="claims"),
        "claims",
        run / "figures",
    )
    plt.close("all")
    (run / "metrics.json").write_text(json.dumps(_metrics()), encoding="utf-8")
    return run


@pytest.fixture(scope="module")
def deck(run_dir: Path) -> Any:
    path = build_deck(run_dir)
    assert path == run_dir / "slides.pptx"
    return Presentation(str(path))


def _texts(slide: Any) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def test_slide_size_and_count(deck: Any) -> None:
    assert deck.slide_width == Inches(13.333)
    assert deck.slide_height == Inches(7.5)
    assert len(deck.slides) == 1 + len(_metrics()["slides"])


def test_title_slide_has_name_date_source(deck: Any) -> None:
    text = "\n".join(_texts(deck.slides[0]))
    assert "default" in text
    assert "2026-11-27" in text
    assert SOURCE in text
    notes = deck.slides[0].notes_slide.notes_text_frame.text
    assert "n_sellers: 100000" in notes and "threshold: null" in notes


def test_every_figure_slide_has_title_picture_number_and_notes(deck: Any) -> None:
    entries = _metrics()["slides"]
    for slide, entry, number in zip(list(deck.slides)[1:], entries, EXPECTED_NUMBERS, strict=True):
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        texts = _texts(slide)
        assert entry["title"] in texts
        assert number in texts  # the key number, formatted from metrics.json
        label = _metrics()["metrics"][entry["metric"]]["label"]
        assert label in texts
        notes = slide.notes_slide.notes_text_frame.text
        assert SOURCE in notes
        assert "n_sellers: 100000" in notes and 'new_rule_start: "2021-09"' in notes
    assert (
        "Newly required: never required under the old rule."
        in deck.slides[1].notes_slide.notes_text_frame.text
    )


def test_pictures_keep_aspect_and_everything_is_inside_the_slide(deck: Any) -> None:
    for slide in deck.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0
            assert shape.left + shape.width <= deck.slide_width
            assert shape.top + shape.height <= deck.slide_height
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                visible = 1125 * (1 - shape.crop_top)  # PNG rows left after cropping the top
                assert shape.width / shape.height == pytest.approx(2000 / visible, rel=2e-3)
                assert shape.crop_bottom == shape.crop_left == shape.crop_right == 0
                assert shape.width >= 0.6 * deck.slide_width  # about two thirds of the slide


def test_slides_use_the_untitled_chart_copy_and_keep_the_chart_title_in_the_notes(deck: Any) -> None:
    for slide in list(deck.slides)[1:]:
        picture = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE][0]
        assert picture.crop_top == 0  # nothing to crop: the copy has no title
        assert picture.image.filename.endswith(".png")
    # bands.png's title is slide 2's title: not repeated in the notes; claims.png's differs: kept there.
    assert "Chart title in the report" not in deck.slides[1].notes_slide.notes_text_frame.text
    assert (
        "Chart title in the report: Claims — by band, in €"
        in deck.slides[2].notes_slide.notes_text_frame.text
    )


def test_untitled_copy_is_the_picture(run_dir: Path) -> None:
    deck = Presentation(str(build_deck(run_dir, out=run_dir / "check.pptx")))
    blob = [s for s in deck.slides[1].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE][0].image.blob
    assert blob == (run_dir / "figures" / "bands.slide.png").read_bytes()
    assert blob != (run_dir / "figures" / "bands.png").read_bytes()


def test_title_band_cropped_when_there_is_no_untitled_copy(run_dir: Path, tmp_path: Path) -> None:
    run = _copy_run(run_dir, tmp_path / "run", _metrics())
    for copy in (run / "figures").glob("*.slide.png"):
        copy.unlink()
    deck = Presentation(str(build_deck(run)))
    crops = [
        [s.crop_top for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE][0]
        for slide in list(deck.slides)[1:]
    ]
    assert 0.05 < crops[0] < 0.25  # bands.png: its title is slide 2's title
    assert crops[1:] == [0, 0]  # claims.png: "Claims — by band, in €" adds to the slide titles: kept


def test_every_slide_title_is_in_a_title_placeholder(deck: Any) -> None:
    titles = [
        slide.shapes.title.text_frame.text if slide.shapes.title is not None else None
        for slide in deck.slides
    ]
    assert titles == ["Run: default"] + [entry["title"] for entry in _metrics()["slides"]]
    for slide in deck.slides:
        assert all(shape.text_frame.text for shape in slide.placeholders)  # no empty "Click to add" boxes


def test_picture_without_title_metadata_is_not_cropped(run_dir: Path, tmp_path: Path) -> None:
    run = _copy_run(run_dir, tmp_path / "run", _metrics())
    plain = run / "figures" / "bands.png"
    (run / "figures" / "bands.slide.png").unlink()  # a PNG from elsewhere: no untitled copy
    with Image.open(plain) as img:
        img.convert("RGB").resize((1600, 1200)).save(plain)  # no text chunks, 4:3
    deck = Presentation(str(build_deck(run)))
    picture = [s for s in deck.slides[1].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE][0]
    assert picture.crop_top == 0
    assert picture.width / picture.height == pytest.approx(1600 / 1200, rel=1e-3)
    assert picture.top + picture.height <= Inches(1.65 + 5.0) + 1  # 4:3 is fitted to the chart height


def test_numbers_rounded_on_slides_and_exact_in_notes(deck: Any) -> None:
    doc = _metrics()
    for slide, entry, exact in zip(list(deck.slides)[1:], doc["slides"], EXPECTED_EXACT, strict=True):
        notes = slide.notes_slide.notes_text_frame.text
        assert f"Key number: {exact} " in notes
        assert f"= {doc['metrics'][entry['metric']]['value']!r}" in notes  # the raw value too


def test_slide_number() -> None:
    assert slide_number({"value": 13_668_923.0, "format": "$,.0f"}) == "$13.7M"
    assert slide_number({"value": 6193, "format": ",.0f"}) == "6,193"
    assert slide_number({"value": 0.8234, "format": ".1%"}) == "82%"
    assert slide_number({"value": 0.004, "format": ".1%"}) == "0.4%"
    assert slide_number({"value": 0.123456, "format": ".4f"}) == "0.1235"  # no rounding rule: as specified
    assert slide_number({"value": None, "format": "$,.0f"}) == "n/a"


def test_format_metric() -> None:
    assert format_metric({"value": 12345, "format": ",.0f"}) == "12,345"
    assert format_metric({"value": 0.8234, "format": ".1%"}) == "82.3%"
    assert format_metric({"value": -1200.0, "format": "$,.0f"}) == "-$1,200"
    assert format_metric({"value": None, "format": ",.0f"}) == "n/a"
    with pytest.raises(InputError, match="metrics.x"):
        format_metric({"value": "text", "format": ",.0f"}, key="x")


def test_font_size_shrinks_for_long_text() -> None:
    short = fit_font_size("Short title", 12.4, 1.25, (30, 26, 22, 20), bold=True)
    long = fit_font_size("A long finding " * 12, 12.4, 1.25, (30, 26, 22, 20), bold=True)
    assert short == 30 and long < 30
    assert fit_font_size("word " * 500, 3.0, 1.0, (20, 12)) == 12  # too long for any size: the smallest


def test_deck_bytes_are_deterministic(run_dir: Path, tmp_path: Path) -> None:
    a = build_deck(run_dir, out=tmp_path / "a.pptx")
    b = build_deck(run_dir, out=tmp_path / "b.pptx")
    assert a.read_bytes() == b.read_bytes()


def _copy_run(run_dir: Path, dest: Path, doc: dict[str, Any] | str) -> Path:
    dest.mkdir()
    (dest / "figures").mkdir()
    for png in (run_dir / "figures").glob("*.png"):
        (dest / "figures" / png.name).write_bytes(png.read_bytes())
    (dest / "metrics.json").write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return dest


def test_missing_figure_is_named(run_dir: Path, tmp_path: Path) -> None:
    doc = _metrics()
    doc["slides"][1]["figure"] = "figures/nope.png"
    run = _copy_run(run_dir, tmp_path / "run", doc)
    with pytest.raises(InputError, match=r"slides\[1\].*figures/nope.png"):
        build_deck(run)
    assert not (run / "slides.pptx").exists()


def test_unknown_metric_is_named(run_dir: Path, tmp_path: Path) -> None:
    doc = _metrics()
    doc["slides"][0]["metric"] = "rules.missing"
    run = _copy_run(run_dir, tmp_path / "run", doc)
    with pytest.raises(InputError, match="rules.missing"):
        build_deck(run)


def test_cli_writes_deck(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deck.pptx"
    assert main(["slides", str(run_dir), "--out", str(out)]) == 0
    assert len(Presentation(str(out)).slides) == 4
    assert str(out) in capsys.readouterr().out


def test_cli_exit_2_when_metrics_missing_or_malformed(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["slides", str(empty)]) == 2
    assert "metrics.json not found" in capsys.readouterr().err

    broken = _copy_run(run_dir, tmp_path / "broken", '{"run": {"name": "x"},\n "metrics": {,}')
    assert main(["slides", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err and "line 2" in err

    doc = _metrics()
    del doc["slides"]
    no_slides = _copy_run(run_dir, tmp_path / "no_slides", doc)
    assert main(["slides", str(no_slides)]) == 2
    assert "'slides'" in capsys.readouterr().err

    assert main(["slides", str(tmp_path / "absent")]) == 2
    assert "run folder not found" in capsys.readouterr().err
