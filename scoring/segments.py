"""Segments of leads and customers: value tier, relationship group, lifecycle stage (definitions in
docs/architecture.md, "Ranking and segments")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

# Value tiers by rank: the top 1 %, the next 4 %, the next 15 %, the remaining 80 %.
VALUE_TIERS = ("top_1", "next_4", "next_15", "rest_80")
_TIER_BOUNDS = ((0.01, "top_1"), (0.05, "next_4"), (0.20, "next_15"))
RELATIONSHIPS = ("loyal", "high_potential", "low_value", "at_risk")
LIFECYCLES = ("prospect", "current", "inactive")
INACTIVE_AFTER = dt.timedelta(days=365)
AT_RISK_AFTER = dt.timedelta(days=180)
HIGH_POTENTIAL_SCORE = 70  # the hot tier of the rule score

TEXTS: dict[str, tuple[str, str]] = {
    "top_1": ("Top 1 %", "Top 1 %"),
    "next_4": ("4 % tiếp theo", "Next 4 %"),
    "next_15": ("15 % tiếp theo", "Next 15 %"),
    "rest_80": ("80 % còn lại", "Remaining 80 %"),
    "loyal": ("Trung thành", "Loyal"),
    "high_potential": ("Tiềm năng cao", "High potential"),
    "low_value": ("Giá trị thấp", "Low value"),
    "at_risk": ("Có nguy cơ rời bỏ", "At risk"),
    "prospect": ("Khách tiềm năng", "Prospect"),
    "current": ("Khách hàng hiện tại", "Current customer"),
    "inactive": ("Không hoạt động 1 năm", "Inactive for a year"),
}


def value_tiers(values: Sequence[float | None]) -> list[str]:
    """Each value's tier by its rank among all: the share of values strictly greater decides it, so equal values
    share a tier and the highest value is always in the top 1 %. A missing value counts as the lowest."""
    n = len(values)
    keyed = [float("-inf") if v is None else float(v) for v in values]
    order = sorted(range(n), key=lambda i: -keyed[i])
    tiers = [""] * n
    above = 0
    for position, i in enumerate(order):
        if position and keyed[i] < keyed[order[position - 1]]:
            above = position
        share = above / n
        tiers[i] = next((name for bound, name in _TIER_BOUNDS if share < bound), "rest_80")
    return tiers


@dataclass(frozen=True)
class Activity:
    """What segments are computed from, per lead."""

    is_customer: bool  # a telesales "won"
    last_activity: dt.datetime | None  # the latest of registration, call, disposition
    score: int = 0


def lifecycle_stage(activity: Activity, now: dt.datetime) -> str:
    """ "inactive" with no activity for a year; else "current" for a customer, "prospect" for anyone else."""
    if activity.last_activity is not None and now - activity.last_activity > INACTIVE_AFTER:
        return "inactive"
    return "current" if activity.is_customer else "prospect"


def relationship_group(activity: Activity, value_tier: str, now: dt.datetime) -> str:
    """loyal: a customer active within 180 days; at_risk: a customer silent for longer; high_potential: not a
    customer but in the top 20 % by value or hot by score; low_value: everyone else."""
    silent = activity.last_activity is None or now - activity.last_activity > AT_RISK_AFTER
    if activity.is_customer:
        return "at_risk" if silent else "loyal"
    if value_tier != "rest_80" or activity.score >= HIGH_POTENTIAL_SCORE:
        return "high_potential"
    return "low_value"


@dataclass(frozen=True)
class Segments:
    value_tier: str
    relationship: str
    lifecycle: str


def segment_all(values: Sequence[float | None], activities: Sequence[Activity], now: dt.datetime) -> list[Segments]:
    """The three segments of every lead of one population (value tiers are ranks within it)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tiers = value_tiers(values)
    return [
        Segments(tier, relationship_group(activity, tier, now), lifecycle_stage(activity, now))
        for tier, activity in zip(tiers, activities, strict=True)
    ]
