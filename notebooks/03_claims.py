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
# # 3. Claims: what share falls under the USD 1,000 cap, and who pays
#
# **Question.** From September 2021 Amazon settles property-damage and personal-injury claims itself and pays
# those of USD 1,000 or less without seeking money back from sellers who hold valid insurance; it says more than 80%
# of such claims are under USD 1,000. What share of claims falls under the cap, by count and by value, and how does the
# single-month rule move claim dollars between sellers, insurers and Amazon?
#
# **How to read it.** Shares come with 95% intervals (Wilson for counts; bootstrap or delta method for the value
# share, see `seller_insurance.analysis.claims`). By default only claims Amazon accepted as valid count. "Who pays" applies
# the same claims policy under both rules, so the difference isolates the insurance rule: a seller is insured from
# the date its insurance is due under the rule in force.
#
# **Each site's own programme.** By default each claim is judged by its site's programme from the policy calendar
# (`docs/policy-calendar.md`, `docs/claims.md`): US USD 1,000 from 2021-09-01; Canada, the UK and the EU stores
# 1,000 in local currency (EUR for Sweden and Poland) from May 2024, converted to USD at the documented rates; Mexico
# and Japan have none. Claims filed before their site's programme started are outside it: counted, but left out of
# the shares. `calendar = "none"` applies one `cap` to every claim instead.

# %% tags=["parameters"]
run_dir = ""  # report folder for figures and metrics; empty: reports/interactive
calendar = ""  # policy calendar: empty for the shipped one (each site with its own cap and start), a CSV path, or "none"
pool_eu = False  # with the calendar: EU pooling for the rule status (third-party reports only)
cap = 1000.0  # calendar "none" only: claims cap in USD for every claim
strict_cap = False  # False: amount at most cap (seller policy page); True: below cap (press release)
all_statuses = False  # False: valid claims only; True: also rejected and pending ones
non_compliant_share = 0.0  # share of required sellers that never buy insurance (0: full compliance)
threshold = None  # calendar "none" only: None for the default threshold of each site; a number for every site
old_months = 3  # calendar "none" only: window of the old rule (consecutive calendar months)
new_months = 1  # calendar "none" only: window of the new rule
rule_start = "2021-09"  # calendar "none" only: month the new rule took effect (YYYY-MM)
inclusive = False  # False: sales must exceed the threshold; True: reach it
bootstrap_seed = 0  # seed of the bootstrap and of the non-compliance draw
scheduler = ""  # calendar "none" only: rule engine on Dask: tcp://host:8786, or local for a LocalCluster here; empty: plain pandas

# %%
from IPython.display import Markdown, display

from seller_insurance import policy
from seller_insurance.analysis import claims, impact
from seller_insurance.data.run_data import load_run_data, resolve_run_dir
from seller_insurance.publish import charts, run_metrics, text
from seller_insurance.publish import narrative as say

RUN = resolve_run_dir(run_dir)
FIG = RUN / "figures"
charts.use_style()
data = load_run_data(RUN)
statuses = None if all_statuses else ("valid",)
cal = None if str(calendar).strip().lower() == "none" else policy.load_calendar(calendar or None)
if cal is not None:
    note = say.claims_calendar_footnote(data.description, cal, strict=strict_cap, statuses=statuses)
    cap_text = "the cap of their site"
else:
    note = say.claims_footnote(data.description, cap=cap, strict=strict_cap, statuses=statuses)
    cap_text = say.usd(cap)
found = claims.findings(
    data.claims,
    data.sellers,
    # the sellers' rule status, computed only when some claim counts: with the calendar each site under its own
    # rules as of the last month of the data (in-process); calendar "none": one rule_start, on Dask with a scheduler
    lambda: impact.compare(
        data.monthly_sales,
        cal,
        old_months=old_months,
        new_months=new_months,
        threshold=threshold,
        inclusive=inclusive,
        start=rule_start,
        pool_eu=pool_eu,
        scheduler=scheduler,
    ),
    calendar=cal,
    cap=cap,  # calendar "none" only: with the calendar each site's cap
    strict=strict_cap,
    statuses=statuses,
    non_compliant_share=non_compliant_share,
    seed=bootstrap_seed,
    cap_text=cap_text,
)
overall, outside = found.overall, found.n_outside
has_claims = found.has_claims  # no claims (or none counted): the sections below are skipped

