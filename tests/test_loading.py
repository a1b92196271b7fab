"""The loading layer on small hand-written inputs: every expected value is worked out by hand in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seller_insurance.data.loading import (
    ensure_usable,
    load_claims,
    load_dataset,
    load_monthly_sales,
    load_sellers,
    rejects_path,
    write_rejects,
)
from seller_insurance.errors import InputError


def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _codes(result):
    return result.rejects["reason"].str.split(":").str[0].tolist()


def test_monthly_csv_formats_and_aliases(tmp_path):
    p = _write(
        tmp_path,
        "m.csv",
        "Seller ID,Site,Month,Gross Sales\n"
        'A1,US,2021-09,"$12,345.67"\n'
        "A1,us,Oct 2021,100\n"
        "B2,GB,09/2021,0\n"
        "B2,DE,2021-09-15T10:00:00Z,€5.5\n",
    )
    r = load_monthly_sales(p)
    f = r.frame
    assert list(f.columns) == ["seller_id", "marketplace", "month", "gross_sales"]
    assert f["seller_id"].tolist() == ["A1", "A1", "B2", "B2"]
    assert f["marketplace"].tolist() == ["US", "US", "UK", "DE"]
    assert f["month"].dt.strftime("%Y-%m-%d").tolist() == [
        "2021-09-01",
        "2021-10-01",
        "2021-09-01",
        "2021-09-01",
    ]
    assert f["gross_sales"].tolist() == [12345.67, 100.0, 0.0, 5.5]
    assert isinstance(f["seller_id"].dtype, pd.CategoricalDtype)
    assert isinstance(f["marketplace"].dtype, pd.CategoricalDtype)
    assert f["month"].dtype == np.dtype("datetime64[s]")
    assert f["gross_sales"].dtype == np.float64
    assert r.rows_read == 4 and r.rows_accepted == 4 and r.rejects.empty
    assert r.summary() == "read 4 rows: 4 accepted, 0 rejected"


def test_missing_marketplace_column_means_us(tmp_path):
    p = _write(tmp_path, "m.csv", "seller_id,month,gross_sales\nx,2021-01,1\n")
    r = load_monthly_sales(p)
    assert r.frame["marketplace"].tolist() == ["US"]


def test_bad_rows_are_rejected_with_line_numbers_and_originals(tmp_path):
    p = _write(
        tmp_path,
        "m.csv",
        "seller_id;marketplace;month;gross_sales\n"  # line 1
        "A1;US;2021-09;10\n"  # 2 kept
        "B2;GB;09/2021;(1,234.00)\n"  # 3 negative
        ";US;2021-09;5\n"  # 4 missing id
        "C3;XX;2021-09;5\n"  # 5 unknown site
        "\n"  # 6 empty
        "A1;US;2021-09;10.00\n"  # 7 copy of line 2
        "D4;US;2021-13;5\n"  # 8 bad month
        "E5;US;2021-09;1\n"  # 9 conflict
        "E5;US;2021-09;2\n"  # 10 conflict
        "F6;US;2021-09;1,2345\n",
    )  # 11 neither thousands nor decimal comma
    r = load_monthly_sales(p)
    assert r.frame["seller_id"].tolist() == ["A1"]
    rej = r.rejects
    assert rej["source_line"].tolist() == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert _codes(r) == [
        "negative_gross_sales",
        "missing_seller_id",
        "bad_marketplace",
        "empty_row",
        "duplicate_copy",
        "bad_month",
        "conflicting_duplicate",
        "conflicting_duplicate",
        "bad_amount",
    ]
    assert rej.loc[0, "gross_sales"] == "(1,234.00)" and rej.loc[0, "marketplace"] == "GB"
    assert "line 2" in rej.loc[4, "reason"]
    assert r.rows_read == 10 and r.rows_accepted + len(rej) == r.rows_read
    assert r.summary().startswith("read 10 rows: 1 accepted, 9 rejected (2 conflicting_duplicate, ")


def test_three_copies_keep_one_and_a_differing_copy_rejects_all(tmp_path):
    p = _write(
        tmp_path,
        "m.csv",
        "seller_id,month,gross_sales\n"
        "a,2021-01,5\na,2021-01,5\na,2021-01,5\n"
        "b,2021-01,5\nb,2021-01,5\nb,2021-01,6\n",
    )
    r = load_monthly_sales(p)
    assert r.frame["seller_id"].tolist() == ["a"]
    assert _codes(r) == ["duplicate_copy", "duplicate_copy"] + ["conflicting_duplicate"] * 3
    assert r.rejects["source_line"].tolist() == [3, 4, 5, 6, 7]


def test_unsorted_input_is_sorted_by_seller_marketplace_month(tmp_path):
    p = _write(
        tmp_path,
        "m.csv",
        "seller_id,marketplace,month,gross_sales\n"
        "b,US,2021-02,2\na,DE,2021-01,3\nb,US,2021-01,1\na,US,2021-03,4\nb,US,2021-02,2\n",
    )
    r = load_monthly_sales(p)
    f = r.frame
    # seller order = first appearance (b, a); within seller: marketplace order of policy (US before DE), month
    assert list(
        zip(f["seller_id"], f["marketplace"], f["month"].dt.strftime("%Y-%m"), f["gross_sales"], strict=True)
    ) == [
        ("b", "US", "2021-01", 1.0),
        ("b", "US", "2021-02", 2.0),
        ("a", "US", "2021-03", 4.0),
        ("a", "DE", "2021-01", 3.0),
    ]
    assert _codes(r) == ["duplicate_copy"] and r.rejects["source_line"].tolist() == [6]


def test_currency_must_match_site(tmp_path):
    p = _write(
        tmp_path,
        "m.csv",
        "seller_id,marketplace,month,gross_sales,currency\n"
        "a,US,2021-01,1,USD\na,DE,2021-01,1,eur\na,UK,2021-01,1,USD\na,JP,2021-01,1,\n",
    )
    r = load_monthly_sales(p)
    assert r.frame["currency"].astype(str).tolist() == ["USD", "JPY", "EUR"]
    assert _codes(r) == ["currency_mismatch"] and r.rejects["source_line"].tolist() == [4]


def test_orders_are_aggregated_to_calendar_months(tmp_path):
    p = _write(
        tmp_path,
        "o.csv",
        "order id,seller_id,order date,amount\n"
        "o1,s,2021-09-01T00:00:00Z,10\n"
        "o2,s,2021-09-30,5.25\n"
        "o3,s,2021-10-02,(3.00)\n"  # a refund: negative, summed in
        "o4,s,2021-10-03,1\n"  # October total = -2 -> both October rows rejected
        "o5,t,09/15/2021,7\n"
        "o5,t,09/15/2021,7\n"  # exact copy of o5
        'o6,t,2021-09-16,"$1,000"\n',
    )
    r = load_monthly_sales(p)
    assert r.kind == "orders"
    f = r.frame
    assert list(
        zip(f["seller_id"], f["month"].dt.strftime("%Y-%m"), f["gross_sales"], f["orders"], strict=True)
    ) == [("s", "2021-09", 15.25, 2), ("t", "2021-09", 1007.0, 2)]
    assert _codes(r) == ["negative_monthly_total", "negative_monthly_total", "duplicate_copy"]
    assert r.rejects["source_line"].tolist() == [4, 5, 7]
    assert r.rows_read == 7 and r.rows_accepted == 4


def test_parquet_path_and_rejects_use_row_numbers(tmp_path):
    t = pa.table(
        {
            "seller_id": ["a", "a", "b", "b", "b", None],
            "marketplace": ["US", "US", "US", "DE", "US", "US"],
            "month": pa.array(
                pd.to_datetime(
                    ["2021-01-01", "2021-02-01", "2021-01-01", "2021-01-01", "2021-02-01", "2021-01-01"]
                ).date,
                pa.date32(),
            ),
            "gross_sales": [1.0, 2.0, -3.0, 4.0, np.nan, 1.0],
        }
    )
    p = tmp_path / "m.parquet"
    pq.write_table(t, p)
    r = load_monthly_sales(p)
    assert r.frame["gross_sales"].tolist() == [1.0, 2.0, 4.0]
    assert r.rejects["source_line"].tolist() == [3, 5, 6]
    assert _codes(r) == ["negative_gross_sales", "bad_amount", "missing_seller_id"]
    assert r.rejects.loc[0, "gross_sales"] == "-3"


def test_errors_name_file_and_column(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_monthly_sales(tmp_path / "nope.csv")
    empty = _write(tmp_path, "empty.csv", "")
    with pytest.raises(InputError, match="empty.csv: file is empty"):
        load_monthly_sales(empty)
    p = _write(tmp_path, "m.csv", "seller,period,turnover\na,2021-01,1\n")
    with pytest.raises(InputError, match="missing required column 'gross_sales'") as exc:
        load_monthly_sales(p)
    assert exc.value.column == "gross_sales" and "'turnover'" in str(exc.value)
    r = load_monthly_sales(p, column_map={"turnover": "gross_sales"})
    assert r.frame["gross_sales"].tolist() == [1.0]


def test_no_usable_row_returns_result_then_ensure_usable_raises(tmp_path):
    p = _write(tmp_path, "m.csv", "seller_id,month,gross_sales\na,bad,1\n")
    r = load_monthly_sales(p)
    out = write_rejects(r, tmp_path / "result.parquet")
    assert out == tmp_path / "result.rejects.csv" and out.exists()
    with pytest.raises(InputError, match="no usable row"):
        ensure_usable(r)


def test_write_rejects_header_only_when_clean(tmp_path):
    p = _write(tmp_path, "m.csv", "seller_id,month,gross_sales\na,2021-01,1\n")
    out = write_rejects(load_monthly_sales(p), tmp_path / "x.csv")
    assert out.read_text().splitlines() == ["source_file,source_line,reason,seller_id,month,gross_sales"]
    assert rejects_path("a/b.tar.csv").name == "b.tar.rejects.csv"


def test_claims_and_sellers(tmp_path):
    c = _write(
        tmp_path,
        "claims.csv",
        "Claim ID,Seller ID,Filed Date,Type,Amount,Status\n"
        "c1,s1,2021-09-15,property_damage,$950.00,valid\n"
        "c2,s1,09/20/2021,Personal Injury,1200,Pending\n"
        "c3,s2,2021-09-31,property_damage,5,valid\n"
        "c4,s2,2021-10-01,fire,5,valid\n"
        "c5,s2,2021-10-01,property_damage,0,valid\n",
    )
    r = load_claims(c)
    assert r.frame["claim_id"].tolist() == ["c1", "c2"]
    assert r.frame["claim_type"].tolist() == ["property_damage", "personal_injury"]
    assert r.frame["status"].tolist() == ["valid", "pending"]
    assert r.frame["filed_date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-09-15", "2021-09-20"]
    assert _codes(r) == ["bad_date", "bad_claim_type", "non_positive_amount"]
    s = _write(
        tmp_path,
        "sellers.csv",
        "seller_id,marketplace,category,launch_month,churn_month\n"
        "s1,US,toys,2020-01,\ns2,UK,books,2020-05,2020-05\n",
    )
    r = load_sellers(s)
    assert r.frame["seller_id"].tolist() == ["s1"] and r.frame["churn_month"].isna().all()
    assert _codes(r) == ["churn_before_launch"]


def test_load_dataset_reads_what_exists(tmp_path):
    (tmp_path / "ds").mkdir()
    _write(tmp_path, "ds/monthly_sales.csv", "seller_id,month,gross_sales\na,2021-01,1\n")
    out = load_dataset(tmp_path / "ds")
    assert list(out) == ["monthly_sales"]
    with pytest.raises(InputError):
        load_dataset(tmp_path / "missing")


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
def test_parquet_row_groups_give_the_same_frame_as_pandas(tmp_path, order):
    """Multi-row-group Parquet (one seller spanning two groups): the no-hash categorical path for sorted data and
    the general path must both equal a plain pandas computation."""
    rng = np.random.default_rng(3)
    sellers = np.repeat([f"s{i:03d}" for i in range(40)], 7)
    months = np.tile(pd.date_range("2021-01-01", periods=7, freq="MS").date, 40)
    gross = np.round(rng.uniform(0, 100, len(sellers)), 2)
    df = pd.DataFrame({"seller_id": sellers, "month": months, "gross_sales": gross})
    if order == "shuffled":
        df = df.sample(frac=1, random_state=1).reset_index(drop=True)
    p = tmp_path / "m.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), p, row_group_size=17)
    r = load_monthly_sales(p)
    assert r.rejects.empty
    got = pd.DataFrame(
        {
            "seller_id": r.frame["seller_id"].astype(str),
            "month": r.frame["month"].dt.strftime("%Y-%m"),
            "gross_sales": r.frame["gross_sales"],
        }
    )
    first_seen = {s: i for i, s in reversed(list(enumerate(df["seller_id"])))}
    exp = df.assign(
        month=pd.to_datetime(df["month"]).dt.strftime("%Y-%m"), rank=df["seller_id"].map(first_seen)
    )
    exp = exp.sort_values(["rank", "month"]).drop(columns="rank").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)
    assert list(r.frame["seller_id"].cat.categories) == list(dict.fromkeys(df["seller_id"]))


def test_strictly_increasing_reference():
    from seller_insurance.data.loading.stream import strictly_increasing

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 12))
        a, b = rng.integers(0, 3, n), rng.integers(0, 3, n)
        keys = list(zip(a.tolist(), b.tolist(), strict=True))
        expected = all(keys[i] < keys[i + 1] for i in range(n - 1))
        assert strictly_increasing([a, b], block=int(rng.integers(1, 5))) == expected


def _messy_csv(n=3000, seed=5):
    """Many rows with bad values, far-apart duplicates, quoted line breaks and ragged rows; returns (text, lines)."""
    rng = np.random.default_rng(seed)
    out = ["seller_id,marketplace,month,gross_sales,note"]
    for _ in range(n):
        s = f"s{rng.integers(0, 400)}"
        m = f"2021-{rng.integers(1, 13):02d}"
        g = f"{rng.integers(0, 1000)}.{rng.integers(0, 100):02d}"
        kind = rng.integers(0, 40)
        if kind == 0:
            m = "2021-13"
        elif kind == 1:
            g = "-5"
        elif kind == 2:
            out.append(f"{s},US,{m},{g}")  # ragged: one field short
            continue
        elif kind == 3:
            out.append(f'{s},US,{m},{g},"a\nb"')  # a quoted line break
            continue
        out.append(f"{s},US,{m},{g},x")
    return "\n".join(out) + "\n"


def test_streamed_blocks_give_the_same_result(tmp_path, monkeypatch):
    """Tiny CSV blocks (many batches: duplicates across batches, line numbers after quoted line breaks and
    ragged rows) must give exactly what one block gives, and lines must match a plain-Python line count."""
    from seller_insurance.data.loading import sources as loading_io

    p = tmp_path / "m.csv"
    text = _messy_csv()
    p.write_text(text)
    whole = load_monthly_sales(p)
    monkeypatch.setattr(loading_io, "CSV_BLOCK_BYTES", 2048)
    streamed = load_monthly_sales(p)
    pd.testing.assert_frame_equal(whole.frame, streamed.frame)
    pd.testing.assert_frame_equal(whole.rejects, streamed.rejects)
    assert whole.rows_accepted + len(whole.rejects) == whole.rows_read
    # every rejected line really starts with the seller id shown (physical line numbers)
    lines = text.split("\n")
    for line, sid in zip(whole.rejects["source_line"], whole.rejects["seller_id"], strict=True):
        assert lines[line - 1].startswith(sid + ",")
    assert {"bad_month", "negative_gross_sales", "malformed_row", "conflicting_duplicate"} <= set(
        whole.reject_counts()
    )


def test_latin1_after_the_sniffed_sample_restarts_as_latin1(tmp_path):
    rows = "".join(f"s{i},2021-01,1\n" for i in range(8000))  # > 64 KB of ASCII first
    p = tmp_path / "m.csv"
    p.write_bytes(("seller_id,month,gross_sales\n" + rows + "Müller,2021-01,2\n").encode("latin-1"))
    r = load_monthly_sales(p)
    assert r.rows_read == 8001 and r.rejects.empty
    assert r.frame["seller_id"].astype(str).iloc[-1] == "Müller"


def test_folder_of_parquet_files_is_one_dataset(tmp_path):
    d = tmp_path / "monthly_sales"
    d.mkdir()
    for i, (sid, g) in enumerate([("a", [1.0, -1.0]), ("b", [2.0, 3.0])]):
        pq.write_table(
            pa.table(
                {
                    "seller_id": [sid, sid],
                    "month": pa.array(pd.to_datetime(["2021-01-01", "2021-02-01"]).date, pa.date32()),
                    "gross_sales": g,
                }
            ),
            d / f"part-{i}.parquet",
        )
    r = load_monthly_sales(d)
    assert r.frame["seller_id"].astype(str).tolist() == ["a", "b", "b"]
    assert r.rejects["source_file"].tolist() == [str(d / "part-0.parquet")]
    assert r.rejects["source_line"].tolist() == [2]
    ds = load_dataset(tmp_path)
    assert list(ds) == ["monthly_sales"] and ds["monthly_sales"].rows_read == 4


def test_orders_with_site_currency_and_units(tmp_path):
    p = _write(
        tmp_path,
        "o.csv",
        "amazon-order-id,merchant,sales channel,purchase-date,item-price,currency,quantity\n"
        "1,m,amazon.de,2021-03-05,10.00,EUR,1\n"
        "1,m,amazon.de,2021-03-05,5.00,EUR,2\n"  # a second line of order 1
        "2,m,amazon.de,2021-03-31,1.00,USD,1\n"  # wrong currency for DE
        "3,m,US,2021-04-01,7.00,USD,\n",
    )
    r = load_monthly_sales(p)
    f = r.frame
    assert list(
        zip(
            f["marketplace"].astype(str),
            f["month"].dt.strftime("%Y-%m"),
            f["gross_sales"],
            f["orders"],
            f["units"].astype(object),
            strict=True,
        )
    ) == [("US", "2021-04", 7.0, 1, pd.NA), ("DE", "2021-03", 15.0, 1, 3)]
    assert _codes(r) == ["currency_mismatch"]


def test_committed_sample_dataset_loads_clean_and_unchanged():
    """The generator's committed sample: nothing rejected, and the values equal a plain pyarrow read."""
    from seller_insurance.paths import SAMPLE_DATA_DIR

    ds = load_dataset(SAMPLE_DATA_DIR)
    assert set(ds) == {"sellers", "monthly_sales", "claims"}
    for table, res in ds.items():
        assert res.rejects.empty, table
        raw = pq.read_table(SAMPLE_DATA_DIR / f"{table}.parquet").to_pandas()
        assert res.rows_read == len(raw) == len(res.frame)
    m, raw = ds["monthly_sales"].frame, pq.read_table(SAMPLE_DATA_DIR / "monthly_sales.parquet").to_pandas()
    raw = raw.assign(
        seller_id=raw["seller_id"].astype(str), month=pd.to_datetime(raw["month"]).dt.strftime("%Y-%m")
    )
    got = m.assign(
        seller_id=m["seller_id"].astype(str),
        marketplace=m["marketplace"].astype(str),
        month=m["month"].dt.strftime("%Y-%m"),
    )
    key = ["seller_id", "marketplace", "month"]
    merged = got.merge(raw, on=key, suffixes=("", "_raw"), validate="one_to_one")
    assert len(merged) == len(raw)
    np.testing.assert_array_equal(merged["gross_sales"], merged["gross_sales_raw"])


