"""Call events: journal every verified Twilio request, then apply it once, moving the call only forward."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, joinedload
from twilio.twiml.voice_response import VoiceResponse

from callbot import compliance, dnc, flow, logs, queue
from callbot import leads as lead_service
from callbot.models import FINAL_CALL_STATUSES, CallAttempt, CallEvent, Lead, QueueItem, User
from callbot.scripts import script_for

log = logging.getLogger(__name__)

# A call's status only moves forward along these ranks; every final status shares the last rank.
STATUS_RANK = {"created": 0, "queued": 1, "initiated": 2, "ringing": 3, "in-progress": 4}
STATUS_RANK.update({status: 5 for status in FINAL_CALL_STATUSES})
# Call-progress statuses: a status callback with one of these only moves the call forward (see `_progress`).
PROGRESS_STATUSES = ("queued", "initiated", "ringing", "in-progress")
KINDS = ("status", "voice", "gather", "fallback", "recording", "transfer", "whisper")
# How long an agent stays reserved for a transfer beyond the ring time, if the transfer's result never comes.
TRANSFER_GRACE = dt.timedelta(minutes=2)
_WITH_LEAD_AND_CAMPAIGN = joinedload(CallAttempt.lead, innerjoin=True).joinedload(Lead.campaign, innerjoin=True)


@dataclass(frozen=True)
class CallUrls:
    """Builds the absolute webhook URLs Twilio is given for an attempt (the public base URL + our routes)."""

    base: str

    def voice(self, attempt_id: int) -> str:
        return f"{self.base}/twilio/voice?attempt={attempt_id}"

    def status(self, attempt_id: int) -> str:
        return f"{self.base}/twilio/status?attempt={attempt_id}"

    def gather(self, attempt_id: int, turn: int) -> str:
        return f"{self.base}/twilio/gather?attempt={attempt_id}&turn={turn}"

    def fallback(self, attempt_id: int) -> str:
        return f"{self.base}/twilio/fallback?attempt={attempt_id}"

    def recording(self, attempt_id: int) -> str:
        return f"{self.base}/twilio/recording?attempt={attempt_id}"

    def transfer(self, attempt_id: int) -> str:
        return f"{self.base}/twilio/transfer?attempt={attempt_id}"

    def whisper(self, attempt_id: int) -> str:
        return f"{self.base}/twilio/whisper?attempt={attempt_id}"


def receive(
    session: Session,
    kind: str,
    params: Mapping[str, str],
    attempt_id: int | None,
    urls: CallUrls,
    now: dt.datetime,
    *,
    turn: int | None = None,
) -> str:
    """Journal one verified Twilio request, apply it exactly once, commit, and return the TwiML to answer with.

    The journal row and everything the request changes commit in one transaction, so the journal never holds an
    applied event whose effects were lost, nor the other way round. When applying fails, the transaction is rolled
    back and the raw request is journaled (not applied) in a transaction of its own before the error propagates.
    """
    call_sid = _call_sid(params.get("CallSid"))
    try:
        twiml = _receive(session, kind, params, call_sid, attempt_id, urls, now, turn)
        session.commit()
        return twiml
    except BaseException:
        session.rollback()
        attempt = sa.select(CallAttempt.id).where(CallAttempt.id == attempt_id).scalar_subquery()
        _journal(session, kind, params, attempt if attempt_id is not None else None, call_sid, now)
        session.commit()
        raise


def _receive(
    session: Session,
    kind: str,
    raw: Mapping[str, str],
    call_sid: str | None,
    attempt_id: int | None,
    urls: CallUrls,
    now: dt.datetime,
    turn: int | None,
) -> str:
    if kind == "status" and raw.get("CallStatus") in PROGRESS_STATUSES and call_sid and attempt_id is not None:
        answered = _progress(session, raw, call_sid, attempt_id, now)
        if answered is not None:
            return answered
    found, attempt = _locked_attempt(session, kind, raw, call_sid, attempt_id)
    if attempt is None:
        _journal(session, kind, raw, found, call_sid, now)
        log.info("webhook %s for no call of ours (attempt %s): polite hang-up", kind, attempt_id)
        return hangup_twiml("vi")
    # Every later line of this request (the app's and the errors Flask logs) names the lead and campaign too.
    logs.add(lead_id=attempt.lead_id, campaign_id=attempt.campaign_id)
    # The journal keeps the raw values; what is copied into columns must not carry a NUL (PostgreSQL's text
    # cannot hold one).
    params = {name: value.replace("\x00", "") for name, value in raw.items()}
    key = _dedupe_key(kind, params, turn)
    # Status and recording callbacks are always answered with empty TwiML: stored with the event at once.
    quiet = kind in ("status", "recording")
    event_id = _journal_first(session, kind, raw, found, call_sid, now, key, empty_twiml() if quiet else None)
    if event_id is None:
        # A repeat (Twilio retried, or sent a callback twice): journaled, answered as before, nothing changed.
        earlier = session.scalar(
            sa.select(CallEvent.response).where(CallEvent.call_sid == call_sid, CallEvent.dedupe_key == key)
        )
        _journal(session, kind, raw, found, call_sid, now)
        log.debug("webhook %s (%s) repeated: answered as before", kind, key)
        return earlier or empty_twiml()
    if kind == "status":
        twiml = _apply_status(session, attempt, params, now)
    elif kind == "voice":
        twiml = _apply_answer(session, attempt, params, urls, now)
    elif kind == "gather":
        twiml = _apply_gather(session, attempt, params, urls, now)
    elif kind == "recording":
        twiml = _apply_recording(attempt, params)
    elif kind == "transfer":
        twiml = _apply_transfer(session, attempt, params, urls, now)
    elif kind == "whisper":
        twiml = flow.whisper(_context(attempt, urls, now))
    else:
        twiml = _apply_fallback(attempt, params)
    if not quiet:
        session.execute(sa.update(CallEvent.__table__).where(CallEvent.id == event_id).values(response=twiml))
    log.debug("webhook %s (%s) applied: call %s", kind, key, attempt.status)
    return twiml


def _progress(session: Session, raw: Mapping[str, str], call_sid: str, attempt_id: int, now: dt.datetime) -> str | None:
    """The commonest webhook, a call's progress (initiated, ringing, answered) for the attempt it names, in two
    statements (one on PostgreSQL) and no ORM load: one UPDATE moves the status forward and adopts the CallSid
    (its row lock orders the call's concurrent callbacks, as the general path's locking SELECT does), then the
    journal INSERT. Applying a progress event twice changes nothing (the status only moves forward; the answer
    time and AnsweredBy are kept once set), so a repeat found by the journal needs no undoing. None when the
    UPDATE matched no row (no such attempt, or the CallSid is another call's): the general path decides."""
    status = raw["CallStatus"]
    answered_by = raw.get("AnsweredBy", "").replace("\x00", "")[:30]
    key = _dedupe_key("status", raw, None)
    values = {
        "p_attempt": attempt_id,
        "p_sid": call_sid,
        "p_status": status,
        "p_rank": STATUS_RANK[status],
        "p_answering": status == "in-progress",
        "p_now": now,
        "p_answered_by": answered_by or None,
    }
    if session.get_bind().dialect.name == "postgresql":
        journal = {"p_params": dict(raw), "p_key": key, "p_response": empty_twiml()}
        row = session.execute(_PROGRESS[1], {**values, **journal}).first()
        if row is None:
            return None
        applied = row.event_id is not None
    else:
        row = session.execute(_PROGRESS[0], values).first()
        if row is None:
            return None
        applied = _journal_first(session, "status", raw, attempt_id, call_sid, now, key, empty_twiml()) is not None
    logs.add(lead_id=row.lead_id, campaign_id=row.campaign_id)
    if not applied:
        _journal(session, "status", raw, attempt_id, call_sid, now)
        log.debug("webhook status (%s) repeated: answered as before", key)
    else:
        log.debug("webhook status (%s) applied", key)
    return empty_twiml()


def _progress_statements() -> tuple[sa.Update, sa.Select[Any]]:
    """`_progress`'s statements, built once (their parameters bound per request, their compiled forms cached): the
    UPDATE, and for PostgreSQL that UPDATE and the journal INSERT in one statement (data-modifying CTEs), which
    saves a round trip: `(lead_id, campaign_id, event_id)`, no row when the UPDATE matched none, `event_id` NULL
    when the journal already held the event (a repeat)."""
    p = {name: sa.bindparam(f"p_{name}", type_=kind) for name, kind in _PROGRESS_PARAMS.items()}
    rank = sa.case(STATUS_RANK, value=CallAttempt.status, else_=0)
    forward = rank < p["rank"]
    other = aliased(CallAttempt)
    adoptable = sa.and_(
        CallAttempt.call_sid.is_(None), ~sa.exists().where(other.call_sid == p["sid"], other.id != p["attempt"])
    )
    unset = sa.or_(CallAttempt.answered_by.is_(None), CallAttempt.answered_by == "")
    update = (
        sa.update(CallAttempt)
        .where(CallAttempt.id == p["attempt"], sa.or_(CallAttempt.call_sid == p["sid"], adoptable))
        .values(
            status=sa.case((forward, p["status"]), else_=CallAttempt.status),
            call_sid=sa.func.coalesce(CallAttempt.call_sid, p["sid"]),
            answered_at=sa.case(
                (sa.and_(p["answering"], forward, CallAttempt.answered_at.is_(None)), p["now"]),
                else_=CallAttempt.answered_at,
            ),
            answered_by=sa.case(
                (sa.and_(unset, p["answered_by"].is_not(None)), p["answered_by"]), else_=CallAttempt.answered_by
            ),
        )
        .returning(CallAttempt.lead_id, CallAttempt.campaign_id)
        .execution_options(synchronize_session=False)
    )
    events = CallEvent.__table__
    progressed = update.cte("progressed")
    columns = ["attempt_id", "call_sid", "kind", "params", "received_at", "dedupe_key", "applied", "response"]
    row = sa.select(
        sa.cast(p["attempt"], sa.Integer),
        sa.cast(p["sid"], sa.String),
        sa.literal("status"),
        sa.cast(p["params"], events.c.params.type),
        sa.cast(p["now"], sa.DateTime(timezone=True)),
        sa.cast(p["key"], sa.String),
        sa.true(),
        sa.cast(p["response"], sa.Text),
    ).select_from(progressed)
    journaled = (
        postgresql.insert(events)
        .from_select(columns, row)
        .on_conflict_do_nothing(index_elements=["call_sid", "dedupe_key"])
        .returning(events.c.id)
        .cte("journaled")
    )
    event_id = sa.select(journaled.c.id).scalar_subquery().label("event_id")
    return update, sa.select(progressed.c.lead_id, progressed.c.campaign_id, event_id)


_PROGRESS_PARAMS = {
    "attempt": sa.Integer(),
    "sid": sa.String(40),
    "status": sa.String(20),
    "rank": sa.Integer(),
    "answering": sa.Boolean(),
    "now": sa.DateTime(timezone=True),
    "answered_by": sa.String(30),
    "params": CallEvent.__table__.c.params.type,
    "key": sa.String(80),
    "response": sa.Text(),
}
_PROGRESS = _progress_statements()


def _journal(
    session: Session, kind: str, params: Mapping[str, str], attempt_id: object, call_sid: str | None, now: dt.datetime
) -> None:
    """Store a raw request that is not applied (one INSERT, no ORM object)."""
    session.execute(
        sa.insert(CallEvent.__table__).values(
            attempt_id=attempt_id, call_sid=call_sid, kind=kind, params=dict(params), received_at=now
        )
    )


def _journal_first(
    session: Session,
    kind: str,
    params: Mapping[str, str],
    attempt_id: int | None,
    call_sid: str | None,
    now: dt.datetime,
    key: str,
    response: str | None,
) -> int | None:
    """Store the raw request as the one applied event of its (CallSid, dedupe key), before anything else: its id,
    or None when that event was applied before (a repeat). The unique (call_sid, dedupe_key) decides, in one
    statement; a concurrent twin waits for the first to commit, then finds it."""
    values = {
        "attempt_id": attempt_id,
        "call_sid": call_sid,
        "kind": kind,
        "params": dict(params),
        "received_at": now,
        "dedupe_key": key,
        "applied": True,
        "response": response,
    }
    if call_sid is None:
        # NULLs never conflict in a unique index: look for the earlier event of this key instead.
        earlier = sa.select(CallEvent.id).where(CallEvent.call_sid.is_(None), CallEvent.dedupe_key == key)
        if session.scalar(earlier.limit(1)) is not None:
            return None
        return session.scalar(sa.insert(CallEvent.__table__).values(values).returning(CallEvent.id))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CallEvent.__table__).values(values)
    statement = statement.on_conflict_do_nothing(index_elements=["call_sid", "dedupe_key"])
    return session.scalar(statement.returning(CallEvent.id))


