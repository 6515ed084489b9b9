"""/healthz and /metrics on real responses: the database checked, the metrics' figures, who may read them."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from callbot.db import utcnow
from callbot.models import Lead
from tests.conftest import make_campaign, make_leads
from tests.web.conftest import call_interested

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in a Prometheus text exposition."""
    pattern = re.escape(name + (f"{{{labels}}}" if labels else "")) + r" ([0-9.e+-]+)$"
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{name}{{{labels}}} not in:\n{text}"
    return float(match.group(1))


def test_healthz_checks_the_database(client, settings):  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"
    assert response.headers["Cache-Control"] == "no-store"

    from web import create_app

    broken = create_app(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:9/none")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable"  # no driver message for the public


def test_metrics_figures(client, sessions):  # type: ignore[no-untyped-def]
    now = utcnow()
    with sessions.begin() as s:
        campaign = make_campaign(s)
        first, waiting, _ = make_leads(
            s, campaign, [{"phone": "0902468135"}, {"phone": "0913572468"}, {"phone": "0938471625"}]
        )
        row = s.get(Lead, waiting.id)
        row.status, row.next_attempt_at, row.wait_reason = "callable", now - dt.timedelta(seconds=90), "retry"
    call_interested(client, sessions, first.id)

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    assert metric(text, "callbot_calls", 'status="completed"') == 1
    assert metric(text, "callbot_live_calls") == 0
    assert metric(text, "callbot_queue_length", 'queue="telesales"') == 1
    assert metric(text, "callbot_queue_length", 'queue="dial"') == 2
    assert 90 <= metric(text, "callbot_dialer_lag_seconds") < 300
    assert metric(text, "callbot_webhook_duration_seconds_count", 'endpoint="voice"') == 1
    assert metric(text, "callbot_webhook_duration_seconds_count", 'endpoint="gather"') == 2
    assert metric(text, "callbot_webhook_duration_seconds_count", 'endpoint="status"') == 1
    assert metric(text, "callbot_webhook_duration_seconds_sum", 'endpoint="voice"') > 0
    assert "0902468135" not in text and "84902468135" not in text


def test_metrics_are_not_public(app, settings, engine):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
    # Through a proxy we were not told to trust, the address seen is the proxy's: refused even from 127.0.0.1.
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403

    from web import create_app

    with_token = create_app(settings, engine=engine, metrics_token="s3cret-metrics-token").test_client()
    assert with_token.get("/metrics", environ_base=OUTSIDE).status_code == 403
    wrong = {"Authorization": "Bearer s3cret-metrics-tokeX"}
    assert with_token.get("/metrics", environ_base=OUTSIDE, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret-metrics-token"}
    assert with_token.get("/metrics", environ_base=OUTSIDE, headers=right).status_code == 200

    office = create_app(settings, engine=engine, metrics_networks=("203.0.113.0/24",)).test_client()
    assert office.get("/metrics", environ_base=OUTSIDE).status_code == 200
    assert office.get("/metrics").status_code == 403  # 127.0.0.1 is no longer listed

    proxied = create_app(settings, engine=engine, trusted_proxies=1).test_client()
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


def test_metrics_with_an_empty_database(client, sessions):  # type: ignore[no-untyped-def]
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "callbot_dialer_lag_seconds") == 0
    assert metric(text, "callbot_queue_length", 'queue="telesales"') == 0
    assert "callbot_dialer_heartbeat_age_seconds" not in text  # no dialer has run
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0
