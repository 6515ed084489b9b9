"""Personal data on request and on schedule: erasing a person (`callbot privacy erase NUMBER`) and the retention
policy (junk and unreachable leads made anonymous after CALLBOT_RETENTION_DAYS).

Erasing keeps the rows and blanks what identifies the person, so campaign counts, funnels and call statistics stay
true: leads lose name, number, e-mail and raw cells; their calls lose the number dialled, what was said, the
recording's link and the raw webhook parameters; queue items lose agents' notes; audit entries have the number
masked. The number itself stays in one place only, the do-not-call list, which is what stops it being called again.

Recordings of the person's calls are kept at Twilio, so they are deleted there too. The same transaction that blanks
our rows writes a to-do row per call that may have been recorded (`recording_deletions`: the CallSid and the
RecordingSids our recording callbacks named; no personal data), so the erasure is complete in our database whatever
Twilio does. Then `delete_recordings` works through every to-do row: it lists the call's recordings at Twilio and
deletes each, one already gone (404) counting as deleted, and removes the row; a failure leaves the row with its
error and number of tries, to be retried by the next erase, by `callbot privacy recordings` or by the dialer's daily
retention job. The retention policy queues the recordings of the leads it makes anonymous in the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from callbot import dnc, users
from callbot.errors import CallbotError, TelephonyError
from callbot.logs import mask_number
from callbot.models import AuditLog, CallAttempt, CallEvent, Lead, QueueItem, RecordingDeletion

if TYPE_CHECKING:
    from callbot.telephony import Telephony

log = logging.getLogger(__name__)

# Webhook parameters that say nothing about the person: kept for the call's history and statistics.
ANONYMOUS_PARAMS = frozenset(
    {
        "CallStatus",
        "CallDuration",
        "AnsweredBy",
        "Direction",
        "ApiVersion",
        "SequenceNumber",
        "CallbackSource",
        "Timestamp",
        "MachineDetectionDuration",
        "RecordingDuration",
        "RecordingStatus",
        "DialCallStatus",
        "Digits",
    }
)
ERASABLE_STATUSES = ("new", "rejected", "callable", "callback", "dialing", "queued", "follow_up", "unreachable")
# Twilio records from the answer on: a call that ended in one of these was never answered, so never recorded.
NEVER_ANSWERED = ("busy", "no-answer", "failed", "canceled")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
# Failures that are not about one recording (Twilio unreachable, credentials refused, rate limit, server error):
# the other to-do rows would fail alike, so a run stops at the first of them.
ACCOUNT_WIDE_STATUSES = (401, 403, 429)


@dataclass(frozen=True)
class Erased:
    """What an erasure touched (counts only: the report itself must not identify the person)."""

    leads: int
    calls: int
    events: int
    queue_items: int
    audit_entries: int
    recordings: int  # calls we held a recording link for
    recording_calls: int  # calls whose recordings are now on the to-do list for deletion at Twilio


def number_forms(e164: str) -> tuple[str, ...]:
    """The ways a number appears in stored text: +84901234567, 84901234567 and, for Vietnam, 0901234567."""
    forms = [e164, e164.lstrip("+")]
    if e164.startswith("+84"):
        forms.append("0" + e164[3:])
    return tuple(forms)


def _mentions(column: Any, forms: tuple[str, ...]) -> sa.ColumnElement[bool]:
    text = sa.cast(column, sa.Text)
    return sa.or_(*(text.contains(form, autoescape=True) for form in forms))


def erase_number(session: Session, e164: str, now: dt.datetime, *, user_id: int | None = None) -> Erased:
    """Remove a person's data, found by their number, from every table; put the number on the do-not-call list."""
    forms = number_forms(e164)
    live = session.scalar(
        sa.select(sa.func.count()).select_from(CallAttempt).where(CallAttempt.live, CallAttempt.to_number == e164)
    )
    if live:
        raise CallbotError("a call to this number is under way: erase it when the call has ended")
    lead_ids = list(
        session.scalars(
            sa.select(Lead.id).where(
                sa.or_(Lead.phone_e164 == e164, _mentions(Lead.phone_raw, forms), _mentions(Lead.raw, forms))
            )
        )
    )
    names = {n for n in session.scalars(sa.select(Lead.name).where(Lead.id.in_(lead_ids))) if n and len(n) >= 5}
    calls, events, items, recordings, recording_calls = _anonymize(session, lead_ids, forms, now, "erasure")
    audit_entries = 0
    for entry in session.scalars(
        sa.select(AuditLog).where(
            sa.or_(_mentions(AuditLog.detail, forms), *(_mentions(AuditLog.detail, (n,)) for n in names))
        )
    ):
        text = json.dumps(entry.detail, ensure_ascii=False)
        for form in forms:
            text = text.replace(form, mask_number(form))
        for name in names:
            text = text.replace(name, "*" * len(name))
        entry.detail = json.loads(text)
        audit_entries += 1
    if not dnc.is_listed(session, e164):
        dnc.add(session, e164, "erasure", now)
    result = Erased(len(lead_ids), calls, events, items, audit_entries, recordings, recording_calls)
    users.audit(session, user_id, "privacy_erase", now, number=mask_number(e164), **result.__dict__)
    log.info("erased a person's data: %s", result)
    return result