def _call_sid(raw: str | None) -> str | None:
    """A CallSid as Twilio writes them ("CA" + 32 hex); anything longer, or with a NUL (which PostgreSQL's text
    cannot hold), is not one (the raw params keep it)."""
    return raw if raw and len(raw) <= 40 and "\x00" not in raw else None


def _locked_attempt(
    session: Session, kind: str, params: Mapping[str, str], call_sid: str | None, attempt_id: int | None
) -> tuple[int | None, CallAttempt | None]:
    """The attempt the request names (its id if it exists) and, when the request is really that attempt's, the
    attempt itself, locked so that concurrent callbacks of one call apply in turn."""
    if attempt_id is None:
        return None, None
    # The lead and its campaign come in the same query when the event needs them (all but the progress of a call:
    # initiated, ringing, answered); only the attempt's row is locked.
    progress = kind == "status" and params.get("CallStatus") not in FINAL_CALL_STATUSES
    attempt = session.get(
        CallAttempt,
        attempt_id,
        with_for_update={"of": CallAttempt},
        populate_existing=True,
        options=[] if progress else [_WITH_LEAD_AND_CAMPAIGN],
    )
    if attempt is None:
        return None, None
    # The whisper comes from the agent's leg: its own CallSid, the lead's call in ParentCallSid.
    sid = params.get("ParentCallSid") if kind == "whisper" else call_sid
    if attempt.call_sid and sid and attempt.call_sid != sid:
        return attempt.id, None
    if attempt.call_sid is None and _call_sid(sid):
        # The first news of the call (before the dialer saved its CallSid): adopt it, unless another attempt has
        # that CallSid already, in which case the event is not this attempt's.
        if session.scalar(sa.select(CallAttempt.id).where(CallAttempt.call_sid == sid, CallAttempt.id != attempt.id)):
            return attempt.id, None
        attempt.call_sid = sid
    return attempt.id, attempt


