"""Pure domain logic: phone normalisation, junk rules and lead scoring (plain data in, plain data out)."""

from scoring.junk import REASON_EXAMPLES, REASON_TEXTS, VERDICTS, Assessment, LeadInput, assess_lead
from scoring.phones import PhoneCheck, normalize_phone
from scoring.rank import (
    WEIGHTS,
    CallFacts,
    LeadFacts,
    Reason,
    Score,
    post_call_score,
    pre_call_score,
    tier_for,
)

__all__ = [
    "REASON_EXAMPLES",
    "REASON_TEXTS",
    "VERDICTS",
    "WEIGHTS",
    "Assessment",
    "CallFacts",
    "LeadFacts",
    "LeadInput",
    "PhoneCheck",
    "Reason",
    "Score",
    "assess_lead",
    "normalize_phone",
    "post_call_score",
    "pre_call_score",
    "tier_for",
]
