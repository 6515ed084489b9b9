"""A lead's life: the one function that changes its status, and its scores from the scoring package."""

from __future__ import annotations

import datetime as dt

from callbot.errors import InvalidTransition
from callbot.models import CallAttempt, Lead
from scoring import CallFacts, LeadFacts, Score, post_call_score, pre_call_score

# Statuses a lead can be in, and where each may go next. Anything else is a bug, and raises.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"callable", "rejected"}),
    "rejected": frozenset({"callable"}),
    "callable": frozenset({"dialing", "opted_out", "rejected", "unreachable"}),
    "callback": frozenset({"dialing", "opted_out", "unreachable"}),
    "dialing": frozenset(
        {"callable", "callback", "queued", "not_interested", "wrong_number", "opted_out", "unreachable"}
    ),
    "queued": frozenset({"won", "follow_up", "not_interested", "unreachable", "wrong_number", "opted_out"}),
    "follow_up": frozenset({"won", "follow_up", "not_interested", "unreachable", "wrong_number", "opted_out"}),
    "not_interested": frozenset({"opted_out"}),
    "wrong_number": frozenset({"opted_out"}),
    "unreachable": frozenset({"opted_out", "callable"}),
    "won": frozenset(),
    "opted_out": frozenset(),
}
DIALABLE = ("callable", "callback")


def set_status(lead: Lead, status: str, now: dt.datetime) -> None:
    """Move a lead to `status` if its current status allows it (staying put is always allowed)."""
    if status == lead.status:
        return
    if status not in TRANSITIONS.get(lead.status, frozenset()):
        raise InvalidTransition(f"lead {lead.id}: {lead.status} -> {status} is not allowed")
    lead.status = status
    lead.updated_at = now


def lead_facts(lead: Lead) -> LeadFacts:
    """The lead's data as the scoring package sees it."""
    return LeadFacts(
        has_name=bool(lead.name),
        has_email=bool(lead.email),
        has_service=bool(lead.service),
        source=lead.source,
        registered_at=lead.registered_at,
        verdict=lead.verdict,
        reasons=tuple(lead.reasons or ()),
    )


def call_facts(attempt: CallAttempt) -> CallFacts:
    """What one call attempt taught us, for the post-call score."""
    state = attempt.flow_state or {}
    heard = state.get("heard") or []
    steps = (1 if attempt.identity_confirmed is not None else 0) + (1 if attempt.interest else 0)
    return CallFacts(
        answered=attempt.answered_at is not None and attempt.outcome != "voicemail",
        identity_confirmed=attempt.identity_confirmed,
        interest=attempt.interest,
        opted_out=attempt.outcome == "opted_out",
        wrong_person=attempt.outcome == "wrong_person",
        answered_by_speech=bool(state.get("used_speech")) and bool(heard),
        steps_completed=steps,
    )


def apply_score(lead: Lead, score: Score) -> None:
    """Store a score, its tier and its reasons on the lead."""
    lead.score = score.value
    lead.tier = score.tier
    # Codes and points only: the texts live in scoring.REASON_TEXTS (a million leads need not repeat them).
    lead.score_reasons = [{"code": reason.code, "points": reason.points} for reason in score.reasons]


def score_before_call(lead: Lead, now: dt.datetime) -> None:
    """Compute and store the pre-call score."""
    score = pre_call_score(lead_facts(lead), now)
    lead.pre_score = score.value
    apply_score(lead, score)


def score_after_call(lead: Lead, attempt: CallAttempt, now: dt.datetime) -> None:
    """Compute and store the post-call score from the lead and the attempt."""
    apply_score(lead, post_call_score(lead_facts(lead), call_facts(attempt), now))
