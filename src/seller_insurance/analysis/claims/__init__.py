"""Claims analytics: what share of A-to-z claims falls under Amazon's cap, and who pays each claim.

The public face of the claims subpackage; semantics and sources are in ``docs/claims.md``. Modules inside:
``shares`` (count and value shares with intervals), ``groups`` (grouping keys, derived periods, joins),
``payers`` (who pays under each rule), ``aggregates`` (Business Reports' daily claim totals, which give no share), ``findings`` (notebook 03's numbers in one call), ``programme`` (each site's cap and programme start from the
policy calendar), ``intervals`` (Wilson, bootstrap, delta method).

Besides the analysis functions, the face exports the building blocks another engine needs to compute the same
table from partial sums (:mod:`seller_insurance.analysis.distributed` on Dask): the grouping keys and codes and the
delta-method interval from moments.
"""

from seller_insurance.analysis.claims.aggregates import business_report_claims, monthly_claim_totals
from seller_insurance.analysis.claims.findings import ClaimsFindings, findings
from seller_insurance.analysis.claims.groups import (
    DERIVED_PERIODS,
    check_columns,
    group_codes,
    key_frame,
    normalise_by,
)
from seller_insurance.analysis.claims.intervals import ratio_delta_from_moments, z_value
from seller_insurance.analysis.claims.programme import ClaimTerms, claim_terms, site_caps
from seller_insurance.analysis.claims.shares import (
    BOOTSTRAP_BELOW,
    PAYERS,
    PROGRAMME_COLUMNS,
    SHARE_COLUMNS,
    assemble_shares,
    claim_shares,
    non_compliant,
    payer_per_claim,
    payer_shift,
    payer_split,
    select_claims,
    under_cap,
    wilson_interval,
)

__all__ = [
    "BOOTSTRAP_BELOW",
    "PROGRAMME_COLUMNS",
    "ClaimTerms",
    "ClaimsFindings",
    "claim_terms",
    "site_caps",
    "DERIVED_PERIODS",
    "PAYERS",
    "SHARE_COLUMNS",
    "assemble_shares",
    "business_report_claims",
    "check_columns",
    "claim_shares",
    "findings",
    "group_codes",
    "key_frame",
    "monthly_claim_totals",
    "non_compliant",
    "normalise_by",
    "payer_per_claim",
    "payer_shift",
    "payer_split",
    "ratio_delta_from_moments",
    "select_claims",
    "under_cap",
    "wilson_interval",
    "z_value",
]
