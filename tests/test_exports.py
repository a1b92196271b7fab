"""Seller Central exports: detection, containers, values, gross proceeds definitions, rejects, a folder of accounts.

Every expected figure is counted by hand from the rows written in the test (comments show the sums).
"""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from exports_fixtures import (
    BUSINESS,
    DRR_NOTES,
    drr_rows,
    write_csv,
    write_gz,
    write_utf16_tab,
    write_xlsx,
)

from seller_insurance.data.exports import read_accounts, read_export
from seller_insurance.errors import InputError

# --- four accounts -------------------------------------------------------------------------------------------------

ACME = [  # US Date Range Report with note lines; line numbers: 4 notes, header line 5, data from line 6
    (
        "Jan 3, 2021 10:15:32 PM PST",
        "Order",
        "amazon.com",
        "1,200.00",
        "10.00",
        "5.00",
    ),  # line 6: Jan US 1215.00
    (
        "Jan 31, 2021 11:30:00 PM PST",
        "Order",
        "amazon.com",
        "100.00",
        "0",
        "",
    ),  # 7: Jan US 100 (Feb 1 in UTC)
    (
        "Feb 1, 2021 1:00:00 AM PST",
        "Refund",
        "amazon.com",
        "-50.00",
        "-5.00",
        "0",
    ),  # 8: refund, net only: -55
    ("Feb 2, 2021 9:00:00 AM PST", "Order", "amazon.com", "300.50", "4.50", "0"),  # 9: Feb US 305.00
    ("Feb 5, 2021 3:00:00 AM PST", "Transfer", "", "", "", ""),  # 10: accepted, adds nothing
    ("Feb 6, 2021 3:00:00 AM PST", "Service Fee", "", "", "", ""),  # 11: accepted, adds nothing
    ("Mar 1, 2021 12:00:01 AM PST", "Order", "amazon.ca", "200.00", "0", "0"),  # 12: Mar CA 200.00
    ("Feb 30, 2021 9:00:00 AM PST", "Order", "amazon.com", "10.00", "0", "0"),  # 13: bad_datetime
    (
        "Feb 3, 2021 9:00:00 AM PST",
        "Order",
        "sim1.stores.amazon.com",
        "10.00",
        "0",
        "0",
    ),  # 14: bad_marketplace
    ("Feb 4, 2021 9:00:00 AM PST", "Order", "amazon.com", "12,34", "0", "0"),  # 15: bad_amount
    ("Feb 4, 2021 9:00:00 AM XYZ", "Order", "amazon.com", "1.00", "0", "0"),  # 16: bad_time_zone
]
# accepted lines 6-12 (7 rows), rejected 13-16 (4 rows); read 11
BRIT = [  # UK Date Range Report in a workbook, amounts as numbers and as text
    ("3 Jan 2021 22:15:32 GMT", "Order", "amazon.co.uk", 1000.0, 20.0, 0.0),  # Jan UK 1020.00
    ("15 Feb 2021 08:00:00 GMT", "Order", "amazon.co.uk", "2,500.00", "0.00", "2.50"),  # Feb UK 2502.50
]
BERLIN = [  # German Date Range Report, gzip, decimal commas
    ("03.01.2021 22:15:32 MEZ", "Bestellung", "amazon.de", "1.234,56", "5,00", "0,00"),  # Jan DE 1239.56
    (
        "10.01.2021 10:00:00 MEZ",
        "Erstattung",
        "amazon.de",
        "-34,56",
        "0,00",
        "0,00",
    ),  # refund: net Jan 1205.00
    (
        "01.03.2021 10:00:00 MEZ",
        "Bestellung",
        "amazon.de",
        "99,99",
        "0,00",
        "0,00",
    ),  # Mar DE 99.99; Feb = gap
]
SHOP = [  # Business Report by date, US dollars
    ["01/30/2021", "$1,234.56", "$0.00", "3", "3", "40", "30", "0", "0%", "0", "$0.00", "$1,234.56"],
    ["01/31/2021", "$100.00", "$0.00", "1", "1", "10", "8", "0", "0%", "1", "$45.00", "$100.00"],
    ["02/01/2021", "$2,000.00", "$0.00", "9", "9", "90", "70", "0", "0%", "0", "$0.00", "$2,000.00"],
]  # Jan US 1334.56, Feb US 2000.00; one claim granted for $45.00 on 2021-01-31


