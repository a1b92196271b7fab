"""``stream.read_ahead``: the reader's items in order, its errors where they happened, and an early stop."""

from __future__ import annotations

import threading

import pytest

from seller_insurance.data.loading import stream


def test_items_in_order_and_the_reader_runs_on_another_thread():
    threads = []

    def reader():
        for k in range(50):
            threads.append(threading.current_thread().name)
            yield k

    assert list(stream.read_ahead(reader())) == list(range(50))
    assert set(threads) == {"read-ahead"}


def test_an_error_of_the_reader_is_raised_after_the_items_before_it():
    def reader():
        yield 1
        yield 2
        raise ValueError("bad block")

    got = []
    with pytest.raises(ValueError, match="bad block"):
        for item in stream.read_ahead(reader()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_the_reader():
    produced = []

    def reader():
        for k in range(10_000):
            produced.append(k)
            yield k

    it = stream.read_ahead(reader())
    assert next(it) == 0
    it.close()  # the consumer gives up (an exception in its loop does the same)
    assert not any(t.name == "read-ahead" for t in threading.enumerate())  # the reader has ended
    assert len(produced) <= 3  # the item in use, at most one waiting, and one being put


def test_a_latin1_csv_still_restarts_and_loads(tmp_path):
    from seller_insurance.data.loading import load_monthly_sales

    path = tmp_path / "latin1.csv"
    rows = "".join(f"S{k},2021-0{1 + k % 9},{k}.5\n" for k in range(2_000))
    path.write_bytes(("seller_id,month,gross_sales\n" + rows + "Caf\xe9,2021-01,1\n").encode("latin-1"))
    loaded = load_monthly_sales(path)
    assert loaded.rows_read == 2_001
    assert "Café" in set(loaded.frame["seller_id"].astype(str))