def apply_retention(session: Session, now: dt.datetime, days: int) -> int:
    """Make junk leads, and leads left unreachable, anonymous once `days` old (0: never); returns how many."""
    if days <= 0:
        return 0
    before = now - dt.timedelta(days=days)
    lead_ids = list(
        session.scalars(
            sa.select(Lead.id).where(
                sa.or_(
                    sa.and_(Lead.verdict == "junk", Lead.created_at < before),
                    sa.and_(Lead.status == "unreachable", Lead.updated_at < before),
                ),
                sa.or_(Lead.phone_e164.is_not(None), Lead.phone_raw.is_not(None), Lead.name.is_not(None)),
            )
        )
    )
    if lead_ids:
        queued = _anonymize(session, lead_ids, (), now, "retention")[4]
        users.audit(session, None, "retention", now, leads=len(lead_ids), days=days, recording_calls=queued)
    return len(lead_ids)


def _anonymize(
    session: Session, lead_ids: list[int], forms: tuple[str, ...], now: dt.datetime, reason: str
) -> tuple[int, ...]:
    """Blank the personal fields of these leads and of everything about them (and, with `forms`, of webhook
    events that name the number without belonging to one of them); put their calls' recordings on the to-do list
    for deletion at the provider. Returns the counts of calls, events, queue items, recording links and calls
    queued for recording deletion."""
    from callbot import leads as lead_service

    for lead in session.scalars(sa.select(Lead).where(Lead.id.in_(lead_ids))):
        lead.name = lead.email = lead.phone_raw = lead.phone_e164 = None
        lead.raw = {}
        lead.next_attempt_at = lead.wait_reason = None
        if lead.status in ERASABLE_STATUSES and "opted_out" in lead_service.TRANSITIONS.get(lead.status, ()):
            lead_service.set_status(lead, "opted_out", now)
        lead.updated_at = now
    attempts = list(session.scalars(sa.select(CallAttempt).where(CallAttempt.lead_id.in_(lead_ids))))
    recordings = sum(1 for a in attempts if a.recording_url)
    recording_calls = _queue_recording_deletions(session, attempts, now, reason)
    for attempt in attempts:
        attempt.to_number = attempt.recording_url = attempt.error = None
        attempt.flow_state = {}
    attempt_ids = [a.id for a in attempts]
    event_filter = CallEvent.attempt_id.in_(attempt_ids)
    if forms:
        event_filter = sa.or_(event_filter, _mentions(CallEvent.params, forms))
    events = list(session.scalars(sa.select(CallEvent).where(event_filter)))
    for event in events:
        event.params = {k: v for k, v in (event.params or {}).items() if k in ANONYMOUS_PARAMS}
        event.response = None  # the TwiML said the person's name
    items = list(session.scalars(sa.select(QueueItem).where(QueueItem.lead_id.in_(lead_ids))))
    for item in items:
        item.note = None
        item.history = [{k: v for k, v in entry.items() if k != "note"} for entry in (item.history or [])]
        if item.disposition is None:
            item.disposition, item.disposed_at, item.lease_expires_at = "do_not_call", now, None
    session.flush()
    return len(attempts), len(events), len(items), recordings, recording_calls


def recording_sid_from_url(url: str | None) -> str | None:
    """The RecordingSid in a recording's URL (Twilio's RecordingUrl ends in /Recordings/RE…, maybe with .mp3)."""
    if not url:
        return None
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0]
    return last if RECORDING_SID.fullmatch(last) else None


