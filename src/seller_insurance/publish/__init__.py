"""Publish stage: what people see -- charts, text, metrics, the deck and the papermill report.

Modules (import them by name; nothing heavy is imported here): :mod:`~seller_insurance.publish.charts` (slide-ready
matplotlib charts in the package style ``seller_insurance.publish.styles.slides``),
:mod:`~seller_insurance.publish.forecast_charts`, :mod:`~seller_insurance.publish.narrative` (sentences built from
computed numbers), :mod:`~seller_insurance.publish.run_metrics` (``metrics.json``),
:mod:`~seller_insurance.publish.slides` (the PowerPoint deck), :mod:`~seller_insurance.publish.text` (text that
renders as written in Markdown, HTML, matplotlib and the deck; money, counts, percentages),
:mod:`~seller_insurance.publish.report` (runs every notebook into ``reports/<run>/``, HTML from the
self-contained ``templates/standalone``), :mod:`~seller_insurance.publish.run_index` (the run's ``index.html``) and
:mod:`~seller_insurance.publish.whatif_widget` (the what-if panel in JupyterLab).

It may import ``analysis`` and ``data``; nothing below imports it.
"""

__all__ = [
    "charts",
    "forecast_charts",
    "narrative",
    "report",
    "run_index",
    "run_metrics",
    "slides",
    "text",
    "whatif_widget",
]
