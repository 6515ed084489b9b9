"""Admin pages of the learned ranking: model versions and their evaluation, the features that matter, rollback,
segments (linked to the filtered leads list), and a lead's reasons."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from callbot import lead_segments, model_versions, retraining, score_weights, users
from callbot.db import utcnow
from callbot.errors import CallbotError
from callbot.models import Campaign, Lead
from scoring.rank import WEIGHTS
from scoring.segments import LIFECYCLES, RELATIONSHIPS, VALUE_TIERS
from web.auth import roles_required
from web.db import get_session

bp = Blueprint("models", __name__, url_prefix="/models")


@bp.get("")
@roles_required("admin")
def index() -> str:
    """Versions, the active model's top features, segment counts, the campaigns' rule weights."""
    db = get_session()
    versions = model_versions.versions(db)
    current = next((v for v in versions if v.status == "active"), None)
    counts = {
        key: Counter(dict(db.execute(sa.select(column, sa.func.count()).group_by(column)).all()))
        for key, column in (
            ("value_tier", lead_segments.LeadSegment.value_tier),
            ("relationship", lead_segments.LeadSegment.relationship),
            ("lifecycle", lead_segments.LeadSegment.lifecycle),
        )
    }
    groups = (("value_tier", VALUE_TIERS), ("relationship", RELATIONSHIPS), ("lifecycle", LIFECYCLES))
    campaigns = db.execute(sa.select(Campaign.id, Campaign.name).order_by(Campaign.name)).all()
    return render_template(
        "models.html", versions=versions, current=current, counts=counts, groups=groups, campaigns=campaigns
    )


@bp.get("/<int:version_id>")
@roles_required("admin")
def version(version_id: int) -> str:
    """One version: evaluation, calibration table, features used and left out."""
    found = get_session().get(model_versions.ModelVersion, version_id)
    if found is None:
        abort(404)
    return render_template("models_version.html", version=found)


@bp.get("/leads/<int:lead_id>")
@roles_required("admin")
def lead(lead_id: int) -> str:
    """A lead's model score, its reasons in words, and its segments."""
    db = get_session()
    found = db.get(Lead, lead_id)
    if found is None:
        abort(404)
    return render_template("models_lead.html", lead=found, segment=db.get(lead_segments.LeadSegment, lead_id))


def _act(action: str, work) -> Response:  # type: ignore[no-untyped-def]
    db = get_session()
    now = utcnow()
    try:
        detail = work(db, now)
    except CallbotError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("models.index"))
    users.audit(db, current_user.id, action, now, **detail)
    db.commit()
    flash(", ".join(f"{k}: {v}" for k, v in detail.items()), "ok")
    return redirect(url_for("models.index"))


@bp.post("/rollback")
@roles_required("admin")
def rollback() -> Response:
    """Put the previously active version back."""

    def work(db, now):  # type: ignore[no-untyped-def]
        version = model_versions.rollback(db, now)
        return {"version": version.id, "rescored": model_versions.apply_active(db, now)}

    return _act("model_rollback", work)


@bp.post("/<int:version_id>/activate")
@roles_required("admin")
def activate(version_id: int) -> Response:
    """Use a given version (e.g. back to an older one)."""

    def work(db, now):  # type: ignore[no-untyped-def]
        model_versions.activate(db, version_id, now)
        return {"version": version_id, "rescored": model_versions.apply_active(db, now)}

    return _act("model_activate", work)


@bp.post("/retrain")
@roles_required("admin")
def retrain() -> Response:
    """Run the nightly ranking job now."""

    def work(db, now):  # type: ignore[no-untyped-def]
        result = retraining.nightly(db, now)
        return {"result": result.retrained.message, "segmented": result.segmented}

    return _act("model_retrain", work)


@bp.route("/weights/<int:campaign_id>", methods=["GET", "POST"])
@roles_required("admin")
def weights(campaign_id: int) -> str | Response:
    """A campaign's rule-score weights: every rule with its default and the campaign's own points."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    if request.method == "POST":
        wanted: dict[str, int] = {}
        for key, default in WEIGHTS.items():
            text = (request.form.get(key) or "").strip()
            if not text:
                continue
            if not text.lstrip("-").isdigit() or abs(int(text)) > 100:
                flash(f"{key}: {text!r}", "error")
                return redirect(url_for("models.weights", campaign_id=campaign_id))
            if int(text) != default:
                wanted[key] = int(text)
        now = utcnow()
        score_weights.set_weights(db, campaign_id, wanted, now)
        users.audit(db, current_user.id, "score_weights", now, campaign_id=campaign_id, weights=wanted)
        db.commit()
        flash(", ".join(f"{k}={v}" for k, v in wanted.items()) or "default", "ok")
        return redirect(url_for("models.weights", campaign_id=campaign_id))
    own = score_weights.weights_of(db, campaign_id)
    return render_template("models_weights.html", campaign=campaign, defaults=WEIGHTS, own=own)
