"""The generator's model: one chunk of sellers at a time, vectorised over sellers x months.

Each chunk draws from its own random stream, ``SeedSequence(seed, spawn_key=(chunk_index,))`` (the same stream
as ``SeedSequence(seed).spawn(n)[chunk_index]``), in a fixed order, so a chunk's output depends only on the
parameters and its index: not on how many chunks run, in which process, or whether a progress bar is shown.

Model (details and sources in ``docs/generator.md``):

- a seller's latent annual sales scale (USD, the 12-month calibration window) is drawn from a spliced
  distribution: a truncated lognormal body below $100k, log-uniform between $100k and $500k, a truncated
  Pareto tail above $500k whose index is solved so the mean hits ``mean_annual_sales_usd``. The band shares
  are the public targets, so the latent shares are exact in expectation;
- monthly expected sales = scale x month share (aggregate profile, or the holiday profile) x growth x ramp-up
  x mean-one lognormal noise; orders ~ Poisson(expected / mean order value); no orders = no row;
- claims per seller-month ~ Poisson(units x rate x category risk); severity is a mixture of a lognormal body
  and a Lomax (Pareto II) tail truncated at $1M, with the mixture weight solved so P(amount <= $1,000) hits
  the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtr, ndtri

from seller_insurance import policy, schema
from seller_insurance.data.synthetic.params import GeneratorParams
from seller_insurance.months import parse_month

# Parquet schemas come from the data contract (schema.py), so the generator writes exactly its columns and types.
SELLERS_SCHEMA = schema.arrow_schema("sellers")
MONTHLY_SALES_SCHEMA = schema.arrow_schema("monthly_sales")
CLAIMS_SCHEMA = schema.arrow_schema("claims")
SCHEMAS = {"sellers": SELLERS_SCHEMA, "monthly_sales": MONTHLY_SALES_SCHEMA, "claims": CLAIMS_SCHEMA}
CLAIM_ID_WIDTH = 10  # "C" + 10 digits


def seller_id_width(n_sellers: int) -> int:
    """Digits in a seller id: 7 (``S0000001``), more if there are more sellers, so ids sort like numbers."""
    return max(7, len(str(int(n_sellers))))


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers, as an Arrow string array (vectorised in Arrow)."""
    digits = pc.utf8_lpad(
        pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width=width, padding="0"
    )
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


