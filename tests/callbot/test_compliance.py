"""The calling rules as tables: windows in each lead's zone and at the 17:00 edge, weekdays, holidays, retries."""

from __future__ import annotations

import datetime as dt

import pytest

from callbot import compliance
from callbot.errors import CallbotError
from callbot.models import Campaign

UTC = dt.UTC


def campaign(preset: str = "vn", **fields: object) -> Campaign:
    c = Campaign(name="t", max_attempts=3, retry_policy={}, extra_holidays=[], lead_timezones=[])
    compliance.apply_preset(c, preset)
    for key, value in fields.items():
        setattr(c, key, value)
    return c


def hcm(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone(dt.timedelta(hours=7))).astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (hcm(2026, 11, 25, 7, 59, 59), False),  # Wednesday, a second before the window
        (hcm(2026, 11, 25, 8, 0, 0), True),
        (hcm(2026, 11, 25, 16, 59, 59), True),
        (hcm(2026, 11, 25, 17, 0, 0), False),  # the 17:00 edge is closed
        (hcm(2026, 11, 28, 10, 0), True),  # Saturday
        (hcm(2026, 11, 29, 10, 0), False),  # Sunday
        (hcm(2026, 11, 24, 10, 0), False),  # Vietnam Culture Day, a public holiday
        (hcm(2026, 9, 2, 10, 0), False),  # National Day
        (hcm(2027, 2, 8, 10, 0), False),  # Tết 2027
    ],
)
def test_vietnamese_preset(moment: dt.datetime, allowed: bool) -> None:
    assert compliance.window_open(campaign("vn"), moment) is allowed


def test_extra_holidays_and_weekdays_are_the_campaigns_own() -> None:
    c = campaign("vn", extra_holidays=["2026-11-26"], weekdays="12345")
    assert not compliance.window_open(c, hcm(2026, 11, 26, 10, 0))  # the company's day off
    assert not compliance.window_open(c, hcm(2026, 11, 28, 10, 0))  # Saturday no longer allowed
    assert compliance.window_open(c, hcm(2026, 11, 27, 10, 0))


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+84912345678", "Asia/Ho_Chi_Minh"),
        ("+12125551234", "America/New_York"),
        ("+14155550123", "America/Los_Angeles"),
        ("+18005551234", None),  # toll-free: everywhere in North America, so the campaign's zone decides
        (None, None),
    ],
)
def test_a_numbers_time_zone(number: str | None, zone: str | None) -> None:
    assert compliance.number_timezone(number) == zone


def test_the_window_is_the_leads_own_time() -> None:
    c = campaign("us")  # 08:00–21:00 at the called party's location; campaign zone New York
    moment = dt.datetime(2026, 11, 25, 13, 30, tzinfo=UTC)  # 08:30 in New York, 05:30 in Los Angeles
    assert compliance.zone_open(c, "America/New_York", moment)
    assert not compliance.zone_open(c, "America/Los_Angeles", moment)
    assert compliance.next_opening(c, "America/Los_Angeles", moment) == dt.datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    late = dt.datetime(2026, 11, 26, 2, 30, tzinfo=UTC)  # 21:30 in New York, 18:30 in Los Angeles
    assert not compliance.zone_open(c, "America/New_York", late)
    assert compliance.zone_open(c, "America/Los_Angeles", late)
    # a number in two zones is called only when the window is open in both
    assert not compliance.zone_open(c, "America/Los_Angeles,America/New_York", moment)
    assert compliance.zone_open(c, "America/Los_Angeles,America/New_York", dt.datetime(2026, 11, 25, 17, 0, tzinfo=UTC))


