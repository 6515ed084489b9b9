"""Every lead's segments (value tier, relationship group, lifecycle stage) and the learned model's reasons, kept in
`lead_segments` and recomputed by the nightly job or `callbot model segments`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from callbot.models import Base, CallAttempt, Lead, QueueItem
from scoring.features import parse_number
from scoring.segments import Activity, segment_all
from scoring.text import fold_text

# A lead file's column holding what the lead or customer is worth (folded header names); without one, the lead's
# score stands for its value.
VALUE_HEADERS = frozenset(
    {
        "value",
        "revenue",
        "amount",
        "budget",
        "deal value",
        "gia tri",
        "doanh thu",
        "ngan sach",
        "so tien",
        "gia tri don",
    }
)


class LeadSegment(Base):
    __tablename__ = "lead_segments"

    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    value: Mapped[float | None] = mapped_column(sa.Float)
    value_tier: Mapped[str] = mapped_column(sa.String(10))
    relationship: Mapped[str] = mapped_column(sa.String(20))
    lifecycle: Mapped[str] = mapped_column(sa.String(20))
    model_version_id: Mapped[int | None]
    model_probability: Mapped[float | None] = mapped_column(sa.Float)
    model_reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{"feature", "value", "effect"}]
    computed_at: Mapped[dt.datetime]

    @staticmethod
    def empty(lead: Lead, now: dt.datetime) -> LeadSegment:
        """A row for a lead not segmented yet (the next refresh fills the segments in)."""
        return LeadSegment(
            lead_id=lead.id,
            campaign_id=lead.campaign_id,
            value_tier="rest_80",
            relationship="low_value",
            lifecycle="prospect",
            model_reasons=[],
            computed_at=now,
        )


def lead_value(raw: dict[str, Any] | None, score: int) -> float:
    """The lead's value column when its file had one with a number, else its score."""
    for key, cell in (raw or {}).items():
        if fold_text(str(key)) in VALUE_HEADERS:
            number = parse_number(cell)
            if number is not None:
                return number
    return float(score)


def refresh(session: Session, now: dt.datetime, campaign_id: int | None = None) -> int:
    """Recompute the segments of every lead (per campaign: value tiers rank within a campaign). Returns leads."""
    last_call = (
        sa.select(CallAttempt.lead_id, sa.func.max(CallAttempt.created_at).label("at"))
        .group_by(CallAttempt.lead_id)
        .subquery()
    )
    query = (
        sa.select(
            Lead.id,
            Lead.campaign_id,
            Lead.raw,
            Lead.score,
            Lead.status,
            Lead.registered_at,
            Lead.created_at,
            last_call.c.at,
            QueueItem.disposed_at,
        )
        .outerjoin(last_call, last_call.c.lead_id == Lead.id)
        .outerjoin(QueueItem, QueueItem.lead_id == Lead.id)
        .order_by(Lead.campaign_id, Lead.id)
    )
    if campaign_id is not None:
        query = query.where(Lead.campaign_id == campaign_id)
    by_campaign: dict[int, list[Any]] = {}
    for row in session.execute(query):
        by_campaign.setdefault(row.campaign_id, []).append(row)
    existing = {s.lead_id: s for s in session.scalars(sa.select(LeadSegment).where(*_scope(campaign_id)))}
    total = 0
    for rows in by_campaign.values():
        values = [lead_value(r.raw, r.score) for r in rows]
        activities = [
            Activity(
                is_customer=r.status == "won",
                last_activity=max(t for t in (r.registered_at, r.created_at, r.at, r.disposed_at) if t is not None),
                score=r.score,
            )
            for r in rows
        ]
        for r, value, segments in zip(rows, values, segment_all(values, activities, now), strict=True):
            segment = existing.get(r.id)
            if segment is None:
                segment = LeadSegment(lead_id=r.id, campaign_id=r.campaign_id, model_reasons=[])
                session.add(segment)
            segment.value = value
            segment.value_tier = segments.value_tier
            segment.relationship = segments.relationship
            segment.lifecycle = segments.lifecycle
            segment.computed_at = now
        total += len(rows)
    session.flush()
    return total


def _scope(campaign_id: int | None) -> list[Any]:
    return [] if campaign_id is None else [LeadSegment.campaign_id == campaign_id]


SEGMENT_FILTERS = ("value_tier", "relationship", "lifecycle")


def filtered(query: Any, args: dict[str, str]) -> Any:
    """A select of leads narrowed to the segments asked for (?value_tier=&relationship=&lifecycle=); unknown or empty
    values are ignored."""
    from scoring.segments import LIFECYCLES, RELATIONSHIPS, VALUE_TIERS

    allowed = {"value_tier": VALUE_TIERS, "relationship": RELATIONSHIPS, "lifecycle": LIFECYCLES}
    wanted = {key: args.get(key) for key in SEGMENT_FILTERS if args.get(key) in allowed[key]}
    if not wanted:
        return query
    query = query.join(LeadSegment, LeadSegment.lead_id == Lead.id)
    for key, value in wanted.items():
        query = query.where(getattr(LeadSegment, key) == value)
    return query


# Ids are INTEGER columns: a number from a query string is bound to their range before it reaches the database, where
# a bigger one is an error (PostgreSQL: out of range; SQLite beyond 64 bits: OverflowError), not an empty page.
MIN_ID, MAX_ID = -(2**31), 2**31 - 1


def listing(session: Session, args: Any) -> dict[str, Any]:
    """The JSON API's page of leads: id, campaign, status, score, tier and segments, by id."""
    limit = max(1, min(500, _int(args.get("limit"), 100)))
    after = max(MIN_ID, min(MAX_ID, _int(args.get("after"), 0)))
    query = sa.select(Lead).order_by(Lead.id).where(Lead.id > after).limit(limit + 1)
    campaign = str(args.get("campaign", ""))
    if campaign.isdecimal():  # digits int() reads: not "-1", "1.5" or "²" (a digit to isdigit(), not to int())
        wanted = _int(campaign, MAX_ID + 1)  # more digits than int() takes: beyond every id too
        query = query.where(Lead.campaign_id == wanted if wanted <= MAX_ID else sa.false())
    leads = list(session.scalars(filtered(query, args)))
    segments = {
        s.lead_id: s
        for s in session.scalars(sa.select(LeadSegment).where(LeadSegment.lead_id.in_([lead.id for lead in leads])))
    }
    items = []
    for lead in leads[:limit]:
        segment = segments.get(lead.id)
        items.append(
            {
                "id": lead.id,
                "campaign": lead.campaign_id,
                "status": lead.status,
                "score": lead.score,
                "tier": lead.tier,
                "value_tier": segment.value_tier if segment else None,
                "relationship": segment.relationship if segment else None,
                "lifecycle": segment.lifecycle if segment else None,
                "model_reasons": segment.model_reasons if segment else [],
            }
        )
    return {"leads": items, "next_after": items[-1]["id"] if len(leads) > limit else None}


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
