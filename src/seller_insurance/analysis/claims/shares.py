"""Claims analytics: what share of A-to-z claims falls under Amazon's $1,000 cap, and who pays each claim.

Semantics and sources are in ``docs/claims.md``; in short:

- The cap (``policy.CLAIM_CAP_USD``, USD 1,000): Amazon's seller policy page says claims of "$1000 or less", the
  press release "under $1,000". Default ``amount <= cap``; ``strict=True`` gives ``amount < cap``.
- Only ``valid`` claims count by default (``policy.VALID_CLAIM_STATUSES``); ``statuses=None`` keeps every status.
- Count share with a Wilson interval; value share (a ratio of sums) with a percentile bootstrap below
  ``bootstrap_below`` claims in the group and a delta-method interval from there on.

The payer split lives in ``claims_payer`` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from seller_insurance.analysis.claims.groups import (
    KEY,
    group_codes,
    key_frame,
    normalise_by,
    plain_periods,
    select_claims,
    under_cap,
)
from seller_insurance.analysis.claims.intervals import (
    ratio_bootstrap_interval,
    ratio_delta_interval,
    wilson_interval,
)
from seller_insurance.analysis.claims.payers import (
    PAYERS,
    non_compliant,
    payer_per_claim,
    payer_shift,
    payer_split,
)
from seller_insurance.analysis.claims.programme import claim_terms
from seller_insurance.policy import BOOTSTRAP_BELOW, CLAIM_CAP_USD, VALID_CLAIM_STATUSES, Calendar

SHARE_COLUMNS = [
    "n_claims",
    "n_under_cap",
    "count_share",
    "count_share_low",
    "count_share_high",
    "amount_total",
    "amount_under_cap",
    "amount_share",
    "amount_share_low",
    "amount_share_high",
    "value_interval",
]
PROGRAMME_COLUMNS = ["n_outside_programme", "amount_outside_programme"]


def claim_shares(
    claims: pd.DataFrame,
    *,
    cap: float = CLAIM_CAP_USD,
    strict: bool = False,
    by: str | list[str] | None = None,
    statuses: tuple[str, ...] | None = VALID_CLAIM_STATUSES,
    sellers: pd.DataFrame | None = None,
    comparison: pd.DataFrame | None = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    bootstrap_below: int = BOOTSTRAP_BELOW,
    seed: int = 0,
    calendar: Calendar | None = None,
) -> pd.DataFrame:
    """Share of claims under the cap, by count and by value, with confidence intervals, per group.

    Parameters
    ----------
    claims : DataFrame
        The claims table (``schema.CLAIMS``): seller_id, [marketplace], filed_date, amount (USD, > 0), status, ...
    cap : float
        Claim cap in USD (default ``policy.CLAIM_CAP_USD`` = 1,000). A claim is under the cap if
        ``amount <= cap`` (``strict=True``: ``amount < cap``).
    by : str or list of str, optional
        Group keys: claim columns, ``filed_month`` / ``filed_quarter`` / ``filed_year``, ``sellers`` columns
        (joined on seller_id + marketplace) and ``rule_status`` (``comparison["status"]``). A comma-separated string
        is split. None: one row for all claims.
    statuses : tuple of str or None
        Claim statuses that count (default ``("valid",)``); None keeps every status.
    sellers, comparison : DataFrame, optional
        Needed only to group by a seller column or by ``rule_status``. A claim with no matching row gets a missing
        key (its own group, NaN), never dropped.
    confidence : float
        Two-sided level of every interval (default 0.95).
    n_boot, bootstrap_below, seed : int
        Value-share interval: groups with ``1 <= n_claims < bootstrap_below`` get a percentile bootstrap of
        ``n_boot`` resamples from ``numpy.random.default_rng(seed)`` (groups taken in output order), the others the
        delta-method interval. ``bootstrap_below=0`` forces the delta method everywhere.
    calendar : policy.Calendar or None
        None (default): one ``cap`` for every claim, every claim counts. A calendar: each claim's site has its own
        cap and programme start (:func:`seller_insurance.analysis.claims.programme.claim_terms`: the calendar's
        cap converted to USD at ``policy.FX_PER_USD``; US USD 1,000 from 2021-09-01, CA/UK/EU 1,000 local from
        May 2024, MX and JP none). Claims filed before their site's start, or on a site without a programme, are
        outside the programme: left out of every share and counted in ``n_outside_programme``. ``cap`` must then
        stay at its default (``ValueError`` otherwise: the calendar holds the caps).

    Returns
    -------
    DataFrame
        One row per group, sorted by the keys: the keys, then ``SHARE_COLUMNS``: n_claims, n_under_cap, count_share
        (n_under_cap / n_claims) and its Wilson bounds, amount_total and amount_under_cap (USD, cents),
        amount_share (amount_under_cap / amount_total) and its bounds, value_interval ("bootstrap" / "delta").
        Empty groups (a category with no claim when the key is Categorical; a calendar period with no filing
        between the first and last for the derived periods) have n_claims 0, NaN shares and bounds and a missing
        value_interval. With ``calendar``, n_claims and the shares cover the claims inside the programme, and
        ``PROGRAMME_COLUMNS`` follow: n_outside_programme and amount_outside_programme (USD, cents).
    """
    if calendar is not None and cap != CLAIM_CAP_USD:
        raise ValueError(
            "pass either cap or calendar: with a calendar each site's cap comes from the calendar"
        )
    by_cols = normalise_by(by)
    joins = sellers is not None or comparison is not None or calendar is not None
    needed = [*by_cols, *(KEY if joins else [])]  # names the claims lack are skipped (marketplace: US)
    chosen = select_claims(claims, statuses, columns=needed)
    keys = key_frame(chosen, by_cols, sellers=sellers, comparison=comparison)
    codes, groups = group_codes(keys)
    n_groups = len(groups)

    amount = chosen["amount"].to_numpy(dtype=float)
    outside = None
    if calendar is None:
        under = under_cap(amount, cap, strict)
    else:
        terms = claim_terms(chosen, calendar)
        inside = terms.in_programme
        outside = (
            np.bincount(codes[~inside], minlength=n_groups),
            np.bincount(codes[~inside], weights=amount[~inside], minlength=n_groups),
        )
        codes, amount = codes[inside], amount[inside]
        under = under_cap(amount, terms.cap_usd[inside], strict)
    y = np.where(under, amount, 0.0)

    n = np.bincount(codes, minlength=n_groups)
    k = np.bincount(codes, weights=under.astype(float), minlength=n_groups).astype(np.int64)
    ratio, low, high = ratio_delta_interval(codes, y, amount, n_groups, confidence)
    out = assemble_shares(
        groups,
        n,
        k,
        np.bincount(codes, weights=amount, minlength=n_groups),
        np.bincount(codes, weights=y, minlength=n_groups),
        ratio,
        low,
        high,
        lambda boot_groups: (codes, y, amount),
        confidence=confidence,
        n_boot=n_boot,
        bootstrap_below=bootstrap_below,
        seed=seed,
    )
    if outside is not None:
        out["n_outside_programme"] = outside[0].astype(np.int64)
        out["amount_outside_programme"] = np.round(outside[1], 2)
    return out


def assemble_shares(
    groups: pd.DataFrame,
    n,
    k,
    amount_total,
    amount_under,
    ratio,
    low,
    high,
    bootstrap_rows: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    bootstrap_below: int = BOOTSTRAP_BELOW,
    seed: int = 0,
) -> pd.DataFrame:
    """The output table of :func:`claim_shares` from per-group totals (shared with ``distributed``).

    ``n``/``k`` claims and claims under the cap, ``amount_total``/``amount_under`` their sums (USD), ``ratio``,
    ``low``, ``high`` the value share and its delta-method bounds. Groups with ``1 <= n < bootstrap_below`` get the
    percentile bootstrap instead: ``bootstrap_rows(boot_groups)`` returns ``(codes, y, x)`` of (at least) their
    claims in row order, codes numbering ``groups``. Adds the Wilson count interval.
    """
    n = np.asarray(n, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    low, high = np.array(low, dtype=float), np.array(high, dtype=float)
    count_low, count_high = wilson_interval(k, n, confidence)
    boot = (n >= 1) & (n < int(bootstrap_below))
    boot_groups = np.flatnonzero(boot)
    if len(boot_groups):
        codes, y, x = bootstrap_rows(boot_groups)
        b_low, b_high = ratio_bootstrap_interval(
            codes, y, x, boot_groups, confidence=confidence, n_boot=n_boot, rng=np.random.default_rng(seed)
        )
        low[boot_groups], high[boot_groups] = b_low, b_high
    method = np.where(n == 0, None, np.where(boot, "bootstrap", "delta")).astype(object)

    with np.errstate(invalid="ignore", divide="ignore"):
        count_share = k / n
    out = plain_periods(groups).reset_index(drop=True)
    stats = pd.DataFrame(
        {
            "n_claims": n,
            "n_under_cap": k,
            "count_share": count_share,
            "count_share_low": count_low,
            "count_share_high": count_high,
            "amount_total": np.round(np.asarray(amount_total, dtype=float), 2),
            "amount_under_cap": np.round(np.asarray(amount_under, dtype=float), 2),
            "amount_share": ratio,
            "amount_share_low": low,
            "amount_share_high": high,
            "value_interval": pd.array(method, dtype="str"),
        }
    )
    return pd.concat([out, stats], axis=1)


__all__ = [
    "BOOTSTRAP_BELOW",
    "PAYERS",
    "PROGRAMME_COLUMNS",
    "SHARE_COLUMNS",
    "assemble_shares",
    "claim_shares",
    "non_compliant",
    "payer_per_claim",
    "payer_shift",
    "payer_split",
    "select_claims",
    "under_cap",
    "wilson_interval",
]
