"""`callbot doctor` against a real deployment in miniature: the web app on 127.0.0.1, the Twilio simulator."""

from __future__ import annotations

import email.utils
import secrets
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from callbot import db
from callbot.runtime import ServerThread
from callbot.simulator import Simulator
from tests.callbot.conftest import ok
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN


@pytest.fixture
def simulator_url() -> Iterator[str]:
    sim = Simulator(ACCOUNT_SID, AUTH_TOKEN)
    yield sim.start()
    sim.stop()


@pytest.fixture
def deployment(cli_db, monkeypatch, settings, engine, simulator_url):  # type: ignore[no-untyped-def]
    """A healthy deployment's environment (the web app serving /healthz at the public URL); returns `callbot`."""
    from web import create_app

    server = ServerThread(create_app(settings, engine=engine)).start()
    env = {
        "CALLBOT_SECRET_KEY": secrets.token_hex(32),
        "CALLBOT_PUBLIC_URL": server.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_CALLER_ID": "+842873000000",
        "TWILIO_API_BASE_URL": simulator_url,
        "CALLBOT_SESSION_COOKIE_SECURE": "false",
        "CALLBOT_BACKUP_KEY": "x" * 43 + "=",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield cli_db
    server.stop()


def failed_with(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def test_healthy_deployment(deployment, database_url):  # type: ignore[no-untyped-def]
    output = ok(deployment("doctor"))
    assert "FAIL" not in output
    assert f"ok    Twilio: the account {ACCOUNT_SID} accepts our credentials" in output
    assert "ok    clock: in sync with the Twilio API" in output
    assert "ok    migrations: the database is at the latest revision" in output
    assert "ok    public URL: http://127.0.0.1:" in output
    assert "warn  public URL: http://127.0.0.1:" in output  # reachable here, but not from Twilio
    assert "all checks passed" in output


def test_wrong_twilio_token(deployment, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-token")
    output = failed_with(deployment("doctor"))
    assert "FAIL  Twilio:" in output and "refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (Authenticate" in output


def test_unreachable_twilio_and_public_url(deployment, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TWILIO_API_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CALLBOT_PUBLIC_URL", "http://127.0.0.1:9")
    output = failed_with(deployment("doctor", "--timeout", "2"))
    assert "FAIL  Twilio: cannot reach the Twilio API at http://127.0.0.1:9" in output
    assert "FAIL  public URL: http://127.0.0.1:9/healthz cannot be reached" in output


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("CALLBOT_SECRET_KEY", "short-key-9", "CALLBOT_SECRET_KEY has 11 characters; use at least 32"),
        ("CALLBOT_SECRET_KEY", "changeme", "CALLBOT_SECRET_KEY is a guessable word"),
        ("CALLBOT_PUBLIC_URL", "https://callbot.example.vn", "still the example https://callbot.example.vn"),
        ("CALLBOT_PUBLIC_URL", "callbot.vn", "is not a web address"),
        ("TWILIO_ACCOUNT_SID", "12345", "TWILIO_ACCOUNT_SID '12345' is not an account SID"),
        ("TWILIO_AUTH_TOKEN", "", "missing required setting(s): TWILIO_AUTH_TOKEN"),
    ],
)
def test_bad_settings_are_named(deployment, monkeypatch, name, value, says):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(name, value)
    output = failed_with(deployment("doctor"))
    assert says in output
    assert "ok    database: reachable" in output  # the rest is still checked


def test_database_problems(cli, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CALLBOT_DATABASE_URL", f"sqlite:///{tmp_path}/new.db")
    assert "the database has no tables yet: run `callbot db upgrade`" in failed_with(cli("doctor"))
    db.upgrade(f"sqlite:///{tmp_path}/new.db", "0007")
    assert "is at revision 0007 but this version needs" in failed_with(cli("doctor"))
    monkeypatch.setenv("CALLBOT_DATABASE_URL", "postgresql+psycopg://callbot:hunter2@127.0.0.1:9/callbot")
    output = failed_with(cli("doctor"))
    assert "FAIL  database: cannot reach the database postgresql+psycopg://callbot:***@127.0.0.1:9/callbot" in output
    assert "hunter2" not in output


class LateClock(WSGIRequestHandler):
    """Serves with a Date header five minutes ahead of this machine's clock."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.formatdate(time.time() + 300, usegmt=True)

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


def test_clock_out_of_sync(deployment, monkeypatch):  # type: ignore[no-untyped-def]
    """A Twilio-compatible API whose clock says five minutes later than ours."""
    fake = Flask("late-twilio")

    @fake.get("/2010-04-01/Accounts/<sid>/Calls.json")
    def calls(sid: str) -> dict[str, list[str]]:
        return {"calls": []}

    server = make_server("127.0.0.1", 0, fake, threaded=True, request_handler=LateClock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("TWILIO_API_BASE_URL", f"http://127.0.0.1:{server.server_port}")
        output = failed_with(deployment("doctor"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert "FAIL  clock: this machine's clock is 300 s behind the Twilio API's" in output
    assert "ok    Twilio: the account" in output


def test_https_deployment_settings(deployment, monkeypatch):  # type: ignore[no-untyped-def]
    """An HTTPS public URL asks for secure cookies and a trusted proxy (here nothing answers at it, either)."""
    monkeypatch.setenv("CALLBOT_PUBLIC_URL", "https://127.0.0.2:9")
    output = failed_with(deployment("doctor", "--timeout", "2"))
    assert "FAIL  cookies: CALLBOT_SESSION_COOKIE_SECURE is false on an HTTPS deployment" in output
    assert "warn  proxy: CALLBOT_TRUSTED_PROXIES is 0" in output
    assert "FAIL  public URL: https://127.0.0.2:9/healthz cannot be reached" in output
    monkeypatch.setenv("CALLBOT_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("CALLBOT_TRUSTED_PROXIES", "1")
    output = failed_with(deployment("doctor", "--timeout", "2"))
    assert "cookies:" not in output and "proxy:" not in output
