"""The telesales workspace: claiming the best lead, holding it, recording a disposition, leases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from callbot.models import CallAttempt, DoNotCall, Lead, QueueItem
from tests.conftest import make_campaign, make_leads, make_user
from tests.web.conftest import call_interested, call_sid, csrf_token, login, signed_post, start_call, submit

EMPTY_VI = "Hàng chờ đang trống."
HOT_PHONE = "+84912345678"
WARM_PHONE = "+84903123456"


@pytest.fixture
def queued(client, sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Two leads that said yes on the call: a rich one (higher score) and a bare one. Lead ids by name."""
    with sessions.begin() as s:
        campaign = make_campaign(s)
        hot, warm = make_leads(
            s,
            campaign,
            [
                {
                    "name": "Trần Thị Mai",
                    "phone": "0912345678",
                    "email": "mai.tran@gmail.com",
                    "service": "bảo hiểm",
                    "source": "giới thiệu",
                },
                {"phone": "0903123456"},
            ],
        )
        ids = {"hot": hot.id, "warm": warm.id}
    # The bare lead is called first, so "best first" cannot pass by being "oldest first".
    call_interested(client, sessions, ids["warm"], n=1)
    call_interested(client, sessions, ids["hot"], n=2)
    with sessions() as s:
        scores = {name: s.get(Lead, lead_id).score for name, lead_id in ids.items()}
        assert s.scalar(sa.select(sa.func.count()).select_from(QueueItem)) == 2
    assert scores["hot"] > scores["warm"]
    return ids


@pytest.fixture
def agent(app, sessions):  # type: ignore[no-untyped-def]
    """A factory of signed-in telesales clients, each with their own browser."""

    def make(name: str):  # type: ignore[no-untyped-def]
        with sessions.begin() as s:
            make_user(s, "telesales", email=f"{name}@example.vn")
        browser = app.test_client()
        assert login(browser, f"{name}@example.vn").status_code == 302
        return browser

    return make


def next_lead(browser):  # type: ignore[no-untyped-def]
    """Press "next lead" on the workspace."""
    return submit(browser, "/telesales/", "/telesales/next")


