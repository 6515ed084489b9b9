"""The dialer: starts due campaigns and places calls best lead first, inside the window, under rate and caps."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from callbot import calls, compliance, dnc
from callbot import leads as lead_service
from callbot.db import utcnow
from callbot.errors import TelephonyError
from callbot.models import CallAttempt, Campaign, Lead
from callbot.settings import Settings
from callbot.telephony import Telephony

log = logging.getLogger(__name__)

# A claimed lead goes straight from a dialable status to "dialing" in one UPDATE; keep that legal.
assert all("dialing" in lead_service.TRANSITIONS[s] for s in lead_service.DIALABLE)
# An attempt with no CallSid this long after creation never reached the provider (we crashed in between).
ORPHAN_AFTER = dt.timedelta(minutes=2)
# A live call not heard of for this long is fetched from the API to learn how it ended.
RECONCILE_AFTER = dt.timedelta(minutes=15)


class TokenBucket:
    """Calls-per-second limiter: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one token if there is one."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


@dataclass(frozen=True)
class Claim:
    attempt_id: int
    lead_id: int
    to: str
    ring_timeout: int


class Dialer:
    """One dialer per deployment; `tick` is idempotent and safe to run from a scheduler every second."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        telephony: Telephony,
        settings: Settings,
        clock: Callable[[], dt.datetime] = utcnow,
    ):
        self.sessions = sessions
        self.telephony = telephony
        self.settings = settings
        self.urls = calls.CallUrls(settings.public_url)
        self.clock = clock
        self.bucket = TokenBucket(settings.calls_per_second)
        self._lock = threading.Lock()

    def tick(self) -> int:
        """One round: start due campaigns, place what calls the rules allow, finish idle campaigns."""
        if not self._lock.acquire(blocking=False):
            return 0  # the previous tick is still running
        try:
            now = self.clock()
            with self.sessions.begin() as session:
                start_due_campaigns(session, now)
                running = list(session.scalars(sa.select(Campaign.id).where(Campaign.status == "running")))
            placed = sum(self._dial_campaign(campaign_id) for campaign_id in running)
            self.reconcile()
            with self.sessions.begin() as session:
                complete_idle_campaigns(session, self.clock())
            return placed
        finally:
            self._lock.release()

    def _dial_campaign(self, campaign_id: int) -> int:
        now = self.clock()
        with self.sessions.begin() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None or campaign.status != "running" or not compliance.window_open(campaign, now):
                return 0
            free = min(
                campaign.max_concurrent_calls - live_calls(session, campaign_id),
                self.settings.max_concurrent_calls - live_calls(session),
            )
        placed = 0
        while placed < free and self.bucket.take():
            claim = self._claim(campaign_id)
            if claim is None:
                break
            self._place(claim)
            placed += 1
        return placed

    def _claim(self, campaign_id: int) -> Claim | None:
        """Claim the best due lead and create its attempt row, in one transaction, before any API call."""
        while True:
            now = self.clock()
            try:
                with self.sessions.begin() as session:
                    lead = claim_lead(session, campaign_id, now)
                    if lead is None:
                        return None
                    if lead.phone_e164 is None or dnc.is_listed(session, lead.phone_e164):
                        lead_service.set_status(lead, "opted_out", now)
                        log.info("lead %s not called: on the do-not-call list", lead.id)
                        continue
                    attempt = CallAttempt(
                        lead_id=lead.id, campaign_id=campaign_id, attempt_no=lead.attempts, created_at=now
                    )
                    session.add(attempt)
                    session.flush()
                    return Claim(attempt.id, lead.id, lead.phone_e164, lead.campaign.ring_timeout_seconds)
            except IntegrityError:
                # The lead is already in a live call (the unique index said so): leave it alone this round.
                log.warning("claim in campaign %s refused by the live-call constraint", campaign_id)
                return None

    def _place(self, claim: Claim) -> None:
        """Ask the provider to call; record the CallSid, or the failure and its retry."""
        try:
            sid = self.telephony.place_call(
                to=claim.to,
                from_=self.settings.twilio_caller_id,
                url=self.urls.voice(claim.attempt_id),
                status_callback=self.urls.status(claim.attempt_id),
                fallback_url=self.urls.fallback(claim.attempt_id),
                timeout=claim.ring_timeout,
            )
        except TelephonyError as exc:
            log.warning("call for lead %s failed to start: %s", claim.lead_id, exc)
            with self.sessions.begin() as session:
                attempt = session.get(CallAttempt, claim.attempt_id, with_for_update=True)
                if attempt is not None and attempt.live:
                    attempt.status = "failed"
                    attempt.error = str(exc)[:500]
                    calls.finish(session, attempt, self.clock())
            return
        with self.sessions.begin() as session:
            attempt = session.get(CallAttempt, claim.attempt_id, with_for_update=True)
            if attempt is not None:
                attempt.call_sid = attempt.call_sid or sid
                if attempt.status == "created":
                    attempt.status = "queued"

    def reconcile(self) -> int:
        """Settle live attempts we stopped hearing about: orphans fail, silent calls are fetched from the API."""
        now = self.clock()
        settled = 0
        with self.sessions.begin() as session:
            stale = list(
                session.scalars(
                    sa.select(CallAttempt).where(
                        CallAttempt.live.is_(True),
                        sa.or_(
                            sa.and_(CallAttempt.call_sid.is_(None), CallAttempt.created_at < now - ORPHAN_AFTER),
                            sa.and_(
                                CallAttempt.call_sid.is_not(None),
                                CallAttempt.created_at < now - RECONCILE_AFTER,
                            ),
                        ),
                    )
                )
            )
        for attempt in stale:
            info = None
            if attempt.call_sid:
                try:
                    info = self.telephony.fetch_call(attempt.call_sid)
                except TelephonyError as exc:
                    log.warning("cannot reconcile %s: %s", attempt.call_sid, exc)
                    continue
            with self.sessions.begin() as session:
                current = session.get(CallAttempt, attempt.id, with_for_update=True)
                if current is None or not current.live:
                    continue
                if info is None:
                    current.status, current.error = (
                        "failed",
                        "no CallSid: the call never reached the provider",
                    )
                elif info.status in calls.FINAL_CALL_STATUSES:
                    current.status = info.status
                    current.duration_seconds = info.duration
                    current.answered_by = current.answered_by or info.answered_by
                else:
                    continue
                calls.finish(session, current, now)
                settled += 1
        return settled


def claim_lead(session: Session, campaign_id: int, now: dt.datetime) -> Lead | None:
    """Atomically move the best due lead of a campaign to "dialing" (score, then freshest) and return it."""
    best = (
        sa.select(Lead.id)
        .where(
            Lead.campaign_id == campaign_id,
            Lead.status.in_(lead_service.DIALABLE),
            sa.or_(Lead.next_attempt_at.is_(None), Lead.next_attempt_at <= now),
        )
        .order_by(Lead.score.desc(), Lead.registered_at.desc().nulls_last(), Lead.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    lead_id = session.scalar(
        sa.update(Lead)
        .where(Lead.id == best, Lead.status.in_(lead_service.DIALABLE))
        .values(status="dialing", attempts=Lead.attempts + 1, next_attempt_at=None, updated_at=now)
        .returning(Lead.id)
        .execution_options(synchronize_session=False)
    )
    return None if lead_id is None else session.get(Lead, lead_id, populate_existing=True)


def live_calls(session: Session, campaign_id: int | None = None) -> int:
    """How many calls are live, in one campaign or in all."""
    query = sa.select(sa.func.count()).select_from(CallAttempt).where(CallAttempt.live.is_(True))
    if campaign_id is not None:
        query = query.where(CallAttempt.campaign_id == campaign_id)
    return int(session.scalar(query) or 0)


def start_due_campaigns(session: Session, now: dt.datetime) -> list[int]:
    """Move scheduled campaigns whose start time has come to running."""
    due = list(session.scalars(sa.select(Campaign).where(Campaign.status == "scheduled", Campaign.starts_at <= now)))
    for campaign in due:
        campaign.status = "running"
        log.info("campaign %s started", campaign.id)
    return [c.id for c in due]


def complete_idle_campaigns(session: Session, now: dt.datetime) -> list[int]:
    """A running campaign with no lead left to call and no live call is completed."""
    pending = (
        sa.select(Lead.id)
        .where(Lead.campaign_id == Campaign.id, Lead.status.in_(("callable", "callback", "dialing")))
        .exists()
    )
    live = sa.select(CallAttempt.id).where(CallAttempt.campaign_id == Campaign.id, CallAttempt.live).exists()
    done = list(session.scalars(sa.select(Campaign).where(Campaign.status == "running", ~pending, ~live)))
    for campaign in done:
        campaign.status = "completed"
        campaign.completed_at = now
    return [c.id for c in done]


def start_scheduler(dialer: Dialer, *, background: bool = True, interval: float | None = None):  # type: ignore[no-untyped-def]
    """An APScheduler running `dialer.tick` every `interval` seconds (one scheduler per deployment)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone="UTC")
    scheduler.add_job(
        dialer.tick,
        "interval",
        seconds=interval or dialer.settings.dialer_tick_seconds,
        id="dialer-tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=30,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler
