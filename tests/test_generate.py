"""The synthetic data generator: parameters, contract, invariants, determinism, writing, ensure_dataset."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from seller_insurance import policy, schema
from seller_insurance.data.synthetic import (
    GeneratorParams,
    ensure_dataset,
    generate,
    read_manifest,
    write_dataset,
)
from seller_insurance.data.synthetic import model as generate_model
from seller_insurance.data.synthetic.model import generate_chunk, params_scale_model, params_severity_model
from seller_insurance.errors import InputError
from seller_insurance.months import to_month_index

SMALL = GeneratorParams(n_sellers=2_500, n_months=30, start_month="2020-01", chunk_size=1_000, seed=7)


@pytest.fixture(scope="module")
def ds():
    return generate(SMALL)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------------------
# parameters
def test_params_round_trip_and_unknown_keys():
    p = GeneratorParams(n_sellers=10, marketplaces=["us", "CA"], seed=3)
    assert p.marketplaces == ("US", "CA")
    d = json.loads(json.dumps(p.to_dict()))  # through JSON: tuples become lists
    assert GeneratorParams.from_dict(d) == p
    with pytest.raises(ValueError, match="unknown generator parameter.*run_name"):
        GeneratorParams.from_dict({**d, "run_name": "x"})
    assert (
        GeneratorParams.from_mapping({"n_sellers": 10, "run_name": "x", "marketplaces": "US,CA", "seed": 3})
        == p
    )


def test_numbers_from_text_are_coerced_or_rejected():
    assert GeneratorParams(n_sellers="250", seed=3.0, rejected_share="0.1") == GeneratorParams(
        n_sellers=250, seed=3, rejected_share=0.1
    )
    with pytest.raises(ValueError, match="n_months: expected int, got 2.5"):
        GeneratorParams(n_months=2.5)
    with pytest.raises(ValueError, match="n_sellers: expected int"):
        GeneratorParams(n_sellers="many")


def test_marketplace_shares_are_the_chosen_sites_renormalised():
    p = GeneratorParams(marketplaces=("US", "CA"))
    us, ca = dict(p.marketplace_weights)["US"], dict(p.marketplace_weights)["CA"]
    assert p.marketplace_shares() == pytest.approx({"US": us / (us + ca), "CA": ca / (us + ca)})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"marketplaces": ("US", "XX")}, "unknown site 'XX'"),
        ({"n_sellers": 0}, "n_sellers"),
        ({"start_month": "2021-13"}, "YYYY-MM"),
        ({"share_above_500k": 0.2}, "share_above_500k"),
        ({"month_profile": (0.1,) * 12}, "month_profile"),
        ({"rejected_share": 1.5}, "rejected_share"),
    ],
)
def test_params_validation(changes, message):
    with pytest.raises(ValueError, match=message):
        GeneratorParams(**changes)


def test_default_name_depends_on_every_parameter():
    a, b = GeneratorParams(), GeneratorParams(rejected_share=0.2)
    assert a.default_name().startswith("s100000-m72-2019-01-seed20210901-")
    assert a.default_name() != b.default_name()


# ------------------------------------------------------------------------------------------------------------
# the models behind the draws, checked against independent calculations
def test_scale_model_hits_band_shares_and_mean():
    p = GeneratorParams()
    sm = params_scale_model(p)
    u = (np.arange(200_000) + 0.5) / 200_000
    x = sm.ppf(u)
    assert np.all(np.diff(x) >= 0)  # an inverse CDF is non-decreasing
    assert (x >= 100_000).mean() == pytest.approx(p.share_above_100k, abs=1e-4)
    assert (x >= 500_000).mean() == pytest.approx(p.share_above_500k, abs=1e-4)
    assert x.max() <= p.max_annual_sales_usd
    # mean = integral of the inverse CDF over (0, 1), integrated band by band (numerically, not the closed
    # form)
    edges = [0, sm.p_body, sm.p_body + sm.p_mid, 1]
    mean = sum(
        integrate.quad(lambda v: float(sm.ppf(np.array([v]))[0]), a, b, limit=500)[0]
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    )
    assert mean == pytest.approx(p.mean_annual_sales_usd, rel=1e-3)


def test_severity_model_share_under_cap_by_monte_carlo():
    p = GeneratorParams()
    sev = params_severity_model(p)
    assert sev.cdf(policy.CLAIM_CAP_USD) == pytest.approx(p.claim_share_le_cap, abs=1e-12)
    rng = np.random.default_rng(0)
    x = sev.sample(rng.random(400_000), rng.random(400_000))
    assert (x <= 1_000).mean() == pytest.approx(0.82, abs=0.003)
    assert x.max() <= policy.CLAIM_MAX_USD and x.min() >= 0.01
    # tail: P(X > 100k) from the Lomax formula, by hand: w * ((1 + x/s)^-a - (1 + C/s)^-a) / (1 - (1 +
    # C/s)^-a)
    w, s, a, c = sev.tail_weight, p.claim_tail_scale_usd, p.claim_tail_alpha, p.claim_max_usd
    expected = w * ((1 + 1e5 / s) ** -a - (1 + c / s) ** -a) / (1 - (1 + c / s) ** -a)
    assert (x > 1e5).mean() == pytest.approx(expected, rel=0.15)


def test_profiles_mix_back_to_the_aggregate_profile():
    p = GeneratorParams()
    prof = generate_model.seller_profiles(p)
    assert np.allclose(prof.sum(axis=1), 1)
    mix = (1 - p.holiday_share) * prof[0] + p.holiday_share * prof[1]
    assert np.allclose(mix, p.month_profile)
    assert prof[0].argmax() == 11  # regular sellers peak in December too


# ------------------------------------------------------------------------------------------------------------
# data contract
@pytest.mark.parametrize("table", ["sellers", "monthly_sales", "claims"])
def test_columns_follow_schema(ds, table):
    df = getattr(ds, table)
    assert list(df.columns) == schema.column_names(table)
    for col in schema.TABLES[table]:
        dtype = df[col.name].dtype
        if col.dtype in ("month", "date"):
            assert pd.api.types.is_datetime64_dtype(dtype), col.name
        elif col.dtype == "money":
            assert dtype == np.float64
        elif col.dtype == "int":
            assert dtype == np.int64
        else:
            assert pd.api.types.is_string_dtype(dtype), col.name


def test_on_disk_types(tmp_path):
    import pyarrow.parquet as pq

    out = write_dataset(tmp_path / "d", SMALL.replace(n_sellers=50))
    assert pq.read_schema(out / "monthly_sales.parquet").field("month").type == "date32[day]"
    assert pq.read_schema(out / "claims.parquet").field("filed_date").type == "date32[day]"
    assert str(pq.read_schema(out / "sellers.parquet").field("seller_id").type) == "string"


def test_sellers(ds):
    s = ds.sellers
    assert len(s) == SMALL.n_sellers
    assert s["seller_id"].tolist() == [f"S{i:07d}" for i in range(1, SMALL.n_sellers + 1)]
    assert set(s["marketplace"]) <= set(SMALL.marketplaces) and set(s["marketplace"]) >= {"US", "UK", "DE"}
    assert set(s["category"]) == {c[0] for c in SMALL.categories}
    assert set(s["fulfilment_channel"]) == {"FBA", "FBM"}
    assert set(s["size_band"]) <= set(schema.SIZE_BAND_LABELS)
    assert (s["launch_month"].dt.day == 1).all()
    churned = s["churn_month"].notna()
    assert (s.loc[churned, "churn_month"] > s.loc[churned, "launch_month"]).all()
    assert (s.loc[churned, "churn_month"] <= pd.Timestamp("2022-06-01")).all()  # last month of the window
    # some sellers launch before the window, some during it, some churn, some stay
    assert (s["launch_month"] < pd.Timestamp("2020-01-01")).any() and (s["launch_month"] > "2020-06-01").any()
    assert 0 < churned.mean() < 1


def test_seller_id_width_grows_beyond_ten_million():
    assert generate_model.seller_id_width(9_999_999) == 7
    assert generate_model.seller_id_width(12_000_000) == 8


def test_monthly_sales_rows(ds):
    ms, s = ds.monthly_sales, ds.sellers
    key = ["seller_id", "marketplace", "month"]
    assert not ms.duplicated(key).any()
    assert ms[key].equals(ms.sort_values(key, kind="stable")[key].reset_index(drop=True))
    assert (ms["month"].dt.day == 1).all()
    assert ms["month"].min() >= pd.Timestamp("2020-01-01") and ms["month"].max() <= pd.Timestamp("2022-06-01")
    assert (ms["gross_sales"] > 0).all()
    assert np.allclose(ms["gross_sales"] * 100, np.round(ms["gross_sales"] * 100), atol=1e-6)  # cents
    assert ((ms["orders"] >= 1) & (ms["units"] >= ms["orders"])).all()
    # currency is the site's currency; the marketplace is the seller's
    assert (ms["currency"] == ms["marketplace"].map(dict(policy.SITE_CURRENCY))).all()
    merged = ms.merge(s, on="seller_id", suffixes=("", "_seller"))
    assert len(merged) == len(ms) and (merged["marketplace"] == merged["marketplace_seller"]).all()
    # no row before launch or at/after churn
    assert (merged["month"] >= merged["launch_month"]).all()
    assert (merged["churn_month"].isna() | (merged["month"] < merged["churn_month"])).all()


def test_some_active_months_have_no_row(ds):
    ms, s = ds.monthly_sales, ds.sellers
    lo, hi = to_month_index(pd.Series([pd.Timestamp("2020-01-01")]))[0], SMALL.end_index
    launch = np.maximum(to_month_index(s["launch_month"]), lo)
    churn = np.where(
        s["churn_month"].isna(), hi + 1, to_month_index(s["churn_month"].fillna(pd.Timestamp(0)))
    )
    active_months = np.clip(churn - launch, 0, None).sum()
    assert len(ms) < active_months  # gaps (zero-sales months) exist ...
    assert len(ms) > 0.5 * active_months  # ... but most active months sell


def test_claims(ds):
    c, ms = ds.claims, ds.monthly_sales
    assert c["claim_id"].is_unique and c["claim_id"].str.fullmatch(r"C\d{10}").all()
    assert c["claim_id"].tolist() == sorted(c["claim_id"])
    assert set(c["claim_type"]) == set(policy.CLAIM_TYPES)
    assert set(c["status"]) == set(policy.CLAIM_STATUSES)
    assert (c["amount"] > 0).all() and (c["amount"] <= policy.CLAIM_MAX_USD).all()
    # every claim is about a month in which the seller sold, on the seller's site
    c_month = c["filed_date"].dt.to_period("M").dt.to_timestamp()
    sold = ms.set_index(["seller_id", "month"])["marketplace"]
    site = sold.reindex(pd.MultiIndex.from_arrays([c["seller_id"], c_month])).to_numpy()
    assert (site == c["marketplace"].to_numpy()).all()


def test_claim_frequency_grows_with_units_and_category_risk():
    p = GeneratorParams(n_sellers=20_000, n_months=24, start_month="2021-01", seed=11)
    d = generate(p)
    units = d.monthly_sales.groupby("seller_id")["units"].sum()
    n = d.claims.groupby("seller_id").size().reindex(units.index, fill_value=0)
    cat = d.sellers.set_index("seller_id")["category"].reindex(units.index)
    per_unit = n.groupby(cat).sum() / units.groupby(cat).sum()
    risk = {c[0]: c[2] for c in p.categories}
    # claims per unit / (rate x risk) ~ 1 for every category with enough claims
    ratio = per_unit / (p.claim_rate_per_unit * per_unit.index.map(risk).to_numpy())
    counts = n.groupby(cat).sum()
    assert ratio[counts > 400].between(0.85, 1.15).all(), ratio
    assert per_unit["books_media"] < per_unit["electronics"]


def test_both_rules_matter_on_the_us_site():
    """Reference: a plain loop over US sellers' monthly totals (calendar months, a gap is zero sales)."""
    p = GeneratorParams(n_sellers=3_000, n_months=36, start_month="2019-10", seed=5)
    ms = generate(p).monthly_sales
    us = ms[ms["marketplace"] == "US"]
    single_only = dec_only = 0
    for _, g in us.groupby("seller_id"):
        months = to_month_index(g["month"])
        over = set(months[g["gross_sales"].to_numpy() > policy.DEFAULT_THRESHOLDS["US"]].tolist())
        if not over:
            continue
        three = any(m + 1 in over and m + 2 in over for m in over)
        single_only += not three
        dec_only += all(m % 12 == 11 for m in over)
    assert single_only >= 20  # caught by the one-month rule, never by the three-month rule
    assert dec_only >= 5  # e.g. holiday sellers over $10k only in December


