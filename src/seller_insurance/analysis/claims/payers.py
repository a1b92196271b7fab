"""Who pays each claim under the old (three-month) and new (single-month) insurance rule.

Per claim and rule (``docs/claims.md`` has the sources):

- The seller is *insured* if the claim was filed on or after the seller's insurance due date under that rule
  (``comparison.old_insurance_due`` / ``new_insurance_due``; the due date itself counts as insured: insurance
  must be in force by then) and the seller is compliant. No due date (NaT) or no comparison row: not insured.
- Non-compliance: each seller-marketplace is non-compliant with probability ``non_compliant_share``, from a seeded
  pseudo-random draw (a keyed hash of seller_id and marketplace, so the draw does not depend on row order or on
  which other sellers are present); the same draw holds for both rules. A non-compliant seller is never insured.
- Claims policy (Amazon pays small claims, from ``policy.CLAIMS_START`` = 2021-09-01): for a claim filed on or after
  ``claims_start`` (None: every claim), a claim at or under the cap against an insured seller is paid by Amazon with
  no reimbursement; above the cap the insurer pays. Before ``claims_start`` an insured seller's insurer pays every
  claim. With ``calendar=`` each claim's site has its own cap (in USD at ``policy.FX_PER_USD``) and programme start
  from the policy calendar (``analysis.claims.programme``); a site without a programme (MX, JP) never has one. An uninsured seller reimburses (pays) every claim. The same claims policy applies in both rule scenarios,
  so old vs new isolates the insurance rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from seller_insurance.analysis.claims.groups import (
    KEY,
    check_columns,
    group_codes,
    key_frame,
    lookup,
    normalise_by,
    plain_periods,
    select_claims,
    under_cap,
    with_marketplace,
)
from seller_insurance.analysis.claims.programme import claim_terms
from seller_insurance.policy import CLAIM_CAP_USD, CLAIMS_START, VALID_CLAIM_STATUSES, Calendar

PAYERS = ("amazon", "insurer", "seller")
RULES = ("old", "new")
AMAZON, INSURER, SELLER = range(3)
COMPARISON_COLUMNS = [*KEY, "old_insurance_due", "new_insurance_due"]


def non_compliant(keys: pd.DataFrame, share: float = 0.0, seed: int = 0) -> np.ndarray:
    """Boolean per row of ``keys`` (seller_id, marketplace): the seller does not buy the required insurance.

    A seeded pseudo-random draw: ``u = hash(seed, seller_id, marketplace) / 2**64`` (pandas' keyed hash), and
    non-compliant where ``u < share``. Deterministic per seller-marketplace whatever the row order. ``share`` in
    [0, 1]; 0 (the default) means every seller complies.
    """
    share = float(share)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"non_compliant_share must be in [0, 1], got {share!r}")
    keys = with_marketplace(keys)
    if share == 0.0 or len(keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    hash_key = f"{int(seed) % 10**16:016d}"
    h = pd.util.hash_pandas_object(keys[KEY].astype(str), index=False, hash_key=hash_key).to_numpy()
    u = (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return u < share


def _day(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")


def _payers(
    chosen: pd.DataFrame,
    comparison: pd.DataFrame,
    cap: float,
    strict: bool,
    non_compliant_share: float,
    seed: int,
    claims_start: date | str | None,
    calendar: Calendar | None = None,
) -> dict[str, np.ndarray]:
    if calendar is not None and (cap != CLAIM_CAP_USD or claims_start != CLAIMS_START):
        raise ValueError(
            "pass either cap / claims_start or calendar: with a calendar each site's cap and programme start "
            "come from the calendar"
        )
    check_columns(comparison, COMPARISON_COLUMNS, "comparison")
    comparison = with_marketplace(comparison)
    bad = non_compliant(comparison[KEY], non_compliant_share, seed)
    table = comparison[COMPARISON_COLUMNS].assign(_nc=bad, _found=True)
    due = lookup(chosen, table, ["old_insurance_due", "new_insurance_due", "_nc", "_found"], "comparison")
    in_comparison = due["_found"].notna().to_numpy()
    bad_claim = due["_nc"].fillna(False).to_numpy(dtype=bool)

    filed = _day(chosen["filed_date"])
    amount = chosen["amount"].to_numpy(dtype=float)
    if calendar is not None:
        terms = claim_terms(chosen, calendar)
        small = under_cap(amount, terms.cap_usd, strict)
        applies = terms.in_programme
    else:
        small = under_cap(amount, cap, strict)
        applies = (
            np.ones(len(chosen), dtype=bool)
            if claims_start is None
            else filed >= np.datetime64(pd.Timestamp(claims_start).date(), "D")
        )
    out = {
        "under_cap": small,
        "cap_policy": applies,
        "in_comparison": in_comparison,
        "non_compliant": bad_claim,
    }
    for rule in RULES:
        due_day = _day(due[f"{rule}_insurance_due"])
        insured = (filed >= due_day) & ~bad_claim  # NaT compares False: never insured
        payer = np.where(insured, np.where(small & applies, AMAZON, INSURER), SELLER).astype(np.int8)
        out[f"insured_{rule}"] = insured
        out[f"payer_{rule}"] = payer
    return out


def payer_per_claim(
    claims: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    cap: float = CLAIM_CAP_USD,
    strict: bool = False,
    non_compliant_share: float = 0.0,
    seed: int = 0,
    claims_start: date | str | None = CLAIMS_START,
    statuses: Sequence[str] | None = VALID_CLAIM_STATUSES,
    calendar: Calendar | None = None,
) -> pd.DataFrame:
    """Payer of each claim under the old and the new rule (module docstring: the rules).

    Parameters
    ----------
    claims : DataFrame
        Claims table (seller_id, [marketplace], filed_date, amount in USD, status, ...).
    comparison : DataFrame
        ``rules.compare_rules`` output: seller_id, marketplace, old_insurance_due, new_insurance_due (dates, NaT:
        never due), one row per seller-marketplace.
    cap, strict : claim cap in USD (default 1,000) and ``<`` instead of ``<=``.
    non_compliant_share, seed : share of sellers who never insure, and the seed of that draw.
    claims_start : date or None
        First filing date of Amazon's claims policy (default 2021-09-01); None applies it to every claim.
    statuses : claim statuses kept (default valid only; None: all).
    calendar : policy.Calendar or None
        Each site's own cap and programme start from the calendar (``cap`` and ``claims_start`` must then stay at
        their defaults, else ``ValueError``); ``comparison`` is then usually ``rules.evaluate_calendar``'s output
        (old = the three-month rule kept forever, new = the rules as enacted on each site).

    Returns
    -------
    DataFrame
        The kept claims (input index and order) with their columns plus under_cap, cap_policy (claim filed under
        the claims policy), in_comparison (seller has a comparison row; if not it is treated as never required to
        insure), non_compliant, insured_old, insured_new, payer_old, payer_new (Categorical amazon / insurer /
        seller).
    """
    chosen = select_claims(claims, statuses)
    res = _payers(chosen, comparison, cap, strict, non_compliant_share, seed, claims_start, calendar)
    out = chosen.copy()
    for name, values in res.items():
        if name.startswith("payer_"):
            out[name] = pd.Categorical.from_codes(values, categories=list(PAYERS))
        else:
            out[name] = values
    return out


def payer_split(
    claims: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    cap: float = CLAIM_CAP_USD,
    strict: bool = False,
    non_compliant_share: float = 0.0,
    seed: int = 0,
    claims_start: date | str | None = CLAIMS_START,
    statuses: Sequence[str] | None = VALID_CLAIM_STATUSES,
    by: str | list[str] | None = None,
    sellers: pd.DataFrame | None = None,
    calendar: Calendar | None = None,
) -> pd.DataFrame:
    """Claim dollars and counts by payer, old rule vs new rule, optionally per group.

    Same parameters as ``payer_per_claim`` (``calendar``: each site's own cap and programme start); ``by`` / ``sellers`` group as in ``claim_shares`` (``rule_status``
    comes from ``comparison``).

    Returns
    -------
    DataFrame
        One row per rule ("old", "new") x group x payer ("amazon", "insurer", "seller"; every payer listed, zero if
        none), in that order: rule, the keys, payer, n_claims, amount (USD, cents), amount_share (share of the
        group's claim dollars under that rule; NaN for an empty group), count_share.
    """
    by_cols = normalise_by(by)
    chosen = select_claims(claims, statuses)
    res = _payers(chosen, comparison, cap, strict, non_compliant_share, seed, claims_start, calendar)
    codes, groups = group_codes(key_frame(chosen, by_cols, sellers=sellers, comparison=comparison))
    groups = plain_periods(groups).reset_index(drop=True)
    n_groups = len(groups)
    amount = chosen["amount"].to_numpy(dtype=float)
    n_cells = n_groups * len(PAYERS)
    frames = []
    for rule in RULES:
        cell = codes * len(PAYERS) + res[f"payer_{rule}"]
        n = np.bincount(cell, minlength=n_cells).reshape(n_groups, len(PAYERS))
        dollars = np.bincount(cell, weights=amount, minlength=n_cells).reshape(n_groups, len(PAYERS))
        with np.errstate(invalid="ignore", divide="ignore"):
            amount_share = dollars / dollars.sum(axis=1, keepdims=True)
            count_share = n / n.sum(axis=1, keepdims=True)
        frame = groups.loc[np.repeat(np.arange(n_groups), len(PAYERS))].reset_index(drop=True)
        frame.insert(0, "rule", rule)
        frame["payer"] = np.tile(np.array(PAYERS, dtype=object), n_groups)
        frame["n_claims"] = n.ravel().astype(np.int64)
        frame["amount"] = np.round(dollars.ravel(), 2)
        frame["amount_share"] = amount_share.ravel()
        frame["count_share"] = count_share.ravel()
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["rule"] = out["rule"].astype("str")
    out["payer"] = out["payer"].astype("str")
    return out


def payer_shift(split: pd.DataFrame) -> pd.DataFrame:
    """Old vs new side by side from ``payer_split``, per group and payer.

    Columns amount_old, amount_new, amount_change (new - old, USD), amount_share_old, amount_share_new,
    share_change (percentage points as a fraction).

    Shows how much of the money moves from uninsured sellers to insurers and to Amazon.
    """
    keys = [
        c
        for c in split.columns
        if c not in {"rule", "payer", "n_claims", "amount", "amount_share", "count_share"}
    ]
    cols = ["amount", "amount_share", "n_claims"]
    old = split[split["rule"] == "old"].reset_index(drop=True)
    new = split[split["rule"] == "new"].reset_index(drop=True)
    out = old[[*keys, "payer"]].copy()
    for c in cols:
        out[f"{c}_old"] = old[c].to_numpy()
        out[f"{c}_new"] = new[c].to_numpy()
    out["amount_change"] = np.round(out["amount_new"] - out["amount_old"], 2)
    out["share_change"] = out["amount_share_new"] - out["amount_share_old"]
    return out