def test_next_opening_skips_nights_sundays_and_holidays() -> None:
    c = campaign("vn")
    assert compliance.next_opening(c, None, hcm(2026, 11, 25, 17, 0)) == hcm(2026, 11, 26, 8, 0)
    assert compliance.next_opening(c, None, hcm(2026, 11, 28, 17, 30)) == hcm(2026, 11, 30, 8, 0)  # past Sunday
    assert compliance.next_opening(c, None, hcm(2026, 11, 23, 18, 0)) == hcm(2026, 11, 25, 8, 0)  # past the 24th
    assert compliance.next_opening(c, None, hcm(2026, 11, 25, 9, 0)) == hcm(2026, 11, 25, 9, 0)  # open now
    assert compliance.next_opening(campaign("vn", weekdays=""), None, hcm(2026, 11, 25, 9, 0)) is None


def test_a_window_across_midnight_belongs_to_the_day_it_starts() -> None:
    c = campaign("permissive", window_start=dt.time(20), window_end=dt.time(2), weekdays="5")  # Friday nights
    assert compliance.window_open(c, hcm(2026, 11, 27, 23, 0))  # Friday 23:00
    assert compliance.window_open(c, hcm(2026, 11, 28, 1, 0))  # still Friday's window, on Saturday
    assert not compliance.window_open(c, hcm(2026, 11, 28, 23, 0))  # Saturday night


@pytest.mark.parametrize(
    ("outcome", "times", "attempts", "delay"),
    [
        ("no_answer", 1, 1, dt.timedelta(minutes=30)),
        ("no_answer", 2, 2, dt.timedelta(hours=2)),
        ("no_answer", 3, 3, None),  # the campaign's 3 attempts are spent
        ("busy", 1, 1, dt.timedelta(minutes=15)),
        ("failed", 1, 1, dt.timedelta(hours=4)),
        ("canceled", 2, 2, None),  # retried like "failed", at most twice
        ("voicemail", 1, 1, dt.timedelta(hours=2)),
        ("hung_up", 1, 1, dt.timedelta(days=1)),
        ("hung_up", 2, 2, None),
        ("no_input", 1, 1, dt.timedelta(hours=2)),
        ("not_interested", 1, 1, None),  # a no is never redialled
        ("opted_out", 1, 1, None),
        ("wrong_person", 1, 1, None),
        ("interested", 1, 1, None),
    ],
)
def test_retries_per_outcome(outcome: str, times: int, attempts: int, delay: dt.timedelta | None) -> None:
    assert compliance.retry_delay(campaign("vn"), outcome, times, attempts) == delay


def test_a_campaigns_retry_policy_overrides_the_default() -> None:
    c = campaign("vn", retry_policy={"busy": {"delays": [120, 600], "max": 5}}, max_attempts=6)
    assert [compliance.retry_delay(c, "busy", n, n) for n in range(1, 6)] == [
        dt.timedelta(seconds=120),
        dt.timedelta(seconds=600),
        dt.timedelta(seconds=600),
        dt.timedelta(seconds=600),
        None,
    ]
    assert compliance.retry_delay(c, "no_answer", 1, 1) == dt.timedelta(minutes=30)  # the default still applies


@pytest.mark.parametrize(
    "policy",
    [
        {"ringing": {"delays": [60], "max": 1}},
        {"busy": {"delays": [], "max": 1}},
        {"busy": {"delays": [-5], "max": 1}},
        {"busy": {"delays": [60], "max": 11}},
        {"busy": {"delays": "60", "max": 1}},
    ],
)
def test_a_bad_retry_policy_is_refused_with_its_reason(policy: dict) -> None:
    with pytest.raises(CallbotError, match="retry policy"):
        compliance.check_retry_policy(policy)


def test_every_campaign_says_which_rules_apply() -> None:
    lines = dict(compliance.rules(campaign("vn")))
    assert "91/2020" in lines["preset"] and lines["window"].startswith("08:00–17:00")
    assert lines["weekdays"] == "T2 T3 T4 T5 T6 T7" and lines["number_cap"] == "1 / 24 h" and lines["holidays"] == "VN"
    assert dict(compliance.rules(campaign("permissive"), "en"))["number_cap"] == "—"
