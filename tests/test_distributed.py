"""The Dask path gives the pandas path's results, on a LocalCluster with two workers.

Most tests share one in-process LocalCluster (``processes=False``: two workers with one thread each, the same
scheduler, task graph, partitioning and shuffle as with processes, without ~3 s of process start-up per cluster);
``test_real_worker_processes`` runs the split-files case on real worker processes through ``client_for("local")``.
The reference is the pandas function on the same rows (its own semantics are tested in test_rules.py /
test_claims.py) plus hand-worked cases.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from pandas.testing import assert_frame_equal

from seller_insurance import schema
from seller_insurance.analysis import claims as cl
from seller_insurance.analysis import distributed as sd
from seller_insurance.analysis import rules
from seller_insurance.data.synthetic import GeneratorParams, write_dataset
from seller_insurance.errors import RunError
from seller_insurance.policy import NEW_RULE_START

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, memory_limit="1GiB"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A generated partitioned dataset: 3,000 sellers x 36 months in 3 part files (8 marketplaces)."""
    root = tmp_path_factory.mktemp("dask") / "ds"
    params = GeneratorParams(n_sellers=3000, n_months=36, start_month="2019-10", chunk_size=1000, seed=7)
    return write_dataset(root, params, partitioned=True)


@pytest.fixture(scope="module")
def tables(dataset):
    return {
        "sales": schema.read_parquet(dataset / "monthly_sales"),
        "claims": schema.read_parquet(dataset / "claims"),
        "sellers": schema.read_parquet(dataset / "sellers.parquet"),
    }


@pytest.fixture(scope="module")
def split_folder(tables, tmp_path_factory):
    """The same sales rows in 4 files where every seller's rows are spread over several files, rows shuffled."""
    folder = tmp_path_factory.mktemp("split")
    sales = tables["sales"]
    rng = np.random.default_rng(3)
    order = rng.permutation(len(sales))
    file_of = rng.integers(0, 4, len(sales))
    for i in range(4):
        part = sales.iloc[order[file_of[order] == i]]
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / f"part-{i}.parquet")
    return folder


def _spread(folder) -> int:
    """Sellers whose rows sit in more than one file of ``folder``."""
    seen = pd.concat(
        [
            pd.read_parquet(f, columns=["seller_id"]).drop_duplicates().assign(f=f.name)
            for f in sorted(folder.glob("*.parquet"))
        ]
    )
    return int((seen.groupby("seller_id")["f"].nunique() > 1).sum())


# ---------------------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------------------
def test_generated_dataset_is_read_one_partition_per_part_and_matches_pandas(client, dataset, tables):
    ddf = sd.read_sales(dataset)
    assert ddf.npartitions == 3  # trusted layout: no shuffle
    expected = rules.compare_rules(tables["sales"], start=NEW_RULE_START)
    got = sd.compare_rules_dask(dataset, start=NEW_RULE_START)
    assert set(expected["status"]) >= {"already_required", "newly_affected", "accelerated", "unaffected"}
    assert expected["marketplace"].nunique() > 1
    assert_frame_equal(got, expected)  # exact: same rows, order, months and dtypes


def test_sellers_split_across_files_are_repartitioned(client, split_folder, tables):
    assert _spread(split_folder) > 2500  # the layout really splits sellers
    expected = rules.compare_rules(tables["sales"], start=NEW_RULE_START)
    assert_frame_equal(sd.compare_rules_dask(split_folder, start=NEW_RULE_START), expected)
    # asserting a layout that is not there is caught, not answered wrongly
    with pytest.raises(ValueError, match="more than one partition"):
        sd.compare_rules_dask(split_folder, start=NEW_RULE_START, partitioned=True)


