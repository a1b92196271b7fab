"""Charts of the first-trigger forecast in the project slide style (``seller_insurance.publish.charts``).

The numbers come from :mod:`seller_insurance.analysis.forecast`; see ``docs/forecast.md``.
"""

from __future__ import annotations

import textwrap

from seller_insurance.analysis.forecast import EvaluationResult, precision_curve

_LABELS = {
    "baseline": "baseline (last month / threshold)",
    "logistic": "logistic regression",
    "gradient_boosting": "gradient boosting",
}


def _best_model(result: EvaluationResult) -> str:
    """The best model by average precision: the criterion of :func:`seller_insurance.analysis.forecast.findings`."""
    return str(result.metrics["average_precision"].idxmax())


def plot_precision_at_k(
    result: EvaluationResult,
    max_k: int | None = None,
    title: str | None = None,
    footnote: str | None = None,
    best: str | None = None,
):
    """Line chart: precision of the monthly top-k list against k, per model, with the base rate.

    The default title states the finding at ``top_k`` for ``best`` (default: the best model by average
    precision, as the notebook's text and the watch-list choose it). Returns a Figure in the slide style
    (``charts.save_figure`` writes it).
    """
    from seller_insurance.publish import charts

    curve = precision_curve(result, max_k)
    k, m = result.params.top_k, result.metrics
    best = best or _best_model(result)
    if title is None:
        title = (
            f"Top {k} each month: {m.loc[best, 'precision_at_k']:.0%} of the {_LABELS.get(best, best)} list "
            f"first trigger within {result.params.horizon} months, vs {m.loc['baseline', 'precision_at_k']:.0%} "
            f"for the baseline"
            if "baseline" in m.index and best != "baseline"
            else f"Top {k} each month: {m.loc[best, 'precision_at_k']:.0%} first trigger within "
            f"{result.params.horizon} months"
        )
    series = {_LABELS.get(c, c): c for c in m.index} | {"random list (base rate)": "base_rate"}
    return charts.line_chart(
        curve,
        "k",
        series,
        title=title,
        ylabel="share of the list who first trigger",
        x_is_month=False,
        xlabel="k (sellers on the monthly watch-list)",
        vline=(k, f"top {k}"),
        value_format="{:.0%}",
        footnote=footnote
        or (
            f"Test cut-offs {result.test_cutoffs[0]} to {result.test_cutoffs[-1]}; trained on "
            f"{result.train_cutoffs[0]} to {result.train_cutoffs[-1]}."
        ),
    )


def plot_calibration(result: EvaluationResult, title: str | None = None, footnote: str | None = None):
    """Calibration: mean predicted probability vs observed share per quantile bin, per model, and the diagonal."""
    import matplotlib.pyplot as plt

    from seller_insurance.publish import charts

    with plt.style.context(charts.STYLE):
        fig = plt.figure(figsize=charts.FIGSIZE)
        ax = fig.add_subplot()
        hi = 0.0
        for i, (name, grp) in enumerate(result.calibration.groupby("model", sort=False)):
            color = charts.PALETTE[i % len(charts.PALETTE)]
            ax.plot(
                grp["mean_predicted"],
                grp["fraction_positive"],
                marker="o",
                color=color,
                label=_LABELS.get(name, name),
            )
            hi = max(hi, float(grp["mean_predicted"].max()), float(grp["fraction_positive"].max()))
        lim = min(1.0, hi * 1.15 + 0.01)
        ax.plot([0, lim], [0, lim], color=charts.MUTED, linestyle="--", linewidth=1.5, zorder=1)
        ax.plot([], [], color=charts.MUTED, linestyle="--", label="perfect calibration")
        ax.legend(loc="upper left", frameon=False, fontsize=charts.LABEL_SIZE - 1)
        ax.set(
            xlim=(0, lim),
            ylim=(0, lim),
            xlabel="mean predicted probability (quantile bins)",
            ylabel="observed share that first triggered",
        )
        fmt = charts.PercentTicks()
        ax.xaxis.set_major_formatter(fmt)
        ax.yaxis.set_major_formatter(fmt)
        if title is None:
            b = result.metrics["brier"].sort_values()
            title = (
                f"Calibration of the {result.params.horizon}-month first-trigger probability: Brier "
                + ", ".join(f"{v:.4f} ({_LABELS.get(n, n).split(' (')[0]})" for n, v in b.items())
            )
        fig.suptitle(
            textwrap.fill(title, charts.TITLE_WRAP),
            x=0.012,
            ha="left",
            fontsize=charts.TITLE_SIZE,
            fontweight="bold",
        )
        charts.footnote(
            fig,
            footnote
            or f"Pooled test cut-offs {result.test_cutoffs[0]} to "
            f"{result.test_cutoffs[-1]}; {result.params.calibration_bins} bins per model, each the lower half of "
            f"the rows left (the last is the top {0.5 ** (result.params.calibration_bins - 1):.1%}).",
        )
    return fig
