"""Argument helpers shared by the sub-commands (not a command: it has no ``register``, so it is not discovered).

Imports stay light: ``seller-insurance --help`` must not pay for pandas or Dask.
"""

from __future__ import annotations

import argparse
import sys

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


def calendar_option(calendar: str | None, clashes: dict[str, object], holds: str):
    """The policy calendar of ``--calendar [FILE]``: None without the flag, else the loaded calendar.

    Parameters
    ----------
    calendar : str or None
        The option's value: None (flag absent), ``""`` (the shipped calendar) or a file path.
    clashes : dict
        Flags the calendar replaces, with their values; any that is not None is refused.
    holds : str
        What the calendar holds for this command, for the refusal ("each site's dates, windows and thresholds").

    Raises
    ------
    InputError
        A clashing flag, a missing calendar file or an invalid calendar (exit 2).
    """
    if calendar is None:
        return None
    clash = [flag for flag, value in clashes.items() if value is not None]
    if clash:
        raise InputError(
            f"{', '.join(clash)} cannot be used with --calendar: the calendar holds {holds} (edit a copy of it and "
            "pass --calendar FILE); --scheduler: calendar mode runs in-process"
        )
    from seller_insurance.policy import CalendarError, load_calendar

    path = calendar or None
    try:
        return load_calendar(path)
    except FileNotFoundError:
        raise InputError("--calendar: file not found", path=path) from None
    except CalendarError as exc:
        raise InputError(str(exc)) from None


TIMINGS_HELP = (
    "print to stderr the seconds of the load, the computation and the writing, then the load's own phases: "
    "read (pyarrow on the reading thread; overlaps parse), wait, parse, aggregate"
)


def print_timings(load: float, compute: float, write: float, phases=None) -> None:
    """``--timings``: ``timings: load L s, compute C s, write W s`` on stderr (seconds).

    Then, when the load was measured (a ``LoadTimings``; None for Seller Central exports), a second line:
    ``timings of the load: read R s (reading thread, overlaps parse), wait W s, parse P s, aggregate A s``.
    """
    print(f"timings: load {load:.3f} s, compute {compute:.3f} s, write {write:.3f} s", file=sys.stderr)
    if phases is not None:
        print(f"timings of the load: {phases.summary()}", file=sys.stderr)
