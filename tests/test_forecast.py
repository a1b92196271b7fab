"""Tests of the first-trigger forecast (issue 9): hand-made histories, a no-leakage property, end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seller_insurance.analysis import forecast as fc
from seller_insurance.errors import InputError
from seller_insurance.months import NO_MONTH, parse_month
from seller_insurance.paths import SAMPLE_DATA_DIR


def _month(text: str) -> pd.Timestamp:
    return pd.Timestamp(text + "-01")


def _sales(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seller_id": [r[0] for r in rows],
            "marketplace": [r[1] for r in rows],
            "month": pd.to_datetime([r[2] + "-01" for r in rows]),
            "gross_sales": [float(r[3]) for r in rows],
        }
    )


def _sellers(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seller_id": [r[0] for r in rows],
            "marketplace": [r[1] for r in rows],
            "category": [r[3] for r in rows],
            "launch_month": pd.to_datetime([r[2] + "-01" for r in rows]),
            "fulfilment_channel": ["FBA"] * len(rows),
        }
    )


# A small hand-made world. US threshold 10,000 USD, UK 4,000 GBP (policy.DEFAULT_THRESHOLDS).
#   A (US): 5k every month 2022-01..2022-12, 12k in 2022-09          -> first trigger 2022-09
#   B (US): 9k 2022-01..06, exactly 10,000.00 in 2022-07 (not > 10k), 10,000.01 in 2022-11 -> first 2022-11
#   C (UK): 4,100 in 2022-03                                           -> first trigger 2022-03 (UK threshold)
#   D (US): launched 2022-05, 1k a month, never triggers
#   E (US): launched 2022-08 (after the cut-off 2022-06 used below), 20k in 2022-08
SMALL_SALES = _sales(
    [("A", "US", f"2022-{m:02d}", 12_000 if m == 9 else 5_000) for m in range(1, 13)]
    + [("B", "US", f"2022-{m:02d}", 9_000) for m in range(1, 7)]
    + [("B", "US", "2022-07", 10_000.00), ("B", "US", "2022-11", 10_000.01)]
    + [("C", "UK", "2022-01", 1_000), ("C", "UK", "2022-03", 4_100)]
    + [("D", "US", f"2022-{m:02d}", 1_000) for m in range(5, 13)]
    + [("E", "US", "2022-08", 20_000)]
)
SMALL_SELLERS = _sellers(
    [
        ("A", "US", "2022-01", "toys"),
        ("B", "US", "2022-01", "home"),
        ("C", "UK", "2022-01", "toys"),
        ("D", "US", "2022-05", "home"),
        ("E", "US", "2022-08", "toys"),
    ]
)


def test_labels_by_hand():
    p = fc.ForecastParams(horizon=3)
    X = fc.build_features(SMALL_SALES, SMALL_SELLERS, "2022-06", p)
    # C triggered in 2022-03 (required at the cut-off) and E has not launched: both excluded.
    assert list(X.index) == [("A", "US"), ("B", "US"), ("D", "US")]
    y = fc.build_labels(SMALL_SALES, X.index, "2022-06", p, sellers=SMALL_SELLERS)
    # Horizon 2022-07..2022-09: A triggers in 2022-09 (yes); B's 10,000.00 in 07 does not exceed, 11 is too late.
    assert y.to_dict() == {("A", "US"): 1, ("B", "US"): 0, ("D", "US"): 0}
    # Inclusive rule: B reaches 10,000 in 2022-07, so B is positive too.
    pi = fc.ForecastParams(horizon=3, inclusive=True)
    yi = fc.build_labels(SMALL_SALES, X.index, "2022-06", pi, sellers=SMALL_SELLERS)
    assert yi.to_dict() == {("A", "US"): 1, ("B", "US"): 1, ("D", "US"): 0}
    # Horizon 1 from 2022-08: only A (2022-09); B's first trigger 2022-11 is outside.
    p1 = fc.ForecastParams(horizon=1)
    X8 = fc.build_features(SMALL_SALES, SMALL_SELLERS, "2022-08", p1)
    assert list(X8.index) == [
        ("A", "US"),
        ("B", "US"),
        ("D", "US"),
    ]  # E triggered in its launch month 2022-08
    assert fc.build_labels(SMALL_SALES, X8.index, "2022-08", p1, sellers=SMALL_SELLERS).tolist() == [1, 0, 0]


def test_threshold_override():
    # One number applies to every site. At 8,500 B's 9,000 in 2022-01 already exceeds (B drops out), and C's
    # 4,100 (UK) no longer does (C stays in).
    p = fc.ForecastParams(horizon=3, threshold=8_500.0)
    X = fc.build_features(SMALL_SALES, SMALL_SELLERS, "2022-06", p)
    assert list(X.index) == [("A", "US"), ("C", "UK"), ("D", "US")]
    assert X.loc[("A", "US"), "mean_1"] == pytest.approx(5_000 / 8_500)
    # A mapping overrides the named site only: UK at 5,000 means C's 4,100 no longer triggers.
    pm = fc.ForecastParams(horizon=3, threshold={"UK": 5_000.0})
    assert ("C", "UK") in fc.build_features(SMALL_SALES, SMALL_SELLERS, "2022-06", pm).index


def test_too_little_history_is_a_clear_error():
    with pytest.raises(InputError, match="not enough months of sales data"):
        fc.evaluate_by_time(SMALL_SALES, SMALL_SELLERS, fc.ForecastParams())


def test_labels_need_the_whole_horizon():
    X = fc.build_features(SMALL_SALES, SMALL_SELLERS, "2022-10", fc.ForecastParams(horizon=3))
    with pytest.raises(ValueError, match="after the last month of data"):
        fc.build_labels(SMALL_SALES, X.index, "2022-10", fc.ForecastParams(horizon=3), sellers=SMALL_SELLERS)


def test_features_by_hand():
    X = fc.build_features(SMALL_SALES, SMALL_SELLERS, "2022-06", fc.ForecastParams(windows=(1, 3, 6, 12)))
    b = X.loc[("B", "US")]
    assert b["mean_1"] == pytest.approx(0.9)  # 9,000 / 10,000
    assert b["gap_to_threshold"] == pytest.approx(0.1)
    assert b["mean_3"] == pytest.approx(0.9)
    assert b["max_12"] == pytest.approx(0.9)
    assert b["mean_12"] == pytest.approx(0.9)  # mean over the 6 active months only (launched 2022-01)
    assert b["growth_3"] == pytest.approx(0.0)  # 04..06 vs 01..03, both 0.9
    assert b["growth_6"] == pytest.approx(np.log(0.91 / 0.01))  # 01..06 vs 2021-07..12 (before launch: 0)
    assert b["months_since_launch"] == 5
    assert b["near_miss_12"] == 6  # six months above 80% of the threshold
    assert b["zero_months_12"] == 0
    assert X.loc[("B", "US"), "calendar_month"] == 6
    d = X.loc[("D", "US")]  # launched 2022-05: two months of 1,000
    assert d["mean_3"] == pytest.approx(0.1)  # (0.1 + 0.1) / 2 active months
    assert d["max_so_far"] == pytest.approx(0.1)
    assert d["months_since_launch"] == 1
    assert d["volatility_12"] == pytest.approx(0.0)
    a = X.loc[("A", "US")]
    # Last year's horizon months (2021-07..09) predate A's launch: zero.
    assert a["last_year_horizon_max"] == 0.0
    assert a["category"] == "toys" and a["marketplace"] == "US"
    assert str(X["calendar_month"].dtype) == "category"


def test_zero_months_and_last_sale():
    sales = _sales(
        [("Z", "US", "2022-01", 3_000), ("Z", "US", "2022-02", 5_000), ("Z", "US", "2022-05", 1_000)]
    )
    sellers = _sellers([("Z", "US", "2022-01", "toys")])
    X = fc.build_features(
        sales, sellers, "2022-07", fc.ForecastParams(windows=(1, 3, 6), last_month="2022-07")
    )
    z = X.iloc[0]
    # Active months 2022-01..07 inside the 6-month window 02..07: zeros in 03, 04, 06, 07.
    assert z["zero_months_6"] == 4
    assert z["months_since_last_sale"] == 2  # last sale 2022-05
    assert z["mean_6"] == pytest.approx((0.5 + 0.1) / 6)
    assert z["max_so_far"] == pytest.approx(0.5)
    assert z["growth_3"] == pytest.approx(np.log((0.1 / 3 + 0.01) / (0.5 / 3 + 0.01)))  # 05..07 vs 02..04


def _reference_first_trigger(sales: pd.DataFrame, thresholds: dict[str, float], inclusive: bool) -> dict:
    out = {}
    for row in sales.sort_values("month").itertuples():
        thr = thresholds[row.marketplace]
        over = row.gross_sales >= thr if inclusive else row.gross_sales > thr
        key = (row.seller_id, row.marketplace)
        if over and key not in out:
            out[key] = parse_month(row.month.strftime("%Y-%m"))
    return out


def _random_world(rng: np.random.Generator, n: int = 12, months: int = 18):
    start = parse_month("2021-01")
    sellers, rows = [], []
    for i in range(n):
        mp = ["US", "UK", "DE"][i % 3]
        thr = {"US": 10_000.0, "UK": 4_000.0, "DE": 5_000.0}[mp]
        launch = int(rng.integers(0, months - 2))
        sellers.append(
            (f"s{i}", mp, f"{2021 + (launch // 12)}-{launch % 12 + 1:02d}", ["toys", "home"][i % 2])
        )
        for m in range(launch, months):
            if rng.random() < 0.8:
                mi = start + m
                rows.append(
                    (
                        f"s{i}",
                        mp,
                        f"{mi // 12 + 1970}-{mi % 12 + 1:02d}",
                        round(float(rng.uniform(0, 1.2) * thr), 2),
                    )
                )
    return _sales(rows), _sellers(sellers)


@given(seed=st.integers(0, 10_000), cut=st.integers(0, 17), extra=st.booleans())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_leakage(seed, cut, extra):
    """Features at t are identical when every month after t is altered (values, new rows) or removed."""
    rng = np.random.default_rng(seed)
    sales, sellers = _random_world(rng)
    t = pd.Timestamp("2021-01-01") + pd.DateOffset(months=cut)
    t_text = t.strftime("%Y-%m")
    p = fc.ForecastParams(horizon=2, windows=(1, 2, 3, 6))
    launched = sellers["launch_month"] <= t
    if not launched.any():
        return
    base = fc.build_features(sales, sellers, t_text, p)

    # 1. Remove every month after t (the data then ends at t).
    cut_sales = sales[sales["month"] <= t].reset_index(drop=True)
    removed = fc.build_features(
        cut_sales, sellers, t_text, fc.ForecastParams(horizon=2, windows=(1, 2, 3, 6), last_month=t_text)
    )
    pd.testing.assert_frame_equal(base, removed)

    # 2. Alter every later month: new random values (often over the threshold) and, optionally, extra later rows.
    later = sales["month"] > t
    altered = sales.copy()
    altered.loc[later, "gross_sales"] = np.round(rng.uniform(0, 50_000, int(later.sum())), 2)
    if extra:
        more = sellers[["seller_id", "marketplace"]].assign(
            month=t + pd.DateOffset(months=30), gross_sales=1e9
        )
        altered = pd.concat([altered, more], ignore_index=True)
    pd.testing.assert_frame_equal(base, fc.build_features(altered, sellers, t_text, p))


@given(seed=st.integers(0, 10_000), inclusive=st.booleans())
@settings(max_examples=20, deadline=None)
def test_first_trigger_matches_reference(seed, inclusive):
    sales, sellers = _random_world(np.random.default_rng(seed))
    p = fc.ForecastParams(inclusive=inclusive)
    hist = fc._prepare(sales, sellers, p)
    ref = _reference_first_trigger(sales, {"US": 10_000.0, "UK": 4_000.0, "DE": 5_000.0}, inclusive)
    got = {
        (s, m): int(t)
        for s, m, t in zip(
            hist.keys["seller_id"], hist.keys["marketplace"].astype(str), hist.trigger, strict=True
        )
        if t != NO_MONTH
    }
    assert got == ref


def test_matrix_trigger_matches_rules_engine():
    rules = pytest.importorskip(
        "seller_insurance.analysis.rules", reason="rules.py (rule engine) not written yet"
    )
    sales, sellers = _random_world(np.random.default_rng(7), n=30)
    trig = rules.trigger_months(sales, months=1)
    got = {(r.seller_id, r.marketplace): r.trigger for r in trig.itertuples() if pd.notna(r.trigger)}
    ref = _reference_first_trigger(sales, {"US": 10_000.0, "UK": 4_000.0, "DE": 5_000.0}, False)
    assert {k: parse_month(v.strftime("%Y-%m")) for k, v in got.items()} == ref


def test_bad_input_names_row_and_column():
    bad = pd.concat([SMALL_SALES, _sales([("nobody", "US", "2022-01", 1.0)])], ignore_index=True)
    with pytest.raises(InputError, match="not in the sellers table") as e:
        fc.build_features(bad, SMALL_SELLERS, "2022-06")
    assert e.value.row == len(SMALL_SALES) and e.value.column == "seller_id"
    dup = pd.concat([SMALL_SALES, SMALL_SALES.iloc[[3]]], ignore_index=True)
    with pytest.raises(InputError, match="duplicate row") as e:
        fc.build_features(dup, SMALL_SELLERS, "2022-06")
    assert e.value.row == len(SMALL_SALES)
    neg = SMALL_SALES.copy()
    neg.loc[5, "gross_sales"] = -1.0
    with pytest.raises(InputError, match="gross_sales") as e:
        fc.build_features(neg, SMALL_SELLERS, "2022-06")
    assert e.value.row == 5
    with pytest.raises(InputError, match="launch_month"):
        fc.build_features(SMALL_SALES, SMALL_SELLERS.drop(columns="launch_month"), "2022-06")


def test_precision_at_k_by_hand():
    y = np.array([1, 0, 1, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.05])
    assert fc.precision_at_k(y, s, 1) == 1.0
    assert fc.precision_at_k(y, s, 2) == 0.5
    assert fc.precision_at_k(y, s, 3) == pytest.approx(2 / 3)
    assert fc.precision_at_k(y, s, 100) == pytest.approx(0.5)


def test_baseline_ranks_by_last_month_share():
    X = pd.DataFrame({"mean_1": [0.1, 0.9, 0.5, 0.95], "other": [0, 0, 0, 0]})
    y = np.array([0, 1, 0, 1])
    model = fc.model_pipelines(0)["baseline"].fit(X, y)
    p = model.predict_proba(X)[:, 1]
    assert list(np.argsort(-p)) == [3, 1, 2, 0]
    assert ((p >= 0) & (p <= 1)).all()


# --- End to end ------------------------------------------------------------------------------------------------


def _synthetic(n: int = 400, months: int = 36, seed: int = 3):
    """Small seeded world: log-normal size, drift and noise; some sellers grow through the US$10k threshold."""
    rng = np.random.default_rng(seed)
    month_list = pd.date_range("2020-01-01", periods=months, freq="MS")
    launch = rng.integers(0, months - 6, n)
    scale = np.exp(rng.normal(np.log(0.3), 0.8, n)) * 10_000
    growth = rng.normal(0.02, 0.03, n)
    t = np.arange(months)
    age = t[None, :] - launch[:, None]
    level = (
        scale[:, None]
        * np.exp(growth[:, None] * np.maximum(age, 0))
        * np.exp(rng.normal(0, 0.3, (n, months)))
    )
    level = np.where(age >= 0, np.round(level, 2), 0.0)
    r, c = np.nonzero(level)
    ids = np.array([f"=cmd{i}" if i == 0 else f"S{i:04d}" for i in range(n)])
    sales = pd.DataFrame(
        {"seller_id": ids[r], "marketplace": "US", "month": month_list[c], "gross_sales": level[r, c]}
    )
    sellers = pd.DataFrame(
        {
            "seller_id": ids,
            "marketplace": "US",
            "category": rng.choice(["toys", "home"], n),
            "launch_month": month_list[launch],
            "fulfilment_channel": rng.choice(["FBA", "FBM"], n),
        }
    )
    return sales, sellers


def test_end_to_end_synthetic(tmp_path):
    sales, sellers = _synthetic()
    p = fc.ForecastParams(n_test_cutoffs=3, n_train_cutoffs=6, top_k=10)
    res = fc.evaluate_by_time(sales, sellers, p)
    assert list(res.metrics.index) == ["baseline", "logistic", "gradient_boosting"]
    assert res.test_cutoffs == ["2022-07", "2022-08", "2022-09"]  # last labelled cut-off 2022-12 - 3 months
    assert res.train_cutoffs[-1] == "2022-04"  # first test cut-off minus the horizon: labels known by then
    m = res.metrics
    assert ((m["roc_auc"] > 0.5) & (m["roc_auc"] <= 1)).all()
    assert (m["brier"] >= 0).all()
    assert m["n_positive"].iloc[0] == res.predictions["label"].sum()
    # Pooled metrics recomputed independently from the stored predictions.
    from sklearn.metrics import roc_auc_score

    for name in m.index:
        assert m.loc[name, "roc_auc"] == pytest.approx(
            roc_auc_score(res.predictions["label"], res.predictions[name])
        )
    assert (res.calibration.groupby("model")["count"].sum() == len(res.predictions)).all()

    # The precision curve (a separate code path) agrees with the per-month precision@k at k = top_k.
    curve = fc.precision_curve(res)
    for name in m.index:
        assert curve.loc[p.top_k - 1, name] == pytest.approx(m.loc[name, "precision_at_k"])

    # One segment holding every row reproduces the pooled metrics; two segments split the rows.
    seg = fc.metrics_by_segment(res, np.ones(len(res.predictions), dtype=bool)).set_index("model")
    for col in ("roc_auc", "average_precision", "precision_at_k"):
        np.testing.assert_allclose(seg[col].to_numpy(), m.loc[seg.index, col].to_numpy())
    young = fc.metrics_by_segment(res, res.predictions["months_since_launch"] < 6)
    assert young.groupby("model")["n_rows"].sum().tolist() == [len(res.predictions)] * 3

    wl = fc.watch_list(sales, sellers, p)
    # Exactly the sellers launched by 2022-12 whose sales never exceeded US$10,000 in any month.
    over = set(sales.loc[sales["gross_sales"] > 10_000, "seller_id"])
    expected = set(sellers.loc[sellers["launch_month"] <= "2022-12-01", "seller_id"]) - over
    assert set(wl["seller_id"]) == expected and len(wl) == len(expected)
    assert wl["probability"].is_monotonic_decreasing
    assert wl["rank"].tolist() == list(range(1, len(wl) + 1))
    assert (wl["cutoff"] == "2022-12").all()
    assert (wl["last_month_share"] <= 1).all()  # nobody on the list is already required
    # Same parameters, same list.
    pd.testing.assert_frame_equal(wl, fc.watch_list(sales, sellers, p))

    csv, parquet = fc.write_watch_list(wl, tmp_path / "watch")
    csv2, _ = fc.write_watch_list(fc.watch_list(sales, sellers, p), tmp_path / "again")
    assert csv.read_bytes() == csv2.read_bytes()
    text = csv.read_text()
    assert "\n=cmd0" not in text and ",=cmd0" not in text and "'=cmd0" in text
    back = pd.read_parquet(parquet)
    assert back["seller_id"].tolist() == wl["seller_id"].tolist()


def test_charts(tmp_path):
    import matplotlib

    matplotlib.use("agg")
    sales, sellers = _synthetic(n=200)
    res = fc.evaluate_by_time(sales, sellers, fc.ForecastParams(n_test_cutoffs=2, n_train_cutoffs=4, top_k=5))
    from seller_insurance.publish import forecast_charts

    for fig in (forecast_charts.plot_calibration(res), forecast_charts.plot_precision_at_k(res)):
        assert len(fig.axes[0].lines) >= 3
        fig.savefig(tmp_path / "c.png")


def test_sample_data_end_to_end():
    sales_path, sellers_path = SAMPLE_DATA_DIR / "monthly_sales.parquet", SAMPLE_DATA_DIR / "sellers.parquet"
    if not (sales_path.exists() and sellers_path.exists()):
        pytest.skip(f"no sample data in {SAMPLE_DATA_DIR} (committed by the generator helper)")
    from seller_insurance.schema import read_parquet

    sales, sellers = read_parquet(sales_path), read_parquet(sellers_path)
    # 300 sellers, 36 months: few first triggers a month, so use every cut-off the horizon allows for training.
    p = fc.ForecastParams(n_test_cutoffs=6, n_train_cutoffs=24, top_k=10)
    res = fc.evaluate_by_time(sales, sellers, p)
    assert list(res.metrics.index) == ["baseline", "logistic", "gradient_boosting"]
    assert res.metrics["n_rows"].iloc[0] == len(res.predictions) > 0
    wl = fc.watch_list(sales, sellers, p)
    assert len(wl) > 0 and wl["probability"].is_monotonic_decreasing
    assert wl["rank"].tolist() == list(range(1, len(wl) + 1))
    assert (wl["cutoff"] == sales["month"].max().strftime("%Y-%m")).all()


def test_findings_use_one_best_model_everywhere():
    """Notebook 05's findings: text, chart title and watch-list name the same model (best average precision)."""
    import matplotlib

    matplotlib.use("agg")
    from seller_insurance.publish import forecast_charts

    sales, sellers = _synthetic(n=200)
    p = fc.ForecastParams(n_test_cutoffs=2, n_train_cutoffs=4, top_k=5)
    f = fc.findings(sales, sellers, p)
    m = f.result.metrics
    assert f.best == m["average_precision"].idxmax()
    assert f.better_than_baseline == (
        f.best != "baseline" and m.loc[f.best, "average_precision"] > m.loc["baseline", "average_precision"]
    )
    assert f.gain_precision_at_k == pytest.approx(
        m.loc[f.best, "precision_at_k"] - m.loc["baseline", "precision_at_k"]
    )
    assert f.watch_model == (f.best if f.better_than_baseline else "baseline")
    pd.testing.assert_frame_equal(f.watch, fc.watch_list(sales, sellers, p, model=f.watch_model))
    # established sellers: recomputed from the predictions with the segment built here
    seg = fc.metrics_by_segment(f.result, f.result.predictions["months_since_launch"] >= 6)
    est = seg[seg["segment"]].set_index("model")["precision_at_k"]
    assert f.established == pytest.approx((est[f.best], est["baseline"]))
    assert f.metrics["best_model"]["value"] == f.best
    assert f.metrics["watch_list_size"]["value"] == min(5, len(f.watch))
    # the chart's default best model is the same one (same title as when told the best model explicitly)
    default = [t.get_text() for t in forecast_charts.plot_precision_at_k(f.result).texts]
    told = [t.get_text() for t in forecast_charts.plot_precision_at_k(f.result, best=f.best).texts]
    assert default == told and default
