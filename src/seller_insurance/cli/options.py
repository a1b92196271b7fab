"""Argument helpers shared by the sub-commands (not a command: it has no ``register``, so it is not discovered).

Imports stay light: ``seller-insurance --help`` must not pay for pandas or Dask.
"""

from __future__ import annotations

import argparse

from seller_insurance.errors import InputError

SCHEDULER_HELP = (
    "address of a running dask.distributed scheduler (tcp://host:8786), or 'local' for a LocalCluster on this "
    "machine; default: plain pandas"
)


def add_scheduler_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--scheduler ADDRESS`` (default None = plain pandas) to a command's parser."""
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None, help=SCHEDULER_HELP)


def column_map(items: list[str]) -> dict[str, str] | None:
    """``--map SRC=DEST`` options as a mapping of source column -> contract column (None when none given)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--map expects SRC=DEST, got {item!r}")
        src, dest = item.split("=", 1)
        out[src.strip()] = dest.strip()
    return out or None
