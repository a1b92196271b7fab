"""Argument helpers shared by the sub-commands (not a command: the leading underscore keeps it undiscovered)."""

from __future__ import annotations

from seller_insurance.errors import InputError


def column_map(items: list[str]) -> dict[str, str] | None:
    """``--map SRC=DEST`` options as a mapping of source column -> contract column (None when none given)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--map expects SRC=DEST, got {item!r}")
        src, dest = item.split("=", 1)
        out[src.strip()] = dest.strip()
    return out or None
