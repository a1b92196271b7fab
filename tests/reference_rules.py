"""A deliberately simple reference implementation of the insurance rules, for the tests only.

Plain Python: group the rows per (seller_id, marketplace) into a dict month -> sales, then walk every calendar
month from the first row to the last (or to ``end``), counting the streak of months over the threshold. Slow and
obviously correct; it shares no code with ``seller_insurance.analysis.rules`` (only the policy defaults, which are data).
"""

from __future__ import annotations

import calendar
import datetime as dt

from seller_insurance.policy import DEFAULT_THRESHOLDS, INSURANCE_DUE_DAYS


def month_number(value) -> int:
    """Months since year 0 of anything with .year and .month (Timestamp, date, datetime)."""
    return value.year * 12 + value.month - 1


def month_start(number: int) -> dt.date:
    return dt.date(number // 12, number % 12 + 1, 1)


def site_threshold(site: str, threshold) -> float:
    if threshold is None:
        return DEFAULT_THRESHOLDS[site]
    if isinstance(threshold, dict):
        return threshold[site] if site in threshold else DEFAULT_THRESHOLDS[site]
    return threshold


def first_trigger(history: dict[int, float], months: int, limit: float, inclusive: bool, end: int | None):
    """First month number whose ``months`` calendar months up to it each count; None if there is none."""
    if not history:
        return None
    last = max(history) if end is None else min(max(history), end)
    streak = 0
    for month in range(min(history), last + 1):
        sales = history.get(month, 0.0)  # no row = zero sales
        counts = sales >= limit if inclusive else sales > limit
        streak = streak + 1 if counts else 0
        if streak >= months:
            return month
    return None


def due_date(number: int) -> dt.date:
    year, month = number // 12, number % 12 + 1
    last_day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return last_day + dt.timedelta(days=INSURANCE_DUE_DAYS)


def reference_compare(
    rows, *, old_months=3, new_months=1, threshold=None, inclusive=False, start=None, end=None
):
    """rows: iterable of (seller_id, marketplace, month as date/Timestamp, gross_sales).

    start/end: month numbers (``month_number``) or None. Returns a dict (seller_id, marketplace) -> result dict.
    """
    histories: dict[tuple, dict[int, float]] = {}
    for seller, site, month, sales in rows:
        histories.setdefault((seller, site), {})[month_number(month)] = sales
    out = {}
    for (seller, site), history in histories.items():
        limit = site_threshold(site, threshold)
        old = first_trigger(history, old_months, limit, inclusive, end)
        new = first_trigger(history, new_months, limit, inclusive, end)
        if start is not None and old is not None and old < start:
            status = "already_required"
        elif new is None:
            status = "unaffected"
        elif old is None:
            status = "newly_affected"
        elif new < old:
            status = "accelerated"
        else:
            status = "unchanged"
        out[(seller, site)] = {
            "old_trigger": None if old is None else month_start(old),
            "new_trigger": None if new is None else month_start(new),
            "status": status,
            "lead_months": None if old is None or new is None else old - new,
            "old_insurance_due": None if old is None else due_date(old),
            "new_insurance_due": None if new is None else due_date(new),
        }
    return out


def reference_required_over_time(results: dict, months: list[int]) -> list[tuple[int, int, int]]:
    """(month number, n required old, n required new) for each listed month: trigger month <= that month."""
    series = []
    for month in months:
        n_old = sum(
            1 for r in results.values() if r["old_trigger"] and month_number(r["old_trigger"]) <= month
        )
        n_new = sum(
            1 for r in results.values() if r["new_trigger"] and month_number(r["new_trigger"]) <= month
        )
        series.append((month, n_old, n_new))
    return series


# --- Calendar mode (docs/policy-calendar.md): a month-by-month simulation, no shared code with the engine ---------
def switch_number(in_force) -> int | None:
    """Month number of the first calendar month starting on or after the date in force (None: no change)."""
    if in_force is None:
        return None
    number = month_number(in_force)
    return number if in_force.day == 1 else number + 1


def reference_calendar(rows, calendar, *, inclusive=False, end=None, pool_eu=False, fx_per_usd=None):
    """rows: iterable of (seller_id, marketplace, month, gross_sales); calendar: a ``policy.Calendar`` (data only).

    end: month number or None. Each seller-site is simulated month by month from its first row (it does not exist
    before) to ``end``: required in month M if M is before the site's switch month S and the old window has
    triggered by M, or M >= S and the new window (history included) has triggered by M. With ``pool_eu``, a pool
    site's new window runs on the seller's pooled sales (all the pool's sites, converted to the pool currency), and
    the seller-site's new trigger is the later of that pooled trigger and its own first row. Returns
    (seller_id, marketplace) -> dict of old_trigger, new_trigger, status, lead_months, switch_month, required_from,
    insurance_due (dates / ints / None).
    """
    histories: dict[tuple, dict[int, float]] = {}
    for seller, site, month, sales in rows:
        histories.setdefault((seller, site), {})[month_number(month)] = sales
    periods = {}
    for p in calendar.periods:
        periods.setdefault(p.site, {})["new" if p.in_force is not None else "old"] = p
    out = {}
    for (seller, site), history in histories.items():
        old_p, new_p = periods[site]["old"], periods[site].get("new")
        s = switch_number(new_p.in_force) if new_p is not None else None
        if s is not None and end is not None and s > end:
            s = None
        old = first_trigger(history, old_p.window_months, old_p.threshold, inclusive, end)
        if s is None:
            new = old
        elif pool_eu and new_p.pool:
            # The seller's sales on every site of the pool, in the pool's currency, added month by month; the
            # pooled trigger is the seller's, and this seller-site exists from its own first row on.
            pooled: dict[int, float] = {}
            for (other_seller, other_site), other in histories.items():
                other_new = periods[other_site].get("new")
                if other_seller != seller or other_new is None or other_new.pool != new_p.pool:
                    continue
                rate = fx_per_usd[new_p.pool_currency] / fx_per_usd[other_new.currency]
                for month, value in other.items():
                    pooled[month] = pooled.get(month, 0.0) + value * rate
            seller_trigger = first_trigger(pooled, new_p.window_months, new_p.pool_threshold, inclusive, end)
            new = None if seller_trigger is None else max(seller_trigger, min(history))
            if new is not None and end is not None and new > end:
                new = None
        else:
            new = first_trigger(history, new_p.window_months, new_p.threshold, inclusive, end)
        required = None
        last = max([*history, *(m for m in (s, new) if m is not None)])
        if end is not None:
            last = min(last, end)
        for month in range(min(history), last + 1):
            if s is None or month < s:
                now = old is not None and old <= month
            else:
                now = new is not None and new <= month
            if now:
                required = month
                break
        if s is not None and old is not None and old < s:
            status = "already_required"
        elif required is None:
            status = "unaffected"
        elif old is None:
            status = "newly_affected"
        elif required < old:
            status = "accelerated"
        else:
            status = "unchanged"
        out[(seller, site)] = {
            "old_trigger": None if old is None else month_start(old),
            "new_trigger": None if new is None else month_start(new),
            "status": status,
            "lead_months": None
            if old is None or required is None or status == "already_required"
            else old - required,
            "switch_month": None if s is None else month_start(s),
            "required_from": None if required is None else month_start(required),
            "insurance_due": None if required is None else due_date(required),
        }
    return out
