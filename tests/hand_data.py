"""Small hand-worked tables for tests: rows written as tuples, typed as the loaders return them."""

from __future__ import annotations

import pandas as pd


def sales_frame(rows: list[tuple]) -> pd.DataFrame:
    """Monthly sales from ``(seller_id, marketplace, "YYYY-MM", gross_sales)`` rows (month as datetime64)."""
    df = pd.DataFrame(rows, columns=["seller_id", "marketplace", "month", "gross_sales"])
    df["month"] = pd.to_datetime(df["month"])
    return df
