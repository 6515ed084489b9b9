"""Every route × every role (admin, telesales, viewer, anonymous) gets exactly what its role allows, and every
state-changing panel form refuses a request without a CSRF token.

The routes come from the app's own URL map: a route added without a line in EXPECTED fails this test, so each new
route's access is decided, not inherited by accident.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from callbot.models import AuditLog, CallAttempt, DoNotCall, Lead, QueueItem, User
from tests.conftest import make_campaign, make_user
from tests.web.conftest import call_interested, csrf_token, login, signed_post

ROLES = ("admin", "telesales", "viewer", "anonymous")
LOGIN = "login"  # a redirect to the sign-in page
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Blueprints that take no CSRF token by design: Twilio signs its webhooks, the JSON API takes a bearer token.
CSRF_EXEMPT = {"twilio_hooks", "api"}

# (method, rule) -> the status each role gets: (admin, telesales, viewer, anonymous). The requests carry a valid
# CSRF token and no other form field, so an allowed form answers with its own validation (400, or a redirect
# with a message) and changes nothing of note. The lead page (item) is the one the telesales agent holds.
EXPECTED: dict[tuple[str, str], tuple[int | str, int | str, int | str, int | str]] = {
    ("GET", "/"): (302, 302, 302, LOGIN),
    ("GET", "/healthz"): (200, 200, 200, 200),
    # Prometheus: by network or bearer token (web/ops.py), not by panel role; the test client is 127.0.0.1, allowed
    ("GET", "/metrics"): (200, 200, 200, 200),
    ("GET", "/static/<path:filename>"): (200, 200, 200, 200),
    ("GET", "/login"): (200, 200, 200, 200),
    ("POST", "/login"): (200, 200, 200, 200),  # no e-mail or password: the form again, with the error
    ("POST", "/logout"): (302, 302, 302, LOGIN),
    # panel: admins and viewers
    ("GET", "/campaigns"): (200, 403, 200, LOGIN),
    ("GET", "/campaigns/<int:campaign_id>"): (200, 403, 200, LOGIN),
    ("GET", "/campaigns/<int:campaign_id>/dashboard"): (200, 403, 200, LOGIN),
    ("GET", "/campaigns/<int:campaign_id>/stats.json"): (200, 403, 200, LOGIN),
    ("GET", "/campaigns/<int:campaign_id>/uploads/<batch>"): (200, 403, 200, LOGIN),
    ("GET", "/calls"): (200, 403, 200, LOGIN),
    ("GET", "/calls/<int:attempt_id>"): (200, 403, 200, LOGIN),
    ("GET", "/leads"): (200, 403, 200, LOGIN),
    ("GET", "/leads/<int:lead_id>"): (200, 403, 200, LOGIN),
    ("GET", "/exports/"): (200, 403, 200, LOGIN),
    ("POST", "/exports/<kind>.<fmt>"): (200, 403, 200, LOGIN),
    # admin only
    ("POST", "/campaigns/<int:campaign_id>/status"): (400, 403, 403, LOGIN),  # no action given
    ("GET", "/campaigns/<int:campaign_id>/script"): (200, 403, 403, LOGIN),
    ("POST", "/campaigns/<int:campaign_id>/script"): (302, 403, 403, LOGIN),
    ("GET", "/campaigns/<int:campaign_id>/rules"): (200, 403, 403, LOGIN),
    ("POST", "/campaigns/<int:campaign_id>/rules"): (200, 403, 403, LOGIN),  # the form again, with the error
    ("POST", "/campaigns/<int:campaign_id>/upload"): (302, 403, 403, LOGIN),  # no file: back, with a message
    ("POST", "/leads/<int:lead_id>/verdict"): (302, 403, 403, LOGIN),
    ("GET", "/campaigns/new"): (200, 403, 403, LOGIN),
    ("POST", "/campaigns/new"): (200, 403, 403, LOGIN),
    ("GET", "/users"): (200, 403, 403, LOGIN),
    ("POST", "/users"): (302, 403, 403, LOGIN),
    ("POST", "/users/<int:user_id>/<change>"): (302, 403, 403, LOGIN),
    ("GET", "/dnc"): (200, 403, 403, LOGIN),
    ("POST", "/dnc/add"): (302, 403, 403, LOGIN),
    ("POST", "/dnc/remove"): (302, 403, 403, LOGIN),
    ("POST", "/dnc/import"): (302, 403, 403, LOGIN),
    ("GET", "/audit"): (200, 403, 403, LOGIN),
    # models: admins only (lead-level explanations name people; weights and versions change every score)
    ("GET", "/models"): (200, 403, 403, LOGIN),
    ("GET", "/models/<int:version_id>"): (404, 403, 403, LOGIN),  # no version trained in this world
    ("GET", "/models/leads/<int:lead_id>"): (200, 403, 403, LOGIN),
    ("POST", "/models/rollback"): (302, 403, 403, LOGIN),
    ("POST", "/models/retrain"): (302, 403, 403, LOGIN),
    ("POST", "/models/<int:version_id>/activate"): (302, 403, 403, LOGIN),
    ("GET", "/models/weights/<int:campaign_id>"): (200, 403, 403, LOGIN),
    ("POST", "/models/weights/<int:campaign_id>"): (302, 403, 403, LOGIN),
    # telesales workspace: agents (admins may work the queue too)
    ("GET", "/telesales/"): (200, 302, 403, LOGIN),  # the agent holds a lead: sent to it
    ("POST", "/telesales/availability"): (302, 302, 403, LOGIN),
    ("POST", "/telesales/next"): (302, 302, 403, LOGIN),
    ("GET", "/telesales/items/<int:item_id>"): (200, 200, 403, LOGIN),
    ("POST", "/telesales/items/<int:item_id>/lease"): (409, 200, 403, LOGIN),  # only the holder renews
    ("POST", "/telesales/items/<int:item_id>/disposition"): (302, 302, 403, LOGIN),  # none chosen: back
    # Twilio's webhooks: only requests signed with the account's auth token, whoever is signed in
    ("POST", "/twilio/voice"): (403, 403, 403, 403),
    ("POST", "/twilio/gather"): (403, 403, 403, 403),
    ("POST", "/twilio/status"): (403, 403, 403, 403),
    ("POST", "/twilio/fallback"): (403, 403, 403, 403),
    ("POST", "/twilio/recording"): (403, 403, 403, 403),
    ("POST", "/twilio/transfer"): (403, 403, 403, 403),
    ("POST", "/twilio/whisper"): (403, 403, 403, 403),
    # the JSON API: a bearer token, never the panel's cookie
    ("POST", "/api/leads"): (401, 401, 401, 401),
    ("GET", "/api/leads"): (401, 401, 401, 401),
    ("GET", "/api/openapi.json"): (200, 200, 200, 200),  # the API's description, public
}

LEADS_CSV = (
    "Họ và tên,Số điện thoại,Dịch vụ\n"
    "Trần Thị Mai,0912 345 678,bảo hiểm\n"
    "Lê Văn Hùng,0903 123 456,bảo hiểm\n"
    "test,#N/A,\n"
)
NOTE = "Khách dặn gọi số phụ 0987 654 321"
RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123456789abcdef"


@dataclass(frozen=True)
class World:
    """What the routes' parameters point at."""

    campaign: int
    batch: str
    lead: int
    attempt: int
    item: int
    spare_user: int


