"""``seller-insurance evaluate --calendar [FILE] [--pool-eu]``: hand-worked file -> exact output rows and refusals."""

from __future__ import annotations

import pandas as pd
import pytest

from seller_insurance.cli import main

# Hand-worked with the shipped calendar (see tests/test_calendar.py for the rules):
#   a/US  over 2021-08, 09, 10  -> old 2021-10, new 2021-08 (history) -> required 2021-09, accelerated, lead 1
#   c/CA  over 2022-03 only     -> new 2022-03 -> required at the switch 2024-05, due 2024-06-30, newly affected
#   m/MX  200,000 MXN 2024-07   -> one month is not the MX rule: unaffected, no switch month
#   p/DE and p/FR 3,000 EUR each in 2024-07 -> alone unaffected; pooled 6,000 EUR > 5,000: required 2024-07
SALES_CSV = """seller_id,marketplace,month,gross_sales
a,US,2021-08,20000
a,US,2021-09,20000
a,US,2021-10,20000
c,CA,2022-03,20000
m,MX,2024-07,200000
p,DE,2024-07,3000
p,FR,2024-07,3000
"""
COLUMNS = [
    "seller_id",
    "marketplace",
    "old_trigger",
    "new_trigger",
    "status",
    "lead_months",
    "insurance_due",
    "switch_month",
    "required_from",
]


def run(tmp_path, *extra, out="out.csv"):
    sales = tmp_path / "sales.csv"
    sales.write_text(SALES_CSV, encoding="utf-8")
    code = main(["evaluate", str(sales), "--out", str(tmp_path / out), *extra])
    return code, tmp_path / out


def read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_calendar_output_columns_and_hand_worked_rows(tmp_path):
    code, out = run(tmp_path, "--calendar")
    assert code == 0
    table = read(out)
    assert list(table.columns) == COLUMNS
    assert table.values.tolist() == [
        ["a", "US", "2021-10", "2021-08", "accelerated", "1", "2021-10-30", "2021-09", "2021-09"],
        ["c", "CA", "", "2022-03", "newly_affected", "", "2024-06-30", "2024-05", "2024-05"],
        ["m", "MX", "", "", "unaffected", "", "", "", ""],
        ["p", "DE", "", "", "unaffected", "", "", "2024-06", ""],
        ["p", "FR", "", "", "unaffected", "", "", "2024-06", ""],
    ]


def test_pool_eu_adds_the_eu_stores(tmp_path):
    code, out = run(tmp_path, "--calendar", "--pool-eu", out="out.parquet")
    assert code == 0
    table = pd.read_parquet(out)
    pooled = table[table["seller_id"] == "p"]
    assert pooled[
        ["marketplace", "new_trigger", "status", "required_from", "insurance_due"]
    ].values.tolist() == [
        ["DE", "2024-07", "newly_affected", "2024-07", "2024-08-30"],
        ["FR", "2024-07", "newly_affected", "2024-07", "2024-08-30"],
    ]


def test_a_user_calendar_file(tmp_path):
    cal = tmp_path / "mine.csv"
    cal.write_text(
        "site,threshold,currency,window_months,in_force\n"
        + "".join(
            f"{s},{t},{c},3,\n"
            for s, t, c in [("US", 10000, "USD"), ("DE", 5000, "EUR"), ("FR", 5000, "EUR")]
        )
        + "CA,10000,CAD,3,\nCA,10000,CAD,1,2022-01-01\nMX,100000,MXN,3,\nMX,100000,MXN,1,2024-07-01\n",
        encoding="utf-8",
    )
    code, out = run(tmp_path, "--calendar", str(cal))
    assert code == 0
    rows = {(r.seller_id, r.marketplace): r for r in read(out).itertuples()}
    assert (rows["a", "US"].status, rows["a", "US"].switch_month) == (
        "unchanged",
        "",
    )  # US never switches here
    assert (rows["c", "CA"].status, rows["c", "CA"].required_from) == ("newly_affected", "2022-03")
    assert (rows["m", "MX"].status, rows["m", "MX"].insurance_due) == ("newly_affected", "2024-08-30")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--calendar", "--start", "2021-09"], "--start cannot be used with --calendar"),
        (["--calendar", "--old-months", "3"], "--old-months cannot be used with --calendar"),
        (["--calendar", "--threshold", "5000"], "--threshold cannot be used with --calendar"),
        (["--pool-eu"], "--pool-eu needs --calendar"),
        (["--calendar", "missing.csv"], "file not found"),
    ],
)
def test_refused_combinations_exit_2_with_a_message(tmp_path, capsys, extra, message):
    code, out = run(tmp_path, *extra)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_without_calendar_the_columns_are_todays(tmp_path):
    code, out = run(tmp_path, "--start", "2021-09")
    assert code == 0
    assert list(read(out).columns) == COLUMNS[:7]
