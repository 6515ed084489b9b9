"""In a real browser: an agent signs in, takes the next lead, records a follow-up; the workspace and the lead page
fit a phone screen."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from callbot.models import QueueItem, User
from tests.browser.conftest import PHONE, horizontal_overflow, sign_in
from tests.conftest import make_campaign, make_leads, make_user
from tests.web.conftest import call_interested

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # the test settings' deployment time zone (Settings.timezone default)


@pytest.fixture
def queued(app, sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A telesales agent and a lead that said yes on the bot's call (through the signed webhooks)."""
    with sessions.begin() as s:
        agent = make_user(s, "telesales", "agent@example.vn").id
        campaign = make_campaign(s)
        (lead,) = make_leads(
            s,
            campaign,
            [{"name": "Trần Thị Mai", "phone": "0912345678", "service": "bảo hiểm", "source": "Facebook"}],
        )
        lead_id = lead.id
    call_interested(app.test_client(), sessions, lead_id)
    return {"agent": agent, "lead": lead_id}


def test_agent_takes_the_next_lead_and_records_a_follow_up(live, new_page, screenshot, queued, sessions) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    sign_in(page, live, "agent@example.vn")
    assert page.url.endswith("/telesales/")
    next_lead = page.get_by_role("button", name="Nhận khách hàng tiếp theo")  # Vietnamese by default
    assert next_lead.is_visible()
    screenshot(page, "1-workspace")

    next_lead.click()
    page.wait_for_url("**/telesales/items/*")
    assert page.locator("h1").inner_text().startswith("Trần Thị Mai")
    call = page.locator("a.call-now")
    assert call.get_attribute("href") == "tel:+84912345678"  # tap to call
    assert "bảo hiểm" in page.locator("dl.facts").inner_text()
    assert page.locator("[data-answers] li").count() >= 2  # the bot call's answers, keyed 1 then 1
    screenshot(page, "2-lead")

    when = (dt.datetime.now(LOCAL) + dt.timedelta(days=1)).replace(hour=10, minute=30, second=0, microsecond=0)
    page.get_by_label("Hẹn gọi lại", exact=True).check()
    page.locator("input[name=follow_up_at]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.locator("textarea[name=note]").fill("Khách bận họp, hẹn sáng mai gọi lại")
    screenshot(page, "3-follow-up-form")
    page.locator("form#disposition button[type=submit]").click()

    page.wait_for_url("**/telesales/")
    assert "Đã lưu." in page.locator(".flash").first.inner_text()
    assert page.locator("[data-day=claimed]").inner_text() == "1"
    assert page.locator("[data-day=later]").inner_text() == "1"  # tomorrow's callback
    screenshot(page, "4-after")
    with sessions() as s:
        item = s.scalar(sa.select(QueueItem).where(QueueItem.lead_id == queued["lead"]))
        assert item.disposition == "follow_up"
        assert item.follow_up_at == when
        assert item.claimed_by_id == queued["agent"]
        assert item.note == "Khách bận họp, hẹn sáng mai gọi lại"

    page.get_by_role("link", name="English").click()  # the language switch, remembered in the session
    assert page.get_by_role("button", name="Next lead").is_visible()
    page.reload()
    assert page.get_by_role("link", name="Tiếng Việt").is_visible()
    screenshot(page, "5-english")


def test_workspace_and_lead_pages_fit_a_phone_screen(live, new_page, screenshot, queued, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "admin", "admin@example.vn")
        agent = s.get(User, queued["agent"])
        agent.phone = "+84987000111"  # a longer workspace: the live-transfer form filled in
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    sign_in(page, live, "agent@example.vn")
    assert page.evaluate("window.innerWidth") == PHONE["width"]
    assert horizontal_overflow(page) == []
    screenshot(page, "phone-workspace")

    page.get_by_role("button", name="Nhận khách hàng tiếp theo").click()
    page.wait_for_url("**/telesales/items/*")
    assert page.locator("a.call-now").is_visible()
    assert horizontal_overflow(page) == []
    screenshot(page, "phone-lead")

    admin = new_page(PHONE, is_mobile=True, has_touch=True)  # the admin's lead page on a phone
    sign_in(admin, live, "admin@example.vn")
    admin.goto(f"{live}/leads/{queued['lead']}")
    assert "Trần Thị Mai" in admin.locator("dl.facts").inner_text()
    assert horizontal_overflow(admin) == []
    screenshot(admin, "phone-admin-lead")