def _queue_recording_deletions(session: Session, attempts: list[CallAttempt], now: dt.datetime, reason: str) -> int:
    """A to-do row per call that may have a recording at the provider (answered, or a recording callback came);
    returns how many were queued. Calls already on the list are not queued twice."""
    ids = [a.id for a in attempts]
    named: dict[int, set[str]] = {}
    if ids:
        for attempt_id, params in session.execute(
            sa.select(CallEvent.attempt_id, CallEvent.params).where(
                CallEvent.attempt_id.in_(ids), CallEvent.kind == "recording"
            )
        ):
            sid = str((params or {}).get("RecordingSid") or "")
            if RECORDING_SID.fullmatch(sid):
                named.setdefault(attempt_id, set()).add(sid)
    for attempt in attempts:
        sid = recording_sid_from_url(attempt.recording_url)
        if sid:
            named.setdefault(attempt.id, set()).add(sid)
    call_sids = {a.call_sid for a in attempts if a.call_sid}
    queued_before = (
        set(session.scalars(sa.select(RecordingDeletion.call_sid).where(RecordingDeletion.call_sid.in_(call_sids))))
        if call_sids
        else set()
    )
    count = 0
    for attempt in attempts:
        sids = sorted(named.get(attempt.id, ()))
        if not sids and (not attempt.call_sid or attempt.status in NEVER_ANSWERED):
            continue
        if attempt.call_sid in queued_before:
            continue
        session.add(RecordingDeletion(call_sid=attempt.call_sid, recording_sids=sids, reason=reason, requested_at=now))
        count += 1
    return count


# ---- deleting recordings at the provider -------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingCleanup:
    """What a run over the recording to-do list did."""

    deleted: int  # recordings deleted at the provider by this run
    already_gone: int  # recordings the provider no longer had (deleted before: counts as done)
    done: int  # to-do rows finished (every recording of the call gone)
    pending: int  # to-do rows left: failed in this run, or not tried after a failure that stopped it
    errors: tuple[str, ...]  # the distinct errors of this run


def pending_recording_deletions(session: Session) -> list[RecordingDeletion]:
    """The to-do list, oldest first."""
    return list(session.scalars(sa.select(RecordingDeletion).order_by(RecordingDeletion.id)))


def delete_recordings(
    sessions: sessionmaker[Session], telephony: Telephony, clock: Callable[[], dt.datetime]
) -> RecordingCleanup:
    """Work through the to-do list: list each call's recordings at the provider, delete them and the row.

    No transaction is held while the provider is asked (each row is settled in a short one of its own), so the web
    app and the dialer are never blocked, and two runs at once only see each other's deletions as 404s. A failure
    keeps the row (tries, time, error) for the next run; one that concerns the whole account (unreachable, refused
    credentials, rate limit, server error) stops the run."""
    with sessions() as session:
        todo = [(row.id, row.call_sid, list(row.recording_sids or ())) for row in pending_recording_deletions(session)]
    deleted = already_gone = done = 0
    errors: list[str] = []
    for row_id, call_sid, known in todo:
        sids = {str(sid) for sid in known}
        try:
            if call_sid:
                sids.update(telephony.call_recordings(call_sid))
            for sid in sorted(sids):
                if telephony.delete_recording(sid):
                    deleted += 1
                else:
                    already_gone += 1
        except TelephonyError as exc:
            message = str(exc)[:500]
            log.warning("recordings of call %s not deleted at the provider: %s", call_sid or "?", message)
            if message not in errors:
                errors.append(message)
            with sessions.begin() as session:
                session.execute(
                    sa.update(RecordingDeletion)
                    .where(RecordingDeletion.id == row_id)
                    .values(tries=RecordingDeletion.tries + 1, tried_at=clock(), error=message)
                )
            if exc.status is None or exc.status in ACCOUNT_WIDE_STATUSES or exc.status >= 500:
                break
            continue
        with sessions.begin() as session:
            session.execute(sa.delete(RecordingDeletion).where(RecordingDeletion.id == row_id))
        done += 1
    pending = len(todo) - done
    result = RecordingCleanup(deleted, already_gone, done, pending, tuple(errors))
    if todo:
        with sessions.begin() as session:
            users.audit(session, None, "recordings_deleted", clock(), **{**result.__dict__, "errors": list(errors)})
        log.info("recordings at the provider: %s", result)
    return result


# ---- the scheduled retention job ---------------------------------------------------------------------------


def run_retention(service: Any) -> int | None:
    """The daily job: apply CALLBOT_RETENTION_DAYS when this process leads, then retry the recording deletions
    still to do at the provider (erasures' and retention's)."""
    if not service.leader:
        return None
    dialer = service.dialer
    days = dialer.settings.retention_days
    with dialer.sessions.begin() as session:
        count = apply_retention(session, dialer.clock(), days)
    if count:
        log.info("retention: %d leads older than %d days made anonymous", count, days)
    cleanup = delete_recordings(dialer.sessions, dialer.telephony, dialer.clock)
    if cleanup.pending:
        log.warning("%d call(s)' recordings are still to delete at the provider: %s", cleanup.pending, cleanup.errors)
    return count
