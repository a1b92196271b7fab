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
# # 1. The data of the run
#
# **Question.** What data does this run analyse, and can it be trusted?
#
# **How to read it.** By default the run uses synthetic seller sales and claim histories, generated once into
# `data/raw/<dataset_name>/` and calibrated to public figures (Amazon's 2021 seller report, US Census seasonality,
# Amazon's claims statement; see `docs/generator.md`). Set `input_dir` to a folder of your own exports
# (`monthly_sales`, optional `sellers` and `claims`, CSV or Parquet) to analyse those instead. Every table passes the
# same validation; rows that cannot be used are counted below and kept with their reasons in `rejects/`.

# %% tags=["parameters"]
run_dir = ""  # report folder for figures and metrics; empty: reports/interactive
dataset_name = "default"  # folder under data/raw/ for the synthetic data (reused if it exists)
input_dir = ""  # a folder of your own exports; empty: synthetic data
gross_proceeds = (
    "gross"  # Seller Central exports in input_dir: "gross" (Order rows) or "net" (refunds netted)
)
n_sellers = 100000  # synthetic: number of sellers
start_month = "2019-01"  # synthetic: first calendar month (YYYY-MM)
n_months = 72  # synthetic: number of calendar months (2019-01..2024-12: both rule changes)
seed = 20210901  # synthetic: random seed (same seed and parameters: same bytes)
marketplaces = ""  # synthetic: comma-separated sites (e.g. "US,UK"); empty: the generator's default mix

# %%
from IPython.display import Markdown, display

from seller_insurance.analysis.overview import monthly_totals_usd
from seller_insurance.data.run_data import calibration_for, prepare_run_data, resolve_run_dir
from seller_insurance.publish import charts, run_metrics
from seller_insurance.publish import narrative as say

RUN = resolve_run_dir(run_dir)
FIG = RUN / "figures"
charts.use_style()
data = prepare_run_data(
    RUN,
    dataset_name=dataset_name,
    input_dir=input_dir,
    gross_proceeds=gross_proceeds,
    n_sellers=n_sellers,
    start_month=start_month,
    n_months=n_months,
    seed=seed,
    marketplaces=marketplaces,
)
sales, sellers, claims_table = data.monthly_sales, data.sellers, data.claims
display(
    Markdown(
        f"**{say.text(data.description)}**: {say.n(len(sellers))} seller-marketplaces, {say.n(len(sales))} "
        f"seller-months with sales from {data.first_month} to {data.last_month}, {say.n(len(claims_table))} claims. "
        f"Rows rejected by validation: "
        + (", ".join(f"{say.text(t)} {say.n(k)}" for t, k in data.rejected.items()) or "none")
        + "."
    )
)

# %% [markdown]
# ## Calibration: synthetic data against the public figures
# Each target, its source and the value in this dataset (only for synthetic data).

# %%
calibration = calibration_for(data)
display(
    say.present_calibration(calibration)
    if calibration is not None
    else Markdown("Your own data: no calibration targets.")
)

# %% [markdown]
# ## Who is in the data

# %%
bands = (
    sellers["size_band"]
    .value_counts()
    .reindex(sellers["size_band"].cat.categories)
    .rename_axis("size_band")
    .reset_index(name="sellers")
)
fig = charts.bar_chart(
    bands,
    "size_band",
    "sellers",
    title=f"{say.pct((sellers['annual_sales_usd'] >= 100_000).mean(), 0)} of sellers sell over $100k a year",
    value_label="seller-marketplaces",
    footnote=f"Source: {data.description}. Annualised gross sales in USD over each seller's live months (the "
    "calibration table counts sellers active throughout Sep 2020-Aug 2021, as Amazon's report does).",
)
charts.publish(fig, "data_size_bands", FIG)
by_site = sellers.groupby("marketplace").size().rename("sellers").reset_index()
display(
    say.present(
        bands, integer=("sellers",), rename={"size_band": "Size band (annual USD)", "sellers": "Sellers"}
    ),
    say.present(by_site, integer=("sellers",), rename={"marketplace": "Site", "sellers": "Sellers"}),
)

# %%
totals = monthly_totals_usd(sales)
fig = charts.line_chart(
    totals,
    "month",
    {"gross sales": "gross_sales_usd_m"},
    title="Sales peak every December, with a smaller July bump",
    ylabel="gross sales, USD millions",
    footnote=f"Source: {data.description}. Converted at 2021 average rates.",
    vline=("2021-09", "new rule"),
    value_format="{:,.0f}",
)
charts.publish(fig, "data_monthly_sales", FIG)

# %%
run_metrics.record(
    RUN,
    "data",
    {
        "sellers": run_metrics.metric(len(sellers), "seller-marketplaces", ",.0f", "sellers"),
        "seller_months": run_metrics.metric(len(sales), "seller-months with sales", ",.0f", "rows"),
        "claims": run_metrics.metric(len(claims_table), "claims", ",.0f", "claims"),
        "rows_rejected": run_metrics.metric(
            sum(data.rejected.values()), "input rows rejected", ",.0f", "rows"
        ),
    },
)