def four_accounts(folder):
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "acme.csv", drr_rows("us", ACME), DRR_NOTES)
    write_xlsx(folder / "brit.xlsx", drr_rows("uk", BRIT))
    write_gz(folder / "berlin.csv.gz", drr_rows("de", BERLIN))
    write_csv(folder / "shop.csv", [BUSINESS, *SHOP])
    (folder / "accounts.csv").write_text("file,seller_id,category\nbrit.xlsx,UK-BRIT,Toys\n")
    return folder


def totals(monthly: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    return {
        (r.seller_id, r.marketplace, r.month.strftime("%Y-%m")): round(r.gross_sales, 2)
        for r in monthly.itertuples()
    }


def test_folder_of_four_accounts_sums_to_the_hand_count(tmp_path):
    res = read_accounts(four_accounts(tmp_path / "in"))
    assert totals(res.monthly) == {
        ("acme", "US", "2021-01"): 1315.00,  # 1215.00 + 100.00
        ("acme", "US", "2021-02"): 305.00,
        ("acme", "CA", "2021-03"): 200.00,
        ("UK-BRIT", "UK", "2021-01"): 1020.00,
        ("UK-BRIT", "UK", "2021-02"): 2502.50,
        ("berlin", "DE", "2021-01"): 1239.56,
        ("berlin", "DE", "2021-03"): 99.99,
        ("shop", "US", "2021-01"): 1334.56,
        ("shop", "US", "2021-02"): 2000.00,
    }
    assert set(res.monthly["currency"]) == {"USD", "CAD", "GBP", "EUR"}
    by_file = {f.path.name: f for f in res.files}
    assert [f.path.name for f in res.files] == ["acme.csv", "berlin.csv.gz", "brit.xlsx", "shop.csv"]
    assert (by_file["acme.csv"].rows_read, by_file["acme.csv"].accepted, by_file["acme.csv"].rejected) == (
        11,
        7,
        4,
    )
    assert (by_file["brit.xlsx"].rows_read, by_file["brit.xlsx"].rejected) == (2, 0)
    assert (by_file["berlin.csv.gz"].rows_read, by_file["berlin.csv.gz"].rejected) == (3, 0)
    assert (by_file["shop.csv"].rows_read, by_file["shop.csv"].rejected) == (3, 0)
    assert res.rows_read == len(res.rejects) + sum(f.accepted for f in res.files) == 19
    assert {f.path.name: (f.result.format, f.result.language) for f in res.files} == {
        "acme.csv": ("date-range", "en-US"),
        "berlin.csv.gz": ("date-range", "de"),
        "brit.xlsx": ("date-range", "en-GB"),
        "shop.csv": ("business", "en"),
    }
    assert by_file["acme.csv"].result.header_line == 5
    assert by_file["brit.xlsx"].result.seller_id_from == "mapping"
    assert by_file["shop.csv"].result.seller_id_from == "file name"
    assert res.sellers.to_dict("records") == [{"seller_id": "UK-BRIT", "category": "Toys"}]
    assert any(f.startswith("gap: berlin DE has no rows in 2021-02") for f in res.flags)
    assert not any(f.startswith("overlap") for f in res.flags)
    claims = res.claims
    assert int(claims["claims_granted"].sum()) == 1
    assert claims.loc[claims["claims_granted"] == 1, "claims_amount"].tolist() == [45.0]


def test_rejects_name_file_line_column_and_reason(tmp_path):
    res = read_export(write_csv(tmp_path / "acme.csv", drr_rows("us", ACME), DRR_NOTES))
    rej = res.rejects.set_index("source_line")
    assert rej.index.tolist() == [13, 14, 15, 16]
    assert rej.loc[13, "reason"].startswith("bad_datetime:")
    assert rej.loc[13, "column"] == "date/time"
    assert rej.loc[14, "reason"].startswith("bad_marketplace:")
    assert rej.loc[14, "value"] == "sim1.stores.amazon.com"
    assert rej.loc[15, "reason"].startswith("bad_amount:")
    assert rej.loc[15, "column"] == "product sales"
    assert rej.loc[16, "reason"].startswith("bad_time_zone:")
    assert set(rej["source_file"]) == {str(tmp_path / "acme.csv")}
    assert res.rows_read == res.rows_accepted + len(res.rejects) == 11


def test_net_definition_subtracts_refunds(tmp_path):
    folder = four_accounts(tmp_path / "in")
    res = read_accounts(folder, definition="net")
    t = totals(res.monthly)
    assert t[("acme", "US", "2021-02")] == 250.00  # 305.00 - 55.00
    assert t[("acme", "US", "2021-01")] == 1315.00  # the refund is dated Feb 1 local time
    assert t[("berlin", "DE", "2021-01")] == 1205.00  # 1239.56 - 34.56
    assert t[("shop", "US", "2021-01")] == 1334.56  # Business Report: Ordered Product Sales either way


def test_month_is_taken_from_the_printed_local_time(tmp_path):
    rows = [("Jan 31, 2021 11:30:00 PM PST", "Order", "amazon.com", "100.00", "0", "0")]  # = Feb 1 07:30 UTC
    res = read_export(write_csv(tmp_path / "a.csv", drr_rows("us", rows)))
    assert res.rows["month"].dt.strftime("%Y-%m").tolist() == ["2021-01"]
    assert res.rows["instant"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2021-02-01 07:30"]


def test_french_header_set_and_spaces_as_thousands(tmp_path):
    rows = [("3 janv. 2021 22:15:32 UTC", "Commande", "amazon.fr", "1\u202f234,50", "0,50", "0,00")]
    res = read_export(write_csv(tmp_path / "fr.csv", drr_rows("fr", rows), delimiter=";"))
    assert (res.format, res.language) == ("date-range", "fr")
    assert res.rows["gross"].tolist() == [1235.00]  # 1234.50 + 0.50
    assert res.rows["marketplace"].tolist() == ["FR"]


@pytest.mark.parametrize("container", ["utf16", "zip", "xlsx-sheet"])
def test_other_containers(tmp_path, container):
    rows = [BUSINESS, *SHOP]
    if container == "utf16":
        path = write_utf16_tab(tmp_path / "shop.txt", rows)
        res = read_export(path)
        assert "UTF-16" in res.container and "tab" in res.container
    elif container == "zip":
        inner = write_csv(tmp_path / "inner.csv", rows)
        path = tmp_path / "shop.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.write(inner, "BusinessReport-1-2-21.csv")
        res = read_export(path)
    else:
        path = write_xlsx(tmp_path / "shop.xlsx", rows, sheet="Report", first_sheet="Cover")
        with pytest.raises(InputError, match="no header row"):
            read_export(path)  # the first sheet has no report
        res = read_export(path, sheet="Report")
    assert res.format == "business"
    assert res.rows["gross"].sum() == pytest.approx(3334.56)  # 1234.56 + 100.00 + 2000.00


def test_format_is_forced_and_refused_when_it_does_not_match(tmp_path):
    path = write_csv(tmp_path / "shop.csv", [BUSINESS, *SHOP])
    assert read_export(path, format="business").format == "business"
    with pytest.raises(InputError, match=r"not a date-range report: no header row .*'date/time'"):
        read_export(path, format="date-range")


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: write_csv(p / "x.csv", [["a", "b"], ["1", "2"]]),
            r"not a Seller Central export.*first line: 'a', 'b'",
        ),
        (lambda p: _bytes(p / "x.csv", b""), "empty file"),
        (lambda p: _bytes(p / "x.xls", b"\xd0\xcf"), r"save it as \.xlsx or CSV"),
        (lambda p: _bytes(p / "x.csv.gz", b"not gzip"), "not a readable gzip file"),
        (lambda p: _bytes(p / "x.xlsx", b"not a workbook"), "not a readable .xlsx"),
        (lambda p: _bytes(p / "x.csv", b"a\x00b"), "UTF-16 without a byte-order mark"),
        (lambda p: p / "missing.csv", "file not found"),
    ],
)
def test_failure_messages(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        read_export(make(tmp_path))


def test_contract_table_in_a_workbook_is_told_to_save_as_csv(tmp_path):
    path = write_xlsx(tmp_path / "monthly.xlsx", [["seller_id", "month", "gross_sales"], ["a", "2021-01", 5]])
    with pytest.raises(
        InputError, match=r"first line: 'seller_id', 'month', 'gross_sales'; .* saved as UTF-8 CSV"
    ):
        read_export(path)


def test_zip_with_two_csvs_is_refused(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.csv", "x\n")
        zf.writestr("b.csv", "y\n")
    with pytest.raises(InputError, match="exactly one .csv/.txt/.tsv file, found 2"):
        read_export(path)


def test_euro_business_report_needs_its_site(tmp_path):
    path = write_csv(tmp_path / "eu.csv", [BUSINESS, ["01/30/2021", "€10.00", *[""] * 10]])
    with pytest.raises(InputError, match="a Business Report in euros"):
        read_export(path)
    assert read_export(path, marketplace="DE").rows["marketplace"].tolist() == ["DE"]


def test_business_report_rejects(tmp_path):
    rows = [
        BUSINESS,
        ["01/30/2021", "£10.00", *[""] * 10],  # line 2: pound on a US report -> currency_mismatch
        ["Total", "$10.00", *[""] * 10],  # line 3: bad_date
        ["01/31/2021", "$5.00", "", "", "", "", "", "", "", "1.5", "$1.00", ""],  # line 4: bad_count
        ["", "", *[""] * 10],  # line 5: empty_row
        ["02/01/2021", "$7.00"],  # line 6: malformed_row (2 fields)
        ["02/02/2021", "$8.00", *[""] * 10],  # line 7: accepted, 8.00
        ["02/02/2021", "$8.00", *[""] * 10],  # line 8: duplicate_day (same day again)
    ]
    res = read_export(write_csv(tmp_path / "s.csv", rows))
    codes = dict(zip(res.rejects["source_line"], res.rejects["reason"].str.split(":").str[0], strict=True))
    assert codes == {
        2: "currency_mismatch",
        3: "bad_date",
        4: "bad_count",
        5: "empty_row",
        6: "malformed_row",
        8: "duplicate_day",
    }
    assert res.rows["gross"].tolist() == [8.0]
    assert res.rows_read == 7


def test_overlapping_files_of_one_account_are_flagged_not_double_counted(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    # a.csv: Date Range Report of seller S: Jan 10 and Jan 20 (its January span), Feb 3.
    # b.csv: Business Report of S: Jan 5 (before a's span: counted), Jan 15 and Jan 16 (inside it: rejected).
    # c.csv: Date Range Report of S: Feb 20 (after a's February span, Feb 3: counted, shared month).
    write_csv(
        folder / "a.csv",
        drr_rows(
            "us",
            [
                ("Jan 10, 2021 9:00:00 AM PST", "Order", "amazon.com", "100.00", "0", "0"),
                ("Jan 20, 2021 9:00:00 AM PST", "Order", "amazon.com", "50.00", "0", "0"),
                ("Feb 3, 2021 9:00:00 AM PST", "Order", "amazon.com", "10.00", "0", "0"),
            ],
        ),
    )
    write_csv(
        folder / "b.csv",
        [
            BUSINESS,
            ["01/05/2021", "$7.00", *[""] * 10],
            ["01/15/2021", "$70.00", *[""] * 10],
            ["01/16/2021", "$30.00", *[""] * 10],
        ],
    )
    write_csv(
        folder / "c.csv",
        drr_rows("us", [("Feb 20, 2021 9:00:00 AM PST", "Order", "amazon.com", "5.00", "0", "0")]),
    )
    (folder / "accounts.csv").write_text("file,seller_id\na.csv,S\nb.csv,S\nc.csv,S\n")
    res = read_accounts(folder)
    assert totals(res.monthly) == {
        ("S", "US", "2021-01"): 157.00,  # 100 + 50 (a) + 7 (b, Jan 5); b's 70 + 30 are inside a's dates
        ("S", "US", "2021-02"): 15.00,  # 10 (a) + 5 (c)
    }
    overlap = [f for f in res.flags if f.startswith("overlap")]
    assert len(overlap) == 1 and "a.csv and b.csv" in overlap[0] and "2 rows of b.csv" in overlap[0]
    assert any(f.startswith("shared month: S US 2021-01 is in a.csv and b.csv; 1 rows") for f in res.flags)
    assert any(f.startswith("shared month: S US 2021-02 is in a.csv and c.csv") for f in res.flags)
    b = next(f for f in res.files if f.path.name == "b.csv")
    assert (b.rows_read, b.accepted, b.rejected) == (3, 1, 2)
    rejected = res.rejects[res.rejects["reason"].str.startswith("overlapping_month")]
    assert rejected["source_line"].tolist() == [3, 4]  # b.csv lines of Jan 15 and Jan 16


def test_seller_id_column_wins_and_accounts_file_is_checked(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    header = [*BUSINESS, "seller_id"]
    write_csv(
        folder / "multi.csv",
        [header, ["01/30/2021", "$1.00", *[""] * 10, "A1"], ["01/30/2021", "$2.00", *[""] * 10, "B2"]],
    )
    assert totals(read_accounts(folder).monthly) == {
        ("A1", "US", "2021-01"): 1.0,
        ("B2", "US", "2021-01"): 2.0,
    }
    (folder / "accounts.csv").write_text("file,seller_id\nother.csv,X\n")
    with pytest.raises(InputError, match="names files not in the folder: other.csv"):
        read_accounts(folder)
    (folder / "accounts.csv").write_text("name,id\n")
    with pytest.raises(InputError, match="needs columns file, seller_id"):
        read_accounts(folder)