# ------------------------------------------------------------------------------------------------------------
# Annual sales scale: spliced distribution with exact band shares
@dataclass(frozen=True)
class ScaleModel:
    """A seller's latent annual sales scale (USD): a spliced distribution with exact band shares.

    Shares ``p_body`` below ``lo``, ``p_mid`` in [``lo``, ``hi``) and ``p_tail`` from ``hi`` on
    (:func:`scale_model` uses $100k and $500k): a lognormal (``mu``, ``sigma`` of the log) truncated to
    (0, ``lo``), log-uniform on [``lo``, ``hi``), and a Pareto tail of index ``alpha`` truncated at ``cap``.
    """

    p_body: float  # share below lo
    p_mid: float  # share in [lo, hi)
    p_tail: float  # share >= hi
    lo: float
    hi: float
    mu: float
    sigma: float
    alpha: float  # Pareto index of the tail
    cap: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF: annual USD scale of uniforms ``u`` in [0, 1)."""
        u = np.asarray(u, dtype=float)
        out = np.empty_like(u)
        body = u < self.p_body
        mid = (~body) & (u < self.p_body + self.p_mid)
        tail = ~(body | mid)
        # body: lognormal truncated to (0, lo)
        fb = ndtr((math.log(self.lo) - self.mu) / self.sigma)
        v = np.clip(u[body] / self.p_body * fb, 1e-300, None)
        out[body] = np.exp(self.mu + self.sigma * ndtri(v))
        # mid: log-uniform on [lo, hi)
        w = (u[mid] - self.p_body) / self.p_mid
        out[mid] = self.lo * np.exp(w * math.log(self.hi / self.lo))
        # tail: Pareto(hi, alpha) truncated at cap
        w = (u[tail] - self.p_body - self.p_mid) / self.p_tail
        ft = 1 - (self.hi / self.cap) ** self.alpha
        out[tail] = self.hi * (1 - w * ft) ** (-1 / self.alpha)
        return out

    def mean(self) -> float:
        """Mean annual scale (USD) of the spliced distribution."""
        return _spliced_mean(
            self.p_body, self.p_mid, self.p_tail, self.lo, self.hi, self.mu, self.sigma, self.alpha, self.cap
        )


def _pareto_trunc_mean(xm: float, alpha: float, cap: float) -> float:
    norm = 1 - (xm / cap) ** alpha
    if abs(alpha - 1) < 1e-9:
        return xm * math.log(cap / xm) / norm
    return alpha * xm**alpha * (cap ** (1 - alpha) - xm ** (1 - alpha)) / ((1 - alpha) * norm)


def _spliced_mean(p_body, p_mid, p_tail, lo, hi, mu, sigma, alpha, cap) -> float:
    z = (math.log(lo) - mu) / sigma
    body = math.exp(mu + sigma**2 / 2) * ndtr(z - sigma) / ndtr(z)
    mid = (hi - lo) / math.log(hi / lo)
    return p_body * body + p_mid * mid + p_tail * _pareto_trunc_mean(hi, alpha, cap)


@lru_cache(maxsize=32)
def scale_model(
    share_above_100k: float,
    share_above_500k: float,
    mean_usd: float,
    body_median: float,
    body_sigma: float,
    cap: float,
) -> ScaleModel:
    """Solve the tail index so the spliced distribution's mean is ``mean_usd`` (bisection on alpha)."""
    lo, hi = 100_000.0, 500_000.0
    p_tail, p_mid = share_above_500k, share_above_100k - share_above_500k
    p_body = 1 - share_above_100k
    mu = math.log(body_median)

    def mean(alpha: float) -> float:
        return _spliced_mean(p_body, p_mid, p_tail, lo, hi, mu, body_sigma, alpha, cap)

    a_lo, a_hi = 0.3, 20.0  # mean decreases in alpha
    if not mean(a_hi) <= mean_usd <= mean(a_lo):
        raise ValueError(
            f"mean_annual_sales_usd={mean_usd:,.0f} is not reachable with these band shares and cap "
            f"(range {mean(a_hi):,.0f} to {mean(a_lo):,.0f})"
        )
    for _ in range(200):
        mid_a = (a_lo + a_hi) / 2
        if mean(mid_a) > mean_usd:
            a_lo = mid_a
        else:
            a_hi = mid_a
    return ScaleModel(p_body, p_mid, p_tail, lo, hi, mu, body_sigma, (a_lo + a_hi) / 2, cap)


def params_scale_model(p: GeneratorParams) -> ScaleModel:
    """The :func:`scale_model` of the generator parameters ``p`` (cached)."""
    return scale_model(
        p.share_above_100k,
        p.share_above_500k,
        p.mean_annual_sales_usd,
        p.body_median_usd,
        p.body_sigma,
        p.max_annual_sales_usd,
    )


