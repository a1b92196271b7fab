"""Exceptions the command line turns into clear messages and meaningful exit codes.

Exit codes: 0 success; 1 a run failed (e.g. a notebook raised); 2 unusable input or bad arguments (argparse's code
for usage errors too). ``InputError`` messages name the file, and where known the row and column.
"""

from __future__ import annotations


class InputError(Exception):
    """Input that cannot be used: missing file or column, unreadable or empty file, no usable row.

    The message is shown to the user as it is (no traceback) and the command exits with status 2.
    """

    exit_code = 2

    def __init__(
        self, message: str, *, path: object = None, row: int | None = None, column: str | None = None
    ):
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"line {row}")
        if column is not None:
            where.append(f"column {column!r}")
        self.path, self.row, self.column = path, row, column
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")


class RunError(Exception):
    """A run that started but failed (exit status 1), e.g. a notebook cell raised."""

    exit_code = 1
