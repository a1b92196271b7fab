"""The loading layer: every notebook and command reads its input through this public face.

Each loader reads a CSV (comma, semicolon, tab or pipe; UTF-8 with or without BOM, Latin-1 fallback), a Parquet
file, or a folder of Parquet files, maps the columns onto the data contract (``seller_insurance.schema``) and
returns a :class:`LoadResult`: a clean, typed frame plus one rejects row per source row that could not be used,
with its line number, the reason and the original values. Nothing is dropped silently:
``rows_accepted + len(rejects) == rows_read`` always. Decisions are documented in ``docs/your-own-data.md``.

Modules inside (private to this package; import from here): ``sales`` (monthly and order-level sales, whole
folders), ``tables`` (claims, sellers), ``result`` (LoadResult, rejects file), ``columns`` (names and aliases),
``sources`` (sniffing, streamed CSV, Parquet), ``parsing`` (money, months, dates), ``stream`` (batches -> arrays,
categoricals, duplicate runs), ``rejects`` and ``buffers``.
"""

from seller_insurance.data.loading.rejects import REJECT_COLUMNS
from seller_insurance.data.loading.result import LoadResult, ensure_usable, rejects_path, write_rejects
from seller_insurance.data.loading.sales import load_dataset, load_monthly_sales
from seller_insurance.data.loading.tables import load_claims, load_sellers

__all__ = [
    "REJECT_COLUMNS",
    "LoadResult",
    "ensure_usable",
    "load_claims",
    "load_dataset",
    "load_monthly_sales",
    "load_sellers",
    "rejects_path",
    "write_rejects",
]