# ------------------------------------------------------------------------------------------------------------
# determinism, chunks, writing
def test_same_params_same_data_and_seed_matters(ds):
    again = generate(SMALL)
    for t in ("sellers", "monthly_sales", "claims"):
        pd.testing.assert_frame_equal(getattr(ds, t), getattr(again, t))
    other = generate(SMALL.replace(seed=8))
    assert not other.monthly_sales["gross_sales"].equals(ds.monthly_sales["gross_sales"])


def test_output_does_not_depend_on_worker_threads(tmp_path):
    a = write_dataset(tmp_path / "one", SMALL, workers=1)
    b = write_dataset(tmp_path / "three", SMALL, workers=3, progress=True)
    for name in ("sellers.parquet", "monthly_sales.parquet", "claims.parquet", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_chunk_alone_equals_its_slice_of_the_whole(ds):
    """What a separate process would make for chunk 1 is exactly rows of sellers 1001-2000 of the full run."""
    chunk = generate_chunk(SMALL, 1)
    ids = set(chunk.sellers.column("seller_id").to_pylist())
    assert ids == {f"S{i:07d}" for i in range(1_001, 2_001)}
    part = ds.monthly_sales[ds.monthly_sales["seller_id"].isin(ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(chunk.monthly_sales.to_pandas(date_as_object=False), part)
    claims = ds.claims[ds.claims["seller_id"].isin(ids)].reset_index(drop=True)
    alone = chunk.claims.to_pandas(date_as_object=False)
    pd.testing.assert_frame_equal(alone.drop(columns="claim_id"), claims.drop(columns="claim_id"))


def test_write_is_byte_identical_and_matches_memory(tmp_path, ds):
    a = write_dataset(tmp_path / "a", SMALL, progress=True)
    b = write_dataset(tmp_path / "b", SMALL)
    for name in ("sellers.parquet", "monthly_sales.parquet", "claims.parquet", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for t in ("sellers", "monthly_sales", "claims"):
        pd.testing.assert_frame_equal(schema.read_parquet(a / f"{t}.parquet"), getattr(ds, t))
    manifest = read_manifest(a)
    assert manifest["params"] == SMALL.to_dict() and manifest["seed"] == 7
    assert manifest["row_counts"] == {t: len(getattr(ds, t)) for t in ("sellers", "monthly_sales", "claims")}
    for rel, info in manifest["files"].items():
        assert info["sha256"] == _sha(a / rel)
    assert "created" not in json.dumps(manifest)  # nothing wall-clock in what must be byte-identical


def test_partitioned_keeps_each_seller_in_one_part(tmp_path, ds):
    out = write_dataset(tmp_path / "p", SMALL, partitioned=True)
    parts = sorted((out / "monthly_sales").glob("part-*.parquet"))
    assert [x.name for x in parts] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    seen: dict[str, str] = {}
    for part in parts:
        for sid in schema.read_parquet(part)["seller_id"].unique():
            assert sid not in seen
            seen[sid] = part.name
    for part in sorted((out / "claims").glob("part-*.parquet")):
        assert all(seen[sid] == part.name for sid in schema.read_parquet(part)["seller_id"].unique())
    # the folder reads back as the same table
    pd.testing.assert_frame_equal(schema.read_parquet(out / "monthly_sales"), ds.monthly_sales)
    pd.testing.assert_frame_equal(schema.read_parquet(out / "claims"), ds.claims)
    manifest = read_manifest(out)
    assert manifest["partitioned"] and "monthly_sales/part-00002.parquet" in manifest["files"]


def test_write_is_atomic_on_failure(tmp_path, monkeypatch):
    import seller_insurance.data.synthetic.writer as gen

    real = gen.generate_chunk

    def failing(p, k, claim_offset=0):
        if k == 1:
            raise RuntimeError("boom")
        return real(p, k, claim_offset=claim_offset)

    monkeypatch.setattr(gen, "generate_chunk", failing)
    with pytest.raises(RuntimeError, match="boom"):
        write_dataset(tmp_path / "x", SMALL)
    assert list(tmp_path.iterdir()) == []  # neither the dataset nor a temporary folder is left


def test_write_refuses_existing_folder(tmp_path):
    p = SMALL.replace(n_sellers=20)
    write_dataset(tmp_path / "d", p)
    with pytest.raises(FileExistsError):
        write_dataset(tmp_path / "d", p)
    write_dataset(tmp_path / "d", p.replace(seed=1), overwrite=True)
    assert read_manifest(tmp_path / "d")["seed"] == 1
    assert sorted(x.name for x in tmp_path.iterdir()) == ["d"]


def test_ensure_dataset_reuses_refuses_and_forces(tmp_path):
    p = SMALL.replace(n_sellers=30)
    path = ensure_dataset(p, "d", root=tmp_path)
    stamp = (path / "monthly_sales.parquet").stat().st_mtime_ns
    assert ensure_dataset(p, "d", root=tmp_path) == path
    assert (path / "monthly_sales.parquet").stat().st_mtime_ns == stamp  # reused, not rewritten
    with pytest.raises(InputError, match=r"different parameters \(seed\)"):
        ensure_dataset(p.replace(seed=99), "d", root=tmp_path)
    with pytest.raises(InputError, match="partitioned"):
        ensure_dataset(p, "d", root=tmp_path, partitioned=True)
    ensure_dataset(p.replace(seed=99), "d", root=tmp_path, force=True)
    assert read_manifest(path)["seed"] == 99
    auto = ensure_dataset(p, root=tmp_path)
    assert auto.name == p.default_name()
    (tmp_path / "junk").mkdir()
    with pytest.raises(InputError, match="no manifest.json"):
        ensure_dataset(p, "junk", root=tmp_path)


def test_generated_scale_has_no_nan(ds):
    assert not ds.monthly_sales.isna().any().any()
    assert not ds.claims.isna().any().any()
    assert math.isfinite(ds.monthly_sales["gross_sales"].sum())


def test_every_parameter_is_documented():
    from seller_insurance.paths import DOCS_DIR

    text = (DOCS_DIR / "generator.md").read_text()
    missing = [name for name in GeneratorParams.field_names() if f"| `{name}` |" not in text]
    assert not missing, f"docs/generator.md has no row for {missing}"


def test_ensure_dataset_when_another_process_finishes_first(tmp_path, monkeypatch):
    """Two runs generating the same dataset at once: the loser reuses the winner's folder."""
    import seller_insurance.data.synthetic.writer as gen

    p = SMALL.replace(n_sellers=40)
    real = gen._write_all

    def racing(root, params, progress, partitioned, workers):
        written = real(root, params, progress, partitioned, workers)
        monkeypatch.setattr(gen, "_write_all", real)
        write_dataset(tmp_path / "d", params)  # the other process renames its folder into place first
        return written

    monkeypatch.setattr(gen, "_write_all", racing)
    assert ensure_dataset(p, "d", root=tmp_path) == tmp_path / "d"
    assert read_manifest(tmp_path / "d")["params"] == p.to_dict()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["d"]  # no temporary folder left behind
    with pytest.raises(InputError, match="different parameters"):
        ensure_dataset(p.replace(seed=1), "d", root=tmp_path)
