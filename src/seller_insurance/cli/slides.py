"""``seller-insurance slides RUN_DIR``: build the run's PowerPoint deck from its metrics.json and figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from seller_insurance.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``slides`` command (``slides.pptx`` of a report run); it runs :func:`run`."""
    parser = subparsers.add_parser(
        "slides",
        help="Build slides.pptx for a report run from its metrics.json and figures",
        description=(
            "Write a 16:9 PowerPoint deck for a report run: a title slide (run name, date, data source), then one "
            "slide per entry of metrics.json 'slides' with the finding as title, the chart, the key number beside "
            "it and the parameters in the slide notes. Every number comes from metrics.json. "
            "`make report` runs this at the end."
        ),
        epilog="Exit status: 0 deck written; 2 metrics.json or a figure missing or malformed.",
    )
    parser.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        type=Path,
        help="report run folder holding metrics.json and the figures it names (e.g. reports/default)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        type=Path,
        default=None,
        help="where to write the deck (default: RUN_DIR/slides.pptx)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``slides``: write the deck of RUN_DIR; returns 0 (run folder missing: ``InputError``, exit 2)."""
    from seller_insurance.publish.slides import build_deck  # python-pptx imported only when the command runs

    if not args.run_dir.is_dir():
        raise InputError("run folder not found", path=args.run_dir)
    path = build_deck(args.run_dir, out=args.out)
    print(f"wrote {path}")
    return 0
