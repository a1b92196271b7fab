"""Spreadsheet-safe CSV exports and HTML escaping: dangerous-looking values stay data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from seller_insurance.safe_export import html_escape, spreadsheet_safe, to_spreadsheet_csv


def test_formula_prefixes_are_neutralised_in_text_only():
    df = pd.DataFrame(
        {
            "seller_id": ["=1+2", "+SUM(A1)", "-x", "@cmd", "\tA", "\rB", "ok", "-3", "+1.5", None],
            "cat": pd.Categorical(["=a", "b", "=a", "b", "b", "b", "b", "b", "b", "b"]),
            "amount": [-1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "n": np.arange(10),
        }
    )
    out = spreadsheet_safe(df)
    assert out["seller_id"].tolist()[:8] == ["'=1+2", "'+SUM(A1)", "'-x", "'@cmd", "'\tA", "'\rB", "ok", "-3"]
    assert out["seller_id"].tolist()[8] == "+1.5" and pd.isna(out["seller_id"].tolist()[9])
    assert out["cat"].astype(str).tolist()[:2] == ["'=a", "b"]
    assert out["amount"].tolist() == df["amount"].tolist() and out["amount"].dtype == np.float64
    assert out["n"].dtype == df["n"].dtype
    assert df["seller_id"].tolist()[0] == "=1+2"  # the input is not modified


def test_spreadsheet_csv_round_trip(tmp_path):
    df = pd.DataFrame({"seller_id": ['=HYPERLINK("http://evil")', "a"], "gross_sales": [-5.0, 1.0]})
    p = to_spreadsheet_csv(df, tmp_path / "x.csv")
    back = pd.read_csv(p, dtype=str)
    assert back["seller_id"].tolist() == ['\'=HYPERLINK("http://evil")', "a"]
    assert back["gross_sales"].tolist() == ["-5.0", "1.0"]


def test_script_in_seller_name_is_escaped_in_html():
    df = pd.DataFrame({"seller": ["<script>alert(1)</script>"], "note": ["a & b"]})
    html = df.to_html(escape=True)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html_escape('<b onclick="x">') == "&lt;b onclick=&quot;x&quot;&gt;"
