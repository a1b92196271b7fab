"""Calibration of the synthetic data: each public figure, the generated value, a tolerance, whether it holds.

The figures are measured on the generated tables themselves (not on the generator's latent variables), with
simple independent pandas/numpy code, so the table checks the whole pipeline: spliced size distribution,
seasonality, noise, Poisson orders, currency conversion and rounding.

Populations:

- annual sales: sellers active throughout the 12-month calibration window (``calibration_window_end`` and the
  11 months before; launched at or before its first month and not churned within it), sales converted to USD
  with the parameters' FX rates. If the data does not cover that window, its last 12 months are used instead.
- seasonality: every sale in the complete calendar years of the data (the calibration window if none), in USD.
- claims: every generated claim.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from seller_insurance import policy
from seller_insurance.data.synthetic.model import params_severity_model
from seller_insurance.data.synthetic.params import GeneratorParams
from seller_insurance.months import parse_month, to_month_index

COLUMNS = ["metric", "target", "generated", "tolerance", "kind", "ok", "source"]


def _window(params: GeneratorParams) -> tuple[int, int]:
    end = parse_month(params.calibration_window_end)
    if params.start_index <= end - 11 and end <= params.end_index:
        return end - 11, end
    return max(params.start_index, params.end_index - 11), params.end_index


def annual_sales_usd(
    sellers: pd.DataFrame, monthly_sales: pd.DataFrame, params: GeneratorParams
) -> pd.Series:
    """Sales in USD over the calibration window of each seller active throughout it (0 if no rows)."""
    lo, hi = _window(params)
    launch = to_month_index(sellers["launch_month"])
    churn = sellers["churn_month"]
    churn_idx = np.where(
        churn.isna(), np.iinfo(np.int64).max, to_month_index(churn.fillna(pd.Timestamp("1970-01-01")))
    )
    full = (launch <= lo) & (churn_idx > hi)
    ids = sellers.loc[full, "seller_id"]
    m = to_month_index(monthly_sales["month"])
    sel = (m >= lo) & (m <= hi)
    fx = monthly_sales.loc[sel, "marketplace"].map(dict(params.fx_per_usd)).to_numpy(dtype=float)
    usd = monthly_sales.loc[sel, "gross_sales"].to_numpy() / fx
    totals = pd.Series(usd).groupby(monthly_sales.loc[sel, "seller_id"].to_numpy()).sum()
    return totals.reindex(ids.to_numpy(), fill_value=0.0)


def month_of_year_shares(monthly_sales: pd.DataFrame, params: GeneratorParams) -> pd.Series:
    """Share of USD sales by calendar month (1..12) over the complete calendar years of the data."""
    m = to_month_index(monthly_sales["month"])
    first_full = params.start_index + (-params.start_index) % 12
    last_full = params.end_index - (params.end_index + 1) % 12
    if last_full - first_full + 1 >= 12:
        sel = (m >= first_full) & (m <= last_full)
    else:
        lo, hi = _window(params)
        sel = (m >= lo) & (m <= hi)
    fx = monthly_sales["marketplace"].map(dict(params.fx_per_usd)).to_numpy(dtype=float)
    usd = monthly_sales["gross_sales"].to_numpy() / fx
    by = pd.Series(usd[sel]).groupby(m[sel] % 12 + 1).sum().reindex(range(1, 13), fill_value=0.0)
    return by / by.sum()


def single_month_only_share(monthly_sales: pd.DataFrame, site: str = "US") -> tuple[float, float]:
    """(share of ``site`` sellers with a month over the threshold, share of those never 3 months running).

    Calendar months: a missing month is zero sales and breaks a run. Strict "exceeds" (policy default).
    """
    threshold = policy.threshold_for(site)
    df = monthly_sales.loc[monthly_sales["marketplace"] == site, ["seller_id", "month", "gross_sales"]]
    if df.empty:
        return float("nan"), float("nan")
    m = to_month_index(df["month"])
    codes, uniq = pd.factorize(df["seller_id"])
    over = np.zeros((len(uniq), int(m.max() - m.min()) + 1), dtype=bool)
    over[codes, m - m.min()] = df["gross_sales"].to_numpy() > threshold
    any_over = over.any(axis=1)
    three = np.zeros(len(uniq), dtype=bool)
    if over.shape[1] >= 3:
        three = (over[:, 2:] & over[:, 1:-1] & over[:, :-2]).any(axis=1)
    n_any = int(any_over.sum())
    return n_any / len(uniq), (float((any_over & ~three).sum()) / n_any if n_any else float("nan"))


def calibration_table(dataset, params: GeneratorParams) -> pd.DataFrame:
    """Target, generated value, tolerance and ``ok`` for each calibration figure.

    ``kind``: ``abs`` |generated - target| <= tolerance; ``rel`` the same relative to the target; ``min``
    generated >= target; ``max`` generated <= target; ``bool`` generated is 1 (true).
    """
    rows: list[tuple] = []

    def add(metric, target, generated, tolerance, kind, source):
        if kind == "abs":
            ok = abs(generated - target) <= tolerance
        elif kind == "rel":
            ok = abs(generated - target) <= tolerance * abs(target)
        elif kind == "min":
            ok = generated >= target
        elif kind == "max":
            ok = generated <= target
        else:
            ok = bool(generated)
        rows.append(
            (
                metric,
                float(target),
                float(generated),
                tolerance,
                kind,
                bool(ok) and not math.isnan(generated),
                source,
            )
        )

    annual = annual_sales_usd(dataset.sellers, dataset.monthly_sales, params)
    amazon = "Amazon Small Business Empowerment Report 2021"
    add(
        "share of sellers above $100k/yr",
        params.share_above_100k,
        (annual > 100_000).mean(),
        0.015,
        "abs",
        amazon,
    )
    add(
        "share of sellers above $500k/yr",
        params.share_above_500k,
        (annual > 500_000).mean(),
        0.01,
        "abs",
        amazon,
    )
    add(
        "mean annual sales per seller (USD)", params.mean_annual_sales_usd, annual.mean(), 0.20, "rel", amazon
    )
    add("mean annual sales above $200k", 200_000, annual.mean(), float("nan"), "min", amazon)

    shares = month_of_year_shares(dataset.monthly_sales, params)
    add(
        "Q4 share of annual sales",
        params.q4_share,
        shares.loc[[10, 11, 12]].sum(),
        0.015,
        "abs",
        "US Census e-commerce 2021 (29.6%)",
    )
    add(
        "December is the peak month",
        1,
        float(shares.idxmax() == 12),
        float("nan"),
        "bool",
        "US Census retail",
    )
    add(
        "July bump: July / mean(June, August)",
        params.july_bump,
        shares[7] / ((shares[6] + shares[8]) / 2),
        0.05,
        "abs",
        "Prime Day (choice of size)",
    )

    _, only_single = single_month_only_share(dataset.monthly_sales)
    add(
        "US sellers over $10k in a month but never 3 months running (share)",
        0.10,
        only_single,
        float("nan"),
        "min",
        "choice: both rules must matter",
    )

    claims = dataset.claims
    amount = claims["amount"].to_numpy()
    sev = params_severity_model(params)
    add(
        "claims <= $1,000 (share)",
        params.claim_share_le_cap,
        (amount <= policy.CLAIM_CAP_USD).mean(),
        0.015,
        "abs",
        "Amazon 2021-08-10: 'more than 80% of cases'",
    )
    add(
        "claims > $1,000 that exceed $10k (share, model's own value)",
        (1 - sev.cdf(10_000)) / (1 - sev.cdf(1_000)),
        (amount > 10_000).sum() / max((amount > 1_000).sum(), 1),
        0.25,
        "rel",
        "model: Lomax tail",
    )
    add(
        "largest claim <= $1M",
        params.claim_max_usd,
        amount.max() if amount.size else 0.0,
        float("nan"),
        "max",
        "Amazon 2021-08-10: claims up to $1M",
    )
    add(
        "rejected claims (share)",
        params.rejected_share,
        (claims["status"] == "rejected").mean(),
        0.02,
        "abs",
        "choice (no public figure)",
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def calibration_markdown(table: pd.DataFrame) -> str:
    """The calibration table as Markdown (what docs/generator.md and the README show)."""

    def fmt(x: float, metric: str) -> str:
        if isinstance(x, float) and math.isnan(x):
            return ""
        if "peak" in metric:
            return "yes" if x else "no"
        return f"{x:,.0f}" if abs(x) >= 1_000 else f"{x:.3f}"

    def tol(row) -> str:
        kind, t = row["kind"], row["tolerance"]
        words = {"abs": f"± {t:g}", "rel": f"± {t:.0%}", "min": "at least", "max": "at most", "bool": "true"}
        return words[kind]

    lines = ["| figure | target | generated | tolerance | ok | source |", "|---|---:|---:|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['metric']} | {fmt(r['target'], r['metric'])} | {fmt(r['generated'], r['metric'])} "
            f"| {tol(r)} "
            f"| {'yes' if r['ok'] else '**no**'} | {r['source']} |"
        )
    return "\n".join(lines) + "\n"


# python -m seller_insurance.data.synthetic.calibration [n_sellers]: the table at default parameters (docs/generator.md)
if __name__ == "__main__":
    import sys

    from seller_insurance.data.synthetic.writer import generate

    params = GeneratorParams(n_sellers=int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    print(calibration_markdown(calibration_table(generate(params), params)), end="")