def test_hand_worked_seller_whose_months_are_in_different_files(client, tmp_path):
    # A: 2021-01..03 over 10,000 USD, 2021-02 in another file -> old rule 2021-03, new rule 2021-01.
    # B: 2021-01 and 2021-03 over, 2021-02 missing (zero sales) in no file -> old never, new 2021-01.
    # C (CA, threshold 10,000 CAD): exactly 10,000 in 2021-05 -> never (strict "exceeds").
    rows = [
        ("A", "US", "2021-01-01", 10_000.01),
        ("A", "US", "2021-03-01", 20_000.0),
        ("B", "US", "2021-01-01", 12_000.0),
        ("A", "US", "2021-02-01", 15_000.0),
        ("B", "US", "2021-03-01", 12_000.0),
        ("C", "CA", "2021-05-01", 10_000.0),
    ]
    for i, chunk in enumerate((rows[:3], rows[3:])):
        frame = pd.DataFrame(chunk, columns=["seller_id", "marketplace", "month", "gross_sales"])
        frame["month"] = pd.to_datetime(frame["month"])
        frame.to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    got = sd.compare_rules_dask(tmp_path)
    assert list(got["seller_id"]) == ["A", "B", "C"]
    assert list(got["old_trigger"]) == [pd.Timestamp("2021-03-01"), pd.NaT, pd.NaT]
    assert list(got["new_trigger"]) == [pd.Timestamp("2021-01-01"), pd.Timestamp("2021-01-01"), pd.NaT]
    assert list(got["status"]) == ["accelerated", "newly_affected", "unaffected"]
    assert list(got["lead_months"].astype(object)) == [2, pd.NA, pd.NA]
    assert got["new_insurance_due"].iloc[0] == pd.Timestamp("2021-03-02")  # 31 Jan + 30 days


def test_pandas_input_and_every_parameter(client, tables):
    sales = tables["sales"].sample(frac=1.0, random_state=1)  # unsorted, sellers spread over partitions
    kw = dict(
        old_months=2,
        new_months=1,
        threshold={"US": 8000, "UK": 3000},
        inclusive=True,
        start="2021-01",
        end="2022-06",
    )
    expected = rules.compare_rules(sales, **kw)
    assert_frame_equal(sd.compare_rules_dask(sales, **kw), expected)


def test_bad_rows_raise_the_engines_error(client, tables):
    sales = tables["sales"].copy()
    sales.loc[sales.index[10], "gross_sales"] = np.nan
    with pytest.raises(ValueError, match="gross_sales is NaN"):
        sd.compare_rules_dask(sales)
    dup = pd.concat([tables["sales"], tables["sales"].iloc[[5]]])
    with pytest.raises(ValueError, match="duplicated"):
        sd.compare_rules_dask(
            dup
        )  # the copy may land in another input partition: the shuffle brings them together


@pytest.mark.parametrize("by", [None, "category", ["marketplace", "size_band"], "status"])
def test_required_over_time_from_lazy_partitions(client, split_folder, tables, by):
    expected_cmp = rules.compare_rules(tables["sales"], start=NEW_RULE_START)
    expected = rules.required_over_time(expected_cmp, sellers=tables["sellers"], by=by)
    lazy = sd.compare_rules_lazy(split_folder, start=NEW_RULE_START)
    assert lazy.npartitions > 1
    got = sd.required_over_time_dask(lazy, sellers=tables["sellers"], by=by)
    assert_frame_equal(got, expected)
    window = ("2020-06", "2021-12")
    assert_frame_equal(
        sd.required_over_time_dask(lazy, window, sellers=tables["sellers"], by=by),
        rules.required_over_time(expected_cmp, window, sellers=tables["sellers"], by=by),
    )


# ---------------------------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------------------------
EXACT = [
    "n_claims",
    "n_under_cap",
    "count_share",
    "count_share_low",
    "count_share_high",
    "amount_total",
    "amount_under_cap",
    "value_interval",
]


def _check_shares(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    keys = [c for c in expected.columns if c not in cl.SHARE_COLUMNS]
    assert_frame_equal(got[keys + EXACT], expected[keys + EXACT])  # counts, cents, Wilson bounds: exact
    # ratios of sums and delta-method bounds: the same up to summation order
    assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "by",
    [
        None,
        "filed_quarter",
        ["claim_type", "filed_year"],
        "filed_month",
        "category",
        "rule_status",
        ["marketplace", "status"],
    ],
)
def test_claim_shares_match_pandas(client, dataset, tables, by):
    comparison = rules.compare_rules(tables["sales"], start=NEW_RULE_START)
    kw = dict(
        by=by, sellers=tables["sellers"], comparison=comparison, n_boot=300, bootstrap_below=150, seed=4
    )
    if by == ["marketplace", "status"]:
        kw["statuses"] = None
    expected = cl.claim_shares(tables["claims"], **kw)
    got = sd.claim_shares_dask(dataset, **kw)
    _check_shares(got, expected)
    if by is not None:
        assert len(expected) > 1


