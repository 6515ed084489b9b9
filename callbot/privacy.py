"""Personal data on request and on schedule: erasing a person (`callbot privacy erase NUMBER`) and the retention
policy (junk and unreachable leads made anonymous after CALLBOT_RETENTION_DAYS).

Erasing keeps the rows and blanks what identifies the person, so campaign counts, funnels and call statistics stay
true: leads lose name, number, e-mail and raw cells; their calls lose the number dialled, what was said, the
recording's link and the raw webhook parameters; queue items lose agents' notes; audit entries have the number
masked. The number itself stays in one place only, the do-not-call list, which is what stops it being called again.
Recordings kept at Twilio must be deleted there (the erase report counts the calls that had one).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import dnc, users
from callbot.errors import CallbotError
from callbot.logs import mask_number
from callbot.models import AuditLog, CallAttempt, CallEvent, Lead, QueueItem

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


@dataclass(frozen=True)
class Erased:
    """What an erasure touched (counts only: the report itself must not identify the person)."""

    leads: int
    calls: int
    events: int
    queue_items: int
    audit_entries: int
    recordings: int


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
    calls, events, items, recordings = _anonymize(session, lead_ids, forms, now)
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
    result = Erased(len(lead_ids), calls, events, items, audit_entries, recordings)
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
        _anonymize(session, lead_ids, (), now)
        users.audit(session, None, "retention", now, leads=len(lead_ids), days=days)
    return len(lead_ids)


def _anonymize(session: Session, lead_ids: list[int], forms: tuple[str, ...], now: dt.datetime) -> tuple[int, ...]:
    """Blank the personal fields of these leads and of everything about them (and, with `forms`, of webhook
    events that name the number without belonging to one of them)."""
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
    return len(attempts), len(events), len(items), recordings


# ---- the scheduled retention job ---------------------------------------------------------------------------


def schedule_retention(scheduler: Any, service: Any) -> None:
    """Add the daily retention run to a dialer's scheduler (an hour after the backup; the leading process only)."""
    settings = service.dialer.settings
    scheduler.add_job(
        run_retention,
        "cron",
        hour=(settings.backup_hour + 1) % 24,
        minute=0,
        timezone=settings.timezone,
        args=[service],
        id="daily-retention",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
        replace_existing=True,
    )


def run_retention(service: Any) -> int | None:
    """The daily job: apply CALLBOT_RETENTION_DAYS when this process leads."""
    if not service.leader:
        return None
    days = service.dialer.settings.retention_days
    with service.dialer.sessions.begin() as session:
        count = apply_retention(session, service.dialer.clock(), days)
    if count:
        log.info("retention: %d leads older than %d days made anonymous", count, days)
    return count
