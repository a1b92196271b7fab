"""``seller-insurance validate FILE``: run the loading checks on an export without computing anything.

FILE may also be a Seller Central export (Payments Date Range Report, Business Report; detected by its header, or
forced with ``--format``) or a folder of them, one or more per account (``seller_insurance.data.exports``,
docs/seller-central.md): then each file's format, rows read, accepted, rejected and months covered are printed,
with the gaps and overlaps between files of one account. :func:`add_export_arguments` and :func:`export_sales` are
shared with ``evaluate``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seller_insurance.cli.options import column_map

KINDS = ("auto", "monthly", "orders", "claims", "sellers")
EXPORT_FORMATS = ("auto", "date-range", "business")


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    """``--format``, ``--sheet``, ``--accounts`` and ``--gross`` (Seller Central exports) on a command's parser."""
    p.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="auto",
        help="Seller Central export format: date-range (Payments Date Range Report), business (Business Report, "
        "Sales and Traffic by date); 'auto' (default) detects exports by their header and reads anything else as "
        "a contract table",
    )
    p.add_argument(
        "--sheet", default=None, metavar="NAME", help=".xlsx exports: sheet to read (default the first)"
    )
    p.add_argument(
        "--accounts",
        default=None,
        metavar="CSV",
        help="accounts file for a folder of exports: file, seller_id[, category][, marketplace] (default "
        "<folder>/accounts.csv when present; otherwise the seller id is the seller_id column or the file name)",
    )
    p.add_argument(
        "--gross",
        choices=("gross", "net"),
        default="gross",
        help="gross proceeds of a Date Range Report: product sales + shipping credits + gift wrap credits over "
        "Order rows ('gross', default) or over Order and Refund rows ('net'). Business Report: Ordered Product "
        "Sales either way. See docs/seller-central.md",
    )


def uses_exports(path: Path, args: argparse.Namespace) -> bool:
    """Whether ``path`` is read as Seller Central exports: ``--format``/``--accounts`` given, or detected."""
    from seller_insurance.data import exports

    if getattr(args, "format", "auto") != "auto" or getattr(args, "accounts", None):
        return True
    return exports.is_export_input(path, getattr(args, "sheet", None))


def _read_exports(path: Path, args: argparse.Namespace):
    from seller_insurance.data import exports

    return exports.read_accounts(
        path, accounts=args.accounts, format=args.format, sheet=args.sheet, definition=args.gross
    )


def export_sales(path: Path, args: argparse.Namespace, out: Path):
    """Read Seller Central exports at ``path`` as monthly sales for a command writing ``out``.

    The rejects go to ``<out without extension>.rejects.csv``, the summary and flags to stderr; a file that
    cannot be read at all is an ``InputError`` (exit 2) after that. Returns a ``LoadResult`` (call
    ``ensure_usable`` on it).
    """
    import tempfile

    from seller_insurance.data import exports, loading
    from seller_insurance.errors import InputError

    res = _read_exports(path, args)
    with tempfile.TemporaryDirectory() as tmp:
        result = exports.as_load_result(res, tmp, path)
    loading.write_rejects(result, out)
    print(f"{path}: {len(res.files)} export file(s), {result.summary()}", file=sys.stderr)
    for flag in res.flags:
        print(f"  {flag}", file=sys.stderr)
    if res.errors:
        raise InputError("; ".join(res.errors))
    return result


