"""The CSV reader's quick test for line breaks inside values (``sources._may_hold_newline``)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from seller_insurance.data.loading import load_monthly_sales
from seller_insurance.data.loading.sources import _may_hold_newline


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
def test_line_break_found_only_inside_the_values_of_the_slice(typ):
    arr = pa.array(["a", "b\nc", "d", "", "e"], typ)
    assert _may_hold_newline(arr)
    assert not _may_hold_newline(arr.slice(2))  # the break is in the buffer, before the slice
    assert not _may_hold_newline(arr.slice(0, 1))  # ... and after it
    assert _may_hold_newline(arr.slice(1, 1))
    assert not _may_hold_newline(pa.array(["", ""], typ))
    assert not _may_hold_newline(pa.chunked_array([pa.array([], typ), pa.array(["x"], typ)]))
    assert _may_hold_newline(pa.chunked_array([pa.array(["x"], typ), pa.array(["y\r\n"], typ)]))


def test_non_text_columns_are_counted_as_before():
    assert _may_hold_newline(pa.array([1, 2]))


def test_rejects_after_a_quoted_line_break_name_the_physical_line(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(
        'seller_id,month,gross_sales,note\nS1,2021-01,100,"two\nlines"\nS1,2021-02,oops,x\nS2,2021-01,5,y\n'
    )
    loaded = load_monthly_sales(path)
    assert loaded.rejects["source_line"].tolist() == [4]  # header 1, S1 on 2-3, the bad row on line 4
    assert loaded.rows_read == 3 and loaded.rows_accepted == 2
