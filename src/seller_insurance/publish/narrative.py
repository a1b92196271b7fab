"""Text rendered from computed numbers: number formats, footnotes and Markdown for notebook conclusions.

Every sentence a notebook states as a conclusion is built here from values it is given, never typed by hand.
Formats and escaping come from :mod:`seller_insurance.publish.text`: :func:`n`, :func:`pct` and :func:`usd` give
plain text (for chart titles, which draw ``$`` as written); data values and any text put into Markdown go through
:func:`text` (or :func:`seller_insurance.publish.text.md` for a whole sentence), which makes ``$``, ``_``, ``*``
and ``<`` render literally in JupyterLab (no MathJax maths, no markup) and in the HTML report. :func:`present`
returns a table that JupyterLab's MathJax leaves alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from seller_insurance import policy
from seller_insurance.publish import text as _text


def n(value: float | int) -> str:
    """Whole number with thousands separators (``12,345``); ``n/a`` for NaN/None (:func:`text.count`)."""
    return _text.count(value)


def pct(value: float | None, digits: int = 1) -> str:
    """Share as a percentage (``0.1234 -> 12.3%``); ``n/a`` for NaN/None (:func:`text.percent`)."""
    return _text.percent(value, digits)


def usd(value: float | None, digits: int = 0) -> str:
    """US dollars as plain text (``$1,250``, ``-$1,250``); ``n/a`` for NaN/None.

    Plain text: put it into Markdown through :func:`text` or :func:`seller_insurance.publish.text.md`.
    """
    if digits == 0:
        return _text.money(value)
    if value is None or value != value:
        return "n/a"
    return f"{'-' if value < 0 else ''}${abs(value):,.{digits}f}"


def text(value: Any) -> str:
    """A value shown literally in Markdown (JupyterLab, nbconvert HTML): ``$``, ``_``, ``*``, ``<`` as written."""
    return _text.literal(value, "markdown")


def display_name(code: Any) -> str:
    """A category code as people read it: ``home_kitchen`` -> ``Home kitchen`` (other text unchanged)."""
    value = str(code)
    return value.replace("_", " ").capitalize() if value.islower() and " " not in value else value


def threshold_text(threshold: float | Mapping[str, float] | None) -> str:
    """The sales threshold of a rule chart's footnote, in words.

    ``None`` -> the site defaults (the US value shown), a mapping -> ``site value`` pairs, a number -> that
    value "on every site"; values have thousands separators and no decimals.
    """
    if threshold is None:
        return f"site defaults (US ${policy.DEFAULT_THRESHOLDS['US']:,.0f})"
    if isinstance(threshold, Mapping):
        return ", ".join(f"{k} {v:,.0f}" for k, v in threshold.items())
    return f"{float(threshold):,.0f} on every site"


def rule_footnote(
    data_description: str,
    *,
    threshold=None,
    old_months: int = policy.OLD_RULE_MONTHS,
    new_months: int = policy.NEW_RULE_MONTHS,
    start: str | None = policy.NEW_RULE_START,
    inclusive: bool = policy.DEFAULT_INCLUSIVE,
    end: str | None = None,
) -> str:
    """One-line source and parameter note for a rule chart."""
    cmp = ">=" if inclusive else ">"
    parts = [
        f"Source: {data_description}.",
        f"Threshold {threshold_text(threshold)}, sales {cmp} threshold;",
        f"old rule {old_months} consecutive months, new rule {new_months};",
        f"start {start or 'none'}" + (f", as of {end}" if end else "") + ".",
    ]
    return " ".join(parts)


def calendar_footnote(
    data_description: str,
    calendar: policy.Calendar,
    *,
    inclusive: bool = policy.DEFAULT_INCLUSIVE,
    end: str | None = None,
    pool_eu: bool = False,
) -> str:
    """One-line source and parameter note for a chart made with each site under its own rules (policy calendar).

    Names the calendar file and the first 12 hex digits of its sha256, the switch month of each site that changed
    (sites sharing a month are listed together) and the sites that never changed.
    """
    cmp = ">=" if inclusive else ">"
    by_month: dict[str, list[str]] = {}
    never = []
    for site in calendar.sites:
        month = calendar.switch_month(site)
        if month is None:
            never.append(site)
        else:
            by_month.setdefault(month, []).append(site)
    switches = "; ".join(f"{'/'.join(sites)} from {month}" for month, sites in sorted(by_month.items()))
    parts = [
        f"Source: {data_description}.",
        f"Each site under its own rules (policy calendar {calendar.source}, sha256 {calendar.sha256[:12]}):",
        f"three consecutive months, then one month: {switches}"
        + (f"; {', '.join(never)} unchanged" if never else "")
        + f"; sales {cmp} threshold; EU pooling {'on' if pool_eu else 'off'}"
        + (f"; as of {end}." if end else "."),
    ]
    return " ".join(parts)


def claims_footnote(
    data_description: str,
    *,
    cap: float = policy.CLAIM_CAP_USD,
    strict: bool = False,
    statuses: tuple[str, ...] | None = policy.VALID_CLAIM_STATUSES,
) -> str:
    """One-line source and parameter note for a claims chart."""
    cmp = "<" if strict else "<="
    st = "all statuses" if statuses is None else "status " + "/".join(statuses)
    return f"Source: {data_description}. Claims {cmp} ${cap:,.0f} (USD), {st}; 95% intervals."


def claims_calendar_footnote(
    data_description: str,
    calendar: policy.Calendar,
    *,
    strict: bool = False,
    statuses: tuple[str, ...] | None = policy.VALID_CLAIM_STATUSES,
) -> str:
    """One-line source and parameter note for a claims chart with each site's own programme (policy calendar).

    Lists each programme (cap, currency, start; sites sharing them together) and the sites without one.
    """
    cmp = "<" if strict else "<="
    st = "all statuses" if statuses is None else "status " + "/".join(statuses)
    groups: dict[tuple, list[str]] = {}
    none = []
    for site in calendar.sites:
        now = calendar.rule(site).current
        if now.claims_cap is None:
            none.append(site)
        else:
            key = (now.claims_cap_currency, now.claims_cap, now.claims_start.isoformat())
            groups.setdefault(key, []).append(site)
    programmes = "; ".join(
        f"{'/'.join(sites)} {cur} {cap:,.0f} from {start}" for (cur, cap, start), sites in groups.items()
    )
    return (
        f"Source: {data_description}. Claims {cmp} the cap of their site ({programmes}"
        + (f"; {', '.join(none)} none" if none else "")
        + "), caps in USD at IRS 2021 average rates; claims before their site's programme are outside it; "
        f"{st}; 95% intervals. Policy calendar {calendar.source}, sha256 {calendar.sha256[:12]}."
    )


def present(
    df,
    *,
    percent: tuple[str, ...] = (),
    integer: tuple[str, ...] = (),
    money: tuple[str, ...] = (),
    decimals: dict[str, int] | None = None,
    rename: dict[str, str] | None = None,
    index: str | None = None,
):
    """A table for people: chosen columns formatted as text (12.3%, 12,345, $1,234), readable headers.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; it is not modified.
    percent, integer, money : tuple of str
        Columns shown as percentages (shares in [0, 1], one decimal), whole numbers with separators, or whole
        US dollars. NaN shows as an empty cell.
    decimals : dict of str to int, optional
        Other numeric columns and their number of decimals.
    rename : dict of str to str, optional
        Column headers as people read them.
    index : str, optional
        A column to use as the row labels; without it the numeric row index is hidden.

    Returns
    -------
    pandas.io.formats.style.Styler
        The formatted table (``.data`` holds the DataFrame of strings). Its HTML escapes every cell, and the
        table carries the ``mathjax_ignore`` class, so JupyterLab's MathJax leaves "$10k-$100k" as written.
        The element ids derive from the content, so the same table gives the same HTML bytes.
    """
    import pandas as pd

    out = df.copy()
    for c in percent:
        out[c] = [pct(v) if pd.notna(v) else "" for v in out[c]]
    for c in integer:
        out[c] = [n(v) if pd.notna(v) else "" for v in out[c]]
    for c in money:
        out[c] = [usd(v) if pd.notna(v) else "" for v in out[c]]
    for c, d in (decimals or {}).items():
        out[c] = [f"{v:,.{d}f}" if pd.notna(v) else "" for v in out[c]]
    if index:
        out = out.set_index(index)
    out = out.rename(columns=rename or {})
    return table(out, hide_index=not index)


def table(df, *, hide_index: bool = False):
    """A DataFrame shown literally in JupyterLab and the HTML report: escaped cells, no MathJax, stable ids.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to show, already formatted as people read it.
    hide_index : bool, default False
        Leave out the row labels (for a meaningless 0..n-1 index).

    Returns
    -------
    pandas.io.formats.style.Styler
        Renders as HTML with the ``mathjax_ignore`` class (JupyterLab's MathJax 3 skips it, checked in
        ``tests/browser``) and every cell and header HTML-escaped.
    """
    uuid = hashlib.sha256(df.to_csv().encode()).hexdigest()[:12]
    styler = (
        df.style.format(escape="html").format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    )
    styler = styler.set_uuid(uuid).set_table_attributes('class="mathjax_ignore dataframe"')
    # words read from the left, numbers from the right: a column mostly of words is left-aligned
    wordy = [c for c in df.columns if df[c].astype(str).str.contains(r"[A-Za-z]{2}", regex=True).mean() > 0.5]
    if wordy:
        styler = styler.set_properties(subset=wordy, **{"text-align": "left"})
    return styler.hide(axis="index") if hide_index else styler


_CALIBRATION_KINDS = {
    "abs": "within ± tolerance",
    "rel": "within ± tolerance (relative)",
    "min": "at least the target",
    "max": "at most the target",
    "bool": "must hold",
}


def _calibration_value(metric: str, value: Any, kind: str) -> str:
    """One calibration figure in its own unit: shares as percentages, counts and money whole, yes/no."""
    import pandas as pd

    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if kind == "bool":
        return "yes" if bool(value) else "no"
    if "share" in metric or "%" in metric:
        return pct(float(value))
    if abs(float(value)) >= 100:
        return usd(float(value)) if "$" in metric or "USD" in metric else n(float(value))
    return f"{float(value):,.2f}"


def present_calibration(df):
    """The generator's calibration table as people read it (notebook 01).

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`seller_insurance.data.synthetic.calibration_table` output: ``metric, target, generated, tolerance,
        kind, ok, source``.

    Returns
    -------
    pandas.io.formats.style.Styler
        One row per figure, no numeric index: target, generated value and tolerance each in the metric's own
        unit (a metric whose label says "share" is a percentage; counts and dollars are whole), the test in words
        ("within ± tolerance") and the verdict as "yes"/"no", with the full metric label and its source.
    """
    import pandas as pd

    rows = []
    for r in df.itertuples(index=False):
        tol = "" if pd.isna(r.tolerance) else _calibration_value(r.metric, r.tolerance, "abs")
        if r.kind == "rel" and tol:
            tol = pct(float(r.tolerance), 0)
        rows.append(
            {
                "Figure": r.metric,
                "Target": _calibration_value(r.metric, r.target, r.kind),
                "Generated": _calibration_value(r.metric, r.generated, r.kind),
                "Tolerance": tol,
                "Test": _CALIBRATION_KINDS.get(r.kind, r.kind),
                "Met": "yes" if bool(r.ok) else "no",
                "Source": r.source,
            }
        )
    return table(pd.DataFrame(rows), hide_index=True)


def whatif_headline(result: Any) -> str:
    """The what-if's headline in Markdown (literal ``$``), built from a :class:`~seller_insurance.analysis.whatif.WhatIfResult`.

    Names both rules from their windows ("the two-month rule"), the threshold and whether sales must exceed or
    reach it, the sites and the as-of month, with counts in the right number ("1 seller", "2 sellers"), and ends
    with the measured recompute time. With nobody in the population it says so instead of giving shares.
    """
    s, h = result.settings, result.headline
    new, old = _text.rule_name(s.new_months), _text.rule_name(s.old_months)
    threshold = (
        "each site's default threshold" if s.threshold is None else f"a threshold of {s.threshold:,.0f}"
    )
    verb = "reach" if s.inclusive else "exceed"
    sites = ", ".join(s.sites) if s.sites else "every site"
    as_of = f"up to {s.as_of}" if s.as_of else "over the whole data"
    where = f"With {threshold} (sales must {verb} it), on {sites}, {as_of}"
    if h.get("population", 0) == 0:
        return text(f"{where}: no seller in the data to compare (recomputed in {result.seconds:.2f} s).")
    newly, acc, pop = h["newly_affected"], h["accelerated"], h["population"]
    sentence = (
        f"{where}: the {new} newly requires {_text.plural(newly, 'seller')} ({pct(h['newly_affected_share'])} of "
        f"{n(pop)} not already required) that the {old} never would, and requires "
        f"{_text.plural(acc, 'seller')} earlier"
    )
    median = h.get("median_lead_months")
    if acc and median == median and median is not None:
        sentence += f", a median of {_text.plural(median, 'month')} earlier"
    return text(sentence + f". Recomputed in {result.seconds:.2f} s.")


def rule_names(calendar: Any = None, old_months: int = 3, new_months: int = 1) -> tuple[str, str]:
    """The new and the old rule as a sentence names them, from the parameters: ``("the two-month rule", ...)``.

    Parameters
    ----------
    calendar : seller_insurance.policy.Calendar, optional
        In calendar mode the windows come from the calendar: the sites that changed share one new window (the
        "single-month rule" today) and the old window of every site; sites that differ give "each site's new
        rule" / "each site's old rule".
    old_months, new_months : int
        The windows of one-start mode (``calendar`` None), in consecutive calendar months.

    Returns
    -------
    tuple of str
        ``(new, old)``, each starting with "the" or "each", lower case (capitalise at the start of a sentence).
    """
    if calendar is None:
        return f"the {_text.rule_name(int(new_months))}", f"the {_text.rule_name(int(old_months))}"
    rules = [calendar.rule(site) for site in calendar.sites]
    new = {r.new_window for r in rules if r.new is not None}
    old = {r.old.window_months for r in rules}
    new_name = f"the {_text.rule_name(new.pop())}" if len(new) == 1 else "each site's new rule"
    old_name = f"the {_text.rule_name(old.pop())}" if len(old) == 1 else "each site's old rule"
    return new_name, old_name


def impact_headline(overall: Any, new_rule: str, old_rule: str, *, calendar_mode: bool = False) -> str:
    """Notebook 02's headline in Markdown (literal text, counts in the right number), from ``impact_table``'s row.

    Parameters
    ----------
    overall : pandas.Series or namedtuple
        ``impact.impact_table(comparison).iloc[0]``: population, already_required, newly_affected(_share),
        accelerated(_share), median_lead_months, mean_lead_months.
    new_rule, old_rule : str
        From :func:`rule_names`.
    calendar_mode : bool
        Each site under its own rules: the sentence says so.

    Returns
    -------
    str
        Without accelerated sellers the lead clause says nobody is required earlier (no "mean nan").
    """
    template = (
        "Each site under its own rules (policy calendar; the two events are separated below). "
        if calendar_mode
        else ""
    ) + (
        "Of **{}** seller-sites not already required when the new rule started ({} already were), {} **newly "
        "requires {}** ({}) that {} never would have, and requires **{}** ({}) earlier than {} would have"
    )
    values = [
        n(overall.population),
        n(overall.already_required),
        new_rule,
        _text.plural(overall.newly_affected, "seller"),
        pct(overall.newly_affected_share),
        old_rule,
        _text.plural(overall.accelerated, "seller"),
        pct(overall.accelerated_share),
        old_rule,
    ]
    if overall.accelerated and overall.median_lead_months == overall.median_lead_months:
        template += ": a median of **{}** earlier (mean {})"
        values += [_text.plural(overall.median_lead_months, "month"), f"{overall.mean_lead_months:.1f}"]
    return _text.md(template + ".", *values)
