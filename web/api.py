"""The JSON API: `POST /api/leads` adds leads to a campaign through the same intake engine as file imports.

Requests carry `Authorization: Bearer <token>` (see callbot.tokens); no cookies, so the blueprint is CSRF-exempt.
Every answer is JSON; a client's mistake is a 4xx naming the problem, whatever the input. Leads posted while their
campaign runs are dialled before every other waiting lead of the campaign (speed to lead: `Lead.priority = 1`).
Nothing personal is logged: ids, counts and verdicts only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any, NoReturn

import phonenumbers
import sqlalchemy as sa
from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from callbot import compliance, intake, leadfiles, tokens, users
from callbot import leads as lead_service
from callbot.db import utcnow
from callbot.errors import IntakeError
from callbot.models import ApiToken, Campaign, Lead
from scoring.names import clean_name
from web.db import get_session

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

MAX_LEADS = 1000  # per request; more is 413
MAX_KEYS = 50  # distinct keys across one request's leads (each becomes a column of every stored raw row)
MAX_KEY_CHARS = 100
MAX_VALUE_CHARS = 1000
MAX_NAME_CHARS = 200  # the name column's width (intake cuts the other fields to their columns, not the name)
TOP_LEVEL_KEYS = ("campaign", "leads", "lead", "region")
MAX_ID = 2**31 - 1  # ids are INTEGER columns
SCOPE = "leads:write"
INSERT_TRIES = 3  # a concurrent request may take a number first (unique index): the retry sees it as a duplicate


class ApiError(Exception):
    """A request the API refuses: the HTTP status, a stable error code and a message for the client's developer."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def _bad(message: str) -> NoReturn:
    raise ApiError(400, "bad_request", message)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int, dict[str, str]]:
    return jsonify(error=exc.code, message=exc.message), exc.status, exc.headers


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    """Werkzeug's errors (body too large, server error…) as JSON too."""
    code = (exc.name or "error").lower().replace(" ", "_")
    return jsonify(error=code, message=exc.description or exc.name), exc.code or 500


@bp.post("/leads")
def post_leads() -> tuple[Response, int]:
    """Add one lead or up to MAX_LEADS to a campaign; answer each lead's id, verdict, number and reasons, in order."""
    db = get_session()
    now = utcnow()
    token = _authenticate(db, now)
    reference, items, where, region = _parse_request(_json_body())
    for attempt in range(1, INSERT_TRIES + 1):
        try:
            campaign = _campaign(db, reference)
            rows = _rows(items, where, campaign.timezone)
            answer = _import(db, campaign, token, rows, region, now)
            db.commit()
            return jsonify(answer), 201
        except IntegrityError:
            db.rollback()
            if attempt == INSERT_TRIES:
                raise
            log.info("api: a number was taken by a concurrent request; importing again (try %d)", attempt + 1)
            token = _authenticate(db, now)
    raise AssertionError("unreachable")


