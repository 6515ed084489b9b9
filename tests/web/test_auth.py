"""Sign-in, sign-out, CSRF, disabled users, the audit log and who may see which page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from callbot.models import AuditLog, Lead, User
from tests.conftest import make_campaign, make_leads, make_user
from tests.web.conftest import csrf_token, login, logout

BAD_LOGIN_VI = "Email hoặc mật khẩu không đúng."


@pytest.fixture
def admin(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        return make_user(s, "admin").id


def audit_actions(sessions) -> list[tuple[str, int | None, str | None]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        rows = s.scalars(sa.select(AuditLog).order_by(AuditLog.id))
        return [(r.action, r.user_id, r.detail.get("email")) for r in rows]


def test_login_page_is_vietnamese_by_default(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert "Mật khẩu" in html
    assert "Sign in" not in html


def test_login_page_is_english_on_request_and_remembers_it(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html and "Password" in html
    assert "Đăng nhập" not in html
    # Remembered in the session for the next page without ?lang.
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_language_chosen_on_the_login_page_survives_signing_in(client, admin) -> None:  # type: ignore[no-untyped-def]
    client.get("/login?lang=en")
    login(client, "admin@example.vn")
    html = client.get("/campaigns").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign out" in html


def test_wrong_password_shows_an_error_and_signs_nobody_in(client, admin) -> None:  # type: ignore[no-untyped-def]
    response = login(client, "admin@example.vn", "not-the-password")
    assert response.status_code == 200
    assert BAD_LOGIN_VI in response.get_data(as_text=True)
    after = client.get("/campaigns")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")


def test_unknown_email_gets_the_same_error(client, admin) -> None:  # type: ignore[no-untyped-def]
    response = login(client, "nobody@example.vn")
    assert BAD_LOGIN_VI in response.get_data(as_text=True)
    assert client.get("/campaigns").status_code == 302


def test_correct_password_redirects_and_opens_the_panel(client, admin) -> None:  # type: ignore[no-untyped-def]
    response = login(client, "ADMIN@example.vn ")  # e-mail is case- and space-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/campaigns"
    page = client.get("/campaigns")
    assert page.status_code == 200
    assert "Admin (admin)" in page.get_data(as_text=True)


def test_post_without_csrf_token_is_rejected(client, admin, sessions) -> None:  # type: ignore[no-untyped-def]
    client.get("/login")  # a session exists, only the token is missing
    response = client.post("/login", data={"email": "admin@example.vn", "password": "mật-khẩu-dài-123"})
    assert response.status_code == 400
    assert client.get("/campaigns").status_code == 302
    assert audit_actions(sessions) == []


def test_post_with_a_forged_csrf_token_is_rejected(client, admin) -> None:  # type: ignore[no-untyped-def]
    client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": "forged", "email": "admin@example.vn", "password": "mật-khẩu-dài-123"}
    )
    assert response.status_code == 400


def test_logout_requires_the_csrf_token(client, admin) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    assert client.post("/logout").status_code == 400
    assert client.get("/campaigns").status_code == 200  # still signed in


def test_unauthenticated_access_redirects_to_login(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/campaigns", "/calls", "/telesales/", "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


def test_sign_out_revokes_the_old_session_cookie_on_the_server(app, client, admin) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/campaigns").status_code == 200  # the copied cookie works while the user is signed in

    response = logout(client)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/campaigns").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/campaigns")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_signing_in_again_after_sign_out_works(client, admin) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    logout(client)
    assert login(client, "admin@example.vn").status_code == 302
    assert client.get("/campaigns").status_code == 200


def test_disabled_user_is_signed_out_on_the_next_request(client, admin, sessions) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    assert client.get("/campaigns").status_code == 200
    with sessions.begin() as s:
        s.get(User, admin).active = False
    response = client.get("/campaigns")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_disabled_user_cannot_sign_in(client, admin, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        s.get(User, admin).active = False
    response = login(client, "admin@example.vn")
    assert BAD_LOGIN_VI in response.get_data(as_text=True)
    assert audit_actions(sessions) == [("sign_in_failed", None, "admin@example.vn")]


def test_audit_log_records_sign_in_failure_success_and_sign_out(client, admin, sessions) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn", "wrong-password")
    login(client, "nobody@example.vn", "wrong-password")
    login(client, "admin@example.vn")
    logout(client)
    assert audit_actions(sessions) == [
        ("sign_in_failed", None, "admin@example.vn"),
        ("sign_in_failed", None, "nobody@example.vn"),
        ("sign_in", admin, "admin@example.vn"),
        ("sign_out", admin, None),
    ]


def test_the_session_cookie_is_httponly_and_lax(client, admin) -> None:  # type: ignore[no-untyped-def]
    response = login(client, "admin@example.vn")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


# --- roles ----------------------------------------------------------------------------------------------


@pytest.fixture
def lead_id(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s)
        (lead,) = make_leads(s, campaign, [{"name": "Trần Thị Mai", "phone": "0912345678"}])
        return lead.id


@pytest.mark.parametrize("path", ["/campaigns", "/campaigns/{campaign}", "/calls", "/leads/{lead}"])
def test_telesales_may_not_open_the_panel(client, sessions, lead_id, path) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "telesales")
    login(client, "telesales@example.vn")
    with sessions() as s:
        campaign_id = s.get(Lead, lead_id).campaign_id
    response = client.get(path.format(campaign=campaign_id, lead=lead_id))
    assert response.status_code == 403


def test_telesales_home_is_the_workspace(client, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "telesales")
    login(client, "telesales@example.vn")
    home = client.get("/")
    assert home.headers["Location"] == "/telesales/"
    html = client.get("/telesales/").get_data(as_text=True)
    assert "Nhận khách hàng tiếp theo" in html
    assert 'href="/campaigns"' not in html  # the nav hides what the role may not open


def test_viewer_may_not_use_the_telesales_workspace(client, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "viewer")
    login(client, "viewer@example.vn")
    assert client.get("/telesales/").status_code == 403
    token = csrf_token(client.get("/campaigns").get_data(as_text=True))
    assert client.post("/telesales/next", data={"csrf_token": token}).status_code == 403
