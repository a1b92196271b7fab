"""Headline numbers over a grid of rule parameters.

Thresholds in the grid are US-dollar values for the US site; every other site's threshold is scaled by the same
factor from its own default (``policy.DEFAULT_THRESHOLDS``), so "a threshold of 15,000" means 1.5x every site's
current threshold. Windows are the *new* rule's window (the old rule keeps ``old_months``); a new window equal to
the old one reproduces the old rule, so nobody is newly affected there. Caps are claim caps in USD.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from seller_insurance import policy
from seller_insurance.analysis.metrics import metric as metric_entry


def scaled_thresholds(us_threshold: float) -> dict[str, float]:
    """Every site's threshold scaled by ``us_threshold / 10,000`` (the US default)."""
    factor = float(us_threshold) / policy.DEFAULT_THRESHOLDS["US"]
    return {site: value * factor for site, value in policy.DEFAULT_THRESHOLDS.items()}


def rule_sensitivity(
    sales: pd.DataFrame,
    thresholds: Iterable[float],
    new_windows: Iterable[int],
    *,
    old_months: int = policy.OLD_RULE_MONTHS,
    start: str | None = policy.NEW_RULE_START,
    end: str | None = None,
    inclusive: bool = policy.DEFAULT_INCLUSIVE,
) -> pd.DataFrame:
    """Newly affected and accelerated sellers for every (threshold, new window) pair.

    Columns: threshold_usd, new_months, population, newly_affected, accelerated, already_required,
    newly_affected_share, accelerated_share, median_lead_months.
    """
    from seller_insurance.analysis.impact import impact_table
    from seller_insurance.analysis.rules import compare_rules

    rows = []
    for thr in thresholds:
        for window in new_windows:
            if window > old_months:
                continue
            comp = compare_rules(
                sales,
                old_months=old_months,
                new_months=int(window),
                threshold=scaled_thresholds(thr),
                inclusive=inclusive,
                start=start,
                end=end,
            )
            t = impact_table(comp).iloc[0]
            rows.append(
                {
                    "threshold_usd": float(thr),
                    "new_months": int(window),
                    "population": int(t["population"]),
                    "newly_affected": int(t["newly_affected"]),
                    "accelerated": int(t["accelerated"]),
                    "already_required": int(t["already_required"]),
                    "newly_affected_share": float(t["newly_affected_share"]),
                    "accelerated_share": float(t["accelerated_share"]),
                    "median_lead_months": float(t["median_lead_months"]),
                }
            )
    return pd.DataFrame(rows)


def cap_sensitivity(
    claims: pd.DataFrame,
    caps: Iterable[float],
    *,
    strict: bool = False,
    statuses: tuple[str, ...] | None = policy.VALID_CLAIM_STATUSES,
) -> pd.DataFrame:
    """Share of claims at or under each cap, by count and by value, with 95% intervals (one row per cap)."""
    from seller_insurance.analysis.claims import claim_shares

    frames = []
    for cap in caps:
        s = claim_shares(claims, cap=float(cap), strict=strict, statuses=statuses)
        frames.append(s.assign(cap_usd=float(cap)))
    cols = [
        "cap_usd",
        "n_claims",
        "count_share",
        "count_share_low",
        "count_share_high",
        "amount_share",
        "amount_share_low",
        "amount_share_high",
    ]
    return pd.concat(frames, ignore_index=True)[cols]


#: Flipping exceed/reach changes the newly required count by at most this share of it: "rare" months exactly at
#: the threshold (notebook 04's verdict). A reporting choice, not a policy figure.
RARE_AT_THRESHOLD_SHARE = 0.01