def _dedupe_key(kind: str, params: Mapping[str, str], turn: int | None) -> str:
    if kind == "status":
        status = params.get("CallStatus", "")
        return f"status:{status if status in STATUS_RANK else 'unknown'}"
    if kind == "gather":
        return f"gather:{turn if turn is not None else ''}"
    if kind == "recording":
        return f"recording:{(params.get('RecordingSid') or '')[:40]}"
    return kind


def _advance(attempt: CallAttempt, status: str, now: dt.datetime) -> bool:
    """Move the attempt to `status` if that is forward; False when it would go back (late or repeated news)."""
    if status not in STATUS_RANK or STATUS_RANK[status] <= STATUS_RANK.get(attempt.status, 0):
        return False
    attempt.status = status
    if status == "in-progress" and attempt.answered_at is None:
        attempt.answered_at = now
    return True


def _apply_status(session: Session, attempt: CallAttempt, params: Mapping[str, str], now: dt.datetime) -> str:
    status = params.get("CallStatus", "")
    if params.get("AnsweredBy") and not attempt.answered_by:
        attempt.answered_by = params["AnsweredBy"][:30]
    if _advance(attempt, status, now) and status in FINAL_CALL_STATUSES:
        duration = params.get("CallDuration") or params.get("Duration")
        seconds = _seconds(duration)
        attempt.duration_seconds = seconds
        finish(session, attempt, now)
    return empty_twiml()