def test_claim_shares_both_interval_methods_and_missing_keys(client, tables):
    # claims of sellers that are not in the sellers table form a missing-key group (never dropped)
    claims = tables["claims"].sample(frac=1.0, random_state=2).reset_index(drop=True)
    sellers = tables["sellers"][tables["sellers"]["seller_id"] > "S0001500"]
    kw = dict(by="size_band", sellers=sellers, n_boot=200, bootstrap_below=300, seed=9)
    expected = cl.claim_shares(claims, **kw)
    assert expected["size_band"].isna().any()
    assert set(expected["value_interval"]) == {"bootstrap", "delta"}
    import dask.dataframe as dd

    got = sd.claim_shares_dask(dd.from_pandas(claims, npartitions=4, sort=False), **kw)
    _check_shares(got, expected)


def test_delta_interval_from_merged_statistics_hand_case(client):
    # 10 claims in 3 partitions, cap 1,000: x = amounts, y = x if x <= 1000 else 0; R = 4,600 / 10,300
    x = np.array([200.0, 1500.0, 800.0, 1000.0, 3000.0, 400.0, 600.0, 900.0, 1200.0, 700.0])
    y = np.where(x <= 1000.0, x, 0.0)
    r = 4600.0 / 10300.0
    se = np.sqrt(((y - r * x) ** 2).sum() * 10 / 9) / 10300.0  # textbook ratio-estimator variance, one pass
    claims = pd.DataFrame(
        {
            "seller_id": list("abcdefghij"),
            "filed_date": pd.to_datetime(["2022-01-05"] * 10),
            "amount": x,
            "status": "valid",
        }
    )
    import dask.dataframe as dd

    got = sd.claim_shares_dask(dd.from_pandas(claims, npartitions=3, sort=False), bootstrap_below=0)
    assert got["n_claims"].tolist() == [10] and got["n_under_cap"].tolist() == [7]
    assert got["amount_share"].iloc[0] == pytest.approx(r, rel=1e-14)
    assert got["amount_share_low"].iloc[0] == pytest.approx(r - 1.959963984540054 * se, rel=1e-12)
    assert got["amount_share_high"].iloc[0] == pytest.approx(r + 1.959963984540054 * se, rel=1e-12)
    assert 0.0 < got["amount_share_low"].iloc[0] < r < got["amount_share_high"].iloc[0] < 1.0  # not clipped


# ---------------------------------------------------------------------------------------------------------------
# Cluster plumbing
# ---------------------------------------------------------------------------------------------------------------
def test_real_worker_processes(split_folder, tables):
    expected = rules.compare_rules(tables["sales"], start=NEW_RULE_START)
    with sd.client_for("local", memory_limit="1GiB") as c:
        info = c.scheduler_info()["workers"]
        assert len(info) == 2 and all(w["nthreads"] == 1 for w in info.values())
        assert all(w["memory_limit"] == 2**30 for w in info.values())
        pids = set(c.run(lambda: __import__("os").getpid()).values())
        assert len(pids) == 2 and __import__("os").getpid() not in pids  # separate processes
        assert_frame_equal(sd.compare_rules_dask(split_folder, start=NEW_RULE_START), expected)


def test_client_for_plain_pandas_and_unreachable_scheduler():
    with sd.client_for(None) as c:
        assert c is None
    with pytest.raises(RunError, match="cannot reach"), sd.client_for("tcp://127.0.0.1:9", timeout="1s"):
        pass


def test_add_scheduler_argument():
    from seller_insurance.cli.options import add_scheduler_argument

    p = argparse.ArgumentParser()
    add_scheduler_argument(p)
    assert p.parse_args([]).scheduler is None
    assert p.parse_args(["--scheduler", "tcp://h:8786"]).scheduler == "tcp://h:8786"
    assert "'local' for a LocalCluster" in p.format_help().replace("\n", " ").replace("  ", " ")


def test_required_over_time_when_nothing_triggers(client, tables):
    kw = dict(threshold=1e12, start=NEW_RULE_START)
    expected = rules.required_over_time(rules.compare_rules(tables["sales"], **kw), by="marketplace")
    assert len(expected) == 0
    got = sd.required_over_time_dask(sd.compare_rules_lazy(tables["sales"], **kw), by="marketplace")
    assert_frame_equal(got, expected)