# %%
# Business Reports: daily claim totals, no single claim amounts
daily_totals, daily_claims, daily_months = claims.business_report_claims(data.claims_daily)
if not has_claims:
    display(
        Markdown(
            "**No claims to analyse** in this data (no claims table, or no claim with the chosen "
            "statuses"
            + (f"; {say.n(outside)} filed outside any site's programme" if outside else "")
            + "): the sections below are left empty."
        )
    )
    if len(daily_totals):
        display(
            Markdown(
                f"The Business Reports count **{say.n(daily_claims)}** A-to-z claims "
                f"granted over {text.plural(daily_months, 'month')} (by month and site below, amounts "
                "in each site's currency). They are daily totals, not single claims: a day's total may be one "
                "claim or several, so **no share of claims at or under the cap can be computed from them**. For "
                "that, export the claims one by one (a `claims` table with one amount per claim)."
            ),
            say.present(
                daily_totals,
                integer=("days", "claims_granted"),
                decimals={"claims_amount": 2},
                rename={
                    "month": "Month",
                    "marketplace": "Site",
                    "days": "Report days",
                    "claims_granted": "A-to-z claims granted",
                    "claims_amount": "Claims amount (local currency)",
                },
            ),
        )
else:
    display(
        Markdown(
            f"Of **{say.n(overall.n_claims)}** claims"
            + (
                f" inside a site's programme ({say.n(outside)} more were filed before their site's programme "
                "started, or on a site without one)"
                if cal is not None
                else ""
            )
            + f", **{say.pct(overall.count_share)}** "
            f"(95% interval {say.pct(overall.count_share_low)}-{say.pct(overall.count_share_high)}) are "
            f"{'under' if strict_cap else 'at or under'} {say.text(cap_text)} by count, but they are only "
            f"**{say.pct(overall.amount_share)}** ({say.pct(overall.amount_share_low)}-"
            f"{say.pct(overall.amount_share_high)}) of the claimed dollars: the few large claims carry most of the money. "
            f'Amazon\'s figure is "more than 80%" by count.'
        )
    )

# %% [markdown]
# ## Each site's programme
# Cap in the site's currency and in USD (documented rates), programme start, and the claims inside and outside it.

# %%
if found.by_site is not None:
    by_site = found.by_site.copy()
    by_site["cap"] = [  # the cap as the site states it: "CAD 1,000"; "none" without a programme
        "none" if cur is None else f"{cur} {value:,.0f}"
        for cur, value in zip(by_site["claims_cap_currency"], by_site["claims_cap"], strict=True)
    ]
    display(
        say.present(
            by_site[
                [
                    "site",
                    "cap",
                    "cap_usd",
                    "claims_start",
                    "n_claims",
                    "n_under_cap",
                    "count_share",
                    "amount_share",
                    "n_outside_programme",
                ]
            ],
            integer=("n_claims", "n_under_cap", "n_outside_programme"),
            money=("cap_usd",),
            percent=("count_share", "amount_share"),
            rename={
                "cap_usd": "cap in USD",
                "claims_start": "programme from",
                "n_claims": "claims in programme",
                "n_under_cap": "under cap",
                "count_share": "share by count",
                "amount_share": "share by value",
                "n_outside_programme": "outside programme",
            },
            index="site",
        )
    )

# %% [markdown]
# ## By category, claim type and period

# %%
if has_claims:
    by_category = found.by_category.assign(category=found.by_category["category"].map(say.display_name))
    by_type, by_year = found.by_type, found.by_year
    SHARE_COLS = (
        "count_share",
        "count_share_low",
        "count_share_high",
        "amount_share",
        "amount_share_low",
        "amount_share_high",
    )
    HEADERS = {
        "n_claims": "claims",
        "n_under_cap": "under cap",
        "count_share": "share by count",
        "count_share_low": "low",
        "count_share_high": "high",
        "amount_total": "claimed",
        "amount_share": "share by value",
        "amount_share_low": "low ",
        "amount_share_high": "high ",
    }

    def table(df, key):
        cols = [key, "n_claims", "n_under_cap", *SHARE_COLS, "amount_total"]
        return say.present(
            df[cols],
            integer=("n_claims", "n_under_cap"),
            percent=SHARE_COLS,
            money=("amount_total",),
            rename=HEADERS,
            index=key,
        )

    display(table(by_category, "category"), table(by_type, "claim_type"), table(by_year, "filed_year"))

