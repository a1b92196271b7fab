"""``seller-insurance``: the command line.

Each sub-command lives in its own module in this package and exposes ``register(subparsers)``, which adds its
parser and sets ``func`` (called with the parsed arguments, returning an exit status). Modules are discovered,
so adding a command never touches this file.

Exit codes: 0 success, 1 a run failed, 2 unusable input or bad arguments (no traceback for either).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from seller_insurance import __version__
from seller_insurance.errors import InputError, RunError

__all__ = ["build_parser", "main", "numpy_small_pages"]


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


def numpy_small_pages() -> None:
    """Stop numpy asking the kernel for transparent huge pages for its large arrays (unless the user chose).

    Every command does this first (``main``).

    numpy ``madvise``s every array of 4 MB or more for huge pages. On the project's machine kind (a 2-core virtual
    machine, THP in ``madvise`` mode) each 2 MB page fault cost about 5 ms of kernel time: 10M claims spent 2.1 s
    in the kernel against 0.9 s with 4 KB pages (parsing the dates, 80 MB: 0.21 s against 0.035 s; whole command
    4.5 s against 3.5 s). The same finding made the loader choose jemalloc's small pages for Arrow
    (``sources.choose_memory_pool``). ``NUMPY_MADVISE_HUGEPAGE`` set in the environment is left as it is.
    """
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return
    import numpy as np

    for owner in ("_core", "core"):
        setter = getattr(getattr(np, owner, None), "multiarray", None)
        setter = getattr(setter, "_set_madvise_hugepage", None)
        if setter is not None:
            setter(False)
            return


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    0 success; 1 a run failed (``RunError``); 2 unusable input (``InputError``) or no command (the help is
    printed); 130 interrupted. Errors are printed to stderr without a traceback; bad arguments make argparse
    exit with status 2.
    """
    numpy_small_pages()
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
