"""Claim shares under the cap (seller_insurance.analysis.claims.claim_shares): hand-worked cases and a pandas reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from seller_insurance.analysis.claims import SHARE_COLUMNS, claim_shares

Z2 = 1.959963984540054**2


def _claims(amounts, sellers=None, statuses=None, dates=None, types=None):
    n = len(amounts)
    return pd.DataFrame(
        {
            "claim_id": [f"c{i}" for i in range(n)],
            "seller_id": sellers or ["s1"] * n,
            "marketplace": "US",
            "filed_date": pd.to_datetime(dates or ["2022-01-15"] * n),
            "claim_type": types or ["property_damage"] * n,
            "amount": [float(a) for a in amounts],
            "status": statuses or ["valid"] * n,
        }
    )


def test_exactly_the_cap_counts_as_under_by_default_not_when_strict():
    claims = _claims([1000.00, 1000.01, 999.99, 250.0])
    default = claim_shares(claims).iloc[0]
    assert list(claim_shares(claims).columns) == SHARE_COLUMNS
    assert (default.n_claims, default.n_under_cap) == (4, 3)
    assert default.count_share == 0.75
    assert default.amount_total == 3250.0
    assert default.amount_under_cap == 2249.99
    assert default.amount_share == pytest.approx(2249.99 / 3250)
    strict = claim_shares(claims, strict=True).iloc[0]
    assert (strict.n_under_cap, strict.amount_under_cap) == (2, 1249.99)
    other_cap = claim_shares(claims, cap=500).iloc[0]
    assert (other_cap.n_under_cap, other_cap.amount_under_cap) == (1, 250.0)


def test_only_valid_claims_by_default():
    claims = _claims([10, 20, 5000, 40], statuses=["valid", "rejected", "valid", "pending"])
    valid = claim_shares(claims).iloc[0]
    assert (valid.n_claims, valid.n_under_cap, valid.amount_total) == (2, 1, 5010.0)
    every = claim_shares(claims, statuses=None).iloc[0]
    assert (every.n_claims, every.n_under_cap, every.amount_total) == (4, 3, 5070.0)
    two = claim_shares(claims, statuses=("valid", "pending")).iloc[0]
    assert two.n_claims == 3


def test_empty_group_and_all_under_group():
    sellers = pd.DataFrame(
        {
            "seller_id": ["a", "b"],
            "marketplace": "US",
            "category": pd.Categorical(["toys", "home"], categories=["books", "home", "toys"]),
        }
    )
    # toys: 5 claims all under the cap; home: 2 of 3 under; books: no claims
    claims = _claims([10, 20, 30, 40, 50, 100, 200, 3000], sellers=["a"] * 5 + ["b"] * 3)
    out = claim_shares(claims, by="category", sellers=sellers).set_index("category")
    assert list(out.index) == ["books", "home", "toys"]
    books = out.loc["books"]
    assert books.n_claims == 0 and books.n_under_cap == 0 and books.amount_total == 0.0
    for col in [
        "count_share",
        "count_share_low",
        "count_share_high",
        "amount_share",
        "amount_share_low",
        "amount_share_high",
    ]:
        assert math.isnan(books[col]), col
    assert pd.isna(books.value_interval)
    toys = out.loc["toys"]
    assert toys.count_share == 1.0 and toys.count_share_high == 1.0  # boundary: exactly 1
    assert toys.count_share_low == pytest.approx(5 / (5 + Z2))  # Wilson at k = n: n / (n + z^2)
    assert (toys.amount_share, toys.amount_share_low, toys.amount_share_high) == (1.0, 1.0, 1.0)
    assert toys.value_interval == "bootstrap"
    home = out.loc["home"]
    assert (home.n_claims, home.n_under_cap, home.amount_share) == (3, 2, pytest.approx(300 / 3300))


def test_none_under_the_cap_gives_zero_lower_bounds():
    out = claim_shares(_claims([2000, 3000, 4000])).iloc[0]
    assert (out.count_share, out.count_share_low) == (0.0, 0.0)
    assert out.count_share_high == pytest.approx(Z2 / (3 + Z2))
    assert (out.amount_share_low, out.amount_share_high) == (0.0, 0.0)


def test_unknown_seller_is_kept_in_a_missing_group():
    sellers = pd.DataFrame({"seller_id": ["a"], "marketplace": "US", "size_band": ["$10k-$100k"]})
    claims = _claims([10, 20, 2000], sellers=["a", "zz", "zz"])
    out = claim_shares(claims, by="size_band", sellers=sellers)
    assert out["n_claims"].sum() == 3
    known = out[out["size_band"] == "$10k-$100k"].iloc[0]
    missing = out[out["size_band"].isna()].iloc[0]
    assert (known.n_claims, missing.n_claims, missing.n_under_cap) == (1, 2, 1)


def test_rule_status_grouping():
    comparison = pd.DataFrame(
        {
            "seller_id": ["a", "b"],
            "marketplace": "US",
            "status": ["newly_affected", "unaffected"],
            "old_insurance_due": pd.NaT,
            "new_insurance_due": pd.NaT,
        }
    )
    claims = _claims([10, 2000, 30, 40], sellers=["a", "a", "b", "c"])
    out = claim_shares(claims, by="rule_status", comparison=comparison)
    got = dict(zip(out["rule_status"].fillna("?"), out["n_under_cap"], strict=True))
    assert got == {"newly_affected": 1, "unaffected": 1, "?": 1}
    with pytest.raises(ValueError, match="comparison"):
        claim_shares(claims, by="rule_status")


def test_filing_periods_cover_the_calendar():
    claims = _claims([10, 2000, 30], dates=["2021-02-03", "2021-02-28", "2021-09-30"])
    q = claim_shares(claims, by="filed_quarter")
    assert q["filed_quarter"].tolist() == ["2021Q1", "2021Q2", "2021Q3"]
    assert q["n_claims"].tolist() == [2, 0, 1]
    m = claim_shares(claims, by="filed_month")
    assert len(m) == 8 and m["n_claims"].sum() == 3
    assert m["filed_month"].iloc[0] == pd.Timestamp("2021-02-01")
    assert pd.api.types.is_datetime64_any_dtype(m["filed_month"])
    y = claim_shares(claims, by="filed_year")
    assert y["filed_year"].tolist() == [2021]


def test_matches_a_pandas_reference_on_random_claims():
    rng = np.random.default_rng(5)
    n = 3000
    claims = _claims(
        np.round(np.exp(rng.normal(5.5, 1.4, n)), 2),
        sellers=list(rng.choice(["a", "b", "c"], n)),
        statuses=list(rng.choice(["valid", "valid", "rejected"], n)),
        dates=list(np.datetime64("2021-01-01") + rng.integers(0, 900, n)),
        types=list(rng.choice(["property_damage", "personal_injury"], n)),
    )
    claims.loc[:9, "amount"] = 1000.0
    out = claim_shares(claims, by=["claim_type", "filed_year"])
    valid = claims[claims["status"] == "valid"].assign(
        year=lambda f: f["filed_date"].dt.year,
        under=lambda f: f["amount"] <= 1000,
        under_amount=lambda f: f["amount"].where(f["amount"] <= 1000, 0.0),
    )
    ref = valid.groupby(["claim_type", "year"]).agg(
        n=("amount", "size"), k=("under", "sum"), total=("amount", "sum"), under=("under_amount", "sum")
    )
    got = out.set_index(["claim_type", "filed_year"])
    assert len(got) == len(ref) == 6
    for key, row in ref.iterrows():
        g = got.loc[key]
        assert g.n_claims == row.n and g.n_under_cap == row.k
        assert g.amount_total == pytest.approx(row.total, abs=0.01)
        assert g.amount_share == pytest.approx(row.under / row.total)
        assert g.count_share_low < g.count_share < g.count_share_high
        assert g.amount_share_low < g.amount_share < g.amount_share_high


def test_interval_switch_and_determinism():
    rng = np.random.default_rng(2)
    amounts = np.round(np.exp(rng.normal(5.5, 1.0, 150)), 2)
    claims = _claims(amounts, sellers=["small"] * 50 + ["large"] * 100)
    sellers = pd.DataFrame({"seller_id": ["small", "large"], "marketplace": "US", "band": ["s", "l"]})
    out = claim_shares(claims, by="band", sellers=sellers, bootstrap_below=60, seed=3).set_index("band")
    assert out.loc["s", "value_interval"] == "bootstrap" and out.loc["l", "value_interval"] == "delta"
    again = claim_shares(claims, by="band", sellers=sellers, bootstrap_below=60, seed=3).set_index("band")
    pd.testing.assert_frame_equal(out, again)
    other_seed = claim_shares(claims, by="band", sellers=sellers, bootstrap_below=60, seed=4).set_index(
        "band"
    )
    assert other_seed.loc["s", "amount_share_low"] != out.loc["s", "amount_share_low"]
    assert other_seed.loc["l", "amount_share_low"] == out.loc["l", "amount_share_low"]  # delta: no randomness
    delta_everywhere = claim_shares(claims, by="band", sellers=sellers, bootstrap_below=0)
    assert set(delta_everywhere["value_interval"]) == {"delta"}


def test_categorical_claim_columns_and_missing_marketplace():
    claims = _claims([10, 2000]).drop(columns="marketplace")
    claims["claim_type"] = pd.Categorical(
        ["property_damage", "property_damage"], categories=["property_damage", "personal_injury"]
    )
    out = claim_shares(claims, by="claim_type")
    assert out["claim_type"].astype(str).tolist() == ["property_damage", "personal_injury"]
    assert out["n_claims"].tolist() == [2, 0]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="amount"):
        claim_shares(_claims([10, 20]).drop(columns="amount"))
    with pytest.raises(ValueError, match=r"row 1.*amount"):
        claim_shares(_claims([10, -5]))
    with pytest.raises(ValueError, match="cannot group by 'nope'"):
        claim_shares(_claims([10]), by="nope")
    dup = pd.DataFrame({"seller_id": ["s1", "s1"], "marketplace": "US", "category": ["a", "b"]})
    with pytest.raises(ValueError, match="more than one row"):
        claim_shares(_claims([10]), by="category", sellers=dup)


def test_seller_lookup_dense_and_sorted_paths_agree():
    from seller_insurance.analysis.claims.groups import key_positions

    table = pd.DataFrame({"seller_id": ["b", "a", "c"], "marketplace": ["US", "US", "DE"]})
    claims = pd.DataFrame(
        {
            "seller_id": pd.Categorical(["a", "c", "c", "zz", None, "b"], categories=["zz", "c", "b", "a"]),
            "marketplace": ["US", "DE", "US", "US", "US", "US"],
        }
    )
    expected = [1, 2, -1, -1, -1, 0]  # c is on DE only; zz unknown; a missing id matches nothing
    assert key_positions(claims, table).tolist() == expected
    assert key_positions(claims, table, dense_limit=0).tolist() == expected
    as_text = claims.assign(seller_id=claims["seller_id"].astype(object))
    assert key_positions(as_text, table, dense_limit=0).tolist() == expected
