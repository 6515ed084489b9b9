"""Export rows: the telesales queue (qualified leads) and call outcomes, read in batches and made spreadsheet-safe.

Rows are read by keyset pages over the primary key, so an export of a million calls holds one batch in memory and
each batch is a short query (no cursor held open while a slow client downloads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from callbot.models import CallAttempt, Campaign, Lead, QueueItem, User

KINDS = ("queue", "calls")
BATCH = 1000
# OWASP "CSV Injection": a cell starting with one of these is read as a formula by Excel, LibreOffice, Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None
Row = tuple[Cell, ...]
Masker = Callable[[str | None], str]

QUEUE_COLUMNS = (
    "name",
    "phone",
    "service",
    "score",
    "tier",
    "reasons",
    "disposition",
    "agent",
    "campaign",
    "enqueued_at",
    "disposed_at",
    "note",
)
CALL_COLUMNS = (
    "call_id",
    "campaign",
    "name",
    "phone",
    "attempt",
    "started_at",
    "status",
    "outcome",
    "answered_by",
    "identity_confirmed",
    "interest",
    "duration_seconds",
    "agent",
)


@dataclass(frozen=True)
class Query:
    """What to export: a kind, an optional campaign, and a half-open time range (aware datetimes)."""

    kind: str
    campaign_id: int | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    timezone: str = "UTC"  # the zone times are written in (the deployment's: what the panel shows)


def inert(value: Cell) -> Cell:
    """A cell value no spreadsheet will run: text starting like a formula gets a leading single quote.

    Numbers stay numbers (a negative score is not text a person typed).
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def columns(kind: str) -> Sequence[str]:
    """The header of an export kind."""
    return QUEUE_COLUMNS if kind == "queue" else CALL_COLUMNS


def count(session: Session, query: Query) -> int:
    """How many rows the export holds (for the audit log, written before the file is sent)."""
    table = QueueItem if query.kind == "queue" else CallAttempt
    stmt = _narrow(sa.select(sa.func.count()).select_from(table), query)
    return int(session.scalar(stmt) or 0)


def rows(
    session: Session, query: Query, masks: Mapping[str, Masker] | None = None, *, batch: int = BATCH
) -> Iterator[Row]:
    """Every row of the export, spreadsheet-safe; a column named in `masks` (e.g. "phone") goes through its masker
    first, so a masked value is made inert too."""
    build = _queue_row if query.kind == "queue" else _call_row
    zone = ZoneInfo(query.timezone)
    masked = [(index, masks[column]) for index, column in enumerate(columns(query.kind)) if column in (masks or {})]
    for record in _records(session, query, batch):
        cells = list(build(record, zone))
        for index, mask in masked:
            cells[index] = mask(str(cells[index]) if cells[index] is not None else None)
        yield tuple(inert(cell) for cell in cells)


def _narrow(stmt: sa.Select[Any], query: Query) -> sa.Select[Any]:
    """The campaign and time filters, on the queue's enqueue time or the call's start."""
    table: Any = QueueItem if query.kind == "queue" else CallAttempt
    moment = table.enqueued_at if query.kind == "queue" else table.created_at
    if query.campaign_id is not None:
        stmt = stmt.where(table.campaign_id == query.campaign_id)
    if query.start is not None:
        stmt = stmt.where(moment >= query.start)
    if query.end is not None:
        stmt = stmt.where(moment < query.end)
    return stmt


def _records(session: Session, query: Query, batch: int) -> Iterator[sa.Row[Any]]:
    """The joined rows as plain columns (nothing kept in the session), one keyset page at a time (`id > last`)."""
    agent = aliased(User)
    person = (Lead.name, Lead.phone_e164, Lead.phone_raw)
    if query.kind == "queue":
        key: Any = QueueItem.id
        stmt = (
            sa.select(key, *person, Lead.service, QueueItem.score, Lead.tier, Lead.score_reasons)
            .add_columns(QueueItem.disposition, agent.name, Campaign.name, QueueItem.enqueued_at)
            .add_columns(QueueItem.disposed_at, QueueItem.note)
            .join(Lead, Lead.id == QueueItem.lead_id)
            .join(Campaign, Campaign.id == QueueItem.campaign_id)
            .outerjoin(agent, agent.id == QueueItem.claimed_by_id)
        )
    else:
        key = CallAttempt.id
        stmt = (
            sa.select(key, *person, CallAttempt.to_number, Campaign.name, CallAttempt.attempt_no)
            .add_columns(CallAttempt.created_at, CallAttempt.status, CallAttempt.outcome, CallAttempt.live)
            .add_columns(CallAttempt.answered_by, CallAttempt.identity_confirmed, CallAttempt.interest)
            .add_columns(CallAttempt.duration_seconds, agent.name)
            .join(Lead, Lead.id == CallAttempt.lead_id)
            .join(Campaign, Campaign.id == CallAttempt.campaign_id)
            .outerjoin(agent, agent.id == CallAttempt.transfer_to_id)
        )
    stmt = _narrow(stmt, query).order_by(key).limit(batch)
    last = 0
    while True:
        page = session.execute(stmt.where(key > last)).all()
        yield from page
        if len(page) < batch:
            return
        last = page[-1][0]


def _time(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """ "YYYY-MM-DD HH:MM:SS" in `zone`: sorts as text, and every spreadsheet reads it as a date."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _reasons(reasons: list[Any] | None) -> str:
    """The score's reasons as `code (+points)`, the codes the panel explains."""
    return "; ".join(f"{r.get('code')} ({int(r.get('points', 0)):+d})" for r in reasons or [])


def _queue_row(record: sa.Row[Any], zone: ZoneInfo) -> Row:
    _, lead_name, e164, raw, service, score, tier, reasons, disposition, agent, campaign, enqueued, disposed, note = (
        record
    )
    return (
        lead_name or "",
        e164 or raw or "",
        service or "",
        score,
        tier,
        _reasons(reasons),
        disposition or "",
        agent or "",
        campaign,
        _time(enqueued, zone),
        _time(disposed, zone),
        note or "",
    )


def _call_row(record: sa.Row[Any], zone: ZoneInfo) -> Row:
    call_id, lead_name, e164, _, to_number, campaign, attempt_no, started, status, outcome, live, *rest = record
    answered_by, identity_confirmed, interest, duration, agent = rest
    confirmed = "" if identity_confirmed is None else ("yes" if identity_confirmed else "no")
    return (
        call_id,
        campaign,
        lead_name or "",
        to_number or e164 or "",
        attempt_no,
        _time(started, zone),
        status,
        outcome or ("live" if live else ""),
        answered_by or "",
        confirmed,
        interest or "",
        duration,
        agent or "",
    )
