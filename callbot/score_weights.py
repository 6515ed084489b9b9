"""A campaign's own rule-score weights (`campaign_scoring`), and its leads' pre-call scores recomputed with them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from callbot.errors import CallbotError, NotFound
from callbot.leads import apply_score, lead_facts
from callbot.models import Base, Campaign, Lead
from scoring.rank import WEIGHTS, pre_call_score


class CampaignScoring(Base):
    __tablename__ = "campaign_scoring"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)  # rule code -> points, over scoring.rank.WEIGHTS
    updated_at: Mapped[dt.datetime]


def weights_of(session: Session, campaign_id: int) -> dict[str, int]:
    """The campaign's overrides (empty: the default weights)."""
    row = session.get(CampaignScoring, campaign_id)
    return {k: int(v) for k, v in (row.weights if row else {}).items()}


def set_weights(session: Session, campaign_id: int, weights: Mapping[str, int], now: dt.datetime) -> dict[str, int]:
    """Replace the campaign's overrides (unknown rule names refused) and rescore its leads not yet called."""
    if session.get(Campaign, campaign_id) is None:
        raise NotFound(f"no campaign {campaign_id}")
    unknown = sorted(set(weights) - set(WEIGHTS))
    if unknown:
        raise CallbotError(f"unknown score weights: {', '.join(unknown)} (known: {', '.join(WEIGHTS)})")
    row = session.get(CampaignScoring, campaign_id)
    if row is None:
        row = CampaignScoring(campaign_id=campaign_id, weights={}, updated_at=now)
        session.add(row)
    row.weights = {k: int(v) for k, v in weights.items()}
    row.updated_at = now
    session.flush()
    rescore(session, campaign_id, now)
    return dict(row.weights)


def rescore(session: Session, campaign_id: int, now: dt.datetime) -> int:
    """Pre-call scores of the campaign's leads not yet called, with its weights and a reason for every point."""
    weights = weights_of(session, campaign_id)
    leads = session.scalars(
        sa.select(Lead).where(Lead.campaign_id == campaign_id, Lead.attempts == 0, Lead.status.in_(("new", "callable")))
    )
    count = 0
    for lead in leads:
        score = pre_call_score(lead_facts(lead), now, weights or None)
        lead.pre_score = score.value
        apply_score(lead, score)
        count += 1
    session.flush()
    return count
