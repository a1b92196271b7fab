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
# # 7. What if: move the rule's parameters and see the answer change
#
# **Question.** How do the headline counts of notebook 2 move with the threshold, the two windows, "exceeds" vs
# "reaches", the sites and the as-of month?
#
# **How to read it.** Open this notebook in JupyterLab and run it: the controls below recompute the headline, the
# table by size band and the chart on every change, on this run's data (the same data as notebooks 1-6). "Write
# params YAML" saves the current settings for `seller-insurance report --params FILE`, so a setting found here
# becomes a full, reproducible report. In the HTML report (made by papermill, which has no widgets) only the
# defaults are shown. The engine is `seller_insurance.analysis.whatif`; the panel
# `seller_insurance.publish.whatif_widget`.

# %% tags=["parameters"]
run_dir = ""  # report folder with this run's data (dataset.json); empty: reports/interactive

# %%
import time

from IPython.display import Markdown, display

from seller_insurance.analysis import whatif
from seller_insurance.data.run_data import load_run_data, resolve_run_dir
from seller_insurance.publish import whatif_widget

RUN = resolve_run_dir(run_dir)
data = load_run_data(RUN)
t0 = time.perf_counter()
prepared = whatif.prepare(data.monthly_sales, data.sellers)
prepare_seconds = time.perf_counter() - t0

# %% [markdown]
# ## The defaults: the rules as enacted on the US site, applied to every site

# %%
default = whatif.recompute(prepared, whatif.WhatIfSettings())
whatif_widget.show_result(default)

# %% [markdown]
# ## Try your own settings
# Each change recomputes everything below the controls; the sentence ends with the time that took, measured on
# this data (preparing the data once took the time stated under the controls).

# %%
display(whatif_widget.what_if_panel(prepared, RUN))
display(
    Markdown(
        f"Data prepared once in {prepare_seconds:.2f} s; each recompute with the default settings took "
        f"{default.seconds:.2f} s on {len(data.monthly_sales):,} seller-months."
    )
)
