"""Notebook 03's findings: every number, table and verdict it shows about claims, in one call.

Amounts are in USD (cents kept), shares are 0..1 with 95% intervals as in :func:`claim_shares`. The rule comparison
(who is required under each rule) is an argument, computed by the caller (``analysis.impact.compare``), or a function
that returns it, called only when there are claims to split by rule status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seller_insurance.analysis.claims.payers import payer_split
from seller_insurance.analysis.claims.programme import site_caps
from seller_insurance.analysis.claims.shares import claim_shares
from seller_insurance.analysis.metrics import metric as metric_entry
from seller_insurance.policy import CLAIM_CAP_USD, VALID_CLAIM_STATUSES, Calendar

RULE_ORDER = ("old", "new")


@dataclass
class ClaimsFindings:
    """Everything notebook 03 shows and records (:func:`findings`).

    Attributes
    ----------
    overall : pandas.Series
        The one row of :func:`claim_shares` over all counted claims (n_claims, n_under_cap, count_share and
        amount_share with their bounds, ...; NaN shares when no claim counts).
    n_outside : int
        Claims filed outside their site's programme (calendar mode; 0 with one cap).
    has_claims : bool
        Whether any claim counts; when not, every table below is None and the money is 0.
    by_site : pandas.DataFrame or None
        Calendar mode with claims in or outside a programme: :func:`site_caps` joined with :func:`claim_shares` by
        marketplace (sites with claims only); None otherwise.
    by_category, by_type, by_year, by_quarter : pandas.DataFrame or None
        :func:`claim_shares` by seller category (raw codes), claim type, filing year and filing quarter.
    category_count_range : tuple of float
        Lowest and highest ``count_share`` over the categories with claims (NaN, NaN without claims).
    comparison : pandas.DataFrame or None
        The rule comparison used for the status table and the payers (None without claims).
    by_status : pandas.DataFrame or None
        :func:`claim_shares` by the seller's rule status.
    payers : pandas.DataFrame or None
        :func:`payer_split`: claim dollars and counts by rule ("old", "new") and payer.
    payer_shares : pandas.DataFrame or None
        Share of claim dollars by payer (columns amazon, insurer, seller; 0 where a payer pays nothing), one row
        per rule, old then new (index ``rule``).
    seller_paid_old, seller_paid_new : float
        Claim dollars uninsured sellers pay under the old and the new rule (USD; 0 without claims).
    moved_from_sellers : float
        ``seller_paid_old - seller_paid_new``: claim dollars the new rule moves to insurers and Amazon (USD).
    metrics : dict
        ``metrics.json`` entries (``value``, ``label``, ``format``, ``unit``) of the ``claims`` section: only
        n_claims (0) and n_outside_programme without claims.
    """

    overall: pd.Series
    n_outside: int
    has_claims: bool
    by_site: pd.DataFrame | None = None
    by_category: pd.DataFrame | None = None
    by_type: pd.DataFrame | None = None
    by_year: pd.DataFrame | None = None
    by_quarter: pd.DataFrame | None = None
    category_count_range: tuple[float, float] = (np.nan, np.nan)
    comparison: pd.DataFrame | None = None
    by_status: pd.DataFrame | None = None
    payers: pd.DataFrame | None = None
    payer_shares: pd.DataFrame | None = None
    seller_paid_old: float = 0.0
    seller_paid_new: float = 0.0
    moved_from_sellers: float = 0.0
    metrics: dict[str, dict] = field(default_factory=dict)


def findings(
    claims: pd.DataFrame,
    sellers: pd.DataFrame | None,
    comparison: pd.DataFrame | Callable[[], pd.DataFrame],
    *,
    calendar: Calendar | None = None,
    cap: float = CLAIM_CAP_USD,
    strict: bool = False,
    statuses: tuple[str, ...] | None = VALID_CLAIM_STATUSES,
    non_compliant_share: float = 0.0,
    seed: int = 0,
    cap_text: str = "the cap",
) -> ClaimsFindings:
    """Notebook 03's numbers, tables and verdicts in one call (the notebook only displays them).

    Parameters
    ----------
    claims, sellers : pandas.DataFrame
        The run's claims (amounts in USD) and sellers (category per seller-marketplace; None or empty without a
        sellers table: the category table then has one group with a missing key).
    comparison : pandas.DataFrame or callable
        The rule comparison (one row per seller-marketplace with status, old and new triggers), or a function of
        no arguments returning it, called only when some claim counts.
    calendar : policy.Calendar or None
        Each claim judged by its site's programme (cap and start); None: ``cap`` for every claim.
    cap : float
        One cap in USD for every claim (``calendar`` None only; ignored with a calendar, which holds the caps).
    strict : bool
        False: a claim is under the cap at ``amount <= cap``; True: ``amount < cap``.
    statuses : tuple of str or None
        Claim statuses that count (default valid only); None: every status.
    non_compliant_share : float
        Share of required sellers that never buy insurance (0..1), drawn with ``seed``.
    seed : int
        Seed of the bootstrap intervals and of the non-compliance draw.
    cap_text : str
        The cap as the metric labels name it ("USD 1,000", "the cap of their site"); text only.

    Returns
    -------
    ClaimsFindings
        With no counted claim (no claims table, none with the statuses, or all outside the programmes):
        ``has_claims`` False, the tables None, the money 0 and two metrics (n_claims 0, n_outside_programme).
    """
    kw = {"strict": strict, "statuses": statuses, "seed": seed}
    kw.update({"calendar": calendar} if calendar is not None else {"cap": cap})
    overall = claim_shares(claims, **kw).iloc[0]
    outside = int(overall.get("n_outside_programme", 0))
    has_claims = bool(overall["n_claims"])
    by_site = None
    if calendar is not None and (has_claims or outside):
        by_site = claim_shares(claims, by="marketplace", **kw)
        by_site = site_caps(calendar).merge(by_site, left_on="site", right_on="marketplace", how="inner")
    n_outside_metric = metric_entry(outside, "claims filed outside their site's programme", ",.0f", "claims")
    if not has_claims:
        metrics = {
            "n_claims": metric_entry(0, "claims counted", ",.0f", "claims"),
            "n_outside_programme": n_outside_metric,
        }
        return ClaimsFindings(overall, outside, False, by_site=by_site, metrics=metrics)
    by_category = claim_shares(claims, by="category", sellers=sellers, **kw)
    counted = by_category.loc[by_category["n_claims"] > 0, "count_share"]  # empty groups have no share
    comparison = comparison() if callable(comparison) else comparison
    by_status = claim_shares(claims, by="rule_status", comparison=comparison, **kw)
    payers = payer_split(
        claims,
        comparison,
        **({"calendar": calendar} if calendar is not None else {"cap": cap}),
        strict=strict,
        statuses=statuses,
        non_compliant_share=non_compliant_share,
        seed=seed,
    )
    shares = payers.pivot_table(index="rule", columns="payer", values="amount_share", aggfunc="sum")
    shares = shares.fillna(0.0).reindex(list(RULE_ORDER))
    amounts = payers.pivot_table(index="rule", columns="payer", values="amount", aggfunc="sum").fillna(0.0)
    seller_old = float(amounts.loc["old"].get("seller", 0.0))
    seller_new = float(amounts.loc["new"].get("seller", 0.0))
    moved = seller_old - seller_new
    metrics = {
        "n_claims": metric_entry(overall["n_claims"], "claims counted", ",.0f", "claims"),
        "count_share_under_cap": metric_entry(
            overall["count_share"], f"of claims at or under {cap_text}", ".1%", "share"
        ),
        "n_outside_programme": n_outside_metric,
        "count_share_low": metric_entry(overall["count_share_low"], "lower 95% bound", ".1%", "share"),
        "count_share_high": metric_entry(overall["count_share_high"], "upper 95% bound", ".1%", "share"),
        "value_share_under_cap": metric_entry(
            overall["amount_share"], "of claimed dollars under the cap", ".1%", "share"
        ),
        "value_share_low": metric_entry(overall["amount_share_low"], "lower 95% bound", ".1%", "share"),
        "value_share_high": metric_entry(overall["amount_share_high"], "upper 95% bound", ".1%", "share"),
        "seller_paid_old": metric_entry(
            seller_old, "paid by uninsured sellers, three-month rule", "$,.0f", "USD"
        ),
        "seller_paid_new": metric_entry(
            seller_new, "paid by uninsured sellers, single-month rule", "$,.0f", "USD"
        ),
        "moved_from_sellers": metric_entry(moved, "of claims moved off uninsured sellers", "$,.0f", "USD"),
    }
    return ClaimsFindings(
        overall,
        outside,
        True,
        by_site=by_site,
        by_category=by_category,
        by_type=claim_shares(claims, by="claim_type", **kw),
        by_year=claim_shares(claims, by="filed_year", **kw),
        by_quarter=claim_shares(claims, by="filed_quarter", **kw),
        category_count_range=(float(counted.min()), float(counted.max()))
        if len(counted)
        else (np.nan, np.nan),
        comparison=comparison,
        by_status=by_status,
        payers=payers,
        payer_shares=shares,
        seller_paid_old=seller_old,
        seller_paid_new=seller_new,
        moved_from_sellers=moved,
        metrics=metrics,
    )
