"""``seller-insurance evaluate``: hand-worked input files -> exact output rows, rejects file and exit codes."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from seller_insurance.cli import main

COLUMNS = ["seller_id", "marketplace", "old_trigger", "new_trigger", "status", "lead_months", "insurance_due"]

# Hand-worked (US threshold 10,000 USD, strict; CA 10,000 CAD; UK 4,000 GBP):
#   a/US  over 2021-07, 08, 09           -> new 2021-07 (due 2021-08-30), old 2021-09, lead 2
#   a/CA  over 2021-10 only (sales exactly 10000.00 in 2021-11: not over)  -> new 2021-10, old none
#   =cmd  over 2020-12 (year boundary), 2021-01, 2021-02 given as mid-month dates -> new 2020-12, old 2021-02
#   b/UK  4,000.00 then 3,999 -> never over (strict)
#   bad   only row has an unreadable amount -> rejected, not in the output
SALES_CSV = """seller_id,marketplace,month,gross_sales
a,US,2021-07,10000.01
a,US,2021-08,12000
a,US,2021-09,15000
a,CA,2021-10,20000
a,CA,2021-11,10000.00
=cmd,US,2020-12-15,11000
=cmd,US,2021-01-31,11000
=cmd,US,2021-02-01,11000
b,UK,2021-01,4000.00
b,UK,2021-02,3999
bad,US,2021-03,lots
"""


def evaluate(tmp_path, *extra, text=SALES_CSV, out="out.csv", name="sales.csv"):
    sales = tmp_path / name
    sales.write_text(text, encoding="utf-8")
    code = main(["evaluate", str(sales), "--out", str(tmp_path / out), *extra])
    return code, tmp_path / out


def read_out(path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        schema = pq.read_schema(path)
        assert [str(schema.field(c).type) for c in COLUMNS] == ["string"] * 5 + ["int64", "string"]
        frame["lead_months"] = frame["lead_months"].map(lambda v: "" if pd.isna(v) else str(int(v)))
        return frame.astype(str)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def rows(frame) -> dict:
    return {
        (r.seller_id, r.marketplace): (r.old_trigger, r.new_trigger, r.status, r.lead_months, r.insurance_due)
        for r in frame.itertuples()
    }


def test_evaluate_writes_one_row_per_seller_marketplace_with_the_issue_columns(tmp_path, capsys):
    code, out = evaluate(tmp_path, "--start", "2021-09")
    assert code == 0
    frame = read_out(out)
    assert list(frame.columns) == COLUMNS
    assert rows(frame) == {
        ("=cmd", "US"): ("2021-02", "2020-12", "already_required", "2", "2021-01-30"),
        ("a", "CA"): ("", "2021-10", "newly_affected", "", "2021-11-30"),
        ("a", "US"): ("2021-09", "2021-07", "accelerated", "2", "2021-08-30"),
        ("b", "UK"): ("", "", "unaffected", "", ""),
    }
    # sorted by seller_id then marketplace; ids written as they are (plain CSV)
    assert list(zip(frame.seller_id, frame.marketplace, strict=True)) == [
        ("=cmd", "US"),
        ("a", "CA"),
        ("a", "US"),
        ("b", "UK"),
    ]
    captured = capsys.readouterr()
    assert "read 11 rows: 10 accepted, 1 rejected" in captured.err
    assert (
        "4 seller-marketplaces: 1 already_required, 1 newly_affected, 1 accelerated, 0 unchanged, "
        "1 unaffected" in captured.out
    )
    rejects = pd.read_csv(tmp_path / "out.rejects.csv", dtype=str, keep_default_na=False)
    assert rejects.seller_id.tolist() == ["bad"] and rejects.source_line.tolist() == ["12"]


def test_parquet_output_holds_the_same_values_as_csv(tmp_path):
    evaluate(tmp_path, "--start", "2021-09", out="out.csv")
    evaluate(tmp_path, "--start", "2021-09", out="out.parquet")
    pd.testing.assert_frame_equal(read_out(tmp_path / "out.csv"), read_out(tmp_path / "out.parquet"))
    assert (tmp_path / "out.rejects.csv").exists()


def test_without_start_there_is_no_already_required(tmp_path):
    _, out = evaluate(tmp_path)
    assert rows(read_out(out))[("=cmd", "US")][2] == "accelerated"


def test_inclusive_counts_a_month_at_the_threshold(tmp_path):
    # a/CA 2021-11 = 10,000.00 counts with --inclusive; b/UK 2021-01 = 4,000.00 too.
    _, out = evaluate(tmp_path, "--inclusive")
    got = rows(read_out(out))
    assert got[("b", "UK")][:3] == ("", "2021-01", "newly_affected")
    assert got[("a", "CA")][:2] == ("", "2021-10")  # Oct and Nov: two months, not three


def test_end_ignores_later_months(tmp_path):
    _, out = evaluate(tmp_path, "--end", "2021-08")
    got = rows(read_out(out))
    assert got[("a", "US")][:3] == ("", "2021-07", "newly_affected")
    assert got[("a", "CA")][:3] == ("", "", "unaffected")


def test_windows_are_options(tmp_path):
    _, out = evaluate(tmp_path, "--old-months", "2", "--new-months", "2")
    got = rows(read_out(out))
    assert got[("a", "US")][:4] == ("2021-08", "2021-08", "unchanged", "0")


def test_threshold_one_number_and_mapping_forms(tmp_path):
    _, out = evaluate(tmp_path, "--threshold", "3000")  # b/UK 4000 > 3000 in Jan, 3999 in Feb: two months
    assert rows(read_out(out))[("b", "UK")][:2] == ("", "2021-01")
    _, out = evaluate(tmp_path, "--threshold", "US=14000,ca=25000")  # a/US only Sep over; a/CA never
    got = rows(read_out(out))
    assert got[("a", "US")][:2] == ("", "2021-09")
    assert got[("a", "CA")][2] == "unaffected"
    assert got[("b", "UK")][2] == "unaffected"  # UK keeps its default 4,000


@pytest.mark.parametrize(
    "args, message",
    [
        (["--threshold", "high"], "--threshold"),
        (["--threshold", "US=,CA=1"], "SITE=NUMBER"),
        (["--old-months", "1", "--new-months", "3"], "may not be longer"),
        (["--start", "2021-13"], "--start"),
        (["--old-months", "0"], "at least 1"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, capsys, args, message):
    code, _ = evaluate(tmp_path, *args)
    assert code == 2
    assert message in capsys.readouterr().err


def test_bad_output_extension_exits_2(tmp_path, capsys):
    code, _ = evaluate(tmp_path, out="out.xlsx")
    assert code == 2 and ".csv or .parquet" in capsys.readouterr().err


def test_no_usable_row_exits_2_and_still_writes_rejects(tmp_path, capsys):
    code, out = evaluate(tmp_path, text="seller_id,month,gross_sales\na,2021-01,abc\nb,not a month,5\n")
    assert code == 2
    assert "no usable row" in capsys.readouterr().err
    assert not out.exists()
    assert len(pd.read_csv(tmp_path / "out.rejects.csv")) == 2


def test_missing_file_or_column_exits_2(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")]) == 2
    code, _ = evaluate(tmp_path, text="seller_id,month\na,2021-01\n")
    assert code == 2
    assert "gross_sales" in capsys.readouterr().err


def test_input_without_marketplace_is_us_and_parquet_input_works(tmp_path):
    frame = pd.DataFrame(
        {
            "seller_id": ["x", "x", "x"],
            "month": pd.to_datetime(["2021-10-01", "2021-11-01", "2021-12-01"]).date,
            "gross_sales": [10_500.0, 10_500.0, 10_500.0],
        }
    )
    frame.to_parquet(tmp_path / "in.parquet")
    code = main(["evaluate", str(tmp_path / "in.parquet"), "--out", str(tmp_path / "o.parquet")])
    assert code == 0
    assert rows(read_out(tmp_path / "o.parquet")) == {
        ("x", "US"): ("2021-12", "2021-10", "accelerated", "2", "2021-11-30")
    }


@pytest.mark.subprocess
def test_command_runs_as_a_subprocess(tmp_path):
    (tmp_path / "s.csv").write_text(SALES_CSV, encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "seller_insurance",
            "evaluate",
            str(tmp_path / "s.csv"),
            "--out",
            str(tmp_path / "o.csv"),
            "--timings",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "timings: load" in proc.stderr
    assert "timings of the load: read " in proc.stderr  # the load's phases (tests/test_load_timings.py)
    assert len(pd.read_csv(tmp_path / "o.csv")) == 4


@pytest.mark.dask
def test_scheduler_local_writes_the_same_bytes(tmp_path):
    """--scheduler local (LocalCluster workers read the Parquet) writes exactly what the pandas path writes."""
    from seller_insurance.cli import main
    from seller_insurance.paths import SAMPLE_DATA_DIR

    sales = str(SAMPLE_DATA_DIR / "monthly_sales.parquet")
    assert main(["evaluate", sales, "--out", str(tmp_path / "pandas.csv"), "--start", "2021-09"]) == 0
    assert (
        main(
            [
                "evaluate",
                sales,
                "--out",
                str(tmp_path / "dask.csv"),
                "--start",
                "2021-09",
                "--scheduler",
                "local",
            ]
        )
        == 0
    )
    assert (tmp_path / "pandas.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
