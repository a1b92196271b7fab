"""Text rendered from computed numbers: number formats, footnotes and Markdown for notebook conclusions.

Every sentence a notebook states as a conclusion is built here from values it is given, never typed by hand.
Data values (ids, category names) are HTML-escaped before they enter Markdown, so a seller named
``<script>`` shows as text in the HTML report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

from seller_insurance import policy


def n(value: float | int) -> str:
    """Whole number with thousands separators (``12,345``); ``n/a`` for NaN/None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    """Share as a percentage (``0.1234 -> 12.3%``); ``n/a`` for NaN/None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}%}"


def usd(value: float | None, digits: int = 0) -> str:
    """US dollars (``$1,250``); ``n/a`` for NaN/None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"${value:,.{digits}f}"


def text(value: Any) -> str:
    """A data value safe to put in Markdown/HTML."""
    return html.escape(str(value))


def display_name(code: Any) -> str:
    """A category code as people read it: ``home_kitchen`` -> ``Home kitchen`` (other text unchanged)."""
    value = str(code)
    return value.replace("_", " ").capitalize() if value.islower() and " " not in value else value


def threshold_text(threshold: float | Mapping[str, float] | None) -> str:
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

    Returns a new DataFrame of strings (pandas escapes its HTML when displayed, so data stay text). Columns not
    named keep their values; NaN shows as an empty cell. ``index`` names a column to use as the row labels.
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
    return out.rename(columns=rename or {})
