"""Calling rules: presets per country, and the guard every call passes (window, days, caps, do-not-call)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
import phonenumbers
import sqlalchemy as sa
from phonenumbers import timezone as number_timezones
from sqlalchemy.orm import Session

from callbot import dnc
from callbot.errors import CallbotError
from callbot.models import LIVE_ATTEMPT, CallAttempt, Campaign, Lead

DAY = dt.timedelta(days=1)
# Outcomes the retry policy knows; every other outcome (a yes, a no, an opt-out, a wrong person) is final.
RETRY_OUTCOMES = ("no_answer", "busy", "failed", "voicemail", "hung_up", "no_input")
# Twilio's "canceled" is retried like "failed" (the call never reached the person).
RETRY_ALIASES = {"canceled": "failed"}
# Defaults after REFERENCE.md's retry practice: never at once, congestion hours later, the next day last.
DEFAULT_RETRIES: dict[str, dict[str, Any]] = {
    "no_answer": {"delays": [1800, 7200, 86400], "max": 3},
    "busy": {"delays": [900, 7200, 86400], "max": 3},
    "failed": {"delays": [14400, 86400], "max": 2},
    "voicemail": {"delays": [7200, 86400], "max": 3},
    "hung_up": {"delays": [86400], "max": 2},
    "no_input": {"delays": [7200, 86400], "max": 2},
}
# A number that phonenumbers places in more zones than this (toll-free, some mobile ranges) takes the campaign's.
MAX_ZONES_PER_NUMBER = 4
# Zones a country's numbers are called in when phonenumbers is less precise than the law wants.
COUNTRY_ZONES = {"VN": "Asia/Ho_Chi_Minh"}


@dataclass(frozen=True)
class Preset:
    """A named set of calling rules and the law they come from."""

    name: str
    window_start: dt.time
    window_end: dt.time
    timezone: str
    weekdays: str
    holiday_country: str | None
    max_calls_per_number: int
    number_cap_hours: int
    description: str
    retries: dict[str, dict[str, Any]] = field(default_factory=lambda: DEFAULT_RETRIES)


# A window whose start equals its end is open all day.
PRESETS = {
    "vn": Preset(
        "vn",
        dt.time(8),
        dt.time(17),
        "Asia/Ho_Chi_Minh",
        "123456",
        "VN",
        1,
        24,
        "Việt Nam, Nghị định 91/2020/NĐ-CP: 08:00–17:00 giờ địa phương, tối đa 1 cuộc/số/24 giờ, "
        "không gọi Chủ nhật và ngày lễ",
    ),
    "us": Preset(
        "us",
        dt.time(8),
        dt.time(21),
        "America/New_York",
        "123456",
        "US",
        1,
        24,
        "United States, TCPA 47 CFR 64.1200: 08:00–21:00 at the called party's location; "
        "1 call per number per 24 h, no Sundays or federal holidays (conservative, as several states)",
    ),
    "permissive": Preset(
        "permissive",
        dt.time(0),
        dt.time(0),
        "Asia/Ho_Chi_Minh",
        "1234567",
        None,
        0,
        24,
        "Giao dịch/thử nghiệm: gọi mọi giờ, mọi ngày, không giới hạn số cuộc (không dùng cho cuộc gọi quảng cáo)",
    ),
}


def apply_preset(campaign: Campaign, name: str) -> None:
    """Set a campaign's calling rules from a preset."""
    preset = PRESETS[name]
    campaign.rules_preset = preset.name
    campaign.window_start = preset.window_start
    campaign.window_end = preset.window_end
    campaign.timezone = preset.timezone
    campaign.weekdays = preset.weekdays
    campaign.holiday_country = preset.holiday_country
    campaign.max_calls_per_number = preset.max_calls_per_number
    campaign.number_cap_hours = preset.number_cap_hours


# ---- time zones -------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def number_timezone(e164: str | None) -> str | None:
    """The time zone(s) a number is called in ("," between several), or None when only the campaign's can tell."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    if region in COUNTRY_ZONES:
        return COUNTRY_ZONES[region]
    zones = [z for z in number_timezones.time_zones_for_number(number) if z != number_timezones.UNKNOWN_TIMEZONE]
    if not zones or len(zones) > MAX_ZONES_PER_NUMBER:
        return None
    return ",".join(sorted(zones))


def assign_timezones(
    session: Session, campaign_id: int, lead_ids: Iterable[int] | None = None, *, batch: str | None = None
) -> None:
    """Store each lead's time zone (NULL where it is the campaign's) and the campaign's list of zones.

    All the campaign's leads, or only `lead_ids`, or only one upload's (`batch`).
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return
    query = sa.select(Lead.id, Lead.phone_e164).where(
        Lead.campaign_id == campaign_id, Lead.phone_e164.is_not(None), Lead.timezone.is_(None)
    )
    if lead_ids is not None:
        query = query.where(Lead.id.in_(list(lead_ids)))
    if batch is not None:
        query = query.where(Lead.import_batch == batch)
    # Vietnamese numbers are the mass of every list and all share one zone: skip them without parsing.
    query = query.where(~Lead.phone_e164.like("+84%")) if campaign.timezone == COUNTRY_ZONES["VN"] else query
    updates: dict[str, list[int]] = {}
    for lead_id, e164 in session.execute(query):
        zone = number_timezone(e164)
        if zone and zone != campaign.timezone:
            updates.setdefault(zone, []).append(lead_id)
    for zone, ids in updates.items():
        for start in range(0, len(ids), 500):
            session.execute(
                sa.update(Lead).where(Lead.id.in_(ids[start : start + 500])).values(timezone=zone),
                execution_options={"synchronize_session": False},
            )
    known = set(campaign.lead_timezones or [])
    if set(updates) - known:
        campaign.lead_timezones = sorted(known | set(updates))


