"""``reports/<run>/index.html``: one self-contained page that links everything a run wrote.

What a stakeholder opens first: the run's name, date, data source and parameters, the headline numbers (rounded
as on the slides, with the exact figure beside them), and links to each notebook's HTML report, the deck,
``metrics.json``, ``manifest.json`` and every figure (PNG thumbnails, SVG links). The page has no script and
fetches nothing from the network; every value written into it goes through :func:`text.literal` (``"html"``),
so ``$`` amounts, ``<`` and ``&`` in user-supplied names show as written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seller_insurance.publish import text
from seller_insurance.publish.run_metrics import key_numbers
from seller_insurance.publish.slides import slide_number

INDEX_NAME = "index.html"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.meta { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35rem .6rem;
       border-bottom: 1px solid #d0d7de; vertical-align: top; } td.num { text-align: right; white-space: nowrap; }
th { background: #f6f8fa; } code { font-size: .9em; } td:last-child { white-space: nowrap; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 1rem; }
.figures figure { margin: 0; } .figures img { width: 100%; border: 1px solid #d0d7de; }
.figures figcaption { font-size: .85rem; color: #57606a; word-break: break-all; }
"""


def _h(value: object) -> str:
    return text.literal(value, "html")


def _link(href: str, label: str) -> str:
    return f'<a href="{_h(href)}">{_h(label)}</a>'


def _notebook_title(html_file: Path) -> str:
    """``02_rule_impact.html`` -> ``"02 rule impact"`` (the page's own title is the file name too)."""
    return html_file.stem.replace("_", " ")


def _metrics_rows(doc: dict[str, Any]) -> list[str]:
    """One table row per key number (:func:`run_metrics.key_numbers`): rounded as on a slide, exact, interval."""
    if not doc.get("metrics"):
        return []
    metrics = doc["metrics"]
    rows = []
    for r in key_numbers(doc, with_keys=True).itertuples(index=False):
        key = r[-1]
        rows.append(
            f"<tr><td>{_h(r[0])}</td>"
            f'<td class="num">{_h(slide_number(metrics[key], key=key))}</td>'
            f'<td class="num">{_h(r[1])}</td><td class="num">{_h(r[2])}</td><td>{_h(r[3])}</td></tr>'
        )
    return rows


def write_index(run_dir: str | Path) -> Path:
    """Write ``run_dir/index.html`` from what the run folder holds and return its path.

    Parameters
    ----------
    run_dir : str or Path
        A report run folder (``reports/<run>/``). ``metrics.json`` and ``manifest.json`` are read when present;
        a missing one is simply not linked (the page is still written).

    Returns
    -------
    Path
        The index file. Links are relative, so the folder can be moved, zipped or served as it is.
    """
    run_dir = Path(run_dir)
    doc = json.loads((run_dir / "metrics.json").read_text()) if (run_dir / "metrics.json").exists() else {}
    run = doc.get("run", {})
    name = run.get("name") or run_dir.name
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(name)}: seller insurance impact</title><style>{_CSS}</style></head><body>",
        f"<h1>Seller insurance impact: run {_h(name)}</h1>",
    ]
    meta = [run.get("created", ""), run.get("data_source", "")]
    parts.append(f'<p class="meta">{_h(" | ".join(m for m in meta if m))}</p>')

    notebooks = sorted(p for p in run_dir.glob("[0-9][0-9]_*.html"))
    parts.append("<h2>Reports</h2><ul>")
    parts += [f"<li>{_link(p.name, _notebook_title(p))}</li>" for p in notebooks]
    parts.append("</ul><h2>Files</h2><ul>")
    files = {
        "slides.pptx": "the slide deck (PowerPoint)",
        "metrics.json": "every key number with its label and format",
        "manifest.json": "parameters, data checksums, package versions, timings",
        "parameters.json": "the parameters of this run",
        "dataset.json": "the data this run analysed and what validation rejected",
    }
    parts += [
        f"<li>{_link(fname, fname)}: {_h(what)}</li>"
        for fname, what in files.items()
        if (run_dir / fname).exists()
    ]
    parts.append("</ul>")

    rows = _metrics_rows(doc)
    if rows:
        parts += [
            "<h2>Key numbers</h2>",
            "<p>Rounded as on the slides, exact as in the notebooks; per-site figures of each rule change are in the "
            "rule-impact report and <code>metrics.json</code>.</p>",
            "<table><thead><tr><th>What</th><th>Rounded</th><th>Exact</th><th>95% interval</th><th>From</th></tr>"
            "</thead><tbody>",
            *rows,
            "</tbody></table>",
        ]

    figures = run_dir / "figures"
    pngs = (
        sorted(p for p in figures.glob("*.png") if not p.name.endswith(".slide.png"))
        if figures.is_dir()
        else []
    )
    if pngs:
        parts.append('<h2>Figures</h2><div class="figures">')
        for png in pngs:
            rel = png.relative_to(run_dir).as_posix()
            svg = png.with_suffix(".svg")
            svg_link = f" ({_link(svg.relative_to(run_dir).as_posix(), 'SVG')})" if svg.exists() else ""
            parts.append(
                f'<figure><a href="{_h(rel)}"><img src="{_h(rel)}" alt="{_h(png.stem)}"></a>'
                f"<figcaption>{_h(png.name)}{svg_link}</figcaption></figure>"
            )
        parts.append("</div>")
    parts.append("</body></html>")
    out = run_dir / INDEX_NAME
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return out
