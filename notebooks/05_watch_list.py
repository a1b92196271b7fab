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
# # 5. Who crosses next: a watch-list for the single-month rule
#
# **Question.** Which sellers, not yet required to insure, will first exceed the threshold in one of the next few
# months? Account managers and insurance brokers can reach them before the 30-day clock starts.
#
# **How to read it.** Three models predict, for each seller not yet required at a cut-off month, the probability
# that its first single-month trigger falls within the next `horizon` months: a naive baseline (last month's sales
# relative to the threshold), a logistic regression and a gradient-boosted model. They are trained on earlier
# cut-off months and tested on later ones. *Precision at k* is the share of the top-k sellers of the list that really
# cross: the number an account manager with k calls to make cares about. The verdict below is computed, including
# where the model is no better than the baseline.

# %% tags=["parameters"]
run_dir = ""  # report folder for figures and metrics; empty: reports/interactive
horizon = 3  # months ahead: predict a first trigger within t+1 .. t+horizon
top_k = 100  # size of the watch-list an account manager can call
threshold = None  # None: each site's default threshold; a number applies to every site (local currency)
inclusive = False  # False: sales must exceed the threshold; True: reach it
model_seed = 0  # seed of the models and of training-row sampling

# %%
from IPython.display import Markdown, display

from seller_insurance.analysis import forecast
from seller_insurance.data.run_data import load_run_data, resolve_run_dir
from seller_insurance.errors import InputError
from seller_insurance.publish import charts, forecast_charts, run_metrics
from seller_insurance.publish import narrative as say

RUN = resolve_run_dir(run_dir)
FIG = RUN / "figures"
charts.use_style()
data = load_run_data(RUN)
params = forecast.ForecastParams(
    horizon=horizon, top_k=top_k, threshold=threshold, inclusive=inclusive, seed=model_seed
)
try:  # small or one-sided data (too few months, nobody or everybody crossing): say so, skip the rest
    found = forecast.findings(data.monthly_sales, data.sellers, params)
except InputError as exc:
    found = None
    display(
        Markdown(
            f"**No forecast for these data**: {say.text(str(exc))}. The rest of this notebook is skipped."
        )
    )
METRIC_NAMES = {
    "model": "Model",
    "roc_auc": "ROC AUC",
    "average_precision": "Average precision",
    "brier": "Brier score",
    "precision_at_k": f"Precision at {top_k}",
    "recall_at_k": f"Recall at {top_k}",
    "base_rate": "Base rate",
    "fit_seconds": "Fit time (s)",
}
if found is not None:
    result, best, m = found.result, found.best, found.result.metrics
    display(
        say.present(
            m.reset_index(),
            decimals={
                "roc_auc": 3,
                "average_precision": 3,
                "brier": 4,
                "precision_at_k": 3,
                "recall_at_k": 3,
                "base_rate": 4,
                "fit_seconds": 1,
            },
            rename=METRIC_NAMES,
        )
    )

# %%
if found is not None:
    base = m.loc["baseline"]
    gain_p = found.gain_precision_at_k
    display(
        Markdown(
            f"Tested on cut-offs {result.test_cutoffs[0]} to {result.test_cutoffs[-1]} (trained on earlier ones). "
            f"The best model by average precision is **{best}** (AP {m.loc[best, 'average_precision']:.3f}, ROC AUC "
            f"{m.loc[best, 'roc_auc']:.3f}, Brier {m.loc[best, 'brier']:.4f}); the naive baseline scores AP "
            f"{base['average_precision']:.3f}, ROC AUC {base['roc_auc']:.3f}, Brier {base['brier']:.4f}. "
            + (
                f"Of its top {top_k} sellers per cut-off, {say.pct(m.loc[best, 'precision_at_k'])} really cross within "
                f"{horizon} months, against {say.pct(base['precision_at_k'])} for the baseline "
                f"({'+' if gain_p >= 0 else ''}{gain_p * 100:.1f} points). "
                if found.better_than_baseline
                else "**The models are not better than the baseline here**: last month's sales relative to the threshold "
                "already rank sellers as well; use the baseline list. "
            )
            + f"The base rate is {say.pct(m.loc[best, 'base_rate'], 2)} per seller per cut-off."
        )
    )

# %%
if found is not None:
    fig = forecast_charts.plot_precision_at_k(
        result,
        best=best,
        footnote=f"Source: {data.description}. Horizon {horizon} months; test cut-offs "
        f"{result.test_cutoffs[0]}..{result.test_cutoffs[-1]}.",
    )
    charts.publish(fig, "forecast_precision_at_k", FIG)

# %%
if found is not None:
    fig = forecast_charts.plot_calibration(
        result, footnote=f"Source: {data.description}. Horizon {horizon} months."
    )
    charts.publish(fig, "forecast_calibration", FIG)

# %% [markdown]
# ## Where the model helps, and where it does not
# The same measures within segments of the test rows: sellers launched less than six months before the cut-off vs
# established ones, and sellers already at 80% or more of the threshold last month vs the rest.

# %%
if found is not None:
    SEGMENT_NAMES = {"segment": "Segment", "n_rows": "Rows", "n_positive": "Crossed"} | METRIC_NAMES
    display(
        *[
            say.present(
                seg,
                integer=("n_rows", "n_positive"),
                decimals={"base_rate": 4, "roc_auc": 3, "average_precision": 3, "precision_at_k": 3},
                rename=SEGMENT_NAMES,
            )
            for seg in found.segments.values()
        ]
    )
    display(
        Markdown(
            f"For established sellers ({forecast.ESTABLISHED_MONTHS}+ months of history), precision at {top_k} is "
            f"{say.pct(found.established[0])} for {best} against {say.pct(found.established[1])} for the baseline."
            if found.established is not None
            else "Too few established sellers to compare."
        )
    )

# %% [markdown]
# ## The watch-list for the last month of data

# %%
if found is not None:
    watch = found.watch
    csv_path, parquet_path = forecast.write_watch_list(watch.head(top_k), RUN / "watch_list")
    display(
        Markdown(
            f"Top {top_k} of {say.n(len(watch))} sellers not yet required, ranked by the {found.watch_model} model, "
            f"written to `{csv_path.name}` (safe to open in a spreadsheet) and `{parquet_path.name}`."
        )
    )
    display(
        say.present(
            watch.head(20),
            percent=("probability", "last_month_share", "max_share_12m"),
            decimals={"last_month_sales": 0, "threshold": 0},
            rename={
                "rank": "Rank",
                "seller_id": "Seller",
                "marketplace": "Site",
                "category": "Category",
                "fulfilment_channel": "Fulfilment",
                "probability": "Probability",
                "cutoff": "Cut-off",
                "horizon_end": "Horizon end",
                "last_month_sales": "Last month sales (local)",
                "threshold": "Threshold (local)",
                "last_month_share": "Last month / threshold",
                "max_share_12m": "Best month of 12 / threshold",
                "months_since_launch": "Months since launch",
            },
        )
    )

# %%
if found is not None:
    run_metrics.record(
        RUN,
        "forecast",
        found.metrics,
        slides=[
            run_metrics.slide(
                "figures/forecast_precision_at_k.png",
                f"{say.pct(m.loc[best, 'precision_at_k'], 0)} of the top {top_k} sellers on the watch-list "
                f"cross within {horizon} months",
                "forecast.precision_at_k_best",
            ),
        ],
        extra={"metrics": result.metrics.to_dict(orient="records")},
    )
