"""The admin panel: campaigns with their funnel and dashboard, calls and leads lists, call timelines, lead details."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree.ElementTree import ParseError
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import Session, contains_eager
from werkzeug.wrappers import Response

from callbot import campaigns, compliance, flow, queue, scripts, users, verdicts
from callbot.db import utcnow
from callbot.errors import CallbotError
from callbot.models import CallAttempt, Campaign, Lead, QueueItem
from web import charts, listing
from web.auth import roles_required
from web.db import get_session
from web.i18n import current_language, translate
from web.masking import mask_name, mask_phone

bp = Blueprint("panel", __name__)
PAGE_SIZE = 50
REVIEWERS = ("admin", "viewer")


@bp.app_template_filter("masked")
def masked(phone: str | None) -> str:
    """A phone number with its middle hidden: +8490*****67 (web.masking, shared with the exports)."""
    return mask_phone(phone)


@bp.app_template_global()
def show_name(name: str | None) -> str:
    """A lead's name: masked for viewers, who see figures but not whom they are about."""
    if current_user.role == "viewer":
        return mask_name(name)
    return name or "—"


@bp.app_template_global()
def show_note(note: str | None) -> str:
    """An agent's free-text note: hidden from viewers, as in the exports (agents write numbers and names there)."""
    if current_user.role == "viewer":
        return "—" if note else ""
    return note or ""


@bp.app_template_global()
def show_said(text: str, name: str | None) -> str:
    """What the bot said to a lead (it greets them by name): the name masked for viewers."""
    if current_user.role == "viewer" and name and name.strip():
        return text.replace(name, mask_name(name))
    return text


@bp.app_template_global()
def show_phone(phone: str | None, lead_id: int | None = None) -> str:
    """The number in full for admins (and for the agent holding the lead), masked for everyone else."""
    if current_user.role == "admin":
        return phone or "—"
    if current_user.role == "telesales" and lead_id is not None:
        held = queue.held_by(get_session(), current_user.id, utcnow())
        if held is not None and held.lead_id == lead_id:
            return phone or "—"
    return masked(phone)


