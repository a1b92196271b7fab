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
# # 6. Summary: the key numbers in one place
#
# **Question.** What are the run's answers, side by side, and where do they come from?
#
# **How to read it.** Every number below was recorded by an earlier notebook of this run (`metrics/*.json`) and is
# written here into `metrics.json`, which the slide deck and the tests read. Input rows that could not be used are
# counted at the end (their reasons are in `rejects/`). The rule changes are two events, each on its own sites:
# "US, September 2021" and "CA, UK and EU, 2024" (the policy calendar the run used, with its sha256, is in
# `metrics.json` under `run.calendar`).

# %% tags=["parameters"]
run_dir = ""  # report folder for figures and metrics; empty: reports/interactive
run_name = "interactive"  # name of the run shown on the title slide

# %%
import json

from IPython.display import Markdown, display

from seller_insurance.data.run_data import resolve_run_dir
from seller_insurance.publish import narrative as say
from seller_insurance.publish import report, run_metrics, text

RUN = resolve_run_dir(run_dir)
dataset = json.loads((RUN / "dataset.json").read_text()) if (RUN / "dataset.json").exists() else {}
info = report.run_info(RUN, run_name)
event_sections = [name for name in run_metrics.load_sections(RUN) if name.startswith("event_")]
metrics = run_metrics.assemble(
    RUN, info, section_order=["data", *event_sections, "rules", "claims", "sensitivity", "forecast"]
)

# %%
m = metrics["metrics"]


def show(key: str) -> str:
    return run_metrics.format_metric(m[key]) if key in m else "n/a"


def months(key: str) -> str:
    """A recorded number of months in words that agree with it: "1 month", "2 months"."""
    value = (m.get(key) or {}).get("value")
    return "n/a months" if value is None else text.plural(value, "month")


def event_line(ev: dict) -> str:
    """One bullet per rule-change event: its totals, then each site with sellers."""
    sec = ev["section"]
    per_site = ", ".join(
        f"{site} {show(f'{sec}.{site}.newly_affected')} (+{show(f'{sec}.{site}.accelerated')} earlier)"
        for site in ev["with_sellers"]
    )
    return (
        f"- **{say.text(ev['event'])}**: newly required **{show(f'{sec}.total.newly_affected')}** seller-sites "
        f"({show(f'{sec}.total.newly_affected_share')} of those not already required), "
        f"{show(f'{sec}.total.accelerated')} required earlier (a median of "
        f"{months(f'{sec}.total.median_lead_months')})"
        + (f"; per site: {per_site}" if per_site else "")
        + "."
    )


events = run_metrics.events_in(metrics)
calendar_used = metrics["run"].get("calendar")
display(
    Markdown(
        "\n".join(
            [
                f"- **Data**: {say.text(info['data_source'])}.",
                *(
                    [
                        f"- **Policy calendar**: {say.text(calendar_used['source'])} (sha256 "
                        f"{calendar_used['sha256'][:12]}): each site under its own rules."
                    ]
                    if calendar_used
                    else []
                ),
                *[event_line(ev) for ev in events],
                f"- **Newly required**{' across all changes' if events else ' by the single-month rule'}: "
                f"**{show('rules.newly_affected')}** sellers "
                f"({show('rules.newly_affected_share')} of those not already required).",
                f"- **Required earlier**: {show('rules.accelerated')} sellers, a median of "
                f"{months('rules.median_lead_months')} earlier.",
                f"- **Claims at or under the cap**: {show('claims.count_share_under_cap')} by count "
                f"({show('claims.count_share_low')}-{show('claims.count_share_high')}), "
                f"{show('claims.value_share_under_cap')} by value.",
                f"- **Watch-list**: {show('forecast.watch_list_size')} sellers most likely to cross next.",
            ]
        )
    )
)

# %% [markdown]
# ## Key numbers
# Each number as its notebook computed it, with its 95% interval where the notebook gives one. The counts of the
# rule-change events are seller-sites newly required by that event's own switch; the "across all changes" count
# adds the events up, which is why it is larger than any one of them.

# %%
say.table(run_metrics.key_numbers(metrics), hide_index=True)

# %% [markdown]
# ## Input rows not used

# %%
rejected = dataset.get("rejected", {})
rows_read = dataset.get("rows_read", {})
display(
    Markdown(
        "\n".join(
            f"- `{t}`: {say.n(rows_read.get(t, 0))} rows read, {say.n(n_rej)} rejected"  # table names: plain code
            + (
                f" ({', '.join(f'{say.text(r)}: {c}' for r, c in dataset['reject_reasons'][t].items())})"
                if dataset.get("reject_reasons", {}).get(t)
                else ""
            )
            for t, n_rej in rejected.items()
        )
        or "No input rows were rejected."
    )
)
