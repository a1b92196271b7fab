"""Key numbers of a report run: recorded by each notebook, assembled into ``metrics.json``.

Each analysis notebook calls :func:`record` with its section name; the summary notebook calls :func:`assemble`,
which merges every section into ``<run_dir>/metrics.json``. The slide deck and the tests read that file, so a
number shown to a stakeholder is always the computed one, never typed by hand.

``metrics.json`` schema::

    {"run": {"name", "created", "data_source", "parameters", "package_version", "git_commit"},
     "metrics": {"<section>.<name>": {"value", "label", "format", "unit"}},
     "slides": [{"figure": "figures/<name>.png", "title", "metric": "<section>.<name>", "notes"}]}

``format`` is a Python format spec (``",.0f"``, ``".1%"``) applied to ``value``; a leading ``$`` is written before
the number (``"$,.0f"`` -> ``$13,668,923``), as the deck (``slides.format_metric``) does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def _plain(value: Any) -> Any:
    """JSON-native version of numpy/pandas scalars; NaN becomes None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _format(value: Any, fmt: str) -> str:
    if fmt.startswith("$"):
        return "$" + format(value, fmt[1:])
    return format(value, fmt)


def metric(value: Any, label: str, fmt: str = ",.0f", unit: str = "") -> dict[str, Any]:
    """One key number: ``value`` shown with ``format(value, fmt)`` and its ``label``."""
    _format(_plain(value) if _plain(value) is not None else 0, fmt)  # fail early on a bad format spec
    return {"value": _plain(value), "label": label, "format": fmt, "unit": unit}


def format_metric(entry: Mapping[str, Any]) -> str:
    """The number as a stakeholder sees it (``"n/a"`` for a missing value)."""
    return "n/a" if entry["value"] is None else _format(entry["value"], entry["format"])


def slide(figure: str | Path, title: str, metric_key: str, notes: str = "") -> dict[str, str]:
    """A deck slide: a figure (path relative to the run folder), its finding as title, its key number."""
    return {"figure": Path(figure).as_posix(), "title": title, "metric": metric_key, "notes": notes}


def record(
    run_dir: str | Path,
    section: str,
    metrics: Mapping[str, dict],
    slides: list[dict] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write one notebook's key numbers to ``<run_dir>/metrics/<section>.json`` (replacing an earlier version)."""
    out = Path(run_dir) / "metrics" / f"{section}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "metrics": {f"{section}.{k}": v for k, v in metrics.items()},
        "slides": slides or [],
        "extra": _plain(dict(extra or {})),
    }
    out.write_text(json.dumps(_plain(payload), indent=2, sort_keys=False) + "\n")


def load_sections(run_dir: str | Path) -> dict[str, dict]:
    """Every recorded section of a run, by name, in file-name order."""
    folder = Path(run_dir) / "metrics"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def assemble(
    run_dir: str | Path, run_info: Mapping[str, Any], section_order: list[str] | None = None
) -> dict:
    """Merge every section into ``<run_dir>/metrics.json`` and return it.

    Slides follow ``section_order`` (default: file-name order). A slide naming a metric that no section recorded
    raises ``KeyError`` (a deck must never show a number that was not computed).
    """
    sections = load_sections(run_dir)
    order = section_order or list(sections)
    merged: dict[str, Any] = {"run": _plain(dict(run_info)), "metrics": {}, "slides": [], "extra": {}}
    for name in order:
        if name not in sections:
            continue
        merged["metrics"].update(sections[name]["metrics"])
        merged["slides"].extend(sections[name]["slides"])
        if sections[name].get("extra"):
            merged["extra"][name] = sections[name]["extra"]
    for s in merged["slides"]:
        if s["metric"] not in merged["metrics"]:
            raise KeyError(f"slide {s['title']!r} names metric {s['metric']!r}, which no notebook recorded")
    (Path(run_dir) / "metrics.json").write_text(json.dumps(merged, indent=2) + "\n")
    return merged
