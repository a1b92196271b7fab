"""Policy calendar: the shipped file, user files, and calendar-mode rules on hand-worked cases for every site.

Hand-worked with the shipped calendar (strict "exceeds"; thresholds US 10,000 USD, CA 10,000 CAD, MX 100,000 MXN,
JP 1,000,000 JPY, UK 4,000 GBP, EU stores 5,000 EUR; old window 3 months, new window 1; switch months US 2021-09
(in force 2021-09-01), CA 2024-05 (2024-04-15), UK and EU 2024-06 (2024-05-29); MX and JP never switch).
Insurance due = last day of required_from + 30 days.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from reference_rules import month_number, reference_calendar

from seller_insurance import policy
from seller_insurance.analysis import rules

D = dt.date
OVER = {"US": 20_000, "CA": 20_000, "MX": 200_000, "JP": 2_000_000, "UK": 5_000, "DE": 6_000, "FR": 6_000}


def sales(*rows) -> pd.DataFrame:
    """rows: (seller, site, 'YYYY-MM', amount) -> the engine's input."""
    df = pd.DataFrame(rows, columns=["seller_id", "marketplace", "month", "gross_sales"])
    df["month"] = pd.to_datetime(df["month"])
    df["gross_sales"] = df["gross_sales"].astype(float)
    return df


def over(seller, site, *months):
    return [(seller, site, m, OVER[site]) for m in months]


def row(result: pd.DataFrame, seller: str, site: str) -> dict:
    r = result[(result["seller_id"] == seller) & (result["marketplace"] == site)]
    assert len(r) == 1
    out = r.iloc[0].to_dict()
    for col in ("old_trigger", "new_trigger", "switch_month", "required_from", "insurance_due"):
        out[col] = None if pd.isna(out[col]) else out[col].date()
    out["lead_months"] = None if pd.isna(out["lead_months"]) else int(out["lead_months"])
    return out


def check(r: dict, status, required, due, lead=None, switch="same"):
    assert r["status"] == status
    assert r["required_from"] == required
    assert r["insurance_due"] == due
    assert r["lead_months"] == lead
    if switch != "same":
        assert r["switch_month"] == switch


# --- The calendar file ------------------------------------------------------------------------------------------
def test_shipped_calendar_switch_months_follow_the_first_month_starting_on_or_after_the_date_in_force():
    cal = policy.load_calendar()
    got = {s: cal.switch_month(s) for s in cal.sites}
    assert got["US"] == "2021-09"  # in force 2021-09-01: that month
    assert got["CA"] == "2024-05"  # 2024-04-15: April started before it
    for site in ("UK", "DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL"):
        assert got[site] == "2024-06"  # 2024-05-29
    assert got["MX"] is None and got["JP"] is None


def test_every_value_in_the_shipped_calendar_has_a_source():
    cal = policy.load_calendar()
    for p in cal.periods:
        for key in ("threshold", "window", "in_force", "claims", "pool"):
            assert p.sources.get(key), (p.site, p.line, key)


def test_policy_constants_are_derived_from_the_calendar_file():
    cal = policy.DEFAULT_CALENDAR
    assert dict(policy.DEFAULT_THRESHOLDS) == {s: cal.rule(s).current.threshold for s in cal.sites}
    assert cal.sites == policy.KNOWN_MARKETPLACES
    us = cal.rule("US")
    assert (us.old.window_months, us.new.window_months) == (policy.OLD_RULE_MONTHS, policy.NEW_RULE_MONTHS)
    assert policy.NEW_RULE_START == us.switch_month == "2021-09"
    assert (1000.0, D(2021, 9, 1)) == (policy.CLAIM_CAP_USD, policy.CLAIMS_START)


def test_events_are_derived_from_the_calendar_grouped_by_year():
    events = policy.load_calendar().events()
    assert [e["event"] for e in events] == ["US, September 2021", "CA, UK and EU, 2024"]
    assert events[0]["sites"] == ("US",)
    assert events[1]["sites"] == ("CA", "UK", "DE", "FR", "IT", "ES", "NL", "BE", "SE", "PL")


