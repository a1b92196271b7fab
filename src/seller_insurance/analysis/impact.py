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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seller_insurance import months as mo
from seller_insurance import policy
from seller_insurance.analysis import distributed, rules
from seller_insurance.analysis.metrics import metric as metric_entry

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


# ---------------------------------------------------------------------------------------------------------------
# Notebook 02's findings: every number, table and verdict it shows, in one call
# ---------------------------------------------------------------------------------------------------------------
Q4_FIRST_MONTH = 10  # October: the fourth quarter is months 10-12


def compare(
    sales: pd.DataFrame,
    calendar: policy.Calendar | None = None,
    *,
    old_months: int = policy.OLD_RULE_MONTHS,
    new_months: int = 1,
    threshold: float | dict | None = None,
    inclusive: bool = policy.DEFAULT_INCLUSIVE,
    start: str | None = policy.NEW_RULE_START,
    end: str | None = None,
    pool_eu: bool = False,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """The rule comparison of notebooks 02 and 03: each site under its own rules, or one start for every site.

    Parameters
    ----------
    sales : pandas.DataFrame
        Monthly sales (seller_id, marketplace, month, gross_sales in the site's currency).
    calendar : policy.Calendar or None
        Calendar mode (:func:`seller_insurance.analysis.rules.evaluate_calendar`, in-process) with this calendar;
        None: one-start mode (:func:`seller_insurance.analysis.rules.compare_rules` with ``start`` on every site).
    old_months, new_months, threshold, start
        One-start mode only: the windows (months), the threshold (None: each site's default; a number: every
        site, in the site's currency) and the month the new rule took effect ('YYYY-MM').
    inclusive : bool
        False: sales must exceed the threshold; True: reach it.
    end : 'YYYY-MM' or None
        Last month considered. None: in calendar mode the last month of ``sales``, in one-start mode every month.
    pool_eu : bool
        Calendar mode only: EU pooling (see ``evaluate_calendar``).
    scheduler : str or None
        One-start mode only: run the rule engine on Dask (``"local"`` or ``tcp://host:8786``, see
        :func:`seller_insurance.analysis.distributed.client_for`); None or "": plain pandas.

    Returns
    -------
    pandas.DataFrame
        One row per seller-marketplace with old_trigger, new_trigger, status and lead_months (and, in calendar
        mode, required_from and the site's switch month).
    """
    if calendar is not None:
        end = end or _month_bounds(sales)[1]
        return rules.evaluate_calendar(sales, calendar, inclusive=inclusive, end=end, pool_eu=pool_eu)
    kw = {
        "old_months": old_months,
        "new_months": new_months,
        "threshold": threshold,
        "inclusive": inclusive,
        "start": start,
        "end": end,
    }
    with distributed.client_for(scheduler or None) as client:  # None: plain pandas, no cluster
        return distributed.compare_rules_dask(sales, **kw) if client else rules.compare_rules(sales, **kw)


def _month_bounds(sales: pd.DataFrame) -> tuple[str, str]:
    """First and last month of the sales rows, as 'YYYY-MM'."""
    index = mo.to_month_index(sales["month"])
    first, last = mo.format_month([index.min(), index.max()])
    return str(first), str(last)


@dataclass
class ImpactFindings:
    """Everything notebook 02 shows and records (:func:`findings`).

    Counts are of seller-marketplaces ("sellers"; "seller-sites" in calendar mode), shares are of those not already
    required (0..1; NaN when there are none), leads are in months.

    Attributes
    ----------
    comparison : pandas.DataFrame
        The rule comparison (:func:`compare`).
    calendar_mode : bool
        True when each site is under its own rules from the calendar.
    overall : pandas.Series
        The one row of :func:`impact_table` over everyone (population, status counts, shares, lead statistics).
    events, event_totals : pandas.DataFrame or None
        Calendar mode: :func:`event_summary` (one row per event and site) and :func:`event_totals` (one row per
        event); None in one-start mode.
    site_series : list of dict
        Calendar mode: one entry per (event, site) with seller-sites, in event and calendar order: ``event``,
        ``site``, ``switch_month`` ('YYYY-MM'), ``newly_affected`` and ``accelerated`` (from ``events``) and
        ``series`` (:func:`required_over_time_by_site` for that site, from the first month of the data to the end
        month). Empty in one-start mode.
    by_band, by_category, by_marketplace : pandas.DataFrame
        :func:`impact_table` by size band, category (raw category codes) and marketplace.
    top_band : str or None
        The size band with the most newly affected sellers (the first such band on a tie; None without bands).
    category_changed_range : tuple of float
        Lowest and highest ``changed_share`` over the categories (NaN, NaN without categories).
    profile : pandas.DataFrame
        :func:`trigger_month_profile` of the newly affected and accelerated.
    q4_share : float
        Share of those first triggers in October-December (0.0 when nobody was newly affected or accelerated).
    peak_month, peak_sellers
        The calendar month ("Jan".."Dec") with the most first triggers and their number (January, 0 when none).
    over_time : pandas.DataFrame
        :func:`seller_insurance.analysis.rules.required_over_time` over every month of the data (calendar mode:
        the new rule is each site's rules as enacted, ``required_from``).
    last_month : pandas.Timestamp
        The last month of ``over_time``.
    required_new_last, required_old_last : int
        Sellers required in that month under the new rule (or as enacted) and under the old rule.
    leads : pandas.DataFrame
        :func:`lead_distribution` (empty when nobody is accelerated).
    burden, burden_by_band : pandas.DataFrame
        :func:`premium_burden` of the newly affected and :func:`premium_burden_by` size band.
    median_burden : float
        Median premium as a share of a year's sales over the newly affected (NaN when nobody is newly affected).
    metrics : dict
        ``metrics.json`` entries (``value``, ``label``, ``format``, ``unit``) of the ``rules`` section.
    """

    comparison: pd.DataFrame
    calendar_mode: bool
    overall: pd.Series
    events: pd.DataFrame | None
    event_totals: pd.DataFrame | None
    site_series: list[dict]
    by_band: pd.DataFrame
    by_category: pd.DataFrame
    by_marketplace: pd.DataFrame
    top_band: str | None
    category_changed_range: tuple[float, float]
    profile: pd.DataFrame
    q4_share: float
    peak_month: str
    peak_sellers: int
    over_time: pd.DataFrame
    last_month: pd.Timestamp
    required_new_last: int
    required_old_last: int
    leads: pd.DataFrame
    burden: pd.DataFrame
    burden_by_band: pd.DataFrame
    median_burden: float
    metrics: dict[str, dict] = field(default_factory=dict)

    def event_total(self, event: str) -> pd.Series:
        """The :func:`event_totals` row of one event (calendar mode; ``KeyError`` for an unknown event)."""
        rows = (
            self.event_totals[self.event_totals["event"] == event] if self.event_totals is not None else None
        )
        if rows is None or rows.empty:
            raise KeyError(event)
        return rows.iloc[0]

    def event_sites(self, event: str, *, with_sellers: bool = False) -> pd.DataFrame:
        """The :func:`event_summary` rows of one event; only sites with seller-sites when ``with_sellers``.

        Empty in one-start mode or for an unknown event.
        """
        if self.events is None:
            return pd.DataFrame()
        keep = self.events["event"] == event
        if with_sellers:
            keep &= self.events["sellers"] > 0
        return self.events[keep]


def findings(
    sales: pd.DataFrame,
    sellers: pd.DataFrame,
    calendar: policy.Calendar | None = None,
    *,
    old_months: int = policy.OLD_RULE_MONTHS,
    new_months: int = 1,
    threshold: float | dict | None = None,
    inclusive: bool = policy.DEFAULT_INCLUSIVE,
    start: str | None = policy.NEW_RULE_START,
    end: str | None = None,
    pool_eu: bool = False,
    scheduler: str | None = None,
    annual_premium_usd: float = policy.ANNUAL_PREMIUM_USD,
    rule_names: tuple[str, str] = ("the new rule", "the old rule"),
) -> ImpactFindings:
    """Notebook 02's numbers, tables and verdicts in one call (the notebook only displays them).

    Parameters
    ----------
    sales, sellers : pandas.DataFrame
        The run's monthly sales and sellers (size_band and category per seller-marketplace).
    calendar : policy.Calendar or None
        Each site under its own rules from this calendar; None: one ``start`` for every site.
    old_months, new_months, threshold, inclusive, start, end, pool_eu, scheduler
        As in :func:`compare` (``end`` None in calendar mode: the last month of ``sales``).
    annual_premium_usd : float
        Annual premium in USD for the burden (:func:`premium_burden`).
    rule_names : tuple of str
        The new and the old rule as the metric labels name them ("the single-month rule", ...); text only.

    Returns
    -------
    ImpactFindings
        Empty tables, zero counts and NaN shares where nobody is in a group (no accelerated seller: empty
        ``leads`` and NaN median lead; no newly affected seller: empty ``burden`` and NaN ``median_burden``).
    """
    first, last = _month_bounds(sales)
    if calendar is not None:
        end = end or last
    comparison = compare(
        sales,
        calendar,
        old_months=old_months,
        new_months=new_months,
        threshold=threshold,
        inclusive=inclusive,
        start=start,
        end=end,
        pool_eu=pool_eu,
        scheduler=scheduler,
    )
    overall = impact_table(comparison).iloc[0]
    events = totals = None
    site_series: list[dict] = []
    if calendar is not None:
        events = event_summary(comparison, calendar)
        totals = event_totals(comparison, calendar)
        by_site = required_over_time_by_site(comparison, calendar, months_range=(first, end))
        for (event, site), part in by_site.groupby(["event", "marketplace"], sort=False):
            row = events[(events["event"] == event) & (events["site"] == site)].iloc[0]
            site_series.append(
                {
                    "event": event,
                    "site": site,
                    "switch_month": part["switch_month"].iloc[0],
                    "newly_affected": int(row["newly_affected"]),
                    "accelerated": int(row["accelerated"]),
                    "series": part,
                }
            )
    by_band = impact_table(comparison, by="size_band", sellers=sellers)
    by_category = impact_table(comparison, by="category", sellers=sellers)
    by_marketplace = impact_table(comparison, by="marketplace")
    top_band = str(by_band.loc[by_band["newly_affected"].idxmax(), "size_band"]) if len(by_band) else None
    changed = by_category["changed_share"]
    profile = trigger_month_profile(comparison)
    q4 = float(profile.loc[profile["month_of_year"] >= Q4_FIRST_MONTH, "share"].sum())
    peak = profile.loc[profile["sellers"].idxmax()]
    over_time = rules.required_over_time(
        comparison.assign(new_trigger=comparison["required_from"]) if calendar is not None else comparison,
        (first, last),  # every month of the data, zeros where nobody is required
    )
    final = over_time.iloc[-1]
    leads = lead_distribution(comparison)
    burden = premium_burden(comparison, sales, sellers, annual_premium_usd=annual_premium_usd)
    burden_by_band = premium_burden_by(burden, "size_band")
    median_burden = float(burden["premium_share"].median()) if len(burden) else float("nan")
    new_rule, old_rule = rule_names
    metrics = {
        "population": metric_entry(
            overall.population, "sellers not already required at the start", ",.0f", "sellers"
        ),
        "already_required": metric_entry(
            overall.already_required, "sellers already required before the start", ",.0f", "sellers"
        ),
        "newly_affected": metric_entry(
            overall.newly_affected, f"sellers newly required by {new_rule}", ",.0f", "sellers"
        ),
        "newly_affected_share": metric_entry(
            overall.newly_affected_share, "of sellers newly required", ".1%", "share"
        ),
        "accelerated": metric_entry(overall.accelerated, "sellers required earlier", ",.0f", "sellers"),
        "accelerated_share": metric_entry(
            overall.accelerated_share, "of sellers required earlier", ".1%", "share"
        ),
        "median_lead_months": metric_entry(
            overall.median_lead_months, "months earlier (median)", ".0f", "months"
        ),
        "q4_trigger_share": metric_entry(q4, "of first triggers in Oct-Dec", ".0%", "share"),
        "required_new_last": metric_entry(
            final["n_required_new"], f"sellers required, {new_rule.removeprefix('the ')}", ",.0f", "sellers"
        ),
        "required_old_last": metric_entry(
            final["n_required_old"], f"sellers required, {old_rule.removeprefix('the ')}", ",.0f", "sellers"
        ),
        "median_premium_share": metric_entry(
            median_burden, "of a year's sales goes to the premium (median)", ".2%", "share"
        ),
    }
    return ImpactFindings(
        comparison=comparison,
        calendar_mode=calendar is not None,
        overall=overall,
        events=events,
        event_totals=totals,
        site_series=site_series,
        by_band=by_band,
        by_category=by_category,
        by_marketplace=by_marketplace,
        top_band=top_band,
        category_changed_range=(float(changed.min()), float(changed.max()))
        if len(changed)
        else (np.nan, np.nan),
        profile=profile,
        q4_share=q4,
        peak_month=str(peak["month_name"]),
        peak_sellers=int(peak["sellers"]),
        over_time=over_time,
        last_month=pd.Timestamp(over_time["month"].iloc[-1]),
        required_new_last=int(final["n_required_new"]),
        required_old_last=int(final["n_required_old"]),
        leads=leads,
        burden=burden,
        burden_by_band=burden_by_band,
        median_burden=median_burden,
        metrics=metrics,
    )
