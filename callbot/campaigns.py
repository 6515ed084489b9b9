"""Campaigns: creation, lifecycle and the funnel that tells how one went."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import compliance
from callbot.errors import CallbotError, InvalidTransition
from callbot.models import READY, WAITING, CallAttempt, Campaign, Lead, QueueItem

LIFECYCLE = {
    "draft": {"scheduled", "running"},
    "scheduled": {"running", "draft", "paused", "scheduled"},
    "running": {"paused", "completed"},
    "paused": {"running", "completed", "scheduled"},
    "completed": set(),
}


def create_campaign(session: Session, name: str, now: dt.datetime, *, preset: str = "vn", **fields: object) -> Campaign:
    """Create a draft campaign with the calling rules of a preset (vn · us · permissive)."""
    if session.scalar(sa.select(Campaign.id).where(Campaign.name == name)) is not None:
        raise CallbotError(f"a campaign named {name!r} exists already")
    if preset not in compliance.PRESETS:
        raise CallbotError(f"unknown rules preset {preset!r} (one of {', '.join(compliance.PRESETS)})")
    campaign = Campaign(name=name, created_at=now)
    compliance.apply_preset(campaign, preset)
    for key, value in fields.items():  # explicit settings win over the preset's
        setattr(campaign, key, value)
    if campaign.retry_policy:
        compliance.check_retry_policy(campaign.retry_policy)
    session.add(campaign)
    session.flush()
    return campaign


def by_name(session: Session, name: str) -> Campaign | None:
    """The campaign with this name, if any."""
    return session.scalar(sa.select(Campaign).where(Campaign.name == name))


def change_status(campaign: Campaign, status: str, now: dt.datetime, *, starts_at: dt.datetime | None = None) -> None:
    """Move a campaign along its lifecycle (draft → scheduled → running ⇄ paused → completed)."""
    if status not in LIFECYCLE.get(campaign.status, set()):
        raise InvalidTransition(f"campaign {campaign.name}: {campaign.status} -> {status} is not allowed")
    if status == "scheduled":
        if starts_at is None:
            raise InvalidTransition("a scheduled campaign needs a start time")
        campaign.starts_at = starts_at
    if status == "running" and campaign.starts_at is None:
        campaign.starts_at = now
    if status == "completed":
        campaign.completed_at = now
    if status in ("running", "completed"):
        campaign.status_note = None
    campaign.status = status


@dataclass(frozen=True)
class Funnel:
    """How many leads reached each stage of a campaign."""

    imported: int
    junk: int
    duplicate: int
    blocked: int
    callable: int
    called: int
    answered: int
    identity_confirmed: int
    interested: int
    queued: int
    calls: int

    def stages(self) -> list[tuple[str, int]]:
        """The main funnel stages in order, as (key, count)."""
        return [
            ("imported", self.imported),
            ("rejected", self.junk + self.duplicate + self.blocked),
            ("called", self.called),
            ("answered", self.answered),
            ("identity_confirmed", self.identity_confirmed),
            ("interested", self.interested),
            ("queued", self.queued),
        ]


def funnel(session: Session, campaign_id: int) -> Funnel:
    """Count the campaign's leads at every stage (a lead counts once per stage, whatever its attempts)."""
    by_verdict = dict(
        session.execute(
            sa.select(Lead.verdict, sa.func.count()).where(Lead.campaign_id == campaign_id).group_by(Lead.verdict)
        ).all()
    )

    def leads_with(*conditions: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count(sa.distinct(CallAttempt.lead_id))).where(
            CallAttempt.campaign_id == campaign_id, *conditions
        )
        return int(session.scalar(query) or 0)

    return Funnel(
        imported=sum(by_verdict.values()),
        junk=by_verdict.get("junk", 0),
        duplicate=by_verdict.get("duplicate", 0),
        blocked=by_verdict.get("blocked", 0),
        callable=by_verdict.get("ok", 0) + by_verdict.get("suspect", 0),
        called=leads_with(CallAttempt.call_sid.is_not(None)),
        answered=leads_with(
            CallAttempt.answered_at.is_not(None),
            sa.or_(CallAttempt.answered_by.is_(None), ~CallAttempt.answered_by.like("machine%")),
        ),
        identity_confirmed=leads_with(CallAttempt.identity_confirmed.is_(True)),
        interested=leads_with(CallAttempt.outcome == "interested"),
        queued=int(session.scalar(sa.select(sa.func.count()).where(QueueItem.campaign_id == campaign_id)) or 0),
        calls=int(
            session.scalar(
                sa.select(sa.func.count()).where(
                    CallAttempt.campaign_id == campaign_id, CallAttempt.call_sid.is_not(None)
                )
            )
            or 0
        ),
    )