def test_compare_arrays_for_the_command_line(client, split_folder, tables):
    expected = rules.compare_arrays(tables["sales"], start=NEW_RULE_START)
    got = sd.compare_arrays_dask(split_folder, start=NEW_RULE_START)
    assert list(got.seller_id) == list(expected.seller_id)
    assert list(got.marketplace) == list(expected.marketplace)
    for name in ("old", "new", "status"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    assert got.status.dtype == expected.status.dtype


def test_delta_from_moments_equals_the_claim_level_function():
    # the claim-level function of intervals.py on random groups vs the moment form, moments merged from 3 parts
    from seller_insurance.analysis.claims.intervals import ratio_delta_interval

    rng = np.random.default_rng(5)
    codes = rng.integers(0, 3, 400)  # groups 0..2 large, 3: one claim, 4: two claims, 5: none, 6: none
    codes[[7, 150, 390]] = [3, 4, 4]
    x = np.round(rng.lognormal(6, 1.2, 400), 2)
    y = np.where(x <= 1000, x, 0.0)
    parts = []
    for rows in np.array_split(np.arange(400), 3):
        frame = pd.DataFrame(
            {
                "code": codes[rows],
                "amount": x[rows],
                "seller_id": "s",
                "filed_date": pd.Timestamp("2022-01-01"),
            }
        )
        stats = sd._claim_stats_part(frame, ["code"], 1000.0, False, None, None, None)
        parts.append(stats)
    merged = sd._merge_stats(pd.concat(parts, ignore_index=True), ["code"]).sort_values("code")
    full = np.zeros((7, 6))
    full[merged["code"].to_numpy()] = merged[["n", "sx", "sy", "cxx", "cxy", "cyy"]].to_numpy()
    got = sd.ratio_delta_from_moments(*full.T[:6], confidence=0.9)
    expected = ratio_delta_interval(codes, y, x, 7, confidence=0.9)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, equal_nan=True)
    assert np.isnan(got[0][5]) and np.isnan(got[1][3])  # empty group: no ratio; one claim: no bounds


def test_lazy_comparison_writes_parquet_from_the_workers(client, split_folder, tables, tmp_path):
    expected = rules.compare_rules(tables["sales"], start=NEW_RULE_START)
    sd.compare_rules_lazy(split_folder, start=NEW_RULE_START).to_parquet(tmp_path / "out", write_index=False)
    back = schema.read_parquet(tmp_path / "out").sort_values(["seller_id", "marketplace"], ignore_index=True)
    for col in back.columns:  # Parquet keeps timestamps in ms
        if back[col].dtype.kind == "M":
            back[col] = back[col].astype("datetime64[s]")
    assert_frame_equal(back, expected)


@pytest.mark.subprocess
def test_command_line_help_does_not_import_dask_or_other_heavy_libraries():
    # pandas comes with the foundation (months, schema); Dask, scikit-learn, matplotlib, papermill and python-pptx
    # are imported only by the command that runs.
    import subprocess
    import sys

    heavy = ("dask", "distributed", "sklearn", "matplotlib", "papermill", "pptx")
    code = (
        "import sys; from seller_insurance.cli import build_parser; build_parser().format_help(); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fsspec_url_and_input_errors(client, dataset, tables, tmp_path):
    from seller_insurance.errors import InputError

    url = f"file://{dataset}"
    assert sd.read_sales(url).npartitions == 3  # the manifest is read through fsspec too: no shuffle
    assert_frame_equal(sd.compare_rules_dask(url), rules.compare_rules(tables["sales"]))
    with pytest.raises(InputError, match="no such file"):
        sd.read_sales(tmp_path / "missing")
    tables["sales"].drop(columns="gross_sales").to_parquet(tmp_path / "x.parquet")
    with pytest.raises(InputError, match="missing column.*gross_sales"):
        sd.read_sales(tmp_path / "x.parquet")


def test_text_months_of_mixed_precision_read_by_the_workers(client, tmp_path):
    """Parquet months written "2020-02-29" and "2021-07" in one text column: read by the workers, the same
    triggers as by hand (A over the threshold 2021-05..07 -> old rule 2021-07, new 2021-05); text that is not an
    ISO date is an InputError, not a worker traceback."""
    rows = {
        "seller_id": ["A", "A", "A", "B"],
        "marketplace": ["US", "US", "US", "US"],
        "month": ["2021-05-31", "2021-06", "2021-07-01", "2020-02-29"],
        "gross_sales": [20_000.0, 20_000.0, 20_000.0, 5.0],
    }
    pq.write_table(pa.table(rows), tmp_path / "mixed.parquet")
    got = sd.compare_rules_dask(tmp_path / "mixed.parquet")
    assert list(got["seller_id"]) == ["A", "B"]
    assert list(got["old_trigger"]) == [pd.Timestamp("2021-07-01"), pd.NaT]
    assert list(got["new_trigger"]) == [pd.Timestamp("2021-05-01"), pd.NaT]

    from seller_insurance.errors import InputError

    rows["month"][1] = "June 2021"
    pq.write_table(pa.table(rows), tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="not an ISO date"):
        sd.compare_rules_dask(tmp_path / "bad.parquet")
