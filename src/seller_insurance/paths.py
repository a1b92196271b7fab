"""Every path the project uses, in one place (cookiecutter-data-science style).

Notebooks and code import these instead of hard-coding paths, so papermill's working directory does not matter.
``SELLER_INSURANCE_ROOT`` overrides the project root (e.g. to run the package installed elsewhere against a
checkout's data and reports).
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("SELLER_INSURANCE_ROOT")
    if env:
        return Path(env).resolve()
    # src/seller_insurance/paths.py -> project root is two levels above the package folder.
    return Path(__file__).resolve().parents[2]


PROJ_ROOT: Path = _find_root()
DATA_DIR: Path = PROJ_ROOT / "data"
RAW_DATA_DIR: Path = DATA_DIR / "raw"  # generated or delivered inputs; immutable once written
PROCESSED_DATA_DIR: Path = DATA_DIR / "processed"  # derived tables
SAMPLE_DATA_DIR: Path = DATA_DIR / "sample"  # tiny committed sample for tests and docs
NOTEBOOKS_DIR: Path = PROJ_ROOT / "notebooks"
PARAMS_DIR: Path = PROJ_ROOT / "params"
REPORTS_DIR: Path = PROJ_ROOT / "reports"  # generated; never edited by hand
DOCS_DIR: Path = PROJ_ROOT / "docs"

__all__ = [
    "DATA_DIR",
    "DOCS_DIR",
    "NOTEBOOKS_DIR",
    "PARAMS_DIR",
    "PROCESSED_DATA_DIR",
    "PROJ_ROOT",
    "RAW_DATA_DIR",
    "REPORTS_DIR",
    "SAMPLE_DATA_DIR",
]
