"""Seller Central exports through the command line: validate, evaluate, and the report's data step."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from exports_fixtures import BUSINESS, write_csv
from test_exports import SHOP, four_accounts

from seller_insurance.cli import main
from seller_insurance.data.run_data import prepare_run_data


def test_validate_folder_prints_each_file_and_writes_rejects(tmp_path, capsys):
    folder = four_accounts(tmp_path / "in")
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "acme.csv: date-range (en-US;" in out and "header on line 5" in out
    assert "read 11 rows: 7 accepted, 4 rejected" in out
    assert "3 accepted rows not in gross proceeds" in out  # acme: the Refund, the Transfer, the Service Fee
    assert "months 2021-01..2021-03" in out  # acme: Jan, Feb (US), Mar (CA)
    assert "berlin.csv.gz: date-range (de;" in out and "months 2021-01, 2021-03" in out
    assert "brit.xlsx: date-range (en-GB; xlsx" in out and "seller id from mapping" in out
    assert "shop.csv: business (en;" in out
    assert "gap: berlin DE has no rows in 2021-02" in out
    assert "total: read 19 rows: 15 accepted, 4 rejected; 9 seller-site-months" in out
    rej = pd.read_csv(tmp_path / "in.rejects.csv", dtype=str)
    assert rej["source_line"].tolist() == ["13", "14", "15", "16"]
    assert rej["column"].tolist() == ["date/time", "marketplace", "product sales", "date/time"]


def test_validate_exits_2_for_an_unusable_file_after_writing_rejects(tmp_path, capsys):
    folder = four_accounts(tmp_path / "in")
    (folder / "notes.csv").write_text("just,some,table\n1,2,3\n")
    assert main(["validate", str(folder), "--rejects", str(tmp_path / "r.csv")]) == 2
    captured = capsys.readouterr()
    assert "notes.csv: UNUSABLE: " in captured.out and "no header row" in captured.out
    assert captured.err.startswith("error: 1 file(s) unusable")
    assert (tmp_path / "r.rejects.csv").exists()


def test_validate_forced_format_and_all_rows_rejected(tmp_path, capsys):
    path = write_csv(tmp_path / "s.csv", [BUSINESS, ["never", "$1.00", *[""] * 10]])
    assert main(["validate", str(path), "--format", "business"]) == 2
    assert "no usable row" in capsys.readouterr().err
    assert pd.read_csv(tmp_path / "s.rejects.csv")["reason"].str.startswith("bad_date").tolist() == [True]
    assert main(["validate", str(path), "--format", "date-range"]) == 2
    assert "not a date-range report" in capsys.readouterr().out


def test_evaluate_reads_a_folder_of_exports(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    # one account over the US threshold (10,000) in one month only: new rule triggers, old rule (3 months) not
    write_csv(
        folder / "big.csv",
        [BUSINESS, ["01/15/2021", "$12,000.00", *[""] * 10], ["02/15/2021", "$500.00", *[""] * 10]],
    )
    write_csv(folder / "shop.csv", [BUSINESS, *SHOP])
    out = tmp_path / "ev.csv"
    assert main(["evaluate", str(folder), "--out", str(out)]) == 0
    ev = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("seller_id")
    assert ev.loc["big", "new_trigger"] == "2021-01" and ev.loc["big", "old_trigger"] == ""
    assert ev.loc["shop", "new_trigger"] == ""
    assert (tmp_path / "ev.rejects.csv").exists()
    assert "2 export file(s), read 5 rows: 5 accepted, 0 rejected" in capsys.readouterr().err


def test_report_data_step_converts_the_exports(tmp_path):
    folder = four_accounts(tmp_path / "in")
    run = tmp_path / "run"
    data = prepare_run_data(run, input_dir=str(folder))
    sales = data.monthly_sales.astype({"seller_id": str, "marketplace": str})
    total = sales.groupby("seller_id")["gross_sales"].sum().round(2).to_dict()
    assert total == {
        "UK-BRIT": 3522.50,  # 1020.00 + 2502.50
        "acme": 1820.00,  # 1315.00 + 305.00 + 200.00
        "berlin": 1339.55,  # 1239.56 + 99.99
        "shop": 3334.56,  # 1334.56 + 2000.00
    }
    sellers = data.sellers.set_index("seller_id")
    assert sellers.loc["UK-BRIT", "category"] == "Toys"
    daily = data.claims_daily  # shop.csv: 3 days, one claim granted for $45.00 on 2021-01-31
    assert len(daily) == 3 and int(daily["claims_granted"].sum()) == 1
    assert daily.loc[daily["claims_granted"] == 1, ["seller_id", "claims_amount"]].values.tolist() == [
        ["shop", 45.0]
    ]
    assert daily.loc[daily["claims_granted"] == 1, "date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-01-31"]
    record = json.loads((run / "dataset.json").read_text())
    assert record["source"] == "seller-central"
    assert record["exports"]["definition"] == "gross" and "(gross proceeds: gross)" in record["description"]
    assert [f["rows_read"] for f in record["exports"]["files"]] == [11, 3, 2, 3]
    assert pd.read_csv(run / "rejects" / "exports.csv")["source_line"].tolist() == [13, 14, 15, 16]


@pytest.mark.notebook
@pytest.mark.slow
def test_report_runs_on_the_four_accounts(tmp_path):
    from seller_insurance.publish import report

    out = report.run_report(
        {"input_dir": str(four_accounts(tmp_path / "in")), "top_k": 10},
        "agency",
        reports_dir=tmp_path / "r",
        progress_bar=False,
        log=lambda m: None,
    )
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert metrics["data.sellers"]["value"] == 5  # acme US + CA, UK-BRIT UK, berlin DE, shop US
    sales = pd.read_csv(out / "input" / "monthly_sales.csv")
    assert round(sales["gross_sales"].sum(), 2) == 10016.61  # 3522.50 + 1820.00 + 1339.55 + 3334.56
    assert len(pd.read_csv(out / "rejects" / "exports.csv")) == 4
    # no per-claim file: the Business Report's one claim (2021-01-31, $45.00) is shown as a total, without a share
    page = (out / "03_claims.html").read_text()
    assert "A-to-z claims granted" in page and "no share of claims at or under the cap" in page
    assert "45.00" in page


def test_a_contract_table_in_csv_gz_still_goes_to_the_loading_layer(tmp_path, capsys):
    import gzip

    path = tmp_path / "monthly_sales.csv.gz"
    path.write_bytes(gzip.compress(b"seller_id,month,gross_sales\na,2021-01,5\nb,2021-01,7\n"))
    assert main(["validate", str(path)]) == 0
    assert "read 2 rows: 2 accepted, 0 rejected" in capsys.readouterr().out


def test_report_data_step_nets_refunds_when_asked(tmp_path):
    data = prepare_run_data(
        tmp_path / "run", input_dir=str(four_accounts(tmp_path / "in")), gross_proceeds="net"
    )
    sales = data.monthly_sales.astype({"seller_id": str, "marketplace": str})
    total = sales.groupby("seller_id")["gross_sales"].sum().round(2).to_dict()
    assert total["acme"] == 1765.00  # 1315.00 + (305.00 - 55.00) + 200.00
    assert total["berlin"] == 1304.99  # (1239.56 - 34.56) + 99.99
    assert total["shop"] == 3334.56  # Business Report: unchanged


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip", "not a readable zip file"),
        (b"\xff\xfe" + "Date\tOrdered Product Sales\n".encode("utf-16-le"), "no data rows"),
    ],
)
def test_validate_exports_subprocess_exits_2_without_traceback(tmp_path, content, message):
    import re
    import subprocess
    import sys

    path = tmp_path / ("x.zip" if content.startswith(b"PK") else "x.txt")
    path.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "seller_insurance", "validate", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and re.search(message, proc.stdout + proc.stderr)
