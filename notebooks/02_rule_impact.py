# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (seller-insurance)
#     language: python
#     name: seller-insurance
# ---

# %% [markdown]
# # 2. Rule impact: who the single-month rule pulls in, and how much earlier
#
# **Question.** Amazon's insurance requirement used to start after gross sales *exceeded* the site's threshold
# (USD 10,000 on the US site) in *each of three consecutive months*; from September 2021 one month is enough. How
# many sellers does the single-month rule newly pull in, how many does it pull in earlier, and by how much?
#
# **How to read it.** Each seller on each marketplace gets a status: *newly affected* (required under the new rule,
# never under the old one), *accelerated* (required under both, earlier under the new one), *unaffected* (never
# crosses the threshold) or *already required* (required under the old rule before the new one started, so the
# change did not touch it). Shares are of all sellers that were not already required. Every number in the text
# below is computed in this notebook; the definitions are in `seller_insurance.analysis.impact` and `seller_insurance.analysis.rules`.
#
# **Each site under its own rules.** By default the rules come from the policy calendar (`docs/policy-calendar.md`):
# the US moved to one month in September 2021, Canada in May 2024, the UK and the EU stores in June 2024; Mexico and
# Japan did not change. A seller's status is relative to its own site's switch month, so the two changes are two
# events, reported separately: "US, September 2021" and "CA, UK and EU, 2024". `calendar = "none"` applies one
# `rule_start` to every site instead (the analysis before the calendar).

# %% tags=["parameters"]
run_dir = ""  # report folder for figures and metrics; empty: reports/interactive
calendar = ""  # policy calendar: empty for the shipped one (each site under its own rules), a CSV path, or "none" (one rule_start for every site)
pool_eu = False  # with the calendar: add a seller's EU-store sales in EUR against EUR 5,000 (third-party reports only)
threshold = (
    None  # calendar "none" only: None = the default threshold of each site; a number applies to every site
)
old_months = 3  # calendar "none" only: old-rule window (consecutive months over the threshold)
new_months = 1  # calendar "none" only: window of the new rule
rule_start = "2021-09"  # calendar "none" only: month the new rule took effect on every site (YYYY-MM)
end_month = ""  # as-of month (YYYY-MM); empty: the last month of the data
inclusive = False  # False: sales must exceed the threshold (contract); True: reach it (seller notice)
annual_premium_usd = 1250.0  # annual premium for US$1M cover (broker range $500-$2,000)
scheduler = ""  # calendar "none" only (calendar mode runs in-process): rule engine on Dask: tcp://host:8786, or local for a LocalCluster here; empty: plain pandas

# %%
from IPython.display import Markdown, display

from seller_insurance import policy
from seller_insurance.analysis import impact
from seller_insurance.data.run_data import load_run_data, resolve_run_dir
from seller_insurance.publish import charts, run_metrics, text
from seller_insurance.publish import narrative as say

RUN = resolve_run_dir(run_dir)
FIG = RUN / "figures"
charts.use_style()
data = load_run_data(RUN)
end = end_month or None
cal = None if str(calendar).strip().lower() == "none" else policy.load_calendar(calendar or None)
# the rules as sentences name them ("the single-month rule"), from the parameters or the calendar
NEW_RULE, OLD_RULE = say.rule_names(cal, old_months, new_months)
# calendar mode: each site under its own rules, as of the last month of the data (a later switch: not yet);
# calendar "none": one rule_start for every site, on Dask when a scheduler is given
found = impact.findings(
    data.monthly_sales,
    data.sellers,
    cal,
    old_months=old_months,
    new_months=new_months,
    threshold=threshold,
    inclusive=inclusive,
    start=rule_start,
    end=end,
    pool_eu=pool_eu,
    scheduler=scheduler,  # calendar mode ignores it (in-process)
    annual_premium_usd=annual_premium_usd,
    rule_names=(NEW_RULE, OLD_RULE),
)
if cal is not None:
    end = end or data.last_month
    note = say.calendar_footnote(data.description, cal, inclusive=inclusive, end=end, pool_eu=pool_eu)
else:
    note = say.rule_footnote(
        data.description,
        threshold=threshold,
        old_months=old_months,
        new_months=new_months,
        start=rule_start,
        inclusive=inclusive,
        end=end,
    )
