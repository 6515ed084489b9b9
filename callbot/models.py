"""SQLAlchemy 2 typed models: campaigns, leads, call attempts and their raw events, the queue, users."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from callbot.db import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Call statuses that mean the call is still alive at Twilio (or about to be).
LIVE_CALL_STATUSES = ("created", "queued", "initiated", "ringing", "in-progress")
FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")
# A lead the dialer may take now, and one waiting for its time (the predicates of two partial indexes).
READY = "status IN ('callable', 'callback') AND next_attempt_at IS NULL"
WAITING = "status IN ('callable', 'callback') AND next_attempt_at IS NOT NULL"


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: sa.JSON(), list[Any]: sa.JSON()}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))  # admin · telesales · viewer
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out and password change: every cookie carrying an older version stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Live transfer: an agent's phone, whether they take transferred calls now, and the call ringing them.
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    available: Mapped[bool] = mapped_column(default=False)
    transfer_attempt_id: Mapped[int | None]  # the call being transferred to them (they are busy)
    transfer_until: Mapped[dt.datetime | None]  # and until when that reservation holds, at the latest


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    company: Mapped[str] = mapped_column(sa.String(200), default="")
    service: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    starts_at: Mapped[dt.datetime | None]
    # Calling rules: the preset names the law they come from; window in the campaign's time zone.
    rules_preset: Mapped[str] = mapped_column(sa.String(20), default="vn")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Ho_Chi_Minh")
    window_start: Mapped[dt.time] = mapped_column(default=dt.time(8, 0))
    window_end: Mapped[dt.time] = mapped_column(default=dt.time(17, 0))
    # Days calls are allowed on (ISO weekdays, "1" = Monday … "7" = Sunday) and the public holidays to skip.
    weekdays: Mapped[str] = mapped_column(sa.String(7), default="123456")
    holiday_country: Mapped[str | None] = mapped_column(sa.String(2))
    extra_holidays: Mapped[list[Any]] = mapped_column(default=list)  # ISO dates ("2026-12-31")
    # At most this many calls to one number within `number_cap_hours`, counted across every campaign (0 = no cap).
    max_calls_per_number: Mapped[int] = mapped_column(default=1)
    number_cap_hours: Mapped[int] = mapped_column(default=24)
    max_attempts: Mapped[int] = mapped_column(default=3)
    # Per outcome: {"no_answer": {"delays": [1800, 7200, 86400], "max": 3}, …}; missing outcomes use the defaults.
    retry_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    callback_delay_seconds: Mapped[int] = mapped_column(default=86400)
    max_concurrent_calls: Mapped[int] = mapped_column(default=5)
    calls_per_second: Mapped[float | None] = mapped_column(sa.Float)  # the campaign's own pace, under the account's
    # The distinct time zones of the campaign's leads (besides `timezone`), kept up to date by intake.
    lead_timezones: Mapped[list[Any]] = mapped_column(default=list)
    status_note: Mapped[str | None] = mapped_column(sa.String(300))  # why it was paused, e.g. a missed start
    # Completes by itself when no lead is left to call; False keeps it running for leads still to come (the API).
    auto_complete: Mapped[bool] = mapped_column(default=True)
    # What callers hear: the campaign's own texts over the language's default script, its voice, recordings.
    script_texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    voice: Mapped[str | None] = mapped_column(sa.String(60))
    audio: Mapped[dict[str, Any]] = mapped_column(default=dict)  # text key -> URL played instead of the voice
    machine_action: Mapped[str] = mapped_column(sa.String(10), default="message")  # message · hangup
    record_calls: Mapped[bool] = mapped_column(default=False)
    live_transfer: Mapped[bool] = mapped_column(default=False)  # offer an interested lead a live agent
    transfer_timeout_seconds: Mapped[int] = mapped_column(default=20)
    ring_timeout_seconds: Mapped[int] = mapped_column(default=30)
    language: Mapped[str] = mapped_column(sa.String(5), default="vi")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]

    leads: Mapped[list[Lead]] = relationship(back_populates="campaign")


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        # One callable lead per number per campaign; duplicate, blocked and junk rows are kept but hold nothing.
        sa.Index(
            "uq_leads_campaign_callable_phone",
            "campaign_id",
            "phone_e164",
            unique=True,
            sqlite_where=sa.text("verdict IN ('ok', 'suspect')"),
            postgresql_where=sa.text("verdict IN ('ok', 'suspect')"),
        ),
        sa.Index("ix_leads_dial_order", "campaign_id", "status", "next_attempt_at"),
        # The dialer's order among leads due now (priority, score, freshest registration, newest row): one index
        # walk, whatever the campaign's size. PostgreSQL sorts NULLs first when descending; SQLite last.
        sa.Index(
            "ix_leads_ready",
            "campaign_id",
            sa.desc("priority"),
            sa.desc("score"),
            sa.desc("registered_at"),
            sa.desc("id"),
            sqlite_where=sa.text(READY),
        ).ddl_if(dialect="sqlite"),
        sa.Index(
            "ix_leads_ready",
            "campaign_id",
            sa.desc("priority"),
            sa.desc("score"),
            sa.text("registered_at DESC NULLS LAST"),
            sa.desc("id"),
            postgresql_where=sa.text(READY),
        ).ddl_if(dialect="postgresql"),
        # Leads waiting for a retry or a callback time, found by when they fall due.
        sa.Index(
            "ix_leads_waiting",
            "next_attempt_at",
            sqlite_where=sa.text(WAITING),
            postgresql_where=sa.text(WAITING),
        ),
        # Looking a number up within a campaign (intake's duplicates); without it SQLite scans the campaign.
        sa.Index("ix_leads_campaign_phone", "campaign_id", "phone_e164"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    row_number: Mapped[int | None]  # line in the source file (1 = header)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the row exactly as received
    name: Mapped[str | None] = mapped_column(sa.String(200))
    phone_raw: Mapped[str | None] = mapped_column(sa.String(100))
    phone_e164: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    service: Mapped[str | None] = mapped_column(sa.String(200))
    source: Mapped[str | None] = mapped_column(sa.String(50))
    registered_at: Mapped[dt.datetime | None]
    verdict: Mapped[str] = mapped_column(sa.String(20))  # ok · suspect · junk · duplicate · blocked
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id"))
    import_batch: Mapped[str | None] = mapped_column(sa.String(32), index=True)  # which upload it came in
    status: Mapped[str] = mapped_column(sa.String(20), default="new")
    attempts: Mapped[int] = mapped_column(default=0)
    # NULL: due now (when its window is open); a time: waiting until then for a retry, a callback or a cap.
    next_attempt_at: Mapped[dt.datetime | None]
    wait_reason: Mapped[str | None] = mapped_column(sa.String(30))  # why it waits: retry · callback · number_cap …
    priority: Mapped[int] = mapped_column(default=0)  # 1: arrived live (speed to lead), dialled before the rest
    # The number's time zones ("America/New_York"; several joined by ","); NULL: the campaign's time zone.
    timezone: Mapped[str | None] = mapped_column(sa.String(200))
    last_outcome: Mapped[str | None] = mapped_column(sa.String(30))
    pre_score: Mapped[int] = mapped_column(default=0)
    score: Mapped[int] = mapped_column(default=0)
    tier: Mapped[str] = mapped_column(sa.String(10), default="cold")
    score_reasons: Mapped[list[Any]] = mapped_column(default=list)
    # Where and when the person agreed to be called (a form, a call, a signed paper…): personal-data law asks for it.
    consent_source: Mapped[str | None] = mapped_column(sa.String(100))
    consent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="leads")
    attempts_list: Mapped[list[CallAttempt]] = relationship(back_populates="lead", order_by="CallAttempt.id")


# "The attempt is live" as the partial indexes on call_attempts spell it. SQLAlchemy writes a boolean test as
# `live = 1` or `live IS 1` on SQLite, which SQLite cannot match to an index's `WHERE live`: every count of live
# calls then read the whole call history. Queries that should use those indexes filter with this instead.
LIVE_ATTEMPT = sa.text("call_attempts.live")


class CallAttempt(Base):
    __tablename__ = "call_attempts"
    __table_args__ = (
        # The database, not hope, forbids a lead from being in two live calls at once.
        sa.Index(
            "uq_call_attempts_live_lead",
            "lead_id",
            unique=True,
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        ),
        sa.UniqueConstraint("lead_id", "attempt_no"),
        # Live calls per campaign, counted on every claim.
        sa.Index(
            "ix_call_attempts_live_campaign",
            "campaign_id",
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        ),
        # Calls to one number in the last 24 h, across campaigns (the per-number cap).
        sa.Index("ix_call_attempts_number_time", "to_number", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    attempt_no: Mapped[int]
    to_number: Mapped[str | None] = mapped_column(sa.String(20))  # the E.164 number dialled
    call_sid: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="created")
    live: Mapped[bool] = mapped_column(default=True)
    answered_by: Mapped[str | None] = mapped_column(sa.String(30))
    outcome: Mapped[str | None] = mapped_column(sa.String(30))
    identity_confirmed: Mapped[bool | None]
    interest: Mapped[str | None] = mapped_column(sa.String(20))
    flow_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    duration_seconds: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[dt.datetime | None]  # last time the reconciler asked the provider about it
    recording_url: Mapped[str | None] = mapped_column(sa.String(500))
    recording_seconds: Mapped[int | None]
    transfer_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    transfer_status: Mapped[str | None] = mapped_column(sa.String(20))  # dialing · completed · no-answer · busy …
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]

    lead: Mapped[Lead] = relationship(back_populates="attempts_list")
    events: Mapped[list[CallEvent]] = relationship(back_populates="attempt", order_by="CallEvent.id")


class CallEvent(Base):
    """The raw journal of every verified Twilio request (append-only)."""

    __tablename__ = "call_events"
    __table_args__ = (sa.UniqueConstraint("call_sid", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("call_attempts.id", ondelete="CASCADE"), index=True)
    call_sid: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # status · voice · gather · fallback
    # Set only on the event that was applied; a repeat of it keeps NULL here and applied=False.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(80))
    applied: Mapped[bool] = mapped_column(default=False)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    response: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    attempt: Mapped[CallAttempt | None] = relationship(back_populates="events")


class QueueItem(Base):
    """A qualified lead waiting for (or held by) a telesales agent; one per lead.

    Open (`disposition` NULL): in the queue, or held by `claimed_by_id` until `lease_expires_at`. Disposed: the
    agent's last disposition; a `follow_up` comes back to that agent at `follow_up_at` (then to anyone).
    """

    __tablename__ = "queue_items"
    __table_args__ = (
        # "Next lead" walks the open items backwards: score, then the freshest (one index walk, any queue size).
        sa.Index(
            "ix_queue_items_open",
            "score",
            "enqueued_at",
            "id",
            sqlite_where=sa.text("disposition IS NULL"),
            postgresql_where=sa.text("disposition IS NULL"),
        ),
        # Follow-ups found by when they fall due.
        sa.Index(
            "ix_queue_items_follow_up",
            "follow_up_at",
            sqlite_where=sa.text("disposition = 'follow_up'"),
            postgresql_where=sa.text("disposition = 'follow_up'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    score: Mapped[int]
    enqueued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The agent holding it, or the last one who did (who gets a follow-up back first).
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    claimed_at: Mapped[dt.datetime | None]
    lease_expires_at: Mapped[dt.datetime | None]
    disposition: Mapped[str | None] = mapped_column(sa.String(30))
    note: Mapped[str | None] = mapped_column(sa.Text)
    follow_up_at: Mapped[dt.datetime | None]
    disposed_at: Mapped[dt.datetime | None]
    # Every disposition recorded on this lead, oldest first: {"at", "by", "by_name", "disposition", "note",
    # "follow_up_at"} (times as ISO text), so earlier agents' notes survive a follow-up round.
    history: Mapped[list[Any]] = mapped_column(default=list)

    lead: Mapped[Lead] = relationship()
    claimed_by: Mapped[User | None] = relationship()


class DoNotCall(Base):
    __tablename__ = "do_not_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_e164: Mapped[str] = mapped_column(sa.String(20), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(50))  # opt_out · national_list · manual
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecordingDeletion(Base):
    """Call recordings still to delete at the provider, left by an erasure or the retention job (privacy.py): every
    recording the provider lists for `call_sid`, plus the `recording_sids` its recording callbacks named. The row
    goes once they are all gone; until then each try is counted and its error kept. Holds no personal data."""

    __tablename__ = "recording_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    recording_sids: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(sa.String(20))  # erasure · retention
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    tries: Mapped[int] = mapped_column(default=0)
    tried_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SignInFailure(Base):
    """A failed sign-in, counted per account and per address to throttle guessing (shared by every web worker).
    `key` is a SHA-256 of the e-mail or the address: the table need not hold either."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (sa.Index("ix_sign_in_failures_lookup", "scope", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(10))  # account · address
    key: Mapped[str] = mapped_column(sa.String(64))
    failed_at: Mapped[dt.datetime]


