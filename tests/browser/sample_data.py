"""The committed sample written out as a user's CSV exports with hostile text (shared by the browser tests)."""

from __future__ import annotations

from pathlib import Path

from seller_insurance import schema
from seller_insurance.paths import SAMPLE_DATA_DIR

HOSTILE_CATEGORY = "$5 and $10 <b>a_b_c</b>"


def write_user_folder(folder: Path) -> Path:
    """Write sellers/monthly_sales/claims CSVs of the sample into ``folder``; one category renamed hostile."""
    folder.mkdir(parents=True, exist_ok=True)
    sellers = schema.read_parquet(SAMPLE_DATA_DIR / "sellers.parquet")
    sellers.loc[sellers["category"] == sellers["category"].iloc[1], "category"] = HOSTILE_CATEGORY
    sellers.to_csv(folder / "sellers.csv", index=False)
    schema.read_parquet(SAMPLE_DATA_DIR / "monthly_sales.parquet").to_csv(
        folder / "monthly_sales.csv", index=False
    )
    schema.read_parquet(SAMPLE_DATA_DIR / "claims.parquet").to_csv(folder / "claims.csv", index=False)
    return folder