def campaign_zones(campaign: Campaign) -> list[str | None]:
    """Every zone key the campaign's leads can have (None: the campaign's own zone)."""
    return [None, *(campaign.lead_timezones or [])]


# ---- windows, days and holidays ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _country_holidays(country: str, year: int) -> frozenset[dt.date]:
    return frozenset(holiday_calendars.country_holidays(country, years=year).keys())


def is_holiday(campaign: Campaign, day: dt.date) -> bool:
    """Whether `day` is a public holiday of the campaign's country or one of its own days off."""
    if campaign.holiday_country and day in _country_holidays(campaign.holiday_country, day.year):
        return True
    return day.isoformat() in (campaign.extra_holidays or ())


def _open_in(campaign: Campaign, zone: str, now: dt.datetime) -> bool:
    local = now.astimezone(ZoneInfo(zone))
    start, end = campaign.window_start, campaign.window_end
    clock = local.time()
    if start == end:
        inside, day = True, local.date()
    elif start < end:
        inside, day = start <= clock < end, local.date()
    else:  # a window that crosses midnight belongs to the day it started on
        inside = clock >= start or clock < end
        day = local.date() if clock >= start else local.date() - DAY
    if not inside:
        return False
    return str(day.isoweekday()) in campaign.weekdays and not is_holiday(campaign, day)


def zone_open(campaign: Campaign, zone_key: str | None, now: dt.datetime) -> bool:
    """Whether a lead in `zone_key` (None: the campaign's zone) may be called at `now`: window, weekday, holiday."""
    zones = zone_key.split(",") if zone_key else [campaign.timezone]
    return all(_open_in(campaign, zone, now) for zone in zones)


def window_open(campaign: Campaign, now: dt.datetime) -> bool:
    """Whether the campaign's own zone is inside its calling window, on an allowed day."""
    return zone_open(campaign, None, now)


def open_zones(campaign: Campaign, now: dt.datetime) -> list[str | None]:
    """The campaign's zone keys where calling is allowed right now."""
    return [zone for zone in campaign_zones(campaign) if zone_open(campaign, zone, now)]


def next_opening(
    campaign: Campaign, zone_key: str | None, now: dt.datetime, horizon_days: int = 21
) -> dt.datetime | None:
    """The first moment at or after `now` when a lead in `zone_key` may be called (None: not within the horizon)."""
    if zone_open(campaign, zone_key, now):
        return now
    zones = zone_key.split(",") if zone_key else [campaign.timezone]
    candidates: set[dt.datetime] = set()
    for zone in zones:
        tz = ZoneInfo(zone)
        first = now.astimezone(tz).date()
        for offset in range(horizon_days + 1):
            day = first + dt.timedelta(days=offset)
            for moment in (campaign.window_start, dt.time(0)):
                candidates.add(dt.datetime.combine(day, moment, tzinfo=tz).astimezone(dt.UTC))
    for moment in sorted(c for c in candidates if c > now):
        if zone_open(campaign, zone_key, moment):
            return moment
    return None


# ---- the guard ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a lead may not be called now, and when to look at it again (None: never)."""

    reason: str  # do_not_call · window · number_cap
    retry_at: dt.datetime | None


