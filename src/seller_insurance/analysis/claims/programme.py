"""Each site's claims programme from the policy calendar: its cap (converted to USD) and its start date.

Amazon's small-claims programme started per site (``docs/policy-calendar.md``, ``docs/claims.md``): US from
2021-09-01 with a USD 1,000 cap; CA, UK and the EU stores from May 2024 with CAD / GBP / EUR 1,000 (SE and PL: the
EUR cap, their local amount is unconfirmed); MX and JP have none. The calendar row in force today
(:attr:`seller_insurance.policy.SiteRule.current`) holds each site's ``claims_cap``, ``claims_cap_currency`` and
``claims_start``.

Claim amounts are in USD (``schema.CLAIMS``), so a site's cap is converted to USD at the documented table
``policy.FX_PER_USD`` (IRS yearly average rates, 2021; units of the currency per USD): CAD 1,000 = USD 797.45,
GBP 1,000 = USD 1,375.52, EUR 1,000 = USD 1,183.43. The same table is used by the generator to express local sales
in USD, so "amount in USD <= cap in USD" is "amount in local currency <= cap in local currency" for data made
with it. One table for every year is a simplification: a claim's own-day rate would move each cap by a few percent.

A claim filed before its site's programme start, or on a site with no programme, is *outside the programme*: it
is not a claim Amazon would pay under any cap, so the shares under the cap leave it out and count it separately
(``n_outside_programme``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seller_insurance import policy

__all__ = ["ClaimTerms", "claim_terms", "site_caps"]


def site_caps(calendar: policy.Calendar | None = None) -> pd.DataFrame:
    """Each site's claims programme, with the cap in USD.

    Parameters
    ----------
    calendar : policy.Calendar or None
        None: the shipped calendar (``policy.DEFAULT_CALENDAR``).

    Returns
    -------
    DataFrame
        One row per site (calendar order): ``site``, ``claims_cap`` and ``claims_cap_currency`` (local; NaN / None
        without a programme), ``cap_usd`` (``claims_cap / policy.FX_PER_USD[currency]``, NaN without a
        programme), ``claims_start`` (date or None).

    Raises
    ------
    KeyError
        A cap currency missing from ``policy.FX_PER_USD`` (the message names the site).
    """
    cal = calendar if calendar is not None else policy.DEFAULT_CALENDAR
    rows = []
    for site in cal.sites:
        now = cal.rule(site).current
        if now.claims_cap is None:
            cap_usd = np.nan
        elif now.claims_cap_currency not in policy.FX_PER_USD:
            raise KeyError(
                f"site {site!r}: claims cap currency {now.claims_cap_currency!r} has no rate in policy.FX_PER_USD "
                f"({', '.join(policy.FX_PER_USD)}); calendar {cal.source}"
            )
        else:
            cap_usd = now.claims_cap / policy.FX_PER_USD[now.claims_cap_currency]
        rows.append(
            {
                "site": site,
                "claims_cap": np.nan if now.claims_cap is None else now.claims_cap,
                "claims_cap_currency": now.claims_cap_currency,
                "cap_usd": cap_usd,
                "claims_start": now.claims_start,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ClaimTerms:
    """Per-claim programme terms (arrays aligned with the claims' rows).

    ``cap_usd`` (float, NaN: no programme on the site), ``start`` (datetime64[D], NaT: no programme),
    ``in_programme`` (bool: the site has a programme and the claim was filed on or after its start).
    """

    cap_usd: np.ndarray
    start: np.ndarray
    in_programme: np.ndarray


def claim_terms(claims: pd.DataFrame, calendar: policy.Calendar | None = None) -> ClaimTerms:
    """Cap (USD) and programme start of each claim's site, and whether the claim falls under the programme.

    Parameters
    ----------
    claims : DataFrame
        ``marketplace`` (absent: every claim on ``policy.DEFAULT_MARKETPLACE``, US) and ``filed_date``.
    calendar : policy.Calendar or None
        None: the shipped calendar.

    Returns
    -------
    ClaimTerms
        Arrays in the claims' row order. A claim filed on its site's start date is in the programme.

    Raises
    ------
    ValueError
        A claim on a site the calendar does not list (the message names the sites and the calendar).
    """
    cal = calendar if calendar is not None else policy.DEFAULT_CALENDAR
    caps = site_caps(cal).set_index("site")
    if "marketplace" in claims.columns:
        site = claims["marketplace"].astype(str).to_numpy()
    else:
        site = np.full(len(claims), policy.DEFAULT_MARKETPLACE, dtype=object)
    unknown = sorted(set(np.unique(site)) - set(caps.index)) if len(site) else []
    if unknown:
        raise ValueError(
            f"claims on marketplace(s) {', '.join(map(repr, unknown))} have no row in the policy calendar "
            f"{cal.source} (sites: {', '.join(cal.sites)})"
        )
    pos = caps.index.get_indexer(site)
    cap_usd = caps["cap_usd"].to_numpy(dtype=float)[pos]
    starts = np.array(
        [np.datetime64("NaT") if d is None else np.datetime64(d, "D") for d in caps["claims_start"]],
        dtype="datetime64[D]",
    )[pos]
    filed = pd.to_datetime(pd.Series(claims["filed_date"])).to_numpy().astype("datetime64[D]")
    in_programme = ~np.isnat(starts) & (filed >= starts)
    return ClaimTerms(cap_usd, starts, in_programme)
