"""Seller Central exports (Payments Date Range Report, Business Report by date) into the monthly_sales schema.

Public face of the package; its modules are private (``containers``: files, encodings, zip/gzip/xlsx;
``formats``: header sets and detection; ``values``: money and date/times; ``reports``: one file, gross proceeds
definitions, rejects; ``accounts``: a folder of accounts, overlaps and gaps). See ``docs/seller-central.md``.
"""

from seller_insurance.data.exports.accounts import (
    ACCOUNTS_FILE,
    AccountsResult,
    FileReport,
    as_load_result,
    export_files,
    is_export_folder,
    is_export_input,
    months_text,
    read_accounts,
    read_accounts_file,
    write_dataset,
)
from seller_insurance.data.exports.formats import FORMATS, MARKETPLACE_SITES, site_of
from seller_insurance.data.exports.reports import GROSS_DEFINITIONS, REJECT_FIELDS, ExportResult, read_export
from seller_insurance.data.exports.values import TIME_ZONE_OFFSETS

__all__ = [
    "ACCOUNTS_FILE",
    "FORMATS",
    "GROSS_DEFINITIONS",
    "MARKETPLACE_SITES",
    "REJECT_FIELDS",
    "TIME_ZONE_OFFSETS",
    "AccountsResult",
    "ExportResult",
    "FileReport",
    "as_load_result",
    "export_files",
    "is_export_input",
    "is_export_folder",
    "months_text",
    "read_accounts",
    "read_accounts_file",
    "read_export",
    "site_of",
    "write_dataset",
]
