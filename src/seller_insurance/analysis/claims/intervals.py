"""Confidence intervals for claim shares: Wilson (a proportion) and bootstrap / delta method (a ratio of sums).

Everything here works on many groups at once: inputs are per-group arrays (counts, sums) or per-claim arrays with an
integer group code, and the work is numpy (``bincount``, one random draw per resampled claim), never a Python loop
over claims. See ``docs/claims.md`` for the choice between bootstrap and delta method.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

# Draws per vectorised bootstrap chunk (claims x resamples held in memory at once): ~1M draws, ~30 MB peak.
BOOTSTRAP_CHUNK_DRAWS = 1 << 20


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence`` in (0, 1) (1.959964 for 0.95)."""
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + float(confidence) / 2.0)


def wilson_interval(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``k / n``, vectorised over arrays.

    Parameters
    ----------
    k, n : array-like of int
        Successes and trials (``0 <= k <= n``). Where ``n == 0`` the interval is NaN.
    confidence : float
        Two-sided confidence level, default 0.95.

    Returns
    -------
    (low, high) : float64 arrays (0-d arrays become floats)
        Exact at the boundaries: ``low == 0.0`` where ``k == 0`` and ``high == 1.0`` where ``k == n``
        (the closed form gives these only up to rounding, so they are set explicitly).
    """
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise ValueError("wilson_interval needs 0 <= k <= n")
    z = z_value(confidence)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k_arr / n_arr
        denom = 1.0 + z2 / n_arr
        centre = (p + z2 / (2.0 * n_arr)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n_arr + z2 / (4.0 * n_arr * n_arr))
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    low = np.where(k_arr == 0, 0.0, low)
    high = np.where(k_arr == n_arr, 1.0, high)
    empty = n_arr == 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def ratio_delta_interval(
    codes: np.ndarray, y: np.ndarray, x: np.ndarray, n_groups: int, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Delta-method (linearisation) interval for the ratio of sums ``R = sum(y) / sum(x)`` in every group.

    The ratio estimator's variance is ``sum((y_i - R x_i)^2) / (n (n - 1) xbar^2)`` (first-order Taylor expansion);
    the interval is ``R +- z se`` clipped to ``[0, 1]``. Two passes of ``bincount`` over the claims (the second on
    the residuals, numerically stable). Groups with ``n < 2`` get NaN bounds; groups with ``n == 0`` a NaN ratio.

    Returns ``(ratio, low, high)``, each of length ``n_groups``.
    """
    n = np.bincount(codes, minlength=n_groups).astype(float)
    sy = np.bincount(codes, weights=y, minlength=n_groups)
    sx = np.bincount(codes, weights=x, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = sy / sx
        resid = y - ratio[codes] * x
        ss = np.bincount(codes, weights=resid * resid, minlength=n_groups)
        se = np.sqrt(ss * n / (n - 1.0)) / sx
    se = np.where(n >= 2, se, np.nan)
    z = z_value(confidence)
    low = np.clip(ratio - z * se, 0.0, 1.0)
    high = np.clip(ratio + z * se, 0.0, 1.0)
    return ratio, low, high


def ratio_bootstrap_interval(
    codes: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    groups: np.ndarray,
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    rng: np.random.Generator,
    chunk_draws: int = BOOTSTRAP_CHUNK_DRAWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval for ``sum(y) / sum(x)`` in the listed ``groups`` (resampling claims).

    Each group is resampled ``n_boot`` times with replacement (``n`` claims drawn from its own ``n`` claims); the
    bounds are the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the resampled ratios
    (numpy's default linear interpolation). The cost is ``sum(n_g for g in groups) * n_boot`` draws, done in
    vectorised chunks of about ``chunk_draws`` draws (groups of equal size drawn together); callers bound it by
    bootstrapping small groups only. ``x`` must be > 0 (claim amounts), so every resample has a positive
    denominator. Groups are processed by size, then in the order given, so the result depends only on the data, the
    groups and the generator's state.

    Returns ``(low, high)`` arrays aligned with ``groups``.
    """
    groups = np.asarray(groups, dtype=np.int64)
    low = np.full(len(groups), np.nan)
    high = np.full(len(groups), np.nan)
    if len(groups) == 0:
        return low, high
    z_value(confidence)  # validates
    n_boot = int(n_boot)
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}")
    # Rows of the wanted groups, sorted by group (stable: claim order within a group is kept).
    position = np.full(int(max(codes.max(initial=0), groups.max())) + 1, -1, dtype=np.int64)
    position[groups] = np.arange(len(groups))
    pos_of_row = position[codes]
    rows = np.flatnonzero(pos_of_row >= 0)
    rows = rows[np.argsort(pos_of_row[rows], kind="stable")]
    sizes = np.bincount(pos_of_row[rows], minlength=len(groups)).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ys, xs = y[rows], x[rows]
    q = [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0]

    # Groups of equal size are resampled together: one (groups, n_boot, size) draw per chunk, so the Python loop
    # runs over distinct sizes and chunks (at most bootstrap_below sizes), never over claims or resamples.
    for size in np.unique(sizes[sizes > 0]):
        same = np.flatnonzero(sizes == size)
        step = max(1, int(chunk_draws) // (int(size) * n_boot))
        for i in range(0, len(same), step):
            part = same[i : i + step]
            idx = rng.integers(0, size, size=(len(part), n_boot, int(size)))
            idx += starts[part][:, None, None]
            ratios = ys[idx].sum(axis=2) / xs[idx].sum(axis=2)
            low[part], high[part] = np.quantile(ratios, q, axis=1)
    return low, high


def ratio_delta_from_moments(n, sx, sy, cxx, cxy, cyy, confidence: float = 0.95):
    """Delta-method interval for ``R = sum(y) / sum(x)`` per group from sufficient statistics.

    The same estimator as ``intervals.ratio_delta_interval`` (variance ``sum((y - R x)^2) / (n (n - 1) xbar^2)``,
    bounds ``R +- z se`` clipped to [0, 1], NaN bounds for ``n < 2``, NaN ratio for ``n == 0``), computed from per-group
    counts ``n``, sums ``sx``, ``sy`` and centred second moments ``cxx = sum((x - xbar)^2)``, ``cxy``, ``cyy``
    instead of the claims: ``sum((y - R x)^2) = cyy - 2 R cxy + R^2 cxx`` because ``sum(y - R x) = 0``. The
    moments of disjoint parts merge exactly (``distributed._merge_stats``), which is what makes the interval computable
    from partitions. Returns ``(ratio, low, high)``.
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.asarray(sy, dtype=float) / np.asarray(sx, dtype=float)
        ss = np.asarray(cyy) - 2.0 * ratio * np.asarray(cxy) + ratio * ratio * np.asarray(cxx)
        se = np.sqrt(np.maximum(ss, 0.0) * n / (n - 1.0)) / np.asarray(sx, dtype=float)
    se = np.where(n >= 2, se, np.nan)
    z = z_value(confidence)
    return ratio, np.clip(ratio - z * se, 0.0, 1.0), np.clip(ratio + z * se, 0.0, 1.0)