@bp.get("/leads")
def get_leads() -> Response:
    """Leads with score, tier and segments (issue 7), filtered by ?campaign= and ?value_tier= ?relationship=
    ?lifecycle=; pages of ?limit= (≤ 500) after ?after=<id>. Needs the leads:read scope."""
    from callbot.lead_segments import listing

    db = get_session()
    _authenticate(db, utcnow(), "leads:read")
    return jsonify(listing(db, request.args))


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI document of this API (web/openapi.py). Public: it holds no data, and clients and scanners
    (schemathesis) read it before they have a token."""
    from web.openapi import document  # web.openapi reads this module's limits

    return jsonify(document())


# ---- authentication ---------------------------------------------------------------------------------------


def _authenticate(db: Session, now: dt.datetime, scope: str = SCOPE) -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    if not header:
        secret = ""
    elif scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(
            401,
            "invalid_token",
            "send the API token as 'Authorization: Bearer <token>'",
            {"WWW-Authenticate": 'Bearer realm="callbot", error="invalid_request"'},
        )
    try:
        return tokens.verify(db, secret.strip(), scope, now)
    except tokens.MissingScope as exc:
        raise ApiError(
            403,
            exc.code,
            str(exc),
            {"WWW-Authenticate": f'Bearer realm="callbot", error="insufficient_scope", scope="{scope}"'},
        ) from None
    except tokens.TokenError as exc:
        challenge = 'Bearer realm="callbot"' + (', error="invalid_token"' if secret else "")
        raise ApiError(401, exc.code, str(exc), {"WWW-Authenticate": challenge}) from None


# ---- the request ------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _json_body() -> Any:
    data = request.get_data(cache=False)
    if not data.strip():
        _bad('the body is empty: send a JSON object such as {"campaign": "…", "leads": [{"phone": "…"}]}')
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        _bad("the body is not valid JSON: nested too deeply")
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        _bad(f"the body is not valid JSON: {exc}")


def _parse_request(body: Any) -> tuple[int | str, list[dict[str, Any]], list[str], str]:
    """The campaign reference, the lead objects, how to name each in messages, and the default region."""
    if not isinstance(body, dict):
        _bad(f'the body must be a JSON object with "campaign" and "leads" (or "lead"), not {_kind(body)}')
    unknown = [key for key in body if key not in TOP_LEVEL_KEYS]
    if unknown:
        _bad(f"unknown key {_short(unknown[0])} in the body (allowed: {', '.join(TOP_LEVEL_KEYS)})")
    if "campaign" not in body:
        _bad('"campaign" is missing: give the campaign\'s name or id')
    reference = body["campaign"]
    if isinstance(reference, bool) or not isinstance(reference, int | str):
        _bad(f'"campaign" must be the campaign\'s name (a string) or id (an integer), not {_kind(reference)}')
    if isinstance(reference, str):
        reference = _text(reference.strip(), '"campaign"', 200)
        if not reference:
            _bad('"campaign" is empty')
    region = body.get("region", "VN")
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        _bad(
            '"region" must be a two-letter country code such as "VN" or "US" (the country of numbers written '
            "without one)"
        )
    if ("leads" in body) == ("lead" in body):
        _bad('give either "leads" (a list of lead objects) or "lead" (one lead object)')
    if "lead" in body:
        items, where = [body["lead"]], ["lead"]
    else:
        items = body["leads"]
        if not isinstance(items, list):
            _bad(f'"leads" must be a list of lead objects, not {_kind(items)}')
        if not items:
            _bad('"leads" is empty')
        if len(items) > MAX_LEADS:
            raise ApiError(
                413, "too_many_leads", f"{len(items)} leads in one request; send at most {MAX_LEADS} per request"
            )
        where = [f"leads[{i}]" for i in range(len(items))]
    keys: dict[str, None] = {}
    for item, at in zip(items, where, strict=True):
        if not isinstance(item, dict):
            _bad(f"{at} must be a lead object, not {_kind(item)}")
        if "phone" not in item:
            _bad(f'{at} has no "phone"')
        for key, value in item.items():
            _text(key, f"{at}: the key {_short(key)}", MAX_KEY_CHARS)
            if not key.strip():
                _bad(f"{at}: an empty key")
            if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float)):
                _bad(f"{at}.{_short(key)} must be a string, a number or null, not {_kind(value)}")
            if isinstance(value, str):
                _text(value, f"{at}.{_short(key)}", MAX_VALUE_CHARS)
            keys[key] = None
            if len(keys) > MAX_KEYS:
                _bad(f"more than {MAX_KEYS} different keys among the leads")
    return reference, items, where, region.upper()


def _text(value: str, where: str, limit: int) -> str:
    if len(value) > limit:
        _bad(f"{where} is longer than {limit} characters")
    if "\x00" in value:
        _bad(f"{where} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _bad(f"{where} is not valid Unicode (an unpaired surrogate)")
    return value


def _kind(value: Any) -> str:
    """A JSON value's type, as a client would name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _short(key: str) -> str:
    return json.dumps(key[:40] + ("…" if len(key) > 40 else ""), ensure_ascii=False)


def _campaign(db: Session, reference: int | str) -> Campaign:
    if isinstance(reference, int):
        query = sa.select(Campaign).where(Campaign.id == reference) if 0 < reference <= MAX_ID else None
        named = f"no campaign with id {reference}"
    else:
        query = sa.select(Campaign).where(Campaign.name == reference)
        named = f"no campaign named {_short(reference)}"
    # FOR NO KEY UPDATE on PostgreSQL: another post to this campaign, a pause or a completion waits until these
    # leads are in; the dialer's and file imports' inserts (key-share locks) do not.
    campaign = db.scalar(query.with_for_update(key_share=True)) if query is not None else None
    if campaign is None:
        raise ApiError(404, "campaign_not_found", named)
    if campaign.status == "completed":
        raise ApiError(409, "campaign_completed", f"campaign {campaign.id} is completed: it takes no more leads")
    return campaign


