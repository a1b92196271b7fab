"""Rule impact: who the single-month rule newly pulls in, who it pulls in earlier, and what it costs them.

Built on the rule engine's comparison table (``rules.compare_rules``: one row per seller-marketplace with
old_trigger, new_trigger, status, lead_months). Definitions used in every table and chart:

- *Population*: the seller-marketplaces the rule change can affect, i.e. all in the comparison except
  ``already_required`` (required under the old rule before the start month). Shares are of this population
  ("active sellers" in the report: every seller-marketplace with at least one accepted sales row that was not
  already required when the new rule started).
- *Newly affected*: the new rule triggers, the old one never does (up to the end of the data).
  *Accelerated*: both trigger, the new one earlier; ``lead_months`` = old trigger - new trigger (> 0).
- *Trigger month profile*: the calendar month (Jan..Dec) of each new-rule first trigger, to show the Q4 effect.
- *Premium burden*: an annual premium (USD; default ``policy.ANNUAL_PREMIUM_USD``, broker figures) as a share of
  the seller's gross sales in USD over the 12 calendar months ending with its new-rule trigger month (months
  without a row count as zero; annualised when the seller's history starts inside that window, see
  :func:`trailing_sales_usd`). That is what the seller sold in the year it became required.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seller_insurance import months as mo
from seller_insurance import policy
from seller_insurance.analysis import rules

KEYS = ["seller_id", "marketplace"]
CHANGED = ("newly_affected", "accelerated")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _as_str_keys(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype({k: str for k in KEYS if k in df})


def attach(comparison: pd.DataFrame, sellers: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The comparison with seller columns joined on (seller_id, marketplace); unmatched rows keep NaN."""
    right = _as_str_keys(sellers[KEYS + [c for c in columns if c not in KEYS]])
    return _as_str_keys(comparison).merge(right, on=KEYS, how="left", validate="one_to_one")


