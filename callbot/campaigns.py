"""Campaigns: creation, lifecycle and the funnel that tells how one went."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import compliance
from callbot.errors import CallbotError, InvalidTransition
from callbot.models import CallAttempt, Campaign, Lead, QueueItem

LIFECYCLE = {
    "draft": {"scheduled", "running"},
    "scheduled": {"running", "draft", "paused"},
    "running": {"paused", "completed"},
    "paused": {"running", "completed"},
    "completed": set(),
}


def create_campaign(session: Session, name: str, now: dt.datetime, *, preset: str = "vn", **fields: object) -> Campaign:
    """Create a draft campaign with the calling rules of a preset (vn · us · permissive)."""
    if session.scalar(sa.select(Campaign.id).where(Campaign.name == name)) is not None:
        raise CallbotError(f"a campaign named {name!r} exists already")
    if preset not in compliance.PRESETS:
        raise CallbotError(f"unknown rules preset {preset!r} (one of {', '.join(compliance.PRESETS)})")
    campaign = Campaign(name=name, created_at=now, **fields)
    compliance.apply_preset(campaign, preset)
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
