"""Helpers for the panel tests: sign in through the real form (CSRF on), and drive calls through signed webhooks."""

from __future__ import annotations

import re

from twilio.request_validator import RequestValidator

from callbot.models import CallAttempt, Lead
from tests.conftest import AUTH_TOKEN

PASSWORD = "mật-khẩu-dài-123"  # the default password of tests.conftest.make_user
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = _CSRF.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Sign in through the login form, as a browser would: fetch the form for its token, then post it."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def submit(client, page: str, action: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Post a form found on `page` to `action`, with the page's CSRF token."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})})


def logout(client):  # type: ignore[no-untyped-def]
    """Press the sign-out button (its form is on every signed-in page)."""
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    return client.post("/logout", data={"csrf_token": csrf_token(page)})


def signed_post(client, path: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
    """POST a webhook the way Twilio does: form-encoded, signed with the account's auth token."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"http://localhost{path}", params)
    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def start_call(sessions, lead_id: int) -> int:  # type: ignore[no-untyped-def]
    """What the dialer leaves behind when it places a call: the lead dialing, one attempt without a CallSid."""
    with sessions.begin() as s:
        lead = s.get(Lead, lead_id)
        lead.status, lead.attempts = "dialing", 1
        attempt = CallAttempt(lead_id=lead.id, campaign_id=lead.campaign_id, attempt_no=1, call_sid=None)
        s.add(attempt)
        s.flush()
        return attempt.id


def call_sid(n: int) -> str:
    return f"CA{n:032x}"


def run_call(client, attempt_id: int, sid: str, digits: list[str], status: str = "completed") -> None:  # type: ignore[no-untyped-def]
    """Answer the call, key `digits` one turn at a time, then end it with `status`."""
    base = {"CallSid": sid, "AccountSid": "AC" + "0" * 31 + "1", "From": "+842873000000", "To": "+84000000000"}
    signed_post(
        client, f"/twilio/voice?attempt={attempt_id}", {**base, "CallStatus": "in-progress", "AnsweredBy": "human"}
    )
    for turn, key in enumerate(digits, start=1):
        signed_post(
            client,
            f"/twilio/gather?attempt={attempt_id}&turn={turn}",
            {**base, "CallStatus": "in-progress", "Digits": key},
        )
    signed_post(client, f"/twilio/status?attempt={attempt_id}", {**base, "CallStatus": status, "CallDuration": "42"})


def call_interested(client, sessions, lead_id: int, n: int = 1) -> int:  # type: ignore[no-untyped-def]
    """Drive one lead through a whole call to the "interested" outcome (it lands in the telesales queue)."""
    attempt_id = start_call(sessions, lead_id)
    run_call(client, attempt_id, call_sid(n), ["1", "1"])
    return attempt_id
