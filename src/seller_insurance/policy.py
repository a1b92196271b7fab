"""Rule parameters and their public sources: the single home of every default.

Every number here cites its source; the figures and quotations are collected in ``docs/policy-facts.md``
(a copy of the team's shared policy-facts notes). Code elsewhere imports these names rather than repeating
literals, so a default changes in exactly one place.
"""

from __future__ import annotations

from datetime import date
from types import MappingProxyType
from typing import Final

# --- Insurance Threshold by site (local currency, gross proceeds per calendar month) -------------------------
# Source: Amazon Business Solutions Agreement s.9 and the Seller Central insurance help pages; table in
# docs/policy-facts.md "Insurance Threshold by site". US, CA, MX thresholds from the BSA; JP is the 2018
# definition (no newer value found); UK, EU sites, SE and PL from the 2024-05-29 update.
DEFAULT_THRESHOLDS: Final = MappingProxyType(
    {
        "US": 10_000.0,
        "CA": 10_000.0,
        "MX": 100_000.0,
        "JP": 1_000_000.0,
        "UK": 4_000.0,
        "DE": 5_000.0,
        "FR": 5_000.0,
        "IT": 5_000.0,
        "ES": 5_000.0,
        "NL": 5_000.0,
        "BE": 5_000.0,
        "SE": 50_000.0,
        "PL": 22_500.0,
    }
)

# Currency of each site (ISO 4217); gross_sales in monthly_sales is in this currency.
SITE_CURRENCY: Final = MappingProxyType(
    {
        "US": "USD",
        "CA": "CAD",
        "MX": "MXN",
        "JP": "JPY",
        "UK": "GBP",
        "DE": "EUR",
        "FR": "EUR",
        "IT": "EUR",
        "ES": "EUR",
        "NL": "EUR",
        "BE": "EUR",
        "SE": "SEK",
        "PL": "PLN",
    }
)

KNOWN_MARKETPLACES: Final = tuple(DEFAULT_THRESHOLDS)

# Input without a marketplace column is one marketplace: the US site (rule-engine issue; the 2021 change was US).
DEFAULT_MARKETPLACE: Final = "US"

# --- Windows --------------------------------------------------------------------------------------------------
# BSA before 2021-09-01: "exceed the applicable Insurance Threshold during each month over any period of three (3)
# consecutive months". From 2021-09-01 (US): "during any month". docs/policy-facts.md "The insurance rule".
OLD_RULE_MONTHS: Final = 3
NEW_RULE_MONTHS: Final = 1

# The date the single-month rule took effect on the US site (Amazon seller notice, Aug 2021; BSA update).
NEW_RULE_START: Final = "2021-09"

# Comparison: the contract says "exceed" (strict >). Amazon's Aug 2021 notice said "once you reach $10,000";
# ``inclusive=True`` switches to >=. docs/policy-facts.md.
DEFAULT_INCLUSIVE: Final = False

# "within thirty (30) days thereafter": insurance is due on the last day of the trigger month + 30 days.
INSURANCE_DUE_DAYS: Final = 30

# --- Claims ---------------------------------------------------------------------------------------------------
# Seller policy page: "For customer claims of $1000 or less, Amazon will resolve the claim ... and will not request
# reimbursement from you or your insurer if you provide proof of insurance." Press release (2021-08-10): "under
# $1,000". Default: amount <= 1,000 USD; ``strict=True`` gives < cap.
CLAIM_CAP_USD: Final = 1_000.0
CLAIMS_START: Final = date(2021, 9, 1)
# Amazon, 2021-08-10: claims under $1,000 "account for more than 80% of cases".
CLAIM_SHARE_UNDER_CAP_TARGET: Final = 0.80
# Claims can reach US$1M (Amazon 2021-08-10; minimum policy limit US$1M per occurrence).
CLAIM_MAX_USD: Final = 1_000_000.0
VALID_CLAIM_STATUSES: Final = ("valid",)
CLAIM_STATUSES: Final = ("valid", "rejected", "pending")
CLAIM_TYPES: Final = ("property_damage", "personal_injury")

# --- Premiums (broker figures; docs/policy-facts.md "Premiums") -------------------------------------------------
# US$1M cover for a small seller: about $500-$2,000 a year. Default: the midpoint of that range.
ANNUAL_PREMIUM_USD: Final = 1_250.0
ANNUAL_PREMIUM_RANGE_USD: Final = (500.0, 2_000.0)


def threshold_for(marketplace: str, threshold: float | dict[str, float] | None = None) -> float:
    """Insurance Threshold for one site, in that site's currency.

    ``threshold`` overrides: a number applies to every site; a mapping overrides the named sites and falls back to
    the defaults for the others. Raises ``KeyError`` for a site with no known threshold.
    """
    if threshold is None:
        return DEFAULT_THRESHOLDS[marketplace]
    if isinstance(threshold, int | float):
        return float(threshold)
    if marketplace in threshold:
        return float(threshold[marketplace])
    return DEFAULT_THRESHOLDS[marketplace]


# --- Currency conversion (for reporting and generation only: rules always compare in the site's own currency) ---
# Units of each currency per US dollar: IRS "Yearly Average Currency Exchange Rates", 2021 (rounded). Used by the
# generator to turn a USD sales scale into local-currency sales, and by reports to put sellers of different sites in
# common USD size bands and to express premiums as a share of sales.
FX_PER_USD: Final = MappingProxyType(
    {
        "USD": 1.0,
        "CAD": 1.254,
        "MXN": 20.284,
        "JPY": 109.817,
        "GBP": 0.727,
        "EUR": 0.845,
        "SEK": 8.584,
        "PLN": 3.862,
    }
)


def usd_per_unit(marketplace: str) -> float:
    """US dollars per unit of the site's currency (IRS 2021 yearly average; see FX_PER_USD)."""
    return 1.0 / FX_PER_USD[SITE_CURRENCY[marketplace]]


# --- Statistics (a method choice, not a rule; kept here so every default has one home) ---
# Groups with fewer valid claims than this get a bootstrap interval for the value share, the others the delta
# method. From about 1,000 claims the two agree to within ~10% of the interval's width (about 0.01) even on
# heavy-tailed severities (tests/test_intervals.py checks 300..2,000; docs/claims.md), and a bootstrap of a
# group below the switch costs at most 1,000 x n_boot draws.
BOOTSTRAP_BELOW: Final = 1_000
