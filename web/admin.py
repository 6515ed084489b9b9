"""Admin pages: new campaigns and their calling rules, users and roles, the do-not-call list, the audit log.

Every change goes through the same service functions as the CLI and is written to the audit log in the same
transaction, so a change and its record commit or fail together.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from callbot import campaigns, compliance, dnc, intake, users
from callbot.db import utcnow
from callbot.errors import CallbotError
from callbot.models import AuditLog, Campaign, Lead, User
from scoring import normalize_phone
from web import rules_form
from web.auth import roles_required
from web.db import get_session
from web.panel import _local_start

bp = Blueprint("admin", __name__)
PAGE_SIZE = 50
LANGUAGES = ("vi", "en")


def _audit(action: str, **detail: object) -> None:
    """Record an admin's change in the request's transaction (committed with the change itself)."""
    users.audit(get_session(), current_user.id, action, utcnow(), **detail)


# ---- campaigns ----------------------------------------------------------------------------------------------


@bp.route("/campaigns/new", methods=["GET", "POST"])
@roles_required("admin")
def campaign_new() -> str | Response:
    """Create a draft campaign (name, company, service, language, rules preset), optionally scheduled."""
    error = None
    if request.method == "POST":
        db = get_session()
        form = request.form
        try:
            campaign = _create_campaign(form.get("name", "").strip())
        except CallbotError as exc:
            db.rollback()
            error = str(exc)
        else:
            _audit(
                "campaign_created",
                campaign_id=campaign.id,
                name=campaign.name,
                preset=campaign.rules_preset,
                status=campaign.status,
                starts_at=campaign.starts_at.isoformat() if campaign.starts_at else None,
            )
            db.commit()
            flash("saved")
            return redirect(url_for("panel.campaign_detail", campaign_id=campaign.id))
    return render_template("campaign_new.html", error=error, presets=compliance.PRESETS, languages=LANGUAGES)


def _create_campaign(name: str) -> Campaign:
    """The campaign the form describes, through the same service as `callbot campaigns create` (and schedule)."""
    form, now = request.form, utcnow()
    if not name or len(name) > 200:
        raise CallbotError("name: 1 to 200 characters")
    language = form.get("language", "vi")
    if language not in LANGUAGES:
        raise CallbotError("unknown language")
    campaign = campaigns.create_campaign(
        get_session(),
        name,
        now,
        preset=form.get("preset", "vn"),
        company=form.get("company", "").strip()[:200],
        service=form.get("service", "").strip()[:200],
        language=language,
        auto_complete=form.get("keep_open") != "on",
    )
    if form.get("starts_at", "").strip():
        starts_at = _local_start(form["starts_at"], campaign.timezone)
        if starts_at <= now:  # the dialer would start it at once, or pause it as a missed start: say so instead
            raise CallbotError("starts_at: the start time has passed")
        campaigns.schedule(campaign, starts_at, now)
    return campaign


@bp.route("/campaigns/<int:campaign_id>/rules", methods=["GET", "POST"])
@roles_required("admin")
def campaign_rules(campaign_id: int) -> str | Response:
    """Edit a campaign's calling rules: window, days, holidays, per-number cap, retries, pace, concurrency.

    The time zone is fixed once leads exist: intake stores a lead's zone only where it differs from the
    campaign's (NULL means "the campaign's"), so moving the campaign's zone would move those leads' hours.
    """
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    error = None
    has_leads = db.scalar(sa.select(Lead.id).where(Lead.campaign_id == campaign_id).limit(1)) is not None
    if request.method == "POST" and request.form.get("action") == "preset":
        preset = request.form.get("preset", "")
        if preset not in compliance.PRESETS:
            abort(400)
        before, zone = campaign.rules_preset, campaign.timezone
        compliance.apply_preset(campaign, preset)
        if has_leads:
            campaign.timezone = zone  # the leads' zones were stored relative to it (see the docstring)
        _audit("campaign_rules", campaign_id=campaign_id, preset=[before, preset])
        db.commit()
        flash("saved")
        return redirect(url_for("admin.campaign_rules", campaign_id=campaign_id))
    if request.method == "POST":
        try:
            values = rules_form.read(request.form)
            if has_leads and values["timezone"] != campaign.timezone:
                raise CallbotError("timezone: cannot change once leads are imported (see the note below the field)")
        except CallbotError as exc:
            error = str(exc)
        else:
            changed = rules_form.changes(campaign, values)
            for key, value in values.items():
                setattr(campaign, key, value)
            if changed:
                _audit("campaign_rules", campaign_id=campaign_id, changes=changed)
            db.commit()
            flash("saved")
            return redirect(url_for("admin.campaign_rules", campaign_id=campaign_id))
    return render_template(
        "campaign_rules.html",
        campaign=campaign,
        error=error,
        presets=compliance.PRESETS,
        retries=rules_form.retry_rows(campaign),
        has_leads=has_leads,
        weekday_names=compliance.WEEKDAY_NAMES,
    )


# ---- users ------------------------------------------------------------------------------------------------------


@bp.get("/users")
@roles_required("admin")
def user_list() -> str:
    """Every panel user with their role and state, and the form to add one."""
    rows = get_session().scalars(sa.select(User).order_by(User.active.desc(), User.role, User.name))
    return render_template("users.html", users=list(rows), roles=users.ROLES)


@bp.post("/users")
@roles_required("admin")
def user_create() -> Response:
    """Create a user with a role and an initial password (the password policy of callbot.users)."""
    db = get_session()
    form = request.form
    try:
        user = users.create_user(
            db, form.get("email", ""), form.get("name", ""), form.get("password", ""), form.get("role", ""), utcnow()
        )
    except CallbotError as exc:
        db.rollback()
        flash(str(exc))
    else:
        _audit("user_created", target_id=user.id, email=user.email, role=user.role)
        db.commit()
        flash("saved")
    return redirect(url_for("admin.user_list"))


@bp.post("/users/<int:user_id>/<change>")
@roles_required("admin")
def user_change(user_id: int, change: str) -> Response:
    """Change a user's role, deactivate or reactivate them, or reset their password (which ends their sessions)."""
    db = get_session()
    user = db.get(User, user_id) or abort(404)
    form = request.form
    try:
        if change == "role":
            before = user.role
            users.change_role(db, user, form.get("role", ""))
            _audit("user_role", target_id=user.id, email=user.email, before=before, after=user.role)
        elif change == "active":
            users.set_active(db, user, form.get("active") == "1")
            _audit("user_active", target_id=user.id, email=user.email, active=user.active)
        elif change == "password":
            users.reset_password(user, form.get("password", ""))
            _audit("user_password_reset", target_id=user.id, email=user.email)
        else:
            abort(404)
    except CallbotError as exc:
        db.rollback()
        flash(str(exc))
    else:
        db.commit()
        flash("saved")
    return redirect(url_for("admin.user_list"))


