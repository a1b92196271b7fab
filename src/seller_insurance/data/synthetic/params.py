"""Parameters of the synthetic data generator: every knob, its default and where the default comes from.

Public figures are in ``docs/policy-facts.md``; modelling choices (no public figure) are marked "choice".
``docs/generator.md`` explains the model and shows the calibration table (target vs generated).

Money is in US dollars unless a name says otherwise; months are ``"YYYY-MM"`` calendar months.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seller_insurance import policy
from seller_insurance.months import parse_month

# Relative weights of sites in the seller population (choice: the US store is the largest and the 2021 rule's
# home; Europe's big five, Japan and Canada follow). Only the sites in ``GeneratorParams.marketplaces`` are
# used, with their weights renormalised to sum to one.
DEFAULT_MARKETPLACE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("US", 0.60),
    ("UK", 0.10),
    ("DE", 0.10),
    ("CA", 0.05),
    ("JP", 0.05),
    ("FR", 0.04),
    ("IT", 0.03),
    ("ES", 0.03),
    ("MX", 0.02),
    ("NL", 0.01),
    ("SE", 0.01),
    ("PL", 0.01),
    ("BE", 0.01),
)
DEFAULT_MARKETPLACES: tuple[str, ...] = ("US", "UK", "DE", "CA", "JP", "FR", "IT", "ES")

# Fixed FX rates, local currency per US dollar: policy.FX_PER_USD (IRS "Yearly Average Currency Exchange Rates",
# 2021). Sales are generated on a USD scale and converted with these rates, so a seller's size means the same on
# every site; the rule engine compares local-currency sales with the site's threshold.
DEFAULT_FX_PER_USD: tuple[tuple[str, float], ...] = tuple(
    (site, policy.FX_PER_USD[policy.SITE_CURRENCY[site]]) for site in policy.KNOWN_MARKETPLACES
)

# Categories: (name, share of sellers, claim risk multiplier, mean order value USD). Choice, guided by broker
# premium notes (docs/policy-facts.md "Premiums": higher for electronics, cosmetics, supplements; lower for
# clothing and books). Risk multiplies the claim rate per unit sold.
DEFAULT_CATEGORIES: tuple[tuple[str, float, float, float], ...] = (
    ("home_kitchen", 0.18, 1.2, 35.0),
    ("clothing", 0.14, 0.5, 30.0),
    ("electronics", 0.10, 1.6, 60.0),
    ("beauty_personal_care", 0.10, 1.4, 22.0),
    ("sports_outdoors", 0.09, 1.1, 40.0),
    ("toys_games", 0.08, 1.5, 25.0),
    ("books_media", 0.08, 0.2, 15.0),
    ("tools_home_improvement", 0.08, 1.3, 45.0),
    ("pet_supplies", 0.08, 1.0, 28.0),
    ("health_supplements", 0.07, 1.8, 30.0),
)

# Seasonal shape by calendar month (Jan..Dec), before growth. The targets are the aggregate's: Q4 = 29.6% of
# the year (US Census, e-commerce 2021, not seasonally adjusted: a figure that includes the year's growth),
# December the peak month (Census retail), a July bump for Prime Day. Because the generated population grows
# within a year (seller growth, launches), the input shape is flatter than the target: it was tuned (one
# multiplicative step, 6 seeds x 100k sellers, default parameters) so the generated aggregate hits the
# targets; calibration_table checks the result. Sums to 1.
DEFAULT_MONTH_PROFILE: tuple[float, ...] = (
    0.0822,
    0.0762,
    0.0828,
    0.0798,
    0.0812,
    0.0781,
    0.0867,
    0.0779,
    0.0753,
    0.0789,
    0.0947,
    0.1062,
)
# Profile of "holiday" sellers (gifts, decorations): most sales in November and December (choice). They exceed
# a monthly threshold in December only, so the single-month rule catches them and the three-month rule does
# not.
DEFAULT_HOLIDAY_PROFILE: tuple[float, ...] = (
    0.045,
    0.045,
    0.045,
    0.045,
    0.045,
    0.045,
    0.055,
    0.045,
    0.05,
    0.08,
    0.18,
    0.32,
)


def _pairs(value: Any, what: str, width: int = 2) -> tuple:
    """Normalise a mapping or a sequence of rows into a tuple of tuples (hashable, JSON-friendly)."""
    if isinstance(value, Mapping):
        rows = [(k, *(v if isinstance(v, list | tuple) else (v,))) for k, v in value.items()]
    else:
        rows = [tuple(r) for r in value]
    for r in rows:
        if len(r) != width:
            raise ValueError(f"{what}: each entry needs {width} values, got {r!r}")
    return tuple(tuple(r) for r in rows)


@dataclass(frozen=True)
class GeneratorParams:
    """Every knob of the generator (defaults documented in ``docs/generator.md``).

    Same parameters (including ``seed`` and ``chunk_size``) give byte-identical Parquet files.
    """

    # --- population and window ---
    n_sellers: int = 100_000
    start_month: str = "2019-01"  # first calendar month of monthly_sales
    n_months: int = 72  # 2019-01..2024-12: both rule changes (US 2021-09; CA, UK and EU 2024) with history
    seed: int = 20210901
    marketplaces: tuple[str, ...] = DEFAULT_MARKETPLACES
    marketplace_weights: tuple[tuple[str, float], ...] = DEFAULT_MARKETPLACE_WEIGHTS
    fx_per_usd: tuple[tuple[str, float], ...] = DEFAULT_FX_PER_USD
    categories: tuple[tuple[str, float, float, float], ...] = DEFAULT_CATEGORIES
    fba_share: float = 0.65  # choice: share of sellers using Fulfilled by Amazon (attribute only)

    # --- annual sales scale (USD, the 12 months of the calibration window) ---
    # Amazon Small Business Empowerment Report 2021 (12 months to 2021-08-31): ~13% of US sellers above $100k,
    # ~5.4% above $500k, average above $200k (target 230k: "above 200k", up from ~170k a year earlier).
    share_above_100k: float = 0.13
    share_above_500k: float = 0.054
    mean_annual_sales_usd: float = 230_000.0
    body_median_usd: float = 6_000.0  # choice: median of the body (< $100k) before truncation
    body_sigma: float = 1.6  # choice: log-sd of the body
    max_annual_sales_usd: float = 100_000_000.0  # choice: truncation of the Pareto tail (largest seller)
    calibration_window_end: str = "2021-08"  # last month of the report's 12-month window

    # --- seasonality ---
    month_profile: tuple[float, ...] = DEFAULT_MONTH_PROFILE
    holiday_profile: tuple[float, ...] = DEFAULT_HOLIDAY_PROFILE
    holiday_share: float = 0.05  # choice: share of sellers with the holiday profile
    q4_share: float = 0.296  # target: US Census e-commerce 2021, Q4 share of annual sales
    july_bump: float = 1.10  # target (choice): July / mean(June, August), Prime Day

    # --- monthly noise, orders and units ---
    monthly_noise_sigma: float = 0.35  # choice: log-sd of month-to-month demand noise (mean-one lognormal)
    order_value_sigma: float = 0.30  # choice: log-sd of a seller's mean order value around its category's
    price_noise_sigma: float = 0.10  # choice: log-sd of the month's average price around the seller's
    max_units_per_order: float = 1.6  # choice: units per order uniform on [1, this] per seller
    dormant_month_prob: float = (
        0.02  # choice: chance an active month has no sales at all (stock-out, vacation)
    )

    # --- launches, growth, churn ---
    existing_share: float = 0.5  # choice: share of sellers already selling before start_month
    existing_max_age_months: int = (
        72  # choice: launch of existing sellers uniform over this many months before
    )
    ramp_months: float = 3.0  # choice: new sellers ramp up as 1 - exp(-(age + 1) / ramp_months)
    growth_mean: float = 0.10  # choice: mean log growth per year (report: average sales ~170k -> ~200k+)
    growth_sd: float = 0.30  # choice: log-sd of growth per year across sellers
    # Marketplace Pulse: of ~3,300 new sellers a day, ~60% still active; 1.5%/month leaves ~58% after 3 years.
    churn_monthly_hazard: float = 0.015

    # --- claims ---
    claim_rate_per_unit: float = 5e-5  # choice: claims per unit sold at risk 1.0 (no public figure)
    personal_injury_share: float = 0.12  # choice: share of claims that are personal injury
    claim_share_le_cap: float = 0.82  # Amazon 2021-08-10: claims under $1,000 are "more than 80% of cases"
    claim_body_median_usd: float = 150.0  # choice: lognormal body of the severity
    claim_body_sigma: float = 1.0
    claim_tail_scale_usd: float = 1_000.0  # choice: Pareto (Lomax) tail scale and index
    claim_tail_alpha: float = 1.2
    claim_max_usd: float = policy.CLAIM_MAX_USD  # claims reach $1M (Amazon 2021-08-10): truncation point
    rejected_share: float = 0.12  # choice (no public figure): claims screened out as fraudulent/unsupported
    pending_share: float = 0.02  # choice: claims still pending long after filing
    pending_recent_days: int = 60  # claims filed in the last 60 days of the window are often still pending
    pending_recent_share: float = 0.5

    # --- mechanics ---
    chunk_size: int = (
        100_000  # sellers per chunk; each chunk has its own RNG stream (part of the output's key)
    )

    def __post_init__(self) -> None:
        # normalise list/dict inputs (from YAML or JSON) into tuples so instances compare and hash
        norm = {
            "marketplaces": tuple(
                str(m).strip().upper()
                for m in (
                    self.marketplaces.split(",") if isinstance(self.marketplaces, str) else self.marketplaces
                )
            ),
            "marketplace_weights": tuple(
                (str(k), float(v)) for k, v in _pairs(self.marketplace_weights, "marketplace_weights")
            ),
            "fx_per_usd": tuple((str(k), float(v)) for k, v in _pairs(self.fx_per_usd, "fx_per_usd")),
            "categories": tuple(
                (str(a), float(b), float(c), float(d))
                for a, b, c, d in _pairs(self.categories, "categories", 4)
            ),
            "month_profile": tuple(float(x) for x in self.month_profile),
            "holiday_profile": tuple(float(x) for x in self.holiday_profile),
        }
        for f in dataclasses.fields(self):  # numbers from YAML/JSON/CLI text: coerce to the declared type
            value = getattr(self, f.name)
            try:
                if f.type == "int" and not isinstance(value, bool):
                    if float(value) != int(float(value)):
                        raise ValueError
                    norm[f.name] = int(float(value))
                elif f.type == "float":
                    norm[f.name] = float(value)
                elif f.type == "str":
                    norm[f.name] = str(value)
            except (TypeError, ValueError):
                raise ValueError(f"generator parameter {f.name}: expected {f.type}, got {value!r}") from None
        for k, v in norm.items():
            object.__setattr__(self, k, v)
        self.validate()

    # ------------------------------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ``ValueError`` naming the parameter if a value is out of range."""

        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ValueError(f"generator parameter {msg}")

        need(int(self.n_sellers) >= 1, f"n_sellers must be >= 1, got {self.n_sellers}")
        need(int(self.n_months) >= 1, f"n_months must be >= 1, got {self.n_months}")
        need(int(self.chunk_size) >= 1, f"chunk_size must be >= 1, got {self.chunk_size}")
        parse_month(self.start_month)
        parse_month(self.calibration_window_end)
        need(len(self.marketplaces) >= 1, "marketplaces: at least one site")
        need(
            len(set(self.marketplaces)) == len(self.marketplaces),
            f"marketplaces repeated: {self.marketplaces}",
        )
        weights, fx = dict(self.marketplace_weights), dict(self.fx_per_usd)
        for m in self.marketplaces:
            need(
                m in policy.DEFAULT_THRESHOLDS,
                f"marketplaces: unknown site {m!r} (known: {', '.join(policy.KNOWN_MARKETPLACES)})",
            )
            need(weights.get(m, 0.0) > 0, f"marketplace_weights: no positive weight for site {m!r}")
            need(fx.get(m, 0.0) > 0, f"fx_per_usd: no rate for site {m!r}")
        need(
            len(self.month_profile) == 12 and abs(sum(self.month_profile) - 1) < 1e-6,
            "month_profile: 12 shares summing to 1",
        )
        need(
            len(self.holiday_profile) == 12 and abs(sum(self.holiday_profile) - 1) < 1e-6,
            "holiday_profile: 12 shares summing to 1",
        )
        need(abs(sum(c[1] for c in self.categories) - 1) < 1e-6, "categories: shares must sum to 1")
        need(
            0 < self.share_above_500k < self.share_above_100k < 1,
            "share_above_500k < share_above_100k in (0,1)",
        )
        need(0 <= self.holiday_share < 1, "holiday_share in [0, 1)")
        base = [
            (t - self.holiday_share * h)
            for t, h in zip(self.month_profile, self.holiday_profile, strict=True)
        ]
        need(min(base) > 0, "holiday_share too large for month_profile (base profile would go negative)")
        for name in (
            "fba_share",
            "existing_share",
            "dormant_month_prob",
            "churn_monthly_hazard",
            "personal_injury_share",
            "claim_share_le_cap",
            "rejected_share",
            "pending_share",
            "pending_recent_share",
        ):
            need(0 <= getattr(self, name) <= 1, f"{name} must be in [0, 1], got {getattr(self, name)}")
        need(self.claim_max_usd > self.claim_tail_scale_usd > 0, "claim_max_usd > claim_tail_scale_usd > 0")
        need(self.max_units_per_order >= 1, "max_units_per_order >= 1")

    # ------------------------------------------------------------------------------------------------------
    @property
    def start_index(self) -> int:
        """Month index (months since 1970-01) of ``start_month``."""
        return parse_month(self.start_month)

    @property
    def end_index(self) -> int:
        """Month index of the last month (inclusive)."""
        return self.start_index + int(self.n_months) - 1

    def marketplace_shares(self) -> dict[str, float]:
        """Share of sellers by site (the chosen sites' weights, renormalised)."""
        w = dict(self.marketplace_weights)
        total = sum(w[m] for m in self.marketplaces)
        return {m: w[m] / total for m in self.marketplaces}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists, mappings stay lists of rows)."""
        out = {}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            v = getattr(self, f.name)
            out[f.name] = json.loads(json.dumps(v))
        return out

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of the parameters: the dataclass fields set by ``__init__``."""
        return [f.name for f in dataclasses.fields(cls) if f.init]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GeneratorParams:
        """Parameters from a dict such as ``to_dict()``'s output; unknown keys raise ``ValueError``."""
        unknown = sorted(set(d) - set(cls.field_names()))
        if unknown:
            raise ValueError(f"unknown generator parameter(s): {', '.join(unknown)}")
        return cls(**dict(d))

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], *, ignore_unknown: bool = True) -> GeneratorParams:
        """Parameters from a flat mapping (e.g. ``params/default.yaml``), ignoring non-field keys."""
        if not ignore_unknown:
            return cls.from_dict(d)
        names = set(cls.field_names())
        return cls(**{k: v for k, v in d.items() if k in names})

    def replace(self, **changes: Any) -> GeneratorParams:
        """A copy with the fields in ``changes`` replaced (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def digest(self) -> str:
        """sha256 of the canonical JSON of the parameters (names datasets; compares manifests)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def default_name(self) -> str:
        """Folder name derived from the parameters, e.g. ``s100000-m60-2019-01-seed20210901-1a2b3c4d``."""
        return f"s{self.n_sellers}-m{self.n_months}-{self.start_month}-seed{self.seed}-{self.digest()[:8]}"
