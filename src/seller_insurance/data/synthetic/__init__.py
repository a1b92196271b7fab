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

from seller_insurance.data.synthetic.calibration import calibration_markdown, calibration_table
from seller_insurance.data.synthetic.params import GeneratorParams
from seller_insurance.data.synthetic.writer import (
    Dataset,
    ensure_dataset,
    generate,
    iter_chunks,
    read_manifest,
    write_dataset,
)

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