class RateLimit(Base):
    """A token bucket shared by every dialer process: the row is locked while a call is claimed."""

    __tablename__ = "rate_limits"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)  # "account" · "campaign:<id>"
    tokens: Mapped[float] = mapped_column(sa.Float)
    updated: Mapped[float] = mapped_column(sa.Float)  # Unix time of the last refill


class Lease(Base):
    """A named lease held by one process at a time (e.g. the dialer that runs the persistent scheduler)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(100))
    expires_at: Mapped[dt.datetime]


# APScheduler's job store (scheduled campaign starts), created by our migrations rather than by APScheduler itself.
apscheduler_jobs = sa.Table(
    "apscheduler_jobs",
    Base.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)


class ApiToken(Base):
    """A secret for the JSON API: only its SHA-256 is stored (the secret is shown once); scoped; revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))  # who or what uses it, e.g. "website form"
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 hex of the secret
    prefix: Mapped[str] = mapped_column(sa.String(16))  # the secret's first characters, to recognise it by
    scopes: Mapped[list[Any]] = mapped_column(default=list)  # e.g. ["leads:write"]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


# The ranking tables (issue 7) live in their own modules; importing them here puts them in Base.metadata.
from callbot import lead_segments, model_versions, score_weights  # noqa: E402,F401
