"""Property and fuzz tests of the loading layer (hypothesis).

- Accepted + rejected == rows read, for any mix of good and bad monthly rows, and the accepted frame equals what a
  plain-Python reference built from the same rows says (duplicates resolved by the documented rule).
- Whatever bytes a file holds, the loaders raise nothing but ``InputError``.
- The money and month parsers agree with small reference parsers written here for the plain formats.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seller_insurance.data.loading import load_claims, load_monthly_sales, load_sellers, parsing
from seller_insurance.errors import InputError
from seller_insurance.months import NO_MONTH

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

sellers = st.sampled_from(["a", "b", "=c", " d ", "", "Ünï"])
sites = st.sampled_from(["US", "us", "GB", "UK", "DE", "XX", ""])
months = st.sampled_from(["2021-01", "2021-02", "Jan 2021", "01/2021", "2021-13", "", "x"])
amounts = st.sampled_from(["1", "2.50", "$1,000", "(3)", "-1", "", "abc", "0", "1,0"])

_MONTH_REF = {"2021-01": 612, "Jan 2021": 612, "01/2021": 612, "2021-02": 613}
_SITE_REF = {"US": "US", "us": "US", "GB": "UK", "UK": "UK", "DE": "DE"}
_AMOUNT_REF = {"1": 1.0, "2.50": 2.5, "$1,000": 1000.0, "(3)": -3.0, "-1": -1.0, "0": 0.0, "1,0": 1.0}


def _reference(rows):
    """Plain-Python model of the documented rules: (accepted {(seller, site, month): value}, n_rejected)."""
    valid = []
    rejected = 0
    for s, site, m, a in rows:
        sid = s.strip()
        if (
            not sid
            or site not in _SITE_REF
            or m not in _MONTH_REF
            or a not in _AMOUNT_REF
            or _AMOUNT_REF[a] < 0
        ):
            rejected += 1
            continue
        valid.append(((sid, _SITE_REF[site], _MONTH_REF[m]), _AMOUNT_REF[a]))
    groups: dict = {}
    for key, value in valid:
        groups.setdefault(key, []).append(value)
    accepted = {}
    for key, values in groups.items():
        if len(set(values)) == 1:
            accepted[key] = values[0]
            rejected += len(values) - 1
        else:
            rejected += len(values)
    return accepted, rejected


@SETTINGS
@given(
    st.lists(st.tuples(sellers, sites, months, amounts), min_size=1, max_size=25),
    st.sampled_from([",", ";", "\t"]),
)
def test_accepted_plus_rejected_is_rows_read(tmp_path, rows, delimiter):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(["seller_id", "marketplace", "month", "gross_sales"])
    w.writerows(rows)
    p = tmp_path / "m.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    r = load_monthly_sales(p)
    assert r.rows_read == len(rows)
    assert r.rows_accepted + len(r.rejects) == r.rows_read
    accepted, n_rejected = _reference(rows)
    assert len(r.rejects) == n_rejected
    got = {
        (s, m, int(t.astype("datetime64[M]").astype(np.int64))): v
        for s, m, t, v in zip(
            r.frame["seller_id"].astype(str),
            r.frame["marketplace"].astype(str),
            r.frame["month"].to_numpy(),
            r.frame["gross_sales"],
            strict=True,
        )
    }
    assert got == accepted
    assert sorted(r.rejects["source_line"].tolist()) == r.rejects["source_line"].tolist()
    assert set(r.rejects["source_line"]).issubset(range(2, len(rows) + 2))


@SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_raise_only_input_error(tmp_path, data):
    p = tmp_path / "x.csv"
    p.write_bytes(data)
    for loader in (load_monthly_sales, load_claims, load_sellers):
        try:
            r = loader(p)
        except InputError:
            continue
        assert r.rows_accepted + len(r.rejects) == r.rows_read


_TEXT = st.text(alphabet=st.sampled_from(list("abc,;\t|\"'\n\r =+-$()0123456789./:TZ")), max_size=200)


@SETTINGS
@given(_TEXT)
def test_any_text_under_a_good_header_raises_only_input_error(tmp_path, body):
    p = tmp_path / "x.csv"
    p.write_text("seller_id,marketplace,month,gross_sales,currency\n" + body, encoding="utf-8")
    try:
        r = load_monthly_sales(p)
    except InputError:
        return
    assert r.rows_accepted + len(r.rejects) == r.rows_read
    assert (r.frame["gross_sales"] >= 0).all()
    assert r.frame.duplicated(["seller_id", "marketplace", "month"]).sum() == 0


@SETTINGS
@given(
    st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False), min_size=1, max_size=30
    )
)
def test_money_parser_matches_reference_on_plain_and_thousands_formats(values):
    plain = [f"{v:.2f}" for v in values]
    grouped = [(f"({abs(v):,.2f})" if v < 0 else f"${v:,.2f}") for v in values]
    for texts in (plain, grouped):
        got, ok = parsing.parse_money(pa.array(texts))
        assert ok.all()
        np.testing.assert_array_equal(got, np.array([float(v) for v in values]))


@SETTINGS
@given(st.integers(1900, 2199), st.integers(1, 12), st.integers(1, 28))
def test_month_parser_matches_reference(year, month, day):
    expected = (year - 1970) * 12 + month - 1
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    spellings = [
        f"{year}-{month:02d}",
        f"{year}-{month:02d}-{day:02d}",
        f"{month:02d}/{year}",
        f"{names[month - 1]} {year}",
        f"{year}-{month:02d}-{day:02d}T10:00:00Z",
        f"{month}/{day}/{year}",
        f"{day}.{month}.{year}",
        f"{year}{month:02d}",
    ]
    assert [parsing.month_of_text(s) for s in spellings] == [expected] * len(spellings)
    assert parsing.month_of_text(f"{year}-{month + 12:02d}") == NO_MONTH


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12345.67", 12345.67),
        ("12,345.67", 12345.67),
        ("$12,345.67", 12345.67),
        ("(1,234.00)", -1234.0),
        ("€ 5", 5.0),
        ("5 EUR", 5.0),
        ("1.234,56", 1234.56),
        ("12,5", 12.5),
        ("-0.5", -0.5),
        ("+3", 3.0),
    ],
)
def test_money_examples(text, expected):
    got, ok = parsing.parse_money(pa.array([text]))
    assert ok.tolist() == [True] and got.tolist() == [expected]


@pytest.mark.parametrize(
    "text", ["", "abc", "12,34,5", "1.2.3", "(5", "--5", "(-5)", "1,2345", "nan", "inf", "1e3e3", "$"]
)
def test_money_rejects(text):
    got, ok = parsing.parse_money(pa.array([text]))
    assert ok.tolist() == [False] and np.isnan(got[0])


@pytest.mark.parametrize("texts", [["1", "2.5", "1e3"], ["1", "2.5", "1e3", "$4"]])
def test_fast_and_slow_money_paths_agree(texts):
    """A column of plain numbers takes the fast cast; one symbol sends the whole column through the cleaner:
    the shared values must parse the same either way (scientific notation included)."""
    got, ok = parsing.parse_money(pa.array(texts))
    assert ok.all() and got[:3].tolist() == [1.0, 2.5, 1000.0]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", " c", "d ", "", "17"])), max_size=6),
        max_size=5,
    ),
    st.sampled_from(["plain", "dictionary", "large", "int"]),
)
def test_to_categorical_of_any_chunking_is_the_trimmed_values(chunks, kind):
    """Values per row (trimmed, blank and null as missing) whatever the chunks: empty, all-null, dictionary-encoded
    one by one, large_string or integer; the reference is a plain Python list comprehension."""
    from seller_insurance.data.loading.stream import to_categorical

    if kind == "int":
        chunks = [
            [None if v is None or not v.strip() or not v.strip().isdigit() else v for v in c] for c in chunks
        ]
        arrays = [pa.array([None if v is None else int(v) for v in c], pa.int64()) for c in chunks]
    else:
        typ = pa.large_string() if kind == "large" else pa.string()
        arrays = [pa.array(c, typ) for c in chunks]
        if kind == "dictionary":
            arrays = [a.dictionary_encode() for a in arrays]
    col = pa.chunked_array(arrays, type=arrays[0].type if arrays else pa.string())
    cat, maybe_missing = to_categorical(col, report_missing=True)
    flat = [v for c in chunks for v in c]
    expected = [None if v is None or not v.strip() else v.strip() for v in flat]
    got = [None if pd.isna(v) else v for v in np.asarray(cat, dtype=object)]
    assert got == expected
    assert maybe_missing or None not in expected


@SETTINGS
@given(
    st.lists(st.integers(-(2**62), 2**62), max_size=300)
    | st.lists(st.integers(-50, 50), max_size=300)
    | st.lists(st.integers(0, 3), max_size=2000)
)
def test_packed_stable_argsort_is_numpys_stable_argsort(values):
    """The duplicate check's fast sort (key and row position packed into one int64) orders rows exactly as the
    stable argsort does, ties in order of appearance; keys too wide to pack fall back to the stable argsort."""
    from seller_insurance.data.loading.stream import stable_argsort

    key = np.array(values, dtype=np.int64)
    assert np.array_equal(stable_argsort(key), np.argsort(key, kind="stable"))
