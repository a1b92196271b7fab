"""``seller-insurance``: the command line.

Each sub-command lives in its own module in this package and exposes ``register(subparsers)``, which adds its
parser and sets ``func`` (called with the parsed arguments, returning an exit status). Modules are discovered,
so adding a command never touches this file.

Exit codes: 0 success, 1 a run failed, 2 unusable input or bad arguments (no traceback for either).
"""

from __future__ import annotations

import os

# Before anything imports numpy (it reads this once): no transparent huge pages for numpy's arrays. On the project's
# machine kind (transparent_hugepage "madvise", defrag "madvise") the kernel compacts memory on the faults of each
# new large array: evaluate on a 1M-seller file spent 3.7 s in the kernel, 1.9 s without (wall -21%, same peak
# memory; docs/loading.md). A value the user set is kept.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

import argparse
import importlib
import pkgutil
import sys

from seller_insurance import __version__
from seller_insurance.errors import InputError, RunError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``seller-insurance`` argument parser, with every command module's ``register`` applied."""
    parser = argparse.ArgumentParser(
        prog="seller-insurance",
        description=(
            "Measure Amazon's 2021 insurance-rule change (three months over the threshold -> one month) and the "
            "$1,000 claims cap on seller sales and claim histories, synthetic or your own."
        ),
        epilog="Exit status: 0 success, 1 a run failed, 2 unusable input or bad arguments.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    0 success; 1 a run failed (``RunError``); 2 unusable input (``InputError``) or no command (the help is
    printed); 130 interrupted. Errors are printed to stderr without a traceback; bad arguments make argparse
    exit with status 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
