"""The interactive what-if in JupyterLab: ipywidgets controls around :func:`seller_insurance.analysis.whatif.recompute`.

Controls: threshold (a number in each site's currency, or each site's default), the old and new windows,
exceed/reach, site(s) and the as-of month. Every change recomputes the headline, the size-band table and the
required-over-time chart (timed; well under a second on the default 100k sellers). A button writes the current
settings as a params file for ``seller-insurance report --params``.

Without a widget frontend (papermill, nbconvert, a terminal) ipywidgets shows only a text representation; the
panel's text says, in words, where to use it instead of printing ``VBox(children=...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from seller_insurance import months as mo
from seller_insurance.analysis.whatif import WhatIfData, WhatIfResult, WhatIfSettings, recompute
from seller_insurance.publish import charts, narrative, text

NO_FRONTEND_MESSAGE = (
    "Interactive what-if controls: open notebooks/07_what_if.ipynb in JupyterLab to use them "
    "(this output was made without a widget frontend, e.g. by papermill or nbconvert)."
)


class WhatIfPanel(widgets.VBox):
    """The what-if panel; its text representation (no widget frontend) is :data:`NO_FRONTEND_MESSAGE`."""

    def __repr__(self) -> str:
        return NO_FRONTEND_MESSAGE


def show_result(result: WhatIfResult) -> None:
    """Display one result: the headline sentence, the size-band table and the required-over-time chart."""
    display(Markdown(narrative.whatif_headline(result)))
    if len(result.by_band):
        display(
            narrative.present(
                result.by_band[["size_band", "population", "newly_affected", "accelerated", "changed_share"]],
                integer=("population", "newly_affected", "accelerated"),
                percent=("changed_share",),
                rename={
                    "size_band": "Size band (annual USD)",
                    "population": "Sellers not already required",
                    "newly_affected": "Newly required",
                    "accelerated": "Required earlier",
                    "changed_share": "Changed (share)",
                },
            )
        )
    if len(result.over_time):
        s = result.settings
        fig = charts.line_chart(
            result.over_time,
            "month",
            {text.rule_name(s.old_months): "n_required_old", text.rule_name(s.new_months): "n_required_new"},
            title="Sellers required to insure, under each rule",
            ylabel="seller-sites required",
            vline=(s.start, "new rule") if s.start else None,
        )
        display(fig)
        plt.close(fig)
    else:
        display(Markdown("No seller-months in this selection: no chart."))


def what_if_panel(data: WhatIfData, params_dir: str | Path) -> WhatIfPanel:
    """Build the panel for ``data``; the params button writes ``<params_dir>/what_if_params.yaml``.

    Parameters
    ----------
    data : WhatIfData
        From :func:`seller_insurance.analysis.whatif.prepare`.
    params_dir : str or Path
        Folder for the params file (the run folder in the notebook).
    """
    defaults = WhatIfSettings()
    style: dict[str, Any] = {"description_width": "150px"}
    layout = widgets.Layout(width="420px")
    use_default = widgets.Checkbox(value=True, description="each site's default threshold", style=style)
    threshold = widgets.BoundedFloatText(
        value=10_000,
        min=0,
        max=10_000_000,
        step=500,
        description="threshold (local)",
        style=style,
        layout=layout,
    )
    threshold.disabled = True
    old_months = widgets.IntSlider(
        value=defaults.old_months, min=1, max=6, description="old window (months)", style=style, layout=layout
    )
    new_months = widgets.IntSlider(
        value=defaults.new_months, min=1, max=6, description="new window (months)", style=style, layout=layout
    )
    compare = widgets.ToggleButtons(
        options=[("exceeds", False), ("reaches", True)],
        value=defaults.inclusive,
        description="sales",
        style=style,
    )
    sites = widgets.SelectMultiple(
        options=data.sites,
        value=(),
        rows=min(8, max(2, len(data.sites))),
        description="sites (none: all)",
        style=style,
        layout=layout,
    )
    months = _month_options(*data.months)
    as_of = widgets.Dropdown(
        options=[("end of data", ""), *[(m, m) for m in months]],
        value="",
        description="as of",
        style=style,
        layout=layout,
    )
    save = widgets.Button(description="Write params YAML", icon="save")
    status = widgets.HTML()
    out = widgets.Output()

    def settings() -> WhatIfSettings:
        return WhatIfSettings(
            threshold=None if use_default.value else float(threshold.value),
            old_months=int(old_months.value),
            new_months=int(new_months.value),
            inclusive=bool(compare.value),
            sites=tuple(sites.value),
            as_of=str(as_of.value),
        )

    def refresh(_change: object = None) -> None:
        threshold.disabled = use_default.value
        s = settings()
        with out:
            out.clear_output(wait=True)
            if s.new_months > s.old_months:
                display(
                    Markdown(
                        "The new window cannot be longer than the old one: lower it or raise the old one."
                    )
                )
                return
            show_result(recompute(data, s))

    def write_params(_button: object) -> None:
        path = Path(params_dir) / "what_if_params.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(settings().to_yaml())
        status.value = (
            f"Wrote <code>{text.literal(path, 'html')}</code>: run "
            f"<code>seller-insurance report --params {text.literal(path.name, 'html')}</code> from its folder."
        )

    for w in (use_default, threshold, old_months, new_months, compare, sites, as_of):
        w.observe(refresh, names="value")
    save.on_click(write_params)
    controls = widgets.VBox(
        [use_default, threshold, old_months, new_months, compare, sites, as_of, widgets.HBox([save, status])]
    )
    panel = WhatIfPanel([controls, out])
    refresh()
    return panel


def _month_options(first: str, last: str) -> list[str]:
    """Every calendar month from ``first`` to ``last`` (``YYYY-MM``, inclusive); empty when either is empty."""
    if not first or not last:
        return []
    return [str(m) for m in mo.format_month(mo.month_range(mo.parse_month(first), mo.parse_month(last)))]
