"""The JSON API scanned by schemathesis through its own OpenAPI document (issue 8), on SQLite and PostgreSQL.

Schemathesis generates requests for every operation of the document the app serves at `GET /api/openapi.json`: the
document's example, its boundary cases (the coverage phase) and property-based ones, valid and invalid (positive
and negative modes), and its own made-up methods and credentials. They go through the Flask app in-process
(schemathesis' WSGI transport), against a database holding a running campaign named as in the document's example
and a completed one.

- With a token holding both scopes, no answer may be a server error, and each must match the document: a listed
  status, its content type, its schema, its required headers (`WWW-Authenticate` on 401/403).
- Without a token (schemathesis' made-up credentials, then no `Authorization` header at all) every request to the
  lead routes is 401, as documented.

The document is loaded at import, from web/openapi.py (the test below checks that the app serves exactly it): the
per-backend app is a fixture, and schemathesis' fixture loader (`schemathesis.pytest.from_fixture`, 4.32) does not
run under pytest 9.2 (it sets `Node._nodeid`, which pytest no longer has).

The scan is derandomized (the same requests every run), about 2,500 requests and 25 s per backend here; the
statuses it saw are checked at the end, so that a scan stuck on 401s or 404s cannot pass for a scan of the API.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from callbot import tokens
from tests.conftest import NOW, make_campaign
from web.openapi import document

# Schemathesis' standard response checks. Not negative_data_rejection or positive_data_acceptance: the API takes some
# values the document does not list (a region in lower case, a limit out of range, which it clamps) and refuses some
# it allows (a name too long once cleaned, more than 50 keys across the leads) with a documented 4xx: no error.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]
SCAN = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        # One database per test, not per request: the leads of earlier requests stay, as on a live server.
        HealthCheck.function_scoped_fixture,
        # About the generation of big, nested bodies, not about the app.
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# The document as web/openapi.py builds it, which is what the app serves (test_the_app_serves_the_document): loaded
# at import, for schemathesis to make one test per operation; the requests go to each backend's app (WSGI).
schema = schemathesis.openapi.from_dict(document())
CAMPAIGNS = ("Tháng 12", 1, "Xong", 2)  # as the `secret` fixture makes them: running, then completed


@schema.hook
def flatmap_body(context, body):  # type: ignore[no-untyped-def]
    """Point most bodies naming a campaign at a real one: a made-up name or id is a 404 before any lead is read, and
    the scan is to reach the intake (201) and the completed campaign's 409 too, not only the lookup."""
    if context.operation is None or context.operation.label != "POST /api/leads":
        return st.just(body)
    if not isinstance(body, dict) or "campaign" not in body:
        return st.just(body)
    return st.sampled_from([body["campaign"], *CAMPAIGNS]).map(lambda campaign: {**body, "campaign": campaign})


# What a scan with a valid token must have reached besides 401/403, per operation: else it did not test the API.
REACHED = {"POST /api/leads": {201, 400, 404, 409}, "GET /api/leads": {200}, "GET /api/openapi.json": {200}}


@pytest.fixture
def secret(sessions) -> str:  # type: ignore[no-untyped-def]
    """A live token with both scopes, and the campaigns a request can name: "Tháng 12" (the document's example,
    id 1) running, "Xong" (id 2) completed."""
    with sessions.begin() as s:
        make_campaign(s, "Tháng 12", preset="vn")
        make_campaign(s, "Xong", status="completed")
        return tokens.create(s, "scanner", ["leads:write", "leads:read"], NOW).secret


@pytest.fixture
def statuses(request: pytest.FixtureRequest) -> Iterator[Counter[tuple[str, int]]]:
    """(operation, status) of every answer of a scan; afterwards, the scan must have reached the API's logic."""
    seen: Counter[tuple[str, int]] = Counter()
    failed = request.session.testsfailed
    yield seen
    if request.session.testsfailed > failed:
        return  # the scan's own failure says what went wrong
    for label in {label for label, _ in seen}:
        assert REACHED[label] <= {status for (at, status) in seen if at == label}, seen


def test_the_app_serves_the_document(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == json.loads(json.dumps(document()))
    assert {f"{method.upper()} {path}" for path, item in document()["paths"].items() for method in item} == set(REACHED)


@schema.parametrize()
@SCAN
def test_the_api_answers_as_documented(case, app, secret, statuses) -> None:  # type: ignore[no-untyped-def]
    response = case.call_and_validate(app=app, headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
    statuses[case.operation.label, response.status_code] += 1


@schema.include(path="/api/leads").parametrize()
@SCAN
def test_the_lead_routes_refuse_requests_without_a_token(case, app, secret) -> None:  # type: ignore[no-untyped-def]
    # The coverage phase also tries methods the route does not take: Flask's routing answers those, before the API
    # (OPTIONS with the allowed methods, the others 405).
    expected = {case.operation.method.upper(): 401, "OPTIONS": 200}.get(case.method.upper(), 405)
    response = case.call(app=app)
    assert response.status_code == expected, response.text
    case.validate_response(response, checks=CHECKS)
    # The same request with no Authorization header at all (the generated one may carry made-up credentials).
    case.headers.pop("Authorization", None)  # case-insensitive
    response = case.call(app=app)
    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.json()["error"] == "invalid_token"
    case.validate_response(response, checks=CHECKS)
