"""Descriptive views of a dataset for the data notebook (totals over time, in USD)."""

from __future__ import annotations

import pandas as pd

from seller_insurance import policy


def monthly_totals_usd(monthly_sales: pd.DataFrame) -> pd.DataFrame:
    """Total gross sales per calendar month in USD (``policy.FX_PER_USD``), in dollars and in millions."""
    fx = monthly_sales["marketplace"].astype(str).map(policy.usd_per_unit).astype(float)
    usd = monthly_sales["gross_sales"].to_numpy() * fx.to_numpy()
    out = (
        pd.DataFrame({"month": monthly_sales["month"].to_numpy(), "gross_sales_usd": usd})
        .groupby("month", sort=True)["gross_sales_usd"]
        .sum()
        .reset_index()
    )
    out["gross_sales_usd_m"] = out["gross_sales_usd"] / 1e6
    return out
