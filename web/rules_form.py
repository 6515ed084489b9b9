"""The calling-rules form of a campaign: read, checked field by field, into the Campaign attributes it sets.

Kept apart from the views so each rule's check is a small function; the retry policy goes through
`compliance.check_retry_policy`, the one check the CLI and the API share.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import holidays as holiday_calendars

from callbot import compliance
from callbot.errors import CallbotError
from callbot.models import Campaign

# The rule attributes the form sets, in the order the audit log lists changes.
FIELDS = (
    "timezone",
    "window_start",
    "window_end",
    "weekdays",
    "holiday_country",
    "extra_holidays",
    "max_calls_per_number",
    "number_cap_hours",
    "max_attempts",
    "retry_policy",
    "calls_per_second",
    "max_concurrent_calls",
)


def read(form: Any) -> dict[str, Any]:
    """Every rule of the form (request.form), checked; raise a CallbotError naming the first field that is wrong."""
    return {
        "timezone": _zone(form.get("timezone", "")),
        "window_start": _clock(form.get("window_start", ""), "window_start"),
        "window_end": _clock(form.get("window_end", ""), "window_end"),
        "weekdays": _weekdays(form.getlist("weekdays")),
        "holiday_country": _country(form.get("holiday_country", "")),
        "extra_holidays": _days(form.get("extra_holidays", "")),
        "max_calls_per_number": _whole(form.get("max_calls_per_number", ""), "max_calls_per_number", 0, 10),
        "number_cap_hours": _whole(form.get("number_cap_hours", ""), "number_cap_hours", 1, 168),
        "max_attempts": _whole(form.get("max_attempts", ""), "max_attempts", 1, 10),
        "retry_policy": _retries(form),
        "calls_per_second": _pace(form.get("calls_per_second", "")),
        "max_concurrent_calls": _whole(form.get("max_concurrent_calls", ""), "max_concurrent_calls", 1, 500),
    }


def changes(campaign: Campaign, values: dict[str, Any]) -> dict[str, list[str]]:
    """The rules that differ from the campaign's, as {field: [before, after]} text for the audit log."""
    found = {}
    for key in FIELDS:
        before, after = getattr(campaign, key), values[key]
        if before != after:
            found[key] = [_text(before), _text(after)]
    return found


def retry_rows(campaign: Campaign) -> list[tuple[str, str, int, bool]]:
    """Per retried outcome: (outcome, delays in minutes as text, max, whether the campaign overrides the default)."""
    rows = []
    for outcome in compliance.RETRY_OUTCOMES:
        own = (campaign.retry_policy or {}).get(outcome)
        rule = own if own is not None else compliance.DEFAULT_RETRIES[outcome]
        minutes = ", ".join(f"{int(d) / 60:g}" for d in rule["delays"])
        rows.append((outcome, minutes, int(rule["max"]), own is not None))
    return rows


def _text(value: object) -> str:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return "" if value is None else str(value)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(raw: str) -> str:
    name = raw.strip()
    if name not in _zones():
        raise CallbotError(f"timezone: unknown time zone {name[:64]!r}")
    return name


def _clock(raw: str, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(raw.strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise CallbotError(f"{field}: not a time of day (HH:MM)") from None


def _weekdays(raw: list[str]) -> str:
    days = sorted({day for day in raw if day in "1234567" and len(day) == 1})
    if not days:
        raise CallbotError("weekdays: choose at least one day")
    return "".join(days)


def _country(raw: str) -> str | None:
    code = raw.strip().upper()
    if not code:
        return None
    if code not in holiday_calendars.list_supported_countries():
        raise CallbotError(f"holiday_country: no public-holiday calendar for {code[:8]!r}")
    return code


def _days(raw: str) -> list[str]:
    days = []
    for token in re.split(r"[\s,;]+", raw.strip()):
        if not token:
            continue
        try:
            days.append(dt.date.fromisoformat(token).isoformat())
        except ValueError:
            raise CallbotError(f"extra_holidays: {token[:20]!r} is not a date (YYYY-MM-DD)") from None
    return sorted(set(days))


def _whole(raw: str, field: str, low: int, high: int) -> int:
    text = raw.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise CallbotError(f"{field}: a whole number from {low} to {high}")
    return int(text)


def _pace(raw: str) -> float | None:
    text = raw.strip().replace(",", ".")
    if not text:
        return None  # the account's pace
    try:
        pace = float(text)
    except ValueError:
        pace = -1.0
    if not 0 < pace <= 100:
        raise CallbotError("calls_per_second: a number above 0 and at most 100, or empty for the account's")
    return pace


def _retries(form: Any) -> dict[str, Any]:
    """The retry policy: an outcome whose fields match the default is left out, so later default changes apply."""
    policy: dict[str, Any] = {}
    for outcome in compliance.RETRY_OUTCOMES:
        delays_text = form.get(f"retry_{outcome}_delays", "").strip()
        max_text = form.get(f"retry_{outcome}_max", "").strip()
        if not delays_text and not max_text:
            continue
        try:
            delays = [round(float(minutes) * 60) for minutes in re.split(r"[\s,;]+", delays_text) if minutes]
        except (ValueError, OverflowError):
            raise CallbotError(f"retry policy for {outcome}: delays are minutes, e.g. 30, 120, 1440") from None
        rule = {"delays": delays, "max": int(max_text) if max_text.isdigit() else -1}
        if rule != compliance.DEFAULT_RETRIES[outcome]:
            policy[outcome] = rule
    return compliance.check_retry_policy(policy)
