"""The telesales queue: qualified leads in, agents claim the best one atomically under a lease, then dispose.

An item is open (`disposition` NULL: in the queue, or held until its lease ends) or disposed. A `follow_up` is
disposed until its time; then "next lead" offers it to the agent who set it, and after a grace period to anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from callbot import dnc
from callbot import leads as lead_service
from callbot.errors import InvalidTransition, NotFound
from callbot.models import Lead, QueueItem, User

LEASE = dt.timedelta(minutes=15)
# A due follow-up waits this long for the agent who set it before anyone may take it (CALLBOT_FOLLOW_UP_GRACE_SECONDS).
FOLLOW_UP_GRACE = dt.timedelta(minutes=30)
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


def claim_next(
    session: Session,
    user_id: int,
    now: dt.datetime,
    lease: dt.timedelta = LEASE,
    grace: dt.timedelta = FOLLOW_UP_GRACE,
) -> QueueItem | None:
    """The agent's next lead: the one they hold, else a due follow-up (theirs first), else the best open item.

    The claim is one `UPDATE … WHERE id = COALESCE((SELECT … FOR UPDATE SKIP LOCKED), …) RETURNING`, so no two
    agents get the same item (SQLite serialises writers instead); the lead already held is found by the same
    statement (its lease renewed, its claim time kept): one round trip to the database per claim.
    """
    holding = sa.and_(
        QueueItem.claimed_by_id == user_id, QueueItem.disposition.is_(None), QueueItem.lease_expires_at > now
    )
    held = sa.select(QueueItem.id).where(holding).order_by(QueueItem.id).limit(1).scalar_subquery()
    # PostgreSQL evaluates each subquery only when those before it found nothing (init plans run on first use).
    pick = sa.func.coalesce(held, _due_follow_up(user_id, now, grace), _best_open(now))
    return session.scalar(
        sa.update(QueueItem)
        .where(QueueItem.id == pick)
        .values(
            claimed_by_id=user_id,
            claimed_at=sa.case((holding, QueueItem.claimed_at), else_=sa.literal(now, QueueItem.claimed_at.type)),
            lease_expires_at=now + lease,
            disposition=None,
        )
        .returning(QueueItem)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


def _due_follow_up(user_id: int, now: dt.datetime, grace: dt.timedelta) -> sa.ScalarSelect[int]:
    """The follow-up to offer: due and set by this agent, or overdue past the grace period (the agent's first)."""
    mine = QueueItem.claimed_by_id == user_id
    return (
        sa.select(QueueItem.id)
        .where(
            QueueItem.disposition == "follow_up",
            QueueItem.follow_up_at <= now,
            sa.or_(mine, QueueItem.follow_up_at <= now - grace),
        )
        .order_by(sa.case((mine, 0), else_=1), QueueItem.follow_up_at, QueueItem.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )


def _best_open(now: dt.datetime) -> sa.ScalarSelect[int]:
    """The best open item nobody holds: highest score, then the freshest (ix_queue_items_open read backwards)."""
    return (
        sa.select(QueueItem.id)
        .where(
            QueueItem.disposition.is_(None),
            sa.or_(QueueItem.claimed_by_id.is_(None), QueueItem.lease_expires_at <= now),
        )
        .order_by(QueueItem.score.desc(), QueueItem.enqueued_at.desc(), QueueItem.id.desc())
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )


def renew(
    session: Session, item_id: int, user_id: int, now: dt.datetime, lease: dt.timedelta = LEASE
) -> QueueItem | None:
    """Extend the lease of the lead an agent has open; None when it is no longer theirs to keep.

    Renewed: the agent's unexpired lease, or one expired less than a lease ago that nobody has claimed since (a
    laptop waking up) unless the agent holds another lead by now (one lead at a time).
    """
    other_held = (
        sa.select(QueueItem.id)
        .where(
            QueueItem.claimed_by_id == user_id,
            QueueItem.disposition.is_(None),
            QueueItem.lease_expires_at > now,
            QueueItem.id != item_id,
        )
        .exists()
    )
    renewed = session.scalar(
        sa.update(QueueItem)
        .where(
            QueueItem.id == item_id,
            QueueItem.claimed_by_id == user_id,
            QueueItem.disposition.is_(None),
            QueueItem.lease_expires_at > now - lease,
            ~other_held,
        )
        .values(lease_expires_at=now + lease)
        .returning(QueueItem)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return renewed


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
    # The lead comes in the same query (its status follows the disposition); only the item's row is locked.
    item = session.get(
        QueueItem,
        item_id,
        with_for_update={"of": QueueItem},
        options=[joinedload(QueueItem.lead, innerjoin=True)],
    )
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
    agent = session.get(User, user_id)
    entry = {
        "at": now.isoformat(),
        "by": user_id,
        "by_name": agent.name if agent else None,
        "disposition": disposition,
        "note": item.note,
        "follow_up_at": follow_up_at.isoformat() if follow_up_at else None,
    }
    item.history = [*(item.history or []), entry]  # a new list: the JSON column sees the change
    lead = item.lead
    lead_service.set_status(lead, DISPOSITIONS[disposition], now)
    if disposition == "do_not_call" and lead.phone_e164:
        dnc.add(session, lead.phone_e164, "agent", now)
    return item


@dataclass
class AgentDay:
    """An agent's day so far: leads claimed, leads disposed (done), won among them, callbacks due by its end."""

    claimed: int
    done: int
    won: int
    callbacks: list[QueueItem] = field(default_factory=list)
    later_callbacks: int = 0

    @property
    def conversion(self) -> float | None:
        """Won / done; None before anything is done (no 0 % to discourage anyone at 8 in the morning)."""
        return self.won / self.done if self.done else None


def local_day(now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (UTC) of the deployment's calendar day that contains `now`."""
    tz = ZoneInfo(timezone)
    start = dt.datetime.combine(now.astimezone(tz).date(), dt.time(), tzinfo=tz)
    end = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def agent_day(session: Session, user_id: int, now: dt.datetime, timezone: str) -> AgentDay:
    """What an agent did today in the deployment's time zone, and the follow-ups they owe by its end."""
    start, end = local_day(now, timezone)
    today_claimed = sa.and_(QueueItem.claimed_at >= start, QueueItem.claimed_at < end)
    today_done = sa.and_(QueueItem.disposed_at >= start, QueueItem.disposed_at < end)
    claimed, done, won = session.execute(
        sa.select(
            sa.func.count(sa.case((today_claimed, 1))),
            sa.func.count(sa.case((today_done, 1))),
            sa.func.count(sa.case((sa.and_(today_done, QueueItem.disposition == "won"), 1))),
        ).where(QueueItem.claimed_by_id == user_id)
    ).one()
    pending = sa.and_(QueueItem.claimed_by_id == user_id, QueueItem.disposition == "follow_up")
    callbacks = list(
        session.scalars(
            sa.select(QueueItem).where(pending, QueueItem.follow_up_at < end).order_by(QueueItem.follow_up_at)
        )
    )
    later = session.scalar(sa.select(sa.func.count()).where(pending, QueueItem.follow_up_at >= end)) or 0
    return AgentDay(claimed, done, won, callbacks, later)
