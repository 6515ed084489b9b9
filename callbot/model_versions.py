"""Learned ranking models kept in the database: trained on telesales outcomes, promoted only when at least as good
on the most recent outcomes, rolled back by an admin, and applied to the leads not yet called."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from callbot.db import utcnow
from callbot.errors import NotFound
from callbot.leadfiles import HEADERS
from callbot.models import Base, Lead, QueueItem
from scoring import evaluation
from scoring.learn import Model, train
from scoring.rank import tier_for
from scoring.text import fold_text

log = logging.getLogger(__name__)

KIND = "pre_call"
# Telesales dispositions that settle a lead: won is the positive outcome; a follow-up is still open.
OUTCOMES = {"won": 1, "not_interested": 0, "unreachable": 0, "wrong_number": 0, "do_not_call": 0}
MIN_ROWS = 200
MIN_WINS = 30
# Outcomes newer than the active model, when at least this many, are the test both models must pass.
MIN_RECENT = 50
# Raw columns holding who the person is or when they registered: never features (identity, time).
_PERSONAL = {
    name.replace("_", " ") for field in ("name", "phone", "email", "registered_at") for name in HEADERS.get(field, ())
}


class ModelVersion(Base):
    """One trained model: its blob, what it learned from, its evaluation; status candidate · active · retired ·
    rejected (one active per kind)."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    top_features: Mapped[list[Any]] = mapped_column(default=list)
    blob: Mapped[bytes] = mapped_column(sa.LargeBinary)
    n_rows: Mapped[int]
    n_positive: Mapped[int]
    note: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


def lead_features(lead: Lead) -> dict[str, str]:
    """What is known about a lead before any call, as text cells: its file's own columns (not name, phone, e-mail or
    registration time), source, service, completeness, intake verdict, registration hour and weekday."""
    row = {
        f"file: {key}": str(value)
        for key, value in (lead.raw or {}).items()
        if key and fold_text(str(key)) not in _PERSONAL and value is not None
    }
    row.update(
        source=lead.source or "",
        service=lead.service or "",
        has_email="yes" if lead.email else "no",
        has_name="yes" if lead.name else "no",
        verdict=lead.verdict,
        intake_reasons=" ".join(sorted(lead.reasons or [])) or "none",
    )
    if lead.registered_at is not None:
        row["registered_hour"] = str(lead.registered_at.hour)
        row["registered_weekday"] = str(lead.registered_at.isoweekday())
    return row


@dataclass(frozen=True)
class Outcomes:
    rows: list[dict[str, str]]
    labels: list[int]
    times: list[dt.datetime]

    @property
    def names(self) -> list[str]:
        return sorted({key for row in self.rows for key in row})


def outcomes(session: Session) -> Outcomes:
    """Every settled telesales outcome with the lead's pre-call features, oldest first."""
    found = session.execute(
        sa.select(Lead, QueueItem.disposition, QueueItem.disposed_at)
        .join(QueueItem, QueueItem.lead_id == Lead.id)
        .where(QueueItem.disposition.in_(OUTCOMES), QueueItem.disposed_at.is_not(None))
        .order_by(QueueItem.disposed_at, QueueItem.id)
    ).all()
    return Outcomes(
        rows=[lead_features(lead) for lead, _, _ in found],
        labels=[OUTCOMES[disposition] for _, disposition, _ in found],
        times=[at for _, _, at in found],
    )


def active(session: Session, kind: str = KIND) -> ModelVersion | None:
    """The model version in use, if any."""
    return session.scalars(
        sa.select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "active")
    ).first()


_loaded: dict[str, Model] = {}


def load(version: ModelVersion) -> Model:
    """The version's model, kept in memory by the blob's digest (ids repeat across databases; blobs do not)."""
    key = hashlib.sha256(version.blob).hexdigest()
    model = _loaded.get(key)
    if model is None:
        if len(_loaded) >= 8:
            _loaded.clear()
        model = _loaded[key] = Model.from_bytes(version.blob)
    return model


@dataclass(frozen=True)
class Retrained:
    status: str  # not_enough · active · rejected
    version: ModelVersion | None
    message: str


def _recent_split(data: Outcomes, current: ModelVersion | None) -> int:
    """Where the most recent outcomes begin: after the active model's training when enough came since, else the
    latest fifth."""
    n = len(data.labels)
    if current is not None and current.params.get("trained_until"):
        until = dt.datetime.fromisoformat(current.params["trained_until"])
        start = next((i for i, t in enumerate(data.times) if t > until), n)
        fresh = data.labels[start:]
        if len(fresh) >= MIN_RECENT and 0 < sum(fresh) < len(fresh):
            return start
    return int(n * 0.8)


