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
# # 3. Claims: what share falls under $1,000, and who pays
#
# **Question.** From September 2021 Amazon settles property-damage and personal-injury claims itself and pays
# those of $1,000 or less without seeking money back from sellers who hold valid insurance; it says more than 80%
# of such claims are under $1,000. What share of claims falls under the cap, by count and by value, and how does the
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
from seller_insurance.analysis import claims, distributed, rules
from seller_insurance.data.run_data import load_run_data, resolve_run_dir
from seller_insurance.publish import charts, run_metrics
from seller_insurance.publish import narrative as say

RUN = resolve_run_dir(run_dir)
FIG = RUN / "figures"
charts.use_style()
data = load_run_data(RUN)
statuses = None if all_statuses else ("valid",)
cal = None if str(calendar).strip().lower() == "none" else policy.load_calendar(calendar or None)
if cal is not None:
    note = say.claims_calendar_footnote(data.description, cal, strict=strict_cap, statuses=statuses)
    kw = {"calendar": cal, "strict": strict_cap, "statuses": statuses, "seed": bootstrap_seed}
    cap_text = "the cap of their site"
else:
    note = say.claims_footnote(data.description, cap=cap, strict=strict_cap, statuses=statuses)
    kw = {"cap": cap, "strict": strict_cap, "statuses": statuses, "seed": bootstrap_seed}
    cap_text = say.usd(cap)
overall = claims.claim_shares(data.claims, **kw).iloc[0]
outside = int(overall.get("n_outside_programme", 0))
has_claims = bool(overall.n_claims)  # no claims (or none counted): the sections below are skipped

# %%
if not has_claims:
    display(
        Markdown(
            "**No claims to analyse** in this data (no claims table, or no claim with the chosen "
            "statuses"
            + (f"; {say.n(outside)} filed outside any site's programme" if outside else "")
            + "): the sections below are left empty."
        )
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
if cal is not None and (has_claims or outside):
    by_site = claims.claim_shares(data.claims, by="marketplace", **kw)
    by_site = claims.site_caps(cal).merge(by_site, left_on="site", right_on="marketplace", how="inner")
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
    by_category = claims.claim_shares(data.claims, by="category", sellers=data.sellers, **kw)
    by_category["category"] = by_category["category"].map(say.display_name)
    by_type = claims.claim_shares(data.claims, by="claim_type", **kw)
    by_year = claims.claim_shares(data.claims, by="filed_year", **kw)
    by_quarter = claims.claim_shares(data.claims, by="filed_quarter", **kw)
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
        f"{say.pct(ordered['count_share'].min(), 0)}-{say.pct(ordered['count_share'].max(), 0)}",
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
    rule_kw = {
        "old_months": old_months,
        "new_months": new_months,
        "threshold": threshold,
        "inclusive": inclusive,
        "start": rule_start,
    }
    if cal is not None:  # each site under its own rules, as of the last month of the data
        comparison = rules.evaluate_calendar(
            data.monthly_sales, cal, inclusive=inclusive, end=data.last_month, pool_eu=pool_eu
        )
    else:
        with distributed.client_for(scheduler or None) as client:  # None: plain pandas, no cluster
            comparison = (
                distributed.compare_rules_dask(data.monthly_sales, **rule_kw)
                if client
                else rules.compare_rules(data.monthly_sales, **rule_kw)
            )
    by_status = claims.claim_shares(data.claims, by="rule_status", comparison=comparison, **kw)
    table(by_status, "rule_status")

# %% [markdown]
# ## Who pays, old rule vs new rule

# %%
if has_claims:
    payers = claims.payer_split(
        data.claims,
        comparison,
        **({"calendar": cal} if cal is not None else {"cap": cap}),
        strict=strict_cap,
        statuses=statuses,
        non_compliant_share=non_compliant_share,
        seed=bootstrap_seed,
    )
    say.present(
        payers[["rule", "payer", "n_claims", "amount", "amount_share"]],
        integer=("n_claims",),
        money=("amount",),
        percent=("amount_share",),
        index="rule",
    )

# %%
if has_claims:
    wide = payers.pivot_table(index="rule", columns="payer", values="amount_share", aggfunc="sum").fillna(0.0)
    wide = wide.reindex(["old", "new"]).rename(index={"old": "Three-month rule", "new": "Single-month rule"})
    wide = wide.reset_index()
    amounts = payers.pivot_table(index="rule", columns="payer", values="amount", aggfunc="sum").fillna(0.0)
    seller_old = float(amounts.loc["old"].get("seller", 0.0))
    seller_new = float(amounts.loc["new"].get("seller", 0.0))
    moved = seller_old - seller_new
    fig = charts.stacked_share_chart(
        wide,
        "rule",
        {"Amazon": "amazon", "Insurer": "insurer", "Seller (uninsured)": "seller"},
        title=f"The single-month rule moves {say.usd(moved)} of claims off uninsured sellers",
        value_label="share of claim dollars",
        footnote=note + f" Non-compliant share {say.pct(non_compliant_share)}.",
    )
    charts.publish(fig, "claims_who_pays", FIG)
    display(
        Markdown(
            f"Uninsured sellers pay {say.usd(seller_old)} of claims under the three-month rule and {say.usd(seller_new)} "
            f"under the single-month rule: **{say.usd(moved)}** moves to insurers and Amazon."
        )
    )

# %%
if has_claims:
    run_metrics.record(
        RUN,
        "claims",
        {
            "n_claims": run_metrics.metric(overall.n_claims, "claims counted", ",.0f", "claims"),
            "count_share_under_cap": run_metrics.metric(
                overall.count_share, f"of claims at or under {cap_text}", ".1%", "share"
            ),
            "n_outside_programme": run_metrics.metric(
                outside, "claims filed outside their site's programme", ",.0f", "claims"
            ),
            "count_share_low": run_metrics.metric(overall.count_share_low, "lower 95% bound", ".1%", "share"),
            "count_share_high": run_metrics.metric(
                overall.count_share_high, "upper 95% bound", ".1%", "share"
            ),
            "value_share_under_cap": run_metrics.metric(
                overall.amount_share, "of claimed dollars under the cap", ".1%", "share"
            ),
            "value_share_low": run_metrics.metric(
                overall.amount_share_low, "lower 95% bound", ".1%", "share"
            ),
            "value_share_high": run_metrics.metric(
                overall.amount_share_high, "upper 95% bound", ".1%", "share"
            ),
            "seller_paid_old": run_metrics.metric(
                seller_old, "paid by uninsured sellers, three-month rule", "$,.0f", "USD"
            ),
            "seller_paid_new": run_metrics.metric(
                seller_new, "paid by uninsured sellers, single-month rule", "$,.0f", "USD"
            ),
            "moved_from_sellers": run_metrics.metric(
                moved, "of claims moved off uninsured sellers", "$,.0f", "USD"
            ),
        },
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
                f"The single-month rule moves {say.usd(moved)} of claims off uninsured sellers",
                "claims.moved_from_sellers",
            ),
        ],
        extra={
            "by_category": by_category.to_dict(orient="records"),
            "payers": payers.to_dict(orient="records"),
        },
    )
else:
    run_metrics.record(
        RUN,
        "claims",
        {
            "n_claims": run_metrics.metric(0, "claims counted", ",.0f", "claims"),
            "n_outside_programme": run_metrics.metric(
                outside, "claims filed outside their site's programme", ",.0f", "claims"
            ),
        },
    )
