"""The benchmark scripts the tests check, loaded once as modules (``benchmarks/`` is not a package).

``bench_layouts``: its DuckDB reference queries (tests/test_duckdb_reference.py) and its phase parsers
(tests/test_load_timings.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, _BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_layouts = _load("bench_layouts")