def write_calendar(tmp_path, text, name="cal.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "site,region,in_force,threshold,currency,window_months,claims_cap,claims_cap_currency,claims_start\n"


def test_a_user_calendar_drives_the_rules(tmp_path):
    # US moves to one month from 2020-03-10 (switch 2020-04) with a 5,000 threshold: 6,000 in 2020-02 is history.
    path = write_calendar(
        tmp_path, "# version: test-1\n" + HEADER + "US,US,,5000,USD,3,,,\nUS,US,2020-03-10,5000,USD,1,,,\n"
    )
    cal = policy.load_calendar(path)
    assert cal.version == "test-1" and cal.source == str(path) and len(cal.sha256) == 64
    res = rules.evaluate_calendar(sales(("a", "US", "2020-02", 6_000)), cal)
    check(row(res, "a", "US"), "newly_affected", D(2020, 4, 1), D(2020, 5, 30), switch=D(2020, 4, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("US,US,,10000,USD,0,,,\n", "line 3, column 'window_months'"),
        ("US,US,,-5,USD,3,,,\n", "line 3, column 'threshold'"),
        ("US,US,2021-09-01,10000,USD,1,,,\n", "exactly one row with an empty in_force"),
        ("US,US,,10000,USD,3,,,\nUS,US,2021-31-01,10000,USD,1,,,\n", "line 4, column 'in_force'"),
        (
            "US,US,,10000,USD,3,,,\nUS,US,2021-09-01,10000,USD,1,1000,,2021-09-01\n",
            "column 'claims_cap_currency'",
        ),
        (
            "US,US,,10000,USD,3,,,\nUS,US,2021-09-01,10000,USD,1,,,\nUS,US,2022-09-01,10000,USD,1,,,\n",
            "more than one change",
        ),
        ("US,US,,10000,USD,1,,,\nUS,US,2021-09-01,10000,USD,3,,,\n", "may not be longer"),
    ],
)
def test_a_bad_calendar_is_refused_naming_file_line_and_column(tmp_path, text, message):
    path = write_calendar(tmp_path, "# a comment\n" + HEADER + text)
    with pytest.raises(policy.CalendarError, match=message) as info:
        policy.load_calendar(path)
    assert str(path) in str(info.value)


def test_a_site_missing_from_the_calendar_is_an_error_not_a_silent_default(tmp_path):
    path = write_calendar(tmp_path, HEADER + "US,US,,10000,USD,3,,,\n")
    with pytest.raises(ValueError, match="'CA'.*policy calendar"):
        rules.evaluate_calendar(sales(("a", "CA", "2024-06", 1.0)), policy.load_calendar(path))


# --- US: the 2021 change ------------------------------------------------------------------------------------------
def test_us_one_month_over_before_2021_09_makes_the_seller_required_in_september_history_counts():
    res = rules.evaluate_calendar(sales(*over("a", "US", "2021-06")))
    r = row(res, "a", "US")
    assert r["new_trigger"] == D(2021, 6, 1) and r["old_trigger"] is None
    check(r, "newly_affected", D(2021, 9, 1), D(2021, 10, 30), switch=D(2021, 9, 1))  # 30 Sep + 30 days


def test_us_one_month_over_after_2021_09_is_required_that_month():
    r = row(rules.evaluate_calendar(sales(*over("a", "US", "2021-11"))), "a", "US")
    check(r, "newly_affected", D(2021, 11, 1), D(2021, 12, 30))


def test_us_three_months_over_before_2021_09_is_already_required():
    r = row(rules.evaluate_calendar(sales(*over("a", "US", "2021-01", "2021-02", "2021-03"))), "a", "US")
    assert r["old_trigger"] == D(2021, 3, 1)
    check(r, "already_required", D(2021, 3, 1), D(2021, 4, 30))


def test_accelerated_seller_with_lead_one_month_history_trigger_before_the_switch():
    # Over in 2021-08, 09, 10: old rule triggers 2021-10; the August month is history -> required 2021-09: lead 1.
    r = row(rules.evaluate_calendar(sales(*over("a", "US", "2021-08", "2021-09", "2021-10"))), "a", "US")
    assert (r["old_trigger"], r["new_trigger"]) == (D(2021, 10, 1), D(2021, 8, 1))
    check(r, "accelerated", D(2021, 9, 1), D(2021, 10, 30), lead=1)


def test_old_trigger_in_the_switch_month_with_history_before_is_unchanged():
    # Over 2021-07, 08, 09: old triggers in S itself; required from S under both: nothing changed.
    r = row(rules.evaluate_calendar(sales(*over("a", "US", "2021-07", "2021-08", "2021-09"))), "a", "US")
    check(r, "unchanged", D(2021, 9, 1), D(2021, 10, 30), lead=0)


def test_a_missing_month_breaks_the_old_rule_streak_and_exactly_the_threshold_does_not_count():
    rows = [*over("a", "US", "2022-01", "2022-02", "2022-04", "2022-05"), ("a", "US", "2022-03", 10_000)]
    r = row(rules.evaluate_calendar(sales(*rows)), "a", "US")
    assert r["old_trigger"] is None
    check(r, "newly_affected", D(2022, 1, 1), D(2022, 3, 2))  # 31 Jan + 30 days
    r = row(rules.evaluate_calendar(sales(*rows), inclusive=True), "a", "US")
    assert r["old_trigger"] == D(2022, 3, 1)
    check(r, "accelerated", D(2022, 1, 1), D(2022, 3, 2), lead=2)


# --- CA: the 2024-04-15 change -------------------------------------------------------------------------------------
def test_ca_three_months_over_in_2021_is_already_required_the_us_change_does_not_apply():
    r = row(rules.evaluate_calendar(sales(*over("c", "CA", "2021-10", "2021-11", "2021-12"))), "c", "CA")
    check(r, "already_required", D(2021, 12, 1), D(2022, 1, 30), switch=D(2024, 5, 1))


def test_ca_one_month_over_before_2024_05_is_required_in_may_2024():
    # One month in 2022-03 and one in 2024-04 (after the date in force, before the switch month): history.
    r = row(rules.evaluate_calendar(sales(*over("c", "CA", "2022-03", "2024-04"))), "c", "CA")
    assert r["new_trigger"] == D(2022, 3, 1)
    check(r, "newly_affected", D(2024, 5, 1), D(2024, 6, 30), switch=D(2024, 5, 1))


def test_ca_one_month_over_after_2024_05_is_required_that_month():
    r = row(rules.evaluate_calendar(sales(*over("c", "CA", "2024-07"))), "c", "CA")
    check(r, "newly_affected", D(2024, 7, 1), D(2024, 8, 30))


# --- UK and EU: the 2024-05-29 change -------------------------------------------------------------------------------
def test_uk_and_eu_one_month_over_in_may_2024_is_required_in_june_2024():
    res = rules.evaluate_calendar(sales(*over("u", "UK", "2024-05"), *over("u", "DE", "2024-05")))
    for site in ("UK", "DE"):
        check(row(res, "u", site), "newly_affected", D(2024, 6, 1), D(2024, 7, 30), switch=D(2024, 6, 1))


def test_uk_and_eu_one_month_over_after_2024_06_is_required_that_month():
    res = rules.evaluate_calendar(sales(*over("u", "UK", "2024-08"), *over("u", "FR", "2024-09")))
    check(row(res, "u", "UK"), "newly_affected", D(2024, 8, 1), D(2024, 9, 30))
    check(row(res, "u", "FR"), "newly_affected", D(2024, 9, 1), D(2024, 10, 30))  # 30 Sep + 30 days


def test_uk_accelerated_by_the_2024_change():
    # Over 2024-06, 07, 08: old rule 2024-08, new rule from S: 2024-06 -> lead 2.
    r = row(rules.evaluate_calendar(sales(*over("u", "UK", "2024-06", "2024-07", "2024-08"))), "u", "UK")
    check(r, "accelerated", D(2024, 6, 1), D(2024, 7, 30), lead=2)


# --- MX and JP: never switched ---------------------------------------------------------------------------------------
def test_mx_and_jp_never_switch_one_month_is_not_enough():
    res = rules.evaluate_calendar(sales(*over("m", "MX", "2024-07"), *over("m", "JP", "2022-01")))
    for site in ("MX", "JP"):
        r = row(res, "m", site)
        assert r["switch_month"] is None and r["new_trigger"] is None
        check(r, "unaffected", None, None)


def test_mx_and_jp_three_months_are_unchanged_only():
    res = rules.evaluate_calendar(
        sales(
            *over("m", "MX", "2019-01", "2019-02", "2019-03"),
            *over("m", "JP", "2024-06", "2024-07", "2024-08"),
        )
    )
    check(row(res, "m", "MX"), "unchanged", D(2019, 3, 1), D(2019, 4, 30), lead=0, switch=None)
    check(row(res, "m", "JP"), "unchanged", D(2024, 8, 1), D(2024, 9, 30), lead=0, switch=None)


def test_without_the_calendar_the_us_change_applies_to_every_site_as_before():
    # The same CA history under today's single-start mode: accelerated/newly affected by the 2021 US change.
    df = sales(*over("c", "CA", "2022-03"), *over("m", "MX", "2024-07"))
    res = rules.compare_rules(df, start=policy.NEW_RULE_START)
    assert list(res["status"]) == ["newly_affected", "newly_affected"]
    assert list(res["new_insurance_due"].dt.date) == [D(2022, 4, 30), D(2024, 8, 30)]


def test_a_switch_after_end_has_not_happened_as_of_end():
    df = sales(*over("c", "CA", "2023-01"))
    r = row(rules.evaluate_calendar(df, end="2024-04"), "c", "CA")
    assert r["switch_month"] is None
    check(r, "unaffected", None, None)
    r = row(rules.evaluate_calendar(df, end="2024-05"), "c", "CA")
    check(r, "newly_affected", D(2024, 5, 1), D(2024, 6, 30), switch=D(2024, 5, 1))


# --- EU pooling ------------------------------------------------------------------------------------------------------
def test_pool_eu_adds_eu_store_sales_in_eur_from_the_switch_month_only():
    # 3,000 EUR on DE and 3,000 EUR on FR each month of 2024-01..03 and 2024-07: no site over 5,000 on its own.
    # Pooled: 6,000 EUR > 5,000 from 2024-01 (history) -> required from S = 2024-06. The old rule stays per site.
    # UK is not in the pool: its 3,000 GBP never counts.
    months = ("2024-01", "2024-02", "2024-03", "2024-07")
    rows = [(s, site, m, 3_000) for s, site in (("p", "DE"), ("p", "FR"), ("p", "UK")) for m in months]
    plain = rules.evaluate_calendar(sales(*rows))
    assert set(plain["status"]) == {"unaffected"}
    pooled = rules.evaluate_calendar(sales(*rows), pool_eu=True)
    for site in ("DE", "FR"):
        r = row(pooled, "p", site)
        assert r["old_trigger"] is None and r["new_trigger"] == D(2024, 1, 1)
        check(r, "newly_affected", D(2024, 6, 1), D(2024, 7, 30))
    check(row(pooled, "p", "UK"), "unaffected", None, None)


def test_pool_eu_converts_other_currencies_to_eur_at_the_documented_rates():
    # 30,000 SEK = 30,000 * 0.845 / 8.584 = 2,953.17 EUR (policy.FX_PER_USD); with 2,100 EUR on DE: 5,053.17 > 5,000;
    # with 2,000 EUR: 4,953.17, not over.
    rate = policy.FX_PER_USD["EUR"] / policy.FX_PER_USD["SEK"]
    assert 30_000 * rate == pytest.approx(2_953.17, abs=0.01)
    rows = [("x", "SE", "2024-08", 30_000), ("x", "DE", "2024-08", 2_100)]
    rows += [("y", "SE", "2024-08", 30_000), ("y", "DE", "2024-08", 2_000)]
    res = rules.evaluate_calendar(sales(*rows), pool_eu=True)
    for site in ("SE", "DE"):
        check(row(res, "x", site), "newly_affected", D(2024, 8, 1), D(2024, 9, 30))
        check(row(res, "y", site), "unaffected", None, None)


def test_pool_eu_a_site_first_sold_on_after_a_pooled_history_trigger_is_required_from_its_first_row():
    # Found by the property test. FR 6,000 EUR in 2021-05 (alone over 5,000); the seller's first DE row is 2024-07
    # at 100 EUR. Pooled EUR sales: 6,000 in 2021-05 (the seller's trigger, history) and 100 in 2024-07.
    # FR: new trigger 2021-05 < S = 2024-06 -> required 2024-06, due 2024-06-30 + 30 = 2024-07-30.
    # DE: the seller was required before it first sold on DE, but the DE seller-site only exists from 2024-07:
    # new trigger max(2021-05, 2024-07) = 2024-07, required 2024-07 (not 2024-06), due 2024-07-31 + 30 = 2024-08-30.
    rows = [("p", "FR", "2021-05", 6_000), ("p", "DE", "2024-07", 100)]
    res = rules.evaluate_calendar(sales(*rows), pool_eu=True)
    fr, de = row(res, "p", "FR"), row(res, "p", "DE")
    assert (fr["old_trigger"], fr["new_trigger"]) == (None, D(2021, 5, 1))
    check(fr, "newly_affected", D(2024, 6, 1), D(2024, 7, 30))
    assert (de["old_trigger"], de["new_trigger"]) == (None, D(2024, 7, 1))
    check(de, "newly_affected", D(2024, 7, 1), D(2024, 8, 30))
    # Without pooling DE's 100 EUR never counts.
    check(row(rules.evaluate_calendar(sales(*rows)), "p", "DE"), "unaffected", None, None)
    assert_matches_reference(rows, pool_eu=True)


def test_pool_eu_once_required_an_eu_seller_site_is_required_even_where_it_no_longer_sells():
    # Found by the property test. One FR row, 100 EUR in 2021-05; DE 6,000 EUR in 2024-07. Pooled: 100 EUR in
    # 2021-05, 6,000 in 2024-07 -> the seller's trigger is 2024-07 (>= S = 2024-06). FR's seller-site exists since
    # 2021-05: new trigger max(2024-07, 2021-05) = 2024-07, required 2024-07, due 2024-08-30, newly affected
    # (once required, always required; as a US seller with a 2019 history trigger is required in 2021-09).
    rows = [("q", "DE", "2024-07", 6_000), ("q", "FR", "2021-05", 100)]
    res = rules.evaluate_calendar(sales(*rows), pool_eu=True)
    for site in ("DE", "FR"):
        r = row(res, "q", site)
        assert (r["old_trigger"], r["new_trigger"]) == (None, D(2024, 7, 1))
        check(r, "newly_affected", D(2024, 7, 1), D(2024, 8, 30))
    # As of 2024-06 the pooled sales never exceeded 5,000 EUR and the DE row is in the future: both unaffected.
    res = rules.evaluate_calendar(sales(*rows), pool_eu=True, end="2024-06")
    for site in ("DE", "FR"):
        check(row(res, "q", site), "unaffected", None, None)
    assert_matches_reference(rows, pool_eu=True)
    assert_matches_reference(rows, pool_eu=True, end="2024-06")


def assert_matches_reference(rows, *, pool_eu=False, end=None):
    """The engine and the month-by-month reference (tests/reference_rules.py) agree on these rows."""
    as_dates = [(s, site, pd.Timestamp(m).date(), v) for s, site, m, v in rows]
    got = rules.evaluate_calendar(sales(*rows), pool_eu=pool_eu, end=end)
    want = reference_calendar(
        as_dates,
        policy.DEFAULT_CALENDAR,
        end=None if end is None else month_number(pd.Timestamp(end)),
        pool_eu=pool_eu,
        fx_per_usd=policy.FX_PER_USD,
    )
    for key, expected in want.items():
        r = row(got, *key)
        assert {k: r[k] for k in ("status", "required_from", "insurance_due", "lead_months")} == {
            k: expected[k] for k in ("status", "required_from", "insurance_due", "lead_months")
        }, key


def test_calendar_mode_is_deterministic_and_leaves_the_input_alone():
    df = sales(
        *over("a", "US", "2021-06"), *over("c", "CA", "2022-03", "2024-04"), ("p", "DE", "2024-07", 3_000)
    )
    before = df.copy()
    a = rules.evaluate_calendar(df, pool_eu=True)
    b = rules.evaluate_calendar(df.sample(frac=1.0, random_state=1), pool_eu=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_series_equal(a["insurance_due"], a["new_insurance_due"], check_names=False)


# --- Per-site time series of the rule changes (impact.required_over_time_by_site) ----------------------------------
def test_required_over_time_by_site_counts_as_enacted_from_required_from_and_the_old_rule_from_old_trigger():
    from seller_insurance.analysis import impact

    # a/US: 20,000 in 2021-06 only -> required as enacted from 2021-09 (history), never under the old rule.
    # d/UK: 5,000 GBP 2024-03..05 -> old rule 2024-05 (< S = 2024-06: already required) -> both from 2024-05.
    # m/MX: never switches: in no event, not listed.
    df = sales(
        ("a", "US", "2021-06", 20_000),
        *[("d", "UK", m, 5_000) for m in ("2024-03", "2024-04", "2024-05")],
        ("m", "MX", "2024-07", 200_000),
    )
    res = rules.evaluate_calendar(df)
    series = impact.required_over_time_by_site(res, months_range=("2021-08", "2021-09"))
    us = series[series["marketplace"] == "US"]
    assert list(us["n_required_enacted"]) == [0, 1] and list(us["n_required_old"]) == [0, 0]
    assert set(us["switch_month"]) == {"2021-09"} and set(us["event"]) == {"US, September 2021"}
    series = impact.required_over_time_by_site(res, months_range=("2024-04", "2024-05"))
    uk = series[series["marketplace"] == "UK"]
    assert list(uk["n_required_enacted"]) == [0, 1] and list(uk["n_required_old"]) == [0, 1]
    assert set(uk["event"]) == {"CA, UK and EU, 2024"} and set(uk["switch_month"]) == {"2024-06"}
    assert set(series["marketplace"]) == {"US", "UK"}  # sites of an event with seller-sites only; MX in none


def test_a_pool_whose_sites_have_different_windows_is_refused(tmp_path):
    header = "site,region,in_force,threshold,currency,window_months,pool,pool_threshold,pool_currency\n"
    text = (
        header
        + "DE,EU,,5000,EUR,3,,,\nDE,EU,2024-05-29,5000,EUR,1,EU,5000,EUR\n"
        + "FR,EU,,5000,EUR,3,,,\nFR,EU,2024-05-29,5000,EUR,2,EU,5000,EUR\n"
    )
    with pytest.raises(policy.CalendarError, match="line 5, column 'window_months'.*share one window"):
        policy.load_calendar(write_calendar(tmp_path, text))
