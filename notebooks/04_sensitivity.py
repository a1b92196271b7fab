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
grid = sensitivity.rule_sensitivity(
    data.monthly_sales, thresholds, windows, old_months=old_months, start=rule_start, inclusive=inclusive
)
say.present(
    grid,
    integer=("population", "newly_affected", "accelerated", "already_required"),
    percent=("newly_affected_share", "accelerated_share"),
    money=("threshold_usd",),
    decimals={"median_lead_months": 0},
    index="threshold_usd",
)

# %%
heat = grid.pivot(index="new_months", columns="threshold_usd", values="newly_affected")
heat.columns = [f"${c:,.0f}" for c in heat.columns]
heat.index = [f"{w} month{'s' if w > 1 else ''}" for w in heat.index]
one = grid[grid["new_months"] == 1].set_index("threshold_usd")["newly_affected"]
lo_thr, hi_thr = min(thresholds), max(thresholds)
fig = charts.heatmap(
    heat,
    title=f"Newly required sellers fall from {say.n(one.get(lo_thr))} at ${lo_thr:,.0f} to "
    f"{say.n(one.get(hi_thr))} at ${hi_thr:,.0f} (single-month rule)",
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
flip = sensitivity.rule_sensitivity(
    data.monthly_sales, [10_000], [1], old_months=old_months, start=rule_start, inclusive=not inclusive
).iloc[0]
base = grid[(grid["threshold_usd"] == 10_000) & (grid["new_months"] == 1)]
base_newly = int(base["newly_affected"].iloc[0]) if len(base) else None
display(
    Markdown(
        f"With sales that must {'reach' if not inclusive else 'exceed'} the threshold instead of "
        f"{'exceed' if not inclusive else 'reach'} it, the single-month rule newly requires "
        f"{say.n(flip['newly_affected'])} sellers instead of {say.n(base_newly)}: months exactly at the threshold are "
        f"{'rare' if base_newly is not None and abs(flip['newly_affected'] - base_newly) <= 0.01 * max(base_newly, 1) else 'not rare'} "
        f"in this data."
    )
)

# %% [markdown]
# ## The claims cap

# %%
cap_grid = sensitivity.cap_sensitivity(data.claims, caps)
if cap_grid["n_claims"].sum() == 0:
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
            index="cap_usd",
        )
    )

# %%
run_metrics.record(
    RUN,
    "sensitivity",
    {
        "newly_affected_low_threshold": run_metrics.metric(
            one.get(lo_thr), f"newly required at ${lo_thr:,.0f}", ",.0f", "sellers"
        ),
        "newly_affected_high_threshold": run_metrics.metric(
            one.get(hi_thr), f"newly required at ${hi_thr:,.0f}", ",.0f", "sellers"
        ),
        "newly_affected_flipped_comparison": run_metrics.metric(
            flip["newly_affected"],
            f"newly required if sales must {'reach' if not inclusive else 'exceed'}",
            ",.0f",
            "sellers",
        ),
    },
    slides=[
        run_metrics.slide(
            "figures/sensitivity_heatmap.png",
            "Newly required sellers by threshold and window",
            "sensitivity.newly_affected_low_threshold",
        ),
    ],
    extra={"grid": grid.to_dict(orient="records"), "cap_grid": cap_grid.to_dict(orient="records")},
)
