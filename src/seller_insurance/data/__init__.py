"""Data stage: reading what users bring and generating what they do not have.

Subpackages and modules (import them by name; nothing heavy is imported here):

- :mod:`seller_insurance.data.loading` -- every user or synthetic file is read through its public face
  (``load_monthly_sales``, ``load_claims``, ``load_sellers``, ``load_dataset``; rejects with their reasons);
- :mod:`seller_insurance.data.synthetic` -- the calibrated synthetic generator (``generate``, ``write_dataset``,
  ``ensure_dataset``, ``calibration_table``);
- :mod:`seller_insurance.data.exports` -- Seller Central's own reports (Date Range Report, Business Report; CSV,
  ``.csv.gz``, ``.zip``, ``.xlsx``, UTF-16) read into monthly sales, per account, with rejects;
- :mod:`seller_insurance.data.run_data` -- the data of one report run (prepared once, then loaded by every notebook).

This stage imports only the foundation modules (``paths``, ``policy``, ``schema``, ``months``, ``errors``,
``safe_export``); ``analysis`` and ``publish`` build on it, never the reverse (checked by ``make lint``).
"""

__all__ = ["exports", "loading", "run_data", "synthetic"]
