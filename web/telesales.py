"""The telesales workspace: the agent's day, claim the next best lead, see it at a glance, keep it, dispose of it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from callbot import queue, users
from callbot.db import utcnow
from callbot.errors import InvalidTransition, NotFound
from callbot.models import QueueItem, User
from callbot.settings import Settings
from scoring import normalize_phone
from web.auth import roles_required
from web.db import get_session

bp = Blueprint("telesales", __name__, url_prefix="/telesales")
AGENTS = ("telesales", "admin")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["callbot.settings"]
    return settings


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=_settings().claim_lease_seconds)


@bp.get("/")
@roles_required(*AGENTS)
def workspace() -> str | Response:
    """The agent's lead in hand, or their day so far and the button to take the next lead."""
    db = get_session()
    now = utcnow()
    item = queue.held_by(db, current_user.id, now)
    if item is not None:
        return redirect(url_for("telesales.item", item_id=item.id))
    day = queue.agent_day(db, current_user.id, now, _settings().timezone)
    return render_template("workspace.html", day=day, now=now)


@bp.post("/availability")
@roles_required(*AGENTS)
def availability() -> Response:
    """An agent's phone for live transfers, and whether they take transferred calls now."""
    db = get_session()
    user = db.get(User, current_user.id)
    assert user is not None
    raw = request.form.get("phone", "").strip()
    phone = None
    if raw:
        check = normalize_phone(raw[:40], "VN")
        phone = check.e164 if check.usable else None
        if phone is None:
            flash("bad_agent_phone")
            return redirect(request.referrer or url_for("telesales.workspace"))
    user.phone = phone
    user.available = request.form.get("available") == "on" and phone is not None
    users.audit(db, user.id, "agent_availability", utcnow(), available=user.available)
    db.commit()
    flash("saved")
    return redirect(request.referrer or url_for("telesales.workspace"))


@bp.post("/next")
@roles_required(*AGENTS)
def next_lead() -> Response:
    """Claim this agent's next lead: a follow-up of theirs that is due, else the best queued one (atomic)."""
    db = get_session()
    grace = dt.timedelta(seconds=_settings().follow_up_grace_seconds)
    item = queue.claim_next(db, current_user.id, utcnow(), _lease(), grace)
    db.commit()
    if item is None:
        flash("no_lead")
        return redirect(url_for("telesales.workspace"))
    return redirect(url_for("telesales.item", item_id=item.id))


@bp.get("/items/<int:item_id>")
@roles_required(*AGENTS)
def item(item_id: int) -> str:
    """The lead an agent holds, with everything needed to call them, and the disposition form."""
    db = get_session()
    held = db.get(QueueItem, item_id) or abort(404)
    if held.claimed_by_id != current_user.id and current_user.role != "admin":
        abort(403)
    return render_template(
        "item.html",
        item=held,
        lead=held.lead,
        dispositions=list(queue.DISPOSITIONS),
        holding=held.claimed_by_id == current_user.id and held.disposition is None,
        renew_seconds=max(10, _settings().claim_lease_seconds // 3),
    )


@bp.post("/items/<int:item_id>/lease")
@roles_required(*AGENTS)
def renew_lease(item_id: int) -> tuple[Response, int]:
    """Keep the lead the agent has open (called by telesales.js every few minutes); 409 once it is gone."""
    db = get_session()
    renewed = queue.renew(db, item_id, current_user.id, utcnow(), _lease())
    db.commit()
    if renewed is None or renewed.lease_expires_at is None:
        return jsonify(held=False), 409
    until = renewed.lease_expires_at
    local = until.astimezone(ZoneInfo(_settings().timezone)).strftime("%d/%m/%Y %H:%M:%S")
    return jsonify(held=True, until=until.isoformat(), until_local=local), 200


@bp.post("/items/<int:item_id>/disposition")
@roles_required(*AGENTS)
def dispose(item_id: int) -> Response:
    """Record the agent's disposition and note."""
    db = get_session()
    now = utcnow()
    disposition = request.form.get("disposition", "")
    follow_up_at = _local_time(request.form.get("follow_up_at"))
    problem = _form_problem(disposition, follow_up_at, now)
    if problem is not None:
        flash(problem)
        return redirect(url_for("telesales.item", item_id=item_id))
    try:
        queue.dispose(
            db,
            item_id,
            current_user.id,
            disposition,
            now,
            note=(request.form.get("note") or "")[:4000],
            follow_up_at=follow_up_at if disposition == "follow_up" else None,
        )
    except NotFound:
        abort(404)
    except InvalidTransition:
        db.rollback()
        flash("ts_not_your_lead")
        return redirect(url_for("telesales.workspace"))
    db.commit()
    flash("saved")
    return redirect(url_for("telesales.workspace"))


def _form_problem(disposition: str, follow_up_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """The text key of what is wrong with a disposition form, or None (checked before touching the lead)."""
    if disposition not in queue.DISPOSITIONS:
        return "ts_choose_disposition"
    if disposition == "follow_up":
        if follow_up_at is None:
            return "ts_follow_up_needs_time"
        if follow_up_at <= now:
            return "ts_follow_up_in_past"
    return None


def _local_time(raw: str | None) -> dt.datetime | None:
    """A datetime-local form value, read in the deployment's time zone."""
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    tz = ZoneInfo(_settings().timezone)
    return value if value.tzinfo else value.replace(tzinfo=tz)
