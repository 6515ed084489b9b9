"""Reviewing intake verdicts: the per-upload summary and an admin's override of one lead's verdict."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import dnc, users
from callbot import leads as lead_service
from callbot.errors import InvalidTransition
from callbot.models import Lead

VERDICTS = ("ok", "suspect", "junk", "duplicate", "blocked")
CALLABLE = ("ok", "suspect")
# Only leads nobody has called yet can change verdict; afterwards the calls tell the story.
REVIEWABLE_STATUSES = ("callable", "rejected")


@dataclass(frozen=True)
class UploadSummary:
    """One upload: when, how many rows, and counts by verdict and by reason."""

    batch: str
    created_at: dt.datetime
    total: int
    by_verdict: dict[str, int]
    by_reason: dict[str, int]


def uploads(session: Session, campaign_id: int) -> list[tuple[str, dt.datetime, int]]:
    """The campaign's uploads, newest first: (batch, time, rows)."""
    rows = session.execute(
        sa.select(Lead.import_batch, sa.func.min(Lead.created_at), sa.func.count())
        .where(Lead.campaign_id == campaign_id, Lead.import_batch.is_not(None))
        .group_by(Lead.import_batch)
        .order_by(sa.func.min(Lead.created_at).desc())
    ).all()
    return [(batch, created, count) for batch, created, count in rows]


def upload_summary(session: Session, campaign_id: int, batch: str) -> UploadSummary | None:
    """Counts by verdict and reason for one upload (None when the campaign has no such upload)."""
    where = (Lead.campaign_id == campaign_id, Lead.import_batch == batch)
    by_verdict = dict(
        session.execute(sa.select(Lead.verdict, sa.func.count()).where(*where).group_by(Lead.verdict)).all()
    )
    if not by_verdict:
        return None
    by_reason: dict[str, int] = {}
    for reasons in session.scalars(sa.select(Lead.reasons).where(*where)):
        for code in reasons or ():
            by_reason[code] = by_reason.get(code, 0) + 1
    created = session.scalar(sa.select(sa.func.min(Lead.created_at)).where(*where))
    return UploadSummary(
        batch, created, sum(by_verdict.values()), by_verdict, dict(sorted(by_reason.items(), key=lambda kv: -kv[1]))
    )


def override(session: Session, lead: Lead, verdict: str, user_id: int, now: dt.datetime, note: str = "") -> None:
    """An admin's decision on a lead's verdict, applied to its status and written to the audit log."""
    if verdict not in VERDICTS:
        raise InvalidTransition(f"unknown verdict {verdict!r}")
    if lead.status not in REVIEWABLE_STATUSES or lead.attempts:
        raise InvalidTransition("this lead has been called already; its verdict can no longer change")
    if verdict == lead.verdict:
        return
    if verdict in CALLABLE:
        if lead.phone_e164 is None:
            raise InvalidTransition("a lead without a usable number cannot be made callable")
        if dnc.is_listed(session, lead.phone_e164):
            raise InvalidTransition("this number is on the do-not-call list; remove it from the list first")
        holder = session.scalar(
            sa.select(Lead.id).where(
                Lead.campaign_id == lead.campaign_id,
                Lead.phone_e164 == lead.phone_e164,
                Lead.verdict.in_(CALLABLE),
                Lead.id != lead.id,
            )
        )
        if holder is not None:
            raise InvalidTransition(f"lead {holder} already holds this number in the campaign")
    previous = lead.verdict
    lead.verdict = verdict
    if verdict != "duplicate":
        lead.duplicate_of_id = None
    lead_service.set_status(lead, "callable" if verdict in CALLABLE else "rejected", now)
    lead_service.score_before_call(lead, now)
    users.audit(
        session,
        user_id,
        "verdict_override",
        now,
        lead_id=lead.id,
        previous=previous,
        verdict=verdict,
        note=note.strip()[:500],
    )
    session.flush()