def _context(attempt: CallAttempt, urls: CallUrls, now: dt.datetime | None = None) -> flow.FlowContext:
    lead: Lead = attempt.lead
    campaign = lead.campaign
    return flow.FlowContext(
        name=lead.name,
        service=lead.service or campaign.service,
        company=campaign.company,
        language=campaign.language,
        action_url=lambda turn: urls.gather(attempt.id, turn),
        registered_at=lead.registered_at,
        score=lead.score,
        texts=campaign.script_texts or None,
        voice=campaign.voice,
        audio=campaign.audio or None,
        machine_action=campaign.machine_action,
        recording_notice=campaign.record_calls,
        now=now,
        timezone=(lead.timezone or campaign.timezone).split(",")[0],
    )


def _apply_answer(
    session: Session, attempt: CallAttempt, params: Mapping[str, str], urls: CallUrls, now: dt.datetime
) -> str:
    language = attempt.lead.campaign.language
    if attempt.status in FINAL_CALL_STATUSES:
        return hangup_twiml(language)
    _advance(attempt, "in-progress", now)
    attempt.answered_by = (params.get("AnsweredBy") or "")[:30] or attempt.answered_by
    step = flow.start(_context(attempt, urls, now), attempt.answered_by)
    _store_step(session, attempt, step, now)
    return step.twiml


