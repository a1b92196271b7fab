"""Synthetic seller sales and claim histories, calibrated to public figures (the public face of the generator).

Usage::

    params = GeneratorParams(n_sellers=50_000, n_months=36)
    ds = generate(params)                    # in memory: Dataset(sellers, monthly_sales, claims)
    path = write_dataset(out_dir, params)     # Parquet + manifest.json, atomically, chunk by chunk
    path = ensure_dataset(params, "default")  # reuse data/raw/default if same parameters, else generate
    calibration_table(ds, params)             # target vs generated for each public figure

Modules inside: ``params`` (every knob with its default and source), ``model`` (one chunk of sellers,
vectorised), ``writer`` (in-memory and Parquet datasets, manifest), ``calibration`` (the calibration table).
The model and every parameter's source: ``docs/generator.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from seller_insurance.data.synthetic.params import GeneratorParams

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs; at run time these load on first use
    from seller_insurance.data.synthetic.calibration import calibration_markdown, calibration_table
    from seller_insurance.data.synthetic.writer import (
        Dataset,
        ensure_dataset,
        generate,
        iter_chunks,
        read_manifest,
        write_dataset,
    )

# Loaded on first use (PEP 562): the model and calibration import scipy (about 0.4 s), which every command line
# start paid only because the argument parser reads GeneratorParams' defaults.
_LAZY = {
    "calibration_markdown": "calibration",
    "calibration_table": "calibration",
    "Dataset": "writer",
    "ensure_dataset": "writer",
    "generate": "writer",
    "iter_chunks": "writer",
    "read_manifest": "writer",
    "write_dataset": "writer",
}


def __getattr__(name: str):
    """Import the module behind a lazily exported name on first access."""
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Dataset",
    "GeneratorParams",
    "calibration_markdown",
    "calibration_table",
    "ensure_dataset",
    "generate",
    "iter_chunks",
    "read_manifest",
    "write_dataset",
]
