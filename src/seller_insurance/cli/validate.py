"""``seller-insurance validate FILE``: run the loading checks on an export without computing anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seller_insurance.cli.options import column_map

KINDS = ("auto", "monthly", "orders", "claims", "sellers")


def register(subparsers) -> None:
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
        "file", metavar="FILE", help="the export to check: .csv, .parquet, or a folder of .parquet files"
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seller_insurance.data import loading

    cmap = column_map(args.map)
    path = Path(args.file)
    if args.kind == "claims":
        result = loading.load_claims(path, column_map=cmap)
    elif args.kind == "sellers":
        result = loading.load_sellers(path, column_map=cmap)
    else:
        result = loading.load_monthly_sales(path, column_map=cmap, kind=args.kind)
    out = (
        Path(args.rejects) if args.rejects else (path if path.suffix else path.with_name(path.name + ".csv"))
    )
    written = loading.write_rejects(result, out)
    print(f"{path}: {result.summary()}")
    print(f"rejects: {written}")
    if args.show and len(result.rejects):
        cols = [c for c in result.rejects.columns if c != "source_file"]
        print(result.rejects[cols].head(args.show).to_string(index=False))
    sys.stdout.flush()
    loading.ensure_usable(result)
    return 0
