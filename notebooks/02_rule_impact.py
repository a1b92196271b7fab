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
# (US$10,000 on the US site) in *each of three consecutive months*; from September 2021 one month is enough. How
# many sellers does the single-month rule newly pull in, how many does it pull in earlier, and by how much?
#
# **How to read it.** Each seller on each marketplace gets a status: *newly affected* (required under the new rule,
# never under the old one), *accelerated* (required under both, earlier under the new one), *unaffected* (never
# crosses the threshold) or *already required* (required under the old rule before the new one started, so the
# change did not touch it). Shares are of all sellers that were not already required. Every number in the text
# below is computed in this notebook; the definitions are in `seller_insurance.analysis.impact` and `seller_insurance.analysis.rules`.

# %% tags=["parameters"]
run_dir = ""  # report folder for figures and metrics; empty: reports/interactive
threshold = None  # None: each site's default threshold; a number applies to every site (local currency)
old_months = 3  # window of the old rule: consecutive calendar months over the threshold
new_months = 1  # window of the new rule
rule_start = "2021-09"  # month the new rule took effect (YYYY-MM)
end_month = ""  # as-of month (YYYY-MM); empty: the last month of the data
inclusive = False  # False: sales must exceed the threshold (contract); True: reach it (seller notice)
annual_premium_usd = 1250.0  # annual premium for US$1M cover (broker range $500-$2,000)
scheduler = ""  # rule engine on Dask: tcp://host:8786, or local for a LocalCluster here; empty: plain pandas

# %%
from IPython.display import Markdown, display

from seller_insurance.analysis import distributed, impact, rules
from seller_insurance.data.run_data import load_run_data, resolve_run_dir
from seller_insurance.publish import charts, run_metrics
from seller_insurance.publish import narrative as say

RUN = resolve_run_dir(run_dir)
FIG = RUN / "figures"
charts.use_style()
data = load_run_data(RUN)
end = end_month or None
rule_kw = {
    "old_months": old_months,
    "new_months": new_months,
    "threshold": threshold,
    "inclusive": inclusive,
    "start": rule_start,
    "end": end,
}
with distributed.client_for(scheduler or None) as client:  # None: plain pandas, no cluster
    comparison = (
        distributed.compare_rules_dask(data.monthly_sales, **rule_kw)
        if client
        else rules.compare_rules(data.monthly_sales, **rule_kw)
    )
note = say.rule_footnote(
    data.description,
    threshold=threshold,
    old_months=old_months,
    new_months=new_months,
    start=rule_start,
    inclusive=inclusive,
    end=end,
)
overall = impact.impact_table(comparison).iloc[0]

# %% [markdown]
# ## Headline

# %%
display(
    Markdown(
        f"Of **{say.n(overall.population)}** seller-marketplaces not already required when the new rule started "
        f"({say.n(overall.already_required)} already were), the single-month rule **newly requires "
        f"{say.n(overall.newly_affected)}** ({say.pct(overall.newly_affected_share)}) that the three-month rule never "
        f"would have, and requires **{say.n(overall.accelerated)}** more ({say.pct(overall.accelerated_share)}) "
        f"earlier than the old rule would have: a median of **{say.n(overall.median_lead_months)} months** earlier "
        f"(mean {overall.mean_lead_months:.1f})."
    )
)

# %% [markdown]
# ## By size band, category and marketplace
# Size band: annualised gross sales in USD (see `seller_insurance.data.run_data.observed_size_band`).

# %%
by_band = impact.impact_table(comparison, by="size_band", sellers=data.sellers)
by_category = impact.impact_table(comparison, by="category", sellers=data.sellers)
by_category["category"] = by_category["category"].map(say.display_name)
by_marketplace = impact.impact_table(comparison, by="marketplace")
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
top_band = by_band.loc[by_band["newly_affected"].idxmax()]
fig = charts.grouped_bar_chart(
    by_band,
    "size_band",
    {"Newly required": "newly_affected", "Required earlier": "accelerated"},
    title=f"The single-month rule newly requires {say.n(overall.newly_affected)} sellers, "
    f"most in the {top_band['size_band']} band",
    value_label="sellers",
    footnote=note,
)
charts.publish(fig, "rules_by_size_band", FIG)

# %%
fig = charts.bar_chart(
    by_category.sort_values("changed_share"),
    "category",
    "changed_share",
    title=f"Across categories, {say.pct(by_category['changed_share'].min(), 0)} to "
    f"{say.pct(by_category['changed_share'].max(), 0)} of sellers are required sooner or newly",
    value_label="share of sellers newly required or required earlier",
    footnote=note,
    value_format="{:.1%}",
)
charts.publish(fig, "rules_by_category", FIG)

# %% [markdown]
# ## When sellers first trigger: the Q4 effect
# Calendar month of the first single-month trigger of every newly affected or accelerated seller.

