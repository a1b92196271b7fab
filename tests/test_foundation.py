"""Paths, month arithmetic, policy defaults and the command line's shape."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seller_insurance import months, policy, schema
from seller_insurance.paths import DATA_DIR, PROJ_ROOT, REPORTS_DIR


def test_paths_point_into_the_checkout():
    assert (PROJ_ROOT / "pyproject.toml").exists()
    assert DATA_DIR == PROJ_ROOT / "data" and REPORTS_DIR == PROJ_ROOT / "reports"


def test_month_index_is_consecutive_across_years():
    idx = months.to_month_index(
        pd.to_datetime(["2020-11-30", "2020-12-01", "2021-01-15T23:59:59"], format="ISO8601")
    )
    assert idx.tolist() == [610, 611, 612]
    assert months.parse_month("2021-09") == (2021 - 1970) * 12 + 8
    assert months.format_month([months.parse_month("1999-12"), months.NO_MONTH]).tolist() == ["1999-12", ""]


def test_month_index_accepts_python_dates_and_tz_aware():
    import datetime as dt

    assert months.to_month_index(pd.Series([dt.date(2021, 9, 30)], dtype=object)).tolist() == [620]
    aware = pd.Series(pd.to_datetime(["2021-09-15T10:00:00Z"]))
    assert months.to_month_index(aware).tolist() == [620]


@pytest.mark.parametrize("bad", ["2021-13", "2021/09", "21-09", ""])
def test_parse_month_rejects(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        months.parse_month(bad)


def test_due_date_is_month_end_plus_30_days():
    due = months.month_end_plus_days(
        [months.parse_month("2021-09"), months.parse_month("2024-01"), months.NO_MONTH], 30
    )
    # 2021-09-30 + 30 days = 2021-10-30; 2024-01-31 + 30 days = 2024-03-01 (leap year)
    assert [str(d) for d in due] == ["2021-10-30", "2024-03-01", "NaT"]


def test_threshold_overrides():
    assert policy.threshold_for("US") == 10_000
    assert policy.threshold_for("JP") == 1_000_000
    assert policy.threshold_for("DE", 7_000) == 7_000
    assert policy.threshold_for("DE", {"US": 1}) == 5_000
    with pytest.raises(KeyError):
        policy.threshold_for("XX")


def test_size_bands_lower_edge_inclusive():
    bands = schema.size_band([0, 9_999.99, 10_000, 499_999, 500_000, 1e9])
    assert list(bands) == ["<$10k", "<$10k", "$10k-$100k", "$100k-$500k", "$500k-$1M", ">=$1M"]
    assert np.all(bands.categories == list(schema.SIZE_BAND_LABELS))


def test_data_dictionary_is_generated_from_schema():
    assert (PROJ_ROOT / "docs" / "data-dictionary.md").read_text() == schema.data_dictionary_markdown()


@pytest.mark.subprocess
def test_cli_help_and_usage_exit_codes():
    ok = subprocess.run([sys.executable, "-m", "seller_insurance", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "Exit status" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "seller_insurance", "no-such-command"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(None, True), ("", True), ("0", True), ("false", True), ("1", False), ("true", False)],
)
def test_progress_bars_follow_tqdm_disable(monkeypatch, value, wanted):
    from seller_insurance.data.run_data import progress_wanted

    if value is None:
        monkeypatch.delenv("TQDM_DISABLE", raising=False)
    else:
        monkeypatch.setenv("TQDM_DISABLE", value)
    assert progress_wanted() is wanted
