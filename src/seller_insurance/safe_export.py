"""Exports that are safe to open elsewhere: spreadsheet CSVs and HTML.

Values such as a seller id ``=HYPERLINK(...)`` or a name ``<script>`` are data and stay data: in CSV files meant
for spreadsheets, text cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading
apostrophe (OWASP "CSV injection"), so Excel/LibreOffice/Sheets show them as text instead of evaluating them;
numeric columns are never touched (``-12.5`` stays a number). In HTML, reports use ``DataFrame.to_html(escape=True)``
(pandas' default) and :func:`html_escape` for any other text.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# A plain number written as text ("-3", "+1.5", "-1,234.50") cannot run as a formula and is left alone.
_PLAIN_NUMBER = r"^[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


def _neutralise(values: pd.Series) -> pd.Series:
    s = values.astype("str")
    risky = s.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
    if risky.any():
        risky = risky & ~s.str.match(_PLAIN_NUMBER).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return values
    out = s.copy()
    out[risky] = "'" + s[risky]
    return out


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` whose text cells cannot be read as formulas by a spreadsheet.

    Text (string, object and categorical-of-text) columns: cells starting with ``=``, ``+``, ``-``, ``@``, tab or
    CR are prefixed with ``'``, except plain numbers written as text (``-3``, ``+1.5``), which cannot run as formulas. Numeric, boolean and datetime columns are returned unchanged. Column names are
    neutralised the same way.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        dtype = s.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = dtype.categories
            if pd.api.types.is_string_dtype(cats.dtype) or pd.api.types.is_object_dtype(cats.dtype):
                new = _neutralise(pd.Series(cats.astype("str"), dtype="str"))
                if new is not None:
                    out[col] = s.cat.rename_categories(pd.Index(np.asarray(new, dtype=object), dtype="str"))
            continue
        is_obj = pd.api.types.is_object_dtype(dtype)
        if pd.api.types.is_string_dtype(dtype) or is_obj:
            mask = s.notna()
            if is_obj:
                mask &= s.map(lambda v: isinstance(v, str))
            if mask.any():
                sub = _neutralise(s[mask])
                if sub is not s[mask]:
                    s = s.copy()
                    s[mask] = sub
                    out[col] = s
    out.columns = [
        ("'" + c) if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c for c in out.columns
    ]
    return out


def to_spreadsheet_csv(df: pd.DataFrame, path) -> Path:
    """Write ``spreadsheet_safe(df)`` as UTF-8 CSV (no index) and return the path."""
    p = Path(path)
    spreadsheet_safe(df).to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
    return p


def html_escape(text: object) -> str:
    """``html.escape(str(text))`` (quotes too): for text put into HTML outside ``DataFrame.to_html``."""
    return html.escape(str(text), quote=True)
