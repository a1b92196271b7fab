"""``seller-insurance validate``: summary, rejects file beside the input, exit codes, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from seller_insurance.cli import main


def test_validate_prints_summary_and_writes_rejects(tmp_path, capsys):
    p = tmp_path / "sales.csv"
    p.write_text("seller_id,month,gross_sales\na,2021-01,1\nb,2021-13,1\n=c,2021-01,-1\n")
    assert main(["validate", str(p)]) == 0
    out = capsys.readouterr().out
    assert "read 3 rows: 1 accepted, 2 rejected (1 bad_month, 1 negative_gross_sales)" in out
    rej = pd.read_csv(tmp_path / "sales.rejects.csv", dtype=str)
    assert rej["source_line"].tolist() == ["3", "4"]
    assert rej["seller_id"].tolist() == ["b", "'=c"]


def test_validate_no_usable_row_exits_2_with_rejects_written(tmp_path, capsys):
    p = tmp_path / "bad.csv"
    p.write_text("seller_id,month,gross_sales\na,never,1\n")
    assert main(["validate", str(p), "--rejects", str(tmp_path / "out" / "run.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no usable row" in err
    assert (tmp_path / "out" / "run.rejects.csv").exists()


def test_validate_missing_column_and_kinds(tmp_path, capsys):
    p = tmp_path / "claims.csv"
    p.write_text(
        "claim_id,seller_id,filed_date,claim_type,amount,status\nc,s,2021-09-01,property_damage,5,valid\n"
    )
    assert main(["validate", str(p), "--kind", "claims"]) == 0
    assert "read 1 rows: 1 accepted, 0 rejected" in capsys.readouterr().out
    assert main(["validate", str(p)]) == 2
    assert "missing required column 'month'" in capsys.readouterr().err
    q = tmp_path / "m.csv"
    q.write_text("Merchant,Period,Turnover\na,2021-01,5\n")
    assert main(["validate", str(q), "--map", "Merchant=seller_id", "--map", "Turnover=gross_sales"]) == 0


@pytest.mark.subprocess
def test_validate_subprocess_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "seller_insurance", "validate", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "file not found" in proc.stderr
