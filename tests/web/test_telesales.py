"""The telesales workspace: claiming the best lead, holding it, recording a disposition, leases."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from callbot.models import DoNotCall, Lead, QueueItem
from tests.conftest import make_campaign, make_leads, make_user
from tests.web.conftest import call_interested, csrf_token, login, submit

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
    assert "a follow-up needs a time" in a.get(response.headers["Location"]).get_data(as_text=True)
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
