"""Hand-worked cases for each rule of the semantics (issue 4); each test is named after the rule it proves.

Expected values are worked out by hand in the comments, not copied from the engine's output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seller_insurance.analysis import rules
from seller_insurance.policy import NEW_RULE_START

OVER, AT, UNDER = 10_000.01, 10_000.00, 9_999.99  # around the US threshold of 10,000 USD


def sales(rows, marketplace=True) -> pd.DataFrame:
    """rows: (seller_id, 'YYYY-MM' or 'YYYY-MM-DD', gross_sales[, marketplace])."""
    frame = pd.DataFrame(
        {
            "seller_id": [r[0] for r in rows],
            "month": pd.to_datetime([r[1] for r in rows]),
            "gross_sales": [float(r[2]) for r in rows],
        }
    )
    if marketplace:
        frame["marketplace"] = [r[3] if len(r) > 3 else "US" for r in rows]
    return frame


def run(rows, n, **kw) -> dict:
    """{seller_id or (seller_id, marketplace): 'YYYY-MM' or None} of trigger_months."""
    out = rules.trigger_months(sales(rows), n, **kw)
    return {
        (s if m == "US" else (s, m)): (None if pd.isna(t) else t.strftime("%Y-%m"))
        for s, m, t in zip(out.seller_id, out.marketplace, out.trigger, strict=True)
    }


def streak(seller, first, n, value=OVER, site="US"):
    months = pd.period_range(first, periods=n, freq="M").strftime("%Y-%m")
    return [(seller, m, value, site) for m in months]


# --- Unit of evaluation -------------------------------------------------------------------------------------------
def test_unit_is_seller_marketplace_each_site_evaluated_separately():
    # Same seller: US over in Jan-Mar (triggers Mar); CA over only in Jan and Mar (Feb under): never for 3 months.
    rows = streak("a", "2021-01", 3) + [
        ("a", "2021-01", OVER, "CA"),
        ("a", "2021-02", 5.0, "CA"),
        ("a", "2021-03", OVER, "CA"),
    ]
    assert run(rows, 3) == {"a": "2021-03", ("a", "CA"): None}
    assert run(rows, 1) == {"a": "2021-01", ("a", "CA"): "2021-01"}


def test_missing_marketplace_column_means_one_marketplace_us():
    out = rules.trigger_months(sales(streak("a", "2021-01", 3), marketplace=False), 3)
    assert list(out.marketplace) == ["US"]
    assert out.trigger.tolist() == [pd.Timestamp("2021-03-01")]


def test_output_has_one_row_per_seller_marketplace_in_input_sorted_even_without_trigger():
    rows = [("b", "2021-01", 1.0), ("a", "2021-01", 1.0), ("a", "2021-02", 2.0, "CA"), ("c", "2021-05", OVER)]
    out = rules.trigger_months(sales(rows), 1)
    assert list(zip(out.seller_id, out.marketplace, strict=True)) == [
        ("a", "CA"),
        ("a", "US"),
        ("b", "US"),
        ("c", "US"),
    ]
    assert out.trigger.isna().tolist() == [True, True, True, False]
    assert out.trigger.dtype == "datetime64[s]"


# --- Threshold ------------------------------------------------------------------------------------------------------
def test_threshold_is_per_marketplace_in_local_currency():
    # 4,000.01: over the UK threshold (4,000 GBP), under the US one (10,000 USD) and DE (5,000 EUR).
    # 1,000,000 JPY exactly: not over JP's 1,000,000 (strict); 100,000.01 MXN is over MX's 100,000.
    rows = [
        ("a", "2021-01", 4_000.01, "UK"),
        ("a", "2021-01", 4_000.01, "US"),
        ("a", "2021-01", 4_000.01, "DE"),
        ("a", "2021-01", 1_000_000, "JP"),
        ("a", "2021-01", 100_000.01, "MX"),
        ("a", "2021-01", 50_000.5, "SE"),
        ("a", "2021-01", 22_500, "PL"),
    ]
    assert run(rows, 1) == {
        ("a", "UK"): "2021-01",
        "a": None,
        ("a", "DE"): None,
        ("a", "JP"): None,
        ("a", "MX"): "2021-01",
        ("a", "SE"): "2021-01",
        ("a", "PL"): None,
    }


def test_threshold_override_one_number_applies_to_every_site():
    rows = [("a", "2021-01", 150.0, "US"), ("a", "2021-01", 150.0, "JP"), ("a", "2021-01", 99.0, "UK")]
    assert run(rows, 1, threshold=100) == {"a": "2021-01", ("a", "JP"): "2021-01", ("a", "UK"): None}


def test_threshold_override_mapping_replaces_named_sites_only():
    # UK lowered to 100; US keeps 10,000; a new site XX gets its own threshold.
    rows = [("a", "2021-01", 150.0, "UK"), ("a", "2021-01", 150.0, "US"), ("a", "2021-01", 7.0, "XX")]
    assert run(rows, 1, threshold={"UK": 100, "XX": 5}) == {
        ("a", "UK"): "2021-01",
        "a": None,
        ("a", "XX"): "2021-01",
    }


def test_unknown_marketplace_without_threshold_is_a_clear_error():
    with pytest.raises(ValueError, match=r"no insurance threshold for marketplace\(s\) 'XX'"):
        rules.trigger_months(sales([("a", "2021-01", 1.0, "XX")]), 1)


def test_unknown_marketplace_category_without_rows_is_not_an_error():
    frame = sales([("a", "2021-01", OVER, "US")])
    frame["marketplace"] = pd.Categorical(frame.marketplace, categories=["US", "XX"])
    assert rules.trigger_months(frame, 1).trigger.tolist() == [pd.Timestamp("2021-01-01")]


def test_threshold_that_is_not_a_number_is_an_error():
    with pytest.raises(ValueError, match="must be a number"):
        rules.trigger_months(sales([("a", "2021-01", 1.0)]), 1, threshold=float("nan"))
    with pytest.raises(ValueError, match="must be a number"):
        rules.trigger_months(sales([("a", "2021-01", 1.0)]), 1, threshold={"US": "high"})


# --- Comparison -----------------------------------------------------------------------------------------------------
def test_exceed_is_strict_a_month_at_the_threshold_does_not_count():
    rows = [("at", "2021-01", AT), ("over", "2021-01", OVER), ("under", "2021-01", UNDER)]
    assert run(rows, 1) == {"at": None, "over": "2021-01", "under": None}


def test_inclusive_switches_to_reach_a_month_at_the_threshold_counts():
    rows = [("at", "2021-01", AT), ("over", "2021-01", OVER), ("under", "2021-01", UNDER)]
    assert run(rows, 1, inclusive=True) == {"at": "2021-01", "over": "2021-01", "under": None}


# --- Calendar months --------------------------------------------------------------------------------------------------
def test_a_month_with_no_row_has_zero_sales_and_breaks_the_streak():
    # Over in Jan, Feb, (no row for Mar), Apr, May, Jun: three consecutive calendar months first end in Jun,
    # although rows 2-4 (Feb, Apr, May) are three consecutive *rows* over the threshold.
    rows = [("a", m, OVER) for m in ("2021-01", "2021-02", "2021-04", "2021-05", "2021-06")]
    assert run(rows, 3) == {"a": "2021-06"}
    assert run(rows, 2) == {"a": "2021-02"}


def test_a_month_under_the_threshold_breaks_the_streak():
    rows = [
        ("a", "2021-01", OVER),
        ("a", "2021-02", OVER),
        ("a", "2021-03", UNDER),
        ("a", "2021-04", OVER),
        ("a", "2021-05", OVER),
        ("a", "2021-06", OVER),
    ]
    assert run(rows, 3) == {"a": "2021-06"}


def test_calendar_months_run_across_a_year_boundary():
    assert run(streak("a", "2020-11", 3), 3) == {"a": "2021-01"}


def test_any_date_in_a_month_is_that_calendar_month():
    # 31 Jan, 1 Feb, 28 Mar 23:59: three consecutive calendar months. Two dates in one month are a duplicate.
    frame = pd.DataFrame(
        {
            "seller_id": ["a"] * 3,
            "gross_sales": [OVER] * 3,
            "month": pd.to_datetime(["2021-01-31", "2021-02-01", "2021-03-28 23:59:59"], format="ISO8601"),
        }
    )
    assert rules.trigger_months(frame, 3).trigger.tolist() == [pd.Timestamp("2021-03-01")]
    frame = pd.DataFrame(
        {
            "seller_id": ["a"] * 2,
            "gross_sales": [OVER] * 2,
            "month": pd.to_datetime(["2021-01-01", "2021-01-31"]),
        }
    )
    with pytest.raises(ValueError, match="duplicated"):
        rules.trigger_months(frame, 1)


def test_month_column_of_any_datetime_unit_or_timezone_or_text():
    base = pd.to_datetime(["2021-01-15", "2021-02-15", "2021-03-15"])
    for month in (
        base.astype("datetime64[ns]"),
        base.astype("datetime64[ms]"),
        base.tz_localize("US/Pacific"),
        ["2021-01", "2021-02", "2021-03"],
        [d.date() for d in base],
    ):
        frame = pd.DataFrame({"seller_id": ["a"] * 3, "month": month, "gross_sales": [OVER] * 3})
        assert rules.trigger_months(frame, 3).trigger.tolist() == [pd.Timestamp("2021-03-01")], month


# --- N-month rule --------------------------------------------------------------------------------------------------------
def test_n_month_rule_triggers_in_the_first_month_completing_n_counting_months():
    # Over from 2021-01 to 2021-06: the 3-month rule first holds in Mar (Jan, Feb, Mar), not later.
    rows = streak("a", "2021-01", 6)
    assert run(rows, 1) == {"a": "2021-01"}
    assert run(rows, 2) == {"a": "2021-02"}
    assert run(rows, 3) == {"a": "2021-03"}
    assert run(rows, 6) == {"a": "2021-06"}
    assert run(rows, 7) == {"a": None}


def test_only_the_first_trigger_counts_later_streaks_are_ignored():
    rows = streak("a", "2020-01", 3) + streak("a", "2021-01", 5)
    assert run(rows, 3) == {"a": "2020-03"}


def test_window_must_be_a_whole_number_of_months_at_least_one():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="whole number"):
            rules.trigger_months(sales([("a", "2021-01", 1.0)]), bad)


# --- History and end --------------------------------------------------------------------------------------------------
def test_end_is_the_as_of_month_later_data_is_ignored():
    rows = streak("a", "2021-01", 3)
    assert run(rows, 3, end="2021-02") == {"a": None}
    assert run(rows, 3, end="2021-03") == {"a": "2021-03"}
    assert run(rows, 3, end=pd.Timestamp("2021-03-31")) == {"a": "2021-03"}
    # a seller whose rows all come after `end` is still listed (it is in the input), without trigger
    assert run(rows + [("b", "2021-06", OVER)], 1, end="2021-05") == {"a": "2021-01", "b": None}


def test_history_before_start_counts_already_required():
    rows = streak("a", "2019-04", 3) + [("a", "2021-10", 1.0)]
    out = rules.compare_rules(sales(rows), start=NEW_RULE_START)
    assert out.status.tolist() == ["already_required"]
    assert out.old_trigger.tolist() == [pd.Timestamp("2019-06-01")]


# --- Insurance due ------------------------------------------------------------------------------------------------------
def test_insurance_due_is_last_day_of_trigger_month_plus_30_days():
    # Jan 2021: 31 Jan + 30 d = 2 Mar. Feb 2020 (leap): 29 Feb + 30 d = 30 Mar. Dec 2021: 31 Dec + 30 d = 30 Jan 2022.
    # Old rule for b: Oct-Dec 2021 -> Dec -> 30 Jan 2022.
    rows = [("a", "2021-01", OVER), ("c", "2020-02", OVER)] + streak("b", "2021-10", 3)
    out = rules.compare_rules(sales(rows)).set_index("seller_id")
    assert out.new_insurance_due.to_dict() == {
        "a": pd.Timestamp("2021-03-02"),
        "b": pd.Timestamp("2021-11-30"),
        "c": pd.Timestamp("2020-03-30"),
    }
    assert out.loc["b", "old_insurance_due"] == pd.Timestamp("2022-01-30")
    assert pd.isna(out.loc["a", "old_insurance_due"])
    assert out.new_insurance_due.dtype == "datetime64[s]"


# --- Status -----------------------------------------------------------------------------------------------------------
def status_rows():
    return (
        streak("already", "2021-05", 3)  # old 2021-07 < start 2021-09
        + streak("newly", "2021-09", 2)
        + [("newly", "2021-12", OVER)]  # never 3 in a row
        + streak("accel", "2021-10", 4)  # new 2021-10, old 2021-12: lead 2
        + [("unaff", "2021-09", UNDER), ("unaff", "2021-10", AT)]  # never over (strict)
        + [("mixed", "2020-01", OVER)]
        + streak("mixed", "2021-10", 3)  # new 2020-01 < start, old 2021-12
    )


def test_status_each_rule_with_start():
    out = rules.compare_rules(sales(status_rows()), start="2021-09").set_index("seller_id")
    assert out.status.to_dict() == {
        "accel": "accelerated",
        "already": "already_required",
        "mixed": "accelerated",
        "newly": "newly_affected",
        "unaff": "unaffected",
    }
    lead = {k: None if pd.isna(v) else int(v) for k, v in out.lead_months.items()}
    assert lead == {"accel": 2, "already": 2, "mixed": 23, "newly": None, "unaff": None}
    assert str(out.lead_months.dtype) == "Int64"
    assert out.status.dtype == "str"
    assert out.loc["accel", "old_trigger"] == pd.Timestamp("2021-12-01")
    assert out.loc["accel", "new_trigger"] == pd.Timestamp("2021-10-01")


def test_status_without_start_has_no_already_required():
    out = rules.compare_rules(sales(status_rows())).set_index("seller_id")
    assert out.loc["already", "status"] == "accelerated"  # old 2021-07, new 2021-05
    assert "already_required" not in set(out.status)


def test_already_required_is_old_trigger_strictly_before_start():
    rows = streak("a", "2021-07", 3)  # old trigger 2021-09
    assert rules.compare_rules(sales(rows), start="2021-09").status.tolist() == ["accelerated"]
    assert rules.compare_rules(sales(rows), start="2021-10").status.tolist() == ["already_required"]


def test_unchanged_only_when_windows_are_equal():
    rows = streak("a", "2021-01", 3)
    out = rules.compare_rules(sales(rows), old_months=3, new_months=3)
    assert out.status.tolist() == ["unchanged"] and out.lead_months.tolist() == [0]
    out = rules.compare_rules(sales(rows), old_months=2, new_months=1)
    assert out.status.tolist() == ["accelerated"] and out.lead_months.tolist() == [1]


def test_new_window_longer_than_old_is_an_error():
    with pytest.raises(ValueError, match="may not be longer"):
        rules.compare_rules(sales(streak("a", "2021-01", 3)), old_months=1, new_months=3)


def test_statuses_constant_lists_every_status():
    assert rules.STATUSES == ("already_required", "newly_affected", "accelerated", "unchanged", "unaffected")


# --- Input handling ---------------------------------------------------------------------------------------------------
def test_duplicated_seller_marketplace_month_is_an_error_naming_an_example():
    rows = [
        ("a", "2021-01", 1.0),
        ("b", "2021-02", 5.0),
        ("b", "2021-02", 6.0, "US"),
        ("b", "2021-02", 6.0, "CA"),
    ]
    with pytest.raises(ValueError, match=r"1 duplicated .*seller_id='b' marketplace='US' month=2021-02"):
        rules.trigger_months(sales(rows), 1)


def test_nan_sales_is_an_error_never_silently_zero_or_over():
    with pytest.raises(ValueError, match="NaN never compares"):
        rules.trigger_months(sales([("a", "2021-01", float("nan"))]), 1)


def test_missing_id_or_month_or_column_is_an_error():
    frame = sales([("a", "2021-01", 1.0)])
    with pytest.raises(ValueError, match="missing column"):
        rules.trigger_months(frame.drop(columns="gross_sales"), 1)
    with pytest.raises(ValueError, match="seller_id is missing"):
        rules.trigger_months(frame.assign(seller_id=[None]), 1)
    with pytest.raises(ValueError, match="NaT"):
        rules.trigger_months(frame.assign(month=pd.to_datetime([None])), 1)


def test_unsorted_input_gives_the_same_result_as_sorted():
    rows = status_rows()
    frame = sales(rows)
    shuffled = frame.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(
        rules.compare_rules(shuffled, start="2021-09"), rules.compare_rules(frame, start="2021-09")
    )


def test_categorical_ids_give_the_same_result_as_strings_and_input_is_not_modified():
    frame = sales(status_rows())
    cat = frame.assign(
        seller_id=pd.Categorical(
            frame.seller_id, categories=["unaff", "newly", "mixed", "accel", "already", "unused"]
        ),
        marketplace=frame.marketplace.astype("category"),
    )
    before = cat.copy()
    out_cat = rules.compare_rules(cat, start="2021-09")
    out_str = rules.compare_rules(frame, start="2021-09")
    pd.testing.assert_frame_equal(cat, before)
    assert isinstance(out_cat.seller_id.dtype, pd.CategoricalDtype)
    assert (
        out_cat.seller_id.astype(str).tolist() == out_str.seller_id.tolist() == sorted(set(frame.seller_id))
    )
    pd.testing.assert_frame_equal(
        out_cat.drop(columns=["seller_id", "marketplace"]), out_str.drop(columns=["seller_id", "marketplace"])
    )


def test_empty_input_gives_empty_output_with_the_columns():
    out = rules.compare_rules(sales([("a", "2021-01", 1.0)]).iloc[:0])
    assert list(out.columns) == [
        "seller_id",
        "marketplace",
        "old_trigger",
        "new_trigger",
        "status",
        "lead_months",
        "old_insurance_due",
        "new_insurance_due",
    ]
    assert len(out) == 0


# --- required_over_time ---------------------------------------------------------------------------------------------
def test_required_over_time_is_cumulative_once_required_always_required():
    # new triggers: already 2021-05, accel 2021-10, mixed 2020-01, newly 2021-09; old: already 2021-07,
    # accel 2021-12, mixed 2021-12. Months 2021-08..2021-12:
    #   new: Aug 2 (mixed, already), Sep 3 (+newly), Oct 4 (+accel), Nov 4, Dec 4
    #   old: Aug 1 (already), Sep 1, Oct 1, Nov 1, Dec 3 (+accel, mixed)
    comparison = rules.compare_rules(sales(status_rows()), start="2021-09")
    out = rules.required_over_time(comparison, ("2021-08", "2021-12"))
    assert out.month.dt.strftime("%Y-%m").tolist() == ["2021-08", "2021-09", "2021-10", "2021-11", "2021-12"]
    assert out.n_required_new.tolist() == [2, 3, 4, 4, 4]
    assert out.n_required_old.tolist() == [1, 1, 1, 1, 3]
    assert out.n_total.tolist() == [5] * 5


def test_required_over_time_default_range_spans_all_triggers():
    comparison = rules.compare_rules(sales(status_rows()))
    out = rules.required_over_time(comparison)
    assert out.month.iloc[0] == pd.Timestamp("2020-01-01") and out.month.iloc[-1] == pd.Timestamp(
        "2021-12-01"
    )
    assert len(out) == 24
    assert out.n_required_new.iloc[0] == 1 and out.n_required_old.iloc[-1] == 3


def test_required_over_time_by_a_sellers_column():
    comparison = rules.compare_rules(sales(status_rows()), start="2021-09")
    sellers = pd.DataFrame(
        {
            "seller_id": ["already", "newly", "accel", "unaff", "mixed"],
            "category": ["toys", "books", "toys", "books", "toys"],
        }
    )
    out = rules.required_over_time(comparison, ("2021-09", "2021-12"), sellers=sellers, by="category")
    books = out[out.category == "books"]  # newly (new 2021-09), unaff
    toys = out[
        out.category == "toys"
    ]  # already (old 07, new 05), accel (new 10, old 12), mixed (new 2020-01, old 12)
    assert books.n_required_new.tolist() == [1, 1, 1, 1] and books.n_required_old.tolist() == [0, 0, 0, 0]
    assert toys.n_required_new.tolist() == [2, 3, 3, 3] and toys.n_required_old.tolist() == [1, 1, 1, 3]
    assert books.n_total.tolist() == [2] * 4 and toys.n_total.tolist() == [3] * 4


def test_required_over_time_by_a_comparison_column_and_listed_months():
    comparison = rules.compare_rules(sales(status_rows()), start="2021-09")
    out = rules.required_over_time(comparison, ["2021-12", "2021-09"], by="status")
    got = {
        (r.status, r.month.strftime("%Y-%m")): (r.n_required_old, r.n_required_new) for r in out.itertuples()
    }
    assert got[("accelerated", "2021-09")] == (0, 1)  # mixed (new 2020-01); accel's new is 2021-10
    assert got[("accelerated", "2021-12")] == (2, 2)
    assert got[("already_required", "2021-09")] == (1, 1)
    assert got[("unaffected", "2021-12")] == (0, 0)


def test_required_over_time_rejects_duplicate_seller_keys():
    comparison = rules.compare_rules(sales(status_rows()))
    sellers = pd.DataFrame({"seller_id": ["a", "a"], "category": ["x", "y"]})
    with pytest.raises(ValueError, match="duplicated"):
        rules.required_over_time(comparison, sellers=sellers, by="category")


def test_same_input_gives_the_same_output():
    frame = sales(status_rows())
    a = rules.compare_rules(frame, start="2021-09")
    b = rules.compare_rules(frame, start="2021-09")
    pd.testing.assert_frame_equal(a, b)
    assert np.array_equal(a.old_trigger.to_numpy(), b.old_trigger.to_numpy(), equal_nan=True)
