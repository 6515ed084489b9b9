"""Admin pages through the real forms (CSRF on): new campaigns, calling rules, users, do-not-call list, audit log."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from callbot import compliance, dnc
from callbot.models import AuditLog, Campaign, DoNotCall, User
from tests.conftest import NOW, make_campaign, make_leads, make_user
from tests.web.conftest import PASSWORD, csrf_token, login, submit

ADMIN_PAGES = ("/campaigns/new", "/campaigns/{id}/rules", "/users", "/dnc", "/audit")


@pytest.fixture
def campaign_id(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "admin", "admin@example.vn")
        make_user(s, "viewer", "viewer@example.vn")
        make_user(s, "telesales", "agent@example.vn")
        return make_campaign(s, preset="vn", status="draft").id


def audits(sessions, action: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """The details of every audit line with this action, oldest first."""
    with sessions() as s:
        return [a.detail for a in s.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


@pytest.mark.parametrize("role", ["viewer", "telesales"])
def test_other_roles_are_refused_every_admin_page_and_form(client, campaign_id, role):  # type: ignore[no-untyped-def]
    login(client, f"{'agent' if role == 'telesales' else role}@example.vn")
    for page in ADMIN_PAGES:
        assert client.get(page.format(id=campaign_id)).status_code == 403, page
    token = csrf_token(client.get("/", follow_redirects=True).get_data(as_text=True))
    for action in ("/campaigns/new", f"/campaigns/{campaign_id}/rules", "/users", "/users/1/role", "/dnc/add"):
        assert client.post(action, data={"csrf_token": token, "role": "admin"}).status_code == 403, action


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_admin_page_renders_in_both_languages(client, campaign_id, lang):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    for page in (*ADMIN_PAGES, "/exports/"):
        response = client.get(page.format(id=campaign_id), query_string={"lang": lang})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, page
        assert "adm_" not in html and "role_" not in html, page  # no text key left untranslated
    assert "Nhật ký thao tác" in client.get("/audit?lang=vi").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, campaign_id):  # type: ignore[no-untyped-def]
    for page in ADMIN_PAGES:
        response = client.get(page.format(id=campaign_id))
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forms_without_a_csrf_token_are_refused(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    posts = {
        "/campaigns/new": {"name": "Không token", "preset": "vn"},
        f"/campaigns/{campaign_id}/rules": {"action": "preset", "preset": "us"},
        "/users": {"email": "x@example.vn", "role": "viewer", "password": "12345678x"},
        "/users/1/role": {"role": "viewer"},
        "/dnc/add": {"number": "0912345678"},
        "/dnc/remove": {"number": "0912345678"},
    }
    for action, data in posts.items():
        assert client.post(action, data=data).status_code == 400, action
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(DoNotCall)) == 0
        assert s.scalar(sa.select(User.role).where(User.id == 1)) == "admin"


def test_admin_creates_a_scheduled_campaign_with_a_preset(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    form = {
        "name": "Tháng 12",
        "company": "Công ty ABC",
        "service": "khóa học tiếng Anh",
        "language": "vi",
        "preset": "us",
        "starts_at": "2026-12-01T08:00",
    }
    response = submit(client, "/campaigns/new", "/campaigns/new", form)
    assert response.status_code == 302
    with sessions() as s:
        campaign = s.scalar(sa.select(Campaign).where(Campaign.name == "Tháng 12"))
        assert response.headers["Location"].endswith(f"/campaigns/{campaign.id}")
        assert (campaign.company, campaign.rules_preset, campaign.status) == ("Công ty ABC", "us", "scheduled")
        assert campaign.window_end == dt.time(21) and campaign.auto_complete is True
        # the start is typed in the campaign's own zone (the us preset's: New York)
        assert campaign.starts_at == dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.UTC)
    [entry] = audits(sessions, "campaign_created")
    assert entry["name"] == "Tháng 12" and entry["preset"] == "us" and entry["status"] == "scheduled"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "Chiến dịch thử", "preset": "vn"}, "exists already"),
        ({"name": "", "preset": "vn"}, "1 to 200 characters"),
        ({"name": "Mới", "preset": "mars"}, "unknown rules preset"),
        ({"name": "Mới", "preset": "vn", "starts_at": "2020-01-01T08:00"}, "the start time has passed"),
        ({"name": "Mới", "preset": "vn", "starts_at": "sáng mai"}, "not a date and time"),
    ],
)
def test_a_bad_campaign_form_shows_why_and_creates_nothing(client, sessions, campaign_id, form, message):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    response = submit(client, "/campaigns/new", "/campaigns/new", form)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1
    assert audits(sessions, "campaign_created") == []


def rules_form(**overrides: str) -> dict[str, object]:
    form: dict[str, object] = {
        "action": "rules",
        "timezone": "Asia/Ho_Chi_Minh",
        "window_start": "08:30",
        "window_end": "16:30",
        "weekdays": ["1", "2", "3", "4", "5"],
        "holiday_country": "vn",
        "extra_holidays": "2026-12-31, 2026-12-24",
        "max_calls_per_number": "1",
        "number_cap_hours": "48",
        "max_attempts": "4",
        "retry_no_answer_delays": "60, 240",
        "retry_no_answer_max": "2",
        "retry_busy_delays": "15, 120, 1440",  # the default: not stored as the campaign's own
        "retry_busy_max": "3",
        "calls_per_second": "0.5",
        "max_concurrent_calls": "8",
    }
    form.update(overrides)
    return form


def test_admin_edits_the_calling_rules_and_the_change_is_audited(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    page = f"/campaigns/{campaign_id}/rules"
    html = client.get(page).get_data(as_text=True)
    # the test campaign's own policy (retry at once, 10 times), in minutes
    assert (
        'name="retry_no_answer_delays" value="0"' in html
        and 'name="retry_no_answer_max" min="0" max="10" value="10"' in html
    )
    response = client.post(page, data={"csrf_token": csrf_token(html), **rules_form()})
    assert response.status_code == 302
    with sessions() as s:
        c = s.get(Campaign, campaign_id)
        assert (c.window_start, c.window_end, c.weekdays) == (dt.time(8, 30), dt.time(16, 30), "12345")
        assert c.holiday_country == "VN" and c.extra_holidays == ["2026-12-24", "2026-12-31"]
        assert (c.max_calls_per_number, c.number_cap_hours, c.max_attempts) == (1, 48, 4)
        assert c.retry_policy == {"no_answer": {"delays": [3600, 14400], "max": 2}}
        assert (c.calls_per_second, c.max_concurrent_calls) == (0.5, 8)
    [entry] = audits(sessions, "campaign_rules")
    assert entry["campaign_id"] == campaign_id
    assert entry["changes"]["window_start"] == ["08:00", "08:30"] and "retry_policy" in entry["changes"]
    assert "timezone" not in entry["changes"]  # only what changed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("window_start", "25:00", "not a time of day"),
        ("weekdays", [], "at least one day"),
        ("holiday_country", "XX", "no public-holiday calendar"),
        ("extra_holidays", "31/12/2026", "not a date"),
        ("max_calls_per_number", "-1", "from 0 to 10"),
        ("retry_no_answer_max", "11", "max&#39; must be a whole number from 0 to 10"),
        ("retry_no_answer_delays", "soon", "delays are minutes"),
        ("calls_per_second", "0", "above 0"),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(client, sessions, campaign_id, field, value, message):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    page = f"/campaigns/{campaign_id}/rules"
    response = submit(client, page, page, rules_form(**{field: value}))  # type: ignore[arg-type]
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with sessions() as s:
        assert s.get(Campaign, campaign_id).window_start == dt.time(8)
    assert audits(sessions, "campaign_rules") == []


def test_applying_a_preset_resets_the_rules(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    page = f"/campaigns/{campaign_id}/rules"
    assert submit(client, page, page, {"action": "preset", "preset": "permissive"}).status_code == 302
    with sessions() as s:
        c = s.get(Campaign, campaign_id)
        assert (c.rules_preset, c.weekdays, c.max_calls_per_number) == ("permissive", "1234567", 0)
    assert audits(sessions, "campaign_rules") == [{"campaign_id": campaign_id, "preset": ["vn", "permissive"]}]


def test_the_time_zone_is_fixed_once_the_campaign_has_leads(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, s.get(Campaign, campaign_id), [{"name": "Trần Thị Mai", "phone": "0912345678"}])
    login(client, "admin@example.vn")
    page = f"/campaigns/{campaign_id}/rules"
    response = submit(client, page, page, rules_form(timezone="Asia/Bangkok"))
    assert response.status_code == 200 and "cannot change once leads are imported" in response.get_data(as_text=True)
    # a preset brings its window and days, but the campaign keeps its zone
    assert submit(client, page, page, {"action": "preset", "preset": "us"}).status_code == 302
    with sessions() as s:
        c = s.get(Campaign, campaign_id)
        assert (c.rules_preset, c.window_end, c.timezone) == ("us", dt.time(21), "Asia/Ho_Chi_Minh")


def test_admin_manages_users_and_roles(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    new = {"name": "Lê Thu", "email": "Thu@Example.vn", "role": "telesales", "password": "mật-khẩu-mới-1"}
    assert submit(client, "/users", "/users", new).status_code == 302
    assert "thu@example.vn" in client.get("/users").get_data(as_text=True)
    with sessions() as s:
        thu = s.scalar(sa.select(User).where(User.email == "thu@example.vn"))
    assert submit(client, "/users", f"/users/{thu.id}/role", {"role": "viewer"}).status_code == 302
    assert submit(client, "/users", f"/users/{thu.id}/active", {"active": "0"}).status_code == 302
    with sessions() as s:
        thu = s.get(User, thu.id)
        assert (thu.role, thu.active) == ("viewer", False)
    assert login(client.application.test_client(), "thu@example.vn", "mật-khẩu-mới-1").status_code == 200  # refused
    assert submit(client, "/users", f"/users/{thu.id}/active", {"active": "1"}).status_code == 302
    assert audits(sessions, "user_created") == [{"target_id": thu.id, "email": "thu@example.vn", "role": "telesales"}]
    assert [a["after"] for a in audits(sessions, "user_role")] == ["viewer"]
    assert [a["active"] for a in audits(sessions, "user_active")] == [False, True]


def test_a_weak_password_or_taken_email_is_refused(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    submit(client, "/users", "/users", {"email": "short@example.vn", "role": "viewer", "password": "1234567"})
    assert "at least 8 characters" in client.get("/users").get_data(as_text=True)
    submit(client, "/users", "/users", {"email": "viewer@example.vn", "role": "viewer", "password": "12345678x"})
    assert "exists already" in client.get("/users").get_data(as_text=True)
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(User)) == 3


def test_the_last_admin_cannot_demote_or_lock_themselves_out(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    submit(client, "/users", "/users/1/role", {"role": "viewer"})
    submit(client, "/users", "/users/1/active", {"active": "0"})
    assert "last active admin" in client.get("/users").get_data(as_text=True)
    with sessions() as s:
        admin = s.get(User, 1)
        assert (admin.role, admin.active) == ("admin", True)
    assert audits(sessions, "user_role") == [] and audits(sessions, "user_active") == []


def test_a_password_reset_ends_the_users_sessions(client, app, sessions, campaign_id):  # type: ignore[no-untyped-def]
    agent = app.test_client()
    login(agent, "agent@example.vn")
    assert agent.get("/telesales/").status_code == 200
    login(client, "admin@example.vn")
    with sessions() as s:
        agent_id = s.scalar(sa.select(User.id).where(User.email == "agent@example.vn"))
    response = submit(client, "/users", f"/users/{agent_id}/password", {"password": "mật-khẩu-thứ-hai"})
    assert response.status_code == 302
    assert agent.get("/telesales/").status_code == 302  # the old cookie no longer works
    assert login(agent, "agent@example.vn", PASSWORD).status_code == 200  # the old password is refused
    assert login(agent, "agent@example.vn", "mật-khẩu-thứ-hai").status_code == 302
    assert audits(sessions, "user_password_reset") == [{"target_id": agent_id, "email": "agent@example.vn"}]


def test_admin_manages_the_do_not_call_list(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        dnc.add(s, "+84987112233", "opt_out", NOW)
    login(client, "admin@example.vn")
    assert submit(client, "/dnc", "/dnc/add", {"number": "0912 345 678"}).status_code == 302
    submit(client, "/dnc", "/dnc/add", {"number": "not a number"})
    assert "Số điện thoại không hợp lệ." in client.get("/dnc").get_data(as_text=True)
    # a number found in any form, or by a part of it
    for query in ("+84 912 345 678", "84912345678", "345678"):
        html = client.get("/dnc", query_string={"q": query}).get_data(as_text=True)
        assert re.findall(r"<td data-number>([^<]+)<", html) == ["+84912345678"], query
    assert "<td data-number>" not in client.get("/dnc?q=abc").get_data(as_text=True)
    assert len(re.findall(r"<td data-number>", client.get("/dnc").get_data(as_text=True))) == 2
    file = io.BytesIO("Số điện thoại\n0903 111 222\n+84 903 111 222\n0987 112 233\nabc\n".encode())
    page = client.get("/dnc").get_data(as_text=True)
    response = client.post(
        "/dnc/import",
        data={"csrf_token": csrf_token(page), "numbers_file": (file, "quoc-gia.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert submit(client, "/dnc", "/dnc/remove", {"number": "+84987112233"}).status_code == 302
    with sessions() as s:
        listed = set(s.scalars(sa.select(DoNotCall.phone_e164)))
    assert listed == {"+84912345678", "+84903111222"}
    assert audits(sessions, "dnc_added") == [{"number": "+84912345678", "added": True}]
    assert audits(sessions, "dnc_imported") == [{"file": "quoc-gia.csv", "numbers": 2, "added": 1}]
    assert audits(sessions, "dnc_removed") == [{"number": "+84987112233", "removed": True}]


def test_the_audit_log_is_filtered_and_read_only(client, app, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(app.test_client(), "viewer@example.vn")
    login(client, "admin@example.vn")
    submit(client, "/dnc", "/dnc/add", {"number": "0912345678"})
    html = client.get("/audit").get_data(as_text=True)
    assert set(re.findall(r'<tr data-action="(\w+)"', html)) == {"sign_in", "dnc_added"}
    html = client.get("/audit", query_string={"action": "sign_in"}).get_data(as_text=True)
    assert re.findall(r'<tr data-action="(\w+)"', html) == ["sign_in", "sign_in"]
    html = client.get("/audit", query_string={"action": "sign_in", "user": "2"}).get_data(as_text=True)
    assert re.findall(r'<tr data-action="(\w+)"', html) == ["sign_in"] and "viewer@example.vn</td>" in html
    # no route changes the log: every other method on it is refused
    token = csrf_token(html)
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/audit", data={"csrf_token": token}).status_code == 405
    assert client.post("/audit/1", data={"csrf_token": token}).status_code == 404


def test_every_text_the_admin_pages_use_exists_in_both_languages() -> None:
    from pathlib import Path

    from callbot import exports, users
    from web.i18n import TEXTS
    from web.texts_admin import TEXTS as OURS

    folder = Path(__file__).resolve().parents[2] / "web" / "templates"
    names = ("campaign_new.html", "campaign_rules.html", "users.html", "dnc.html", "audit.html", "admin_exports.html")
    used = {key for name in names for key in re.findall(r"\bt\('([a-z_]+)'\)", (folder / name).read_text())}
    # keys the templates build: roles, call languages, export kinds, do-not-call reasons, retried outcomes
    used |= {f"role_{role}" for role in users.ROLES} | {"adm_lang_vi", "adm_lang_en"}
    used |= {f"adm_export_{kind}" for kind in exports.KINDS} | {"opt_out", "national_list", "manual"}
    used |= set(compliance.RETRY_OUTCOMES)
    assert sorted(used - set(TEXTS)) == []
    assert all(vi and en and vi != en for vi, en in OURS.values())
    assert not [key for key, (vi, _) in OURS.items() if vi.isascii()]  # Vietnamese, with its diacritics