def _page(db: Session, query: sa.Select[Any], page: int) -> tuple[list[Any], bool]:
    """One page of a query's rows, and whether another page follows (one extra row tells)."""
    rows = list(db.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@bp.get("/")
@login_required
def home() -> Response:
    """Send each role to where it works."""
    return redirect(url_for("telesales.workspace" if current_user.role == "telesales" else "panel.campaign_list"))


@bp.get("/campaigns")
@roles_required(*REVIEWERS)
def campaign_list() -> str:
    """Every campaign with its status, rules and funnel."""
    db = get_session()
    rows = [
        (c, campaigns.funnel(db, c.id), compliance.describe(c))
        for c in db.scalars(sa.select(Campaign).order_by(Campaign.created_at.desc()))
    ]
    return render_template("campaigns.html", rows=rows)


@bp.get("/campaigns/<int:campaign_id>")
@roles_required(*REVIEWERS)
def campaign_detail(campaign_id: int) -> str:
    """One campaign: funnel, lead statuses, and its leads page by page."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    page = max(1, request.args.get("page", 1, type=int))
    verdict = request.args.get("verdict") or None
    query = sa.select(Lead).where(Lead.campaign_id == campaign_id)
    if verdict:
        query = query.where(Lead.verdict == verdict)
    leads, has_next = _page(db, query.order_by(Lead.score.desc(), Lead.id), page)
    return render_template(
        "campaign.html",
        campaign=campaign,
        funnel=campaigns.funnel(db, campaign_id),
        statuses=campaigns.status_counts(db, campaign_id),
        rules=compliance.describe(campaign),
        rule_lines=compliance.rules(campaign, current_language()),
        progress=campaigns.progress(db, campaign, utcnow()),
        leads=leads,
        page=page,
        verdict=verdict,
        has_next=has_next,
        uploads=verdicts.uploads(db, campaign_id),
    )


# What an admin may do to a campaign from its page, and the status each action moves it to.
ACTIONS = {"start": "running", "pause": "paused", "resume": "running", "schedule": "scheduled", "stop": "completed"}


@bp.post("/campaigns/<int:campaign_id>/status")
@roles_required("admin")
def campaign_status(campaign_id: int) -> Response:
    """Start now, schedule, pause, resume or stop a campaign (recorded in the audit log)."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    now = utcnow()
    before = campaign.status
    try:
        if action == "schedule":
            campaigns.schedule(campaign, _local_start(request.form.get("starts_at", ""), campaign.timezone), now)
        else:
            campaigns.change_status(campaign, ACTIONS[action], now)
    except CallbotError as exc:
        db.rollback()
        flash(str(exc))
        return redirect(url_for("panel.campaign_detail", campaign_id=campaign_id))
    users.audit(
        db,
        current_user.id,
        "campaign_status",
        now,
        campaign_id=campaign_id,
        change=action,
        before=before,
        after=campaign.status,
        starts_at=campaign.starts_at.isoformat() if action == "schedule" and campaign.starts_at else None,
    )
    db.commit()
    return redirect(url_for("panel.campaign_detail", campaign_id=campaign_id))


def _local_start(raw: str, zone: str) -> dt.datetime:
    """A start time typed in the campaign's own time zone ("2026-11-30T08:00"), as an aware datetime."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CallbotError(f"not a date and time: {raw[:40]!r}") from None
    return moment.replace(tzinfo=ZoneInfo(zone)) if moment.tzinfo is None else moment


@bp.get("/campaigns/<int:campaign_id>/dashboard")
@roles_required(*REVIEWERS)
def campaign_dashboard(campaign_id: int) -> str:
    """A campaign's dashboard: funnel, outcomes, answer rate by hour, cost; dashboard.js keeps it current."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    timezone = current_app.extensions["callbot.settings"].timezone
    return render_template("dashboard.html", campaign=campaign, stats=_stats(db, campaign), timezone=timezone)


@bp.get("/campaigns/<int:campaign_id>/stats.json")
@roles_required(*REVIEWERS)
def campaign_stats(campaign_id: int) -> Response:
    """The dashboard's figures as JSON (no personal data), polled by dashboard.js while the page is open."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    response = jsonify(_stats(db, campaign))
    response.headers["Cache-Control"] = "no-store"
    return response


def _stats(db: Session, campaign: Campaign) -> dict[str, Any]:
    """One builder for the page and the JSON, so the numbers polled are the numbers first drawn."""
    settings = current_app.extensions["callbot.settings"]
    return charts.dashboard(
        db,
        campaign,
        utcnow(),
        timezone=settings.timezone,
        price=settings.cost_per_minute,
        t=translate,
        lang=current_language(),
    )


@bp.app_template_global("funnel_bars")
def template_funnel_bars(funnel: campaigns.Funnel) -> list[charts.Bar]:
    """The funnel as chart bars in the panel language (for _funnel.html)."""
    return charts.funnel_bars(funnel, translate, current_language())


@bp.get("/calls")
@roles_required(*REVIEWERS)
def call_list() -> str:
    """Call attempts, newest first, filtered by campaign, outcome, date, agent and a name or number."""
    db = get_session()
    page = max(1, request.args.get("page", 1, type=int))
    filters = listing.filters_from(request.args)
    query = sa.select(CallAttempt).join(Lead).options(contains_eager(CallAttempt.lead))
    query = listing.narrow(query, filters, CallAttempt, _zone())
    outcome = filters.get("outcome")
    if outcome == "live":
        query = query.where(CallAttempt.outcome.is_(None))
    elif outcome:
        query = query.where(CallAttempt.outcome == outcome)
    attempts, has_next = _page(db, query.order_by(CallAttempt.id.desc()), page)
    return render_template(
        "calls.html",
        attempts=attempts,
        page=page,
        has_next=has_next,
        filters=filters,
        outcomes=campaigns.OUTCOMES,
        **listing.choices(db),
    )


@bp.get("/leads")
@roles_required(*REVIEWERS)
def lead_list() -> str:
    """Leads of every campaign, newest first, with their intake verdict and reasons; same filters as the calls."""
    db = get_session()
    page = max(1, request.args.get("page", 1, type=int))
    filters = listing.filters_from(request.args)
    query = listing.narrow(sa.select(Lead), filters, Lead, _zone())
    if filters.get("status"):
        query = query.where(Lead.status == filters["status"])
    if filters.get("verdict"):
        query = query.where(Lead.verdict == filters["verdict"])
    leads, has_next = _page(db, query.order_by(Lead.id.desc()), page)
    return render_template(
        "leads.html",
        leads=leads,
        page=page,
        has_next=has_next,
        filters=filters,
        statuses=listing.LEAD_STATUSES,
        verdicts=listing.VERDICTS,
        **listing.choices(db),
    )


@bp.app_template_global()
def page_url(page: int) -> str:
    """This list's URL for another page, with the same filters."""
    return url_for(str(request.endpoint), **(request.view_args or {}), page=page, **listing.filters_from(request.args))


def _zone() -> ZoneInfo:
    """The deployment's time zone, in which dates typed in the panel are meant."""
    return ZoneInfo(current_app.extensions["callbot.settings"].timezone)


@bp.get("/calls/<int:attempt_id>")
@roles_required(*REVIEWERS)
def call_detail(attempt_id: int) -> str:
    """One call: its lead, outcome, what the caller said, and every event Twilio sent."""
    db = get_session()
    attempt = db.get(CallAttempt, attempt_id) or abort(404)
    return render_template("call.html", attempt=attempt, events=attempt.events)


@bp.get("/leads/<int:lead_id>")
@roles_required(*REVIEWERS)
def lead_detail(lead_id: int) -> str:
    """One lead: data, intake verdict, score with reasons, calls and queue state."""
    db = get_session()
    lead = db.get(Lead, lead_id) or abort(404)
    item = db.scalar(sa.select(QueueItem).where(QueueItem.lead_id == lead_id))
    return render_template("lead.html", lead=lead, item=item)


@bp.app_template_filter("local")
def local_time(value: object) -> str:
    """A timestamp in the deployment's time zone, as dd/mm/yyyy HH:MM:SS."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from flask import current_app

    if not isinstance(value, dt.datetime):
        return "—"
    tz = ZoneInfo(current_app.extensions["callbot.settings"].timezone)
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")


@bp.route("/campaigns/<int:campaign_id>/script", methods=["GET", "POST"])
@roles_required("admin")
def campaign_script(campaign_id: int) -> str | Response:
    """Edit what callers hear (texts, voice, recordings, answering-machine action, recording), with a preview."""
    db = get_session()
    campaign = db.get(Campaign, campaign_id) or abort(404)
    error = None
    if request.method == "POST":
        try:
            changes = _script_form(campaign.language)
        except CallbotError as exc:
            error = str(exc)
        else:
            for key, value in changes.items():
                setattr(campaign, key, value)
            users.audit(
                db, current_user.id, "campaign_script", utcnow(), campaign_id=campaign_id, fields=sorted(changes)
            )
            db.commit()
            flash("saved")
            return redirect(url_for("panel.campaign_script", campaign_id=campaign_id))
    sample = db.scalar(
        sa.select(Lead)
        .where(Lead.campaign_id == campaign_id, Lead.verdict.in_(("ok", "suspect")))
        .order_by(Lead.id)
        .limit(1)
    )
    return render_template(
        "script.html",
        campaign=campaign,
        error=error,
        editable=scripts.EDITABLE,
        defaults=scripts.script_for(campaign.language).texts,
        voices=flow.VOICE_CHOICES.get(campaign.language, ()),
        preview=preview_call(campaign, sample),
        variables=scripts.VARIABLES,
    )


def _script_form(language: str) -> dict[str, Any]:
    """The script form's values, checked: unknown variables, voices or URLs are refused with the reason."""
    form = request.form
    texts = scripts.check_texts({key: form.get(f"text_{key}", "") for key in scripts.EDITABLE})
    voice = form.get("voice") or None
    if voice is not None and voice not in flow.VOICE_CHOICES.get(language, ()):
        raise CallbotError(f"unknown voice {voice[:60]!r}")
    audio = {}
    for key in scripts.EDITABLE:
        url = form.get(f"audio_{key}", "").strip()
        if url:
            if not url.startswith("https://") or len(url) > 500 or any(c.isspace() for c in url):
                raise CallbotError(f"{key}: a recording must be an https:// URL")
            audio[key] = url
    machine_action = form.get("machine_action", "message")
    if machine_action not in flow.MACHINE_ACTIONS:
        raise CallbotError("unknown answering-machine action")
    timeout = form.get("transfer_timeout_seconds", "20").strip()
    if not timeout.isdigit() or not 5 <= int(timeout) <= 120:
        raise CallbotError("the agent's ring time must be 5 to 120 seconds")
    return {
        "live_transfer": form.get("live_transfer") == "on",
        "transfer_timeout_seconds": int(timeout),
        "script_texts": texts,
        "voice": voice,
        "audio": audio,
        "machine_action": machine_action,
        "record_calls": form.get("record_calls") == "on",
    }


def preview_call(campaign: Campaign, lead: Lead | None) -> list[tuple[str, str, str]]:
    """What a sample lead would hear at each step: (step, spoken text, TwiML)."""
    sample_name = lead.name if lead is not None else ("Nguyễn Văn An" if campaign.language == "vi" else "Mary Smith")
    ctx = flow.FlowContext(
        name=sample_name,
        service=(lead.service if lead is not None else None) or campaign.service,
        company=campaign.company,
        language=campaign.language,
        action_url=lambda turn: f"/twilio/gather?attempt=0&turn={turn}",
        registered_at=lead.registered_at if lead is not None else None,
        score=lead.score if lead is not None else None,
        texts=campaign.script_texts or None,
        voice=campaign.voice,
        audio=campaign.audio or None,
        machine_action=campaign.machine_action,
        recording_notice=campaign.record_calls,
    )
    first = flow.start(ctx, "human")
    interest = flow.handle(ctx, first.state, digits="1")
    steps = [
        ("identity", first),
        ("interest", interest),
        ("closing_interested", flow.handle(ctx, interest.state, digits="1")),
        ("closing_not_interested", flow.handle(ctx, interest.state, digits="2")),
        ("closing_wrong_person", flow.handle(ctx, first.state, digits="2")),
        ("closing_opted_out", flow.handle(ctx, first.state, digits="9")),
        ("voicemail", flow.start(ctx, "machine_end_beep")),
    ]
    return [(name, _spoken(step.twiml), step.twiml) for name, step in steps]


@bp.app_template_filter("spoken")
def spoken(twiml: str | None) -> str:
    """What a stored TwiML answer made the caller hear (empty when there is none or it is not TwiML)."""
    try:
        return _spoken(twiml) if twiml else ""
    except ParseError:
        return ""


@bp.app_template_filter("local_iso")
def local_iso(value: str | None) -> str:
    """An ISO timestamp kept as text (a callback time in the call's state), in the deployment's time zone."""
    try:
        return local_time(dt.datetime.fromisoformat(value or ""))
    except ValueError:
        return value or "—"


def _spoken(twiml: str) -> str:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(twiml)
    parts = [
        node.text or "" if node.tag == "Say" else f"[▶ {node.text}]"
        for node in root.iter()
        if node.tag in ("Say", "Play")
    ]
    return " ".join(parts)