def retrain(
    session: Session,
    now: dt.datetime,
    *,
    min_rows: int = MIN_ROWS,
    min_wins: int = MIN_WINS,
    user_id: int | None = None,
) -> Retrained:
    """Train a candidate on every settled outcome; it replaces the active model only if, trained on what came
    before the most recent outcomes, it ranks those at least as well (ROC AUC) as the active model does."""
    data = outcomes(session)
    wins = sum(data.labels)
    if len(data.labels) < min_rows or wins < min_wins or len(data.labels) - wins < min_wins:
        return Retrained(
            "not_enough", None, f"{len(data.labels)} outcomes, {wins} won: need {min_rows} with {min_wins}"
        )
    current = active(session)
    start = _recent_split(data, current)
    names = data.names
    recent_y = np.asarray(data.labels[start:])
    trial = train(data.rows[:start], data.labels[:start], names)
    metrics = evaluation.measure(recent_y, trial.predict(data.rows[start:])).as_dict()
    metrics["recent_from"] = data.times[start].isoformat()
    if current is not None:
        metrics["auc_active"] = evaluation.roc_auc(recent_y, load(current).predict(data.rows[start:]))
        metrics["compared_with"] = current.id
    model = train(data.rows, data.labels, names)
    version = ModelVersion(
        kind=KIND,
        status="candidate",
        params={
            "family": model.family,
            "features": model.schema.names,
            "dropped": dict(model.schema.dropped),
            "trained_until": data.times[-1].isoformat(),
            "slope": model.slope,
            "intercept": model.intercept,
        },
        metrics={**metrics, "validation": model.validation},
        top_features=[[name, lost] for name, lost in model.importances[:10]],
        blob=model.to_bytes(),
        n_rows=len(data.labels),
        n_positive=wins,
        created_at=now,
        created_by_id=user_id,
    )
    session.add(version)
    session.flush()
    better = current is None or (metrics["auc"] or 0.0) >= (metrics.get("auc_active") or 0.0)
    if not better:
        version.status = "rejected"
        version.note = f"AUC {metrics['auc']} on recent outcomes < active model's {metrics['auc_active']}"
        return Retrained("rejected", version, version.note)
    activate(session, version.id, now)
    return Retrained("active", version, f"version {version.id} active (AUC {metrics['auc']} on recent outcomes)")


def activate(session: Session, version_id: int, now: dt.datetime) -> ModelVersion:
    """Make a version the active one; the previously active version is retired."""
    version = session.get(ModelVersion, version_id, with_for_update=True)
    if version is None:
        raise NotFound(f"no model version {version_id}")
    for other in session.scalars(
        sa.select(ModelVersion).where(ModelVersion.kind == version.kind, ModelVersion.status == "active")
    ):
        if other.id != version.id:
            other.status = "retired"
    version.status = "active"
    version.activated_at = now
    session.flush()
    return version


def rollback(session: Session, now: dt.datetime) -> ModelVersion:
    """Put back the version that was active before the current one (the current one is retired)."""
    current = active(session)
    if current is None:
        raise NotFound("no active model to roll back")
    previous = session.scalars(
        sa.select(ModelVersion)
        .where(
            ModelVersion.kind == current.kind,
            ModelVersion.status == "retired",
            ModelVersion.activated_at.is_not(None),
            ModelVersion.id != current.id,
        )
        .order_by(ModelVersion.activated_at.desc(), ModelVersion.id.desc())
    ).first()
    if previous is None:
        raise NotFound("no earlier model version to roll back to")
    current.status = "retired"
    current.note = f"rolled back at {now:%Y-%m-%d %H:%M} UTC"
    return activate(session, previous.id, now)


def versions(session: Session, kind: str = KIND) -> list[ModelVersion]:
    """Every version of a kind, newest first."""
    return list(
        session.scalars(sa.select(ModelVersion).where(ModelVersion.kind == kind).order_by(ModelVersion.id.desc()))
    )


def apply_active(session: Session, now: dt.datetime, batch: int = 2000) -> int:
    """Score every lead not yet called (new or callable, no attempt) with the active model: the dialer then takes
    them by the model's score (100 × probability); the top reasons go to lead_segments. Returns leads scored."""
    from callbot.lead_segments import LeadSegment

    version = active(session)
    if version is None:
        return 0
    model = load(version)
    query = (
        sa.select(Lead)
        .where(Lead.status.in_(("new", "callable")), Lead.attempts == 0, Lead.verdict.in_(("ok", "suspect")))
        .order_by(Lead.id)
    )
    done, last = 0, 0
    while True:
        leads = list(session.scalars(query.where(Lead.id > last).limit(batch)))
        if not leads:
            return done
        rows = [lead_features(lead) for lead in leads]
        probabilities = model.predict(rows)
        reasons = model.explain(rows)
        for lead, p, why in zip(leads, probabilities, reasons, strict=True):
            value = int(round(100 * float(p)))
            lead.pre_score = lead.score = value
            lead.tier = tier_for(value)
            lead.score_reasons = [{"code": "model", "points": value, "version": version.id}]
            segment = session.get(LeadSegment, lead.id) or LeadSegment.empty(lead, now)
            segment.model_version_id = version.id
            segment.model_probability = round(float(p), 5)
            segment.model_reasons = [
                {"feature": c.feature, "value": c.value, "effect": round(c.effect, 3)} for c in why
            ]
            session.add(segment)
        done += len(leads)
        last = leads[-1].id
        session.flush()
