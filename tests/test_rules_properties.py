"""Property tests: the vectorised engine agrees with the plain-loop reference (tests/reference_rules.py).

Random sparse histories: gaps, values exactly at / one cent around the threshold, unsorted rows, any day in the
month, year boundaries, ids of every shape, several marketplaces with different thresholds (one without a default),
str or Categorical ids, with/without a marketplace column, windows 1..4, start/end. Bounded example counts.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_rules import month_number, reference_compare, reference_required_over_time, site_threshold

from seller_insurance.analysis import rules

BASE = dt.date(2020, 8, 1)  # offsets 0..15 run across the 2020/2021 year boundary
N_MONTHS = 16
SITES = ("US", "CA", "UK", "JP", "XX")  # XX has no default threshold
ODD_IDS = ("=cmd", "", " ", "+1", "-2", "@x", "a,b", '"q"', "é", "漢字", "S0000001", "s0000001", "\t", "0")
LEVELS = ("zero", "below", "at", "above", "double", "tiny")

ids = st.one_of(st.sampled_from(ODD_IDS), st.text(max_size=4))
thresholds = st.one_of(
    st.none(),
    st.sampled_from([100.0, 4_000.0, 10_000.0]),
    st.dictionaries(st.sampled_from(SITES), st.sampled_from([50.0, 100.0, 5_000.0]), max_size=3),
)


def month_date(offset: int, day: int) -> dt.date:
    total = month_number(BASE) + offset
    return dt.date(total // 12, total % 12 + 1, day)


def value_at(level: str, limit: float) -> float:
    return {
        "zero": 0.0,
        "below": round(limit - 0.01, 2),
        "at": limit,
        "above": round(limit + 0.01, 2),
        "double": 2 * limit,
        "tiny": 0.01,
    }[level]


def has_threshold(site, threshold) -> bool:
    return site != "XX" or isinstance(threshold, float) or (isinstance(threshold, dict) and "XX" in threshold)


@st.composite
def cases(draw):
    threshold = draw(thresholds)
    only_us = draw(st.booleans())
    sites = st.just("US") if only_us else st.sampled_from(SITES)
    keys = draw(st.lists(st.tuples(ids, sites, st.integers(0, N_MONTHS - 1)), max_size=40, unique=True))
    rows = []
    for seller, site, offset in keys:
        level = draw(st.sampled_from(LEVELS))
        limit = site_threshold(site, threshold) if has_threshold(site, threshold) else 1.0
        rows.append((seller, site, month_date(offset, draw(st.integers(1, 28))), value_at(level, limit)))
    order = draw(st.permutations(range(len(rows))))
    rows = [rows[i] for i in order]
    old = draw(st.integers(1, 4))
    params = {
        "old_months": old,
        "new_months": draw(st.integers(1, old)),
        "threshold": threshold,
        "inclusive": draw(st.booleans()),
        "start": draw(st.none() | st.integers(-2, N_MONTHS + 1)),
        "end": draw(st.none() | st.integers(-2, N_MONTHS + 1)),
    }
    layout = {"categorical": draw(st.booleans()), "drop_marketplace": only_us and draw(st.booleans())}
    return rows, params, layout


def frame_of(rows, layout) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "seller_id": pd.Series([r[0] for r in rows], dtype="str"),
            "marketplace": pd.Series([r[1] for r in rows], dtype="str"),
            "month": pd.to_datetime([r[2] for r in rows]).astype("datetime64[s]"),
            "gross_sales": pd.Series([r[3] for r in rows], dtype="float64"),
        }
    )
    if layout["categorical"]:
        # categories in an arbitrary (reversed) order plus an unused one: the engine must not depend on it
        cats = sorted(set(frame.seller_id), reverse=True) + ["~unused~"]
        frame["seller_id"] = pd.Categorical(frame.seller_id, categories=cats)
        frame["marketplace"] = frame.marketplace.astype("category")
    if layout["drop_marketplace"]:
        frame = frame.drop(columns="marketplace")
    return frame


def month_arg(offset):
    return None if offset is None else month_date(offset, 1).strftime("%Y-%m")


def as_date(value):
    return None if pd.isna(value) else value.date()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_compare_rules_matches_the_reference(case):
    check_against_reference(*case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(1, 4), st.booleans())
def test_blocks_of_a_few_rows_match_the_reference(case, block_rows, reverse):
    """The engine works in blocks of rows (keys, thresholds per site, the end month): with blocks of 1-4 rows,
    every block boundary falls inside the data, in the sorted and (rows reversed) the unsorted path."""
    rows, params, layout = case
    with mock.patch.object(rules, "_BLOCK_ROWS", block_rows):
        check_against_reference(rows[::-1] if reverse else rows, params, layout)


def check_against_reference(rows, params, layout):
    frame = frame_of(rows, layout)
    kwargs = dict(params, start=month_arg(params["start"]), end=month_arg(params["end"]))
    if any(not has_threshold(r[1], params["threshold"]) for r in rows):
        with pytest.raises(ValueError, match="no insurance threshold"):
            rules.compare_rules(frame, **kwargs)
        return
    out = rules.compare_rules(frame, **kwargs)
    ref_params = dict(params)
    for key in ("start", "end"):
        ref_params[key] = None if params[key] is None else month_number(BASE) + params[key]
    expected = reference_compare(rows, **ref_params)

    keys = list(zip(out.seller_id.astype(str), out.marketplace.astype(str), strict=True))
    assert keys == sorted(expected)  # one row per seller-marketplace, sorted by seller_id then marketplace
    for row, key in zip(out.itertuples(index=False), keys, strict=True):
        exp = expected[key]
        got = {
            "old_trigger": as_date(row.old_trigger),
            "new_trigger": as_date(row.new_trigger),
            "status": row.status,
            "lead_months": None if pd.isna(row.lead_months) else int(row.lead_months),
            "old_insurance_due": as_date(row.old_insurance_due),
            "new_insurance_due": as_date(row.new_insurance_due),
        }
        assert got == exp, key

    # trigger_months agrees with the old-rule column, and the monthly series with a count over the reference
    trig = rules.trigger_months(
        frame,
        params["old_months"],
        threshold=params["threshold"],
        inclusive=params["inclusive"],
        end=kwargs["end"],
    )
    assert [as_date(t) for t in trig.trigger] == [expected[k]["old_trigger"] for k in keys]
    months = list(range(month_number(BASE) - 1, month_number(BASE) + N_MONTHS + 1))
    series = rules.required_over_time(out, (month_date(-1, 1), month_date(N_MONTHS, 1)))
    got_series = [
        (month_number(m), o, n)
        for m, o, n in zip(series.month, series.n_required_old, series.n_required_new, strict=True)
    ]
    assert got_series == reference_required_over_time(expected, months)


@settings(max_examples=40, deadline=None)
@given(cases())
def test_row_order_and_id_dtype_do_not_change_the_result(case):
    rows, params, layout = case
    if any(not has_threshold(r[1], params["threshold"]) for r in rows):
        return
    kwargs = dict(params, start=month_arg(params["start"]), end=month_arg(params["end"]))
    a = rules.compare_rules(frame_of(rows, dict(layout, categorical=False)), **kwargs)
    b = rules.compare_rules(frame_of(rows[::-1], dict(layout, categorical=True)), **kwargs)
    for col in ("seller_id", "marketplace"):
        a[col], b[col] = a[col].astype(str), b[col].astype(str)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("block_rows", [1, 2, 3, 1 << 20])
@pytest.mark.parametrize("reverse", [False, True])
def test_site_thresholds_and_end_month_across_block_boundaries(block_rows, reverse):
    """By hand: US threshold 10,000 and CA 30,000 (given), three months of 20,000 (a, c) or 40,000 (d) and one
    of 20,000 (b); sites alternate from row to row, so each block of 1-3 rows mixes them."""
    rows = [
        ("a", "US", "2021-01-01", 20_000.0),
        ("c", "CA", "2021-01-01", 20_000.0),
        ("a", "US", "2021-02-01", 20_000.0),
        ("c", "CA", "2021-02-01", 20_000.0),
        ("a", "US", "2021-03-01", 20_000.0),
        ("d", "CA", "2021-01-01", 40_000.0),
        ("b", "US", "2021-01-01", 20_000.0),
        ("d", "CA", "2021-02-01", 40_000.0),
        ("c", "CA", "2021-03-01", 20_000.0),
        ("d", "CA", "2021-03-01", 40_000.0),
    ]
    rows = rows[::-1] if reverse else sorted(rows)
    frame = pd.DataFrame(rows, columns=["seller_id", "marketplace", "month", "gross_sales"])
    frame["month"] = pd.to_datetime(frame["month"])
    expected = {  # seller: (old trigger, new trigger) without an end, then with end=2021-02
        None: {
            "a": ("2021-03", "2021-01"),
            "b": (None, "2021-01"),
            "c": (None, None),
            "d": ("2021-03", "2021-01"),
        },
        "2021-02": {
            "a": (None, "2021-01"),
            "b": (None, "2021-01"),
            "c": (None, None),
            "d": (None, "2021-01"),
        },
    }
    with mock.patch.object(rules, "_BLOCK_ROWS", block_rows):
        for end, want in expected.items():
            out = rules.compare_rules(frame, threshold={"US": 10_000.0, "CA": 30_000.0}, end=end)
            got = {
                row.seller_id: tuple(
                    None if pd.isna(t) else t.strftime("%Y-%m") for t in (row.old_trigger, row.new_trigger)
                )
                for row in out.itertuples()
            }
            assert got == want, end