# ------------------------------------------------------------------------------------------------------------
# Claim severity: lognormal body + Lomax tail truncated at the maximum
@dataclass(frozen=True)
class SeverityModel:
    """Claim severity (USD): a lognormal body mixed with a Lomax (Pareto II) tail truncated at ``cap``.

    ``tail_weight`` is the tail's mixture weight, ``mu`` and ``sigma`` the body's log mean and log standard
    deviation, ``scale`` (USD) and ``alpha`` the Lomax scale and shape. Built by :func:`severity_model`.
    """

    tail_weight: float
    mu: float
    sigma: float
    scale: float
    alpha: float
    cap: float

    def lomax_cdf(self, x: float) -> float:
        """P(tail amount <= x) of the Lomax tail before truncation at ``cap``."""
        return 1 - (1 + x / self.scale) ** (-self.alpha)

    def cdf(self, x: float) -> float:
        """P(amount <= x), before rounding to cents (for x below the cap)."""
        body = ndtr((math.log(x) - self.mu) / self.sigma) if x > 0 else 0.0
        return (1 - self.tail_weight) * body + self.tail_weight * self.lomax_cdf(x) / self.lomax_cdf(self.cap)

    def sample(self, u_mix: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Claim amounts (USD) from two arrays of uniforms in [0, 1).

        ``u_mix`` picks the part (the tail where ``u_mix < tail_weight``), ``u`` the amount by inverse CDF.
        Amounts are clipped to [0.01, ``cap``] and not rounded to cents.
        """
        tail = u_mix < self.tail_weight
        out = np.empty_like(u)
        out[~tail] = np.exp(self.mu + self.sigma * ndtri(np.clip(u[~tail], 1e-300, None)))
        v = u[tail] * self.lomax_cdf(self.cap)
        out[tail] = self.scale * ((1 - v) ** (-1 / self.alpha) - 1)
        return np.clip(out, 0.01, self.cap)


@lru_cache(maxsize=32)
def severity_model(
    share_le_cap: float,
    cap_usd: float,
    median: float,
    sigma: float,
    scale: float,
    alpha: float,
    max_usd: float,
) -> SeverityModel:
    """Solve the tail weight w so ``(1-w) P_body(<=cap) + w P_tail(<=cap) = share_le_cap``."""
    mu = math.log(median)
    body = ndtr((math.log(cap_usd) - mu) / sigma)
    lomax = (1 - (1 + cap_usd / scale) ** (-alpha)) / (1 - (1 + max_usd / scale) ** (-alpha))
    if not lomax <= share_le_cap <= body:
        raise ValueError(
            f"claim_share_le_cap={share_le_cap} must lie between the tail's and the body's share at "
            f"the cap ({lomax:.3f} and {body:.3f}): change claim_body_* or claim_tail_*"
        )
    w = (body - share_le_cap) / (body - lomax)
    return SeverityModel(w, mu, sigma, scale, alpha, max_usd)


def params_severity_model(p: GeneratorParams) -> SeverityModel:
    """The :func:`severity_model` of the generator parameters ``p`` at the policy cap (cached)."""
    return severity_model(
        p.claim_share_le_cap,
        policy.CLAIM_CAP_USD,
        p.claim_body_median_usd,
        p.claim_body_sigma,
        p.claim_tail_scale_usd,
        p.claim_tail_alpha,
        p.claim_max_usd,
    )


# ------------------------------------------------------------------------------------------------------------
def seller_profiles(p: GeneratorParams) -> np.ndarray:
    """Month shares (2 x 12): row 0 the regular sellers' profile, row 1 the holiday sellers'.

    The regular profile is ``(target - h * holiday) / (1 - h)`` so the mix of the two has the target profile.
    """
    target = np.array(p.month_profile)
    holiday = np.array(p.holiday_profile)
    base = (target - p.holiday_share * holiday) / (1 - p.holiday_share)
    return np.vstack([base, holiday])


def _choose(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Index of the category of each uniform ``u`` given category shares (inverse CDF)."""
    cdf = np.cumsum(shares)
    cdf = cdf / cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(shares) - 1)


