"""The data contract: tables, columns, types and units.

This module is the single source of the data dictionary (``docs/data-dictionary.md`` is generated from it by
``python -m seller_insurance.schema > docs/data-dictionary.md`` and a test keeps the two equal). The generator
writes these tables, the loading layer returns them, and every helper reads them.

In memory (pandas): ids and codes are ``str`` (pandas' string dtype), a month is ``datetime64`` at the first day of
the calendar month, a date is ``datetime64``, money is ``float64`` rounded to cents, counts are ``int64``.
On disk (Parquet): the same, with months and dates as ``date32``. Read Parquet with
``seller_insurance.schema.read_parquet`` so dates arrive as ``datetime64`` and not as Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Column:
    """One column of the data contract (a row of ``docs/data-dictionary.md``).

    Attributes
    ----------
    name : str
        Column name.
    dtype : str
        Logical type: string, month, date, money, int or category.
    unit : str
        Unit as people read it (``-`` when none).
    description : str
        What the column holds.
    required : bool
        Whether the table must have the column (:func:`required_columns`).
    """

    name: str
    dtype: str  # logical type: string, month, date, money, int, category
    unit: str
    description: str
    required: bool = True


SELLERS: tuple[Column, ...] = (
    Column(
        "seller_id", "string", "-", "Seller identifier; any text (may start with =, +, -, @: kept as data)."
    ),
    Column(
        "marketplace", "string", "site code", "Amazon site the seller sells on (US, CA, MX, JP, UK, DE, ...)."
    ),
    Column("category", "string", "-", "Main product category of the seller."),
    Column(
        "launch_month", "month", "calendar month", "First month the seller could sell (no sales rows before)."
    ),
    Column(
        "churn_month",
        "month",
        "calendar month",
        "First month after the seller stopped for good (no rows from it on); empty if still active.",
        False,
    ),
    Column("fulfilment_channel", "string", "-", "FBA (fulfilled by Amazon) or FBM (by merchant).", False),
    Column(
        "size_band",
        "string",
        "USD per year",
        "Latent size band of the generator (annual sales scale): see SIZE_BAND_LABELS.",
        False,
    ),
)

MONTHLY_SALES: tuple[Column, ...] = (
    Column("seller_id", "string", "-", "Seller identifier."),
    Column(
        "marketplace",
        "string",
        "site code",
        "Site of the sales; optional on input (missing column = one marketplace, US).",
        False,
    ),
    Column("month", "month", "calendar month", "Calendar month of the sales (first day of the month)."),
    Column(
        "gross_sales",
        "money",
        "local currency",
        "Gross proceeds in the month, in the site's currency, two decimals; >= 0. No row = zero sales.",
    ),
    Column("currency", "string", "ISO 4217", "Currency of gross_sales (USD on US).", False),
    Column("orders", "int", "orders", "Orders in the month.", False),
    Column("units", "int", "units", "Units sold in the month.", False),
)

CLAIMS: tuple[Column, ...] = (
    Column("claim_id", "string", "-", "Claim identifier (unique)."),
    Column("seller_id", "string", "-", "Seller the claim is against."),
    Column("marketplace", "string", "site code", "Site of the order the claim is about.", False),
    Column("filed_date", "date", "date", "Date the customer filed the claim."),
    Column("claim_type", "string", "-", "property_damage or personal_injury."),
    Column("amount", "money", "USD", "Amount claimed, US dollars, two decimals; > 0."),
    Column(
        "status", "string", "-", "valid, rejected (screened out as fraudulent or unsupported) or pending."
    ),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "sellers": SELLERS,
    "monthly_sales": MONTHLY_SALES,
    "claims": CLAIMS,
}

# Size bands by annual gross sales in USD (lower edge inclusive, upper exclusive). Edges follow the Amazon Small
# Business Empowerment Report 2021 cut-offs ($100k, $500k, $1M) plus the US$10k monthly threshold scale
# ($120k a year = 12 x $10k would be "every month over"; $10k a year is the smallest band).
SIZE_BAND_EDGES_USD: tuple[float, ...] = (0.0, 10_000.0, 100_000.0, 500_000.0, 1_000_000.0, np.inf)
SIZE_BAND_LABELS: tuple[str, ...] = ("<$10k", "$10k-$100k", "$100k-$500k", "$500k-$1M", ">=$1M")


def size_band(annual_sales_usd) -> pd.Categorical:
    """Size band label of annual gross sales in USD (ordered categorical; lower edge inclusive)."""
    return pd.Categorical(
        pd.cut(
            np.asarray(annual_sales_usd, dtype=float),
            SIZE_BAND_EDGES_USD,
            labels=SIZE_BAND_LABELS,
            right=False,
        ),
        categories=SIZE_BAND_LABELS,
        ordered=True,
    )


def column_names(table: str) -> list[str]:
    """Column names of ``table`` (``"sellers"``, ``"monthly_sales"`` or ``"claims"``), in contract order."""
    return [c.name for c in TABLES[table]]


def required_columns(table: str) -> list[str]:
    """The columns of ``table`` that must be present, in contract order."""
    return [c.name for c in TABLES[table] if c.required]


# Parquet (Arrow) type of each logical type: months and dates are date32, money float64, counts int64.
ARROW_TYPES = {"string": "string", "month": "date32", "date": "date32", "money": "float64", "int": "int64"}


def arrow_schema(table: str):
    """The ``pyarrow.Schema`` a table is written with (column order and types of the contract)."""
    import pyarrow as pa

    return pa.schema([(c.name, getattr(pa, ARROW_TYPES[c.dtype])()) for c in TABLES[table]])


def read_parquet(path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet file or folder with dates as ``datetime64`` (never Python ``date`` objects)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=columns)
    return table.to_pandas(date_as_object=False)


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown (what ``docs/data-dictionary.md`` holds)."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `src/seller_insurance/schema.py` (`python -m seller_insurance.schema`); do not edit by hand.",
        "Types: `string` text; `month` a calendar month, stored as the date of its first day; `date` a day;",
        "`money` a float rounded to cents; `int` a count. Columns not marked required may be absent on input.",
        "",
    ]
    for table, cols in TABLES.items():
        lines += [
            f"## `{table}`",
            "",
            "| column | type | unit | required | description |",
            "|---|---|---|---|---|",
        ]
        for c in cols:
            lines.append(
                f"| `{c.name}` | {c.dtype} | {c.unit} | {'yes' if c.required else 'no'} | {c.description} |"
            )
        lines.append("")
    lines += ["## Size bands", "", "| band | annual sales (USD) |", "|---|---|"]
    for label, lo, hi in zip(
        SIZE_BAND_LABELS, SIZE_BAND_EDGES_USD[:-1], SIZE_BAND_EDGES_USD[1:], strict=True
    ):
        lines.append(f"| {label} | {lo:,.0f} to {'no limit' if np.isinf(hi) else f'under {hi:,.0f}'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(data_dictionary_markdown(), end="")
