"""``seller-insurance claims``: share of claims under the cap per group and, with ``--sales``, who pays.

``--calendar [FILE]``: each claim's site has its own cap and programme start from the policy calendar (the shipped
one, or FILE; ``analysis.claims.programme``, docs/claims.md): caps converted to USD at ``policy.FX_PER_USD``,
claims before a site's start (or on a site without a programme) counted in ``n_outside_programme`` and left out of
the shares; with ``--sales`` the rule engine runs in calendar mode (``rules.evaluate_calendar``). ``--cap``,
``--claims-start``, ``--rule-start`` and ``--scheduler`` are refused with it (the calendar holds them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

from seller_insurance.cli.options import TIMINGS_HELP, add_scheduler_argument, calendar_option, print_timings
from seller_insurance.errors import InputError
from seller_insurance.policy import (
    BOOTSTRAP_BELOW,
    CLAIM_CAP_USD,
    CLAIMS_START,
    NEW_RULE_START,
    VALID_CLAIM_STATUSES,
)

OUTPUT_SUFFIXES = (".csv", ".parquet")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``claims`` command (claim shares under the cap; who pays); exit status 0, or 2 on bad input."""
    p = sub.add_parser(
        "claims",
        help="share of claims at or under the $1,000 cap per group (count and value, 95%% intervals); who pays",
        description=(
            "Read a claims file (CSV or Parquet: claim_id, seller_id, [marketplace], filed_date, claim_type, amount "
            "in USD, status) and write one row per group: n_claims, n_under_cap, count_share with its Wilson "
            "interval, amount_total, amount_under_cap, amount_share with its bootstrap (small groups) or "
            "delta-method interval. With --sales, also run the rule engine on the monthly sales and write the "
            "payer split (Amazon / insurer / seller, old rule vs new rule) to OUT_STEM.payers.EXT. Rows the "
            "loader rejects go to OUT_STEM.rejects.csv (claims), OUT_STEM.sales.rejects.csv (sales) and "
            "OUT_STEM.sellers.rejects.csv (sellers), always written, header only if nothing was rejected. "
            "See docs/claims.md."
        ),
        epilog="Exit status: 0 success, 2 unusable input or bad arguments.",
    )
    p.add_argument("claims", metavar="CLAIMS", help="claims file (.csv or .parquet)")
    p.add_argument(
        "--out",
        metavar="OUT",
        required=True,
        help="output table, .csv or .parquet (by extension); side files are named after its stem",
    )
    p.add_argument(
        "--cap",
        type=float,
        default=None,
        help=f"claim cap in USD (default {CLAIM_CAP_USD:,.0f}: Amazon's '$1000 or less')",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="count claims strictly under the cap (amount < cap; default amount <= cap)",
    )
    p.add_argument(
        "--by",
        metavar="COL,...",
        default="",
        help="group keys, comma-separated: claim columns (marketplace, claim_type, status, ...), "
        "filed_month, filed_quarter, filed_year, seller columns with --sellers (category, "
        "size_band, fulfilment_channel, ...), rule_status with --sales (default: no grouping)",
    )
    p.add_argument(
        "--all-statuses",
        action="store_true",
        help="count claims of every status (default: only 'valid'; rejected and pending are left out)",
    )
    p.add_argument(
        "--sales",
        metavar="SALES",
        default=None,
        help="monthly sales file: run the rule engine and add the payer split (and allow rule_status)",
    )
    p.add_argument(
        "--sellers",
        metavar="SELLERS",
        default=None,
        help="sellers table (.csv or .parquet, one row per seller_id + marketplace) for grouping by "
        "seller columns such as category or size_band",
    )
    p.add_argument(
        "--non-compliant-share",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="payer split: share of sellers who never buy the required insurance (default 0)",
    )
    p.add_argument(
        "--claims-start",
        default=None,
        metavar="YYYY-MM-DD",
        help=f"payer split: first filing date of Amazon's small-claims policy (default "
        f"{CLAIMS_START.isoformat()}); 'none' applies it to every claim",
    )
    p.add_argument(
        "--rule-start",
        default=None,
        metavar="YYYY-MM",
        help=f"month the single-month rule took effect, for the rule status (default {NEW_RULE_START})",
    )
    p.add_argument(
        "--calendar",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="each site's own claims cap and programme start from the policy calendar (the shipped one, or FILE; "
        "docs/policy-calendar.md): caps in USD at the documented rates, claims before a site's start counted in "
        "n_outside_programme; with --sales the rules as enacted per site. Refuses --cap, --claims-start, "
        "--rule-start and --scheduler. Default: off (one cap and start for every site)",
    )
    p.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument(
        "--n-boot", type=int, default=2000, help="bootstrap resamples for small groups (default 2000)"
    )
    p.add_argument(
        "--bootstrap-below",
        type=int,
        default=BOOTSTRAP_BELOW,
        help=f"groups with fewer claims get a bootstrap value-share interval, the others the delta "
        f"method (default {BOOTSTRAP_BELOW:,})",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and of the non-compliance draw")
    add_scheduler_argument(p)
    p.add_argument(
        "--timings", action="store_true", help=TIMINGS_HELP + " (of the claims file; not with --scheduler)"
    )
    p.set_defaults(func=_run)


def side_path(out: Path, tag: str, suffix: str | None = None) -> Path:
    """``OUT_STEM.<tag><suffix>`` next to ``out`` (suffix defaults to the output's)."""
    return out.with_name(f"{out.stem}.{tag}{out.suffix if suffix is None else suffix}")


def _write(frame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _load(load, path: str, rejects_beside: Path, what: str):
    """Load one input, report its summary, write its rejects beside ``rejects_beside``; no usable row -> exit 2."""
    from seller_insurance.data import loading

    result = load(path)
    print(f"{what} {path}: {result.summary()}", file=sys.stderr)
    written = loading.write_rejects(result, rejects_beside)
    if len(result.rejects):
        print(f"{what}: rejected rows with reasons in {written}", file=sys.stderr)
    return loading.ensure_usable(result)


def _claim_columns(args: argparse.Namespace, by: list[str], calendar) -> list[str] | None:
    """The claims columns the shares need (None: all, for the payer split of ``--sales``).

    Amount, filing date, status and seller id (the columns ``claim_shares`` checks for), the ``--by`` names
    (a name the file lacks stays an error of ``--by``), and the site with ``--sellers`` or ``--calendar`` (the join
    key, each site's cap). The loader still checks and deduplicates every column; it only builds fewer.
    """
    if args.sales:
        return None
    joins = ["marketplace"] if args.sellers or calendar is not None else []
    return ["seller_id", "filed_date", "amount", "status", *joins, *by]


def _calendar(args: argparse.Namespace):
    """The policy calendar of ``--calendar [FILE]`` (None without it); refuses the flags the calendar replaces."""
    calendar = calendar_option(
        args.calendar,
        {
            "--cap": args.cap,
            "--claims-start": args.claims_start,
            "--rule-start": args.rule_start,
            "--scheduler": args.scheduler,
        },
        "each site's cap, programme start and rule dates",
    )
    if calendar is not None:
        print(f"policy calendar: {calendar.source} (sha256 {calendar.sha256[:12]})", file=sys.stderr)
    return calendar


def _run(args: argparse.Namespace) -> int:
    from seller_insurance.analysis import claims as cl
    from seller_insurance.data import loading

    calendar = _calendar(args)
    if calendar is None:
        args.cap = CLAIM_CAP_USD if args.cap is None else args.cap
        args.claims_start = CLAIMS_START.isoformat() if args.claims_start is None else args.claims_start
        args.rule_start = NEW_RULE_START if args.rule_start is None else args.rule_start

    out = Path(args.out)
    if out.suffix not in OUTPUT_SUFFIXES:
        raise InputError(f"--out must end in {' or '.join(OUTPUT_SUFFIXES)}", path=out)
    if not out.parent.exists():
        raise InputError("output folder does not exist", path=out.parent)
    by = [b.strip() for b in args.by.split(",") if b.strip()]
    if "rule_status" in by and not args.sales:
        raise InputError("--by rule_status needs --sales (the rule engine's status per seller)")
    if not 0.0 < args.confidence < 1.0:
        raise InputError(f"--confidence must be strictly between 0 and 1, got {args.confidence}")
    if args.n_boot < 1 or not 0.0 <= args.non_compliant_share <= 1.0:
        raise InputError("--n-boot must be >= 1 and --non-compliant-share in [0, 1]")
    claims_start = None if str(args.claims_start).lower() == "none" else args.claims_start
    if calendar is not None:
        claims_start = CLAIMS_START  # not used: each site's start comes from the calendar
    statuses = None if args.all_statuses else VALID_CLAIM_STATUSES
    if args.scheduler:
        if args.timings:
            raise InputError("--timings is not available with --scheduler (the work runs on the cluster)")
        return _run_dask(args, out, by, statuses, claims_start)

    t0 = time.perf_counter()
    loaded = _load(
        partial(loading.load_claims, columns=_claim_columns(args, by, calendar)), args.claims, out, "claims"
    )
    sellers = (
        _load(loading.load_sellers, args.sellers, side_path(out, "sellers"), "sellers").frame
        if args.sellers
        else None
    )
    comparison = None
    if args.sales:
        from seller_insurance.analysis import rules

        sales = _load(loading.load_monthly_sales, args.sales, side_path(out, "sales"), "sales")
        if calendar is None:
            print("rule engine: comparing the three-month and single-month rules", file=sys.stderr)
            comparison = rules.compare_rules(sales.frame, start=args.rule_start)
        else:
            print("rule engine: each site under its own rules (policy calendar)", file=sys.stderr)
            comparison = rules.evaluate_calendar(sales.frame, calendar)
    cap = CLAIM_CAP_USD if calendar is not None else args.cap
    t1 = time.perf_counter()
    try:
        shares = cl.claim_shares(
            loaded.frame,
            cap=cap,
            strict=args.strict,
            by=by,
            statuses=statuses,
            sellers=sellers,
            comparison=comparison,
            confidence=args.confidence,
            n_boot=args.n_boot,
            bootstrap_below=args.bootstrap_below,
            seed=args.seed,
            calendar=calendar,
        )
        split = None
        if comparison is not None:
            split = cl.payer_split(
                loaded.frame,
                comparison,
                cap=cap,
                strict=args.strict,
                non_compliant_share=args.non_compliant_share,
                seed=args.seed,
                claims_start=claims_start,
                statuses=statuses,
                by=by,
                sellers=sellers,
                calendar=calendar,
            )
    except ValueError as exc:  # a bad --by, --confidence, duplicate sellers rows, ...
        raise InputError(str(exc)) from exc
    t2 = time.perf_counter()
    code = _write_outputs(shares, split, out)
    if args.timings:  # load: every input (claims, sellers, sales); its phases: the claims file's
        print_timings(t1 - t0, t2 - t1, time.perf_counter() - t2, loaded.timings)
    return code


def _write_outputs(shares, split, out: Path) -> int:
    _write(shares, out)
    print(f"wrote {out} ({len(shares)} groups, {int(shares['n_claims'].sum()):,} claims)", file=sys.stderr)
    if split is not None:
        payers_out = side_path(out, "payers")
        _write(split, payers_out)
        print(f"wrote {payers_out} (payer split, old rule vs new rule)", file=sys.stderr)
    return 0


def _run_dask(args: argparse.Namespace, out: Path, by: list[str], statuses, claims_start) -> int:
    """``--scheduler``: the rules and claim shares run on the Dask cluster.

    Every input goes through the loader as without it (same parsing, same rejects files). The payer split has
    no Dask version: with ``--sales`` the claims are split in pandas. See docs/loading.md.
    """
    from seller_insurance.analysis import claims as cl
    from seller_insurance.analysis import distributed
    from seller_insurance.data import loading

    sellers = (
        _load(loading.load_sellers, args.sellers, side_path(out, "sellers"), "sellers").frame
        if args.sellers
        else None
    )
    claims = _load(loading.load_claims, args.claims, out, "claims").frame
    sales = (
        _load(loading.load_monthly_sales, args.sales, side_path(out, "sales"), "sales")
        if args.sales
        else None
    )
    split = None
    try:
        with distributed.client_for(args.scheduler):
            comparison = None
            if args.sales:
                print(
                    "rule engine: comparing the three-month and single-month rules on dask", file=sys.stderr
                )
                comparison = distributed.compare_rules_dask(sales.frame, start=args.rule_start)
            shares = distributed.claim_shares_dask(
                claims,
                cap=args.cap,
                strict=args.strict,
                by=by,
                statuses=statuses,
                sellers=sellers,
                comparison=comparison,
                confidence=args.confidence,
                n_boot=args.n_boot,
                bootstrap_below=args.bootstrap_below,
                seed=args.seed,
            )
            if comparison is not None:
                split = cl.payer_split(
                    claims,
                    comparison,
                    cap=args.cap,
                    strict=args.strict,
                    non_compliant_share=args.non_compliant_share,
                    seed=args.seed,
                    claims_start=claims_start,
                    statuses=statuses,
                    by=by,
                    sellers=sellers,
                )
    except ValueError as exc:  # a bad --by, --confidence, duplicate sellers rows, ...
        raise InputError(str(exc)) from exc
    return _write_outputs(shares, split, out)
