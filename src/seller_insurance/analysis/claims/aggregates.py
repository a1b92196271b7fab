"""Claims known only as daily totals (Seller Central's Business Reports): what they can and cannot say.

A Business Report gives, per day and site, "A-to-z Claims Granted" (a count) and "Claims Amount" (their total, in
the site's currency). Without one amount per claim no share of claims at or under a cap can be computed (a day's
total of 1,800 may be one claim of 1,800 or two of 900), so these totals are reported as they are: counts and
amounts per calendar month and site.
"""

from __future__ import annotations

import pandas as pd

MONTHLY_COLUMNS = ["month", "marketplace", "days", "claims_granted", "claims_amount"]


def monthly_claim_totals(daily: pd.DataFrame) -> pd.DataFrame:
    """Business Report claim totals summed per calendar month and site.

    Parameters
    ----------
    daily : pandas.DataFrame
        ``RunData.claims_daily``: seller_id, marketplace, date, claims_granted (count), claims_amount (local
        currency). Empty or without those columns: an empty result.

    Returns
    -------
    pandas.DataFrame
        :data:`MONTHLY_COLUMNS`: ``month`` (``YYYY-MM``), ``marketplace``, ``days`` (report days in the month, over
        every account), ``claims_granted`` (int) and ``claims_amount`` (local currency, not converted: sites are
        not added together). Sorted by month then site; months with no report day are absent (not zero).
    """
    needed = {"marketplace", "date", "claims_granted", "claims_amount"}
    if daily is None or daily.empty or not needed <= set(daily.columns):
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    df = daily.assign(month=pd.to_datetime(daily["date"]).dt.strftime("%Y-%m"))
    out = (
        df.groupby(["month", "marketplace"], sort=True)
        .agg(
            days=("date", "size"),
            claims_granted=("claims_granted", "sum"),
            claims_amount=("claims_amount", "sum"),
        )
        .reset_index()
    )
    out["claims_granted"] = out["claims_granted"].astype("int64")
    return out[MONTHLY_COLUMNS]


def business_report_claims(daily: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Notebook 03's view of Business Report claims: the monthly table, the claims granted and the months covered.

    Parameters
    ----------
    daily : pandas.DataFrame
        ``RunData.claims_daily`` (see :func:`monthly_claim_totals`).

    Returns
    -------
    tuple
        ``(monthly, n_claims, n_months)``: :func:`monthly_claim_totals`, the total claims granted (int) and the
        number of distinct calendar months with a report day (0 and 0 when there are none).
    """
    monthly = monthly_claim_totals(daily)
    return monthly, int(monthly["claims_granted"].sum()), int(monthly["month"].nunique())