def item_id_of(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/telesales/items/"), location
    return int(location.rsplit("/", 1)[1])


def queue_item(sessions, item_id: int) -> QueueItem:  # type: ignore[no-untyped-def]
    with sessions() as s:
        item = s.get(QueueItem, item_id)
        s.expunge(item)
        return item


def dispose(browser, item_id: int, **form: str):  # type: ignore[no-untyped-def]
    return submit(browser, f"/telesales/items/{item_id}", f"/telesales/items/{item_id}/disposition", form)


def test_agents_get_the_best_lead_first_then_the_next_then_nothing(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b, c = agent("a"), agent("b"), agent("c")
    a_item = item_id_of(next_lead(a))
    b_item = item_id_of(next_lead(b))
    assert queue_item(sessions, a_item).lead_id == queued["hot"]
    assert queue_item(sessions, b_item).lead_id == queued["warm"]

    response = next_lead(c)
    assert response.status_code == 302 and response.headers["Location"] == "/telesales/"
    page = c.get("/telesales/").get_data(as_text=True)
    assert EMPTY_VI in page


def test_empty_queue_message_in_english(agent) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    a.get("/telesales/?lang=en")
    page = next_lead(a)
    assert "The queue is empty." in a.get(page.headers["Location"]).get_data(as_text=True)


def test_an_agent_keeps_their_lead_until_done(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    first = item_id_of(next_lead(a))
    workspace = a.get("/telesales/")
    assert workspace.status_code == 302 and workspace.headers["Location"] == f"/telesales/items/{first}"
    assert item_id_of(submit(a, f"/telesales/items/{first}", "/telesales/next")) == first  # same lead again
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).where(QueueItem.claimed_by_id.is_not(None))) == 1


def test_an_agent_cannot_open_another_agents_lead(agent, queued) -> None:  # type: ignore[no-untyped-def]
    a, b = agent("a"), agent("b")
    a_item = item_id_of(next_lead(a))
    b_item = item_id_of(next_lead(b))
    assert a.get(f"/telesales/items/{b_item}").status_code == 403
    assert b.get(f"/telesales/items/{a_item}").status_code == 403
    assert a.get(f"/telesales/items/{a_item}").status_code == 200


def test_an_agent_cannot_dispose_of_another_agents_lead(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b = agent("a"), agent("b")
    item_id_of(next_lead(a))
    b_item = item_id_of(next_lead(b))
    token = csrf_token(a.get("/telesales/", follow_redirects=True).get_data(as_text=True))
    a.post(f"/telesales/items/{b_item}/disposition", data={"csrf_token": token, "disposition": "won"})
    assert queue_item(sessions, b_item).disposition is None
    with sessions() as s:
        assert s.get(Lead, queued["warm"]).status == "queued"


def test_the_agent_holding_a_lead_sees_the_full_number_with_a_tel_link(agent, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    html = a.get(f"/telesales/items/{item}").get_data(as_text=True)
    assert f'<a href="tel:{HOT_PHONE}">{HOT_PHONE}</a>' in html
    assert "Trần Thị Mai" in html
    assert "Đang giữ đến" in html
    assert "Quan tâm, muốn được tư vấn" in html  # why the lead is hot


def test_follow_up_without_a_time_is_refused(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    response = dispose(a, item, disposition="follow_up", note="gọi lại chiều mai")
    assert response.status_code == 302 and response.headers["Location"] == f"/telesales/items/{item}"
    assert "Hẹn gọi lại cần có thời gian." in a.get(response.headers["Location"]).get_data(as_text=True)
    assert queue_item(sessions, item).disposition is None
    with sessions() as s:
        assert s.get(Lead, queued["hot"]).status == "queued"


def test_follow_up_with_a_time_is_saved(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    response = dispose(a, item, disposition="follow_up", follow_up_at="2026-12-01T14:30", note="  gọi lại  ")
    assert response.status_code == 302 and response.headers["Location"] == "/telesales/"
    assert "Đã lưu." in a.get("/telesales/").get_data(as_text=True)
    saved = queue_item(sessions, item)
    assert saved.disposition == "follow_up"
    assert saved.note == "gọi lại"
    # The form's time is local (Ho Chi Minh City, UTC+7).
    assert saved.follow_up_at == dt.datetime(2026, 12, 1, 7, 30, tzinfo=dt.UTC)
    with sessions() as s:
        assert s.get(Lead, queued["hot"]).status == "follow_up"


def test_after_a_disposition_the_agent_gets_the_next_lead(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    first = item_id_of(next_lead(a))
    dispose(a, first, disposition="won")
    assert a.get("/telesales/").status_code == 200  # nothing held any more
    second = item_id_of(next_lead(a))
    assert second != first
    assert queue_item(sessions, second).lead_id == queued["warm"]
    with sessions() as s:
        assert s.get(Lead, queued["hot"]).status == "won"


def test_do_not_call_puts_the_number_on_the_list(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    dispose(a, item, disposition="do_not_call")
    with sessions() as s:
        listed = s.scalars(sa.select(DoNotCall)).all()
        assert [(d.phone_e164, d.reason) for d in listed] == [(HOT_PHONE, "agent")]
        assert s.get(Lead, queued["hot"]).status == "opted_out"


def test_unknown_disposition_is_refused(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    response = dispose(a, item, disposition="sold_twice")
    assert response.headers["Location"] == f"/telesales/items/{item}"
    assert queue_item(sessions, item).disposition is None


def test_disposition_of_an_unknown_item_is_404(app, agent, queued) -> None:  # type: ignore[no-untyped-def]
    app.config["PROPAGATE_EXCEPTIONS"] = False  # see the response a browser would get
    a = agent("a")
    token = csrf_token(a.get("/telesales/").get_data(as_text=True))
    response = a.post("/telesales/items/999999/disposition", data={"csrf_token": token, "disposition": "won"})
    assert response.status_code == 404


def test_after_the_lease_expires_another_agent_can_claim_the_lead(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b = agent("a"), agent("b")
    held = item_id_of(next_lead(a))
    with sessions.begin() as s:
        s.get(QueueItem, held).lease_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert item_id_of(next_lead(b)) == held  # the best lead again, not the other one
    assert a.get(f"/telesales/items/{held}").status_code == 403
    token = csrf_token(a.get("/telesales/").get_data(as_text=True))  # A holds nothing any more
    a.post(f"/telesales/items/{held}/disposition", data={"csrf_token": token, "disposition": "won"})  # too late
    assert queue_item(sessions, held).disposition is None
    assert dispose(b, held, disposition="won").headers["Location"] == "/telesales/"
    assert queue_item(sessions, held).disposition == "won"


def test_a_held_lead_is_not_offered_to_anyone_else_before_the_lease_ends(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b, c = agent("a"), agent("b"), agent("c")
    held = item_id_of(next_lead(a))
    with sessions.begin() as s:
        s.get(QueueItem, held).lease_expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    assert item_id_of(next_lead(b)) != held
    assert next_lead(c).headers["Location"] == "/telesales/"


def test_admin_may_work_the_queue_too(client, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "admin")
    login(client, "admin@example.vn")
    item = item_id_of(next_lead(client))
    assert client.get(f"/telesales/items/{item}").status_code == 200


# --- the lead page at a glance ----------------------------------------------------------------------------


@pytest.fixture
def rich_lead(client, sessions) -> int:  # type: ignore[no-untyped-def]
    """A lead called twice: no answer first, then a recorded call where they said yes. Its id."""
    with sessions.begin() as s:
        (lead,) = make_leads(
            s,
            make_campaign(s),
            [{"name": "Phạm Văn Đức", "phone": "0983517264", "service": "bảo hiểm xe", "source": "facebook"}],
        )
        lead_id = lead.id
    first = start_call(sessions, lead_id)
    base = {"CallSid": call_sid(7), "AccountSid": "AC" + "0" * 31 + "1", "From": "+842873000000", "To": "+84"}
    signed_post(client, f"/twilio/status?attempt={first}", {**base, "CallStatus": "no-answer"})
    with sessions.begin() as s:
        lead = s.get(Lead, lead_id)
        assert lead.status in ("callable", "callback")
        lead.status, lead.next_attempt_at = "dialing", None
        attempt = CallAttempt(lead_id=lead_id, campaign_id=lead.campaign_id, attempt_no=2, call_sid=None)
        s.add(attempt)
        s.flush()
        second = attempt.id
    attempt_id = second
    sid = call_sid(8)
    base = {"CallSid": sid, "AccountSid": "AC" + "0" * 31 + "1", "From": "+842873000000", "To": "+84"}
    live = {**base, "CallStatus": "in-progress"}
    signed_post(client, f"/twilio/voice?attempt={attempt_id}", {**live, "AnsweredBy": "human"})
    signed_post(client, f"/twilio/gather?attempt={attempt_id}&turn=1", {**live, "Digits": "1"})
    signed_post(
        client,
        f"/twilio/gather?attempt={attempt_id}&turn=2",
        {**live, "SpeechResult": "vâng tôi quan tâm", "Confidence": "0.87"},
    )
    signed_post(
        client,
        f"/twilio/recording?attempt={attempt_id}",
        {
            **base,
            "RecordingSid": "RE" + "b" * 32,
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "b" * 32,
            "RecordingStatus": "completed",
            "RecordingDuration": "41",
        },
    )
    signed_post(client, f"/twilio/status?attempt={attempt_id}", {**base, "CallStatus": "completed"})
    with sessions() as s:
        assert s.get(Lead, lead_id).status == "queued"
    return lead_id


def test_the_lead_page_shows_everything_in_one_look(agent, rich_lead) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    html = a.get(f"/telesales/items/{item}").get_data(as_text=True)
    for seen in (
        "Phạm Văn Đức",
        '<a href="tel:+84983517264">',
        "bảo hiểm xe",
        "facebook",
        "Quan tâm, muốn được tư vấn",
    ):
        assert seen in html, seen
    bot_call = html.split("data-bot-call", 1)[1].split("</div>", 1)[0]
    assert "Bấm phím <b>1</b>" in bot_call  # the keyed identity answer
    assert "“vâng tôi quan tâm”" in bot_call and "độ tin cậy 0.87" in bot_call  # speech with its confidence
    assert 'href="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE' in bot_call and "(41 s)" in bot_call
    earlier = html.split("data-earlier-attempts", 1)[1].split("</details>", 1)[0]
    assert "Không nghe máy" in earlier  # the first, unanswered attempt
    assert "Chưa có ghi chú nào." in html
    # The page keeps its lease through a script file (no inline script: a strict CSP comes later).
    assert '<script src="/static/telesales.js" defer></script>' in html
    assert "<script>" not in html and 'data-lease-url="/telesales/items/' in html


def test_the_lead_page_in_english(agent, rich_lead) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    a.get("/telesales/?lang=en")
    item = item_id_of(next_lead(a))
    html = a.get(f"/telesales/items/{item}").get_data(as_text=True)
    assert "Bot call" in html and "confidence 0.87" in html and "Earlier attempts (1)" in html


def test_telesales_js_is_served(client) -> None:  # type: ignore[no-untyped-def]
    with client.get("/static/telesales.js") as response:
        assert response.status_code == 200 and b"X-CSRFToken" in response.data
    with client.get("/static/telesales.css") as response:
        assert response.status_code == 200


def test_earlier_agents_notes_show_on_the_lead_page(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b = agent("a"), agent("b")
    item = item_id_of(next_lead(a))
    dispose(a, item, disposition="follow_up", follow_up_at="2030-01-02T09:15", note="Khách hẹn đầu năm")
    with sessions.begin() as s:  # the follow-up is long overdue: past a's grace, anyone may take it
        s.get(QueueItem, item).follow_up_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    assert item_id_of(next_lead(b)) == item
    html = b.get(f"/telesales/items/{item}").get_data(as_text=True)
    notes = html.split("data-notes", 1)[1].split("</ol>", 1)[0]
    assert "Khách hẹn đầu năm" in notes and "Telesales" in notes and "Hẹn gọi lại" in notes
    assert "gọi lại lúc 02/01/2030 09:15:00" in notes


# --- renewing the lease -----------------------------------------------------------------------------------


def renew(browser, item_id: int, token: str | None = None):  # type: ignore[no-untyped-def]
    """What telesales.js does: POST the lease URL with the page's CSRF token in a header."""
    if token is None:
        token = csrf_token(browser.get(f"/telesales/items/{item_id}").get_data(as_text=True))
    return browser.post(f"/telesales/items/{item_id}/lease", headers={"X-CSRFToken": token})


def test_the_open_page_renews_the_lease(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    with sessions.begin() as s:
        s.get(QueueItem, item).lease_expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    response = renew(a, item)
    assert response.status_code == 200 and response.json["held"] is True
    until = queue_item(sessions, item).lease_expires_at
    assert until > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=14)
    assert dt.datetime.fromisoformat(response.json["until"]) == until
    assert response.json["until_local"].count("/") == 2


def test_a_just_expired_lease_nobody_took_is_renewed(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    token = csrf_token(a.get(f"/telesales/items/{item}").get_data(as_text=True))
    with sessions.begin() as s:
        s.get(QueueItem, item).lease_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    assert renew(a, item, token).status_code == 200
    assert queue_item(sessions, item).lease_expires_at > dt.datetime.now(dt.UTC)


def test_a_lease_taken_over_is_not_renewed(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b = agent("a"), agent("b")
    item = item_id_of(next_lead(a))
    token = csrf_token(a.get(f"/telesales/items/{item}").get_data(as_text=True))
    with sessions.begin() as s:
        s.get(QueueItem, item).lease_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert item_id_of(next_lead(b)) == item
    response = renew(a, item, token)
    assert response.status_code == 409 and response.json == {"held": False}
    assert queue_item(sessions, item).claimed_by_id != queue_item(sessions, item_id_of(next_lead(a))).claimed_by_id


def test_another_agent_cannot_renew_a_lease(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b = agent("a"), agent("b")
    item = item_id_of(next_lead(a))
    before = queue_item(sessions, item).lease_expires_at
    token = csrf_token(b.get("/telesales/").get_data(as_text=True))
    assert renew(b, item, token).status_code == 409
    assert queue_item(sessions, item).lease_expires_at == before


def test_renewing_needs_the_csrf_token(app, agent, queued) -> None:  # type: ignore[no-untyped-def]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    a = agent("a")
    item = item_id_of(next_lead(a))
    assert a.post(f"/telesales/items/{item}/lease").status_code == 400
    assert a.post(f"/telesales/items/{item}/lease", headers={"X-CSRFToken": "forged"}).status_code == 400


def test_a_disposed_lead_page_has_no_form_and_no_renewal(agent, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    item = item_id_of(next_lead(a))
    dispose(a, item, disposition="not_interested")
    html = a.get(f"/telesales/items/{item}").get_data(as_text=True)
    assert 'id="disposition"' not in html and "data-lease-url" not in html
    assert renew(a, item, csrf_token(html)).status_code == 409


# --- dispositions and follow-ups ----------------------------------------------------------------------------


def test_follow_up_in_the_past_is_refused(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    a.get("/telesales/?lang=en")
    item = item_id_of(next_lead(a))
    response = dispose(a, item, disposition="follow_up", follow_up_at="2020-01-01T09:00")
    assert response.headers["Location"] == f"/telesales/items/{item}"
    assert "The follow-up time must be in the future." in a.get(response.headers["Location"]).get_data(as_text=True)
    assert queue_item(sessions, item).disposition is None


def test_a_follow_up_comes_back_to_its_agent_over_http(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a, b = agent("a"), agent("b")
    item = item_id_of(next_lead(a))  # the hot lead
    dispose(a, item, disposition="follow_up", follow_up_at="2030-06-01T10:00", note="gọi lại")
    page = a.get("/telesales/").get_data(as_text=True)
    assert "Hôm nay không có lịch gọi lại." in page and "Lịch gọi lại các ngày sau" in page
    with sessions.begin() as s:  # its time has come (5 minutes ago): within the grace period
        s.get(QueueItem, item).follow_up_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    page = a.get("/telesales/").get_data(as_text=True)
    callbacks = page.split('data-day="callbacks"', 1)[1].split("</ol>", 1)[0]
    assert "Trần Thị Mai" in callbacks and "Đến giờ gọi" in callbacks and "data-callback-first" in page
    # b is offered the other lead, not a's follow-up; a gets the follow-up back before anything else.
    assert queue_item(sessions, item_id_of(next_lead(b))).lead_id == queued["warm"]
    assert item_id_of(next_lead(a)) == item
    html = a.get(f"/telesales/items/{item}").get_data(as_text=True)
    assert 'id="disposition"' in html and "gọi lại" in html.split("data-notes", 1)[1]
    assert dispose(a, item, disposition="won").headers["Location"] == "/telesales/"
    with sessions() as s:
        assert s.get(Lead, queued["hot"]).status == "won"


def test_the_workspace_shows_the_agents_day(agent, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    a = agent("a")
    page = a.get("/telesales/").get_data(as_text=True)
    assert 'data-day="claimed">0<' in page and 'data-day="conversion">—<' in page
    first = item_id_of(next_lead(a))
    dispose(a, first, disposition="won")
    second = item_id_of(next_lead(a))
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    dispose(a, second, disposition="follow_up", follow_up_at=soon.strftime("%Y-%m-%dT%H:%M"))
    page = a.get("/telesales/").get_data(as_text=True)
    for key, value in (("claimed", "2"), ("done", "2"), ("won", "1"), ("conversion", "50 %")):
        assert f'data-day="{key}">{value}<' in page, key
    if soon.date() == dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date():  # not past midnight there
        callbacks = page.split('data-day="callbacks"', 1)[1].split("</ol>", 1)[0]
        assert soon.strftime("%d/%m/%Y %H:%M") in callbacks and "Đến giờ gọi" not in callbacks


def test_the_lease_and_the_grace_period_are_settings(settings, engine, sessions, queued) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    app = create_app(settings.with_overrides(claim_lease_seconds=600, follow_up_grace_seconds=0), engine=engine)
    with sessions.begin() as s:
        make_user(s, "telesales", email="a@example.vn")
        make_user(s, "telesales", email="b@example.vn")
    a, b = app.test_client(), app.test_client()
    login(a, "a@example.vn")
    login(b, "b@example.vn")
    item = item_id_of(next_lead(a))
    lease = queue_item(sessions, item).lease_expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=9) < lease <= dt.timedelta(minutes=10)
    dispose(a, item, disposition="follow_up", follow_up_at="2030-01-01T09:00")
    with sessions.begin() as s:
        s.get(QueueItem, item).follow_up_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert item_id_of(next_lead(b)) == item  # no grace: anyone may take a due follow-up at once


def test_settings_read_the_lease_and_the_grace_from_the_environment() -> None:
    from callbot.settings import REQUIRED, Settings

    env = {name: "value" for name in REQUIRED}
    assert (Settings.from_env(env).claim_lease_seconds, Settings.from_env(env).follow_up_grace_seconds) == (900, 1800)
    custom = Settings.from_env(env | {"CALLBOT_CLAIM_LEASE_SECONDS": "300", "CALLBOT_FOLLOW_UP_GRACE_SECONDS": "60"})
    assert (custom.claim_lease_seconds, custom.follow_up_grace_seconds) == (300, 60)
