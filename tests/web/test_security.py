"""Account hardening on real responses: password policy, sign-in throttling shared by workers, session timeouts,
cookie flags and security headers."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from callbot import users
from callbot.errors import CallbotError
from callbot.models import AuditLog, SignInFailure
from tests.conftest import make_user
from tests.web.conftest import login

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"
WRONG = "not-the-password-1"


@pytest.fixture
def admin(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "admin")
        make_user(s, "viewer")


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("1234567", "at least 8 characters"),
        ("x" * 129, "at most 128 characters"),
        ("password123", "too common"),
        ("MatKhau123", "too common"),
        ("12345678", "too common"),
        ("abcdefghij", "too common"),
        ("zzzzzzzzzz", "too common"),
        ("an.nguyen-2026", "must not contain the e-mail address"),
        ("AN.NGUYEN@example.vn", "must not contain the e-mail address"),
    ],
)
def test_password_policy_refuses(password: str, says: str) -> None:
    with pytest.raises(CallbotError, match=says):
        users.check_password(password, "an.nguyen@example.vn")


@pytest.mark.parametrize("password", ["12345678x", "mật-khẩu-dài-123", "ngựa đá cổng trường", ("ngựa đá " * 16)[:128]])
def test_password_policy_accepts(password: str) -> None:
    users.check_password(password, "an.nguyen@example.vn")


def test_the_cli_applies_the_policy(sessions, monkeypatch, database_url, tmp_path):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from callbot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLBOT_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["users", "create", "--email", "a@example.vn", "--password", "qwerty123"])
    assert result.exit_code == 1 and "too common" in result.output


def failures(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(SignInFailure)) or 0


def test_account_throttled_after_five_failures(client, admin, sessions):  # type: ignore[no-untyped-def]
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT):
        assert login(client, "admin@example.vn", WRONG).status_code == 200
    refused = login(client, "admin@example.vn")  # even the right password: no guess is checked any more
    assert refused.status_code == 429
    assert "Quá nhiều lần đăng nhập sai" in refused.get_data(as_text=True)
    assert client.get("/campaigns").status_code == 302  # not signed in
    with sessions() as s:
        actions = list(s.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[-1] == "sign_in_throttled"
    # Another account from the same address is not locked out by these five.
    assert login(client, "viewer@example.vn").status_code == 302
    # The stored keys are hashes: the table holds neither the e-mail nor the address.
    with sessions() as s:
        keys = list(s.scalars(sa.select(SignInFailure.key)))
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)


def test_throttling_is_shared_by_workers_and_ends(app, settings, engine, admin, sessions):  # type: ignore[no-untyped-def]
    """Two app instances on one database (two gunicorn workers): failures in one count in the other."""
    from web import create_app

    other = create_app(settings, engine=engine)
    other.config["TESTING"] = True
    first, second = app.test_client(), other.test_client()
    for n in range(users.MAX_FAILURES_PER_ACCOUNT):
        login(first if n % 2 else second, "admin@example.vn", WRONG)
    assert login(first, "admin@example.vn").status_code == 429
    assert login(second, "admin@example.vn").status_code == 429
    with sessions.begin() as s:  # a quarter of an hour later
        for failure in s.scalars(sa.select(SignInFailure)):
            failure.failed_at -= dt.timedelta(minutes=16)
    assert login(second, "admin@example.vn").status_code == 302
    assert failures(sessions) == users.MAX_FAILURES_PER_ACCOUNT  # the address's failures stay (until they age out)


def test_address_throttled_after_twenty_failures(client, admin, sessions):  # type: ignore[no-untyped-def]
    for n in range(users.MAX_FAILURES_PER_ADDRESS):
        login(client, f"guess{n}@example.vn", WRONG)
    assert login(client, "admin@example.vn").status_code == 429
    elsewhere = {"REMOTE_ADDR": "198.51.100.20"}
    page = client.get("/login", environ_base=elsewhere).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "email": "admin@example.vn", "password": "mật-khẩu-dài-123"}
    assert client.post("/login", data=form, environ_base=elsewhere).status_code == 302


def test_success_forgives_the_accounts_failures(client, admin, sessions):  # type: ignore[no-untyped-def]
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT - 1):
        login(client, "admin@example.vn", WRONG)
    assert login(client, "admin@example.vn").status_code == 302
    client.get("/logout")
    with sessions() as s:
        scopes = list(s.scalars(sa.select(SignInFailure.scope)))
    assert scopes == ["address"] * (users.MAX_FAILURES_PER_ACCOUNT - 1)


def set_session_times(client, *, signed_in_ago: float, seen_ago: float) -> None:  # type: ignore[no-untyped-def]
    now = int(time.time())
    with client.session_transaction() as session:
        session["signed_in_at"] = now - int(signed_in_ago)
        session["seen_at"] = now - int(seen_ago)


def test_idle_timeout(client, admin):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    set_session_times(client, signed_in_ago=3600, seen_ago=29 * 60)
    assert client.get("/campaigns").status_code == 200  # 29 minutes idle: still in
    set_session_times(client, signed_in_ago=3600, seen_ago=31 * 60)
    response = client.get("/campaigns")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Phiên làm việc đã hết hạn" in client.get("/login").get_data(as_text=True)
    assert client.get("/campaigns").status_code == 302  # and it stays ended


def test_absolute_timeout(client, admin):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    set_session_times(client, signed_in_ago=11 * 3600, seen_ago=10)
    assert client.get("/campaigns").status_code == 200
    set_session_times(client, signed_in_ago=12 * 3600 + 60, seen_ago=10)  # busy all along, but 12 hours are up
    assert client.get("/campaigns").status_code == 302


def test_activity_keeps_the_session(client, admin):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    set_session_times(client, signed_in_ago=3600, seen_ago=20 * 60)
    assert client.get("/campaigns").status_code == 200  # seen now: the idle clock restarts
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5


def test_sign_out_ends_every_session(app, admin):  # type: ignore[no-untyped-def]
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "admin@example.vn")
    login(phone, "admin@example.vn")
    page = laptop.get("/campaigns").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    laptop.post("/logout", data={"csrf_token": token})
    assert phone.get("/campaigns").status_code == 302


def test_security_headers_over_http(client, admin):  # type: ignore[no-untyped-def]
    response = client.get("/login")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert "style-src 'self'" in csp and "object-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored, and wrong
    login(client, "admin@example.vn")
    assert client.get("/campaigns").headers["Cache-Control"] == "no-store"


def test_https_cookie_and_hsts(settings, engine, admin):  # type: ignore[no-untyped-def]
    from web import create_app

    secure = create_app(settings, engine=engine, session_cookie_secure=True, trusted_proxies=1)
    secure.config["TESTING"] = True
    client = secure.test_client()
    proxied = {"X-Forwarded-Proto": "https"}
    response = client.get("/login", headers=proxied)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed_in = client.post(
        "/login",
        data={"csrf_token": token, "email": "admin@example.vn", "password": "mật-khẩu-dài-123"},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks it over HTTPS
    )
    assert signed_in.status_code == 302
    cookie = next(c for c in signed_in.headers.getlist("Set-Cookie") if c.startswith("__Host-session="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path", "expires"} <= flags and "domain" not in flags
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)  # type: ignore[union-attr]
    lifetime = dt.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC) - dt.datetime.now(
        dt.UTC
    )
    assert dt.timedelta(hours=11, minutes=59) < lifetime <= dt.timedelta(hours=12)


def test_templates_have_nothing_the_csp_blocks() -> None:
    """No inline script, style attribute, style element or event handler: the CSP above would block them."""
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"\sstyle\s*=",
            r"<style\b",
            r"\son[a-z]+\s*=",
            r"javascript:",
        ):
            offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text, re.IGNORECASE)]
    assert offenders == []