# %%
profile = impact.trigger_month_profile(comparison)
q4 = profile.loc[profile["month_of_year"] >= 10, "share"].sum()
peak = profile.loc[profile["sellers"].idxmax()]
fig = charts.bar_chart(
    profile,
    "month_name",
    "sellers",
    horizontal=False,
    title=f"{say.pct(q4, 0)} of first single-month triggers fall in Oct-Dec; {peak['month_name']} peaks",
    value_label="sellers first over the threshold",
    footnote=note,
    highlight=[peak["month_name"]],
)
charts.publish(fig, "rules_trigger_month", FIG)
display(
    Markdown(
        f"{say.pct(q4)} of first single-month triggers fall in October-December (a quarter of the year would be 25%); "
        f"the peak month is **{peak['month_name']}** with {say.n(peak['sellers'])} sellers."
    )
)

# %% [markdown]
# ## Sellers required over time under each rule
# Cumulative: once required, always required.

# %%
over_time = rules.required_over_time(comparison, (data.first_month, data.last_month))  # zeros if none
last = over_time.iloc[-1]
fig = charts.line_chart(
    over_time,
    "month",
    {"Single-month rule": "n_required_new", "Three-month rule": "n_required_old"},
    title=f"By {over_time['month'].iloc[-1]:%b %Y}, {say.n(last['n_required_new'])} sellers are required under "
    f"the single-month rule vs {say.n(last['n_required_old'])} under the old rule",
    ylabel="sellers required (cumulative)",
    footnote=note,
    vline=(rule_start, "new rule"),
)
charts.publish(fig, "rules_required_over_time", FIG)

# %% [markdown]
# ## How much earlier
# Lead = old-rule trigger month minus new-rule trigger month. With the default windows (3 and 1) a lead of 1 or 3
# months cannot happen: if the first month over the threshold starts a three-month streak the lead is 2; otherwise
# the streak that triggers the old rule starts at least two months after it, so the lead is at least 4.

# %%
leads = impact.lead_distribution(comparison)
fig = charts.bar_chart(
    leads.head(24).astype({"lead_months": str}),
    "lead_months",
    "sellers",
    horizontal=False,
    category_label="months earlier under the single-month rule",
    title=f"Accelerated sellers are required a median {say.n(overall.median_lead_months)} months earlier",
    value_label="sellers",
    footnote=note + " Lead = old trigger month - new trigger month.",
)
charts.publish(fig, "rules_lead_months", FIG)

# %% [markdown]
# ## The premium burden on newly affected sellers
# An annual premium as a share of each newly affected seller's gross sales in the 12 months ending with its trigger
# month.

# %%
burden = impact.premium_burden(
    comparison, data.monthly_sales, data.sellers, annual_premium_usd=annual_premium_usd
)
burden_by_band = impact.premium_burden_by(burden, "size_band")
median_burden = float(burden["premium_share"].median()) if len(burden) else float("nan")
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
run_metrics.record(
    RUN,
    "rules",
    {
        "population": run_metrics.metric(
            overall.population, "sellers not already required at the start", ",.0f", "sellers"
        ),
        "already_required": run_metrics.metric(
            overall.already_required, "sellers already required before the start", ",.0f", "sellers"
        ),
        "newly_affected": run_metrics.metric(
            overall.newly_affected, "sellers newly required by the single-month rule", ",.0f", "sellers"
        ),
        "newly_affected_share": run_metrics.metric(
            overall.newly_affected_share, "of sellers newly required", ".1%", "share"
        ),
        "accelerated": run_metrics.metric(overall.accelerated, "sellers required earlier", ",.0f", "sellers"),
        "accelerated_share": run_metrics.metric(
            overall.accelerated_share, "of sellers required earlier", ".1%", "share"
        ),
        "median_lead_months": run_metrics.metric(
            overall.median_lead_months, "months earlier (median)", ".0f", "months"
        ),
        "q4_trigger_share": run_metrics.metric(q4, "of first triggers in Oct-Dec", ".0%", "share"),
        "required_new_last": run_metrics.metric(
            last["n_required_new"], "sellers required, single-month rule", ",.0f", "sellers"
        ),
        "required_old_last": run_metrics.metric(
            last["n_required_old"], "sellers required, three-month rule", ",.0f", "sellers"
        ),
        "median_premium_share": run_metrics.metric(
            median_burden, "of a year's sales goes to the premium (median)", ".2%", "share"
        ),
    },
    slides=[
        run_metrics.slide(
            "figures/rules_by_size_band.png",
            f"The single-month rule newly requires {say.n(overall.newly_affected)} sellers",
            "rules.newly_affected",
        ),
        run_metrics.slide(
            "figures/rules_lead_months.png",
            f"{say.n(overall.accelerated)} more are required a median "
            f"{say.n(overall.median_lead_months)} months earlier",
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