def _routes(app) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(method, rule, endpoint) of every route the app serves, sign-out last (it ends the session)."""
    found = [
        (method, rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=lambda route: (route[1] == "/logout", route[1], route[0]))


def _url(rule: str, world: World) -> str:
    values = {
        "campaign_id": world.campaign,
        "batch": world.batch,
        "lead_id": world.lead,
        "attempt_id": world.attempt,
        "item_id": world.item,
        "user_id": world.spare_user,
        "version_id": 1,
        "change": "role",
        "kind": "calls",
        "fmt": "csv",
        "filename": "style.css",
    }
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.fixture
def csrf_app(app):  # type: ignore[no-untyped-def]
    """The test app with CSRF protection on, as in production (Flask-WTF keeps it on under TESTING; this test
    states it rather than rely on that default)."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def world(csrf_app, sessions) -> World:  # type: ignore[no-untyped-def]
    """A campaign with an upload, two leads that said yes on a recorded call, one disposed of by the agent with
    a note, the other held by the agent now."""
    with sessions.begin() as s:
        for role in ("admin", "telesales", "viewer"):
            make_user(s, role)
        spare = make_user(s, "viewer", "spare@example.vn").id
        campaign = make_campaign(s).id
    admin = csrf_app.test_client()
    assert login(admin, "admin@example.vn").status_code == 302
    page = admin.get(f"/campaigns/{campaign}").get_data(as_text=True)
    uploaded = admin.post(
        f"/campaigns/{campaign}/upload",
        data={"csrf_token": csrf_token(page), "leads_file": (io.BytesIO(LEADS_CSV.encode()), "leads.csv")},
        content_type="multipart/form-data",
    )
    batch = uploaded.headers["Location"].rsplit("/", 1)[1]
    with sessions() as s:
        lead_ids = list(s.scalars(sa.select(Lead.id).where(Lead.verdict == "ok").order_by(Lead.id)))
    assert len(lead_ids) == 2
    attempts = [call_interested(admin, sessions, lead_id, n=n) for n, lead_id in enumerate(lead_ids, start=1)]
    params = {
        "CallSid": f"CA{1:032x}",
        "AccountSid": "AC" + "0" * 31 + "1",
        "RecordingSid": "RE0123456789abcdef",
        "RecordingUrl": RECORDING_URL,
        "RecordingStatus": "completed",
        "RecordingDuration": "42",
    }
    signed_post(admin, f"/twilio/recording?attempt={attempts[0]}", params)
    agent = csrf_app.test_client()
    assert login(agent, "telesales@example.vn").status_code == 302
    token = csrf_token(agent.get("/telesales/").get_data(as_text=True))
    first = int(agent.post("/telesales/next", data={"csrf_token": token}).headers["Location"].rsplit("/", 1)[1])
    disposed = agent.post(
        f"/telesales/items/{first}/disposition",
        data={"csrf_token": token, "disposition": "not_interested", "note": NOTE},
    )
    assert disposed.status_code == 302
    held = int(agent.post("/telesales/next", data={"csrf_token": token}).headers["Location"].rsplit("/", 1)[1])
    with sessions() as s:
        held_lead = s.get(QueueItem, held).lead_id
        first_lead = s.get(QueueItem, first).lead_id
        assert held != first and s.get(QueueItem, first).note == NOTE
        attempt = s.scalar(sa.select(CallAttempt.id).where(CallAttempt.lead_id == first_lead))
    assert attempt == attempts[lead_ids.index(first_lead)] and held_lead != first_lead
    return World(campaign, batch, first_lead, attempt, held, spare)


