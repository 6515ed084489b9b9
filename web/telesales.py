"""The telesales workspace: claim the next best lead, see it at a glance, record a disposition."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from callbot import queue, users
from callbot.db import utcnow
from callbot.errors import InvalidTransition, NotFound
from callbot.models import QueueItem, User
from scoring import normalize_phone
from web.auth import roles_required
from web.db import get_session

bp = Blueprint("telesales", __name__, url_prefix="/telesales")
AGENTS = ("telesales", "admin")


@bp.get("/")
@roles_required(*AGENTS)
def workspace() -> str | Response:
    """The agent's lead in hand, or the button to take the next one."""
    item = queue.held_by(get_session(), current_user.id, utcnow())
    if item is not None:
        return redirect(url_for("telesales.item", item_id=item.id))
    return render_template("workspace.html")


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
    """Claim the best queued lead for this agent (atomic: no two agents get the same one)."""
    db = get_session()
    item = queue.claim_next(db, current_user.id, utcnow())
    db.commit()
    if item is None:
        flash("no_lead")
        return redirect(url_for("telesales.workspace"))
    return redirect(url_for("telesales.item", item_id=item.id))


@bp.get("/items/<int:item_id>")
@roles_required(*AGENTS)
def item(item_id: int) -> str:
    """The lead an agent holds, with everything needed to call them."""
    db = get_session()
    held = db.get(QueueItem, item_id) or abort(404)
    if held.claimed_by_id != current_user.id and current_user.role != "admin":
        abort(403)
    return render_template("item.html", item=held, lead=held.lead, dispositions=list(queue.DISPOSITIONS))


@bp.post("/items/<int:item_id>/disposition")
@roles_required(*AGENTS)
def dispose(item_id: int) -> Response:
    """Record the agent's disposition and note."""
    db = get_session()
    follow_up_at = _local_time(request.form.get("follow_up_at"))
    try:
        queue.dispose(
            db,
            item_id,
            current_user.id,
            request.form.get("disposition", ""),
            utcnow(),
            note=request.form.get("note"),
            follow_up_at=follow_up_at,
        )
    except NotFound:
        abort(404)
    except InvalidTransition as exc:
        db.rollback()
        flash(str(exc))
        return redirect(url_for("telesales.item", item_id=item_id))
    db.commit()
    flash("saved")
    return redirect(url_for("telesales.workspace"))


def _local_time(raw: str | None) -> dt.datetime | None:
    """A datetime-local form value, read in the deployment's time zone."""
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    tz = ZoneInfo(current_app.extensions["callbot.settings"].timezone)
    return value if value.tzinfo else value.replace(tzinfo=tz)
