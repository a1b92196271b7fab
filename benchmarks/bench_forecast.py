"""Benchmark of the first-trigger forecast: feature panel, model fits and the watch-list on generated data.

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--sellers N]`` (default 100,000 sellers, 2019-01..2023-12,
the default synthetic data). Times are reported as ratios against a reference run in the same process: one
``pandas.pivot_table`` of the sales into a seller x month table (the least work any feature builder must do), so
the numbers compare across machines. Peak memory is the process's peak resident set (``ru_maxrss``) and the
Python-level peak of each step (``tracemalloc``). Results are printed and written to
``reports/benchmarks/forecast.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc

import pandas as pd

from seller_insurance.analysis import forecast as fc
from seller_insurance.data.synthetic import generate
from seller_insurance.data.synthetic.params import GeneratorParams
from seller_insurance.paths import REPORTS_DIR


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _peak_mib(fn) -> float:
    """Python-level peak allocation of ``fn`` (tracemalloc; a separate run because tracing slows numpy/pandas)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sellers", type=int, default=100_000, help="sellers to generate (default 100,000)")
    ap.add_argument("--seed", type=int, default=GeneratorParams().seed, help="generator seed")
    args = ap.parse_args()

    ds = generate(GeneratorParams(n_sellers=args.sellers, seed=args.seed))
    sales, sellers = ds.monthly_sales, ds.sellers
    params = fc.ForecastParams()

    def reference():
        return sales.pivot_table(
            index=["seller_id", "marketplace"],
            columns="month",
            values="gross_sales",
            aggfunc="sum",
            fill_value=0.0,
        )

    _, ref_s = _timed(reference)
    hist, prep_s = _timed(lambda: fc._prepare(sales, sellers, params))
    train_c, test_c = fc._cutoff_plan(hist, params)
    (X, y, _), panel_s = _timed(lambda: fc._panel(hist, train_c + test_c))
    result, eval_s = _timed(lambda: fc.evaluate_by_time(sales, sellers, params))
    _, wl_s = _timed(lambda: fc.watch_list(sales, sellers, params))
    nan = float("nan")
    rows = {
        "reference: pivot_table": (ref_s, _peak_mib(reference)),
        "prepare (validate, pivot, first triggers)": (
            prep_s,
            _peak_mib(lambda: fc._prepare(sales, sellers, params)),
        ),
        f"feature panel ({len(train_c) + len(test_c)} cut-offs, {len(X):,} rows)": (
            panel_s,
            _peak_mib(lambda: fc._panel(hist, train_c + test_c)),
        ),
        "evaluate_by_time (3 models)": (eval_s, nan),
        "watch_list (logistic)": (wl_s, nan),
    }
    print(f"sellers {args.sellers:,}; sales rows {len(sales):,}; training rows cap {params.max_train_rows:,}")
    print(f"{'step':<60} {'seconds':>9} {'x ref':>7} {'peak MiB':>9}")
    for name, (s, mb) in rows.items():
        print(f"{name:<60} {s:9.2f} {s / ref_s:7.1f} {mb:9.0f}")
    fits = result.metrics["fit_seconds"]
    for name, s in fits.items():
        print(f"  fit {name:<55} {s:9.2f} {s / ref_s:7.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:,.0f} MiB")
    print(result.metrics.round(4).to_string())

    out = REPORTS_DIR / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "forecast.json").write_text(
        json.dumps(
            {
                "sellers": args.sellers,
                "sales_rows": len(sales),
                "reference_seconds": ref_s,
                "steps": {
                    k: {"seconds": s, "ratio": s / ref_s, "peak_mib": mb} for k, (s, mb) in rows.items()
                },
                "fit_seconds": fits.to_dict(),
                "peak_rss_mib": rss,
                "metrics": pd.DataFrame(result.metrics).reset_index().to_dict(orient="records"),
            },
            indent=2,
            default=float,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
