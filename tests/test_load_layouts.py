"""One small sales dataset written in every layout a user may bring; ``evaluate`` must not care which.

The dataset (24 sellers x 14 months, numeric-looking ids so integer columns can hold them) carries seven planted
bad rows: a missing seller id, an impossible month, a negative amount, an unknown marketplace, an exact copy of a
good row and two rows for one seller-month that disagree. Each layout is written from the same rows in its own
order, and every test maps the rejects' ``source_file``/``source_line`` back to the planted row through that
order: the expected rejects are the planted rows (hand-listed below), not whatever the loader printed once.
"""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seller_insurance.cli import main
from seller_insurance.data.loading import load_claims, load_monthly_sales

N_SELLERS, N_MONTHS = 24, 14
MONTHS = [str(p) for p in pd.period_range("2020-01", periods=N_MONTHS, freq="M")]

# (seller_id, marketplace, month, gross_sales, expected reason code) of the planted rows
PLANTED = [
    ("", "US", "2020-03", 100.0, "missing_seller_id"),
    ("1001", "US", "2020-13", 50.0, "bad_month"),
    ("1002", "US", "2020-05", -3.0, "negative_gross_sales"),
    ("1003", "XX", "2020-05", 10.0, "bad_marketplace"),
]


def canonical(with_bad_marketplace: bool = True) -> pd.DataFrame:
    """Rows in canonical order (sorted by seller, then month) with a ``reason`` column: the expected reject code
    of each row ('' for a good row). The exact copy is rejected as ``duplicate_copy`` whichever of the two
    identical rows a layout lists first, so both carry ``copy`` and exactly one of them must be rejected."""
    rng = np.random.default_rng(7)
    rows = []
    for k in range(N_SELLERS):
        level = rng.choice([3_000.0, 9_000.0, 12_000.0])
        for m in MONTHS:
            rows.append((str(1001 + k), "US", m, round(level * rng.uniform(0.6, 1.5), 2), ""))
    df = pd.DataFrame(rows, columns=["seller_id", "marketplace", "month", "gross_sales", "reason"])
    copy_of = df.index[(df.seller_id == "1004") & (df.month == "2020-06")][0]
    clash = df.index[(df.seller_id == "1005") & (df.month == "2020-08")][0]
    df.loc[copy_of, "reason"] = "copy"
    df.loc[clash, "reason"] = "conflicting_duplicate"
    extra = [df.loc[copy_of].to_dict(), {**df.loc[clash].to_dict(), "gross_sales": 1.0}]
    planted = [dict(zip(df.columns, p, strict=True)) for p in PLANTED]
    if not with_bad_marketplace:
        planted = [p for p in planted if p["reason"] != "bad_marketplace"]
    return pd.concat([df, pd.DataFrame(planted + extra)], ignore_index=True)


def _month_date(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, format="%Y-%m", errors="coerce")


def _text_table(df: pd.DataFrame, large: bool = False) -> pa.Table:
    t = pa.string() if not large else pa.large_string()
    return pa.table({c: pa.array(df[c].astype(str).tolist(), t) for c in df.columns})


def _typed(df: pd.DataFrame, *, ids: str = "string", month: str = "string") -> pa.Table:
    cols = {}
    if ids == "int":
        cols["seller_id"] = pa.array([int(v) if v else None for v in df["seller_id"]], pa.int64())
    elif ids == "dictionary":
        cols["seller_id"] = pa.array(df["seller_id"].tolist(), pa.string()).dictionary_encode()
    else:
        cols["seller_id"] = pa.array(df["seller_id"].tolist(), pa.string())
    if "marketplace" in df:
        cols["marketplace"] = pa.array(df["marketplace"].tolist(), pa.string())
    if month == "date":
        cols["month"] = pa.array(_month_date(df["month"]).dt.date.tolist(), pa.date32())
    elif month == "timestamp":
        cols["month"] = pa.array(_month_date(df["month"]) + pd.Timedelta(hours=13), pa.timestamp("ms"))
    elif month == "mixed":  # "2020-02-29"-style dates on every other row, "2020-07" on the rest
        days = _month_date(df["month"]) + pd.to_timedelta(np.arange(len(df)) % 28, unit="D")
        text = np.where(np.arange(len(df)) % 2 == 0, days.dt.strftime("%Y-%m-%d"), df["month"])
        text = np.where(days.isna(), df["month"], text)
        cols["month"] = pa.array(text.tolist(), pa.string())
    else:
        cols["month"] = pa.array(df["month"].tolist(), pa.string())
    cols["gross_sales"] = pa.array(df["gross_sales"].to_numpy(dtype=np.float64))
    return pa.table(cols)


