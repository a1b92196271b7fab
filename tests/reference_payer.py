"""A deliberately simple, row-by-row reference for the payer split (tests only; slow on purpose).

It restates the rule from the issue text without sharing code with ``seller_insurance.analysis.claims.payers``:
a claim at most the cap against an insured seller -> Amazon (if filed on/after claims_start, else the insurer);
above the cap against an insured seller -> insurer; any claim against an uninsured seller -> the seller.
Insured under a rule = compliant and filed on or after that rule's insurance due date.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd


def _as_date(value):
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def reference_payers(
    claims,
    comparison,
    *,
    cap=1000.0,
    strict=False,
    non_compliant=frozenset(),
    claims_start=dt.date(2021, 9, 1),
    statuses=("valid",),
):
    """List of dicts (claim_id, payer_old, payer_new) for the kept claims, in input order.

    ``non_compliant``: set of (seller_id, marketplace) that never insure.
    """
    due = {}
    for row in comparison.itertuples(index=False):
        due[(row.seller_id, row.marketplace)] = {
            "old": _as_date(row.old_insurance_due),
            "new": _as_date(row.new_insurance_due),
        }
    start = _as_date(claims_start)
    out = []
    for row in claims.itertuples(index=False):
        if statuses is not None and row.status not in statuses:
            continue
        key = (row.seller_id, row.marketplace)
        filed = _as_date(row.filed_date)
        small = row.amount < cap if strict else row.amount <= cap
        policy_on = start is None or filed >= start
        result = {"claim_id": row.claim_id}
        for rule in ("old", "new"):
            due_date = due.get(key, {}).get(rule)
            insured = key not in non_compliant and due_date is not None and filed >= due_date
            if not insured:
                payer = "seller"
            elif small and policy_on:
                payer = "amazon"
            else:
                payer = "insurer"
            result[f"payer_{rule}"] = payer
        out.append(result)
    return out


def reference_split(claims, comparison, group_of, **kwargs):
    """Dict {(rule, group, payer): (n_claims, amount)} from ``reference_payers``; ``group_of(claim_row)``."""
    payers = {p["claim_id"]: p for p in reference_payers(claims, comparison, **kwargs)}
    totals = {}
    for row in claims.itertuples(index=False):
        if row.claim_id not in payers:
            continue
        for rule in ("old", "new"):
            cell = (rule, group_of(row), payers[row.claim_id][f"payer_{rule}"])
            n, amount = totals.get(cell, (0, 0.0))
            totals[cell] = (n + 1, amount + row.amount)
    return totals
