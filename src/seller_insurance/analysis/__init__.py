"""Analysis stage: the rules, their impact, claims shares, sensitivity, the forecast and the Dask path.

Modules (import them by name; nothing heavy is imported here). Each notebook's numbers come from one call:
``impact.findings`` (02), ``claims.findings`` (03), ``sensitivity.findings`` (04), ``forecast.findings`` (05),
``whatif.recompute`` (07).

- :mod:`~seller_insurance.analysis.rules` -- the rule engine: first trigger month under an N-month rule, old vs new;
- :mod:`~seller_insurance.analysis.impact` -- who the new rule newly requires or requires earlier, and the cost;
- :mod:`~seller_insurance.analysis.claims` -- share of claims under the cap, with intervals, and who pays;
- :mod:`~seller_insurance.analysis.sensitivity` -- headline numbers over a grid of rule parameters;
- :mod:`~seller_insurance.analysis.overview` -- descriptive views of a dataset;
- :mod:`~seller_insurance.analysis.forecast` -- who crosses the threshold next (scikit-learn);
- :mod:`~seller_insurance.analysis.metrics` -- the ``metrics.json`` entry every findings function returns;
- :mod:`~seller_insurance.analysis.whatif` -- the rule comparison recomputed for one set of settings (notebook 07);
- :mod:`~seller_insurance.analysis.distributed` -- the same helpers on a Dask cluster.

This stage works on DataFrames; it imports the foundation modules and never ``publish`` or ``cli``. It does not
reach into the internals of ``seller_insurance.data`` (checked by ``make lint``).
"""

__all__ = [
    "claims",
    "distributed",
    "forecast",
    "impact",
    "metrics",
    "overview",
    "rules",
    "sensitivity",
    "whatif",
]
