"""``seller-insurance claims``: output files, options, payer split with --sales, exit status 2 on bad input.

Runs the command in-process through ``seller_insurance.cli.main`` with the real loader and rule engine.
"""

from __future__ import annotations

import pandas as pd
import pytest

from seller_insurance.cli import main

CLAIMS = pd.DataFrame(
    {
        "claim_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
        "seller_id": ["A", "B", "B", "A", "C", "B"],
        "marketplace": "US",
        "filed_date": ["2021-12-01", "2022-01-15", "2022-02-01", "2022-03-01", "2022-03-01", "2022-03-02"],
        "claim_type": [
            "property_damage",
            "property_damage",
            "personal_injury",
            "property_damage",
            "property_damage",
            "property_damage",
        ],
        "amount": [500.0, 500.0, 5000.0, 1000.0, 20.0, 30.0],
        "status": ["valid", "valid", "valid", "valid", "valid", "rejected"],
    }
)


def _sales():
    # A over US$10,000 in 2021-10 only: new rule triggers 2021-10 (due 2021-11-30), old never -> newly affected.
    # B over in 2021-10..12: new trigger 2021-10, old 2021-12 (due 2022-01-30) -> accelerated. C never over.
    months = pd.date_range("2021-07-01", "2022-03-01", freq="MS")
    rows = []
    for m in months:
        rows.append(("A", m, 20_000.0 if m == pd.Timestamp("2021-10-01") else 100.0))
        rows.append(
            ("B", m, 20_000.0 if pd.Timestamp("2021-10-01") <= m <= pd.Timestamp("2021-12-01") else 100.0)
        )
        rows.append(("C", m, 100.0))
    return pd.DataFrame(rows, columns=["seller_id", "month", "gross_sales"]).assign(marketplace="US")


@pytest.fixture
def files(tmp_path):
    claims = tmp_path / "claims.csv"
    CLAIMS.to_csv(claims, index=False)
    sales = tmp_path / "sales.csv"
    _sales().assign(month=lambda f: f["month"].dt.strftime("%Y-%m-%d")).to_csv(sales, index=False)
    return claims, sales


def test_shares_by_claim_type(files, tmp_path):
    claims, _ = files
    out = tmp_path / "shares.csv"
    assert main(["claims", str(claims), "--out", str(out), "--by", "claim_type"]) == 0
    got = pd.read_csv(out).set_index("claim_type")
    assert got.loc["property_damage", "n_claims"] == 4  # the rejected claim c6 is left out
    assert got.loc["property_damage", "n_under_cap"] == 4  # 1,000.00 counts as under
    assert got.loc["personal_injury", "n_under_cap"] == 0
    assert (tmp_path / "shares.rejects.csv").exists()
    strict = tmp_path / "strict.parquet"
    assert main(["claims", str(claims), "--out", str(strict), "--strict", "--all-statuses"]) == 0
    row = pd.read_parquet(strict).iloc[0]
    assert (row.n_claims, row.n_under_cap) == (6, 4)  # c4 (exactly 1,000) is not strictly under


def test_payer_split_with_sales(files, tmp_path):
    claims, sales = files
    out = tmp_path / "run.csv"
    assert main(["claims", str(claims), "--out", str(out), "--sales", str(sales), "--by", "rule_status"]) == 0
    shares = pd.read_csv(out).set_index("rule_status")
    assert shares["n_claims"].to_dict() == {"accelerated": 2, "newly_affected": 2, "unaffected": 1}
    split = pd.read_csv(tmp_path / "run.payers.csv")
    assert (tmp_path / "run.sales.rejects.csv").exists()
    cell = split.set_index(["rule", "rule_status", "payer"])["amount"]
    # c1 A 2021-12-01 $500: old seller, new amazon. c4 A 2022-03-01 $1,000: old seller, new amazon.
    assert cell[("old", "newly_affected", "seller")] == 1500.0
    assert cell[("new", "newly_affected", "amazon")] == 1500.0
    # c2 B 2022-01-15 $500: old due 2022-01-30 -> seller; new -> amazon. c3 B 2022-02-01 $5,000: insurer both.
    assert cell[("old", "accelerated", "seller")] == 500.0
    assert cell[("new", "accelerated", "amazon")] == 500.0
    assert cell[("old", "accelerated", "insurer")] == cell[("new", "accelerated", "insurer")] == 5000.0
    assert cell[("new", "unaffected", "seller")] == 20.0