@dataclass
class SensitivityFindings:
    """Everything notebook 04 shows and records (:func:`findings`).

    Attributes
    ----------
    grid : pandas.DataFrame
        :func:`rule_sensitivity` over the thresholds and windows.
    heat : pandas.DataFrame
        Newly required sellers, windows as rows ("1 month", "2 months") and thresholds as columns ("$5,000").
    newly_at_low, newly_at_high : int or None
        Newly required under the single-month rule at the lowest and highest threshold (None without that cell).
    low_threshold, high_threshold : float
        The lowest and highest threshold of the grid (USD, US site).
    flipped_newly, base_newly : int or None
        Newly required at US$10,000 with one month when sales must reach instead of exceed (or the reverse, when
        ``inclusive``), and the same cell of the grid (None when the grid lacks US$10,000 with one month).
    at_threshold_rare : bool or None
        Whether flipping changes the count by at most :data:`RARE_AT_THRESHOLD_SHARE` of it; None without a base.
    cap_grid : pandas.DataFrame
        :func:`cap_sensitivity` over the caps (``n_claims`` 0 everywhere when there are no claims).
    metrics : dict
        ``metrics.json`` entries (``value``, ``label``, ``format``, ``unit``) for the summary and the deck.
    """

    grid: pd.DataFrame
    heat: pd.DataFrame
    newly_at_low: int | None
    newly_at_high: int | None
    low_threshold: float
    high_threshold: float
    flipped_newly: int | None
    base_newly: int | None
    at_threshold_rare: bool | None
    cap_grid: pd.DataFrame
    metrics: dict[str, dict] = field(default_factory=dict)

    @property
    def has_claims(self) -> bool:
        """True when some claim counts at some cap."""
        return bool(len(self.cap_grid)) and int(self.cap_grid["n_claims"].sum()) > 0


def findings(
    sales: pd.DataFrame,
    claims: pd.DataFrame,
    thresholds: Iterable[float],
    windows: Iterable[int],
    caps: Iterable[float],
    *,
    old_months: int = policy.OLD_RULE_MONTHS,
    start: str | None = policy.NEW_RULE_START,
    inclusive: bool = policy.DEFAULT_INCLUSIVE,
) -> SensitivityFindings:
    """Notebook 04's numbers, tables and verdicts in one call (the notebook only displays them).

    Parameters
    ----------
    sales, claims : pandas.DataFrame
        The run's monthly sales and claims.
    thresholds : iterable of float
        US-site thresholds in USD (other sites scaled alike, see :func:`scaled_thresholds`).
    windows : iterable of int
        New-rule windows in months; windows above ``old_months`` are skipped.
    caps : iterable of float
        Claim caps in USD (claims at or under a cap count).
    old_months, start, inclusive
        As in :func:`rule_sensitivity`.

    Returns
    -------
    SensitivityFindings
    """
    thresholds, windows, caps = [float(t) for t in thresholds], [int(w) for w in windows], list(caps)
    grid = rule_sensitivity(
        sales, thresholds, windows, old_months=old_months, start=start, inclusive=inclusive
    )
    heat = grid.pivot(index="new_months", columns="threshold_usd", values="newly_affected")
    heat.columns = [f"${c:,.0f}" for c in heat.columns]
    heat.index = [f"{w} month{'s' if w > 1 else ''}" for w in heat.index]
    one = grid[grid["new_months"] == 1].set_index("threshold_usd")["newly_affected"]
    lo, hi = min(thresholds), max(thresholds)
    newly_lo = int(one[lo]) if lo in one.index else None
    newly_hi = int(one[hi]) if hi in one.index else None
    flip = rule_sensitivity(sales, [10_000], [1], old_months=old_months, start=start, inclusive=not inclusive)
    flipped = int(flip["newly_affected"].iloc[0]) if len(flip) else None
    base = int(one[10_000.0]) if 10_000.0 in one.index else None
    rare = None
    if base is not None and flipped is not None:
        rare = abs(flipped - base) <= RARE_AT_THRESHOLD_SHARE * max(base, 1)
    cap_grid = cap_sensitivity(claims, caps)
    other = "reach" if not inclusive else "exceed"
    metrics = {
        "newly_affected_low_threshold": metric_entry(
            newly_lo, f"newly required at ${lo:,.0f}", ",.0f", "sellers"
        ),
        "newly_affected_high_threshold": metric_entry(
            newly_hi, f"newly required at ${hi:,.0f}", ",.0f", "sellers"
        ),
        "newly_affected_flipped_comparison": metric_entry(
            flipped, f"newly required if sales must {other}", ",.0f", "sellers"
        ),
    }
    return SensitivityFindings(grid, heat, newly_lo, newly_hi, lo, hi, flipped, base, rare, cap_grid, metrics)