overall = found.overall

# %% [markdown]
# ## Headline

# %%
display(Markdown(say.impact_headline(overall, NEW_RULE, OLD_RULE, calendar_mode=cal is not None)))

# %% [markdown]
# ## Each change on its own: the US in September 2021, CA, UK and the EU stores in 2024
# Per site: seller-sites on the site, those already required before its switch month, those the change newly
# required and those it required earlier (median lead in months), with the site's rule. The time series of each
# site counts the seller-sites required each month as enacted (each site's own rules, dashed line: the site's
# switch month) and under the three-month rule kept; the gap that opens at the switch month is that site's change.

# %%
if cal is not None:
    events, event_totals = found.events, found.event_totals
    EVENT_COLS = ["site", "switch_month", "sellers", "already_required", "newly_affected", "accelerated"]
    EVENT_COLS += ["newly_affected_share", "accelerated_share", "median_lead_months", "threshold", "currency"]
    for ev in event_totals.itertuples(index=False):
        display(
            Markdown(
                f"**{say.text(ev.event)}** ({say.text(ev.sites)}; switch {ev.first_switch_month}"
                + (f" to {ev.last_switch_month}" if ev.last_switch_month != ev.first_switch_month else "")
                + f"): of {say.n(ev.population)} seller-sites not already required, the change **newly requires "
                f"{say.n(ev.newly_affected)}** ({say.pct(ev.newly_affected_share)}) and requires "
                f"**{say.n(ev.accelerated)}** earlier ({say.pct(ev.accelerated_share)})"
                + (
                    f", a median of {text.plural(ev.median_lead_months, 'month')} earlier."
                    if ev.accelerated
                    else "."
                )
            ),
            say.present(
                found.event_sites(ev.event)[EVENT_COLS],
                integer=("sellers", "already_required", "newly_affected", "accelerated", "threshold"),
                percent=("newly_affected_share", "accelerated_share"),
                decimals={"median_lead_months": 0},
                rename={
                    "switch_month": "switch month",
                    "already_required": "already required",
                    "newly_affected": "newly required",
                    "accelerated": "required earlier",
                    "newly_affected_share": "newly required %",
                    "accelerated_share": "earlier %",
                    "median_lead_months": "median months earlier",
                },
                index="site",
            ),
        )
else:
    display(Markdown('One `rule_start` for every site (`calendar = "none"`): no per-site events.'))

# %%
for panel in found.site_series:  # calendar mode: one chart per site with seller-sites
    fig = charts.line_chart(
        panel["series"],
        "month",
        {"As enacted": "n_required_enacted", "Three-month rule kept": "n_required_old"},
        title=f"{panel['site']}: the change of {panel['switch_month']} newly requires "
        f"{say.n(panel['newly_affected'])} seller-sites and {say.n(panel['accelerated'])} earlier",
        ylabel="seller-sites required (cumulative)",
        footnote=note,
        vline=(panel["switch_month"], "switch"),
    )
    charts.publish(fig, f"rules_site_{panel['site'].lower()}_over_time", FIG)

# %%
event_figures = {}  # event -> figure of its slide: the site's chart (one site) or the per-site bars (several)
if cal is not None:
    for ev in cal.events():
        total = found.event_total(ev["event"])
        sites = found.event_sites(ev["event"], with_sellers=True)
        if len(ev["sites"]) == 1:
            name = f"rules_site_{ev['sites'][0].lower()}_over_time"
        elif len(sites):
            name = f"rules_event_{ev['year']}_by_site"
            fig = charts.grouped_bar_chart(
                sites,
                "site",
                {"Newly required": "newly_affected", "Required earlier": "accelerated"},
                title=f"{ev['event']}: one month over newly requires {say.n(total['newly_affected'])} "
                f"seller-sites and {say.n(total['accelerated'])} earlier",
                value_label="seller-sites",
                footnote=note,
            )
            charts.publish(fig, name, FIG)
        else:
            continue
        if (FIG / f"{name}.png").exists():
            event_figures[ev["event"]] = f"figures/{name}.png"

