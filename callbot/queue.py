"""The telesales queue: qualified leads in, agents claim the best one atomically under a lease, then dispose."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import dnc
from callbot import leads as lead_service
from callbot.errors import InvalidTransition, NotFound
from callbot.models import Lead, QueueItem

LEASE = dt.timedelta(minutes=15)
# Disposition -> the lead status it leads to.
DISPOSITIONS = {
    "won": "won",
    "follow_up": "follow_up",
    "not_interested": "not_interested",
    "unreachable": "unreachable",
    "wrong_number": "wrong_number",
    "do_not_call": "opted_out",
}


def enqueue(session: Session, lead: Lead, now: dt.datetime) -> QueueItem:
    """Put a qualified lead in the queue (once: a lead has at most one queue item)."""
    item = session.scalar(sa.select(QueueItem).where(QueueItem.lead_id == lead.id))
    if item is None:
        item = QueueItem(lead_id=lead.id, campaign_id=lead.campaign_id, score=lead.score, enqueued_at=now)
        session.add(item)
    else:
        item.score = lead.score
    session.flush()
    return item


def held_by(session: Session, user_id: int, now: dt.datetime) -> QueueItem | None:
    """The item this agent currently holds under an unexpired lease, if any."""
    return session.scalar(
        sa.select(QueueItem).where(
            QueueItem.claimed_by_id == user_id,
            QueueItem.disposition.is_(None),
            QueueItem.lease_expires_at > now,
        )
    )


def hand_to(session: Session, lead_id: int, user_id: int, now: dt.datetime, lease: dt.timedelta = LEASE) -> None:
    """A live transfer put the lead through to this agent: the lead's queue item is theirs now."""
    session.execute(
        sa.update(QueueItem)
        .where(QueueItem.lead_id == lead_id, QueueItem.disposition.is_(None))
        .values(claimed_by_id=user_id, claimed_at=now, lease_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )


def claim_next(session: Session, user_id: int, now: dt.datetime, lease: dt.timedelta = LEASE) -> QueueItem | None:
    """Claim the best open item (score, then freshest) for an agent; one statement, so no two agents get it."""
    current = held_by(session, user_id, now)
    if current is not None:
        current.lease_expires_at = now + lease
        return current
    best = (
        sa.select(QueueItem.id)
        .where(
            QueueItem.disposition.is_(None),
            sa.or_(QueueItem.claimed_by_id.is_(None), QueueItem.lease_expires_at <= now),
        )
        .order_by(QueueItem.score.desc(), QueueItem.enqueued_at.desc(), QueueItem.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed_id = session.scalar(
        sa.update(QueueItem)
        .where(QueueItem.id == best)
        .values(claimed_by_id=user_id, claimed_at=now, lease_expires_at=now + lease)
        .returning(QueueItem.id)
        .execution_options(synchronize_session=False)
    )
    if claimed_id is None:
        return None
    item = session.get(QueueItem, claimed_id, populate_existing=True)
    return item


def dispose(
    session: Session,
    item_id: int,
    user_id: int,
    disposition: str,
    now: dt.datetime,
    *,
    note: str | None = None,
    follow_up_at: dt.datetime | None = None,
) -> QueueItem:
    """Record an agent's disposition on the item they hold; the lead's status follows."""
    if disposition not in DISPOSITIONS:
        raise InvalidTransition(f"unknown disposition {disposition!r}")
    item = session.get(QueueItem, item_id, with_for_update=True)
    if item is None:
        raise NotFound(f"queue item {item_id}")
    if item.claimed_by_id != user_id or item.disposition is not None:
        raise InvalidTransition("this lead is not held by you")
    if disposition == "follow_up" and follow_up_at is None:
        raise InvalidTransition("a follow-up needs a time")
    item.disposition = disposition
    item.note = (note or "").strip() or None
    item.follow_up_at = follow_up_at
    item.disposed_at = now
    lead = item.lead
    lead_service.set_status(lead, DISPOSITIONS[disposition], now)
    if disposition == "do_not_call" and lead.phone_e164:
        dnc.add(session, lead.phone_e164, "agent", now)
    return item
