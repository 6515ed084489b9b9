"""Calling rules: presets per country and the calling-window check every call passes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from callbot.models import Campaign


@dataclass(frozen=True)
class Preset:
    """A named set of calling rules and where they come from."""

    name: str
    window_start: dt.time
    window_end: dt.time
    timezone: str
    description: str


# A window whose start equals its end is open all day.
PRESETS = {
    "vn": Preset(
        "vn",
        dt.time(8),
        dt.time(17),
        "Asia/Ho_Chi_Minh",
        "Việt Nam, Nghị định 91/2020/NĐ-CP: 08:00–17:00 giờ địa phương, tối đa 1 cuộc/24 giờ",
    ),
    "us": Preset(
        "us",
        dt.time(8),
        dt.time(21),
        "America/New_York",
        "United States, TCPA 47 CFR 64.1200: 08:00–21:00 at the called party's location",
    ),
    "permissive": Preset(
        "permissive",
        dt.time(0),
        dt.time(0),
        "Asia/Ho_Chi_Minh",
        "Giao dịch/thử nghiệm: gọi mọi giờ (không dùng cho cuộc gọi quảng cáo)",
    ),
}


def apply_preset(campaign: Campaign, name: str) -> None:
    """Set a campaign's calling window and time zone from a preset."""
    preset = PRESETS[name]
    campaign.rules_preset = preset.name
    campaign.window_start = preset.window_start
    campaign.window_end = preset.window_end
    campaign.timezone = preset.timezone


def window_open(campaign: Campaign, now: dt.datetime) -> bool:
    """Whether `now` falls inside the campaign's calling window, in the campaign's time zone."""
    start, end = campaign.window_start, campaign.window_end
    if start == end:
        return True
    local = now.astimezone(ZoneInfo(campaign.timezone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window that crosses midnight


def describe(campaign: Campaign) -> str:
    """A one-line human description of the rules that apply to a campaign."""
    preset = PRESETS.get(campaign.rules_preset)
    if campaign.window_start == campaign.window_end:
        window = "00:00–24:00"
    else:
        window = f"{campaign.window_start:%H:%M}–{campaign.window_end:%H:%M}"
    base = preset.description if preset else campaign.rules_preset
    return f"{base} · {window} {campaign.timezone}"