def calls_to_number(session: Session, e164: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Calls placed to a number since `since`, in any campaign, and the earliest of them.

    An attempt counts when it reached the provider (it has a CallSid) or may still be reaching it (live);
    one that failed before the provider heard of it called nobody.
    """
    row = session.execute(
        sa.select(sa.func.count(), sa.func.min(CallAttempt.created_at)).where(
            CallAttempt.to_number == e164,
            CallAttempt.created_at > since,
            sa.or_(CallAttempt.call_sid.is_not(None), LIVE_ATTEMPT),
        )
    ).one()
    return int(row[0] or 0), row[1]


def refusal(session: Session, campaign: Campaign, lead: Lead, now: dt.datetime) -> Refusal | None:
    """Every rule, checked at dial time for one lead; None when the call may go ahead."""
    if lead.phone_e164 is None or dnc.is_listed(session, lead.phone_e164):
        return Refusal("do_not_call", None)
    if not zone_open(campaign, lead.timezone, now):
        return Refusal("window", next_opening(campaign, lead.timezone, now))
    # A callback the person asked for is their consent to that call: the per-number cap does not hold it back.
    if campaign.max_calls_per_number > 0 and lead.status != "callback":
        span = dt.timedelta(hours=campaign.number_cap_hours)
        count, earliest = calls_to_number(session, lead.phone_e164, now - span)
        if count >= campaign.max_calls_per_number:
            later = (earliest or now) + span + dt.timedelta(seconds=1)
            return Refusal("number_cap", next_opening(campaign, lead.timezone, later) or later)
    return None


# ---- retries --------------------------------------------------------------------------------------------


def retry_rule(campaign: Campaign, outcome: str) -> dict[str, Any] | None:
    """The delays and maximum for an outcome (campaign setting over the default); None: never retried."""
    outcome = RETRY_ALIASES.get(outcome, outcome)
    if outcome not in RETRY_OUTCOMES:
        return None
    own = (campaign.retry_policy or {}).get(outcome)
    return own if own is not None else DEFAULT_RETRIES[outcome]


def retry_delay(campaign: Campaign, outcome: str, times: int, attempts: int) -> dt.timedelta | None:
    """How long to wait before the next call after the `times`-th `outcome` (None: give up).

    `attempts` is every call the lead has had; the campaign's `max_attempts` bounds them all.
    """
    rule = retry_rule(campaign, outcome)
    if rule is None or attempts >= campaign.max_attempts or times >= int(rule.get("max", 0)):
        return None
    delays = rule.get("delays") or [0]
    return dt.timedelta(seconds=int(delays[min(times, len(delays)) - 1]))


def uniform_retries(delay_seconds: int, maximum: int) -> dict[str, dict[str, Any]]:
    """A retry policy with one delay and maximum for every outcome (tests, demos, transactional campaigns)."""
    return {outcome: {"delays": [delay_seconds], "max": maximum} for outcome in RETRY_OUTCOMES}


def check_retry_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """Validate a retry policy given by a person; raise a CallbotError naming the problem."""
    for outcome, rule in policy.items():
        if outcome not in RETRY_OUTCOMES:
            raise CallbotError(f"retry policy: unknown outcome {outcome!r} (one of {', '.join(RETRY_OUTCOMES)})")
        delays, maximum = rule.get("delays"), rule.get("max")
        if not isinstance(maximum, int) or not 0 <= maximum <= 10:
            raise CallbotError(f"retry policy for {outcome}: 'max' must be a whole number from 0 to 10")
        if not isinstance(delays, list) or not delays or not all(isinstance(d, int) and d >= 0 for d in delays):
            raise CallbotError(f"retry policy for {outcome}: 'delays' must be a list of seconds")
    return policy


# ---- description ------------------------------------------------------------------------------------------

WEEKDAY_NAMES = {"vi": "T2 T3 T4 T5 T6 T7 CN".split(), "en": "Mon Tue Wed Thu Fri Sat Sun".split()}


def rules(campaign: Campaign, language: str = "vi") -> list[tuple[str, str]]:
    """Every rule that applies to a campaign, as (rule, value) lines for the panel and the CLI."""
    names = WEEKDAY_NAMES.get(language, WEEKDAY_NAMES["en"])
    window = (
        "00:00–24:00"
        if campaign.window_start == campaign.window_end
        else f"{campaign.window_start:%H:%M}–{campaign.window_end:%H:%M}"
    )
    days = " ".join(names[int(d) - 1] for d in sorted(campaign.weekdays))
    cap = (
        f"{campaign.max_calls_per_number} / {campaign.number_cap_hours} h" if campaign.max_calls_per_number > 0 else "—"
    )
    holidays = ", ".join(filter(None, [campaign.holiday_country, *(campaign.extra_holidays or [])])) or "—"
    preset = PRESETS.get(campaign.rules_preset)
    return [
        ("preset", preset.description if preset else campaign.rules_preset),
        ("window", f"{window} ({campaign.timezone}; each lead in its own zone)"),
        ("weekdays", days),
        ("holidays", holidays),
        ("number_cap", cap),
        ("max_attempts", str(campaign.max_attempts)),
        ("concurrency", str(campaign.max_concurrent_calls)),
        ("calls_per_second", f"{campaign.calls_per_second:g}" if campaign.calls_per_second else "account"),
        ("auto_complete", "yes" if campaign.auto_complete is not False else "no (kept open for new leads)"),
    ]


def describe(campaign: Campaign) -> str:
    """A one-line human description of the rules that apply to a campaign."""
    preset = PRESETS.get(campaign.rules_preset)
    window = (
        "00:00–24:00"
        if campaign.window_start == campaign.window_end
        else f"{campaign.window_start:%H:%M}–{campaign.window_end:%H:%M}"
    )
    base = preset.description if preset else campaign.rules_preset
    return f"{base} · {window} {campaign.timezone}"