# ---- do-not-call ------------------------------------------------------------------------------------------------


@bp.get("/dnc")
@roles_required("admin")
def dnc_list() -> str:
    """The do-not-call list, newest first; search by a number in any form (or a part of its digits)."""
    db = get_session()
    q = request.args.get("q", "").strip()[:50]
    page = max(1, request.args.get("page", 1, type=int))
    e164 = normalize_phone(q).e164 if q else None
    digits = "".join(ch for ch in q if ch.isdigit()) if q and e164 is None else None
    found = (
        dnc.entries(db, e164, digits=digits, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
        if e164 or digits or not q
        else []  # a search with no digits in it matches no number
    )
    return render_template(
        "dnc.html", entries=found[:PAGE_SIZE], has_next=len(found) > PAGE_SIZE, page=page, q=q, total=dnc.count(db)
    )


@bp.post("/dnc/add")
@roles_required("admin")
def dnc_add() -> Response:
    """Put one number (any form) on the list."""
    e164 = _number(request.form.get("number", ""))
    if e164 is not None:
        added = dnc.add_many(get_session(), {e164}, "manual", utcnow())
        _audit("dnc_added", number=e164, added=bool(added))
        get_session().commit()
        flash("saved")
    return redirect(url_for("admin.dnc_list"))


@bp.post("/dnc/remove")
@roles_required("admin")
def dnc_remove() -> Response:
    """Take one number off the list (as listed, or typed in any form)."""
    raw = request.form.get("number", "").strip()
    # An entry's own button sends its E.164 as stored: removed as is, even if today's rules would not accept it.
    e164 = raw if raw.startswith("+") and raw[1:].isdigit() and len(raw) <= 20 else _number(raw)
    if e164 is not None:
        removed = dnc.remove(get_session(), e164)
        _audit("dnc_removed", number=e164, removed=removed)
        get_session().commit()
        flash("saved")
    return redirect(url_for("admin.dnc_list"))


@bp.post("/dnc/import")
@roles_required("admin")
def dnc_import() -> Response:
    """Add every number of an uploaded file (a phone column, or one number per line), like `callbot dnc import`."""
    sent = request.files.get("numbers_file")
    if sent is None or not sent.filename:
        flash("no_file")
        return redirect(url_for("admin.dnc_list"))
    suffix = Path(sent.filename).suffix.lower()
    if suffix not in (".csv", ".tsv", ".txt", ".xlsx"):
        flash("bad_file_type")
        return redirect(url_for("admin.dnc_list"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"numbers{suffix}"
        sent.save(path)
        try:
            numbers = intake.load_number_list(path, request.form.get("region") or "VN")
        except CallbotError as exc:
            flash(str(exc).replace(str(path), sent.filename))
            return redirect(url_for("admin.dnc_list"))
    added = dnc.add_many(get_session(), numbers, "national_list", utcnow())
    _audit("dnc_imported", file=sent.filename[:200], numbers=len(numbers), added=added)
    get_session().commit()
    flash("saved")
    return redirect(url_for("admin.dnc_list"))


def _number(raw: str) -> str | None:
    """A typed number as E.164, or None with the reason flashed."""
    check = normalize_phone(raw.strip()[:50])
    if check.e164 is None:
        flash("bad_number")
    return check.e164


# ---- audit log ---------------------------------------------------------------------------------------------------


@bp.get("/audit")
@roles_required("admin")
def audit_log() -> str:
    """The audit log, newest first, filtered by action and by user; read-only (no route changes it)."""
    db = get_session()
    action = request.args.get("action", "").strip()[:50]
    user_id = request.args.get("user", "")
    page = max(1, request.args.get("page", 1, type=int))
    query = sa.select(AuditLog, User.email).outerjoin(User, User.id == AuditLog.user_id)
    if action:
        query = query.where(AuditLog.action == action)
    if user_id.isdigit():
        query = query.where(AuditLog.user_id == int(user_id))
    query = query.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    rows = db.execute(query).all()
    return render_template(
        "audit.html",
        rows=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        action=action,
        user_id=user_id,
        actions=list(db.scalars(sa.select(AuditLog.action).distinct().order_by(AuditLog.action))),
        people=db.execute(sa.select(User.id, User.email).order_by(User.email)).all(),
    )
