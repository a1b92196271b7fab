"""Benchmark of claims analytics: shares under the cap by category x quarter, with intervals, at 1M, 3M and 10M claims.

Run: ``.venv/bin/python benchmarks/bench_claims.py [--sizes 1000000,3000000,10000000] [--n-boot 2000]``.

Synthetic claims (vectorised, no generator model): 200,000 sellers in 20 categories with skewed popularity (a few
rare categories, so at 1M claims some category x quarter groups fall under the bootstrap switch and get bootstrap
intervals; as claims grow they cross it), five years of filing dates, lognormal amounts, 80% valid. Ids are
pandas Categoricals as in the project's in-memory convention.

For each size: ``claim_shares(claims, by=["category", "filed_quarter"], sellers=sellers)`` (join, grouping, Wilson,
delta and bootstrap intervals) against a reference run in the same process on the same data: a plain pandas
merge + ``groupby.agg`` of counts and sums (no intervals), the least work any implementation must do. Reported:
seconds, the ratio to the reference, seconds per million claims, the same with ``bootstrap_below=0`` (delta method
everywhere: the part linear in claims, flat per million), the bootstrap groups and draws (bounded by groups x
``bootstrap_below`` x ``n_boot``, not by claims x resamples; they shrink as groups cross the switch), and peak memory: the process's
peak resident set above its level before the call (sampled every 5 ms), next to the input frame's size.
Results are printed and written to ``reports/benchmarks/claims.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import threading
import time

import numpy as np
import pandas as pd
import psutil

from seller_insurance.analysis.claims import claim_shares
from seller_insurance.paths import REPORTS_DIR
from seller_insurance.policy import BOOTSTRAP_BELOW, CLAIM_CAP_USD

N_SELLERS = 200_000
N_CATEGORIES = 20


class PeakRSS:
    """Peak resident set size (MiB) above the level at entry, sampled by a thread."""

    def __init__(self, every: float = 0.005):
        self.every, self.proc = every, psutil.Process()

    def __enter__(self):
        gc.collect()
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.mib = (self.peak - self.base) / 2**20


def make_data(n_claims: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    seller_ids = pd.Index([f"S{i:07d}" for i in range(N_SELLERS)])
    weights = 1.0 / np.arange(1, N_CATEGORIES + 1) ** 1.5
    categories = [f"category_{i:02d}" for i in range(N_CATEGORIES)]
    sellers = pd.DataFrame(
        {
            "seller_id": seller_ids,
            "marketplace": "US",
            "category": pd.Categorical.from_codes(
                rng.choice(N_CATEGORIES, N_SELLERS, p=weights / weights.sum()), categories=categories
            ),
        }
    )
    days = np.datetime64("2019-01-01") + rng.integers(0, 5 * 365, n_claims).astype("timedelta64[D]")
    claims = pd.DataFrame(
        {
            "seller_id": pd.Categorical.from_codes(
                rng.integers(0, N_SELLERS, n_claims).astype(np.int32), categories=seller_ids
            ),
            "marketplace": pd.Categorical.from_codes(np.zeros(n_claims, dtype=np.int8), categories=["US"]),
            "filed_date": days.astype("datetime64[s]"),
            "claim_type": pd.Categorical.from_codes(
                (rng.random(n_claims) < 0.1).astype(np.int8),
                categories=["property_damage", "personal_injury"],
            ),
            "amount": np.round(np.exp(rng.normal(5.5, 1.3, n_claims)), 2),
            "status": pd.Categorical.from_codes(
                rng.choice(3, n_claims, p=[0.8, 0.15, 0.05]).astype(np.int8),
                categories=["valid", "rejected", "pending"],
            ),
        }
    )
    return claims, sellers


def reference(claims: pd.DataFrame, sellers: pd.DataFrame) -> pd.DataFrame:
    """Counts and sums per category x quarter with plain pandas (map + groupby), no intervals.

    The category comes from ``Series.map`` on the Categorical seller ids (maps the 200,000 categories, not the
    claims; one marketplace here, so seller_id alone is the key): the cheapest join pandas offers.
    """
    valid = claims[claims["status"] == "valid"]
    under = (valid["amount"] <= CLAIM_CAP_USD).to_numpy()
    frame = pd.DataFrame(
        {
            "category": valid["seller_id"].map(sellers.set_index("seller_id")["category"]).array,
            "quarter": valid["filed_date"].dt.to_period("Q").array,
            "amount": valid["amount"].to_numpy(),
            "under": under,
            "under_amount": np.where(under, valid["amount"].to_numpy(), 0.0),
        }
    )
    return frame.groupby(["category", "quarter"], observed=True, dropna=False).agg(
        n=("amount", "size"), k=("under", "sum"), total=("amount", "sum"), under=("under_amount", "sum")
    )


def run(n_claims: int, n_boot: int) -> dict:
    claims, sellers = make_data(n_claims)
    input_mib = claims.memory_usage(deep=True).sum() / 2**20
    with PeakRSS() as ref_mem:
        start = time.perf_counter()
        ref = reference(claims, sellers)
        ref_s = time.perf_counter() - start
    del ref
    with PeakRSS() as mem:
        start = time.perf_counter()
        out = claim_shares(claims, by=["category", "filed_quarter"], sellers=sellers, n_boot=n_boot)
        seconds = time.perf_counter() - start
    start = time.perf_counter()
    claim_shares(claims, by=["category", "filed_quarter"], sellers=sellers, bootstrap_below=0)
    delta_s = time.perf_counter() - start
    boot = out["value_interval"] == "bootstrap"
    return {
        "claims": n_claims,
        "valid_claims": int(out["n_claims"].sum()),
        "groups": len(out),
        "bootstrap_groups": int(boot.sum()),
        "bootstrap_draws": int(out.loc[boot, "n_claims"].sum()) * n_boot,
        "bootstrap_draws_bound": int(boot.sum()) * BOOTSTRAP_BELOW * n_boot,
        "seconds": seconds,
        "reference_seconds": ref_s,
        "ratio": seconds / ref_s,
        "seconds_per_million": seconds / (n_claims / 1e6),
        "delta_only_seconds": delta_s,
        "delta_only_seconds_per_million": delta_s / (n_claims / 1e6),
        "peak_mib": mem.mib,
        "reference_peak_mib": ref_mem.mib,
        "input_mib": input_mib,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--sizes",
        default="1000000,3000000,10000000",
        help="comma-separated claim counts (default 1M, 3M, 10M)",
    )
    ap.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    rows = []
    print(
        f"{'claims':>11} {'groups':>6} {'boot grp':>8} {'boot draws':>11} {'seconds':>8} {'ref s':>6} "
        f"{'x ref':>6} {'s / 1M':>7} {'delta s/1M':>10} {'peak MiB':>9} {'ref MiB':>8} {'input MiB':>9}",
        flush=True,
    )
    for n in sizes:
        r = run(n, args.n_boot)
        rows.append(r)
        print(
            f"{r['claims']:>11,} {r['groups']:>6} {r['bootstrap_groups']:>8} {r['bootstrap_draws']:>11,} "
            f"{r['seconds']:>8.2f} {r['reference_seconds']:>6.2f} {r['ratio']:>6.2f} "
            f"{r['seconds_per_million']:>7.2f} {r['delta_only_seconds_per_million']:>10.2f} {r['peak_mib']:>9.0f} {r['reference_peak_mib']:>8.0f} "
            f"{r['input_mib']:>9.0f}",
            flush=True,
        )

    out = REPORTS_DIR / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "claims.json").write_text(
        json.dumps(
            {
                "by": ["category", "filed_quarter"],
                "n_boot": args.n_boot,
                "bootstrap_below": BOOTSTRAP_BELOW,
                "sellers": N_SELLERS,
                "runs": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out / 'claims.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
