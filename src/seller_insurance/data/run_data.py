"""The data of a report run: synthetic (generated once, reused) or the user's own exports.

The data notebook (01) calls :func:`prepare_run_data`, which makes sure the data exist, validates them through the
loading layer, writes the rejects of each table into ``<run_dir>/rejects/`` and records what was used in
``<run_dir>/dataset.json``. Every later notebook calls :func:`load_run_data`, which reads that record and loads the
same data through the same loading layer. A notebook opened on its own (no ``dataset.json`` in its run folder yet)
prepares the data itself with the default parameters of ``params/default.yaml``, so each notebook runs top to
bottom in JupyterLab by itself.

Sellers: user data may come without a sellers table; one is then derived from the sales (category ``"unknown"``).
The reporting size band is always the *observed* one (:func:`observed_size_band`), so synthetic and real data are
banded the same way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from seller_insurance import months as mo
from seller_insurance import policy, schema
from seller_insurance.errors import InputError
from seller_insurance.paths import PARAMS_DIR, RAW_DATA_DIR, REPORTS_DIR

INTERACTIVE_RUN_DIR = REPORTS_DIR / "interactive"
GENERATOR_KEYS = ("n_sellers", "start_month", "n_months", "seed", "marketplaces")


@dataclass
class RunData:
    """Clean tables of a run plus where they came from and how many input rows were rejected."""

    sellers: pd.DataFrame
    monthly_sales: pd.DataFrame
    claims: pd.DataFrame
    path: Path
    description: str
    rows_read: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    reject_reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    # Business Reports' daily claim counts and amounts (Seller Central exports only; empty otherwise): seller_id,
    # marketplace, date, claims_granted (count), claims_amount (local currency). Aggregates: no per-claim amounts,
    # so no share of claims under a cap can be computed from them.
    claims_daily: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def first_month(self) -> str:
        """Earliest month of ``monthly_sales``, as ``YYYY-MM``."""
        return str(mo.format_month([mo.to_month_index(self.monthly_sales["month"]).min()])[0])

    @property
    def last_month(self) -> str:
        """Latest month of ``monthly_sales``, as ``YYYY-MM``."""
        return str(mo.format_month([mo.to_month_index(self.monthly_sales["month"]).max()])[0])


def progress_wanted() -> bool:
    """Whether long steps show a progress bar: yes, unless ``TQDM_DISABLE`` is set (``1``/``true``).

    The bars use ``tqdm.auto``: a widget in JupyterLab (ipywidgets is in the environment), text in a terminal.
    ``seller-insurance report`` sets ``TQDM_DISABLE=1`` for the notebooks it runs, so the HTML reports carry no
    progress output.
    """
    return os.environ.get("TQDM_DISABLE", "").strip().lower() in ("", "0", "false", "no")


def resolve_run_dir(run_dir: str | Path | None) -> Path:
    """The run folder (``reports/interactive`` when a notebook runs by itself); created if missing."""
    path = Path(run_dir) if run_dir else INTERACTIVE_RUN_DIR
    (path / "figures").mkdir(parents=True, exist_ok=True)
    return path


def default_parameters() -> dict[str, Any]:
    """The flat parameters of ``params/default.yaml``."""
    return yaml.safe_load((PARAMS_DIR / "default.yaml").read_text()) or {}


def _reason_counts(rejects: pd.DataFrame) -> dict[str, int]:
    if rejects is None or len(rejects) == 0 or "reason" not in rejects:
        return {}
    codes = rejects["reason"].astype(str).str.split(":", n=1).str[0].str.strip()
    return {str(k): int(v) for k, v in codes.value_counts().sort_index().items()}


def derive_sellers(monthly_sales: pd.DataFrame) -> pd.DataFrame:
    """A minimal sellers table from sales alone (user data without one): launch = first month with sales."""
    keys = ["seller_id", "marketplace"]
    first = monthly_sales.groupby(keys, observed=True, sort=True)["month"].min().reset_index()
    return pd.DataFrame(
        {
            "seller_id": first["seller_id"].astype(str),
            "marketplace": first["marketplace"].astype(str),
            "category": "unknown",
            "launch_month": first["month"].to_numpy(),
        }
    )


def observed_size_band(monthly_sales: pd.DataFrame, sellers: pd.DataFrame) -> pd.DataFrame:
    """Annualised gross sales in USD and their size band per seller-marketplace.

    Annualised sales = mean monthly sales over the months the seller was live in the data (from its first month
    with sales, or its launch month if earlier, to the last month of the data; months without a row count as zero)
    x 12, converted to USD at ``policy.FX_PER_USD``. Bands: ``schema.SIZE_BAND_LABELS`` (lower edge
    inclusive). Returns seller_id, marketplace, annual_sales_usd, size_band.
    """
    keys = ["seller_id", "marketplace"]
    s = monthly_sales[keys + ["month", "gross_sales"]].copy()
    s["seller_id"] = s["seller_id"].astype(str)
    s["marketplace"] = s["marketplace"].astype(str)
    s["m"] = mo.to_month_index(s["month"])
    last = int(s["m"].max())
    agg = s.groupby(keys, sort=True).agg(total=("gross_sales", "sum"), first=("m", "min")).reset_index()
    if "launch_month" in sellers:
        launch = sellers[keys + ["launch_month"]].astype({"seller_id": str, "marketplace": str})
        launch = launch.assign(launch_m=mo.to_month_index(launch["launch_month"])).drop(
            columns="launch_month"
        )
        agg = agg.merge(launch, on=keys, how="left")
        agg["first"] = np.where(
            agg["launch_m"].notna(), np.minimum(agg["first"], agg["launch_m"].fillna(0)), agg["first"]
        ).astype(np.int64)
    live = (last - agg["first"] + 1).clip(lower=1)
    fx = agg["marketplace"].map(lambda site: policy.usd_per_unit(site)).astype(float)
    annual = agg["total"] / live * 12 * fx
    return pd.DataFrame(
        {
            "seller_id": agg["seller_id"],
            "marketplace": agg["marketplace"],
            "annual_sales_usd": annual.round(2),
            "size_band": schema.size_band(annual),
        }
    )


def _load_folder(folder: Path, run_dir: Path, description: str) -> RunData:
    from seller_insurance.data.loading import load_dataset, write_rejects

    results = load_dataset(folder)
    if "monthly_sales" not in results:
        raise InputError(
            "no monthly_sales table (monthly_sales.parquet/.csv) in the data folder", path=folder
        )
    (run_dir / "rejects").mkdir(parents=True, exist_ok=True)
    for table, res in results.items():
        write_rejects(res, run_dir / "rejects" / f"{table}.csv")
    sales = results["monthly_sales"].frame
    if len(sales) == 0:
        raise InputError("no usable monthly sales row (see the rejects file)", path=folder)
    sellers = results["sellers"].frame if "sellers" in results else derive_sellers(sales)
    claims = (
        results["claims"].frame
        if "claims" in results
        else pd.DataFrame({c: pd.Series(dtype="str") for c in schema.column_names("claims")})
    )
    band = observed_size_band(sales, sellers)
    sellers = sellers.drop(columns=["size_band"], errors="ignore").astype(
        {"seller_id": str, "marketplace": str}
    )
    sellers = sellers.merge(band, on=["seller_id", "marketplace"], how="left")
    return RunData(
        sellers=sellers,
        monthly_sales=sales,
        claims=claims,
        path=folder,
        description=description,
        rows_read={t: int(r.rows_read) for t, r in results.items()},
        rejected={t: int(len(r.rejects)) for t, r in results.items()},
        reject_reasons={t: _reason_counts(r.rejects) for t, r in results.items()},
        claims_daily=_claims_daily(folder),
    )


def _claims_daily(folder: Path) -> pd.DataFrame:
    """``claims_daily.csv`` of a converted exports folder (see :class:`RunData`), else an empty frame."""
    path = folder / "claims_daily.csv"
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame()
    daily = pd.read_csv(path, dtype={"seller_id": str, "marketplace": str}, keep_default_na=False)
    if len(daily):
        daily["date"] = pd.to_datetime(daily["date"]).astype("datetime64[s]")
    return daily.drop(columns=["source_line", "source_file"], errors="ignore")


def _convert_exports(folder: Path, run_dir: Path, definition: str = "gross") -> Path:
    """A folder of Seller Central exports -> ``<run_dir>/input/``, read like any dataset folder afterwards.

    ``input/`` holds monthly_sales.csv, sellers.csv (when the accounts file has categories), claims_daily.csv
    and exports.json.

    The exports' rejects go to ``<run_dir>/rejects/exports.csv`` first; then a file that cannot be read at all, or
    no usable row, is an ``InputError``. ``definition``: gross proceeds, ``"gross"`` or ``"net"``
    (``seller_insurance.data.exports.GROSS_DEFINITIONS``, docs/seller-central.md).
    """
    from seller_insurance.data import exports
    from seller_insurance.safe_export import to_spreadsheet_csv

    result = exports.read_accounts(folder, definition=definition)
    (run_dir / "rejects").mkdir(parents=True, exist_ok=True)
    to_spreadsheet_csv(result.rejects, run_dir / "rejects" / "exports.csv")
    if result.errors:
        raise InputError(f"{len(result.errors)} export file(s) unusable: " + "; ".join(result.errors))
    if len(result.monthly) == 0:
        raise InputError("no usable row in the Seller Central exports (see rejects/exports.csv)", path=folder)
    return exports.write_dataset(result, run_dir / "input", folder)


def prepare_run_data(
    run_dir: str | Path | None = None,
    *,
    dataset_name: str = "default",
    input_dir: str = "",
    gross_proceeds: str = "gross",
    n_sellers: int = 100_000,
    start_month: str = "2019-01",
    n_months: int = 72,
    seed: int = 20210901,
    marketplaces: str = "",
) -> RunData:
    """Make sure the run's data exist, load and validate them, and record them in ``<run_dir>/dataset.json``.

    ``input_dir`` (a folder of the user's exports) wins over the synthetic parameters. A folder of Seller Central
    exports (no ``monthly_sales`` table, export files instead; ``seller_insurance.data.exports``) is first
    combined into ``<run_dir>/input/`` (:func:`_convert_exports`) and read from there; ``gross_proceeds``
    (``"gross"`` or ``"net"``) is the definition used for them (ignored for other data). Otherwise the synthetic
    dataset ``data/raw/<dataset_name>`` is generated once with the given parameters and reused afterwards; raw data
    are immutable, so asking for the same name with other parameters is an error (choose another name).
    ``marketplaces``: comma-separated site codes, empty for the generator's default mix.
    """
    run_dir = resolve_run_dir(run_dir)
    if input_dir:
        folder = Path(input_dir).expanduser().resolve()
        if not folder.is_dir():
            raise InputError("input folder not found", path=folder)
        description = f"your data: {folder}"
        record: dict[str, Any] = {"source": "user", "path": str(folder)}
        from seller_insurance.data import exports

        if exports.is_export_folder(folder):
            converted = _convert_exports(folder, run_dir, gross_proceeds)
            description = f"your Seller Central exports: {folder} (gross proceeds: {gross_proceeds})"
            record = {
                "source": "seller-central",
                "path": str(converted),
                "exports": json.loads((converted / "exports.json").read_text()),
            }
            folder = converted
    else:
        from seller_insurance.data.synthetic import GeneratorParams, ensure_dataset

        kwargs: dict[str, Any] = {
            "n_sellers": int(n_sellers),
            "start_month": start_month,
            "n_months": int(n_months),
            "seed": int(seed),
        }
        if marketplaces:
            kwargs["marketplaces"] = tuple(m.strip() for m in marketplaces.split(",") if m.strip())
        params = GeneratorParams.from_mapping(kwargs)
        folder = Path(
            ensure_dataset(params, name=dataset_name, root=RAW_DATA_DIR, progress=progress_wanted())
        )
        description = (
            f"synthetic: data/raw/{folder.name} ({int(n_sellers):,} sellers, {start_month}, "
            f"{int(n_months)} months, seed {int(seed)})"
        )
        record = {"source": "synthetic", "path": str(folder), "generator": params.to_dict()}
        manifest = folder / "manifest.json"
        if manifest.exists():
            record["manifest"] = json.loads(manifest.read_text())
    data = _load_folder(folder, run_dir, description)
    record.update(
        {
            "description": description,
            "rows_read": data.rows_read,
            "rejected": data.rejected,
            "reject_reasons": data.reject_reasons,
        }
    )
    (run_dir / "dataset.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    return data


def load_run_data(run_dir: str | Path | None = None) -> RunData:
    """The data recorded for this run by :func:`prepare_run_data` (preparing the defaults if none is recorded)."""
    run_dir = resolve_run_dir(run_dir)
    record_path = run_dir / "dataset.json"
    if not record_path.exists():
        defaults = default_parameters()
        kw = {k: defaults[k] for k in ("dataset_name", "input_dir", *GENERATOR_KEYS) if k in defaults}
        return prepare_run_data(run_dir, **kw)
    record = json.loads(record_path.read_text())
    return _load_folder(Path(record["path"]), run_dir, record["description"])


def calibration_for(data: RunData) -> pd.DataFrame | None:
    """The generator's calibration table (target vs generated) for a synthetic run; None for the user's data.

    Reads the raw tables again as the generator wrote them (its latent columns included) and the parameters from
    the dataset's manifest.
    """
    manifest = data.path / "manifest.json"
    if not manifest.exists():
        return None
    from seller_insurance.data.synthetic import Dataset, GeneratorParams, calibration_table

    params = GeneratorParams.from_dict(json.loads(manifest.read_text())["params"])
    tables = []
    for t in (
        "sellers",
        "monthly_sales",
        "claims",
    ):  # a partitioned dataset keeps a table in a folder of parts
        folder = data.path / t
        tables.append(schema.read_parquet(folder if folder.is_dir() else data.path / f"{t}.parquet"))
    raw = Dataset(*tables)
    return calibration_table(raw, params)