def _month_days(month_index: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (int32) of the first day of each month index."""
    return (
        np.asarray(month_index, dtype=np.int64)
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int32)
    )


@dataclass
class Chunk:
    """One chunk's Arrow tables: ``sellers``, ``monthly_sales`` and ``claims``."""

    sellers: pa.Table
    monthly_sales: pa.Table
    claims: pa.Table


def generate_chunk(p: GeneratorParams, chunk_index: int, claim_offset: int = 0) -> Chunk:
    """Tables for chunk ``chunk_index`` (sellers ``chunk_index * chunk_size`` onwards).

    ``claim_offset`` is the number of claims in earlier chunks (claim ids are numbered across the dataset); it
    only changes ids, never random draws.
    """
    first = chunk_index * p.chunk_size
    n = min(p.chunk_size, p.n_sellers - first)
    if n <= 0:
        raise ValueError(f"chunk {chunk_index} is past the last seller")
    rng = np.random.default_rng(np.random.SeedSequence(p.seed, spawn_key=(chunk_index,)))
    start, end, T = p.start_index, p.end_index, p.n_months

    # ---- seller attributes (one draw per seller, in a fixed order) ----
    sites = list(p.marketplaces)
    shares = p.marketplace_shares()
    site = _choose(rng.random(n), np.array([shares[s] for s in sites]))
    cats = p.categories
    cat = _choose(rng.random(n), np.array([c[1] for c in cats]))
    fba = rng.random(n) < p.fba_share
    scale = params_scale_model(p).ppf(rng.random(n))
    holiday = (rng.random(n) < p.holiday_share).astype(np.int64)
    existing = rng.random(n) < p.existing_share
    u_launch = rng.random(n)
    launch = np.where(
        existing, start - 1 - np.floor(u_launch * p.existing_max_age_months), start + np.floor(u_launch * T)
    ).astype(np.int64)
    gap = rng.geometric(p.churn_monthly_hazard, n) if p.churn_monthly_hazard > 0 else np.full(n, 10**6)
    churn = np.where(existing, start, launch) + gap  # first month with no activity, >= one active month
    growth = rng.normal(p.growth_mean, p.growth_sd, n)
    aov = np.array([c[3] for c in cats])[cat] * np.exp(
        rng.normal(-(p.order_value_sigma**2) / 2, p.order_value_sigma, n)
    )
    upo = 1 + rng.random(n) * (p.max_units_per_order - 1)
    risk = np.array([c[2] for c in cats])[cat]

    # ---- seller x month cells, only where the seller is active ----
    t = np.arange(start, end + 1, dtype=np.int64)
    active = (t[None, :] >= launch[:, None]) & (t[None, :] < churn[:, None])
    si, ti = np.nonzero(active)  # row-major: seller, then month (the output's sort order)
    m = t[ti]
    age = m - launch[si]
    cal_end = parse_month(p.calibration_window_end)
    centre = cal_end - 5.5  # middle of the 12-month calibration window: scale = annual sales there
    s = p.monthly_noise_sigma
    # log of: scale / order value x month share x growth x mean-one noise / (1 - dormant_month_prob) (so
    # dormancy keeps the scale's mean annual sales); one exp over all cells, per-seller and per-month terms
    # gathered
    log_profiles = np.log(seller_profiles(p)).ravel()
    log_base = np.log(scale / aov) - s * s / 2 - math.log(1 - p.dormant_month_prob)
    log_mean = log_base[si] + log_profiles[holiday[si] * 12 + m % 12] + growth[si] * ((m - centre) / 12.0)
    log_mean += rng.standard_normal(si.size) * s
    ramp = 1 - np.exp(-(np.arange(int(age.max(initial=0)) + 1) + 1) / p.ramp_months)  # by age in months
    expected_orders = np.exp(log_mean) * ramp[age]
    orders = rng.poisson(expected_orders)
    orders[rng.random(si.size) < p.dormant_month_prob] = 0
    keep = orders > 0
    si, m, orders = si[keep], m[keep], orders[keep]
    ps = p.price_noise_sigma
    gross_usd = orders * aov[si] * np.exp(rng.standard_normal(si.size) * ps - ps * ps / 2)
    units = np.maximum(orders, np.rint(orders * upo[si]).astype(np.int64))
    fx = dict(p.fx_per_usd)
    site_fx = np.array([fx[s] for s in sites])
    gross = np.maximum(np.round(gross_usd * site_fx[site[si]], 2), 0.01)

    # ---- claims ----
    sev = params_severity_model(p)
    n_claims = rng.poisson(units * p.claim_rate_per_unit * risk[si])
    ci = np.repeat(np.arange(si.size), n_claims)
    k = ci.size
    cm = m[ci]
    month_start = _month_days(cm)
    days_in_month = _month_days(cm + 1) - month_start
    filed = month_start + np.floor(rng.random(k) * days_in_month).astype(np.int32)
    is_pi = rng.random(k) < p.personal_injury_share
    amount = np.round(sev.sample(rng.random(k), rng.random(k)), 2)
    u_status = rng.random(k)
    u_pending = rng.random(k)
    window_end_day = _month_days(np.array([end + 1]))[0]
    recent = filed >= window_end_day - p.pending_recent_days
    rejected = u_status < p.rejected_share
    pending = ~rejected & (u_pending < np.where(recent, p.pending_recent_share, p.pending_share))
    status_code = np.where(rejected, 1, np.where(pending, 2, 0))
    cseller = si[ci]
    order = np.lexsort((filed, cseller))  # by seller, then filing date (stable)
    cseller, filed, is_pi, amount, status_code = (
        a[order] for a in (cseller, filed, is_pi, amount, status_code)
    )

    # ---- Arrow tables ----
    width = seller_id_width(p.n_sellers)
    ids = format_ids("S", np.arange(first + 1, first + n + 1), width)
    site_names = pa.array(sites, pa.string())
    currency = pa.array([policy.SITE_CURRENCY[s] for s in sites], pa.string())
    churn_out = np.where(churn <= end, churn, 0)
    band = schema.size_band(scale)
    sellers = pa.table(
        {
            "seller_id": ids,
            "marketplace": site_names.take(pa.array(site)),
            "category": pa.array([c[0] for c in cats], pa.string()).take(pa.array(cat)),
            "launch_month": pa.array(_month_days(launch), pa.date32()),
            "churn_month": pa.array(_month_days(churn_out), pa.date32(), mask=churn > end),
            "fulfilment_channel": pa.array(np.where(fba, "FBA", "FBM").tolist(), pa.string()),
            "size_band": pa.array(list(schema.SIZE_BAND_LABELS), pa.string()).take(pa.array(band.codes)),
        },
        schema=SELLERS_SCHEMA,
    )
    sales = pa.table(
        {
            "seller_id": ids.take(pa.array(si)),
            "marketplace": site_names.take(pa.array(site[si])),
            "month": pa.array(_month_days(m), pa.date32()),
            "gross_sales": pa.array(gross, pa.float64()),
            "currency": currency.take(pa.array(site[si])),
            "orders": pa.array(orders, pa.int64()),
            "units": pa.array(units, pa.int64()),
        },
        schema=MONTHLY_SALES_SCHEMA,
    )
    claims = pa.table(
        {
            "claim_id": format_ids("C", np.arange(claim_offset + 1, claim_offset + k + 1), CLAIM_ID_WIDTH),
            "seller_id": ids.take(pa.array(cseller)),
            "marketplace": site_names.take(pa.array(site[cseller])),
            "filed_date": pa.array(filed, pa.date32()),
            "claim_type": pa.array(list(policy.CLAIM_TYPES), pa.string()).take(
                pa.array(is_pi.astype(np.int64))
            ),
            "amount": pa.array(amount, pa.float64()),
            "status": pa.array(list(policy.CLAIM_STATUSES), pa.string()).take(pa.array(status_code)),
        },
        schema=CLAIMS_SCHEMA,
    )
    return Chunk(sellers, sales, claims)


def renumber_claims(chunk: Chunk, offset: int) -> Chunk:
    """The chunk with claim ids ``C<offset + 1>``, ``C<offset + 2>`` ... (ids run across chunks)."""
    k = chunk.claims.num_rows
    ids = format_ids("C", np.arange(offset + 1, offset + k + 1), CLAIM_ID_WIDTH)
    return Chunk(chunk.sellers, chunk.monthly_sales, chunk.claims.set_column(0, "claim_id", ids))


def n_chunks(p: GeneratorParams) -> int:
    """Number of chunks of ``p.chunk_size`` sellers covering ``p.n_sellers`` (the last may be smaller)."""
    return -(-p.n_sellers // p.chunk_size)
