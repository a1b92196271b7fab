"""``select_claims(..., columns=...)``: the narrow selection claim_shares uses equals the wide one, cut to columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seller_insurance.analysis.claims import claim_shares, select_claims


def _claims(with_marketplace: bool) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 200
    df = pd.DataFrame(
        {
            "claim_id": [f"C{i}" for i in range(n)],
            "seller_id": rng.choice(["s1", "s2", "s3"], n),
            "filed_date": pd.to_datetime("2021-09-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
            "claim_type": rng.choice(["property_damage", "personal_injury"], n),
            "amount": np.round(rng.uniform(1, 2000, n), 2),
            "status": rng.choice(["valid", "pending", "rejected"], n),
            "category": rng.choice(["toys", "books"], n),
        },
        index=pd.RangeIndex(10, 10 + n),
    )
    if with_marketplace:
        df.insert(2, "marketplace", rng.choice(["US", "UK"], n))
    return df


@pytest.mark.parametrize("with_marketplace", [True, False])
@pytest.mark.parametrize(
    "columns", [[], ["category"], ["seller_id", "marketplace"], ["status", "claim_type"]]
)
@pytest.mark.parametrize("statuses", [("valid",), None])
def test_narrow_selection_is_the_wide_one_cut_to_its_columns(with_marketplace, columns, statuses):
    claims = _claims(with_marketplace)
    wide = select_claims(claims, statuses)
    narrow = select_claims(claims, statuses, columns=columns)
    kept = [c for c in wide.columns if c in {"filed_date", "amount", *columns}]
    pd.testing.assert_frame_equal(narrow[kept], wide[kept])
    assert set(narrow.columns) == set(kept)


@pytest.mark.parametrize("by", [None, "category", "filed_quarter,status", "marketplace,claim_type"])
def test_claim_shares_unchanged_by_the_narrow_selection(by):
    claims = _claims(True)
    got = claim_shares(claims, by=by, n_boot=50)
    # the reference: every column through the rows first (what select_claims did before narrowing)
    wide = claims[claims["status"].eq("valid").to_numpy()]
    ref = claim_shares(wide, by=by, statuses=None, n_boot=50)
    pd.testing.assert_frame_equal(got, ref)


def test_bad_amount_still_reported_with_its_row_label():
    claims = _claims(True)
    claims.loc[12, ["amount", "status"]] = [-1.0, "valid"]
    with pytest.raises(ValueError, match=r"claims row \S*12\S*, column 'amount'"):
        claim_shares(claims)


@pytest.mark.parametrize(
    "extra",
    [["--by", "filed_quarter"], ["--by", "category,status"], ["--by", "claim_type", "--all-statuses"], []],
)
def test_cli_output_unchanged_by_building_only_the_columns_it_uses(tmp_path, monkeypatch, extra):
    """``claims`` asks the loader for the columns the shares use; the tables written equal those of a run given
    the whole frame (rejects file included)."""
    from seller_insurance.cli import main
    from seller_insurance.data import loading

    claims = _claims(True).reset_index(drop=True)
    claims.loc[3, "amount"] = -2.0  # one reject
    path = tmp_path / "claims.csv"
    claims.to_csv(path, index=False)
    narrow, wide = tmp_path / "narrow.csv", tmp_path / "wide.csv"
    assert main(["claims", str(path), "--out", str(narrow), *extra]) == 0
    load = loading.load_claims
    monkeypatch.setattr(loading, "load_claims", lambda p, columns=None, **kw: load(p, **kw))
    assert main(["claims", str(path), "--out", str(wide), *extra]) == 0
    assert narrow.read_text() == wide.read_text()
    assert (tmp_path / "narrow.rejects.csv").read_text() == (tmp_path / "wide.rejects.csv").read_text()


@pytest.mark.parametrize(
    "values",
    [
        ["valid", "pending", None, "rejected", "Valid", "valid "],
        [],
    ],
)
@pytest.mark.parametrize("dtype", ["str", object, "category"])
@pytest.mark.parametrize("statuses", [("valid",), ("valid", "pending"), ()])
def test_status_mask_is_isin(values, dtype, statuses):
    from seller_insurance.analysis.claims import groups

    s = pd.Series(values, dtype=dtype)
    np.testing.assert_array_equal(groups._status_mask(s, statuses), s.isin(list(statuses)).to_numpy())


@pytest.mark.parametrize("unit", ["s", "ns", "D"])
def test_month_index_table_matches_numpy(unit):
    from seller_insurance.analysis.claims import groups

    rng = np.random.default_rng(2)
    days = rng.integers(-800, 25_000, 5000)
    dt = (days.astype("datetime64[D]") + rng.integers(0, 86_400, 5000).astype("timedelta64[s]")).astype(
        f"datetime64[{unit}]"
    )
    expected = dt.astype("datetime64[M]").astype(np.int64)
    np.testing.assert_array_equal(groups._month_index(dt), expected)
    np.testing.assert_array_equal(groups._month_index(dt[:1]), expected[:1])
    sparse = np.array(["1900-01-31", "2199-12-01"], dtype="datetime64[D]").astype(f"datetime64[{unit}]")
    np.testing.assert_array_equal(
        groups._month_index(sparse), sparse.astype("datetime64[M]").astype(np.int64)
    )


def test_commands_turn_numpy_huge_pages_off_unless_the_user_chose(monkeypatch):
    from seller_insurance.cli import numpy_small_pages

    setter = np._core.multiarray._set_madvise_hugepage
    before = setter(True)
    try:
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
        numpy_small_pages()
        assert setter(True) is True  # the user's choice stands
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE")
        numpy_small_pages()
        assert setter(True) is False
    finally:
        setter(before)


@pytest.mark.parametrize("by", ["marketplace", "marketplace,category", "status"])
def test_claims_without_a_site_column_still_group_by_the_default_site(by):
    """A claims frame with no marketplace column is on the default site (US), also when grouping by it."""
    claims = _claims(False)
    got = claim_shares(claims, by=by, n_boot=50)
    ref = claim_shares(claims.assign(marketplace="US"), by=by, n_boot=50)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    if "marketplace" in by:
        assert set(got["marketplace"]) == {"US"}
