"""Key numbers of a report run: recorded by each notebook, assembled into ``metrics.json``.

Each analysis notebook calls :func:`record` with its section name; the summary notebook calls :func:`assemble`,
which merges every section into ``<run_dir>/metrics.json``. The slide deck and the tests read that file, so a
number shown to a stakeholder is always the computed one, never typed by hand.

``metrics.json`` schema::

    {"run": {"name", "created", "data_source", "parameters", "package_version", "git_commit",
             "calendar": {"source", "sha256", "version", "switch_months"}},
     "metrics": {"<section>.<name>": {"value", "label", "format", "unit"}},
     "slides": [{"figure": "figures/<name>.png", "title", "metric": "<section>.<name>", "notes"}]}

Rule changes are reported per event (:func:`event_metrics`): sections ``event_<year>`` (``event_2021`` for the US
change of September 2021, ``event_2024`` for CA, UK and the EU stores) with keys ``<site>.<name>`` and
``total.<name>``; the policy calendar a run used (:func:`calendar_entry`, recorded as the ``calendar`` extra of a
section) is lifted into ``run.calendar`` by :func:`assemble`.

``format`` is a Python format spec (``",.0f"``, ``".1%"``) applied to ``value``; a leading ``$`` is written before
the number (``"$,.0f"`` -> ``$13,668,923``), as the deck (``slides.format_metric``) does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


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


EVENT_METRICS = (
    ("sellers", "seller-sites on {where}", ",.0f", "sellers"),
    ("already_required", "seller-sites on {where} already required before the change", ",.0f", "sellers"),
    ("newly_affected", "seller-sites on {where} newly required by the {event} change", ",.0f", "sellers"),
    (
        "newly_affected_share",
        "of seller-sites on {where} not already required: newly required",
        ".1%",
        "share",
    ),
    ("accelerated", "seller-sites on {where} required earlier by the {event} change", ",.0f", "sellers"),
    (
        "accelerated_share",
        "of seller-sites on {where} not already required: required earlier",
        ".1%",
        "share",
    ),
    ("median_lead_months", "months earlier on {where} (median, accelerated seller-sites)", ".0f", "months"),
)

#: Labels of an event's totals: the event's name leads ("CA, UK and EU, 2024: seller-sites newly required").
EVENT_TOTAL_LABELS = {
    "sellers": "{event}: seller-sites on its sites",
    "already_required": "{event}: seller-sites already required before the change",
    "newly_affected": "{event}: seller-sites newly required",
    "newly_affected_share": "{event}: newly required, share of seller-sites not already required",
    "accelerated": "{event}: seller-sites required earlier",
    "accelerated_share": "{event}: required earlier, share of seller-sites not already required",
    "median_lead_months": "{event}: months earlier (median, accelerated seller-sites)",
}


def event_section(year: int) -> str:
    """Section name of the rule changes of one year: ``event_2021``, ``event_2024``."""
    return f"event_{int(year)}"


def event_metrics(
    summary: Iterable[Mapping[str, Any]],
    totals: Iterable[Mapping[str, Any]],
    events: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, dict]]:
    """Metrics of each rule-change event, per site and in total, keyed for :func:`record`.

    Parameters
    ----------
    summary : iterable of mappings
        Rows of ``analysis.impact.event_summary`` (e.g. ``df.to_dict(orient="records")``): event, site, sellers,
        already_required, newly_affected, newly_affected_share, accelerated, accelerated_share,
        median_lead_months.
    totals : iterable of mappings
        Rows of ``analysis.impact.event_totals`` (event and the same counts over the event's sites).
    events : iterable of mappings
        ``policy.Calendar.events()``: ``event`` label and ``year``.

    Returns
    -------
    dict
        ``{section: {name: metric}}`` with section ``event_<year>`` and names ``<site>.<metric>`` (US, CA, UK, DE,
        ...) and ``total.<metric>``, for each metric of :data:`EVENT_METRICS` (counts in seller-sites, shares of
        those not already required, median lead in months; NaN -> null where a site has no such seller).
        Sites of the event with no seller-site in the data are listed with zero counts and null shares.

    Raises
    ------
    KeyError
        A summary or totals row whose event is not among ``events``.
    """
    year_of = {e["event"]: int(e["year"]) for e in events}
    out: dict[str, dict[str, dict]] = {event_section(y): {} for y in year_of.values()}
    rows = [(r, str(r["site"])) for r in summary] + [(r, "total") for r in totals]
    for row, where in rows:
        section = event_section(year_of[row["event"]])
        for name, label, fmt, unit in EVENT_METRICS:
            template = EVENT_TOTAL_LABELS[name] if where == "total" else label
            text = template.format(where=where, event=row["event"])
            out[section][f"{where}.{name}"] = metric(row[name], text, fmt, unit)
    return out


def events_in(merged: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rule-change events of an assembled ``metrics.json``, in section order, for summaries.

    Returns
    -------
    list of dict
        One per ``event_<year>`` section recorded with an ``event`` extra (notebook 02 in calendar mode):
        ``section``, ``event`` (label, e.g. "CA, UK and EU, 2024"), ``sites`` (codes, calendar order) and
        ``with_sellers`` (the sites with at least one seller-site in the data). Empty when the run used one start
        for every site.
    """
    out = []
    for section, extra in merged.get("extra", {}).items():
        if not section.startswith("event_") or "event" not in extra:
            continue
        sites = list(extra.get("sites", []))
        m = merged["metrics"]
        with_sellers = [s for s in sites if (m.get(f"{section}.{s}.sellers") or {}).get("value")]
        out.append(
            {"section": section, "event": extra["event"], "sites": sites, "with_sellers": with_sellers}
        )
    return out


def calendar_entry(calendar: Any) -> dict[str, Any]:
    """What a run records about its policy calendar (``policy.Calendar.manifest()``).

    ``source`` (file path or ``package:...``), ``sha256`` of the file's bytes, ``version`` and each site's
    ``switch_months``.
    """
    return _plain(calendar.manifest())


def load_sections(run_dir: str | Path) -> dict[str, dict]:
    """Every recorded section of a run, by name, in file-name order."""
    folder = Path(run_dir) / "metrics"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def assemble(
    run_dir: str | Path, run_info: Mapping[str, Any], section_order: list[str] | None = None
) -> dict:
    """Merge every section into ``<run_dir>/metrics.json`` and return it.

    Slides follow ``section_order`` (default: file-name order). A slide naming a metric that no section recorded
    raises ``KeyError`` (a deck must never show a number that was not computed). A section's ``calendar`` extra
    (:func:`calendar_entry`) becomes ``run.calendar``; two sections with different calendars raise ``ValueError``.
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
        calendar = (sections[name].get("extra") or {}).get("calendar")
        if calendar is not None:
            first = merged["run"].setdefault("calendar", calendar)
            if first != calendar:
                raise ValueError(
                    f"section {name!r} used the policy calendar {calendar.get('source')} (sha256 "
                    f"{str(calendar.get('sha256'))[:12]}), an earlier section {first.get('source')} (sha256 "
                    f"{str(first.get('sha256'))[:12]}): one run, one calendar"
                )
    for s in merged["slides"]:
        if s["metric"] not in merged["metrics"]:
            raise KeyError(f"slide {s['title']!r} names metric {s['metric']!r}, which no notebook recorded")
    (Path(run_dir) / "metrics.json").write_text(json.dumps(merged, indent=2) + "\n")
    return merged


#: The notebook each metrics section comes from (the summary's "From" column).
SECTION_NOTEBOOKS: dict[str, str] = {
    "data": "01 The data",
    "rules": "02 Rule impact",
    "event": "02 Rule impact",
    "claims": "03 Claims",
    "sensitivity": "04 Sensitivity",
    "forecast": "05 Watch-list",
}


def _interval_base(key: str, metrics: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(base key, "low"|"high")`` when ``key`` is the bound of an interval whose point value is recorded.

    ``claims.count_share_low`` bounds ``claims.count_share`` or, as notebook 03 names it,
    ``claims.count_share_under_cap``.
    """
    for end in ("low", "high"):
        if key.endswith(f"_{end}"):
            stem = key[: -len(end) - 1]
            for base in (stem, f"{stem}_under_cap"):
                if base in metrics:
                    return base, end
    return None


def key_numbers(merged: Mapping[str, Any], *, with_keys: bool = False) -> pd.DataFrame:
    """The summary's table of key numbers: label, value, 95% interval and the notebook it comes from.

    Parameters
    ----------
    merged : mapping
        An assembled ``metrics.json`` (:func:`assemble`).
    with_keys : bool, default False
        Add a ``Metric key`` column (the ``metrics.json`` key of each row), for pages that link or round them.

    Returns
    -------
    pandas.DataFrame
        Columns ``Key number`` (the metric's label), ``Value`` (as :func:`format_metric` writes it), ``95%
        interval`` ("low to high", empty where none was recorded) and ``From`` (the notebook). Interval bounds
        (``*_low``/``*_high``) are folded into their point value's row; per-site rows of the rule-change events
        (``event_2024.CA.*``) are left out (the summary's sentences give them), their totals kept. Metric order.
    """
    metrics = merged.get("metrics", {})
    bounds: dict[str, dict[str, str]] = {}
    for key in metrics:
        found = _interval_base(key, metrics)
        if found:
            bounds.setdefault(found[0], {})[found[1]] = format_metric(metrics[key])
    rows = []
    for key, entry in metrics.items():
        section = key.split(".", 1)[0]
        parts = key.split(".")
        if _interval_base(key, metrics) or (
            section.startswith("event_") and len(parts) == 3 and parts[1] != "total"
        ):
            continue
        b = bounds.get(key, {})
        rows.append(
            {
                "Key number": entry.get("label", key),
                "Value": format_metric(entry),
                "95% interval": f"{b['low']} to {b['high']}" if {"low", "high"} <= b.keys() else "",
                "From": SECTION_NOTEBOOKS.get(section.split("_")[0], section),
                "Metric key": key,
            }
        )
    columns = ["Key number", "Value", "95% interval", "From"] + (["Metric key"] if with_keys else [])
    return pd.DataFrame(rows, columns=[*columns, "Metric key"])[columns]
