"""Headline numbers over a grid of rule parameters.

Thresholds in the grid are US-dollar values for the US site; every other site's threshold is scaled by the same
factor from its own default (``policy.DEFAULT_THRESHOLDS``), so "a threshold of 15,000" means 1.5x every site's
current threshold. Windows are the *new* rule's window (the old rule keeps ``old_months``); a new window equal to
the old one reproduces the old rule, so nobody is newly affected there. Caps are claim caps in USD.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from seller_insurance import policy


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