# %%
if has_claims:
    ordered = by_category.query("n_claims > 0").sort_values("count_share")  # empty groups have no share
    fig = charts.interval_chart(
        ordered,
        "category",
        "count_share",
        "count_share_low",
        "count_share_high",
        title=f"{say.pct(overall.count_share, 0)} of claims are {'under' if strict_cap else 'at or under'} "
        f"{cap_text}; every category is within "
        f"{say.pct(found.category_count_range[0], 0)}-{say.pct(found.category_count_range[1], 0)}",
        value_label="share of claims by count",
        footnote=note,
        reference=(0.80, "Amazon: more than 80%"),
    )
    charts.publish(fig, "claims_share_by_category", FIG)

# %%
if has_claims:
    fig = charts.interval_chart(
        by_category.query("n_claims > 0").sort_values("amount_share"),
        "category",
        "amount_share",
        "amount_share_low",
        "amount_share_high",
        title=f"By value, claims under the cap are only {say.pct(overall.amount_share, 0)} of claimed dollars",
        value_label="share of claimed dollars",
        footnote=note,
    )
    charts.publish(fig, "claims_value_share_by_category", FIG)

# %%
if has_claims:
    by_year_chart = by_year.query("n_claims > 0").astype({"filed_year": str})
    fig = charts.interval_chart(
        by_year_chart,
        "filed_year",
        "count_share",
        "count_share_low",
        "count_share_high",
        title="The share of claims under the cap is stable from year to year",
        value_label="share of claims by count",
        footnote=note,
        reference=(0.80, "Amazon: more than 80%"),
    )
    charts.publish(fig, "claims_share_by_year", FIG)

# %% [markdown]
# ## Claims by the seller's rule status
# Claims against sellers the single-month rule newly requires to insure, or requires earlier.

# %%
if has_claims:
    table(found.by_status, "rule_status")

# %% [markdown]
# ## Who pays, old rule vs new rule

# %%
if has_claims:
    payers = found.payers
    say.present(
        payers[["rule", "payer", "n_claims", "amount", "amount_share"]],
        integer=("n_claims",),
        money=("amount",),
        percent=("amount_share",),
        index="rule",
    )

# %%
if has_claims:
    wide = found.payer_shares.rename(
        index={"old": "Three-month rule", "new": "Single-month rule"}
    ).reset_index()
    seller_old, seller_new, moved = found.seller_paid_old, found.seller_paid_new, found.moved_from_sellers
    fig = charts.stacked_share_chart(
        wide,
        "rule",
        {"Amazon": "amazon", "Insurer": "insurer", "Seller (uninsured)": "seller"},
        title=f"The single-month rule moves {text.money(moved, 'USD', 'short')} of claims off uninsured sellers",
        value_label="share of claim dollars",
        footnote=note + f" Non-compliant share {say.pct(non_compliant_share)}.",
    )
    charts.publish(fig, "claims_who_pays", FIG)
    display(
        Markdown(
            f"Uninsured sellers pay {say.text(say.usd(seller_old))} of claims under the three-month rule and "
            f"{say.text(say.usd(seller_new))} under the single-month rule: **{say.text(say.usd(moved))}** moves to "
            "insurers and Amazon."
        )
    )

# %%
if has_claims:
    run_metrics.record(
        RUN,
        "claims",
        found.metrics,
        slides=[
            run_metrics.slide(
                "figures/claims_share_by_category.png",
                f"{say.pct(overall.count_share, 0)} of claims are at or under {cap_text}",
                "claims.count_share_under_cap",
            ),
            run_metrics.slide(
                "figures/claims_value_share_by_category.png",
                f"...but only {say.pct(overall.amount_share, 0)} of the claimed dollars",
                "claims.value_share_under_cap",
            ),
            run_metrics.slide(
                "figures/claims_who_pays.png",
                f"The single-month rule moves {text.money(moved, 'USD', 'short')} of claims off uninsured sellers",
                "claims.moved_from_sellers",
            ),
        ],
        extra={
            "by_category": by_category.to_dict(orient="records"),
            "payers": payers.to_dict(orient="records"),
        },
    )
else:
    run_metrics.record(RUN, "claims", found.metrics)
