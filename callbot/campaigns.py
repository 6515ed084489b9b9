"""Campaigns: creation, lifecycle, and the figures that tell how one goes (funnel, outcomes, hours, minutes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import compliance
from callbot.errors import CallbotError, InvalidTransition
from callbot.models import LIVE_ATTEMPT, READY, WAITING, CallAttempt, Campaign, Lead, QueueItem

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


# A call a person picked up: answered, and not by a machine (Twilio's "unknown" counts as a person).
ANSWERED = sa.and_(
    CallAttempt.answered_at.is_not(None),
    sa.or_(CallAttempt.answered_by.is_(None), ~CallAttempt.answered_by.like("machine%")),
)
# A call that reached the provider (it has a CallSid): the ones that count as placed.
PLACED = CallAttempt.call_sid.is_not(None)


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
    claimed: int = 0  # queued leads an agent took (or was put through to)
    won: int = 0  # leads an agent closed as won

    def stages(self) -> list[tuple[str, int]]:
        """The funnel stages in order, as (key, count): each one a subset of the one before."""
        return [
            ("imported", self.imported),
            ("callable", self.callable),
            ("called", self.called),
            ("answered", self.answered),
            ("identity_confirmed", self.identity_confirmed),
            ("interested", self.interested),
            ("claimed", self.claimed),
            ("won", self.won),
        ]

    @property
    def rejected(self) -> int:
        """Rows intake kept out of the calls: junk, duplicates, blocked numbers."""
        return self.junk + self.duplicate + self.blocked


def funnel(session: Session, campaign_id: int) -> Funnel:
    """Count the campaign's leads at every stage (a lead counts once per stage, whatever its attempts);
    three grouped queries over the campaign's indexes, whatever its size."""
    by_verdict = dict(
        session.execute(
            sa.select(Lead.verdict, sa.func.count()).where(Lead.campaign_id == campaign_id).group_by(Lead.verdict)
        ).all()
    )

    def leads_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count(sa.distinct(sa.case((condition, CallAttempt.lead_id))))

    calls = session.execute(
        sa.select(
            leads_where(PLACED),
            leads_where(ANSWERED),
            leads_where(CallAttempt.identity_confirmed.is_(True)),
            leads_where(CallAttempt.outcome == "interested"),
            sa.func.count(CallAttempt.call_sid),
        ).where(CallAttempt.campaign_id == campaign_id)
    ).one()
    queue = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.case((sa.or_(QueueItem.claimed_at.is_not(None), QueueItem.disposition.is_not(None)), 1))),
            sa.func.count(sa.case((QueueItem.disposition == "won", 1))),
        ).where(QueueItem.campaign_id == campaign_id)
    ).one()
    return Funnel(
        imported=sum(by_verdict.values()),
        junk=by_verdict.get("junk", 0),
        duplicate=by_verdict.get("duplicate", 0),
        blocked=by_verdict.get("blocked", 0),
        callable=by_verdict.get("ok", 0) + by_verdict.get("suspect", 0),
        called=int(calls[0]),
        answered=int(calls[1]),
        identity_confirmed=int(calls[2]),
        interested=int(calls[3]),
        queued=int(queue[0]),
        calls=int(calls[4]),
        claimed=int(queue[1]),
        won=int(queue[2]),
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
    live = sa.select(sa.func.count()).where(CallAttempt.campaign_id == campaign_id, LIVE_ATTEMPT)
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
    live = session.scalar(sa.select(sa.func.count()).where(CallAttempt.campaign_id == campaign.id, LIVE_ATTEMPT))
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


# Every outcome a call can end with, in the order the dashboard lists them; "live" is a call not over yet.
OUTCOMES = (
    "interested",
    "callback",
    "not_interested",
    "wrong_person",
    "opted_out",
    "no_input",
    "hung_up",
    "voicemail",
    "no_answer",
    "busy",
    "failed",
    "canceled",
    "live",
)


def outcome_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """The campaign's calls by outcome (every known outcome, zeros included); calls still going count as live."""
    rows = session.execute(
        sa.select(CallAttempt.outcome, sa.func.count())
        .where(CallAttempt.campaign_id == campaign_id)
        .group_by(CallAttempt.outcome)
    ).all()
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome, count in rows:
        key = outcome or "live"
        counts[key] = counts.get(key, 0) + int(count)
    return counts


@dataclass(frozen=True)
class HourStat:
    """Calls placed in one hour of the day (local time) and how many a person answered."""

    hour: int
    calls: int
    answered: int

    @property
    def rate(self) -> float:
        """Answered / placed, 0 when nothing was placed."""
        return self.answered / self.calls if self.calls else 0.0


def answers_by_hour(session: Session, campaign_id: int, timezone: str) -> list[HourStat]:
    """Placed and answered calls for each hour of the day (0–23) in `timezone`, by when the call was placed."""
    placed = sa.func.count()
    answered = sa.func.count(sa.case((ANSWERED, 1)))
    where = (CallAttempt.campaign_id == campaign_id, PLACED)
    totals: dict[int, list[int]] = {hour: [0, 0] for hour in range(24)}
    if session.get_bind().dialect.name == "postgresql":
        hour = sa.cast(sa.extract("hour", sa.func.timezone(timezone, CallAttempt.created_at)), sa.Integer)
        rows = session.execute(sa.select(hour, placed, answered).where(*where).group_by(hour)).all()
        for local_hour, calls, picked_up in rows:
            totals[int(local_hour)] = [int(calls), int(picked_up)]
    else:
        # SQLite has no time zones: group by UTC quarter-hour (every zone's offset is a multiple of 15 minutes,
        # daylight saving included), then read each quarter's local hour.
        quarter = sa.cast(sa.func.strftime("%s", CallAttempt.created_at), sa.Integer) // 900
        rows = session.execute(sa.select(quarter, placed, answered).where(*where).group_by(quarter)).all()
        zone = ZoneInfo(timezone)
        for index, calls, picked_up in rows:
            local_hour = dt.datetime.fromtimestamp(int(index) * 900, dt.UTC).astimezone(zone).hour
            totals[local_hour][0] += int(calls)
            totals[local_hour][1] += int(picked_up)
    return [HourStat(hour, calls, picked_up) for hour, (calls, picked_up) in sorted(totals.items())]


@dataclass(frozen=True)
class Minutes:
    """Call time: what was talked, and what the provider bills (each call's started minute counts whole)."""

    billed_calls: int
    talk_seconds: int
    billed_minutes: int


def call_minutes(session: Session, campaign_id: int) -> Minutes:
    """Talk time and billed minutes of the campaign's calls: Twilio rounds each call up to the next full minute,
    and bills nothing for a call that never connected (no duration)."""
    seconds = CallAttempt.duration_seconds
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(seconds), 0),
            sa.func.coalesce(sa.func.sum((seconds + 59) // 60), 0),
        ).where(CallAttempt.campaign_id == campaign_id, seconds > 0)
    ).one()
    return Minutes(billed_calls=int(row[0]), talk_seconds=int(row[1]), billed_minutes=int(row[2]))
