"""The calls and leads lists' filters: read from the query string, applied as SQL (no rows loaded to filter)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot.lead_segments import SEGMENT_FILTERS, filtered
from callbot.models import CallAttempt, Campaign, Lead, QueueItem, User
from scoring import normalize_phone

# Query-string filters of the calls and leads lists; their values are kept on every page link.
FILTERS = ("campaign", "outcome", "status", "verdict", "from", "to", "agent", "q", *SEGMENT_FILTERS)
LEAD_STATUSES = (
    "new",
    "callable",
    "dialing",
    "callback",
    "queued",
    "follow_up",
    "won",
    "not_interested",
    "wrong_number",
    "opted_out",
    "unreachable",
    "rejected",
)
VERDICTS = ("ok", "suspect", "junk", "duplicate", "blocked")


def filters_from(args: Mapping[str, str]) -> dict[str, str]:
    """The list filters given in a query string (trimmed, bounded, empty ones dropped)."""
    found = {key: (args.get(key) or "").strip()[:100] for key in FILTERS}
    return {key: value for key, value in found.items() if value}


def day_range(filters: dict[str, str], zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The from/to dates (inclusive, in `zone`) as a half-open range of aware datetimes; bad dates are ignored."""
    bounds: list[dt.datetime | None] = []
    for key, extra in (("from", 0), ("to", 1)):
        try:
            day = dt.date.fromisoformat(filters.get(key, ""))
        except ValueError:
            bounds.append(None)
        else:
            bounds.append(dt.datetime.combine(day + dt.timedelta(days=extra), dt.time(), zone))
    return bounds[0], bounds[1]


def narrow(
    query: sa.Select[Any], filters: dict[str, str], table: type[CallAttempt | Lead], zone: ZoneInfo
) -> sa.Select[Any]:
    """Campaign, date range, agent and search, applied alike to the calls list and the leads list (`table`)."""
    if filters.get("campaign", "").isdigit():
        query = query.where(table.campaign_id == int(filters["campaign"]))
    start, end = day_range(filters, zone)
    if start is not None:
        query = query.where(table.created_at >= start)
    if end is not None:
        query = query.where(table.created_at < end)
    if filters.get("agent", "").isdigit():
        agent = int(filters["agent"])
        held = Lead.id.in_(sa.select(QueueItem.lead_id).where(QueueItem.claimed_by_id == agent))
        # A call counts as the agent's when they work its lead or the call was put through to them.
        query = query.where(sa.or_(held, CallAttempt.transfer_to_id == agent) if table is CallAttempt else held)
    if filters.get("q"):
        query = query.where(search(filters["q"]))
    if table is Lead:
        query = filtered(query, filters)  # value tier, relationship group, lifecycle stage (issue 7)
    return query


def search(text: str) -> sa.ColumnElement[bool]:
    """A number typed in any form matches its normalised E.164 (indexed); anything else searches names."""
    check = normalize_phone(text)
    if check.e164:
        return Lead.phone_e164 == check.e164
    return sa.or_(Lead.name.icontains(text, autoescape=True), Lead.phone_raw == text)


def choices(session: Session) -> dict[str, Any]:
    """What the filter form offers: campaigns and telesales agents, by id."""
    return {
        "campaign_names": dict(session.execute(sa.select(Campaign.id, Campaign.name).order_by(Campaign.name)).all()),
        "agents": dict(
            session.execute(sa.select(User.id, User.name).where(User.role == "telesales").order_by(User.name)).all()
        ),
    }
