"""Twilio webhooks: verify the signature, apply the request once and journal it raw, answer TwiML."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from callbot import calls
from callbot.db import utcnow
from web.db import get_session

bp = Blueprint("twilio_hooks", __name__, url_prefix="/twilio")


def is_signed_by_twilio(auth_token: str, url: str, params: Mapping[str, Any], signature: str) -> bool:
    """Whether `signature` is Twilio's X-Twilio-Signature for this URL and these POST parameters."""
    if not signature or not all(isinstance(name, str) for name in params):
        return False  # e.g. a multipart part without a name (werkzeug's key None): Twilio never sends one
    try:
        return RequestValidator(auth_token).validate(url, params, signature)
    except ValueError:  # the validator parses the URL: one rebuilt from odd forwarded headers may not parse
        return False


@bp.before_request
def verify_signature() -> None:
    """Reject (403, nothing stored) any request not signed by Twilio with our auth token."""
    settings = current_app.extensions["callbot.settings"]
    signature = request.headers.get("X-Twilio-Signature", "")
    try:
        url = request.url
    except ValueError:  # no URL can be made of it (e.g. a forwarded prefix "a:b:c" reads as a port): not Twilio's
        abort(403)
    if not is_signed_by_twilio(settings.twilio_auth_token, url, request.form, signature):
        abort(403)


def _handle(kind: str, turn: int | None = None) -> Response:
    settings = current_app.extensions["callbot.settings"]
    params = request.form.to_dict(flat=True)
    urls = calls.CallUrls(settings.public_url)
    twiml = calls.receive(get_session(), kind, params, _small_int("attempt"), urls, utcnow(), turn=turn)
    return Response(twiml, mimetype="application/xml")


def _small_int(name: str) -> int | None:
    """A query-string id as we issue them; anything else (text, out of range) is treated as absent."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value < 2**31 else None


@bp.post("/voice")
def voice() -> Response:
    """The answer URL: the call was picked up (by a person or a machine)."""
    return _handle("voice")


@bp.post("/gather")
def gather() -> Response:
    """A Gather's action: the caller pressed keys, spoke, or said nothing."""
    return _handle("gather", turn=_small_int("turn"))


@bp.post("/status")
def status() -> Response:
    """A call-progress status callback."""
    return _handle("status")


@bp.post("/recording")
def recording() -> Response:
    """A recording status callback: the call's recording is ready."""
    return _handle("recording")


@bp.post("/transfer")
def transfer() -> Response:
    """The <Dial> to an agent ended: connected, or nobody answered in time."""
    return _handle("transfer")


@bp.post("/whisper")
def whisper() -> Response:
    """The agent picked up: what they hear before the lead is put through."""
    return _handle("whisper")


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: our answer failed; end the call politely and record why."""
    return _handle("fallback")