def _apply_gather(
    session: Session, attempt: CallAttempt, params: Mapping[str, str], urls: CallUrls, now: dt.datetime
) -> str:
    if attempt.status in FINAL_CALL_STATUSES:
        return hangup_twiml(attempt.lead.campaign.language)
    state = flow.FlowState.from_dict(attempt.flow_state)
    ctx = _context(attempt, urls, now)
    step = flow.handle(
        ctx,
        state,
        digits=params.get("Digits") or None,
        speech=params.get("SpeechResult") or None,
        confidence=_float(params.get("Confidence")),
    )
    _store_step(session, attempt, step, now)
    if step.outcome == "interested" and attempt.lead.campaign.live_transfer:
        agent = reserve_agent(session, attempt, now)
        if agent is not None:
            attempt.transfer_to_id, attempt.transfer_status = agent.id, "dialing"
            timeout = attempt.lead.campaign.transfer_timeout_seconds
            assert agent.phone is not None
            return flow.transfer(ctx, agent.phone, urls.whisper(attempt.id), urls.transfer(attempt.id), timeout)
    return step.twiml


def reserve_agent(session: Session, attempt: CallAttempt, now: dt.datetime) -> User | None:
    """Atomically reserve an available agent who is not on another transfer (the longest idle first)."""
    free = sa.and_(
        User.role == "telesales",
        User.active.is_(True),
        User.available.is_(True),
        User.phone.is_not(None),
        sa.or_(User.transfer_attempt_id.is_(None), User.transfer_until < now),
        # not in the middle of another lead from the queue
        ~sa.select(QueueItem.id)
        .where(QueueItem.claimed_by_id == User.id, QueueItem.disposition.is_(None), QueueItem.lease_expires_at > now)
        .exists(),
    )
    candidate = session.scalar(
        sa.select(User.id)
        .where(free)
        .order_by(sa.func.coalesce(User.transfer_until, sa.literal(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))), User.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if candidate is None:
        return None
    timeout = dt.timedelta(seconds=attempt.lead.campaign.transfer_timeout_seconds)
    reserved = session.scalar(
        sa.update(User)
        .where(User.id == candidate, free)
        .values(transfer_attempt_id=attempt.id, transfer_until=now + timeout + TRANSFER_GRACE)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return None if reserved is None else session.get(User, reserved, populate_existing=True)


def _apply_transfer(
    session: Session, attempt: CallAttempt, params: Mapping[str, str], urls: CallUrls, now: dt.datetime
) -> str:
    """The agent's leg ended: put the lead in the agent's hands, or promise a callback from the queue."""
    status = (params.get("DialCallStatus") or "failed")[:20]
    attempt.transfer_status = status
    agent_id = attempt.transfer_to_id
    if agent_id is not None:
        session.execute(
            sa.update(User)
            .where(User.id == agent_id, User.transfer_attempt_id == attempt.id)
            .values(transfer_attempt_id=None, transfer_until=None)
            .execution_options(synchronize_session=False)
        )
    if status in ("completed", "answered") and agent_id is not None:
        queue.hand_to(session, attempt.lead_id, agent_id, now)
        response = VoiceResponse()
        response.hangup()
        return str(response)
    return flow.transfer_failed(_context(attempt, urls, now))


def _apply_recording(attempt: CallAttempt, params: Mapping[str, str]) -> str:
    """The call's recording is ready: keep its link and length for the call's timeline."""
    url = params.get("RecordingUrl") or ""
    if (
        params.get("RecordingStatus", "completed") == "completed"
        and url.startswith(("https://", "http://"))
        and len(url) <= 500
    ):
        attempt.recording_url = url
        duration = params.get("RecordingDuration") or ""
        attempt.recording_seconds = _seconds(duration)
    return empty_twiml()


def _apply_fallback(attempt: CallAttempt, params: Mapping[str, str]) -> str:
    attempt.error = f"fallback: error {params.get('ErrorCode', '?')} at {params.get('ErrorUrl', '?')}"[:500]
    return hangup_twiml(attempt.lead.campaign.language)


def _store_step(session: Session, attempt: CallAttempt, step: flow.Step, now: dt.datetime) -> None:
    attempt.flow_state = step.state.to_dict()
    attempt.identity_confirmed = step.state.identity_confirmed
    attempt.interest = step.state.interest
    if step.outcome and not attempt.outcome:
        attempt.outcome = step.outcome
        _decide(session, attempt, step.outcome, now)


def _decide(session: Session, attempt: CallAttempt, outcome: str, now: dt.datetime) -> None:
    """Act on a decisive answer at once, in the transaction that records it."""
    lead = attempt.lead
    campaign = lead.campaign
    lead.last_outcome = outcome
    if outcome in ("voicemail", "no_input"):
        return  # decided when the call ends: retry or give up
    lead_service.score_after_call(lead, attempt, now)
    if outcome == "interested":
        lead_service.set_status(lead, "queued", now)
        queue.enqueue(session, lead, now)
    elif outcome == "not_interested":
        lead_service.set_status(lead, "not_interested", now)
    elif outcome == "wrong_person":
        lead_service.set_status(lead, "wrong_number", now)
    elif outcome == "callback":
        lead_service.set_status(lead, "callback", now)
        asked = _asked_time(attempt.flow_state.get("callback_at"), now)
        lead.next_attempt_at = asked or now + dt.timedelta(seconds=campaign.callback_delay_seconds)
        lead.wait_reason = "callback"
    elif outcome == "opted_out":
        lead_service.set_status(lead, "opted_out", now)
        if lead.phone_e164:
            dnc.add(session, lead.phone_e164, "opt_out", now)


def finish(session: Session, attempt: CallAttempt, now: dt.datetime) -> None:
    """The call has ended: free the lead, and retry it or give up when the call decided nothing."""
    attempt.live = False
    attempt.ended_at = attempt.ended_at or now
    lead: Lead = attempt.lead
    if attempt.outcome is None:
        attempt.outcome = _undecided_outcome(attempt)
    lead.last_outcome = attempt.outcome
    if lead.status != "dialing":
        return  # the conversation already decided the lead's fate
    lead_service.score_after_call(lead, attempt, now)
    delay = compliance.retry_delay(lead.campaign, attempt.outcome, _times(session, attempt), lead.attempts)
    if delay is None:
        lead_service.set_status(lead, "unreachable", now)
        lead.next_attempt_at = lead.wait_reason = None
    else:
        lead_service.set_status(lead, "callable", now)
        # Due at once or later: the window, the days and the per-number cap are checked again at dial time.
        lead.next_attempt_at = now + delay if delay else None
        lead.wait_reason = "retry" if delay else None


def _times(session: Session, attempt: CallAttempt) -> int:
    """How many of the lead's calls ended with this attempt's outcome (counting it; "canceled" as "failed")."""
    outcome = compliance.RETRY_ALIASES.get(attempt.outcome or "", attempt.outcome)
    same = [o for o, alias in compliance.RETRY_ALIASES.items() if alias == outcome] + [outcome]
    earlier = session.scalar(
        sa.select(sa.func.count()).where(
            CallAttempt.lead_id == attempt.lead_id, CallAttempt.id != attempt.id, CallAttempt.outcome.in_(same)
        )
    )
    return int(earlier or 0) + 1


def _asked_time(raw: object, now: dt.datetime) -> dt.datetime | None:
    """The callback time the caller asked for, if it is a sane future time."""
    try:
        moment = dt.datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None or not now < moment < now + dt.timedelta(days=366):
        return None
    return moment


def _undecided_outcome(attempt: CallAttempt) -> str:
    if attempt.status == "no-answer":
        return "no_answer"
    if attempt.status in ("busy", "failed", "canceled"):
        return attempt.status
    if attempt.answered_by and attempt.answered_by.startswith(("machine", "fax")):
        return "voicemail"
    return "hung_up" if attempt.answered_at else "no_answer"


def _seconds(raw: str | None) -> int | None:
    """A duration as Twilio sends it (ASCII digits; str.isdigit alone takes "²", which int() refuses)."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else None


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def empty_twiml() -> str:
    """An empty TwiML document (the answer to status callbacks)."""
    return str(VoiceResponse())


def hangup_twiml(language: str) -> str:
    """A polite goodbye and hang-up, for calls we do not know or that are already over."""
    response = VoiceResponse()
    response.say(script_for(language).texts["goodbye"], **_voice(language))
    response.hangup()
    return str(response)


def _voice(language: str) -> dict[str, str]:
    lang, voice = flow.VOICES.get(language, flow.VOICES["vi"])
    return {"language": lang, "voice": voice}