ORDERS = {
    "by_seller": lambda df: np.arange(len(df)),
    "by_month": lambda df: np.lexsort((df["seller_id"].to_numpy(), df["month"].to_numpy())),
    "shuffled": lambda df: np.random.default_rng(3).permutation(len(df)),
}

# name -> (row order, writer(frame in file order, folder) -> path, has marketplace column)
LAYOUTS = {
    "csv_by_seller": ("by_seller", "csv", True),
    "csv_by_month": ("by_month", "csv", True),
    "csv_shuffled": ("shuffled", "csv", True),
    "csv_gz": ("shuffled", "csv.gz", True),
    "csv_no_marketplace": ("by_month", "csv", False),
    "parquet_string_by_seller": ("by_seller", "string", True),
    "parquet_string_by_month": ("by_month", "string", True),
    "parquet_string_shuffled": ("shuffled", "string", True),
    "parquet_all_large_string": ("by_month", "large_string", True),
    "parquet_all_text": ("shuffled", "all_text", True),
    "parquet_dictionary_ids": ("by_seller", "dictionary", True),
    "parquet_int_ids": ("by_seller", "int", True),
    "parquet_int_ids_no_marketplace_by_month": ("by_month", "int", False),
    "parquet_month_date": ("shuffled", "date", True),
    "parquet_month_timestamp": ("by_month", "timestamp", True),
    "parquet_month_mixed_text": ("by_seller", "mixed", True),
    "parquet_folder_of_parts": ("shuffled", "parts", True),
}


