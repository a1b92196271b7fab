"""``--timings``: where a load spends its time (``LoadTimings``), and the benchmark's phases of both sides of a pair.

The loader's phases are checked by slowing one step down on purpose (a reader or a check that sleeps): the time
must land in that step's phase and not in another's. The benchmark's parsers are checked on hand-written inputs,
and once on a real DuckDB profile, so a change in DuckDB's JSON layout fails here and not in a long bench run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmark_modules import bench_layouts as bench

from seller_insurance.data import loading
from seller_insurance.data.loading import sources, tables
from seller_insurance.data.loading.timings import LoadTimings

CLAIMS_CSV = (
    "claim_id,seller_id,marketplace,filed_date,claim_type,amount,status\n"
    "C1,S1,US,2021-10-02,property_damage,250.00,valid\n"
    "C2,S2,US,2021-11-05,personal_injury,1800.00,valid\n"
    "C3,S2,US,not a date,personal_injury,100.00,valid\n"
)
SLEEP = 0.3


def _claims_file(tmp_path: Path) -> Path:
    path = tmp_path / "claims.csv"
    path.write_text(CLAIMS_CSV, encoding="utf-8")
    return path


def test_a_slow_reader_shows_as_read_and_wait_not_as_parse(tmp_path, monkeypatch):
    real = sources.Source.batches

    def slow_batches(self):
        for batch in real(self):
            time.sleep(SLEEP)  # on the reading thread, before the batch is handed over
            yield batch

    monkeypatch.setattr(sources.Source, "batches", slow_batches)
    result = loading.load_claims(_claims_file(tmp_path))
    t = result.timings
    assert isinstance(t, LoadTimings)
    assert (result.rows_read, result.rows_accepted) == (3, 2)  # the timing does not change the load
    assert t.read >= SLEEP
    assert t.wait >= SLEEP * 0.9  # nothing to overlap: the main thread waits for the reader
    assert t.parse < SLEEP
    assert t.aggregate < SLEEP
    assert t.total >= t.wait + t.parse


def test_a_slow_check_shows_as_parse(tmp_path, monkeypatch):
    real = tables.empty_rows

    def slow_empty_rows(table):
        time.sleep(SLEEP)  # one of the per-batch checks, on the main thread
        return real(table)

    monkeypatch.setattr(tables, "empty_rows", slow_empty_rows)
    t = loading.load_claims(_claims_file(tmp_path)).timings
    assert t.parse >= SLEEP
    assert t.wait < SLEEP
    assert t.read < SLEEP


def test_a_slow_duplicate_check_shows_as_aggregate(tmp_path, monkeypatch):
    real = tables.repeated_key_rows

    def slow_repeated(columns, ok):
        time.sleep(SLEEP)  # after the last batch
        return real(columns, ok)

    monkeypatch.setattr(tables, "repeated_key_rows", slow_repeated)
    t = loading.load_claims(_claims_file(tmp_path)).timings
    assert t.aggregate >= SLEEP
    assert t.parse < SLEEP and t.wait < SLEEP
    assert t.total == pytest.approx(t.wait + t.parse + t.aggregate)


def test_summary_names_every_phase():
    text = LoadTimings(read=1.25, wait=0.5, parse=0.75, total=3.25).summary()  # aggregate: 3.25 - 0.5 - 0.75
    assert text == (
        "read 1.250 s (reading thread, overlaps parse), wait 0.500 s, parse 0.750 s, aggregate 2.000 s"
    )


@pytest.mark.subprocess
def test_claims_timings_prints_the_steps_and_the_load_phases(tmp_path):
    path = _claims_file(tmp_path)
    cmd = [sys.executable, "-m", "seller_insurance", "claims", str(path), "--out", str(tmp_path / "o.csv")]
    proc = subprocess.run([*cmd, "--timings"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    phases = bench.our_phases(10.0, proc.stderr)  # the bench's parser reads what the command prints
    assert set(phases) == {"start", "read", "wait", "parse", "aggregate", "compute", "write"}
    assert all(v >= 0 for v in phases.values())
    refused = subprocess.run(
        [*cmd, "--timings", "--scheduler", "local"], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "--timings is not available with --scheduler" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_our_phases_from_the_timings_lines():
    err = (
        "claims x: read 3 rows\n"
        "timings: load 2.500 s, compute 0.250 s, write 0.125 s\n"
        "timings of the load: read 1.500 s (reading thread, overlaps parse), wait 0.750 s, parse 0.500 s, "
        "aggregate 1.250 s\n"
    )
    assert bench.our_phases(3.5, err) == {
        "start": 0.625,  # 3.5 - 2.5 - 0.25 - 0.125
        "read": 1.5,
        "wait": 0.75,
        "parse": 0.5,
        "aggregate": 1.25,
        "compute": 0.25,
        "write": 0.125,
    }


def test_duckdb_profile_summed_by_phase():
    profile = {
        "query": {"total_time": 0.75},
        "operator": [
            {
                "type": "RESULT_COLLECTOR",
                "timing": 0.0,
                "children": [
                    {
                        "type": "BATCH_COPY_TO_FILE",
                        "timing": 0.0625,
                        "children": [
                            {
                                "type": "HASH_GROUP_BY",
                                "timing": 0.5,
                                "children": [
                                    {"type": "PROJECTION", "timing": 0.125, "children": []},
                                    {"type": "TABLE_SCAN", "timing": 0.25, "children": []},
                                    {"type": "TABLE_SCAN", "timing": 0.125, "children": []},
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    assert bench._profile_phases(profile) == {"query": 0.75, "scan": 0.375, "compute": 0.625, "write": 0.0625}


def test_run_duckdb_prints_phases_from_a_real_profile(tmp_path, monkeypatch, capsys):
    pytest.importorskip("duckdb")
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setattr(bench, "CACHE", tmp_path)
    path = tmp_path / "claims_small.parquet"
    n = 50_000
    pq.write_table(
        pa.table(
            {
                "filed_date": pa.array([18_900 + i % 400 for i in range(n)], pa.date32()),
                "amount": pa.array([float(1 + i % 2000) for i in range(n)]),
                "status": pa.array(["valid" if i % 3 else "rejected" for i in range(n)]),
            }
        ),
        path,
    )
    bench.run_duckdb(path)
    phases = bench.duckdb_phases(5.0, capsys.readouterr().err)
    assert set(phases) == {"start", "query", "scan", "compute", "write"}
    assert phases["query"] > 0 and phases["scan"] > 0  # DuckDB's JSON still has the fields we sum
    assert phases["start"] == pytest.approx(5.0 - phases["query"])
    out = (tmp_path / "out" / "duckdb_claims.csv").read_text().splitlines()
    assert out[0].startswith("filed_quarter,n_claims")
    assert len(out) == 1 + 6  # 400 days from 2021-09-30 to 2022-11-03: 2021-Q3 to 2022-Q4
