"""Claims under each site's own programme (policy calendar): caps in USD, programme starts, claims outside.

Hand-worked with the shipped calendar and the documented rates (policy.FX_PER_USD, units per USD: CAD 1.254,
GBP 0.727, EUR 0.845): caps in USD are US 1,000; CA 1,000 / 1.254 = 797.448...; UK 1,000 / 0.727 = 1,375.516...;
EU stores (SE and PL too: their cap is in EUR) 1,000 / 0.845 = 1,183.431...; MX and JP have no programme.
Programme starts: US 2021-09-01, CA/UK/EU 2024-05-01.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seller_insurance.analysis import claims as cl
from seller_insurance.cli import main

# (claim_id, seller_id, site, filed_date, amount USD, status) and where each one lands
ROWS = [
    ("c1", "u", "US", "2021-08-31", 500.00, "valid"),  # day before the US start: outside
    ("c2", "u", "US", "2021-09-01", 1_000.00, "valid"),  # on the start, exactly the cap: under
    ("c3", "u", "US", "2022-01-10", 1_000.01, "valid"),  # a cent over: over
    ("c4", "c", "CA", "2024-04-30", 100.00, "valid"),  # before the CA start: outside
    (
        "c5",
        "c",
        "CA",
        "2024-05-01",
        797.45,
        "valid",
    ),  # > 797.448...: over (CAD 1,000.00 is USD 797.45 rounded)
    ("c6", "c", "CA", "2024-06-03", 797.44, "valid"),  # under
    ("c7", "k", "UK", "2024-06-01", 1_300.00, "valid"),  # under the GBP cap (USD 1,375.52)
    ("c8", "d", "DE", "2024-07-01", 1_200.00, "valid"),  # over the EUR cap (USD 1,183.43)
    ("c9", "m", "MX", "2024-07-01", 50.00, "valid"),  # no programme: outside
    ("c10", "j", "JP", "2022-03-01", 50.00, "valid"),  # no programme: outside
    ("c11", "u", "US", "2022-03-01", 10.00, "rejected"),  # not a valid claim: not counted at all
]


def claims_frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "claim_id": [r[0] for r in rows],
            "seller_id": [r[1] for r in rows],
            "marketplace": [r[2] for r in rows],
            "filed_date": pd.to_datetime([r[3] for r in rows]),
            "claim_type": "property_damage",
            "amount": [r[4] for r in rows],
            "status": [r[5] for r in rows],
        }
    )


def test_site_caps_are_the_calendar_caps_converted_at_the_documented_rates():
    caps = cl.site_caps().set_index("site")
    assert caps.loc["US", "cap_usd"] == 1_000.0
    assert caps.loc["CA", "cap_usd"] == pytest.approx(797.448, abs=0.001)
    assert caps.loc["UK", "cap_usd"] == pytest.approx(1_375.516, abs=0.001)
    for site in ("DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL"):
        assert caps.loc[site, "cap_usd"] == pytest.approx(1_183.432, abs=0.001)
        assert caps.loc[site, "claims_cap_currency"] == "EUR"
    assert caps.loc["US", "claims_start"] == dt.date(2021, 9, 1)
    for site in ("CA", "UK", "DE", "SE"):
        assert caps.loc[site, "claims_start"] == dt.date(2024, 5, 1)
    for site in ("MX", "JP"):
        assert np.isnan(caps.loc[site, "cap_usd"]) and caps.loc[site, "claims_start"] is None


def test_claim_shares_apply_each_sites_cap_and_leave_out_claims_before_its_programme():
    # Inside: c2 (1,000.00 under), c3 (1,000.01 over), c5 (797.45 over), c6 (797.44 under), c7 (1,300 under),
    # c8 (1,200 over): 6 claims, 3 under. Dollars: total 1,000 + 1,000.01 + 797.45 + 797.44 + 1,300 + 1,200 =
    # 6,094.90; under 1,000 + 797.44 + 1,300 = 3,097.44. Outside: c1, c4, c9, c10 = 4 claims, 700 USD.
    res = cl.claim_shares(claims_frame(), calendar=cl_calendar()).iloc[0]
    assert (res["n_claims"], res["n_under_cap"], res["count_share"]) == (6, 3, 0.5)
    assert res["amount_total"] == pytest.approx(6_094.90)
    assert res["amount_under_cap"] == pytest.approx(3_097.44)
    assert res["amount_share"] == pytest.approx(3_097.44 / 6_094.90)
    assert (res["n_outside_programme"], res["amount_outside_programme"]) == (4, 700.0)


def test_claim_shares_per_site_with_the_calendar():
    res = cl.claim_shares(claims_frame(), by="marketplace", calendar=cl_calendar()).set_index("marketplace")
    want = {  # site: (n_claims, n_under_cap, n_outside_programme)
        "US": (2, 1, 1),
        "CA": (2, 1, 1),
        "UK": (1, 1, 0),
        "DE": (1, 0, 0),
        "MX": (0, 0, 1),
        "JP": (0, 0, 1),
    }
    got = {
        s: tuple(int(res.loc[s, c]) for c in ("n_claims", "n_under_cap", "n_outside_programme")) for s in want
    }
    assert got == want
    assert np.isnan(res.loc["MX", "count_share"])  # no claim inside a programme: no share


def test_without_a_calendar_one_cap_and_every_claim_counts():
    res = cl.claim_shares(claims_frame()).iloc[0]
    # 10 valid claims; at or under 1,000 USD: c1, c2, c4, c5, c6, c9, c10 = 7
    assert (res["n_claims"], res["n_under_cap"]) == (10, 7)
    assert "n_outside_programme" not in res.index


def test_strict_cap_with_the_calendar_is_below_each_sites_cap():
    # strict: c2 (exactly 1,000.00) no longer counts; c6 and c7 still do.
    res = cl.claim_shares(claims_frame(), calendar=cl_calendar(), strict=True).iloc[0]
    assert (res["n_claims"], res["n_under_cap"]) == (6, 2)


def test_a_cap_and_a_calendar_together_are_refused():
    with pytest.raises(ValueError, match="either cap or calendar"):
        cl.claim_shares(claims_frame(), cap=500.0, calendar=cl_calendar())
    comparison = insured_comparison()
    with pytest.raises(ValueError, match="calendar"):
        cl.payer_split(claims_frame(), comparison, claims_start="2020-01-01", calendar=cl_calendar())


def test_a_claim_on_a_site_the_calendar_does_not_list_is_an_error():
    rows = [("x", "z", "ZZ", "2024-06-01", 10.0, "valid")]
    with pytest.raises(ValueError, match="'ZZ'"):
        cl.claim_shares(claims_frame(rows), calendar=cl_calendar())


def insured_comparison() -> pd.DataFrame:
    """Every seller insured from 2020-01-01 under the new rule, never under the old one."""
    keys = sorted({(r[1], r[2]) for r in ROWS})
    return pd.DataFrame(
        {
            "seller_id": [k[0] for k in keys],
            "marketplace": [k[1] for k in keys],
            "status": "newly_affected",
            "old_insurance_due": pd.NaT,
            "new_insurance_due": pd.Timestamp("2020-01-01"),
        }
    )


def cl_calendar():
    from seller_insurance import policy

    return policy.DEFAULT_CALENDAR


def test_payers_with_the_calendar_amazon_pays_only_inside_each_sites_programme_and_cap():
    # New rule, everyone insured: Amazon pays c2, c6, c7 (inside and under); the insurer pays the other 7 valid
    # claims (over the cap, or outside the programme: c1 before the US start, c4 before the CA start, c9 MX,
    # c10 JP). Old rule: nobody insured, the seller pays all 10.
    per = cl.payer_per_claim(claims_frame(), insured_comparison(), calendar=cl_calendar()).set_index(
        "claim_id"
    )
    assert sorted(per.index[per["payer_new"] == "amazon"]) == ["c2", "c6", "c7"]
    assert list(per["cap_policy"]) == [False, True, True, False, True, True, True, True, False, False]
    assert set(per["payer_old"]) == {"seller"}
    split = cl.payer_split(claims_frame(), insured_comparison(), calendar=cl_calendar())
    new = split[split["rule"] == "new"].set_index("payer")
    assert (new.loc["amazon", "n_claims"], new.loc["insurer", "n_claims"]) == (3, 7)
    assert new.loc["amazon", "amount"] == pytest.approx(3_097.44)


def test_claims_cli_calendar_counts_claims_outside_the_programme(tmp_path):
    src = tmp_path / "claims.csv"
    claims_frame().assign(filed_date=lambda d: d["filed_date"].dt.date).to_csv(src, index=False)
    out = tmp_path / "shares.csv"
    assert main(["claims", str(src), "--out", str(out), "--calendar", "--by", "marketplace"]) == 0
    table = pd.read_csv(out).set_index("marketplace")
    assert int(table.loc["US", "n_outside_programme"]) == 1
    assert (int(table.loc["CA", "n_claims"]), int(table.loc["CA", "n_under_cap"])) == (2, 1)
    assert main(["claims", str(src), "--out", str(out), "--calendar", "--cap", "900"]) == 2


# --- Property: the per-site programme equals a plain loop over the claims ------------------------------------------

SITES = ("US", "CA", "UK", "DE", "SE", "MX", "JP")
DAYS = [
    dt.date(2021, 8, 31),
    dt.date(2021, 9, 1),
    dt.date(2024, 4, 30),
    dt.date(2024, 5, 1),
    dt.date(2024, 9, 9),
]
AMOUNTS = (10.0, 797.44, 797.45, 1_000.0, 1_000.01, 1_183.43, 1_183.44, 1_375.51, 1_375.52, 5_000.0)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(SITES), st.sampled_from(DAYS), st.sampled_from(AMOUNTS)), max_size=30
    ),
    strict=st.booleans(),
)
def test_claim_shares_with_the_calendar_match_a_plain_loop(rows, strict):
    from seller_insurance import policy

    claims = claims_frame(
        [(f"c{i}", "s", site, day.isoformat(), amount, "valid") for i, (site, day, amount) in enumerate(rows)]
    )
    n = under = outside = 0
    for site, day, amount in rows:
        now = policy.DEFAULT_CALENDAR.rule(site).current
        if now.claims_cap is None or day < now.claims_start:
            outside += 1
            continue
        cap_usd = now.claims_cap / policy.FX_PER_USD[now.claims_cap_currency]
        n += 1
        under += amount < cap_usd if strict else amount <= cap_usd
    res = cl.claim_shares(claims, calendar=policy.DEFAULT_CALENDAR, strict=strict, n_boot=50).iloc[0]
    assert (res["n_claims"], res["n_under_cap"], res["n_outside_programme"]) == (n, under, outside)
