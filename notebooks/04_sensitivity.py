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
# # 4. Sensitivity: how the answers move with every rule parameter
#
# **Question.** The headline numbers depend on the rule's parameters: the threshold, the window of the new rule,
# whether sales must exceed or only reach the threshold, and the claims cap. How much do they move?
#
# **How to read it.** The threshold grid is in US dollars for the US site; other sites' thresholds are scaled by the
# same factor from their own defaults. The window is the *new* rule's window (the old rule keeps its window); a new
# window equal to the old one reproduces the old rule, so nobody is newly affected there. The cap grid repeats the
# claims share at other caps.

# %% tags=["parameters"]
run_dir = ""  # report folder for figures and metrics; empty: reports/interactive
thresholds = [5000, 7500, 10000, 12500, 15000, 20000, 25000]  # US-site thresholds to try (USD)
windows = [1, 2, 3]  # new-rule windows to try (months)
caps = [250, 500, 750, 1000, 1500, 2000, 5000]  # claims caps to try (USD)
old_months = 3  # window of the old rule (consecutive calendar months)
rule_start = "2021-09"  # month the new rule took effect (YYYY-MM)
inclusive = False  # False: sales must exceed the threshold; True: reach it

# %%
from IPython.display import Markdown, display

from seller_insurance.analysis import sensitivity
from seller_insurance.data.run_data import load_run_data, resolve_run_dir
from seller_insurance.publish import charts, run_metrics
from seller_insurance.publish import narrative as say

RUN = resolve_run_dir(run_dir)
FIG = RUN / "figures"
charts.use_style()
data = load_run_data(RUN)
found = sensitivity.findings(
    data.monthly_sales,
    data.claims,
    thresholds,
    windows,
    caps,
    old_months=old_months,
    start=rule_start,
    inclusive=inclusive,
)
say.present(
    found.grid,
    integer=("population", "newly_affected", "accelerated", "already_required"),
    percent=("newly_affected_share", "accelerated_share"),
    money=("threshold_usd",),
    decimals={"median_lead_months": 0},
    rename={
        "threshold_usd": "US threshold (USD)",
        "new_months": "New window (months)",
        "population": "Sellers not already required",
        "newly_affected": "Newly required",
        "accelerated": "Required earlier",
        "already_required": "Already required",
        "newly_affected_share": "Newly required (share)",
        "accelerated_share": "Required earlier (share)",
        "median_lead_months": "Median months earlier",
    },
)

# %%
fig = charts.heatmap(
    found.heat,
    title=f"Newly required sellers fall from {say.n(found.newly_at_low)} at ${found.low_threshold:,.0f} to "
    f"{say.n(found.newly_at_high)} at ${found.high_threshold:,.0f} (single-month rule)",
    xlabel="US-site threshold (other sites scaled alike)",
    ylabel="new rule window",
    value_format="{:,.0f}",
    footnote=say.rule_footnote(data.description, old_months=old_months, start=rule_start, inclusive=inclusive)
    + " Cells: sellers newly required.",
)
charts.publish(fig, "sensitivity_heatmap", FIG)

# %% [markdown]
# ## Exceed or reach?

# %%
now, other = ("exceed", "reach") if not inclusive else ("reach", "exceed")
if found.base_newly is None:
    display(
        Markdown(
            "The threshold grid has no US$10,000 cell with a one-month window: no exceed/reach comparison."
        )
    )
else:
    display(
        Markdown(
            f"With sales that must {other} the threshold instead of {now} it, the single-month rule newly requires "
            f"{say.n(found.flipped_newly)} sellers instead of {say.n(found.base_newly)}: months exactly at the "
            f"threshold are {'rare' if found.at_threshold_rare else 'not rare'} in this data (rare: the count moves "
            f"by at most {say.pct(sensitivity.RARE_AT_THRESHOLD_SHARE, 0)})."
        )
    )

# %% [markdown]
# ## The claims cap

# %%
cap_grid = found.cap_grid
if not found.has_claims:
    display(Markdown("No claims in this data: no cap sensitivity."))
else:
    fig = charts.line_chart(
        cap_grid,
        "cap_usd",
        {"by count": "count_share", "by value": "amount_share"},
        title=f"Raising the cap to ${max(caps):,.0f} covers {say.pct(cap_grid['count_share'].iloc[-1], 0)} of claims "
        f"but {say.pct(cap_grid['amount_share'].iloc[-1], 0)} of claimed dollars",
        ylabel="share of claims at or under the cap",
        footnote=say.claims_footnote(data.description),
        x_is_month=False,
        value_format="{:.0%}",
        x_format="${:,.0f}",
        xlabel="claim cap (USD)",
    )
    charts.publish(fig, "sensitivity_cap", FIG)
    display(
        say.present(
            cap_grid,
            money=("cap_usd",),
            integer=("n_claims",),
            percent=(
                "count_share",
                "count_share_low",
                "count_share_high",
                "amount_share",
                "amount_share_low",
                "amount_share_high",
            ),
            rename={
                "cap_usd": "Cap (USD)",
                "n_claims": "Claims",
                "count_share": "Under the cap, by count",
                "count_share_low": "95% low (count)",
                "count_share_high": "95% high (count)",
                "amount_share": "Under the cap, by value",
                "amount_share_low": "95% low (value)",
                "amount_share_high": "95% high (value)",
            },
        )
    )

# %%
run_metrics.record(
    RUN,
    "sensitivity",
    found.metrics,
    slides=[
        run_metrics.slide(
            "figures/sensitivity_heatmap.png",
            "Newly required sellers by threshold and window",
            "sensitivity.newly_affected_low_threshold",
        ),
    ],
    extra={"grid": found.grid.to_dict(orient="records"), "cap_grid": cap_grid.to_dict(orient="records")},
)
