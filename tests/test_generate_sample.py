"""The committed sample (data/sample/) is exactly what the generator produces for its documented parameters.

Regenerate it with (docs/generator.md):
    seller-insurance generate --sellers 300 --months 36 --start-month 2019-10 --out data --name sample --force
"""

from __future__ import annotations

import hashlib

from seller_insurance.data.synthetic import GeneratorParams, read_manifest, write_dataset
from seller_insurance.paths import SAMPLE_DATA_DIR

SAMPLE_PARAMS = GeneratorParams(n_sellers=300, n_months=36, start_month="2019-10")
FILES = ("sellers.parquet", "monthly_sales.parquet", "claims.parquet")


def test_sample_has_the_documented_parameters_and_is_small():
    manifest = read_manifest(SAMPLE_DATA_DIR)
    assert manifest["params"] == SAMPLE_PARAMS.to_dict()
    assert not manifest["partitioned"]
    assert sum((SAMPLE_DATA_DIR / f).stat().st_size for f in FILES) < 1_000_000
    for rel, info in manifest["files"].items():
        assert hashlib.sha256((SAMPLE_DATA_DIR / rel).read_bytes()).hexdigest() == info["sha256"], rel


def test_sample_is_reproduced_byte_for_byte(tmp_path):
    out = write_dataset(tmp_path / "sample", SAMPLE_PARAMS)
    for name in FILES:
        assert (out / name).read_bytes() == (SAMPLE_DATA_DIR / name).read_bytes(), (
            f"data/sample/{name} is stale: regenerate it (see this module's docstring)"
        )
    fresh, committed = read_manifest(out), read_manifest(SAMPLE_DATA_DIR)
    assert {k: v for k, v in fresh.items() if k != "package_version"} == {
        k: v for k, v in committed.items() if k != "package_version"
    }
