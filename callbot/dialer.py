"""The dialer: places calls best lead first, inside each lead's window, under shared rate and concurrency caps.

Every call passes one guard (`compliance.refusal`) inside the transaction that claims the lead. That transaction
first locks the account's rate-limit row, so claims are serialised across dialer processes (SQLite serialises
writers anyway with BEGIN IMMEDIATE): the live-call counts, the per-number cap and the token buckets are read
and changed by one claimer at a time, and the lead row itself is taken with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from callbot import calls, compliance
from callbot import leads as lead_service
from callbot.db import utcnow
from callbot.errors import TelephonyError
from callbot.models import LIVE_ATTEMPT, READY, WAITING, CallAttempt, Campaign, Lead, Lease, RateLimit
from callbot.settings import Settings
from callbot.telephony import Telephony

log = logging.getLogger(__name__)

# A claimed lead goes from a dialable status to "dialing"; keep that legal.
assert all("dialing" in lead_service.TRANSITIONS[s] for s in lead_service.DIALABLE)
# An attempt with no CallSid this long after creation never reached the provider, or we crashed before saving it
# (the default; Settings.orphan_after_seconds, CALLBOT_ORPHAN_AFTER_SECONDS, sets it per process).
ORPHAN_AFTER = dt.timedelta(seconds=Settings.orphan_after_seconds)
# A live call not heard of for this long is fetched from the API to learn how it ended, then every RECHECK_EVERY.
RECONCILE_AFTER = dt.timedelta(minutes=15)
RECHECK_EVERY = dt.timedelta(minutes=5)
# Threads placing API calls at once, per dialer process.
PLACERS = 8
# Leads refused by the guard in one claim before the claimer gives the next campaign its turn.
MAX_REFUSALS_PER_CLAIM = 50
# Calls claimed in one transaction at most: its fixed cost (the account lock, the live-call counts, the commit) is
# shared by them, and a claim's burst stays a small part of a second at the usual rates.
CLAIMS_PER_TRANSACTION = 10
ACCOUNT_BUCKET = "account"


@dataclass(frozen=True)
class Claim:
    attempt_id: int
    lead_id: int
    to: str
    ring_timeout: int
    record: bool = False


# Why a claim found no lead: the campaign is done for this tick; "account_rate" ends the whole tick.
STOP_REASONS = ("stopped", "account_full", "campaign_full", "account_rate", "campaign_rate", "empty")


# ---- shared token buckets ---------------------------------------------------------------------------------


def _upsert_ignore(session: Session, table: sa.Table, values: dict[str, object]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(table).values(**values).on_conflict_do_nothing())


def take_tokens(session: Session, buckets: list[tuple[str, float]], now: float) -> str | None:
    """Take one token from each named bucket (rate per second; burst = max(1, rate)), all or none.

    Returns None when the tokens were taken, else the name of the first empty bucket.
    """
    taken, empty = take_up_to(session, buckets, now, 1)
    return None if taken else empty


def take_up_to(session: Session, buckets: list[tuple[str, float]], now: float, want: int) -> tuple[int, str | None]:
    """Take the same number of tokens, at most `want`, from each named bucket: as many as the emptiest one holds.

    The bucket rows are locked (PostgreSQL) or written under the SQLite writer lock: one claimer at a time.
    Returns how many were taken and, when that is fewer than `want`, the name of the first bucket that ran short.
    """
    rows = []
    for name, rate in sorted(buckets):
        burst = max(1.0, rate)
        _upsert_ignore(session, RateLimit.__table__, {"name": name, "tokens": burst, "updated": now})
        row = session.get(RateLimit, name, with_for_update=True, populate_existing=True)
        assert row is not None
        row.tokens = min(burst, row.tokens + max(0.0, now - row.updated) * rate)
        row.updated = max(row.updated, now)
        rows.append((name, row))
    taken, short = want, None
    for name, row in rows:
        if row.tokens < taken:
            taken, short = max(0, min(taken, int(row.tokens))), name
    for _, row in rows:
        row.tokens -= taken
    return taken, short


def give_back(session: Session, buckets: list[tuple[str, float]], count: int) -> None:
    """Return unused tokens to buckets taken from in this transaction (their rows are already locked)."""
    for name, _ in buckets:
        row = session.get(RateLimit, name)
        assert row is not None
        row.tokens += count


def lock_account(session: Session, now: float, rate: float) -> RateLimit:
    """Lock the account's bucket row: the start of every claim transaction, so claims never interleave."""
    _upsert_ignore(session, RateLimit.__table__, {"name": ACCOUNT_BUCKET, "tokens": max(1.0, rate), "updated": now})
    row = session.get(RateLimit, ACCOUNT_BUCKET, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


# ---- the dialer -------------------------------------------------------------------------------------------


class Dialer:
    """Runs in one or more processes; `tick` is safe to run from a scheduler every second, and concurrently."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        telephony: Telephony,
        settings: Settings,
        clock: Callable[[], dt.datetime] = utcnow,
        rate_clock: Callable[[], float] = time.time,
    ):
        self.sessions = sessions
        self.telephony = telephony
        self.settings = settings
        self.urls = calls.CallUrls(settings.public_url)
        self.clock = clock
        self.rate_clock = rate_clock
        self.orphan_after = dt.timedelta(seconds=settings.orphan_after_seconds)
        self._lock = threading.Lock()

    def tick(self) -> int:
        """One round: wake due leads, place what calls the rules allow, settle silent calls, finish idle campaigns."""
        if not self._lock.acquire(blocking=False):
            return 0  # the previous tick is still running
        try:
            now = self.clock()
            with self.sessions.begin() as session:
                wake_due_leads(session, now)
                running = list(session.scalars(sa.select(Campaign).where(Campaign.status == "running")))
                active = {c.id: compliance.open_zones(c, now) for c in running}
            placed = self._dial(active)
            self.reconcile()
            with self.sessions.begin() as session:
                complete_idle_campaigns(session, self.clock())
            return placed
        finally:
            self._lock.release()

    def _dial(self, zones_by_campaign: dict[int, list[str | None]]) -> int:
        """Claim and place calls one campaign after another in turn, until every campaign is done for this tick.

        Each claim commits before its API call; the API calls run on a small pool while the next claims are
        made, and the tick returns once every call it claimed has been placed (or has failed and been settled).
        The pool lives for one tick only (its threads start with the first call placed), so an idle dialer runs
        no threads of its own: a process that forks, such as a file import with worker processes, can do so safely.
        """
        turn = [cid for cid, zones in zones_by_campaign.items() if zones]
        placing: list[Future[None]] = []
        placers = ThreadPoolExecutor(max_workers=PLACERS, thread_name_prefix="dialer-place")
        try:
            while turn:
                for campaign_id in list(turn):
                    claims, done = self._claim(campaign_id, zones_by_campaign[campaign_id])
                    placing += [placers.submit(self._place, claim) for claim in claims]
                    if done == "account_rate" or done == "account_full":
                        return len(placing)
                    if done is not None:
                        turn.remove(campaign_id)
            return len(placing)
        finally:
            for future in wait(placing).done:
                if future.exception() is not None:
                    log.error("placing a call failed", exc_info=future.exception())
            placers.shutdown(wait=True)

    def _claim(self, campaign_id: int, zones: list[str | None]) -> tuple[list[Claim], str | None]:
        """Claim the best due leads the rules allow and create their attempts, in one transaction, before any API call.

        As many as the caps and the token buckets allow, up to CLAIMS_PER_TRANSACTION: the transaction's fixed cost
        (the account lock, the live-call counts, the commit) is shared by them. Every lead still passes the guard
        one by one, in order, so a second lead with the same number sees the first one's attempt.
        Returns the claims and, when the campaign can have no more this tick, why (one of STOP_REASONS).
        """
        now = self.clock()
        rate_now = self.rate_clock()
        try:
            with self.sessions.begin() as session:
                lock_account(session, rate_now, self.settings.calls_per_second)
                campaign = session.get(Campaign, campaign_id, populate_existing=True)
                if campaign is None or campaign.status != "running":
                    return [], "stopped"
                account_room = self.settings.max_concurrent_calls - live_calls(session)
                if account_room <= 0:
                    return [], "account_full"
                campaign_room = campaign.max_concurrent_calls - live_calls(session, campaign_id)
                if campaign_room <= 0:
                    return [], "campaign_full"
                buckets = [(ACCOUNT_BUCKET, self.settings.calls_per_second)]
                if campaign.calls_per_second:
                    buckets.append((f"campaign:{campaign_id}", campaign.calls_per_second))
                want = min(account_room, campaign_room, CLAIMS_PER_TRANSACTION)
                tokens, short = take_up_to(session, buckets, rate_now, want)
                if tokens == 0:
                    return [], _rate_reason(short)
                claims: list[Claim] = []
                refusals = 0
                while len(claims) < tokens and refusals < MAX_REFUSALS_PER_CLAIM:
                    candidates = next_leads(session, campaign, zones, tokens - len(claims))
                    if not candidates:
                        break
                    for lead in candidates:
                        refused = compliance.refusal(session, campaign, lead, now)
                        if refused is None:
                            claims.append(_start_attempt(session, campaign, lead, now))
                            continue
                        defer(lead, refused, now)
                        refusals += 1
                        if refusals >= MAX_REFUSALS_PER_CLAIM:
                            break
                if len(claims) < tokens:
                    give_back(session, buckets, tokens - len(claims))
                    return claims, "empty"
                if short is not None:  # the buckets held fewer tokens than the caps allowed calls: now they are empty
                    return claims, _rate_reason(short)
                return claims, None
        except IntegrityError:
            # A lead is already in a live call (the unique index said so): leave the campaign alone this round.
            log.warning("claim in campaign %s refused by the live-call constraint", campaign_id)
            return [], "empty"

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
                recording_callback=self.urls.recording(claim.attempt_id) if claim.record else None,
            )
        except TelephonyError as exc:
            ids = {"lead_id": claim.lead_id, "attempt_id": claim.attempt_id}
            log.warning("call for lead %s failed to start: %s", claim.lead_id, exc, extra=ids)
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
        """Settle live attempts we stopped hearing about, asking the provider how they ended."""
        now = self.clock()
        orphan_after = dt.timedelta(seconds=self.settings.orphan_after_seconds)
        settled = 0
        with self.sessions.begin() as session:
            stale = list(
                session.scalars(
                    sa.select(CallAttempt).where(
                        LIVE_ATTEMPT,
                        sa.or_(
                            sa.and_(CallAttempt.call_sid.is_(None), CallAttempt.created_at < now - orphan_after),
                            sa.and_(
                                CallAttempt.call_sid.is_not(None),
                                CallAttempt.created_at < now - RECONCILE_AFTER,
                            ),
                        ),
                        sa.or_(CallAttempt.checked_at.is_(None), CallAttempt.checked_at < now - RECHECK_EVERY),
                    )
                )
            )
        for attempt in stale:
            try:
                sid = attempt.call_sid or self._find_lost_call(attempt)
                info = self.telephony.fetch_call(sid) if sid else None
            except TelephonyError as exc:
                log.warning("cannot reconcile attempt %s: %s", attempt.id, exc)
                continue
            with self.sessions.begin() as session:
                current = session.get(CallAttempt, attempt.id, with_for_update=True, populate_existing=True)
                if current is None or not current.live:
                    continue
                current.checked_at = now
                if info is None:
                    current.status, current.error = "failed", "no CallSid: the call never reached the provider"
                else:
                    current.call_sid = current.call_sid or info.sid
                    if info.status not in calls.FINAL_CALL_STATUSES:
                        continue  # still going: look again later
                    current.status = info.status
                    current.duration_seconds = info.duration
                    current.answered_by = current.answered_by or info.answered_by
                calls.finish(session, current, now)
                settled += 1
        return settled

    def _find_lost_call(self, attempt: CallAttempt) -> str | None:
        """The provider's call for an attempt whose CallSid we never saved (a crash right after placing it)."""
        if not attempt.to_number:
            return None
        found = self.telephony.find_calls(
            to=attempt.to_number, from_=self.settings.twilio_caller_id, since=attempt.created_at
        )
        with self.sessions() as session:
            for info in sorted(found, key=lambda i: i.sid):
                owned = session.scalar(sa.select(CallAttempt.id).where(CallAttempt.call_sid == info.sid))
                if owned is None:
                    log.info("attempt %s: adopted call %s found at the provider", attempt.id, info.sid)
                    return info.sid
        return None


def _rate_reason(bucket: str | None) -> str:
    """Why a claim stopped when a bucket ran short: the account's ends the tick, a campaign's only its turn."""
    return "account_rate" if bucket == ACCOUNT_BUCKET else "campaign_rate"


def _start_attempt(session: Session, campaign: Campaign, lead: Lead, now: dt.datetime) -> Claim:
    lead_service.set_status(lead, "dialing", now)
    lead.attempts += 1
    lead.next_attempt_at = lead.wait_reason = None
    lead.priority = 0  # speed to lead is for the first call only
    attempt = CallAttempt(
        lead_id=lead.id, campaign_id=campaign.id, attempt_no=lead.attempts, to_number=lead.phone_e164, created_at=now
    )
    session.add(attempt)
    session.flush()
    assert lead.phone_e164 is not None
    return Claim(attempt.id, lead.id, lead.phone_e164, campaign.ring_timeout_seconds, campaign.record_calls)


def defer(lead: Lead, refused: compliance.Refusal, now: dt.datetime) -> None:
    """Put a refused lead aside: blocked for good, or until the rule allows the call."""
    log.info("lead %s not called: %s", lead.id, refused.reason, extra={"lead_id": lead.id})
    if refused.retry_at is None:
        lead_service.set_status(lead, "opted_out", now)
        lead.next_attempt_at = None
    else:
        lead.next_attempt_at = refused.retry_at
    lead.wait_reason = refused.reason


def _ready(campaign: Campaign, zones: list[str | None]) -> sa.ColumnElement[bool]:
    conditions: list[sa.ColumnElement[bool]] = [Lead.campaign_id == campaign.id, sa.text(READY)]
    named = [z for z in zones if z is not None]
    if len(zones) < len(compliance.campaign_zones(campaign)):  # some zones are closed: keep to the open ones
        in_zone = [Lead.timezone.in_(named)] if named else []
        if None in zones:
            in_zone.append(Lead.timezone.is_(None))
        conditions.append(sa.or_(*in_zone))
    return sa.and_(*conditions)


def next_leads(session: Session, campaign: Campaign, zones: list[str | None], count: int) -> list[Lead]:
    """The best `count` leads due now in open zones (priority, score, freshest registration, newest), locked."""
    postgres = session.get_bind().dialect.name == "postgresql"
    registered = Lead.registered_at.desc().nulls_last() if postgres else Lead.registered_at.desc()
    return list(
        session.scalars(
            sa.select(Lead)
            .where(_ready(campaign, zones))
            .order_by(Lead.campaign_id, Lead.priority.desc(), Lead.score.desc(), registered, Lead.id.desc())
            .limit(count)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )


def next_lead(session: Session, campaign: Campaign, zones: list[str | None]) -> Lead | None:
    """The best lead due now in an open zone, locked."""
    found = next_leads(session, campaign, zones, 1)
    return found[0] if found else None


def claim_lead(session: Session, campaign_id: int, now: dt.datetime) -> Lead | None:
    """Move the best due lead of a campaign to "dialing" without the guard (tests of the claim's atomicity)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    lead = next_lead(session, campaign, compliance.campaign_zones(campaign))
    if lead is None:
        return None
    updated = session.execute(
        sa.update(Lead)
        .where(Lead.id == lead.id, Lead.status.in_(lead_service.DIALABLE))
        .values(status="dialing", attempts=Lead.attempts + 1, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != 1:
        return None
    return session.get(Lead, lead.id, populate_existing=True)


def wake_due_leads(session: Session, now: dt.datetime) -> int:
    """Leads whose retry, callback or cap time has come become due (through the waiting index, not a scan)."""
    result = session.execute(
        sa.update(Lead)
        .where(sa.text(WAITING), Lead.next_attempt_at <= now)
        .values(next_attempt_at=None, wait_reason=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def live_calls(session: Session, campaign_id: int | None = None) -> int:
    """How many calls are live, in one campaign or in all."""
    query = sa.select(sa.func.count()).select_from(CallAttempt).where(LIVE_ATTEMPT)
    if campaign_id is not None:
        query = query.where(CallAttempt.campaign_id == campaign_id)
    return int(session.scalar(query) or 0)


def start_due_campaigns(session: Session, now: dt.datetime) -> list[int]:
    """Move scheduled campaigns whose start time has come to running (the scheduler's job does it on time)."""
    due = list(session.scalars(sa.select(Campaign).where(Campaign.status == "scheduled", Campaign.starts_at <= now)))
    for campaign in due:
        campaign.status = "running"
        campaign.status_note = None
        log.info("campaign %s started", campaign.id)
    return [c.id for c in due]


def complete_idle_campaigns(session: Session, now: dt.datetime) -> list[int]:
    """A running campaign with no lead left to call and no live call is completed (unless it is kept open)."""
    pending = (
        sa.select(Lead.id)
        .where(Lead.campaign_id == Campaign.id, Lead.status.in_(("callable", "callback", "dialing")))
        .exists()
    )
    live = sa.select(CallAttempt.id).where(CallAttempt.campaign_id == Campaign.id, LIVE_ATTEMPT).exists()
    done = list(
        session.scalars(
            sa.select(Campaign).where(Campaign.status == "running", Campaign.auto_complete.is_(True), ~pending, ~live)
        )
    )
    for campaign in done:
        campaign.status = "completed"
        campaign.completed_at = now
        log.info("campaign %s completed: no lead left to call", campaign.id)
    return [c.id for c in done]


# ---- the scheduler ----------------------------------------------------------------------------------------

SCHEDULER_LEASE = "scheduler"
LEASE_FOR = dt.timedelta(seconds=30)
_active: dict[str, sessionmaker[Session]] = {}  # the sessions of this process's scheduler, for its stored jobs


def take_lease(
    sessions: sessionmaker[Session], name: str, holder: str, now: dt.datetime, length: dt.timedelta = LEASE_FOR
) -> bool:
    """Take or renew a named lease; True while `holder` holds it (another holder's lease must have expired)."""
    with sessions.begin() as session:
        _upsert_ignore(session, Lease.__table__, {"name": name, "holder": holder, "expires_at": now + length})
        lease = session.get(Lease, name, with_for_update=True, populate_existing=True)
        assert lease is not None
        if lease.holder != holder and lease.expires_at > now:
            return False
        lease.holder, lease.expires_at = holder, now + length
        return True


def release_lease(sessions: sessionmaker[Session], name: str, holder: str) -> None:
    with sessions.begin() as session:
        session.execute(sa.delete(Lease).where(Lease.name == name, Lease.holder == holder))


def run_scheduled_start(campaign_id: int) -> None:
    """The stored job of a scheduled campaign: start it (if it is still scheduled)."""
    sessions = _active.get("sessions")
    if sessions is None:
        return
    with sessions.begin() as session:
        campaign = session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is not None and campaign.status == "scheduled":
            campaign.status, campaign.status_note = "running", None
            log.info("campaign %s started on schedule", campaign_id)


def start_job_id(campaign_id: int) -> str:
    return f"campaign-start-{campaign_id}"


class DialerService:
    """A dialer process: ticks always; the process holding the scheduler lease also runs the stored jobs.

    APScheduler's job store cannot be shared by several processes, so exactly one holds it (the lease); any
    number of processes may tick. The stored jobs start scheduled campaigns on time, across restarts.
    """

    def __init__(self, dialer: Dialer, *, interval: float | None = None, start_grace: int | None = None):
        self.dialer = dialer
        self.interval = interval or dialer.settings.dialer_tick_seconds
        self.start_grace = start_grace if start_grace is not None else dialer.settings.start_grace_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.leader = False
        self.scheduler = None
        # stop() must not shut the scheduler down while a tick runs: APScheduler's shutdown holds the job stores'
        # lock while it waits for running jobs, and a tick takes that lock (get_jobs): a deadlock.
        self._stopping = threading.Event()
        self._busy = threading.Lock()

    def start(self, *, background: bool = True):  # type: ignore[no-untyped-def]
        from apscheduler.events import EVENT_JOB_MISSED
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone="UTC")
        self.scheduler = scheduler
        shutdown = scheduler.shutdown

        def safe_shutdown(wait: bool = True) -> None:
            # Whoever shuts the scheduler down (stop(), or a caller holding only the scheduler): no new tick starts
            # and the one under way ends before APScheduler takes its job-store lock to wait for it.
            self._stopping.set()
            with self._busy:
                pass
            shutdown(wait)

        scheduler.shutdown = safe_shutdown  # type: ignore[method-assign]
        scheduler.add_listener(self._missed, EVENT_JOB_MISSED)
        scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.interval,
            id="dialer-tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=30,
            replace_existing=True,
        )
        from callbot import backup, privacy, retraining

        # The daily jobs run only in the process holding the scheduler lease (each checks `self.leader`).
        settings = self.dialer.settings
        self._add_daily(scheduler, backup.run_daily, "daily-backup", settings.backup_hour)
        self._add_daily(scheduler, privacy.run_retention, "daily-retention", (settings.backup_hour + 1) % 24)
        self._add_daily(scheduler, retraining.run_nightly, "nightly-ranking", retraining.NIGHTLY_HOUR, 30)
        if background:
            self._lead()
        scheduler.start()
        return scheduler

    def _add_daily(self, scheduler, job: Callable[[DialerService], object], job_id: str, hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
        """A job run every day at hour:minute in CALLBOT_TIMEZONE; one missed while the dialer was down runs once
        when it is back within the hour."""
        scheduler.add_job(
            job,
            "cron",
            hour=hour,
            minute=minute,
            timezone=self.dialer.settings.timezone,
            args=[self],
            id=job_id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.leader:
            release_lease(self.dialer.sessions, SCHEDULER_LEASE, self.holder)
            self.leader = False
            _active.pop("sessions", None)

    def _tick(self) -> None:
        with self._busy:
            if self._stopping.is_set():
                return
            self._lead()
            self.dialer.tick()

    def _lead(self) -> None:
        """Hold the scheduler lease (or take it when its holder died) and keep the stored jobs in step."""
        now = self.dialer.clock()
        holds = take_lease(self.dialer.sessions, SCHEDULER_LEASE, self.holder, now)
        if holds and not self.leader:
            from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

            _active["sessions"] = self.dialer.sessions
            engine = self.dialer.sessions.kw["bind"]
            self.scheduler.add_jobstore(SQLAlchemyJobStore(engine=engine), alias="stored")
            self.leader = True
            log.info("this dialer runs the scheduled jobs")
        elif not holds and self.leader:
            self.scheduler.remove_jobstore("stored", shutdown=True)
            self.leader = False
            log.warning("scheduler lease lost: another dialer runs the scheduled jobs now")
        if self.leader:
            self._sync_jobs()

    def _sync_jobs(self) -> None:
        """A stored start job for every scheduled campaign, at its start time; none for the others."""
        from apscheduler.jobstores.base import JobLookupError

        with self.dialer.sessions() as session:
            scheduled = dict(
                session.execute(sa.select(Campaign.id, Campaign.starts_at).where(Campaign.status == "scheduled")).all()
            )
        jobs = {job.id: job for job in self.scheduler.get_jobs(jobstore="stored")}
        for campaign_id, starts_at in scheduled.items():
            job = jobs.get(start_job_id(campaign_id))
            if job is not None and job.trigger.run_date == starts_at:
                continue
            self.scheduler.add_job(
                "callbot.dialer:run_scheduled_start",
                "date",
                run_date=starts_at,
                args=[campaign_id],
                id=start_job_id(campaign_id),
                jobstore="stored",
                replace_existing=True,
                misfire_grace_time=self.start_grace,
                coalesce=True,
            )
        for job_id in jobs:
            if job_id.startswith("campaign-start-") and int(job_id.rsplit("-", 1)[1]) not in scheduled:
                try:
                    self.scheduler.remove_job(job_id, jobstore="stored")
                except JobLookupError:
                    pass

    def _missed(self, event) -> None:  # type: ignore[no-untyped-def]
        """A start missed by more than the grace period (the dialer was down): pause, and say why."""
        if not str(event.job_id).startswith("campaign-start-"):
            return
        campaign_id = int(str(event.job_id).rsplit("-", 1)[1])
        with self.dialer.sessions.begin() as session:
            campaign = session.get(Campaign, campaign_id, with_for_update=True)
            if campaign is not None and campaign.status == "scheduled":
                campaign.status = "paused"
                campaign.status_note = (
                    f"start at {campaign.starts_at:%Y-%m-%d %H:%M} UTC missed while no dialer ran; resume to start"
                )
                log.warning("campaign %s: scheduled start missed, paused", campaign_id)


def start_scheduler(dialer: Dialer, *, background: bool = True, interval: float | None = None):  # type: ignore[no-untyped-def]
    """Run a dialer process (see DialerService) and return its APScheduler scheduler."""
    service = DialerService(dialer, interval=interval)
    scheduler = service.start(background=background)
    scheduler.callbot_service = service  # type: ignore[attr-defined]
    return scheduler