def test_take_rows_and_drop_unused_match_pyarrow_and_pandas():
    from seller_insurance.data.loading.rejects import take_rows
    from seller_insurance.data.loading.stream import drop_unused_categories

    t = pa.Table.from_batches(
        [
            pa.record_batch({"a": [1, 2, 3], "b": ["x", "y", "z"]}),
            pa.record_batch({"a": [4, 5], "b": ["u", "v"]}),
        ]
    )
    idx = np.array([4, 0, 3, 3, 1])
    assert take_rows(t, idx).to_pydict() == t.take(pa.array(idx)).to_pydict()
    cat = pd.Categorical(["b", None, "d", "b"], categories=["a", "b", "c", "d"])
    got, exp = drop_unused_categories(cat), cat.remove_unused_categories()
    assert list(got.categories) == list(exp.categories) and got.codes.tolist() == exp.codes.tolist()


def test_duplicate_and_empty_header_names_keep_their_own_values(tmp_path):
    """A pandas index column (empty name) and two columns of one name: the rejects show each column's value."""
    p = _write(
        tmp_path, "m.csv", ",note,note,seller_id,month,gross_sales\n0,x,y,a,2021-01,5\n1,u,v,b,bad,6\n"
    )
    r = load_monthly_sales(p)
    assert r.frame["seller_id"].astype(str).tolist() == ["a"]
    rej = r.rejects
    assert list(rej.columns) == [
        "source_file",
        "source_line",
        "reason",
        "",
        "note",
        "note_original",
        "seller_id",
        "month",
        "gross_sales",
    ]
    assert rej.iloc[0, 3:].tolist() == ["1", "u", "v", "b", "bad", "6"]