def write_layout(name: str, folder: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """Write layout ``name``; returns its path and, per file, the canonical row index of each file row."""
    order_name, kind, with_mp = LAYOUTS[name]
    df = canonical(with_bad_marketplace=with_mp)
    if not with_mp:
        df = df.drop(columns="marketplace")
    order = ORDERS[order_name](df)
    rows = df.drop(columns="reason").iloc[order].reset_index(drop=True)
    base = folder / name
    if kind in ("csv", "csv.gz"):
        path = base.with_suffix(".csv")
        rows.to_csv(path, index=False)
        if kind == "csv.gz":
            gz = folder / f"{name}.csv.gz"
            with open(path, "rb") as src, gzip.open(gz, "wb") as dst:
                shutil.copyfileobj(src, dst)
            path.unlink()
            path = gz
        return path, {str(path): order}
    path = base.with_suffix(".parquet")
    if kind == "parts":
        path = base
        path.mkdir()
        out = {}
        for k in range(3):
            part = path / f"part-{k}.parquet"
            pq.write_table(_typed(rows.iloc[k::3]), part)
            out[str(part)] = order[k::3]
        return path, out
    if kind in ("large_string", "all_text"):
        table = _text_table(rows, large=kind == "large_string")
    elif kind in ("int", "dictionary"):
        table = _typed(rows, ids=kind)
    elif kind in ("date", "timestamp", "mixed"):
        table = _typed(rows, month=kind)
    else:
        table = _typed(rows)
    pq.write_table(table, path, row_group_size=97)  # several row groups, each cutting sellers in two
    return path, {str(path): order}


def expected_rejects(with_mp: bool) -> Counter:
    """(reason code, canonical row index) of every planted reject; the exact copy counts under its pair's id."""
    df = canonical(with_bad_marketplace=with_mp)
    out = Counter()
    for i, reason in enumerate(df["reason"]):
        if reason in ("", "copy"):
            continue
        out[(reason, _identity(df, i))] += 1
    copies = df.index[df["reason"] == "copy"]
    out[("duplicate_copy", _identity(df, copies[0]))] += 1
    return out


def _identity(df: pd.DataFrame, i: int) -> tuple:
    r = df.iloc[i]
    return (r["seller_id"], r["month"], float(r["gross_sales"]))


def got_rejects(rejects: pd.DataFrame, rows_of: dict[str, np.ndarray], with_mp: bool, csv: bool) -> Counter:
    """The rejects file mapped back to canonical rows through each file's row order."""
    df = canonical(with_bad_marketplace=with_mp)
    out = Counter()
    for file, line, reason in zip(
        rejects["source_file"], rejects["source_line"], rejects["reason"], strict=True
    ):
        position = int(line) - (2 if csv else 1)  # CSV: the header is line 1; Parquet: row number from 1
        out[(reason.split(":", 1)[0], _identity(df, int(rows_of[file][position])))] += 1
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The result on the plain CSV sorted by seller: output bytes and rejects."""
    folder = tmp_path_factory.mktemp("reference")
    path, _ = write_layout("csv_by_seller", folder)
    out = folder / "out.csv"
    assert main(["evaluate", str(path), "--out", str(out)]) == 0
    return out.read_bytes()


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_layout_gives_the_same_output_and_the_planted_rejects(name, reference, tmp_path):
    path, rows_of = write_layout(name, tmp_path)
    with_mp = LAYOUTS[name][2]
    out = tmp_path / "out.csv"
    assert main(["evaluate", str(path), "--out", str(out)]) == 0
    assert out.read_bytes() == reference
    rejects = pd.read_csv(tmp_path / "out.rejects.csv", dtype=str, keep_default_na=False)
    csv = LAYOUTS[name][1].startswith("csv")
    assert got_rejects(rejects, rows_of, with_mp, csv) == expected_rejects(with_mp)

    result = load_monthly_sales(path)
    n_rows = len(canonical(with_bad_marketplace=with_mp))
    assert result.rows_read == n_rows
    assert result.rows_accepted + len(result.rejects) == n_rows
    assert result.rows_accepted == N_SELLERS * N_MONTHS - 1  # the disagreeing seller-month is dropped


def test_typed_columns_match_the_csv_cell_by_cell(tmp_path):
    """Loaded frames (not only the rule output) agree between the CSV and every typed Parquet variant."""
    frames = {}
    for name in (
        "csv_by_seller",
        "parquet_int_ids",
        "parquet_month_date",
        "parquet_month_timestamp",
        "parquet_all_large_string",
        "parquet_dictionary_ids",
        "parquet_month_mixed_text",
    ):
        path, _ = write_layout(name, tmp_path)
        f = load_monthly_sales(path).frame
        f = f.assign(seller_id=f["seller_id"].astype(str), marketplace=f["marketplace"].astype(str))
        frames[name] = f.sort_values(["seller_id", "marketplace", "month"], ignore_index=True)
    ref = frames.pop("csv_by_seller")
    for name, f in frames.items():
        pd.testing.assert_frame_equal(f, ref, obj=name)


DASK_LAYOUTS = [
    "csv_shuffled",
    "csv_gz",
    "csv_no_marketplace",
    "parquet_month_mixed_text",
    "parquet_all_large_string",
    "parquet_int_ids_no_marketplace_by_month",
    "parquet_folder_of_parts",
]


@pytest.mark.dask
@pytest.mark.parametrize("name", DASK_LAYOUTS)
def test_scheduler_local_takes_every_layout_with_the_same_output_and_rejects(name, reference, tmp_path):
    """``--scheduler local`` loads through the same parser (CSV included) and writes the same rejects file."""
    path, rows_of = write_layout(name, tmp_path)
    with_mp = LAYOUTS[name][2]
    out = tmp_path / "dask.csv"
    assert main(["evaluate", str(path), "--out", str(out), "--scheduler", "local"]) == 0
    assert out.read_bytes() == reference
    rejects = pd.read_csv(tmp_path / "dask.rejects.csv", dtype=str, keep_default_na=False)
    csv = LAYOUTS[name][1].startswith("csv")
    assert got_rejects(rejects, rows_of, with_mp, csv) == expected_rejects(with_mp)


# --- claims: the file's own columns survive loading ------------------------------------------------------------

CLAIMS_ROWS = [  # claim_id, seller_id, filed_date, claim_type, amount, status, category
    ("C1", "1001", "2021-01-05", "property_damage", 500.0, "valid", "Toys"),
    ("C2", "1001", "2021-02-05", "property_damage", 1500.0, "valid", "Toys"),
    ("C3", "1002", "2021-03-05", "personal_injury", 200.0, "valid", " Garden "),
    ("C4", "1003", "2021-04-05", "property_damage", 300.0, "valid", "Garden"),
    ("C5", "1003", "2021-05-05", "property_damage", 2000.0, "valid", "Garden"),
    ("C6", "1004", "2021-06-05", "property_damage", 100.0, "pending", "Toys"),  # not counted (not valid)
    ("C7", "1004", "2021-06-05", "property_damage", -5.0, "valid", "Toys"),  # rejected: amount <= 0
]
CLAIMS_COLUMNS = ["claim_id", "seller_id", "filed_date", "claim_type", "amount", "status", "category"]


@pytest.mark.parametrize("fmt", ["csv", "parquet_dictionary"])
def test_claims_by_a_column_only_the_claims_file_has(fmt, tmp_path):
    """``claims --by category`` groups by the file's own column (no sellers table): counts and sums by hand."""
    df = pd.DataFrame(CLAIMS_ROWS, columns=CLAIMS_COLUMNS)
    if fmt == "csv":
        path = tmp_path / "claims.csv"
        df.to_csv(path, index=False)
    else:
        path = tmp_path / "claims.parquet"
        table = pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(table.set_column(6, "category", table.column("category").dictionary_encode()), path)
    loaded = load_claims(path)
    assert list(loaded.frame["category"]) == ["Toys", "Toys", "Garden", "Garden", "Garden", "Toys"]
    assert loaded.rows_read == 7 and loaded.rows_accepted == 6 and len(loaded.rejects) == 1

    out = tmp_path / "shares.csv"
    assert main(["claims", str(path), "--by", "category", "--out", str(out)]) == 0
    got = pd.read_csv(out).set_index("category")
    # valid claims only, cap 1,000: Garden 200, 300, 2000; Toys 500, 1500
    assert got.loc["Garden", "n_claims"] == 3 and got.loc["Garden", "n_under_cap"] == 2
    assert got.loc["Toys", "n_claims"] == 2 and got.loc["Toys", "n_under_cap"] == 1
    assert got.loc["Garden", "amount_total"] == pytest.approx(2500.0)
    assert got.loc["Garden", "amount_under_cap"] == pytest.approx(500.0)
    assert got.loc["Toys", "amount_total"] == pytest.approx(2000.0)
    assert got.loc["Toys", "amount_under_cap"] == pytest.approx(500.0)


@pytest.mark.parametrize("keep", [2, 0.5])
def test_a_damaged_gzip_is_an_input_error_not_a_traceback(keep, tmp_path, capsys):
    """A .csv.gz cut short (after its magic bytes, or half-way) exits 2 with one ``error:`` line."""
    path, _ = write_layout("csv_gz", tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: keep if isinstance(keep, int) else len(data) // 2])
    assert main(["evaluate", str(path), "--out", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
