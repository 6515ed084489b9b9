"""The nightly ranking job: campaign weights applied, the model retrained (and promoted only when at least as
good), the active model applied to the leads not yet called, segments recomputed."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import lead_segments, model_versions, score_weights
from callbot.db import utcnow

log = logging.getLogger(__name__)

NIGHTLY_HOUR = 2  # in the deployment's time zone: after the day's dispositions, before the morning's calls


@dataclass(frozen=True)
class NightlyResult:
    retrained: model_versions.Retrained
    rescored: int
    scored_by_model: int
    segmented: int


def nightly(
    session: Session, now: dt.datetime, *, min_rows: int | None = None, min_wins: int | None = None
) -> NightlyResult:
    """One night's work in the caller's transaction."""
    rescored = 0
    for campaign_id in session.scalars(sa.select(score_weights.CampaignScoring.campaign_id)):
        rescored += score_weights.rescore(session, campaign_id, now)
    retrained = model_versions.retrain(
        session,
        now,
        min_rows=min_rows if min_rows is not None else model_versions.MIN_ROWS,
        min_wins=min_wins if min_wins is not None else model_versions.MIN_WINS,
    )
    scored = model_versions.apply_active(session, now)
    segmented = lead_segments.refresh(session, now)
    return NightlyResult(retrained, rescored, scored, segmented)


def run_nightly(service: Any) -> NightlyResult | None:
    """The scheduled job: only in the dialer holding the scheduler lease; errors are logged, never raised."""
    if not service.leader:
        return None
    try:
        with service.dialer.sessions.begin() as session:
            result = nightly(session, utcnow())
    except Exception:  # a failed night must not stop the dialer; the next night tries again
        log.exception("nightly ranking job failed")
        return None
    log.info(
        "nightly ranking: %s; %d leads rescored by rules, %d by the model, %d segmented",
        result.retrained.message,
        result.rescored,
        result.scored_by_model,
        result.segmented,
    )
    return result
