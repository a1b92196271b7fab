"""Wilson, delta-method and bootstrap intervals (seller_insurance.analysis.claims.intervals)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seller_insurance.analysis.claims.intervals import (
    ratio_bootstrap_interval,
    ratio_delta_interval,
    wilson_interval,
    z_value,
)

Z95 = 1.959963984540054


def test_z_value():
    assert z_value(0.95) == pytest.approx(Z95, abs=1e-12)
    assert z_value(0.90) == pytest.approx(1.6448536269514722, abs=1e-12)
    with pytest.raises(ValueError, match="confidence"):
        z_value(1.0)


def test_wilson_hand_worked():
    # 8 of 10: p = 0.8, z^2 = 3.8415; centre = (0.8 + 0.19207) / 1.38415 = 0.71680,
    # half = 1.95996 / 1.38415 * sqrt(0.016 + 0.0096037) = 0.22657 -> (0.4902, 0.9434)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    k = np.array([0, 1, 7, 50, 99, 100, 3])
    n = np.array([10, 10, 40, 100, 100, 100, 5])
    low, high = wilson_interval(k, n, 0.9)
    for ki, ni, lo, hi in zip(k, n, low, high, strict=True):
        ref = stats.binomtest(int(ki), int(ni)).proportion_ci(confidence_level=0.9, method="wilson")
        assert lo == pytest.approx(ref.low, abs=1e-9)
        assert hi == pytest.approx(ref.high, abs=1e-9)


@pytest.mark.parametrize("n", [1, 2, 7, 10, 333, 10_000, 1_000_003])
def test_wilson_exact_at_boundaries(n):
    low0, high0 = wilson_interval(0, n)
    lown, highn = wilson_interval(n, n)
    assert low0 == 0.0  # exactly, not 1e-17
    assert highn == 1.0
    # the other bounds by hand: k = 0 -> high = z^2 / (n + z^2); k = n -> low = n / (n + z^2)
    assert high0 == pytest.approx(Z95**2 / (n + Z95**2), rel=1e-12)
    assert lown == pytest.approx(n / (n + Z95**2), rel=1e-12)


def test_wilson_empty_group_is_nan_and_bad_counts_raise():
    low, high = wilson_interval(np.array([0, 1]), np.array([0, 2]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert not math.isnan(low[1])
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_delta_hand_worked():
    # one group: amounts 100, 200, 700; the first two under the cap -> R = 300 / 1000 = 0.3
    # residuals y - R x = 70, 140, -210 -> sum of squares 68,600; var = 68,600 * 3/2 / 1000^2 = 0.1029
    codes = np.zeros(3, dtype=np.int64)
    x = np.array([100.0, 200.0, 700.0])
    y = np.array([100.0, 200.0, 0.0])
    ratio, low, high = ratio_delta_interval(codes, y, x, 1)
    se = math.sqrt(0.1029)
    assert ratio[0] == pytest.approx(0.3)
    assert low[0] == 0.0  # 0.3 - 1.96 * 0.3208 < 0: clipped
    assert high[0] == pytest.approx(0.3 + Z95 * se, rel=1e-12)


def test_delta_degenerate_groups():
    # group 0 all under the cap -> zero variance, [1, 1]; group 1 a single claim -> NaN; group 2 empty -> NaN ratio
    codes = np.array([0, 0, 0, 1])
    x = np.array([5.0, 6.0, 7.0, 8.0])
    ratio, low, high = ratio_delta_interval(codes, x.copy(), x, 3)
    assert (ratio[0], low[0], high[0]) == (1.0, 1.0, 1.0)
    assert ratio[1] == 1.0 and math.isnan(low[1]) and math.isnan(high[1])
    assert math.isnan(ratio[2])


def _reference_bootstrap(y, x, n_boot, rng, confidence=0.95):
    """Plain loop: resample the claims, recompute the ratio, take percentiles."""
    ratios = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(x), len(x))
        ratios.append(y[idx].sum() / x[idx].sum())
    return np.quantile(ratios, [(1 - confidence) / 2, (1 + confidence) / 2])


def test_bootstrap_matches_reference_loop_within_monte_carlo_error():
    rng = np.random.default_rng(7)
    sizes = [5, 40, 120]
    codes = np.repeat(np.arange(3), sizes)
    x = np.round(np.exp(rng.normal(5.5, 1.0, codes.size)), 2)
    y = np.where(x <= 1000, x, 0.0)
    # tiny chunks: each chunk holds about one group, exercising the chunk loop
    low, high = ratio_bootstrap_interval(
        codes, y, x, np.arange(3), n_boot=4000, rng=np.random.default_rng(1), chunk_draws=50_000
    )
    for g in range(3):
        ref = _reference_bootstrap(y[codes == g], x[codes == g], 4000, np.random.default_rng(2))
        assert low[g] == pytest.approx(ref[0], abs=0.03)
        assert high[g] == pytest.approx(ref[1], abs=0.03)


def test_bootstrap_subset_of_groups_boundaries_and_determinism():
    codes = np.array([2, 0, 2, 1, 1, 2])
    x = np.array([10.0, 3000.0, 20.0, 999.0, 5000.0, 30.0])
    y = np.where(x <= 1000, x, 0.0)
    args = (codes, y, x, np.array([2, 1]))
    low, high = ratio_bootstrap_interval(*args, n_boot=500, rng=np.random.default_rng(3))
    assert (low[0], high[0]) == (1.0, 1.0)  # group 2: every claim under the cap -> every resample is 1
    assert low[1] == 0.0 and high[1] == pytest.approx(
        1.0
    )  # group 1: 999 / 5999 mixes, extremes 0 and 1 common
    again = ratio_bootstrap_interval(*args, n_boot=500, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(low, again[0])
    np.testing.assert_array_equal(high, again[1])


@pytest.mark.parametrize(
    ("sigma", "n", "tolerance"), [(1.0, 300, 0.10), (1.0, 2000, 0.10), (1.5, 1000, 0.12)]
)
def test_bootstrap_and_delta_agree_on_mid_sized_groups(sigma, n, tolerance):
    """On mid-sized groups the two intervals agree: each bound within ``tolerance`` x the interval's width
    (and within 0.02 absolute). Lognormal severities (median ~$245) with sigma 1.0 and a heavier 1.5; the heavier
    tail needs ~1,000 claims, which is why the switch (claims.BOOTSTRAP_BELOW) sits there."""
    groups = 3
    rng = np.random.default_rng(11)
    codes = np.repeat(np.arange(groups), n)
    x = np.round(np.exp(rng.normal(5.5, sigma, groups * n)), 2)
    y = np.where(x <= 1000, x, 0.0)
    _, d_low, d_high = ratio_delta_interval(codes, y, x, groups)
    b_low, b_high = ratio_bootstrap_interval(
        codes, y, x, np.arange(groups), n_boot=2000, rng=np.random.default_rng(0)
    )
    width = d_high - d_low
    assert np.all(np.abs(b_low - d_low) <= np.minimum(tolerance * width, 0.02))
    assert np.all(np.abs(b_high - d_high) <= np.minimum(tolerance * width, 0.02))
