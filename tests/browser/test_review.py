"""In a real browser: an admin reviews a call's timeline and downloads the exports; a viewer sees numbers and
names masked."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from callbot import exports
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.conftest import make_campaign, make_leads, make_user
from tests.web.conftest import call_interested

PHONE = "+84912345678"
MASKED = "+8491*****78"  # web.masking.mask_phone


@pytest.fixture
def called(app, sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """An admin, a viewer, and a lead whose bot call went: answered, right person, interested."""
    with sessions.begin() as s:
        make_user(s, "admin", "admin@example.vn")
        make_user(s, "viewer", "viewer@example.vn")
        campaign = make_campaign(s, "Bảo hiểm tháng 12")
        (lead,) = make_leads(s, campaign, [{"name": "Trần Thị Mai", "phone": "0912345678", "service": "bảo hiểm"}])
        ids = {"campaign": campaign.id, "lead": lead.id}
    ids["attempt"] = call_interested(app.test_client(), sessions, ids["lead"])
    return ids


def _download(page, form: str, target: Path) -> Path:  # type: ignore[no-untyped-def]
    """Press a form's download button and keep the file in the artefacts directory."""
    with page.expect_download() as started:
        page.locator(f'form[data-export="{form}"] button[type=submit]').click()
    download = started.value
    assert download.failure() is None
    target.parent.mkdir(parents=True, exist_ok=True)
    download.save_as(target)
    return target


def test_admin_reviews_a_call_timeline_and_exports(live, new_page, screenshot, called, request) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    sign_in(page, live, "admin@example.vn")
    page.get_by_role("link", name="Cuộc gọi", exact=True).click()
    page.wait_for_url("**/calls")
    row = page.locator("table tbody tr").first
    assert "Trần Thị Mai" in row.inner_text() and PHONE in row.inner_text()
    screenshot(page, "1-calls")

    row.locator(f'a[href="/calls/{called["attempt"]}"]').click()
    page.wait_for_url(f"**/calls/{called['attempt']}")
    assert page.locator("[data-answer=identity]").inner_text() == "Có"
    events = page.locator("ol.timeline li")
    kinds = [events.nth(i).locator("b").inner_text() for i in range(events.count())]
    assert kinds[0] == "voice" and kinds.count("gather") == 2 and "status" in kinds
    timeline = page.locator("ol.timeline").inner_text()
    assert "Digits=1" in timeline and "Hoàn tất" in timeline  # keyed answers, the call's end
    assert "Trần Thị Mai" in timeline  # what the bot said: the greeting names the lead (admins see it)
    screenshot(page, "2-timeline")

    page.get_by_role("link", name="Xuất dữ liệu").click()
    page.wait_for_url("**/exports/")
    screenshot(page, "3-exports")
    folder = ARTIFACTS / "downloads" / request.node.callspec.id
    with _download(page, "calls.csv", folder / "calls.csv").open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    assert table[0] == list(exports.columns("calls"))
    assert len(table) == 2
    row_values = dict(zip(table[0], table[1], strict=True))
    # A leading "+" could start a formula in a spreadsheet: the export makes the cell inert (exports.inert).
    assert row_values["name"] == "Trần Thị Mai" and row_values["phone"] == exports.inert(PHONE) == "'" + PHONE
    assert row_values["outcome"] == "interested" and row_values["campaign"] == "Bảo hiểm tháng 12"

    workbook = load_workbook(_download(page, "queue.xlsx", folder / "queue.xlsx"))
    try:
        sheet = workbook.active
        values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    finally:
        workbook.close()
    assert values[0] == list(exports.columns("queue"))
    assert len(values) == 2
    queued = dict(zip(values[0], values[1], strict=True))
    assert queued["name"] == "Trần Thị Mai" and queued["phone"] == exports.inert(PHONE)


def test_viewer_sees_masked_numbers(live, new_page, screenshot, called, request) -> None:  # type: ignore[no-untyped-def]
    page = new_page()
    sign_in(page, live, "viewer@example.vn")
    assert page.url.endswith("/campaigns")
    pages = {
        "leads": "/leads",
        "lead": f"/leads/{called['lead']}",
        "calls": "/calls",
        "call": f"/calls/{called['attempt']}",
        "campaign": f"/campaigns/{called['campaign']}",
    }
    for step, path in pages.items():
        page.goto(live + path)
        html = page.content()
        assert MASKED in html, path
        assert PHONE not in html and "0912345678" not in html and "Trần Thị Mai" not in html, path
        assert "T*** T** M**" in html, path  # the name's shape, not the person
        screenshot(page, f"viewer-{step}")
    assert page.locator("a[href^='tel:']").count() == 0

    page.goto(f"{live}/exports/")
    folder = ARTIFACTS / "downloads" / request.node.callspec.id
    with _download(page, "calls.csv", folder / "viewer-calls.csv").open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file))
    values = dict(zip(table[0], table[1], strict=True))
    assert values["phone"] == exports.inert(MASKED) and values["name"] == "T*** T** M**"