def status_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """How many leads of the campaign are in each status."""
    rows = session.execute(
        sa.select(Lead.status, sa.func.count()).where(Lead.campaign_id == campaign_id).group_by(Lead.status)
    ).all()
    return {status: count for status, count in rows}


def pending_now(
    session: Session, campaign_id: int, now: dt.datetime, horizon: dt.timedelta = dt.timedelta(minutes=5)
) -> int:
    """Live calls plus leads due within `horizon`: zero means the campaign has nothing left to do for now."""
    live = sa.select(sa.func.count()).where(CallAttempt.campaign_id == campaign_id, CallAttempt.live)
    due = sa.select(sa.func.count()).where(
        Lead.campaign_id == campaign_id,
        sa.or_(
            Lead.status == "dialing",
            sa.and_(
                Lead.status.in_(("callable", "callback")),
                sa.or_(Lead.next_attempt_at.is_(None), Lead.next_attempt_at <= now + horizon),
            ),
        ),
    )
    return int(session.scalar(live) or 0) + int(session.scalar(due) or 0)


# Statuses in which a lead needs nothing more from the dialer.
DONE_STATUSES = ("queued", "follow_up", "won", "not_interested", "wrong_number", "opted_out", "unreachable")


@dataclass(frozen=True)
class Progress:
    """Where a campaign's callable leads stand right now, and why those that wait are waiting."""

    status: str
    called: int  # leads with at least one call
    live: int  # calls in progress
    due_now: int  # may be dialled now (window open)
    waiting_window: int  # due, but their calling window (hours, weekday, holiday) is closed
    retries_due: int  # waiting for a retry time
    callbacks: int  # waiting for the time the person asked for
    capped: int  # waiting for the per-number cap (a call to the number in the last 24 h)
    done: int  # nothing more to dial
    rejected: int  # junk, duplicates, blocked at intake
    next_opening: dt.datetime | None  # when the closed window opens again (the campaign's zone)
    reasons: dict[str, int]  # every wait reason with its count

    def as_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["next_opening"] = self.next_opening.isoformat() if self.next_opening else None
        return data


def progress(session: Session, campaign: Campaign, now: dt.datetime) -> Progress:
    """Count a campaign's leads by what the dialer can do with them now (grouped queries, no row loads)."""
    statuses = status_counts(session, campaign.id)
    ready_by_zone = dict(
        session.execute(
            sa.select(Lead.timezone, sa.func.count())
            .where(Lead.campaign_id == campaign.id, sa.text(READY))
            .group_by(Lead.timezone)
        ).all()
    )
    due = sum(n for zone, n in ready_by_zone.items() if compliance.zone_open(campaign, zone, now))
    waiting = dict(
        session.execute(
            sa.select(Lead.wait_reason, sa.func.count())
            .where(Lead.campaign_id == campaign.id, sa.text(WAITING))
            .group_by(Lead.wait_reason)
        ).all()
    )
    live = session.scalar(
        sa.select(sa.func.count()).where(CallAttempt.campaign_id == campaign.id, CallAttempt.live.is_(True))
    )
    called = session.scalar(sa.select(sa.func.count()).where(Lead.campaign_id == campaign.id, Lead.attempts > 0))
    closed = sum(ready_by_zone.values()) - due
    reasons = {str(reason or "retry"): n for reason, n in waiting.items()}
    if closed:
        reasons["window"] = reasons.get("window", 0) + closed
    return Progress(
        status=campaign.status,
        called=int(called or 0),
        live=int(live or 0),
        due_now=due,
        waiting_window=closed + waiting.get("window", 0),
        retries_due=waiting.get("retry", 0) + waiting.get(None, 0),
        callbacks=waiting.get("callback", 0),
        capped=waiting.get("number_cap", 0),
        done=sum(statuses.get(s, 0) for s in DONE_STATUSES),
        rejected=statuses.get("rejected", 0),
        next_opening=None if due else compliance.next_opening(campaign, None, now),
        reasons=reasons,
    )


def schedule(campaign: Campaign, starts_at: dt.datetime, now: dt.datetime) -> None:
    """Schedule a draft (or paused, not yet started) campaign to start at `starts_at`; the dialer starts it then."""
    if starts_at.tzinfo is None:
        raise CallbotError("a start time needs its time zone")
    change_status(campaign, "scheduled", now, starts_at=starts_at)
    campaign.status_note = None