# %% [markdown]
# ## By size band, category and marketplace
# Size band: annualised gross sales in USD (see `seller_insurance.data.run_data.observed_size_band`).

# %%
by_band, by_marketplace = found.by_band, found.by_marketplace
by_category = found.by_category.assign(category=found.by_category["category"].map(say.display_name))
COUNTS = ("population", "already_required", "newly_affected", "accelerated", "unaffected")
SHARES = ("newly_affected_share", "accelerated_share", "changed_share")
HEADERS = {
    "population": "sellers (not already required)",
    "already_required": "already required",
    "newly_affected": "newly required",
    "accelerated": "required earlier",
    "unaffected": "unaffected",
    "newly_affected_share": "newly required %",
    "accelerated_share": "earlier %",
    "changed_share": "either %",
    "median_lead_months": "median months earlier",
}


def table(df, key):
    cols = [key, *COUNTS, *SHARES, "median_lead_months"]
    return say.present(
        df[cols],
        integer=COUNTS,
        percent=SHARES,
        decimals={"median_lead_months": 0},
        rename=HEADERS,
        index=key,
    )


display(table(by_band, "size_band"), table(by_category, "category"), table(by_marketplace, "marketplace"))

# %%
fig = charts.grouped_bar_chart(
    by_band,
    "size_band",
    {"Newly required": "newly_affected", "Required earlier": "accelerated"},
    title=f"{NEW_RULE.capitalize()} newly requires {text.plural(overall.newly_affected, 'seller')}, "
    f"most in the {found.top_band} band",
    value_label="sellers",
    footnote=note,
)
charts.publish(fig, "rules_by_size_band", FIG)

# %%
fig = charts.bar_chart(
    by_category.sort_values("changed_share"),
    "category",
    "changed_share",
    title=f"Across categories, {say.pct(found.category_changed_range[0], 0)} to "
    f"{say.pct(found.category_changed_range[1], 0)} of sellers are required sooner or newly",
    value_label="share of sellers newly required or required earlier",
    footnote=note,
    value_format="{:.1%}",
)
charts.publish(fig, "rules_by_category", FIG)

# %% [markdown]
# ## When sellers first trigger: the Q4 effect
# Calendar month of the first single-month trigger of every newly affected or accelerated seller.

# %%
q4 = found.q4_share
fig = charts.bar_chart(
    found.profile,
    "month_name",
    "sellers",
    horizontal=False,
    title=f"{say.pct(q4, 0)} of first triggers under {NEW_RULE} fall in Oct-Dec; {found.peak_month} peaks",
    value_label="sellers first over the threshold",
    footnote=note,
    highlight=[found.peak_month],
)
charts.publish(fig, "rules_trigger_month", FIG)
display(
    Markdown(
        f"{say.pct(q4)} of first triggers under {NEW_RULE} fall in October-December (a quarter of the year would be 25%); "
        f"the peak month is **{found.peak_month}** with {say.n(found.peak_sellers)} sellers."
    )
)

# %% [markdown]
# ## Sellers required over time under each rule
# Cumulative: once required, always required.

# %%
RULES_NOW = "each site's rules as enacted" if cal is not None else NEW_RULE
fig = charts.line_chart(
    found.over_time,
    "month",
    {
        ("As enacted (each site)" if cal is not None else "Single-month rule"): "n_required_new",
        "Three-month rule": "n_required_old",
    },
    title=f"By {found.last_month:%b %Y}, {say.n(found.required_new_last)} sellers are required under "
    f"{RULES_NOW} vs "
    f"{say.n(found.required_old_last)} under the old rule",
    ylabel="sellers required (cumulative)",
    footnote=note,
    vline=(policy.NEW_RULE_START, "US change") if cal is not None else (rule_start, "new rule"),
)
charts.publish(fig, "rules_required_over_time", FIG)

# %% [markdown]
# ## How much earlier
# Lead = old-rule trigger month minus new-rule trigger month. With the default windows (3 and 1) a lead of 1 or 3
# months cannot happen: if the first month over the threshold starts a three-month streak the lead is 2; otherwise
# the streak that triggers the old rule starts at least two months after it, so the lead is at least 4.

