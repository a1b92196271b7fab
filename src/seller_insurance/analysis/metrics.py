"""One key number as the findings functions return it for ``metrics.json``.

The analysis layer may not import ``publish`` (where :func:`seller_insurance.publish.run_metrics.metric` also
checks the format spec), so the findings of notebooks 02-05 build their entries here, in the same shape.
"""

from __future__ import annotations

import math

import numpy as np


def metric(value: object, label: str, fmt: str, unit: str) -> dict:
    """``{"value", "label", "format", "unit"}`` with a JSON-native value.

    Parameters
    ----------
    value : object
        A number, text or None; numpy scalars become Python ones, NaN and infinities become None (shown "n/a").
    label : str
        What the number is, as people read it.
    fmt : str
        Python format spec (``",.0f"``, ``".1%"``; a leading ``$`` for US dollars).
    unit : str
        "sellers", "share", "USD", ... or empty.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    return {"value": value, "label": label, "format": fmt, "unit": unit}
