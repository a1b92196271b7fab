"""Who pays each claim, old rule vs new rule (payer_per_claim, payer_split, non_compliant)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_payer import reference_payers, reference_split

from seller_insurance.analysis.claims import non_compliant, payer_per_claim, payer_shift, payer_split


def _comparison(rows):
    """rows: (seller_id, status, old_due or None, new_due or None)."""
    return pd.DataFrame(
        {
            "seller_id": [r[0] for r in rows],
            "marketplace": "US",
            "old_trigger": pd.NaT,
            "new_trigger": pd.NaT,
            "status": [r[1] for r in rows],
            "lead_months": 0,
            "old_insurance_due": pd.to_datetime([r[2] for r in rows]),
            "new_insurance_due": pd.to_datetime([r[3] for r in rows]),
        }
    )


def _claims(rows):
    """rows: (claim_id, seller_id, filed_date, amount[, status])."""
    return pd.DataFrame(
        {
            "claim_id": [r[0] for r in rows],
            "seller_id": [r[1] for r in rows],
            "marketplace": "US",
            "filed_date": pd.to_datetime([r[2] for r in rows]),
            "claim_type": "property_damage",
            "amount": [float(r[3]) for r in rows],
            "status": [r[4] if len(r) > 4 else "valid" for r in rows],
        }
    )


COMPARISON = _comparison(
    [
        # insured from 2021-12-30 under the old rule, from 2021-10-30 under the new one (accelerated)
        ("acc", "accelerated", "2021-12-30", "2021-10-30"),
        # never required under the old rule, from 2021-11-30 under the new one
        ("new", "newly_affected", None, "2021-11-30"),
        ("none", "unaffected", None, None),
    ]
)


def test_hand_worked_payers():
    claims = _claims(
        [
            ("c1", "acc", "2021-10-29", 500),  # day before the new due date: uninsured under both -> seller
            ("c2", "acc", "2021-10-30", 500),  # on the new due date: insured (new) -> amazon; old -> seller
            ("c3", "acc", "2021-11-15", 1000.00),  # exactly the cap: at or under -> amazon under new
            ("c4", "acc", "2021-11-15", 1000.01),  # a cent over: insurer under new
            ("c5", "acc", "2022-01-01", 1000.01),  # insured under both -> insurer, insurer
            ("c6", "new", "2022-01-01", 20),  # newly affected: seller (old) -> amazon (new)
            ("c7", "none", "2022-01-01", 20),  # never required: seller, seller
            ("c8", "ghost", "2022-01-01", 20),  # seller with no comparison row: uninsured, kept
            ("c9", "acc", "2022-01-01", 20, "rejected"),  # screened out by default
        ]
    )
    got = payer_per_claim(claims, COMPARISON)
    assert got["claim_id"].tolist() == [f"c{i}" for i in range(1, 9)]
    assert got["payer_old"].astype(str).tolist() == ["seller"] * 4 + ["insurer", "seller", "seller", "seller"]
    assert got["payer_new"].astype(str).tolist() == [
        "seller",
        "amazon",
        "amazon",
        "insurer",
        "insurer",
        "amazon",
        "seller",
        "seller",
    ]
    assert got["in_comparison"].tolist() == [True] * 7 + [False]
    assert got["insured_new"].tolist() == [False, True, True, True, True, True, False, False]
    strict = payer_per_claim(claims, COMPARISON, strict=True)
    assert strict.loc[strict["claim_id"] == "c3", "payer_new"].astype(str).item() == "insurer"
    assert (
        payer_per_claim(claims, COMPARISON, cap=10)
        .loc[lambda f: f["claim_id"] == "c2", "payer_new"]
        .astype(str)
        .item()
        == "insurer"
    )


def test_claims_before_the_claims_policy_go_to_the_insurer():
    comparison = _comparison([("s", "unaffected", "2020-01-30", "2020-01-30")])
    claims = _claims([("a", "s", "2021-08-31", 100), ("b", "s", "2021-09-01", 100)])
    default = payer_per_claim(claims, comparison)
    assert default["payer_old"].astype(str).tolist() == ["insurer", "amazon"]
    assert default["payer_new"].astype(str).tolist() == ["insurer", "amazon"]
    everywhere = payer_per_claim(claims, comparison, claims_start=None)
    assert everywhere["payer_old"].astype(str).tolist() == ["amazon", "amazon"]
    later = payer_per_claim(claims, comparison, claims_start="2022-01-01")
    assert later["payer_new"].astype(str).tolist() == ["insurer", "insurer"]


def test_non_compliant_draw():
    keys = pd.DataFrame({"seller_id": [f"s{i}" for i in range(20_000)], "marketplace": "US"})
    bad = non_compliant(keys, 0.3, seed=5)
    # binomial: 6,000 expected, sd = sqrt(20,000 * 0.3 * 0.7) = 64.8; 4 sd
    assert abs(bad.sum() - 6_000) < 4 * 64.8
    # per seller, not per row position: shuffled input gives the same draw for each seller
    order = np.random.default_rng(0).permutation(len(keys))
    np.testing.assert_array_equal(non_compliant(keys.iloc[order], 0.3, seed=5), bad[order])
    assert not np.array_equal(non_compliant(keys, 0.3, seed=6), bad)
    # nested in the share: a seller non-compliant at 10% is non-compliant at 30%
    assert not (non_compliant(keys, 0.1, seed=5) & ~bad).any()
    assert not non_compliant(keys, 0.0).any() and non_compliant(keys, 1.0).all()
    with pytest.raises(ValueError, match="non_compliant_share"):
        non_compliant(keys, 1.5)


def _random_case(n_sellers=60, n_claims=800, seed=3):
    rng = np.random.default_rng(seed)
    sellers = [f"s{i:03d}" for i in range(n_sellers)]
    base = np.datetime64("2021-01-30")
    old_due = np.where(
        rng.random(n_sellers) < 0.4, base + rng.integers(0, 700, n_sellers), np.datetime64("NaT")
    )
    new_due = np.where(
        rng.random(n_sellers) < 0.7, base + rng.integers(0, 700, n_sellers), np.datetime64("NaT")
    )
    statuses = rng.choice(["newly_affected", "accelerated", "unaffected"], n_sellers)
    comparison = _comparison(list(zip(sellers, statuses, old_due, new_due, strict=True)))
    claim_sellers = rng.choice([*sellers, "unknown1"], n_claims)
    filed = np.datetime64("2020-06-01") + rng.integers(0, 1000, n_claims)
    amount = np.round(np.exp(rng.normal(5.5, 1.3, n_claims)), 2)
    amount[:5] = 1000.0
    status = rng.choice(["valid", "valid", "valid", "rejected", "pending"], n_claims)
    claims = _claims(
        [
            (f"c{i}", s, f, a, st)
            for i, (s, f, a, st) in enumerate(zip(claim_sellers, filed, amount, status, strict=True))
        ]
    )
    return claims, comparison


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"non_compliant_share": 0.3, "seed": 9},
        {"strict": True, "cap": 500.0},
        {"claims_start": None, "statuses": None},
    ],
)
def test_payer_per_claim_matches_reference(kwargs):
    claims, comparison = _random_case()
    got = payer_per_claim(claims, comparison, **kwargs)
    share = kwargs.get("non_compliant_share", 0.0)
    flags = non_compliant(comparison[["seller_id", "marketplace"]], share, kwargs.get("seed", 0))
    bad = set(zip(comparison["seller_id"][flags], comparison["marketplace"][flags], strict=True))
    ref_kwargs = {k: v for k, v in kwargs.items() if k in {"cap", "strict", "claims_start", "statuses"}}
    ref = pd.DataFrame(reference_payers(claims, comparison, non_compliant=bad, **ref_kwargs))
    assert got["claim_id"].tolist() == ref["claim_id"].tolist()
    assert got["payer_old"].astype(str).tolist() == ref["payer_old"].tolist()
    assert got["payer_new"].astype(str).tolist() == ref["payer_new"].tolist()
    # every payer occurs, so the comparison is not vacuous
    assert set(ref["payer_new"]) == {"amazon", "insurer", "seller"}
    if share:
        assert got["non_compliant"].any()


def test_payer_split_matches_reference_by_rule_status():
    claims, comparison = _random_case()
    status_of = dict(zip(comparison["seller_id"], comparison["status"], strict=True))
    got = payer_split(claims, comparison, by="rule_status", non_compliant_share=0.2, seed=1)
    flags = non_compliant(comparison[["seller_id", "marketplace"]], 0.2, 1)
    bad = set(zip(comparison["seller_id"][flags], comparison["marketplace"][flags], strict=True))
    ref = reference_split(
        claims, comparison, lambda row: status_of.get(row.seller_id, "?"), non_compliant=bad
    )
    got_status = got["rule_status"].astype(object).where(got["rule_status"].notna(), "?")
    seen = set()
    for rule, status, payer, n, amount in zip(
        got["rule"], got_status, got["payer"], got["n_claims"], got["amount"], strict=True
    ):
        ref_n, ref_amount = ref.get((rule, status, payer), (0, 0.0))
        assert n == ref_n
        assert amount == pytest.approx(ref_amount, abs=0.005)
        seen.add((rule, status, payer))
    assert set(ref) <= seen
    assert len(got) == 2 * 4 * 3  # rules x (3 statuses + unknown seller) x payers, zero cells included
    # shares within each rule x group add up to one
    sums = got.groupby(["rule", got_status], sort=False)["amount_share"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)


def test_payer_split_totals_and_shift():
    claims = _claims(
        [("a", "new", "2022-01-01", 20), ("b", "new", "2022-01-01", 5000), ("c", "none", "2022-01-01", 80)]
    )
    split = payer_split(claims, COMPARISON)
    assert split["rule"].tolist() == ["old"] * 3 + ["new"] * 3
    assert split["payer"].tolist() == ["amazon", "insurer", "seller"] * 2
    # old: everything on sellers; new: amazon 20, insurer 5000, seller 80 (of 5100)
    assert split["amount"].tolist() == [0.0, 0.0, 5100.0, 20.0, 5000.0, 80.0]
    assert split["amount_share"].tolist()[3:] == pytest.approx([20 / 5100, 5000 / 5100, 80 / 5100])
    shift = payer_shift(split)
    assert shift.set_index("payer")["amount_change"].to_dict() == {
        "amazon": 20.0,
        "insurer": 5000.0,
        "seller": -5020.0,
    }


def test_comparison_must_be_unique_and_complete():
    claims = _claims([("a", "acc", "2022-01-01", 20)])
    twice = pd.concat([COMPARISON, COMPARISON.iloc[:1]])
    with pytest.raises(ValueError, match="more than one row"):
        payer_split(claims, twice)
    with pytest.raises(ValueError, match="new_insurance_due"):
        payer_split(claims, COMPARISON.drop(columns="new_insurance_due"))


def test_same_seed_same_numbers():
    claims, comparison = _random_case()
    a = payer_split(claims, comparison, non_compliant_share=0.25, seed=4)
    b = payer_split(claims, comparison, non_compliant_share=0.25, seed=4)
    pd.testing.assert_frame_equal(a, b)
