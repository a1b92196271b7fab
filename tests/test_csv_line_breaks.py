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


def test_batch_lines_are_kept_compact_only_when_they_follow_one_another():
    """By hand: lines 5, 6, 7 are kept as "the row before is 4" (row i is line 4 + i + 1); lines 5, 7, 8 (a line
    break inside a value) are kept as they are; either way ``_line_of`` gives the same lines as the array."""
    import numpy as np

    from seller_insurance.data.loading.stream import _compact_lines, _line_of

    assert _compact_lines(np.array([5, 6, 7]), 0) == (None, 4)
    gap = np.array([5, 7, 8])
    lines, first = _compact_lines(gap, 0)
    assert lines is gap and first == 0
    assert _compact_lines(None, 12) == (None, 12)  # Parquet
    assert _compact_lines(np.zeros(0, np.int64), 0)[0] is not None  # an empty batch: kept as it is
    for arr in (np.array([5, 6, 7]), gap):
        compact, first = _compact_lines(arr, 0)
        assert _line_of(compact, np.array([0, 2]), first).tolist() == arr[[0, 2]].tolist()


def test_duplicate_rejects_name_lines_across_batches_with_and_without_line_breaks(tmp_path, monkeypatch):
    """Late rejects (a copy found after the read) name the kept row's line through the batch metas, in small
    CSV batches: some with a quoted line break (lines kept as an array), some without (kept compact)."""
    from seller_insurance.data.loading import sources

    monkeypatch.setattr(sources, "CSV_BLOCK_BYTES", 64)
    rows = ["seller_id,month,gross_sales,note"]
    for k in range(12):
        note = '"a\nb"' if k == 5 else "x"
        rows.append(f"S{k},2021-01,{100 + k},{note}")
    rows.append("S2,2021-01,102,x")  # a copy of S2's row (line 4), on line 15 (row 5's note takes two lines)
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(rows) + "\n")
    loaded = load_monthly_sales(path)
    assert loaded.rejects["source_line"].tolist() == [15]
    assert "line 4" in loaded.rejects["reason"].iloc[0]
