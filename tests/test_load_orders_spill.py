"""Order files too large to hold: rows spilled by a hash of the seller id and summed partition by partition.

The spill (``order_spill.SellerPartitions``) is forced on small files by setting ``ORDER_ROWS_IN_MEMORY`` to 0;
``ROWS_PER_PARTITION`` then sets how many partitions (2 up to 256, most of them tiny or empty at 256). Each load
is checked against the plain pandas reference of ``test_load_orders`` and against the in-memory load of the same
file: the same monthly rows, the same rejects (every column, every row) and the same counts.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seller_insurance.data.loading import load_monthly_sales, order_spill, stream
from tests.test_load_orders import _orders, _plain, _reference


def _spill(monkeypatch, rows_per_partition: int) -> None:
    monkeypatch.setattr(order_spill, "ORDER_ROWS_IN_MEMORY", 0)
    monkeypatch.setattr(order_spill, "ROWS_PER_PARTITION", rows_per_partition)


def _sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(seller_id=frame.seller_id.astype(str))
    return out.sort_values(["seller_id", "marketplace", "month"]).reset_index(drop=True)


def _both(path, monkeypatch, rows_per_partition: int, **kw):
    held = load_monthly_sales(path, **kw)
    with monkeypatch.context() as m:
        _spill(m, rows_per_partition)
        spilled = load_monthly_sales(path, **kw)
    return held, spilled


def _assert_same(held, spilled) -> None:
    pd.testing.assert_frame_equal(_sorted_frame(spilled.frame), _sorted_frame(held.frame))
    pd.testing.assert_frame_equal(spilled.rejects, held.rejects)
    assert (spilled.rows_read, spilled.rows_accepted, spilled.counts) == (
        held.rows_read,
        held.rows_accepted,
        held.counts,
    )


@pytest.mark.parametrize("rows_per_partition", [200, 30, 1], ids=["2_parts", "16_parts", "256_parts"])
@pytest.mark.parametrize("hashed", [False, True], ids=["exact", "hashed"])
@pytest.mark.parametrize("shape", ["mixed", "plain", "items", "bad_row"])
def test_spilled_orders_match_the_reference_and_the_held_load(
    tmp_path, monkeypatch, rows_per_partition, hashed, shape
):
    """Batches of 64 rows (``sources.PARQUET_BATCH_ROWS``): each split and written on its own, many writes per
    partition, read positions counted across batches."""
    from seller_insurance.data.loading import sources

    if hashed:
        monkeypatch.setattr(stream, "HASHED_KEYS_FROM", 0)
    monkeypatch.setattr(sources, "PARQUET_BATCH_ROWS", 64)
    frame = _orders(seed=3, months=["2021-01", "2021-02", "2021-03"], shape=shape)
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=100)
    held, spilled = _both(path, monkeypatch, rows_per_partition)
    expected, expected_rejects = _reference(frame)
    pd.testing.assert_frame_equal(
        _plain(spilled.frame), _plain(expected.assign(month=expected.month + "-01"))
    )
    reasons = sorted(
        zip(
            spilled.rejects.source_line.astype(int), spilled.rejects.reason.str.split(":").str[0], strict=True
        )
    )
    assert reasons == expected_rejects
    _assert_same(held, spilled)
    assert spilled.rows_accepted + len(spilled.rejects) == spilled.rows_read == len(frame)


def test_spill_splits_sellers_and_keeps_each_in_one_partition(monkeypatch):
    """Ids equal after trimming share a partition; with 16 partitions 25 sellers land in several of them."""
    with order_spill.SellerPartitions(
        4, has_mp=False, has_units=False, has_cur=False, has_order_id=False
    ) as sp:
        ids = pa.array([f"S{k}" for k in range(25)] + [" S3", "S3 ", 7, "7"][:2] + ["7", " 7"])
        part = sp.partition_of(order_spill._trimmed_text(ids))
        assert part[25] == part[26] == part[3]  # " S3", "S3 " and "S3"
        assert part[27] == part[28]  # "7" and " 7"
        assert len(set(part[:25].tolist())) > 4
        ints = sp.partition_of(order_spill._trimmed_text(pa.array([7, 3])))
        assert ints[0] == part[27]  # integer 7 is the text "7", as in the categories


def test_spill_of_every_column_kind_csv_and_blank_seller_ids(tmp_path, monkeypatch):
    """Units, currency, a blank (spaces-only) seller id, integer-looking ids, item lines: CSV through the spill."""
    frame = _orders(seed=5, months=["2022-05", "2022-06"], shape="mixed")
    frame["units"] = np.where(np.arange(len(frame)) % 9 == 0, "", (np.arange(len(frame)) % 4).astype(str))
    frame["currency"] = frame.marketplace.map({"US": "USD", "UK": "GBP", "DE": "EUR"})
    frame.loc[4, "currency"] = "USD"  # a DE row in dollars: rejected per row
    frame.loc[[11, 12], "seller_id"] = ["   ", "12345"]
    frame.loc[13, "seller_id"] = " 12345 "
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    held, spilled = _both(path, monkeypatch, 50)
    _assert_same(held, spilled)
    assert {"missing_seller_id", "currency_mismatch", "duplicate_copy", "negative_monthly_total"} <= set(
        spilled.counts
    )
    assert "units" in spilled.frame and "currency" in spilled.frame
    assert "12345" in set(spilled.frame.seller_id.astype(str))


def test_spill_without_marketplace_or_order_id_and_the_folder_is_removed(tmp_path, monkeypatch):
    frame = _orders(seed=8, months=["2023-01", "2023-04"], shape="plain").drop(
        columns=["marketplace", "order_id"]
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setenv("TMPDIR", str(spill_root))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    held, spilled = _both(path, monkeypatch, 100)
    _assert_same(held, spilled)
    assert set(spilled.frame.marketplace.astype(str)) == {"US"}
    assert os.listdir(spill_root) == []


def test_spill_of_a_file_without_usable_rows(tmp_path, monkeypatch):
    for name, text in [
        ("header.csv", "seller_id,order_date,amount\n"),
        ("bad.csv", "seller_id,order_date,amount\nA,x,1\n"),
    ]:
        path = tmp_path / name
        path.write_text(text)
        held, spilled = _both(path, monkeypatch, 1)
        _assert_same(held, spilled)
        assert len(spilled.frame) == 0


def test_partition_bits_and_row_estimates(tmp_path):
    """By hand: 2**26 rows stay in memory; one more is split into 2**ceil(log2(rows / 2**22)) partitions."""
    assert order_spill.partition_bits(order_spill.ORDER_ROWS_IN_MEMORY) == 0
    assert (
        order_spill.partition_bits(order_spill.ORDER_ROWS_IN_MEMORY + 1) == 5
    )  # 16.0000002 -> 32 partitions
    assert order_spill.partition_bits(450_000_000) == 7  # 107.3 -> 128 partitions of about 3.5M rows
    assert order_spill.partition_bits(10**12) == 8  # at most 256
    csv = tmp_path / "a.csv"
    csv.write_bytes(b"x" * 2400)
    gz = tmp_path / "a.csv.gz"
    gz.write_bytes(b"x" * 240)
    assert order_spill.estimated_rows("csv", [csv, gz]) == 100 + 50
    pq.write_table(pa.table({"a": list(range(7))}), tmp_path / "p.parquet")
    assert order_spill.estimated_rows("parquet", [tmp_path / "p.parquet"] * 2) == 14


def test_rows_in_memory_from_the_environment(tmp_path, monkeypatch):
    """The variable lowers the limit (0 spills every file, so the CLI's output is the held load's); a bad value is
    an InputError that names it (exit 2 in the CLI), not a traceback."""
    from seller_insurance.errors import InputError

    monkeypatch.delenv(order_spill.ROWS_IN_MEMORY_VARIABLE, raising=False)
    assert order_spill.rows_in_memory() == order_spill.ORDER_ROWS_IN_MEMORY
    monkeypatch.setenv(order_spill.ROWS_IN_MEMORY_VARIABLE, "1_000")
    assert order_spill.rows_in_memory() == 1000 and order_spill.partition_bits(1001) == 1
    for bad in ("-1", "many", "1.5"):
        monkeypatch.setenv(order_spill.ROWS_IN_MEMORY_VARIABLE, bad)
        with pytest.raises(InputError, match=order_spill.ROWS_IN_MEMORY_VARIABLE):
            order_spill.rows_in_memory()
    frame = _orders(seed=4, months=["2021-01", "2021-02"], shape="mixed")
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    monkeypatch.delenv(order_spill.ROWS_IN_MEMORY_VARIABLE)
    held = load_monthly_sales(path)
    monkeypatch.setenv(order_spill.ROWS_IN_MEMORY_VARIABLE, "0")
    _assert_same(held, load_monthly_sales(path))


def test_evaluate_gives_the_same_bytes_with_and_without_the_spill(tmp_path, monkeypatch):
    """The whole command: the spilled frame (sellers partition by partition, categories joined from the parts)
    through the rule engine to the output and rejects files, byte for byte those of the held load."""
    from seller_insurance.cli import main

    frame = _orders(seed=6, months=["2021-06", "2021-07", "2021-08", "2021-09", "2021-10"], shape="mixed")
    frame["amount"] *= 40  # some sellers over the US$10,000 threshold
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    monkeypatch.delenv(order_spill.ROWS_IN_MEMORY_VARIABLE, raising=False)
    assert main(["evaluate", str(path), "--out", str(tmp_path / "held.csv")]) == 0
    monkeypatch.setenv(order_spill.ROWS_IN_MEMORY_VARIABLE, "0")
    assert main(["evaluate", str(path), "--out", str(tmp_path / "spilled.csv")]) == 0
    held = (tmp_path / "held.csv").read_bytes()
    assert held == (tmp_path / "spilled.csv").read_bytes()
    assert (tmp_path / "held.rejects.csv").read_bytes() == (tmp_path / "spilled.rejects.csv").read_bytes()
    assert b"newly_affected" in held and len((tmp_path / "held.rejects.csv").read_bytes().splitlines()) > 5


def test_a_failed_spill_is_a_run_error_that_says_what_to_do_and_the_folder_is_removed(tmp_path, monkeypatch):
    """An OSError of the spill (a full disk) is raised as a RunError (the CLI prints it without a traceback,
    exit 1) that names the spill folder and what to do."""
    from seller_insurance.errors import RunError

    frame = _orders(seed=9, months=["2021-01"], shape="plain")
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    spill_root = tmp_path / "tmp"
    spill_root.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spill_root))
    _spill(monkeypatch, 100)

    def broken(self, ids):
        raise OSError("No space left on device")

    monkeypatch.setattr(order_spill.SellerPartitions, "partition_of", broken)
    with pytest.raises(
        RunError, match="No space left on device. It needs about 15 bytes a row on disk: set TMPDIR"
    ):
        load_monthly_sales(path)
    assert os.listdir(spill_root) == []
