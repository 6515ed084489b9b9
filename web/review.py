"""Intake review in the panel: upload a lead file to a campaign, see each upload's verdicts, override one."""

from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from callbot import intake, users, verdicts
from callbot.db import utcnow
from callbot.errors import IntakeError, InvalidTransition
from callbot.models import Campaign, Lead
from web.auth import roles_required
from web.db import get_session

bp = Blueprint("review", __name__)
ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
PAGE_SIZE = 100


@bp.post("/campaigns/<int:campaign_id>/upload")
@roles_required("admin")
def upload(campaign_id: int) -> Response:
    """Import an uploaded lead file with the same engine as `callbot leads import`."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    sent = request.files.get("leads_file")
    if sent is None or not sent.filename:
        flash("no_file")
        return redirect(url_for("panel.campaign_detail", campaign_id=campaign_id))
    suffix = Path(sent.filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        flash("bad_file_type")
        return redirect(url_for("panel.campaign_detail", campaign_id=campaign_id))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        sent.save(path)
        try:
            report = intake.import_file(
                db,
                campaign,
                path,
                utcnow(),
                region=request.form.get("region") or "VN",
                consent_source=f"upload: {Path(sent.filename).name}",
            )
        except IntakeError as exc:
            db.rollback()
            flash(str(exc).replace(str(path), sent.filename))
            return redirect(url_for("panel.campaign_detail", campaign_id=campaign_id))
    users.audit(
        db,
        current_user.id,
        "leads_uploaded",
        utcnow(),
        campaign_id=campaign_id,
        batch=report.batch,
        file=sent.filename[:200],
        rows=report.total,
        by_verdict=dict(report.by_verdict),
    )
    db.commit()
    return redirect(url_for("review.upload_detail", campaign_id=campaign_id, batch=report.batch))


@bp.get("/campaigns/<int:campaign_id>/uploads/<batch>")
@roles_required("admin", "viewer")
def upload_detail(campaign_id: int, batch: str) -> str:
    """One upload: counts by verdict and reason, then every row that is not plainly ok, with its reasons."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    summary = verdicts.upload_summary(db, campaign_id, batch) or abort(404)
    verdict = request.args.get("verdict") or None
    page = max(1, request.args.get("page", 1, type=int))
    query = sa.select(Lead).where(Lead.campaign_id == campaign_id, Lead.import_batch == batch)
    query = query.where(Lead.verdict == verdict) if verdict else query.where(Lead.verdict != "ok")
    rows = list(db.scalars(query.order_by(Lead.row_number).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return render_template(
        "upload.html",
        campaign=campaign,
        summary=summary,
        rows=rows[:PAGE_SIZE],
        verdict=verdict,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
    )


@bp.post("/leads/<int:lead_id>/verdict")
@roles_required("admin")
def override_verdict(lead_id: int) -> Response:
    """An admin overrides a lead's intake verdict (recorded in the audit log)."""
    db = get_session()
    lead = db.get(Lead, lead_id) or abort(404)
    try:
        verdicts.override(
            db, lead, request.form.get("verdict", ""), current_user.id, utcnow(), request.form.get("note", "")
        )
    except InvalidTransition as exc:
        db.rollback()
        flash(str(exc))
    else:
        db.commit()
        flash("saved")
    return redirect(url_for("panel.lead_detail", lead_id=lead_id))
