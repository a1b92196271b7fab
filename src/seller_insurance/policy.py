"""Rule parameters and their public sources: the single home of every default.

Every site's rule (threshold and currency, window, date in force, claims cap and programme start, pooling group)
lives in the policy calendar, ``policy_calendar.csv`` next to this module (package data), one row per site and
period with the source of each value; :func:`load_calendar` reads it (or a user's own file) and the per-site
constants below are derived from it, so a site's rule changes in exactly one place: the file. The figures and
quotations are collected in ``docs/policy-facts.md``; the calendar's semantics are in ``docs/policy-calendar.md``.
Code elsewhere imports these names rather than repeating literals.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final

# --- The policy calendar ----------------------------------------------------------------------------------------
CALENDAR_FILE: Final = "policy_calendar.csv"
CALENDAR_COLUMNS: Final = (
    "site",
    "region",
    "in_force",
    "threshold",
    "currency",
    "window_months",
    "claims_cap",
    "claims_cap_currency",
    "claims_start",
    "pool",
    "pool_threshold",
    "pool_currency",
    "source_threshold",
    "source_window",
    "source_in_force",
    "source_claims",
    "source_pool",
)
_REQUIRED = ("site", "threshold", "currency", "window_months")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class CalendarError(ValueError):
    """A policy calendar file that cannot be used; the message names the file, line and column."""


@dataclass(frozen=True)
class SitePeriod:
    """One row of the policy calendar: the rule of one site from one date on.

    ``in_force`` is None for the rule before any recorded change. Money in the site's ``currency`` (threshold) or
    ``claims_cap_currency`` (cap). ``pool``: name of the group whose sites' sales are added together (only used with
    ``pool_eu``), with ``pool_threshold`` in ``pool_currency``. ``sources``: column -> source text. ``line``: line
    number in the file (1-based, for messages).
    """

    site: str
    region: str
    in_force: date | None
    threshold: float
    currency: str
    window_months: int
    claims_cap: float | None = None
    claims_cap_currency: str | None = None
    claims_start: date | None = None
    pool: str | None = None
    pool_threshold: float | None = None
    pool_currency: str | None = None
    sources: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    line: int = 0


@dataclass(frozen=True)
class SiteRule:
    """A site's rule as enacted: the original period (``old``) and the change (``new``, None if it never changed)."""

    site: str
    old: SitePeriod
    new: SitePeriod | None

    @property
    def region(self) -> str:
        """Region label used in event names (e.g. "EU" for the EU stores); the site itself by default."""
        return (self.new or self.old).region

    @property
    def current(self) -> SitePeriod:
        """The latest period: the one in force today."""
        return self.new or self.old

    @property
    def switch_month(self) -> str | None:
        """First calendar month starting on or after the change's date in force ('YYYY-MM'); None: no change.

        A rule in force from D applies to calendar months starting on or after D: 2021-09-01 -> 2021-09,
        2024-04-15 -> 2024-05, 2024-05-29 -> 2024-06.
        """
        if self.new is None:
            return None
        d = self.new.in_force
        year, month = d.year, d.month
        if d.day != 1:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return f"{year:04d}-{month:02d}"

    @property
    def new_window(self) -> int:
        """Window in months from the switch month on (the old window where the site never changed)."""
        return self.current.window_months