def _validate_exports(path: Path, args: argparse.Namespace, out: Path) -> int:
    from seller_insurance.data import exports, loading
    from seller_insurance.errors import InputError

    res = _read_exports(path, args)
    print(
        f"{path}: {len(res.files)} export file(s); gross proceeds: {exports.GROSS_DEFINITIONS[res.definition]}"
    )
    for f in res.files:
        if f.error:
            print(f"  {f.path.name}: UNUSABLE: {f.error}")
            continue
        r = f.result
        codes = r.rejects["reason"].str.split(":", n=1).str[0].value_counts() if len(r.rejects) else None
        why = f" ({', '.join(f'{n} {c}' for c, n in codes.items())})" if codes is not None else ""
        extra = f", {f.overlap_rejected} overlapping/negative months" if f.overlap_rejected else ""
        counted = int(r.rows["month"].notna().sum())
        if counted < len(r.rows):  # Transfer, Service Fee, ... rows (and Refunds under 'gross') add nothing
            extra += (
                f"; {len(r.rows) - counted:,} accepted rows not in gross proceeds (their type is not counted)"
            )
        print(
            f"  {f.path.name}: {r.format} ({r.language}; {r.container}; header on line {r.header_line}; "
            f"seller id from {r.seller_id_from})\n"
            f"    read {f.rows_read:,} rows: {f.accepted:,} accepted, {f.rejected:,} rejected{why}{extra}; "
            f"months {exports.months_text(r.months())}"
        )
        for note in r.notes:
            print(f"    note: {note}")
    for flag in res.flags:
        print(f"  {flag}")
    accepted = sum(f.accepted for f in res.files)
    print(
        f"total: read {res.rows_read:,} rows: {accepted:,} accepted, {len(res.rejects):,} rejected; "
        f"{len(res.monthly):,} seller-site-months"
    )
    written = loading.rejects_path(out)
    written.parent.mkdir(parents=True, exist_ok=True)
    from seller_insurance.safe_export import to_spreadsheet_csv

    to_spreadsheet_csv(res.rejects, written)
    print(f"rejects: {written}")
    if args.show and len(res.rejects):
        for r in res.rejects.head(args.show).itertuples():
            where = f"{Path(r.source_file).name} line {r.source_line}" + (
                f", {r.column!r}" if r.column else ""
            )
            print(f"  {where}: {r.reason}" + (f" [{r.value}]" if r.value else ""))
    sys.stdout.flush()
    if res.errors:
        raise InputError(f"{len(res.errors)} file(s) unusable: " + "; ".join(res.errors))
    if res.rows_read == 0:
        raise InputError("no data rows (the exports have a header and nothing else)", path=path)
    if len(res.monthly) == 0:
        raise InputError("no usable row in the exports (see the rejects file)", path=path)
    return 0


def register(subparsers) -> None:
    """Add the ``validate`` command (check a file against the data contract); it runs :func:`run`."""
    p = subparsers.add_parser(
        "validate",
        help="check an export (CSV/Parquet) against the data contract and write its rejects file",
        description=(
            "Read FILE (CSV with any common delimiter, UTF-8 or Latin-1; Parquet file or folder) exactly as every "
            "other command would, print how many rows were read, accepted and rejected and why, and write the "
            "rejected rows (line number, reason, original values) to <OUT without extension>.rejects.csv. "
            "Nothing is computed. See docs/your-own-data.md."
        ),
        epilog="Exit status: 0 at least one usable row; 2 unusable input (missing file or column, empty file, "
        "no usable row) or bad arguments.",
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="the export to check: .csv, .parquet, a folder of .parquet files, or Seller Central exports "
        "(.csv, .txt, .csv.gz, .zip, .xlsx, or a folder of them)",
    )
    p.add_argument(
        "--kind",
        choices=KINDS,
        default="auto",
        help="what FILE holds: monthly sales, order-level sales (aggregated to months), claims or "
        "sellers; 'auto' (default) reads sales and picks monthly or orders from the columns",
    )
    p.add_argument(
        "--map",
        metavar="SRC=DEST",
        action="append",
        default=[],
        help="use source column SRC as contract column DEST (repeatable), e.g. --map 'Sales Channel="
        "marketplace'",
    )
    p.add_argument(
        "--rejects",
        metavar="OUT",
        default=None,
        help="where the rejects go: <OUT without extension>.rejects.csv (default: beside FILE, i.e. "
        "FILE's name without extension + .rejects.csv)",
    )
    p.add_argument(
        "--show",
        type=int,
        default=5,
        metavar="N",
        help="print the first N rejected rows (default 5; 0 for none)",
    )
    add_export_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``validate``: print counts, write the rejects; returns 0 (no usable row: InputError, exit 2)."""
    from seller_insurance.data import loading

    cmap = column_map(args.map)
    path = Path(args.file)
    out = (
        Path(args.rejects) if args.rejects else (path if path.suffix else path.with_name(path.name + ".csv"))
    )
    if args.kind in ("auto", "monthly") and uses_exports(path, args):
        return _validate_exports(path, args, out)
    if args.kind == "claims":
        result = loading.load_claims(path, column_map=cmap)
    elif args.kind == "sellers":
        result = loading.load_sellers(path, column_map=cmap)
    else:
        result = loading.load_monthly_sales(path, column_map=cmap, kind=args.kind)
    written = loading.write_rejects(result, out)
    print(f"{path}: {result.summary()}")
    print(f"rejects: {written}")
    if args.show and len(result.rejects):
        cols = [c for c in result.rejects.columns if c != "source_file"]
        print(result.rejects[cols].head(args.show).to_string(index=False))
    sys.stdout.flush()
    loading.ensure_usable(result)
    return 0
