"""The corpus of bad inputs: each ``tests/bad_inputs/<case>/`` holds one input file and ``expected.yaml`` with the
exact error or rejects (line, reason code), worked out by hand from the file.

expected.yaml keys: ``loader`` (monthly | claims | sellers), ``input``, optional ``column_map``; then either
``error`` (regex the ``InputError`` message must match) or ``rows_read``, ``accepted``, ``rejects`` (list of
``[line, code]`` in file order), optional ``frame`` (column -> expected values, months as YYYY-MM-DD),
``reject_values`` (column -> original values in the rejects), ``rejects_csv_contains`` (text the written rejects
file must contain) and ``usable_error`` (regex for ``ensure_usable``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from seller_insurance.data.loading import (
    ensure_usable,
    load_claims,
    load_monthly_sales,
    load_sellers,
    write_rejects,
)
from seller_insurance.errors import InputError

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.yaml").exists())
LOADERS = {"monthly": load_monthly_sales, "claims": load_claims, "sellers": load_sellers}


def test_corpus_is_there():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_case(case, tmp_path):
    d = CORPUS / case
    exp = yaml.safe_load((d / "expected.yaml").read_text(encoding="utf-8"))
    loader = LOADERS[exp["loader"]]
    kwargs = {"column_map": exp["column_map"]} if "column_map" in exp else {}
    path = d / exp["input"]
    if "error" in exp:
        with pytest.raises(InputError) as info:
            loader(path, **kwargs)
        assert re.search(exp["error"], str(info.value)), str(info.value)
        assert str(path) in str(info.value)
        return
    r = loader(path, **kwargs)
    got = [
        [int(line), reason.split(":")[0]]
        for line, reason in zip(r.rejects["source_line"], r.rejects["reason"], strict=True)
    ]
    assert got == exp["rejects"]
    assert r.rows_read == exp["rows_read"]
    assert r.rows_accepted == exp["accepted"]
    assert r.rows_accepted + len(r.rejects) == r.rows_read
    assert (r.rejects["source_file"] == str(path)).all()
    for col, values in exp.get("frame", {}).items():
        s = r.frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        assert [v for v in s.astype(object).tolist()] == values, col
    for col, values in exp.get("reject_values", {}).items():
        assert r.rejects[col].tolist() == values
    out = write_rejects(r, tmp_path / "out.csv")
    text = out.read_text(encoding="utf-8")
    assert len(pd.read_csv(out, dtype=str, keep_default_na=False)) == len(r.rejects)
    for snippet in exp.get("rejects_csv_contains", []):
        assert snippet in text
    if "usable_error" in exp:
        with pytest.raises(InputError, match=exp["usable_error"]):
            ensure_usable(r)
    else:
        assert ensure_usable(r) is r
