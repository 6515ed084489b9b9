"""Segments: value tiers by rank, relationship groups, lifecycle stages (parametrised tables)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from scoring.segments import Activity, lifecycle_stage, relationship_group, segment_all, value_tiers

NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def test_tiers_are_one_four_fifteen_and_eighty_percent() -> None:
    tiers = value_tiers(list(range(1000)))
    assert Counter(tiers) == {"top_1": 10, "next_4": 40, "next_15": 150, "rest_80": 800}
    assert tiers[999] == "top_1" and tiers[0] == "rest_80"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0], ["top_1"]),
        ([3.0, 3.0, 1.0], ["top_1", "top_1", "rest_80"]),  # equal values share a tier
        ([None, 2.0], ["rest_80", "top_1"]),  # a missing value counts as the lowest
        ([], []),
    ],
)
def test_tier_edges(values: list[float | None], expected: list[str]) -> None:
    assert value_tiers(values) == expected


@pytest.mark.parametrize(
    ("customer", "days_ago", "stage"),
    [
        (False, 10, "prospect"),
        (True, 10, "current"),
        (True, 364, "current"),
        (True, 366, "inactive"),
        (False, 400, "inactive"),
        (False, None, "prospect"),
    ],
)
def test_lifecycle(customer: bool, days_ago: int | None, stage: str) -> None:
    last = None if days_ago is None else NOW - days_ago * DAY
    assert lifecycle_stage(Activity(customer, last), NOW) == stage


@pytest.mark.parametrize(
    ("customer", "days_ago", "tier", "score", "group"),
    [
        (True, 30, "rest_80", 10, "loyal"),
        (True, 200, "top_1", 90, "at_risk"),
        (False, 5, "next_15", 10, "high_potential"),
        (False, 5, "rest_80", 75, "high_potential"),
        (False, 5, "rest_80", 69, "low_value"),
    ],
)
def test_relationship(customer: bool, days_ago: int, tier: str, score: int, group: str) -> None:
    assert relationship_group(Activity(customer, NOW - days_ago * DAY, score), tier, NOW) == group


def test_segment_all_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        segment_all([1.0], [Activity(False, None)], NOW.replace(tzinfo=None))
    assert segment_all([1.0], [Activity(False, None)], NOW)[0].lifecycle == "prospect"
