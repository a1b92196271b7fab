"""``seller-insurance evaluate SALES --out OUT``: old three-month rule vs new single-month rule per seller-marketplace.

Reads SALES through the loading layer (``seller_insurance.data.loading``: CSV or Parquet, rejects written to
``<OUT without extension>.rejects.csv`` always; with ``--scheduler`` too, the rules then run on the Dask cluster,
see docs/loading.md), runs :func:`seller_insurance.analysis.rules.compare_arrays` and writes one
row per seller-marketplace with at least one accepted row: ``seller_id, marketplace, old_trigger, new_trigger``
(``YYYY-MM``, empty when none), ``status``, ``lead_months`` (empty unless both rules trigger) and
``insurance_due`` (``YYYY-MM-DD``, new rule: last day of the trigger month + 30 days; empty when none).
OUT is CSV or Parquet by extension; the same text values in both (Parquet: strings, lead_months int64 with nulls).
The CSV is plain (ids written as they are, so it reads back exactly); the rejects file is spreadsheet-safe.

``--calendar [FILE]``: each site under its own rules over time (the policy calendar: the shipped one, or FILE;
:func:`seller_insurance.analysis.rules.calendar_arrays`, docs/policy-calendar.md). Two more columns,
``switch_month`` (``YYYY-MM``, empty where the site never switched) and ``required_from`` (``YYYY-MM``, empty when
never required); ``status`` and ``lead_months`` (old trigger - required_from) are relative to each site's switch
month and ``insurance_due`` is for ``required_from``. ``--pool-eu`` (with ``--calendar``) adds up a seller's sales
on the EU stores in EUR against EUR 5,000. ``--start``, ``--old-months``, ``--new-months`` and ``--threshold`` come
from the calendar in that mode and are refused with it. Without ``--calendar`` the command is unchanged.

Exit status: 0 done; 2 unusable input (missing file or column, no usable row) or bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from seller_insurance.cli.options import (
    TIMINGS_HELP,
    add_scheduler_argument,
    calendar_option,
    column_map,
    print_timings,
)
from seller_insurance.cli.validate import add_export_arguments, export_sales, uses_exports
from seller_insurance.errors import InputError
from seller_insurance.policy import (
    DEFAULT_THRESHOLDS,
    INSURANCE_DUE_DAYS,
    NEW_RULE_MONTHS,
    NEW_RULE_START,
    OLD_RULE_MONTHS,
)

OUTPUT_SUFFIXES = (".csv", ".parquet")
OUTPUT_COLUMNS = (
    "seller_id",
    "marketplace",
    "old_trigger",
    "new_trigger",
    "status",
    "lead_months",
    "insurance_due",
)
CALENDAR_COLUMNS = (*OUTPUT_COLUMNS, "switch_month", "required_from")


def register(subparsers) -> None:
    """Add the ``evaluate`` command (old vs new rule per seller-marketplace); it runs :func:`run`."""
    p = subparsers.add_parser(
        "evaluate",
        help="trigger months of the old (3-month) and new (1-month) insurance rules per seller-marketplace",
        description=(
            "Read monthly sales (SALES: .csv or .parquet with seller_id, month, gross_sales and optionally "
            "marketplace; month as YYYY-MM or any date in the month) through the loading checks, find the first "
            "month each rule requires insurance for each seller-marketplace and write one row per "
            "seller-marketplace to OUT (.csv or .parquet): seller_id, marketplace, old_trigger, new_trigger "
            "(YYYY-MM, empty when none), status, lead_months, insurance_due (YYYY-MM-DD, new rule). Rejected input "
            "rows go to <OUT without extension>.rejects.csv (always written). Semantics: docs/rules.md."
        ),
        epilog="Exit status: 0 done; 2 unusable input (missing file or column, no usable row) or bad arguments.",
    )
    p.add_argument(
        "sales", metavar="SALES", help="monthly sales: .csv, .parquet or a folder of .parquet files"
    )
    p.add_argument(
        "--out", required=True, metavar="OUT", help="output table, .csv or .parquet (by extension)"
    )
    p.add_argument(
        "--threshold",
        metavar="X",
        default=None,
        help="Insurance Threshold in local currency: one number for every marketplace (e.g. 10000) or "
        "SITE=NUMBER pairs (e.g. US=10000,CA=12000; other sites keep their defaults). Default: "
        + ", ".join(f"{k} {v:,.0f}" for k, v in DEFAULT_THRESHOLDS.items()),
    )
    p.add_argument(
        "--old-months",
        type=int,
        default=None,
        metavar="N",
        help=f"window of the old rule in consecutive calendar months (default {OLD_RULE_MONTHS})",
    )
    p.add_argument(
        "--new-months",
        type=int,
        default=None,
        metavar="N",
        help=f"window of the new rule (default {NEW_RULE_MONTHS}); may not exceed --old-months",
    )
    p.add_argument(
        "--start",
        metavar="YYYY-MM",
        default=None,
        help="month the new rule took effect (e.g. " + NEW_RULE_START + "); sellers whose old-rule "
        "trigger is before it are 'already_required'. Default: none (no such status)",
    )
    p.add_argument(
        "--end",
        metavar="YYYY-MM",
        default=None,
        help="evaluate as of this month (inclusive): later rows are ignored. Default: all rows",
    )
    p.add_argument(
        "--inclusive",
        action="store_true",
        help="a month counts when sales reach the threshold (>=); default: exceed it (>), as the "
        "contract says",
    )
    p.add_argument(
        "--map",
        metavar="SRC=DEST",
        action="append",
        default=[],
        help="use source column SRC as contract column DEST (repeatable)",
    )
    p.add_argument(
        "--calendar",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="each site under its own rules over time, from the policy calendar (the shipped one, or FILE: a CSV "
        "with the same columns, docs/policy-calendar.md); adds switch_month and required_from. Refuses --start, "
        "--old-months, --new-months and --threshold (the calendar holds them). Default: off (one --start for all)",
    )
    p.add_argument(
        "--pool-eu",
        action="store_true",
        help="with --calendar: on the calendar's pooled sites (the EU stores), the new rule compares a seller's "
        "monthly sales on all of them, converted to EUR, with the pool threshold (EUR 5,000), history included; a "
        "seller-site counts from its first row on the site. Third-party reports only, see docs/policy-calendar.md. "
        "Default: off",
    )
    p.add_argument("--timings", action="store_true", help=TIMINGS_HELP)
    add_scheduler_argument(p)
    add_export_arguments(
        p
    )  # SALES may be Seller Central exports or a folder of them (docs/seller-central.md)
    p.set_defaults(func=run)


def parse_threshold(text: str | None) -> float | dict[str, float] | None:
    """``--threshold``: None, one number, or ``SITE=NUMBER[,SITE=NUMBER...]``. Raises ``InputError``."""
    if text is None:
        return None
    text = text.strip()
    if "=" not in text:
        try:
            value = float(text.replace("_", ""))
        except ValueError:
            raise InputError(f"--threshold: not a number or SITE=NUMBER list: {text!r}") from None
        if not np.isfinite(value):
            raise InputError(f"--threshold must be a finite number, got {text!r}")
        return value
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        site, sep, number = part.partition("=")
        site = site.strip().upper()
        try:
            value = float(number.strip().replace("_", ""))
        except ValueError:
            value = float("nan")
        if not sep or not site or not np.isfinite(value):
            raise InputError(
                f"--threshold: expected SITE=NUMBER, got {part.strip()!r} (e.g. US=10000,CA=12000)"
            )
        out[site] = value
    return out


def _month_option(text: str | None, name: str) -> str | None:
    from seller_insurance.months import parse_month

    if text is None:
        return None
    try:
        parse_month(text)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    return text.strip()


def run(args: argparse.Namespace) -> int:
    """Run ``evaluate``: compare the rules on SALES, write OUT; returns 0 (bad input: InputError, exit 2)."""
    out = Path(args.out)
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(f"--out must end in .csv or .parquet, got {str(out)!r}")
    calendar = _calendar_option(args)
    threshold = parse_threshold(args.threshold)
    start, end = _month_option(args.start, "--start"), _month_option(args.end, "--end")
    if args.old_months is None:
        args.old_months = OLD_RULE_MONTHS
    if args.new_months is None:
        args.new_months = NEW_RULE_MONTHS
    for name, value in (("--old-months", args.old_months), ("--new-months", args.new_months)):
        if value < 1:
            raise InputError(f"{name} must be at least 1, got {value}")
    if args.new_months > args.old_months:
        raise InputError(
            f"--new-months ({args.new_months}) may not be longer than --old-months ({args.old_months})"
        )
    cmap = column_map(args.map)

    from seller_insurance.analysis import rules
    from seller_insurance.data import loading

    t0 = time.perf_counter()
    kw = {
        "old_months": args.old_months,
        "new_months": args.new_months,
        "threshold": threshold,
        "inclusive": args.inclusive,
        "start": start,
        "end": end,
    }
    # one load for every mode (parsing, rejects file); then the rules: calendar, plain pandas or the Dask cluster
    if uses_exports(Path(args.sales), args):
        result = export_sales(Path(args.sales), args, out)
    else:
        # the rule engines take rows in any order; only the Dask path partitions the loaded frame as it is
        sort = bool(args.scheduler) and calendar is None
        result = loading.load_monthly_sales(Path(args.sales), column_map=cmap, sort=sort)
        loading.write_rejects(result, out)
        print(f"{args.sales}: {result.summary()}", file=sys.stderr)
    if calendar is not None:
        print(f"policy calendar: {calendar.source} (sha256 {calendar.sha256[:12]})", file=sys.stderr)
    loading.ensure_usable(result)
    t1 = time.perf_counter()
    try:
        if calendar is not None:
            comparison = rules.calendar_arrays(
                result.frame, calendar, inclusive=args.inclusive, end=end, pool_eu=args.pool_eu
            )
        elif args.scheduler:
            from seller_insurance.analysis import distributed

            with distributed.client_for(args.scheduler):
                comparison = distributed.compare_arrays_dask(result.frame, **kw)
        else:
            comparison = rules.compare_arrays(result.frame, **kw)
    except ValueError as exc:
        raise InputError(str(exc), path=args.sales) from None
    t2 = time.perf_counter()
    table = output_table(comparison)
    write_table(table, out)
    t3 = time.perf_counter()
    counts = np.bincount(comparison.status, minlength=len(rules.STATUSES))
    print(
        f"{len(comparison.status):,} seller-marketplaces: "
        + ", ".join(f"{n:,} {s}" for s, n in zip(rules.STATUSES, counts, strict=True))
        + f" -> {out}"
    )
    if args.timings:
        print_timings(t1 - t0, t2 - t1, t3 - t2, result.timings)
    return 0


def _calendar_option(args: argparse.Namespace):
    """The policy calendar of ``--calendar [FILE]`` (None without the flag); checks the flags it excludes."""
    if args.calendar is None and args.pool_eu:
        raise InputError("--pool-eu needs --calendar (pooling is part of the 2024 rules on the calendar)")
    return calendar_option(
        args.calendar,
        {
            "--start": args.start,
            "--old-months": args.old_months,
            "--new-months": args.new_months,
            "--threshold": args.threshold,
            "--scheduler": args.scheduler,
        },
        "each site's dates, windows and thresholds",
    )


def _month_text(index: np.ndarray, fmt) -> object:
    """The pyarrow string array of formatted month indices ('' for NO_MONTH).

    Built through a dictionary of the distinct months, so ``fmt`` runs once per month, not per row.
    """
    import pyarrow as pa

    from seller_insurance.months import NO_MONTH

    ok = index != NO_MONTH
    if not ok.any():
        return pa.array(np.full(len(index), "", dtype=object), type=pa.string())
    lo, hi = int(index[ok].min()), int(index[ok].max())
    months = np.arange(lo, hi + 1, dtype=np.int64)
    dictionary = pa.array([""] + list(fmt(months)), type=pa.string())
    codes = np.where(ok, index - lo + 1, 0).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes), dictionary).cast(pa.string())


def _due_text(months: np.ndarray) -> list[str]:
    from seller_insurance.months import month_end_plus_days

    return list(np.datetime_as_string(month_end_plus_days(months, INSURANCE_DUE_DAYS), unit="D"))


def output_table(c):
    """The output as a pyarrow Table (string columns, lead_months int64 with nulls).

    Parameters
    ----------
    c : rules.Comparison or rules.CalendarComparison
        Raw arrays; a ``CalendarComparison`` adds ``switch_month`` and ``required_from`` (``YYYY-MM``, empty when
        none) and its ``insurance_due`` is for ``required_from``.

    Returns
    -------
    pyarrow.Table
        Columns :data:`OUTPUT_COLUMNS` (plus the two calendar columns, :data:`CALENDAR_COLUMNS`).
    """
    import pyarrow as pa

    from seller_insurance.analysis import rules
    from seller_insurance.months import format_month

    def ids(values):  # Categorical -> dictionary array -> plain strings
        return pa.array(values).cast(pa.string())

    lead, both = c.lead_months()
    required = getattr(c, "required", None)
    status = pa.DictionaryArray.from_arrays(
        pa.array(c.status.astype(np.int32)), pa.array(list(rules.STATUSES), type=pa.string())
    ).cast(pa.string())
    table = pa.table(
        {
            "seller_id": ids(c.seller_id),
            "marketplace": ids(c.marketplace),
            "old_trigger": _month_text(c.old, lambda m: list(format_month(m))),
            "new_trigger": _month_text(c.new, lambda m: list(format_month(m))),
            "status": status,
            "lead_months": pa.array(lead, type=pa.int64(), mask=~both),
            "insurance_due": _month_text(c.new if required is None else required, _due_text),
        }
    )
    if required is None:
        return table
    table = table.append_column("switch_month", _month_text(c.switch, lambda m: list(format_month(m))))
    return table.append_column("required_from", _month_text(required, lambda m: list(format_month(m))))


def write_table(table, out: Path) -> None:
    """Write atomically (temporary file in the same folder, then rename): CSV via DuckDB, Parquet via pyarrow.

    CSV: UTF-8, Unix line ends, a header, a value quoted only when it holds a comma, a quote or a line break,
    missing values and empty text as empty fields, whole numbers without a decimal point: the bytes pandas'
    ``to_csv`` wrote before. DuckDB's writer takes 0.2 s for a million sellers where ``to_csv`` took 1.1 s; it
    quotes empty text (``""``) to tell it from a missing value, so empty text is written as missing.
    """
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        if out.suffix.lower() == ".parquet":
            pq.write_table(table, tmp)
        else:
            import duckdb
            import pyarrow as pa
            import pyarrow.compute as pc

            for k, col in enumerate(table.columns):
                if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                    blank = pc.equal(col, "")
                    if pc.any(blank).as_py():
                        table = table.set_column(k, table.field(k), pc.if_else(blank, None, col))
            con = duckdb.connect()
            try:
                con.register("result_table", table)
                path = str(tmp).replace("'", "''")
                con.execute(f"COPY result_table TO '{path}' (FORMAT csv, HEADER, DELIMITER ',')")
            finally:
                con.close()
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