def _sent_to_sign_in(location: str) -> bool:
    """Flask-Login's answer to a visitor who must sign in first: the sign-in page, told where to come back to
    (sign-out's own redirect to the sign-in page has no `next`)."""
    path, _, query = location.partition("?")
    return path.endswith("/login") and query.startswith("next=")


def _client_as(app, role: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    if role != "anonymous":
        assert login(client, f"{role}@example.vn").status_code == 302
    return client


def test_every_route_has_an_expectation(app) -> None:  # type: ignore[no-untyped-def]
    """A new route must be given its access here; a route that is gone must leave the table."""
    served = {(method, rule) for method, rule, _ in _routes(app)}
    assert served - EXPECTED.keys() == set(), "routes without an expected status per role"
    assert EXPECTED.keys() - served == set(), "expectations for routes the app no longer serves"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_it_may(csrf_app, world, role) -> None:  # type: ignore[no-untyped-def]
    client = _client_as(csrf_app, role)
    # A page of the panel that every visitor can open gives a valid token for this session.
    token = csrf_token(client.get("/login").get_data(as_text=True))
    got, wanted = {}, {}
    for method, rule, _ in _routes(csrf_app):
        if (method, rule) not in EXPECTED:
            continue  # reported by test_every_route_has_an_expectation
        expected = EXPECTED[method, rule][ROLES.index(role)]
        url = _url(rule, world)
        data = {"csrf_token": token} if method in STATE_CHANGING else None
        response = client.open(url, method=method, data=data)
        response.close()  # static files and downloads hold a file or a stream open
        status: int | str = response.status_code
        if status == 302 and _sent_to_sign_in(response.headers["Location"]):
            status = LOGIN
        got[method, rule], wanted[method, rule] = status, expected
    assert {k: v for k, v in got.items() if v != wanted[k]} == {}, f"{role}: routes answering otherwise"


@pytest.mark.parametrize("role", ROLES)
def test_state_changing_forms_refuse_a_missing_csrf_token(csrf_app, world, sessions, role) -> None:  # type: ignore[no-untyped-def]
    client = _client_as(csrf_app, role)
    with sessions() as s:
        before = (
            s.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
            s.scalar(sa.select(sa.func.count()).select_from(DoNotCall)),
            s.scalar(sa.select(sa.func.count()).select_from(User)),
            s.get(QueueItem, world.item).lease_expires_at,
        )
    forms = [
        (method, rule)
        for method, rule, endpoint in _routes(csrf_app)
        if method in STATE_CHANGING and endpoint.partition(".")[0] not in CSRF_EXEMPT
    ]
    assert ("POST", "/telesales/next") in forms and ("POST", "/login") in forms
    refused = {}
    for method, rule in forms:
        # The form's own fields, everything but the token: a forged cross-site request carries exactly those.
        data = {"disposition": "won", "role": "admin", "action": "pause", "number": "0912345678", "email": "x@y.vn"}
        response = client.open(_url(rule, world), method=method, data=data)
        refused[method, rule] = (response.status_code, "CSRF token is missing" in response.get_data(as_text=True))
        response.close()
    assert {k: v for k, v in refused.items() if v != (400, True)} == {}
    with sessions() as s:
        after = (
            s.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
            s.scalar(sa.select(sa.func.count()).select_from(DoNotCall)),
            s.scalar(sa.select(sa.func.count()).select_from(User)),
            s.get(QueueItem, world.item).lease_expires_at,
        )
        assert s.get(QueueItem, world.item).disposition is None
    assert after == before, "a request without a CSRF token changed something"


def test_exempt_routes_answer_without_a_csrf_token_but_check_their_own_credentials(csrf_app, world) -> None:  # type: ignore[no-untyped-def]
    client = _client_as(csrf_app, "admin")
    exempt = [(m, r) for m, r, e in _routes(csrf_app) if m in STATE_CHANGING and e.partition(".")[0] in CSRF_EXEMPT]
    assert {r for _, r in exempt} >= {"/twilio/voice", "/api/leads"}
    for method, rule in exempt:
        response = client.open(_url(rule, world), method=method, data={"CallSid": "CA1"})
        assert response.status_code in (401, 403), rule
        assert "CSRF" not in response.get_data(as_text=True), rule


def test_viewer_pages_hide_who_the_leads_are(csrf_app, world, sessions) -> None:  # type: ignore[no-untyped-def]
    """Viewers see figures, not people: no page they may open shows a lead's number, name, an agent's note or
    the call's recording."""
    with sessions() as s:
        leads = list(s.scalars(sa.select(Lead).where(Lead.verdict == "ok")))
        secrets = [lead.phone_e164 for lead in leads] + [lead.name for lead in leads]
        calls = [f"/calls/{attempt.id}" for lead in leads for attempt in lead.attempts_list]
    secrets += [NOTE, "0987 654 321", RECORDING_URL]
    assert all(secrets)
    viewer = _client_as(csrf_app, "viewer")
    admin = _client_as(csrf_app, "admin")
    pages = [
        _url(rule, world)
        for method, rule, _ in _routes(csrf_app)
        if method == "GET" and EXPECTED.get((method, rule), (0, 0, 0))[2] == 200 and "<path:" not in rule
    ]
    pages += [f"/leads/{lead.id}" for lead in leads] + [f"/calls?q={leads[0].phone_e164}"]
    pages += calls
    seen_by_admin = "".join(admin.get(page).get_data(as_text=True) for page in pages)
    assert all(secret in seen_by_admin for secret in secrets[:2] + [NOTE, RECORDING_URL])  # the pages show them
    leaks = {}
    for page in pages:
        html = viewer.get(page).get_data(as_text=True)
        found = [secret for secret in secrets if secret in html]
        if found:
            leaks[page] = found
    assert leaks == {}