def impact_table(
    comparison: pd.DataFrame, by: str | list[str] | None = None, sellers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Counts and shares of each status, with lead-time statistics, overall or per group.

    Columns: [group], population (all but already_required), already_required, newly_affected, accelerated,
    unchanged, unaffected, newly_affected_share and accelerated_share (of the population), changed_share (both),
    mean_lead_months and median_lead_months (over accelerated sellers; NaN when none).
    A group column of ``sellers`` (size_band, category, ...) is joined in when ``sellers`` is given.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    df = comparison
    extra = [c for c in by if c not in comparison.columns]
    if extra:
        if sellers is None:
            raise ValueError(f"grouping by {extra} needs the sellers table")
        df = attach(comparison, sellers, extra)
    counts = pd.crosstab(
        [df[c] for c in by] if by else pd.Series("all", index=df.index, name="group"), df["status"]
    )
    for status in ("already_required", "newly_affected", "accelerated", "unchanged", "unaffected"):
        if status not in counts:
            counts[status] = 0
    out = counts[["already_required", "newly_affected", "accelerated", "unchanged", "unaffected"]].copy()
    out.insert(0, "population", out.sum(axis=1) - out["already_required"])
    pop = out["population"].where(out["population"] > 0)
    out["newly_affected_share"] = out["newly_affected"] / pop
    out["accelerated_share"] = out["accelerated"] / pop
    out["changed_share"] = (out["newly_affected"] + out["accelerated"]) / pop
    acc = df[df["status"] == "accelerated"]
    grouper = [acc[c] for c in by] if by else pd.Series("all", index=acc.index, name="group")
    lead = acc.groupby(grouper, observed=True)["lead_months"].agg(["mean", "median"]).astype(float)
    out["mean_lead_months"] = lead["mean"].reindex(out.index)
    out["median_lead_months"] = lead["median"].reindex(out.index)
    out.columns.name = None
    return out.reset_index()


def lead_distribution(comparison: pd.DataFrame) -> pd.DataFrame:
    """Number of accelerated sellers by lead (months earlier under the new rule), for every lead 1..max.

    Leads that no seller has appear with 0, so a chart shows the gaps. Empty when nobody is accelerated.
    """
    acc = comparison.loc[comparison["status"] == "accelerated", "lead_months"].astype(int)
    if acc.empty:
        return pd.DataFrame({"lead_months": pd.Series(dtype=int), "sellers": pd.Series(dtype=int)})
    counts = acc.value_counts().reindex(range(1, int(acc.max()) + 1), fill_value=0)
    return counts.rename_axis("lead_months").reset_index(name="sellers")


def trigger_month_profile(comparison: pd.DataFrame, statuses: tuple[str, ...] = CHANGED) -> pd.DataFrame:
    """New-rule first triggers by calendar month of the year (Jan..Dec), for the given statuses.

    Columns: month_of_year (1..12), month_name, sellers, share (of all such triggers).
    """
    t = comparison.loc[comparison["status"].isin(statuses), "new_trigger"]
    moy = pd.Series(pd.DatetimeIndex(t).month, name="month_of_year")
    counts = moy.value_counts().reindex(range(1, 13), fill_value=0)
    total = counts.sum()
    return pd.DataFrame(
        {
            "month_of_year": range(1, 13),
            "month_name": MONTH_NAMES,
            "sellers": counts.to_numpy(),
            "share": counts.to_numpy() / total if total else np.nan,
        }
    )


def trailing_sales_usd(
    monthly_sales: pd.DataFrame, at: pd.DataFrame, column: str = "new_trigger", months: int = 12
) -> pd.Series:
    """Annualised gross sales in USD over the ``months`` calendar months ending with ``at[column]``, per row of ``at``.

    Months without a sales row count as zero. When the seller's first sales row is later than the window's first
    month (a young seller, or history cut off by the start of the data) only the months from that first row on are
    in the window, and their sum is scaled up to ``months`` months, so a seller is never made to look smaller
    because the data begin late. ``at`` has seller_id, marketplace and a month column; rows with NaT get NaN.
    Converted at ``policy.FX_PER_USD``.
    """
    at = _as_str_keys(at[KEYS + [column]]).reset_index(drop=True)
    s = _as_str_keys(monthly_sales[KEYS + ["month", "gross_sales"]])
    s = s.merge(at[at[column].notna()], on=KEYS, how="inner")
    m = mo.to_month_index(s["month"])
    end = mo.to_month_index(s[column])
    first = pd.Series(m).groupby([s["seller_id"], s["marketplace"]]).transform("min").to_numpy()
    inside = (m <= end) & (m > end - months)
    fx = s["marketplace"].map(policy.usd_per_unit).astype(float)
    s = s.assign(
        usd=np.where(inside, s["gross_sales"].to_numpy() * fx.to_numpy(), 0.0),
        available=np.clip(end - np.maximum(first, end - months + 1) + 1, 1, months),
    )
    g = s.groupby(KEYS, sort=False)
    total = g["usd"].sum() * months / g["available"].first()
    idx = pd.MultiIndex.from_frame(at[KEYS])
    out = pd.Series(total.reindex(idx).to_numpy(), index=at.index, name=f"sales_usd_{months}m")
    return out.where(at[column].notna())


def premium_burden(
    comparison: pd.DataFrame,
    monthly_sales: pd.DataFrame,
    sellers: pd.DataFrame | None = None,
    *,
    annual_premium_usd: float = policy.ANNUAL_PREMIUM_USD,
    statuses: tuple[str, ...] = ("newly_affected",),
) -> pd.DataFrame:
    """Annual premium as a share of each affected seller's sales in its trigger year.

    One row per seller-marketplace of the given statuses: sales_usd_12m (see :func:`trailing_sales_usd`),
    premium_share = annual_premium_usd / sales_usd_12m, plus size_band/category when ``sellers`` has them.
    """
    rows = _as_str_keys(comparison.loc[comparison["status"].isin(statuses), KEYS + ["status", "new_trigger"]])
    rows = rows.reset_index(drop=True)
    rows["sales_usd_12m"] = trailing_sales_usd(monthly_sales, rows).round(2)
    rows["premium_share"] = annual_premium_usd / rows["sales_usd_12m"]
    if sellers is not None:
        cols = [c for c in ("size_band", "category") if c in sellers]
        rows = attach(rows, sellers, cols)
    return rows


def premium_burden_by(burden: pd.DataFrame, by: str = "size_band") -> pd.DataFrame:
    """Median and quartiles of premium_share per group, with the share of sellers paying over 1% of sales."""
    g = burden.groupby(by, observed=True)["premium_share"]
    out = pd.DataFrame(
        {
            "sellers": g.size(),
            "median_premium_share": g.median(),
            "p25_premium_share": g.quantile(0.25),
            "p75_premium_share": g.quantile(0.75),
            "share_over_1pct": g.apply(lambda s: float((s > 0.01).mean()) if len(s) else np.nan),
        }
    )
    return out.reset_index()


# ---------------------------------------------------------------------------------------------------------------
# Per-event helpers for the calendar mode (rules.evaluate_calendar): the 2021 US change and the 2024 wave
# ---------------------------------------------------------------------------------------------------------------
EVENT_STATUSES = ("already_required", "newly_affected", "accelerated", "unchanged", "unaffected")


def _event_counts(rows: pd.DataFrame) -> dict:
    """Status counts, shares of the population (all but already_required) and lead statistics of some rows."""
    status = rows["status"].astype(str)
    counts = {s: int((status == s).sum()) for s in EVENT_STATUSES}
    sellers = int(len(rows))
    population = sellers - counts["already_required"]
    lead = pd.to_numeric(rows.loc[(status == "accelerated").to_numpy(), "lead_months"]).astype(float)
    out = {"sellers": sellers, **counts, "population": population}
    for name in ("newly_affected", "accelerated"):
        out[f"{name}_share"] = counts[name] / population if population else np.nan
    out["changed_share"] = (
        (counts["newly_affected"] + counts["accelerated"]) / population if population else np.nan
    )
    out["median_lead_months"] = float(lead.median()) if len(lead) else np.nan
    out["mean_lead_months"] = float(lead.mean()) if len(lead) else np.nan
    return out


def _check_result(result: pd.DataFrame) -> None:
    missing = [c for c in ("marketplace", "status", "lead_months") if c not in result.columns]
    if missing:
        raise ValueError(
            f"result is missing column(s) {', '.join(missing)} (pass the output of rules.evaluate_calendar)"
        )


def event_summary(result: pd.DataFrame, calendar: policy.Calendar | None = None) -> pd.DataFrame:
    """Who each rule change newly required, and how much earlier, per event and site.

    Events come from the calendar (:meth:`seller_insurance.policy.Calendar.events`: the sites whose change took
    effect in the same calendar year, e.g. "US, September 2021" and "CA, UK and EU, 2024"); sites that never
    changed (MX, JP) belong to no event and are left out.

    Parameters
    ----------
    result : DataFrame
        Output of :func:`seller_insurance.analysis.rules.evaluate_calendar` with the same calendar (marketplace,
        status, lead_months; lead = old trigger - required_from, months).
    calendar : policy.Calendar or None
        The calendar the result was computed with; None: ``policy.DEFAULT_CALENDAR``.

    Returns
    -------
    DataFrame
        One row per (event, site), events in order of their first switch month and sites in calendar order, every
        site of an event listed even with no sellers: ``event``, ``site``, ``switch_month`` ('YYYY-MM'),
        ``sellers`` (seller-sites on that site in ``result``), the five status counts (``already_required``,
        ``newly_affected``, ``accelerated``, ``unchanged``, ``unaffected``), ``population`` (sellers minus
        already_required), ``newly_affected_share``, ``accelerated_share``, ``changed_share`` (of the population;
        NaN when it is empty), ``median_lead_months`` and ``mean_lead_months`` (accelerated sellers; NaN when
        none), and the site's rule: ``threshold`` and ``currency``, ``window_before`` and ``window_after``
        (months), ``claims_cap`` and ``claims_cap_currency``, ``claims_start`` (date; None without a programme).
    """
    _check_result(result)
    cal = calendar if calendar is not None else policy.DEFAULT_CALENDAR
    site = result["marketplace"].astype(str)
    rows = []
    for ev in cal.events():
        for s in ev["sites"]:
            rule = cal.rule(s)
            new = rule.current
            rows.append(
                {
                    "event": ev["event"],
                    "site": s,
                    "switch_month": rule.switch_month,
                    **_event_counts(result[(site == s).to_numpy()]),
                    "threshold": new.threshold,
                    "currency": new.currency,
                    "window_before": rule.old.window_months,
                    "window_after": rule.new_window,
                    "claims_cap": new.claims_cap,
                    "claims_cap_currency": new.claims_cap_currency,
                    "claims_start": new.claims_start,
                }
            )
    return pd.DataFrame(rows)


def event_totals(result: pd.DataFrame, calendar: policy.Calendar | None = None) -> pd.DataFrame:
    """:func:`event_summary` added up per event (one row per event), lead statistics over the event's sellers.

    Parameters
    ----------
    result : DataFrame
        Output of :func:`seller_insurance.analysis.rules.evaluate_calendar`.
    calendar : policy.Calendar or None
        The calendar the result was computed with; None: ``policy.DEFAULT_CALENDAR``.

    Returns
    -------
    DataFrame
        One row per event: ``event``, ``sites`` (comma-separated site codes), ``first_switch_month`` and
        ``last_switch_month`` ('YYYY-MM'), then the counts, shares and lead statistics of :func:`event_summary`
        over all the event's seller-sites (medians are of the pooled sellers, not of the site medians).
    """
    _check_result(result)
    cal = calendar if calendar is not None else policy.DEFAULT_CALENDAR
    site = result["marketplace"].astype(str)
    rows = []
    for ev in cal.events():
        months = sorted(cal.switch_month(s) for s in ev["sites"])
        rows.append(
            {
                "event": ev["event"],
                "sites": ", ".join(ev["sites"]),
                "first_switch_month": months[0],
                "last_switch_month": months[-1],
                **_event_counts(result[site.isin(ev["sites"]).to_numpy()]),
            }
        )
    return pd.DataFrame(rows)


def required_over_time_by_site(
    result: pd.DataFrame, calendar: policy.Calendar | None = None, months_range=None
) -> pd.DataFrame:
    """Seller-sites required each month on every site of an event: as enacted vs the three-month rule kept.

    Cumulative (once required, always required). "As enacted" counts a seller-site from its ``required_from``
    (each site's own rules over time, history counted at its switch month); "three-month rule" from its
    ``old_trigger`` (the rule before any change, kept forever). The gap opening at a site's switch month is that
    site's change.

    Parameters
    ----------
    result : DataFrame
        Output of :func:`seller_insurance.analysis.rules.evaluate_calendar` (marketplace, old_trigger,
        required_from).
    calendar : policy.Calendar or None
        The calendar the result was computed with; None: ``policy.DEFAULT_CALENDAR``.
    months_range : None, (first, last) or a sequence of months
        As in :func:`seller_insurance.analysis.rules.required_over_time` (None: earliest to latest trigger).

    Returns
    -------
    DataFrame
        ``event``, ``marketplace``, ``switch_month`` ('YYYY-MM'), ``month`` (datetime64[s], first of month),
        ``n_required_old``, ``n_required_enacted``, ``n_total`` (seller-sites on the site); events in order, sites
        in calendar order, months ascending. Sites of an event with no seller-site in ``result`` are left out.
    """
    missing = [c for c in ("marketplace", "old_trigger", "required_from") if c not in result.columns]
    if missing:
        raise ValueError(
            f"result is missing column(s) {', '.join(missing)} (pass the output of rules.evaluate_calendar)"
        )
    cal = calendar if calendar is not None else policy.DEFAULT_CALENDAR
    frame = result.assign(marketplace=result["marketplace"].astype(str), new_trigger=result["required_from"])
    series = rules.required_over_time(frame, months_range, by="marketplace")
    series = series.rename(columns={"n_required_new": "n_required_enacted"})
    parts = []
    for ev in cal.events():
        for site in ev["sites"]:
            part = series[series["marketplace"] == site]
            if len(part):
                parts.append(part.assign(event=ev["event"], switch_month=cal.switch_month(site)))
    cols = [
        "event",
        "marketplace",
        "switch_month",
        "month",
        "n_required_old",
        "n_required_enacted",
        "n_total",
    ]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]
