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
import numpy as np
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
    result = forecast.evaluate_by_time(data.monthly_sales, data.sellers, params)
except InputError as exc:
    result = None
    display(
        Markdown(
            f"**No forecast for these data**: {say.text(str(exc))}. The rest of this notebook is skipped."
        )
    )
if result is not None:
    display(
        say.present(
            result.metrics.reset_index(),
            decimals={
                "roc_auc": 3,
                "average_precision": 3,
                "brier": 4,
                "precision_at_k": 3,
                "recall_at_k": 3,
                "base_rate": 4,
                "fit_seconds": 1,
            },
            index="model",
        )
    )

# %%
if result is not None:
    m = result.metrics
    best = m["average_precision"].idxmax()
    base = m.loc["baseline"]
    better = best != "baseline" and m.loc[best, "average_precision"] > base["average_precision"]
    gain_p = m.loc[best, "precision_at_k"] - base["precision_at_k"]
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
                if better
                else "**The models are not better than the baseline here**: last month's sales relative to the threshold "
                "already rank sellers as well; use the baseline list. "
            )
            + f"The base rate is {say.pct(m.loc[best, 'base_rate'], 2)} per seller per cut-off."
        )
    )

# %%
if result is not None:
    fig = forecast_charts.plot_precision_at_k(
        result,
        footnote=f"Source: {data.description}. Horizon {horizon} months; test cut-offs "
        f"{result.test_cutoffs[0]}..{result.test_cutoffs[-1]}.",
    )
    charts.publish(fig, "forecast_precision_at_k", FIG)

# %%
if result is not None:
    fig = forecast_charts.plot_calibration(
        result, footnote=f"Source: {data.description}. Horizon {horizon} months."
    )
    charts.publish(fig, "forecast_calibration", FIG)

# %% [markdown]
# ## Where the model helps, and where it does not
# The same measures within segments of the test rows: sellers launched less than six months before the cut-off vs
# established ones, and sellers already at 80% or more of the threshold last month vs the rest.

# %%
if result is not None:
    preds = result.predictions
    segments = {
        "history": np.where(
            preds["months_since_launch"] < 6, "launched < 6 months ago", "6+ months of history"
        ),
        "closeness": np.where(
            preds["last_month_share"] >= 0.8,
            "last month >= 80% of threshold",
            "last month < 80% of threshold",
        ),
    }
    seg_tables = {name: forecast.metrics_by_segment(result, seg) for name, seg in segments.items()}
    display(*seg_tables.values())
    established = seg_tables["history"].query("segment == '6+ months of history'").set_index("model")
    display(
        Markdown(
            f"For established sellers (6+ months of history), precision at {top_k} is "
            f"{say.pct(established.loc[best, 'precision_at_k'])} for {best} against "
            f"{say.pct(established.loc['baseline', 'precision_at_k'])} for the baseline."
            if {"baseline", best} <= set(established.index)
            else "Too few established sellers to compare."
        )
    )

# %% [markdown]
# ## The watch-list for the last month of data

# %%
if result is not None:
    watch = forecast.watch_list(
        data.monthly_sales, data.sellers, params, model=best if better else "baseline"
    )
    csv_path, parquet_path = forecast.write_watch_list(watch.head(top_k), RUN / "watch_list")
    display(
        Markdown(
            f"Top {top_k} of {say.n(len(watch))} sellers not yet required, written to "
            f"`{csv_path.name}` (safe to open in a spreadsheet) and `{parquet_path.name}`."
        )
    )
    display(watch.head(20))

# %%
if result is not None:
    run_metrics.record(
        RUN,
        "forecast",
        {
            "best_model": run_metrics.metric(best, "best model by average precision", "s", ""),
            "precision_at_k_best": run_metrics.metric(
                m.loc[best, "precision_at_k"], f"of the top {top_k} cross", ".0%", "share"
            ),
            "precision_at_k_baseline": run_metrics.metric(
                base["precision_at_k"], f"of the baseline's top {top_k} cross", ".0%", "share"
            ),
            "average_precision_best": run_metrics.metric(
                m.loc[best, "average_precision"], "average precision", ".3f", ""
            ),
            "average_precision_baseline": run_metrics.metric(
                base["average_precision"], "baseline average precision", ".3f", ""
            ),
            "watch_list_size": run_metrics.metric(
                min(top_k, len(watch)), "sellers on the watch-list", ",.0f", "sellers"
            ),
        },
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
