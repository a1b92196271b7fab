# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#   kernelspec:
#     display_name: Python (seller-insurance)
#     language: python
#     name: seller-insurance
# ---

# %% [markdown]
# # 1. Data for the run
#
# Placeholder until the generator lands: it only records the run's parameters.

# %% tags=["parameters"]
dataset_name = "default"  # folder under data/raw/

# %%
print(dataset_name)