def test_same_arguments_same_bytes(files, tmp_path):
    claims, _ = files
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        assert main(["claims", str(claims), "--out", str(out), "--by", "filed_quarter", "--seed", "3"]) == 0
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--by", "rule_status"], "needs --sales"),
        (["--by", "category"], "cannot group by 'category'"),
        (["--confidence", "1.5"], "confidence"),
    ],
)
def test_bad_arguments_exit_2(files, tmp_path, capsys, extra, message):
    claims, _ = files
    assert main(["claims", str(claims), "--out", str(tmp_path / "x.csv"), *extra]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and message in err
    assert not (tmp_path / "x.csv").exists()


def test_bad_output_and_missing_input_exit_2(files, tmp_path, capsys):
    claims, _ = files
    assert main(["claims", str(claims), "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["claims", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "x.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["claims", "--help"])
    text = capsys.readouterr().out
    for option in [
        "--out",
        "--cap",
        "--strict",
        "--by",
        "--all-statuses",
        "--sales",
        "--sellers",
        "--non-compliant-share",
        "--claims-start",
        "--bootstrap-below",
        "--seed",
    ]:
        assert option in text


def test_seller_columns_and_rejects(files, tmp_path):
    claims, _ = files
    bad_claims = tmp_path / "bad.csv"
    pd.concat([CLAIMS, CLAIMS.iloc[:1].assign(claim_id="c9", amount="lots")]).to_csv(bad_claims, index=False)
    sellers = tmp_path / "sellers.csv"
    pd.DataFrame(
        {
            "seller_id": ["A", "B"],
            "marketplace": "US",
            "category": ["toys", "home"],
            "launch_month": "2020-01",
        }
    ).to_csv(sellers, index=False)
    out = tmp_path / "cat.csv"
    assert (
        main(["claims", str(bad_claims), "--out", str(out), "--sellers", str(sellers), "--by", "category"])
        == 0
    )
    got = pd.read_csv(out)
    # C has no sellers row: kept as a missing category, not dropped
    assert got["n_claims"].tolist() == [2, 2, 1] and got["category"].isna().tolist() == [False, False, True]
    rejects = pd.read_csv(tmp_path / "cat.rejects.csv")
    assert len(rejects) == 1 and "amount" in rejects["reason"].item()
    assert (tmp_path / "cat.sellers.rejects.csv").exists()


@pytest.mark.dask
def test_scheduler_local_gives_the_same_tables(tmp_path):
    """--scheduler local (a LocalCluster, claims and sales read as Parquet by the workers) = plain pandas."""
    from seller_insurance.paths import SAMPLE_DATA_DIR

    claims, sales = SAMPLE_DATA_DIR / "claims.parquet", SAMPLE_DATA_DIR / "monthly_sales.parquet"
    base = ["claims", str(claims), "--by", "filed_year,rule_status", "--sales", str(sales)]
    assert main([*base, "--out", str(tmp_path / "pandas.csv")]) == 0
    assert main([*base, "--out", str(tmp_path / "dask.csv"), "--scheduler", "local"]) == 0
    a, b = pd.read_csv(tmp_path / "pandas.csv"), pd.read_csv(tmp_path / "dask.csv")
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    assert (tmp_path / "pandas.payers.csv").read_bytes() == (tmp_path / "dask.payers.csv").read_bytes()