@dataclass(frozen=True)
class Calendar:
    """A policy calendar: every site's rules over time, read from one file (:func:`load_calendar`).

    ``source`` names the file (``package:seller_insurance/policy_calendar.csv`` for the shipped one), ``sha256`` is
    the digest of its bytes and ``version`` the ``version:`` note of its first comment line (empty if none), so a
    run's manifest can record exactly which calendar it used.
    """

    periods: tuple[SitePeriod, ...]
    source: str
    sha256: str
    version: str = ""

    @property
    def sites(self) -> tuple[str, ...]:
        """Sites in the order of their first row in the file."""
        return tuple(dict.fromkeys(p.site for p in self.periods))

    def rule(self, site: str) -> SiteRule:
        """The rule of one site; ``KeyError`` naming the calendar for a site it does not list."""
        rows = [p for p in self.periods if p.site == site]
        if not rows:
            raise KeyError(
                f"site {site!r} is not in the policy calendar {self.source} (sites: {', '.join(self.sites)})"
            )
        old = next(p for p in rows if p.in_force is None)
        new = next((p for p in rows if p.in_force is not None), None)
        return SiteRule(site, old, new)

    def switch_month(self, site: str) -> str | None:
        """Switch month ('YYYY-MM') of a site, None when its rule never changed (see :attr:`SiteRule.switch_month`)."""
        return self.rule(site).switch_month

    def events(self) -> list[dict]:
        """The rule changes grouped into events: sites whose change took effect in the same calendar year.

        Returns
        -------
        list of dict, in order of first switch month: ``event`` (label, e.g. "US, September 2021" for one switch
        month, "CA, UK and EU, 2024" for several; sites are named by region, in calendar order), ``year`` (int),
        ``sites`` (tuple of site codes, calendar order). Sites that never changed belong to no event.
        """
        by_year: dict[int, list[str]] = {}
        for site in self.sites:
            month = self.switch_month(site)
            if month is not None:
                by_year.setdefault(int(month[:4]), []).append(site)
        out = []
        for year in sorted(by_year, key=lambda y: min(self.switch_month(s) for s in by_year[y])):
            sites = by_year[year]
            regions = list(dict.fromkeys(self.rule(s).region for s in sites))
            names = regions[0] if len(regions) == 1 else ", ".join(regions[:-1]) + " and " + regions[-1]
            months = {self.switch_month(s) for s in sites}
            if len(months) == 1:
                m = months.pop()
                when = f"{_MONTH_NAMES[int(m[5:]) - 1]} {year}"
            else:
                when = str(year)
            out.append({"event": f"{names}, {when}", "year": year, "sites": tuple(sites)})
        return out

    def frame(self):
        """The calendar as a pandas DataFrame (one row per site and period, the file's columns)."""
        import pandas as pd

        rows = []
        for p in self.periods:
            row = {
                "site": p.site,
                "region": p.region,
                "in_force": p.in_force,
                "switch_month": self.switch_month(p.site) if p.in_force is not None else None,
                "threshold": p.threshold,
                "currency": p.currency,
                "window_months": p.window_months,
                "claims_cap": p.claims_cap,
                "claims_cap_currency": p.claims_cap_currency,
                "claims_start": p.claims_start,
                "pool": p.pool,
                "pool_threshold": p.pool_threshold,
                "pool_currency": p.pool_currency,
            }
            row.update({f"source_{k}": v for k, v in p.sources.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def manifest(self) -> dict:
        """What a run's manifest records about the calendar: source, sha256, version, and each site's switch."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "version": self.version,
            "switch_months": {s: self.switch_month(s) for s in self.sites},
        }


def _parse_date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CalendarError(f"{where}: not a date (expected YYYY-MM-DD): {text!r}") from None


def _parse_money(text: str, where: str) -> float:
    try:
        value = float(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise CalendarError(f"{where}: not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise CalendarError(f"{where}: must be a positive number, got {text!r}")
    return value


def _parse_period(row: dict[str, str], source: str, line: int) -> SitePeriod:
    def where(col: str) -> str:
        return f"{source}, line {line}, column {col!r}"

    for col in _REQUIRED:
        if not row.get(col):
            raise CalendarError(f"{where(col)}: missing value")
    site = row["site"].upper()
    try:
        window = int(row["window_months"])
    except ValueError:
        window = 0
    if window < 1:
        raise CalendarError(
            f"{where('window_months')}: must be a whole number >= 1, got {row['window_months']!r}"
        )
    in_force = _parse_date(row["in_force"], where("in_force")) if row.get("in_force") else None
    cap = cap_cur = claims_start = None
    if row.get("claims_cap"):
        cap = _parse_money(row["claims_cap"], where("claims_cap"))
        cap_cur = (row.get("claims_cap_currency") or "").upper()
        if len(cap_cur) != 3:
            raise CalendarError(f"{where('claims_cap_currency')}: a claims cap needs its currency (ISO code)")
        if not row.get("claims_start"):
            raise CalendarError(f"{where('claims_start')}: a claims cap needs the programme's start date")
        claims_start = _parse_date(row["claims_start"], where("claims_start"))
    pool = row.get("pool") or None
    pool_thr = pool_cur = None
    if pool:
        pool_thr = _parse_money(row.get("pool_threshold") or "", where("pool_threshold"))
        pool_cur = (row.get("pool_currency") or "").upper()
        if len(pool_cur) != 3:
            raise CalendarError(f"{where('pool_currency')}: a pool needs its currency (ISO code)")
    currency = row["currency"].upper()
    if len(currency) != 3:
        raise CalendarError(f"{where('currency')}: expected an ISO currency code, got {row['currency']!r}")
    sources = {c[len("source_") :]: row[c] for c in row if c and c.startswith("source_") and row[c]}
    return SitePeriod(
        site=site,
        region=(row.get("region") or site).upper(),
        in_force=in_force,
        threshold=_parse_money(row["threshold"], where("threshold")),
        currency=currency,
        window_months=window,
        claims_cap=cap,
        claims_cap_currency=cap_cur,
        claims_start=claims_start,
        pool=pool.upper() if pool else None,
        pool_threshold=pool_thr,
        pool_currency=pool_cur,
        sources=MappingProxyType(sources),
        line=line,
    )


def _check_sites(periods: list[SitePeriod], source: str) -> None:
    seen: dict[str, list[SitePeriod]] = {}
    for p in periods:
        seen.setdefault(p.site, []).append(p)
    for site, rows in seen.items():
        originals = [p for p in rows if p.in_force is None]
        changes = [p for p in rows if p.in_force is not None]
        if len(originals) != 1:
            lines = ", ".join(str(p.line) for p in originals) or "none"
            raise CalendarError(
                f"{source}: site {site!r} needs exactly one row with an empty in_force (its original rule); "
                f"found lines {lines}"
            )
        if len(changes) > 1:
            raise CalendarError(
                f"{source}, line {changes[1].line}, column 'in_force': site {site!r} has more than one change "
                "(lines " + ", ".join(str(p.line) for p in changes) + "); one change per site is supported"
            )
        if changes and changes[0].window_months > originals[0].window_months:
            raise CalendarError(
                f"{source}, line {changes[0].line}, column 'window_months': the new window "
                f"({changes[0].window_months}) may not be longer than the old one ({originals[0].window_months})"
            )
        if originals[0].pool:
            raise CalendarError(
                f"{source}, line {originals[0].line}, column 'pool': pooling is supported on a site's change "
                "row only (the rule from its date in force)"
            )
    pools: dict[str, tuple[float, str, int, int]] = {}
    for p in periods:
        if p.pool:
            first = pools.setdefault(p.pool, (p.pool_threshold, p.pool_currency, p.window_months, p.line))
            if first[:2] != (p.pool_threshold, p.pool_currency):
                raise CalendarError(
                    f"{source}, line {p.line}, column 'pool_threshold': pool {p.pool!r} has "
                    f"{p.pool_threshold} {p.pool_currency} here but {first[0]} {first[1]} on line {first[3]}"
                )
            if first[2] != p.window_months:
                raise CalendarError(
                    f"{source}, line {p.line}, column 'window_months': pool {p.pool!r} has a {p.window_months}-month "
                    f"window here but {first[2]} on line {first[3]} (a pool's sites share one window)"
                )


def load_calendar(path: str | Path | None = None) -> Calendar:
    """Read a policy calendar: the shipped one (``path=None``) or a user's own CSV file.

    Parameters
    ----------
    path : str, Path or None
        CSV file with the columns of :data:`CALENDAR_COLUMNS` (``site``, ``threshold``, ``currency`` and
        ``window_months`` required; any ``source_*`` column is kept as a source note). Lines starting with ``#``
        are comments; a ``version: X`` note in the first one is recorded. None reads the package's
        ``policy_calendar.csv``.

    Returns
    -------
    Calendar
        Every row as a :class:`SitePeriod`, with the file's name, sha256 and version.

    Raises
    ------
    CalendarError
        (a ``ValueError``) naming the file, line and column: a missing or non-positive threshold, a window < 1, a
        bad date, a claims cap without currency or start, a site without exactly one original row (empty
        ``in_force``) or with more than one change, a new window longer than the old one, a pool with two
        thresholds or two windows. ``FileNotFoundError`` for a missing file.
    """
    if path is None:
        data = resources.files("seller_insurance").joinpath(CALENDAR_FILE).read_bytes()
        source = f"package:seller_insurance/{CALENDAR_FILE}"
    else:
        data = Path(path).read_bytes()
        source = str(path)
    text = data.decode("utf-8-sig")
    version = ""
    lines = text.splitlines()
    body, numbers = [], []
    for number, line in enumerate(lines, start=1):
        if line.startswith("#"):
            if not version and "version:" in line:
                version = line.split("version:", 1)[1].strip().split(" ")[0].rstrip(".")
            continue
        if line.strip():
            body.append(line)
            numbers.append(number)
    if not body:
        raise CalendarError(f"{source}: no header row")
    reader = csv.DictReader(io.StringIO("\n".join(body)))
    header = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise CalendarError(f"{source}, line {numbers[0]}: missing column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in CALENDAR_COLUMNS and not c.startswith("source_")]
    if unknown:
        raise CalendarError(
            f"{source}, line {numbers[0]}: unknown column(s) {', '.join(unknown)} (known: {', '.join(CALENDAR_COLUMNS)})"
        )
    periods = []
    for i, raw in enumerate(reader, start=1):
        if None in raw:
            raise CalendarError(f"{source}, line {numbers[i]}: more values than columns")
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        periods.append(_parse_period(row, source, numbers[i]))
    if not periods:
        raise CalendarError(f"{source}: no rows")
    _check_sites(periods, source)
    return Calendar(tuple(periods), source, hashlib.sha256(data).hexdigest(), version)


DEFAULT_CALENDAR: Final = load_calendar()

# --- Insurance Threshold by site (local currency, gross proceeds per calendar month) -------------------------
# From the calendar (the rule in force today on each site); sources in its source_threshold column.
DEFAULT_THRESHOLDS: Final = MappingProxyType(
    {site: DEFAULT_CALENDAR.rule(site).current.threshold for site in DEFAULT_CALENDAR.sites}
)

# Currency of each site (ISO 4217); gross_sales in monthly_sales is in this currency.
SITE_CURRENCY: Final = MappingProxyType(
    {site: DEFAULT_CALENDAR.rule(site).current.currency for site in DEFAULT_CALENDAR.sites}
)

KNOWN_MARKETPLACES: Final = tuple(DEFAULT_THRESHOLDS)

# Input without a marketplace column is one marketplace: the US site (rule-engine issue; the 2021 change was US).
DEFAULT_MARKETPLACE: Final = "US"

# --- Windows (single-start mode: the US change applied to every site) ----------------------------------------
# BSA before 2021-09-01: "exceed the applicable Insurance Threshold during each month over any period of three (3)
# consecutive months". From 2021-09-01 (US): "during any month". From the calendar's US rows.
_US: Final = DEFAULT_CALENDAR.rule(DEFAULT_MARKETPLACE)
OLD_RULE_MONTHS: Final = _US.old.window_months
NEW_RULE_MONTHS: Final = _US.new_window

# The month the single-month rule took effect on the US site (2021-09-01 -> 2021-09).
NEW_RULE_START: Final = _US.switch_month

# Comparison: the contract says "exceed" (strict >). Amazon's Aug 2021 notice said "once you reach $10,000";
# ``inclusive=True`` switches to >=. docs/policy-facts.md.
DEFAULT_INCLUSIVE: Final = False

# "within thirty (30) days thereafter": insurance is due on the last day of the trigger month + 30 days.
INSURANCE_DUE_DAYS: Final = 30

# --- Claims ---------------------------------------------------------------------------------------------------
# Seller policy page: "For customer claims of $1000 or less, Amazon will resolve the claim ... and will not request
# reimbursement from you or your insurer if you provide proof of insurance." Press release (2021-08-10): "under
# $1,000". Default: amount <= 1,000 USD; ``strict=True`` gives < cap.
# US cap and programme start from the calendar (each site's own: ``DEFAULT_CALENDAR``, docs/claims.md).
CLAIM_CAP_USD: Final = _US.current.claims_cap
CLAIMS_START: Final = _US.current.claims_start
# Amazon, 2021-08-10: claims under $1,000 "account for more than 80% of cases".
CLAIM_SHARE_UNDER_CAP_TARGET: Final = 0.80
# Claims can reach US$1M (Amazon 2021-08-10; minimum policy limit US$1M per occurrence).
CLAIM_MAX_USD: Final = 1_000_000.0
VALID_CLAIM_STATUSES: Final = ("valid",)
CLAIM_STATUSES: Final = ("valid", "rejected", "pending")
CLAIM_TYPES: Final = ("property_damage", "personal_injury")

# --- Premiums (broker figures; docs/policy-facts.md "Premiums") -------------------------------------------------
# US$1M cover for a small seller: about $500-$2,000 a year. Default: the midpoint of that range.
ANNUAL_PREMIUM_USD: Final = 1_250.0
ANNUAL_PREMIUM_RANGE_USD: Final = (500.0, 2_000.0)


def threshold_for(marketplace: str, threshold: float | dict[str, float] | None = None) -> float:
    """Insurance Threshold for one site, in that site's currency.

    ``threshold`` overrides: a number applies to every site; a mapping overrides the named sites and falls back to
    the defaults for the others. Raises ``KeyError`` for a site with no known threshold.
    """
    if threshold is None:
        return DEFAULT_THRESHOLDS[marketplace]
    if isinstance(threshold, int | float):
        return float(threshold)
    if marketplace in threshold:
        return float(threshold[marketplace])
    return DEFAULT_THRESHOLDS[marketplace]


# --- Currency conversion (for reporting and generation only: rules always compare in the site's own currency) ---
# Units of each currency per US dollar: IRS "Yearly Average Currency Exchange Rates", 2021 (rounded). Used by the
# generator to turn a USD sales scale into local-currency sales, and by reports to put sellers of different sites in
# common USD size bands and to express premiums as a share of sales.
FX_PER_USD: Final = MappingProxyType(
    {
        "USD": 1.0,
        "CAD": 1.254,
        "MXN": 20.284,
        "JPY": 109.817,
        "GBP": 0.727,
        "EUR": 0.845,
        "SEK": 8.584,
        "PLN": 3.862,
    }
)


def usd_per_unit(marketplace: str) -> float:
    """US dollars per unit of the site's currency (IRS 2021 yearly average; see FX_PER_USD)."""
    return 1.0 / FX_PER_USD[SITE_CURRENCY[marketplace]]


# --- Statistics (a method choice, not a rule; kept here so every default has one home) ---
# Groups with fewer valid claims than this get a bootstrap interval for the value share, the others the delta
# method. From about 1,000 claims the two agree to within ~10% of the interval's width (about 0.01) even on
# heavy-tailed severities (tests/test_intervals.py checks 300..2,000; docs/claims.md), and a bootstrap of a
# group below the switch costs at most 1,000 x n_boot draws.
BOOTSTRAP_BELOW: Final = 1_000
