"""The run's index page and the self-contained HTML export, without running a kernel."""

from __future__ import annotations

import html
import json
import re

import nbformat

from seller_insurance.publish import report, run_index

HOSTILE = "$5 and $10 <b>a_b_c</b> & more"


def _visible(page: str) -> str:
    """What a browser shows: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _run_folder(tmp_path):
    run = tmp_path / "demo"
    (run / "figures").mkdir(parents=True)
    doc = {
        "run": {"name": "demo", "created": "2026-12-02T10:00:00+00:00", "data_source": HOSTILE},
        "metrics": {
            "claims.paid": {"value": 13_668_923.4, "label": HOSTILE, "format": "$,.0f", "unit": "USD"},
            "rules.share": {"value": 0.8234, "label": "share under the cap", "format": ".1%", "unit": ""},
        },
        "slides": [],
    }
    (run / "metrics.json").write_text(json.dumps(doc))
    (run / "manifest.json").write_text("{}")
    (run / "02_rule_impact.html").write_text("<html></html>")
    (run / "01_generate_data.html").write_text("<html></html>")
    for name in ("a.png", "a.svg", "a.slide.png", "b.png"):
        (run / "figures" / name).write_bytes(b"")
    return run


def test_index_links_every_output_in_order_and_shows_rounded_and_exact_numbers(tmp_path):
    page = run_index.write_index(_run_folder(tmp_path)).read_text()
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs == [
        "01_generate_data.html",
        "02_rule_impact.html",
        "metrics.json",
        "manifest.json",
        "figures/a.png",
        "figures/a.svg",
        "figures/b.png",
    ]  # .slide.png copies (untitled, for the deck) are not listed
    shown = _visible(page)
    assert "$13.7M" in shown and "$13,668,923" in shown  # rounded as on the slide, exact beside it
    assert "82%" in shown and "82.3%" in shown


def test_index_shows_hostile_text_literally_and_loads_nothing(tmp_path):
    page = run_index.write_index(_run_folder(tmp_path)).read_text()
    assert "<b>a_b_c</b>" not in page and HOSTILE in _visible(page)
    assert "<script" not in page
    assert not re.search(r'(src|href)="https?:', page)


def test_exported_html_has_no_external_script_and_keeps_dollars(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("display(...)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": r"Pay \$5 and \$10", "text/plain": ""}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    src = tmp_path / "n.ipynb"
    nbformat.write(nb, src)
    page = report.export_html(src, tmp_path / "n.html").read_text()
    assert not re.search(r"<script[^>]+src=", page)
    assert "MathJax" not in page and "require.js" not in page
    assert not re.search(r'(src|href)="https?:', page)
    assert "Pay $5 and $10" in _visible(page)
    assert "display(...)" not in page  # code cells are left out