def _rows(items: list[dict[str, Any]], where: list[str], tz: str) -> list[tuple[int, dict[str, str]]]:
    """The leads as intake rows, (position from 1, {key: text}), every row with the same keys in the same order:
    the known field names first, so that they, and not look-alike extra keys ("date", "mobile"), fill the fields."""
    seen = dict.fromkeys(key for item in items for key in item)
    keys = [f for f in leadfiles.FIELDS if f in seen] + [k for k in seen if k not in leadfiles.FIELDS]
    mapping = leadfiles.map_headers(keys)
    by_field = {fld: keys[index] for fld, index in mapping.items()}
    parse_time = intake.TimeParser(tz)
    name_key = by_field.get("name")
    if name_key is not None:
        for item, at in zip(items, where, strict=True):
            # Measured as stored: cleaning can lengthen a name (a capital "ﬁ" is "FI").
            cleaned, _ = clean_name(_cell(item.get(name_key)).strip() or None)
            if cleaned is not None and len(cleaned) > MAX_NAME_CHARS:
                _bad(f"{at}.{_short(name_key)} is longer than {MAX_NAME_CHARS} characters")
    time_key = by_field.get("registered_at")
    if time_key is not None:
        for item, at in zip(items, where, strict=True):
            try:
                moment = parse_time.unchecked(_cell(item.get(time_key)))
            except (ValueError, OverflowError):
                moment = None
            if moment is not None and not intake.MIN_YEAR <= moment.year <= intake.MAX_YEAR:
                _bad(f"{at}.{_short(time_key)}: the year {moment.year} is out of range")
    return [(position, {key: _cell(item.get(key)) for key in keys}) for position, item in enumerate(items, 1)]


def _cell(value: Any) -> str:
    """A JSON value as a file cell would hold it."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


# ---- the import -------------------------------------------------------------------------------------------


def _import(
    db: Session,
    campaign: Campaign,
    token: ApiToken,
    rows: list[tuple[int, dict[str, str]]],
    region: str,
    now: dt.datetime,
) -> dict[str, Any]:
    try:
        report = intake.import_rows(db, campaign, rows, now, region=region)
    except IntakeError as exc:  # not expected: every lead has a phone key
        _bad(f"the leads could not be read: {exc}")
    stored = db.execute(
        sa.select(Lead.id, Lead.verdict, Lead.phone_e164, Lead.reasons)
        .where(Lead.campaign_id == campaign.id, Lead.import_batch == report.batch)
        .order_by(Lead.row_number, Lead.id)
    ).all()
    if len(stored) != len(rows):
        raise RuntimeError(f"batch {report.batch}: {len(rows)} leads sent, {len(stored)} stored")
    ids = [row.id for row in stored]
    compliance.assign_timezones(db, campaign.id, ids)
    intake.record_consent(db, campaign.id, report.batch, f"api: {token.name}", now)
    first = 0
    if campaign.status == "running":
        # Speed to lead: the dialer takes these before every other waiting lead of the campaign, on its next tick
        # while the lead's window is open, else at the window's opening. Cleared once the first call is placed.
        first = db.execute(
            sa.update(Lead)
            .where(Lead.id.in_(ids), Lead.verdict.in_(intake.CALLABLE), Lead.status.in_(lead_service.DIALABLE))
            .values(priority=1)
            .execution_options(synchronize_session=False)
        ).rowcount
    counts = dict(report.by_verdict)
    users.audit(
        db,
        None,
        "leads_posted",
        now,
        token_id=token.id,
        campaign_id=campaign.id,
        batch=report.batch,
        rows=report.total,
        by_verdict=counts,
    )
    log.info(
        "api: token %s posted %d leads to campaign %s (batch %s, %s); %d dialled first",
        token.id,
        report.total,
        campaign.id,
        report.batch,
        ", ".join(f"{verdict} {count}" for verdict, count in sorted(counts.items())),
        first,
    )
    return {
        "campaign_id": campaign.id,
        "batch": report.batch,
        "leads": [
            {"id": row.id, "verdict": row.verdict, "phone_e164": row.phone_e164, "reasons": list(row.reasons or [])}
            for row in stored
        ],
    }
