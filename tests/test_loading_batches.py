"""Parquet read in batches: row numbers of rejects count from the file's first row, whatever the batch size.

Seller ids are hashed once after the read; null and empty ids are rejected per batch, ids of only spaces after
the hashing (each row once, under the first reason it failed).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seller_insurance.data.loading import load_monthly_sales, sources


def _frame() -> pd.DataFrame:
    rows = [(f"S{k % 9}", "US", f"2021-{k // 9 + 1:02d}", 100.0 + k) for k in range(50)]
    frame = pd.DataFrame(rows, columns=["seller_id", "marketplace", "month", "gross_sales"])
    frame.loc[3, "month"] = "2021-13"  # bad month (row number 4)
    frame.loc[20, "gross_sales"] = -5.0  # negative (21)
    frame.loc[44, "seller_id"] = "   "  # only spaces (45)
    frame.loc[30, "seller_id"] = "\t"  # only a tab, and a bad month: rejected once, for the month (31)
    frame.loc[30, "month"] = "nope"
    frame.loc[38, "seller_id"] = ""  # empty (39)
    frame = pd.concat([frame, frame.iloc[[10]]], ignore_index=True)  # exact copy of row 11 (51)
    return frame


@pytest.mark.parametrize("batch_rows", [7, 1 << 20])
def test_rejects_name_the_file_row_across_batches(tmp_path, monkeypatch, batch_rows):
    monkeypatch.setattr(sources, "PARQUET_BATCH_ROWS", batch_rows)
    path = tmp_path / "sales.parquet"
    pq.write_table(pa.Table.from_pandas(_frame(), preserve_index=False), path, row_group_size=11)
    got = load_monthly_sales(path)
    rej = got.rejects.sort_values("source_line").reset_index(drop=True)
    codes = [r.split(":")[0] for r in rej["reason"]]
    assert list(rej["source_line"]) == [4, 21, 31, 39, 45, 51]
    assert codes == [
        "bad_month",
        "negative_gross_sales",
        "bad_month",
        "missing_seller_id",
        "missing_seller_id",
        "duplicate_copy",
    ]
    assert "line 11" in rej["reason"].iloc[5]  # the kept row of the copy
    assert got.rows_accepted + len(got.rejects) == got.rows_read == 51
    assert rej.loc[4, "seller_id"] == "   "  # the original value, untrimmed


def test_batch_size_changes_nothing_in_the_result(tmp_path, monkeypatch):
    path = tmp_path / "sales.parquet"
    pq.write_table(pa.Table.from_pandas(_frame(), preserve_index=False), path, row_group_size=11)
    out = {}
    for rows in (5, 1 << 20):
        monkeypatch.setattr(sources, "PARQUET_BATCH_ROWS", rows)
        r = load_monthly_sales(path)
        out[rows] = (r.frame, r.rejects.sort_values("source_line").reset_index(drop=True))
    pd.testing.assert_frame_equal(out[5][0], out[1 << 20][0])
    pd.testing.assert_frame_equal(out[5][1], out[1 << 20][1])


class _Meta:
    """What ``_row_group_runs`` reads of Parquet metadata: the row groups and their row counts."""

    def __init__(self, sizes):
        self.num_row_groups = len(sizes)
        self._sizes = sizes

    def row_group(self, g):
        return type("RowGroup", (), {"num_rows": self._sizes[g]})()


@pytest.mark.parametrize(
    ("sizes", "rows", "runs"),
    [
        ([5, 5, 5, 12, 3, 1], 10, [[0, 1], [2, 3], [4, 5]]),  # a run closes once it reaches 10 rows
        ([5, 5, 5, 12, 3, 1], 1, [[0], [1], [2], [3], [4], [5]]),
        ([5, 5, 5, 12, 3, 1], 100, [[0, 1, 2, 3, 4, 5]]),
        ([10, 10], 10, [[0], [1]]),  # exactly 10: no empty run after
        ([], 10, [[]]),  # no row group: one empty run (the reader still yields the columns)
    ],
)
def test_row_group_runs_by_hand(sizes, rows, runs):
    assert sources._row_group_runs(_Meta(sizes), rows) == runs


@pytest.mark.parametrize(("batch_rows", "prebuffer_rows"), [(7, 1), (7, 20), (5, 1 << 22), (1 << 20, 20)])
def test_rows_read_in_runs_of_row_groups_keep_their_row_numbers(
    tmp_path, monkeypatch, batch_rows, prebuffer_rows
):
    monkeypatch.setattr(sources, "PARQUET_BATCH_ROWS", batch_rows)
    monkeypatch.setattr(sources, "PREBUFFER_ROWS", prebuffer_rows)
    calls = []
    real = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        calls.append(kwargs.get("row_groups"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    path = tmp_path / "sales.parquet"
    pq.write_table(pa.Table.from_pandas(_frame(), preserve_index=False), path, row_group_size=11)  # 11 x4 + 7
    got = load_monthly_sales(path)
    expected_runs = {1: [[0], [1], [2], [3], [4]], 20: [[0, 1], [2, 3], [4]], 1 << 22: [[0, 1, 2, 3, 4]]}
    runs = expected_runs[prebuffer_rows]
    passes, at = [], 0  # the loader may read the file more than once (the copy's kept row is read again)
    while at < len(calls):
        k = 0
        while at < len(calls) and k < len(runs) and calls[at] == runs[k]:
            at, k = at + 1, k + 1
        assert k > 0, f"a pass must start with the first run: {calls}"
        passes.append(k)
    assert len(runs) in passes  # one pass read every run, in order
    rej = got.rejects.sort_values("source_line")
    assert list(rej["source_line"]) == [4, 21, 31, 39, 45, 51]
    monkeypatch.setattr(sources, "PREBUFFER_ROWS", 1 << 22)
    monkeypatch.setattr(sources, "PARQUET_BATCH_ROWS", 1 << 20)
    monkeypatch.setattr(pq.ParquetFile, "iter_batches", real)
    whole = load_monthly_sales(path)
    pd.testing.assert_frame_equal(got.frame, whole.frame)
    pd.testing.assert_frame_equal(
        rej.reset_index(drop=True), whole.rejects.sort_values("source_line").reset_index(drop=True)
    )
