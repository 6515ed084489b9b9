"""Transparent rule scores for leads, before and after the verification call."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from scoring.junk import REASON_TEXTS

HOT_MIN = 70
WARM_MIN = 40

# Every point of a score comes from one of these, so a campaign can override any of them by name.
WEIGHTS: dict[str, int] = {
    "base": 40,
    # Speed to lead: HBR (2011) found leads contacted within an hour ~7x as likely to qualify.
    "fresh_1h": 20,
    "fresh_24h": 12,
    "fresh_7d": 5,
    "stale_30d": -10,
    "registered_unknown": -3,
    # People who came by referral or reached out on Zalo / a web form usually mean it more than an ad click.
    "source_referral": 8,
    "source_zalo": 5,
    "source_web": 5,
    "source_facebook": 2,
    "source_google": 2,
    "has_name": 4,
    "has_email": 4,
    "has_service": 6,
    "verdict_suspect": -10,
    "verdict_junk": -40,
    "verdict_duplicate": -20,
    "verdict_blocked": -40,
    # Intake reason codes, charged once each.
    "name_missing": -4,
    "name_fake": -8,
    "email_invalid": -4,
    "email_fake": -6,
    "email_disposable": -6,
    # A mistyped e-mail says nothing about interest; zero keeps it out of the score unless a campaign sets it.
    "email_typo": 0,
    "phone_landline": -3,
    # Post-call.
    "no_answer": -5,
    "identity_confirmed": 10,
    "identity_denied": -30,
    "answered_by_speech": 2,
    "no_steps": -8,
    "interest_yes": 30,
    "interest_callback": 10,
    "interest_no": -30,
}

_INTAKE_CODES = (
    "name_missing",
    "name_fake",
    "email_invalid",
    "email_fake",
    "email_disposable",
    "email_typo",
    "phone_landline",
)

# Free-text sources from forms and spreadsheets, matched by keyword; the first match wins.
_SOURCE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("referral", ("referral", "refer", "giới thiệu", "gioi thieu", "người quen", "nguoi quen")),
    ("zalo", ("zalo",)),
    ("facebook", ("facebook", "fb", "meta", "messenger", "instagram")),
    ("google", ("google", "adwords", "gg ads", "youtube")),
    ("web", ("web", "website", "landing", "form", "landing page", "web form")),
)


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    text_vi: str
    text_en: str


@dataclass(frozen=True)
class Score:
    value: int
    tier: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class LeadFacts:
    has_name: bool
    has_email: bool
    has_service: bool
    source: str | None
    registered_at: datetime | None
    verdict: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallFacts:
    answered: bool
    identity_confirmed: bool | None
    interest: str | None
    opted_out: bool = False
    wrong_person: bool = False
    answered_by_speech: bool = False
    steps_completed: int = 0


def tier_for(value: int) -> str:
    """Tier of a 0..100 score: "hot", "warm" or "cold"."""
    if value >= HOT_MIN:
        return "hot"
    if value >= WARM_MIN:
        return "warm"
    return "cold"


@functools.lru_cache(maxsize=1024)
def source_kind(source: str | None) -> str | None:
    """Canonical source ("referral", "zalo", "facebook", "google", "web") or None when unknown."""
    text = unicodedata.normalize("NFC", source or "").casefold()
    words = set(re.findall(r"\w+", text))
    for kind, keywords in _SOURCE_KEYWORDS:
        # Single words match whole words only, so "fb" does not fire inside an unrelated word.
        if any((k in text) if " " in k else (k in words) for k in keywords):
            return kind
    return None


def _weights(overrides: Mapping[str, int] | None) -> dict[str, int]:
    merged = dict(WEIGHTS)
    if overrides:
        unknown = set(overrides) - set(WEIGHTS)
        if unknown:
            # A misspelt key would otherwise be ignored silently and the campaign would score on defaults.
            raise ValueError(f"unknown score weights: {', '.join(sorted(unknown))}")
        merged.update(overrides)
    return merged


def _reason(code: str, points: int) -> Reason:
    text_vi, text_en = REASON_TEXTS[code]
    return Reason(code=code, points=points, text_vi=text_vi, text_en=text_en)


def _score(reasons: list[Reason]) -> Score:
    value = max(0, min(100, sum(r.points for r in reasons)))
    return Score(value=value, tier=tier_for(value), reasons=tuple(reasons))


def _freshness_code(registered_at: datetime | None, now: datetime) -> str | None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if registered_at is None:
        return "registered_unknown"
    if registered_at.tzinfo is None:
        raise ValueError("registered_at must be timezone-aware")
    age = now - registered_at
    if age < -timedelta(hours=1):
        # Far in the future is a broken timestamp, not a fresh lead; small clock skew is tolerated.
        return "registered_unknown"
    if age <= timedelta(hours=1):
        return "fresh_1h"
    if age <= timedelta(hours=24):
        return "fresh_24h"
    if age <= timedelta(days=7):
        return "fresh_7d"
    if age > timedelta(days=30):
        return "stale_30d"
    return None


def _pre_codes(lead: LeadFacts, now: datetime) -> tuple[str, ...]:
    return _codes(
        _freshness_code(lead.registered_at, now),
        lead.source,
        lead.has_name,
        lead.has_email,
        lead.has_service,
        lead.verdict,
        lead.reasons,
    )


def _codes(
    fresh: str | None,
    source: str | None,
    has_name: bool,
    has_email: bool,
    has_service: bool,
    verdict: str,
    reasons: tuple[str, ...],
) -> tuple[str, ...]:
    codes: list[str] = ["base"]
    if fresh:
        codes.append(fresh)
    kind = source_kind(source)
    if kind:
        codes.append(f"source_{kind}")
    codes += [
        code
        for code, present in (
            ("has_name", has_name),
            ("has_email", has_email),
            ("has_service", has_service),
        )
        if present
    ]
    if verdict != "ok":
        codes.append(f"verdict_{verdict}")
    codes += [code for code in _INTAKE_CODES if code in reasons]
    return tuple(codes)


def freshness_code(registered_at: datetime | None, now: datetime) -> str | None:
    """The freshness rule a registration time fires at `now` (fresh_1h … stale_30d, registered_unknown) or None."""
    return _freshness_code(registered_at, now)


@functools.lru_cache(maxsize=4096)
def default_pre_call_score(
    fresh: str | None,
    source: str | None,
    has_name: bool,
    has_email: bool,
    has_service: bool,
    verdict: str,
    reasons: tuple[str, ...],
) -> Score:
    """pre_call_score with the default weights, given the lead's facts with its registration time already turned
    into its freshness code (freshness_code): bulk intake scores a million rows from a few hundred such keys."""
    return _default_score(_codes(fresh, source, has_name, has_email, has_service, verdict, reasons))


def _reasons_for(codes: tuple[str, ...], w: Mapping[str, int]) -> list[Reason]:
    # Zero-weight rules add nothing, so they are left out of the explanation; an unknown verdict adds nothing.
    return [_reason(code, w[code]) for code in codes if code in w and (w[code] or code == "base")]


def _pre_reasons(lead: LeadFacts, now: datetime, w: Mapping[str, int]) -> list[Reason]:
    return _reasons_for(_pre_codes(lead, now), w)


@functools.lru_cache(maxsize=4096)
def _default_score(codes: tuple[str, ...]) -> Score:
    """Scores with the default weights depend only on which rules fired: a million-row import hits this cache."""
    return _score(_reasons_for(codes, WEIGHTS))


def pre_call_score(lead: LeadFacts, now: datetime, weights: Mapping[str, int] | None = None) -> Score:
    """Score a lead before any call, from its intake data and how fresh it is."""
    if not weights:
        return _default_score(_pre_codes(lead, now))
    return _score(_pre_reasons(lead, now, _weights(weights)))


def post_call_score(lead: LeadFacts, call: CallFacts, now: datetime, weights: Mapping[str, int] | None = None) -> Score:
    """Score a lead after its verification call: the pre-call score moved by the call's answers."""
    w = _weights(weights)
    reasons = _pre_reasons(lead, now, w)
    total = sum(r.points for r in reasons)

    def add(code: str, points: int) -> None:
        nonlocal total
        reasons.append(_reason(code, points))
        total += points

    # The person asked us to stop, or is not the lead: nothing else counts.
    if call.opted_out or call.wrong_person:
        add("opted_out" if call.opted_out else "wrong_person", -total)
        return _score(reasons)
    if not call.answered:
        add("no_answer", w["no_answer"])
        return _score(reasons)
    if call.identity_confirmed is True:
        add("identity_confirmed", w["identity_confirmed"])
    elif call.identity_confirmed is False:
        add("identity_denied", w["identity_denied"])
    if call.answered_by_speech:
        add("answered_by_speech", w["answered_by_speech"])
    if call.steps_completed <= 0 and call.interest is None:
        add("no_steps", w["no_steps"])
    # The interest answer fixes the tier, whatever the intake data said: the points are topped up or cut
    # to land in the tier's range, and the Reason shows the points actually applied.
    if call.interest == "yes":
        target = total + w["interest_yes"]
        if call.identity_confirmed is not False:
            target = max(target, HOT_MIN)
        add("interest_yes", target - total)
    elif call.interest == "callback":
        target = min(max(total + w["interest_callback"], WARM_MIN), HOT_MIN - 1)
        add("interest_callback", target - total)
    elif call.interest == "no":
        target = min(total + w["interest_no"], WARM_MIN - 1)
        add("interest_no", target - total)
    return _score(reasons)
