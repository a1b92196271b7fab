"""What-if: the rule comparison recomputed for one set of rule settings (the JupyterLab sliders' engine).

:func:`recompute` is what the interactive notebook calls on every change of a control: it filters the sites,
runs :func:`seller_insurance.analysis.rules.compare_rules` and returns the headline counts, the table by size band
and the required-over-time series. It holds no state and draws nothing, so it is tested like any other function;
the widgets live in :mod:`seller_insurance.publish.whatif_widget`.

Decisions:

- ``threshold`` is one number applied on every selected site in that site's own currency (as
  ``compare_rules(threshold=...)`` does), or ``None`` for each site's default from the policy calendar. Mixing
  sites with a single number is only meaningful for sites in one currency; the widget says so.
- ``start`` (default :data:`seller_insurance.policy.NEW_RULE_START`, the US switch month 2021-09) only decides who
  was ``already_required`` before the change, exactly as in notebook 02's default (non-calendar) mode.
- The settings map onto ``seller-insurance report`` parameters (:meth:`WhatIfSettings.report_params`); the site
  selection has no report parameter (the report covers every site) and is written as a comment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from seller_insurance import months as mo
from seller_insurance import policy
from seller_insurance.analysis import impact, rules


@dataclass(frozen=True)
class WhatIfSettings:
    """One set of rule settings.

    Attributes
    ----------
    threshold : float or None
        Monthly gross sales a seller must exceed (or reach, see ``inclusive``), in each site's local currency;
        ``None``: each site's default (US 10,000 USD; ``policy.DEFAULT_THRESHOLDS``).
    old_months, new_months : int
        Windows of the old and the new rule, in consecutive calendar months (defaults 3 and 1).
    inclusive : bool
        False: sales must *exceed* the threshold (the agreement's word); True: *reach* it.
    sites : tuple of str
        Sites to include; empty: every site in the data.
    as_of : str
        Last month counted (``YYYY-MM``); empty: the last month of the data.
    start : str
        Month the new rule took effect (``YYYY-MM``), for the ``already_required`` status.
    """

    threshold: float | None = None
    old_months: int = policy.OLD_RULE_MONTHS
    new_months: int = policy.NEW_RULE_MONTHS
    inclusive: bool = policy.DEFAULT_INCLUSIVE
    sites: tuple[str, ...] = ()
    as_of: str = ""
    start: str = policy.NEW_RULE_START

    def report_params(self) -> dict[str, Any]:
        """The settings as ``seller-insurance report --params`` keys (notebook 02's parameter names)."""
        return {
            "threshold": self.threshold,
            "old_months": int(self.old_months),
            "new_months": int(self.new_months),
            "inclusive": bool(self.inclusive),
            "rule_start": self.start,
            "end_month": self.as_of,
        }

    def to_yaml(self) -> str:
        """A params file for ``seller-insurance report --params FILE`` (flat YAML, as ``params/default.yaml``)."""
        import yaml

        head = "# What-if settings written from notebook 07 (seller-insurance report --params this-file)\n"
        sites = ", ".join(self.sites) if self.sites else "every site"
        head += f"# sites explored: {sites} (the report covers every site in the data)\n"
        return head + yaml.safe_dump(self.report_params(), sort_keys=False)


@dataclass(frozen=True)
class WhatIfData:
    """Sales and sellers prepared once for many recomputes (:func:`prepare`).

    Attributes
    ----------
    sales : pandas.DataFrame
        seller_id and marketplace as categoricals (the rule engine then skips factorising strings per call).
    sellers : pandas.DataFrame or None
        Keys and ``size_band``, keys with the same categories as ``sales`` so the band join is cheap.
    sites : tuple of str
        Sites in the data, sorted.
    months : tuple of str
        First and last month of the data (``YYYY-MM``).
    """

    sales: pd.DataFrame
    sellers: pd.DataFrame | None
    sites: tuple[str, ...]
    months: tuple[str, str]


def prepare(sales: pd.DataFrame, sellers: pd.DataFrame | None = None) -> WhatIfData:
    """Prepare a run's tables for :func:`recompute` (string keys to categoricals; done once, about 1 s at 100k).

    Parameters
    ----------
    sales : pandas.DataFrame
        Monthly sales: seller_id, marketplace, month, gross_sales (local currency).
    sellers : pandas.DataFrame, optional
        With seller_id, marketplace and size_band; other columns are dropped.
    """
    sales = sales.copy()
    for key in ("seller_id", "marketplace"):
        sales[key] = sales[key].astype(str).astype("category")
    band = None
    if sellers is not None and "size_band" in sellers.columns:
        band = sellers[["seller_id", "marketplace", "size_band"]].copy()
        for key in ("seller_id", "marketplace"):
            band[key] = pd.Categorical(band[key].astype(str), categories=sales[key].cat.categories)
        band = band.dropna(subset=["seller_id", "marketplace"])
    span = ("", "")
    if len(sales):
        index = mo.to_month_index(sales["month"])
        span = tuple(str(m) for m in mo.format_month([index.min(), index.max()]))
    sites = tuple(sorted(str(s) for s in sales["marketplace"].unique()))
    return WhatIfData(sales, band, sites, span)


@dataclass
class WhatIfResult:
    """What one recompute returns.

    Attributes
    ----------
    settings : WhatIfSettings
    headline : dict
        ``impact_table`` overall row as a dict: population, already_required, newly_affected, accelerated,
        unchanged, unaffected, the shares and mean/median lead (months).
    by_band : pandas.DataFrame
        ``impact_table`` by ``size_band`` (empty when the sellers table has no ``size_band``).
    over_time : pandas.DataFrame
        ``rules.required_over_time`` (month, n_required_old, n_required_new, n_total).
    seconds : float
        Wall-clock time of the recompute (comparison, tables and series), in seconds.
    """

    settings: WhatIfSettings
    headline: dict[str, Any]
    by_band: pd.DataFrame
    over_time: pd.DataFrame
    seconds: float = field(default=0.0)


def recompute(data: WhatIfData, settings: WhatIfSettings) -> WhatIfResult:
    """The rule comparison for ``settings``: headline counts, the size-band table and the monthly series.

    Parameters
    ----------
    data : WhatIfData
        From :func:`prepare`.
    settings : WhatIfSettings

    Returns
    -------
    WhatIfResult
        With no sales left after the site filter, every count is 0 and the tables are empty (never an error:
        a user may pick a site the data do not have).

    Raises
    ------
    ValueError
        ``new_months > old_months`` or a window below 1 (from ``compare_rules``).
    """
    t0 = time.perf_counter()
    sales, sellers = data.sales, data.sellers
    if settings.sites:
        sales = sales[sales["marketplace"].isin(settings.sites)]
    comparison = rules.compare_rules(
        sales,
        old_months=int(settings.old_months),
        new_months=int(settings.new_months),
        threshold=settings.threshold,
        inclusive=bool(settings.inclusive),
        start=settings.start or None,
        end=settings.as_of or None,
    )
    overall = impact.impact_table(comparison)
    headline = overall.iloc[0].drop(labels=["group"], errors="ignore").to_dict() if len(overall) else {}
    for key in ("population", *rules.STATUSES):
        headline[key] = int(headline.get(key, 0))
    has_band = sellers is not None and len(comparison) > 0
    by_band = impact.impact_table(comparison, "size_band", sellers) if has_band else pd.DataFrame()
    over_time = rules.required_over_time(comparison) if len(comparison) else pd.DataFrame()
    return WhatIfResult(settings, headline, by_band, over_time, time.perf_counter() - t0)