# %%
fig = charts.bar_chart(
    found.leads.head(24).astype({"lead_months": str}),
    "lead_months",
    "sellers",
    horizontal=False,
    category_label=f"months earlier under {NEW_RULE}",
    title=f"Accelerated sellers are required a median {text.plural(overall.median_lead_months, 'month')} earlier",
    value_label="sellers",
    footnote=note + " Lead = old trigger month - new trigger month.",
)
charts.publish(fig, "rules_lead_months", FIG)

# %% [markdown]
# ## The premium burden on newly affected sellers
# An annual premium as a share of each newly affected seller's gross sales in the 12 months ending with its trigger
# month.

# %%
burden_by_band, median_burden = found.burden_by_band, found.median_burden
fig = charts.bar_chart(
    burden_by_band,
    "size_band",
    "median_premium_share",
    title=f"A {say.usd(annual_premium_usd)} premium costs newly required sellers a median "
    f"{say.pct(median_burden)} of a year's sales",
    value_label="median premium as share of 12-month sales",
    value_format="{:.2%}",
    footnote=note + f" Premium {say.usd(annual_premium_usd)} a year (broker range $500-$2,000).",
)
charts.publish(fig, "rules_premium_burden", FIG)
say.present(
    burden_by_band,
    integer=("sellers",),
    percent=("median_premium_share", "p25_premium_share", "p75_premium_share", "share_over_1pct"),
    rename={
        "median_premium_share": "median premium / sales",
        "p25_premium_share": "25th percentile",
        "p75_premium_share": "75th percentile",
        "share_over_1pct": "sellers paying over 1%",
    },
    index="size_band",
)

# %%
if cal is not None:  # one metrics section per event (event_2021, event_2024), each with its slide
    calendar_used = run_metrics.calendar_entry(cal)
    sections = run_metrics.event_metrics(
        events.to_dict(orient="records"), event_totals.to_dict(orient="records"), cal.events()
    )
    for ev in cal.events():
        section = run_metrics.event_section(ev["year"])
        total = found.event_total(ev["event"])
        where = f"{ev['sites'][0]}." if len(ev["sites"]) == 1 else "total."
        slides = []
        if ev["event"] in event_figures:
            slides.append(
                run_metrics.slide(
                    event_figures[ev["event"]],
                    f"{ev['event']}: one month over newly requires {say.n(total['newly_affected'])} "
                    f"seller-sites, {say.n(total['accelerated'])} more earlier",
                    f"{section}.{where}newly_affected",
                )
            )
        run_metrics.record(
            RUN,
            section,
            sections[section],
            slides=slides,
            extra={
                "event": ev["event"],
                "sites": list(ev["sites"]),
                "calendar": calendar_used,
                "by_site": found.event_sites(ev["event"]).to_dict(orient="records"),
            },
        )

# %%
run_metrics.record(
    RUN,
    "rules",
    found.metrics,
    slides=[
        run_metrics.slide(
            "figures/rules_by_size_band.png",
            (
                f"Across both changes, one month over newly requires {say.n(overall.newly_affected)} sellers"
                if cal is not None
                else f"{NEW_RULE.capitalize()} newly requires {text.plural(overall.newly_affected, 'seller')}"
            ),
            "rules.newly_affected",
        ),
        run_metrics.slide(
            "figures/rules_lead_months.png",
            f"{text.plural(overall.accelerated, 'more seller')} required a median "
            f"{text.plural(overall.median_lead_months, 'month')} earlier",
            "rules.median_lead_months",
        ),
        run_metrics.slide(
            "figures/rules_trigger_month.png",
            f"{say.pct(q4, 0)} of first triggers come in the fourth quarter",
            "rules.q4_trigger_share",
        ),
        run_metrics.slide(
            "figures/rules_required_over_time.png",
            "Required sellers under each rule over time",
            "rules.required_new_last",
        ),
        run_metrics.slide(
            "figures/rules_premium_burden.png",
            f"The premium costs newly required sellers a median {say.pct(median_burden)} of sales",
            "rules.median_premium_share",
        ),
    ],
    extra={
        "by_size_band": by_band.to_dict(orient="records"),
        "by_marketplace": by_marketplace.to_dict(orient="records"),
    },
)
