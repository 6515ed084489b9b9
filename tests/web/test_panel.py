"""The admin panel: funnels, lead lists with filter and pages, call timelines, lead scores, masked numbers."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from callbot import queue
from callbot.models import AuditLog, CallAttempt, Campaign, Lead
from tests.conftest import NOW, make_campaign, make_leads, make_user
from tests.web.conftest import (
    call_interested,
    call_sid,
    csrf_token,
    login,
    run_call,
    signed_post,
    start_call,
    submit,
)

ROWS = [
    {"name": "Trần Thị Mai", "phone": "0912345678"},
    {"name": "Nguyễn Văn Nam", "phone": "0987123456"},
    {"name": "Lê Văn Hùng", "phone": "0903123456"},
    {"name": "test", "phone": "#N/A"},
    {"name": "Trần Thị Mai", "phone": "+84 912 345 678"},  # the first lead again
]


def funnel_counts(html: str) -> dict[str, int]:
    """The funnel chart's stages and counts, read from the SVG's bar groups."""
    chart = re.search(r'<svg class="chart hbar"[^>]*data-chart="funnel[^"]*".*?</svg>', html, re.S)
    if chart is None:
        return {}
    return {stage: int(n) for stage, n in re.findall(r'data-key="(\w+)" data-value="(\d+)"', chart.group(0))}


def lead_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/leads/(\d+)">', html)]


@pytest.fixture
def campaign(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A campaign with three good leads, one junk row and one duplicate; returns ids by name."""
    with sessions.begin() as s:
        c = make_campaign(s)
        leads = make_leads(s, c, ROWS)
        assert [lead.verdict for lead in leads] == ["ok", "ok", "ok", "junk", "duplicate"]
        return {
            "campaign": c.id,
            "mai": leads[0].id,
            "nam": leads[1].id,
            "hung": leads[2].id,
            "junk": leads[3].id,
            "dup": leads[4].id,
        }


@pytest.fixture
def admin(client, sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "admin")
    login(client, "admin@example.vn")
    return client


@pytest.fixture
def viewer(client, sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "viewer")
    login(client, "viewer@example.vn")
    return client


@pytest.fixture
def calls_made(client, sessions, campaign) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Mai is interested, Nam says it is the wrong person, Hùng does not answer: attempt ids by name."""
    mai = call_interested(client, sessions, campaign["mai"], n=1)
    nam = start_call(sessions, campaign["nam"])
    run_call(client, nam, call_sid(2), ["2"])
    hung = start_call(sessions, campaign["hung"])
    signed_post(client, f"/twilio/status?attempt={hung}", {"CallSid": call_sid(3), "CallStatus": "no-answer"})
    return {"mai": mai, "nam": nam, "hung": hung}


def test_campaign_detail_shows_the_funnel_after_intake(admin, campaign) -> None:  # type: ignore[no-untyped-def]
    response = admin.get(f"/campaigns/{campaign['campaign']}")
    assert response.status_code == 200
    assert funnel_counts(response.get_data(as_text=True)) == {
        "imported": 5,
        "callable": 3,
        "called": 0,
        "answered": 0,
        "identity_confirmed": 0,
        "interested": 0,
        "claimed": 0,
        "won": 0,
    }


def test_campaign_detail_funnel_follows_the_calls(admin, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    html = admin.get(f"/campaigns/{campaign['campaign']}").get_data(as_text=True)
    assert funnel_counts(html) == {
        "imported": 5,
        "callable": 3,
        "called": 3,
        "answered": 2,
        "identity_confirmed": 1,
        "interested": 1,
        "claimed": 0,
        "won": 0,
    }
    assert f'href="/calls?campaign={campaign["campaign"]}">Cuộc gọi (3)</a>' in html


def test_campaign_list_shows_each_campaigns_funnel(admin, sessions, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_campaign(s, "Chiến dịch trống")
    html = admin.get("/campaigns").get_data(as_text=True)
    sections = {
        name: funnel_counts(body)
        for name, body in re.findall(r'<a href="/campaigns/\d+">([^<]+)</a>(.*?)</section>', html, re.S)
    }
    assert sections["Chiến dịch thử"]["imported"] == 5
    assert sections["Chiến dịch thử"]["callable"] == 3
    assert sections["Chiến dịch thử"]["interested"] == 1
    assert set(sections["Chiến dịch trống"].values()) == {0}


def test_verdict_filter_lists_only_that_verdict(admin, campaign) -> None:  # type: ignore[no-untyped-def]
    url = f"/campaigns/{campaign['campaign']}"
    assert sorted(lead_links(admin.get(url).get_data(as_text=True))) == sorted(
        campaign[k] for k in ("mai", "nam", "hung", "junk", "dup")
    )
    junk = admin.get(url + "?verdict=junk").get_data(as_text=True)
    assert lead_links(junk) == [campaign["junk"]]
    assert "#N/A" in junk and "phone_placeholder" in junk
    duplicate = admin.get(url + "?verdict=duplicate").get_data(as_text=True)
    assert lead_links(duplicate) == [campaign["dup"]]
    assert "duplicate_phone" in duplicate
    assert lead_links(admin.get(url + "?verdict=blocked").get_data(as_text=True)) == []


def test_leads_are_listed_fifty_per_page(admin, sessions) -> None:  # type: ignore[no-untyped-def]
    rows = [{"name": "Phạm Thu Hà", "phone": f"0913{i * 7919 % 10**6:06d}"} for i in range(51)]
    with sessions.begin() as s:
        c = make_campaign(s)
        ids = [lead.id for lead in make_leads(s, c, rows)]
        campaign_id = c.id
    first = admin.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert lead_links(first) == ids[:50]  # equal scores: in import order
    assert "?page=2" in first and "?page=0" not in first
    second = admin.get(f"/campaigns/{campaign_id}?page=2").get_data(as_text=True)
    assert lead_links(second) == ids[50:]
    assert "?page=1" in second and "?page=3" not in second


def test_no_next_link_when_the_last_page_is_exactly_full(admin, sessions) -> None:  # type: ignore[no-untyped-def]
    rows = [{"name": "Phạm Thu Hà", "phone": f"0913{i * 7919 % 10**6:06d}"} for i in range(50)]
    with sessions.begin() as s:
        c = make_campaign(s)
        make_leads(s, c, rows)
        campaign_id = c.id
    first = admin.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert len(lead_links(first)) == 50
    assert "?page=2" not in first


def test_pagination_keeps_the_verdict_filter(admin, sessions) -> None:  # type: ignore[no-untyped-def]
    rows = [{"name": "Phạm Thu Hà", "phone": f"0913{i * 7919 % 10**6:06d}"} for i in range(51)]
    rows.append({"name": "test", "phone": "#N/A"})
    with sessions.begin() as s:
        c = make_campaign(s)
        make_leads(s, c, rows)
        campaign_id = c.id
    first = admin.get(f"/campaigns/{campaign_id}?verdict=ok").get_data(as_text=True)
    assert len(lead_links(first)) == 50
    assert "?page=2&verdict=ok" in first
    second = admin.get(f"/campaigns/{campaign_id}?page=2&verdict=ok").get_data(as_text=True)
    assert len(lead_links(second)) == 1 and "#N/A" not in second


def test_call_detail_shows_the_timeline(admin, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    response = admin.get(f"/calls/{calls_made['mai']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    timeline = html[html.index('<ol class="timeline">') :]
    assert re.findall(r"<b>(\w+)</b>", timeline) == ["voice", "gather", "gather", "status"]
    assert timeline.count("Digits=1") == 2
    assert "AnsweredBy=human" in timeline
    assert "<span>Hoàn tất</span>" in timeline  # completed, in the panel language
    assert '<span class="badge interested">Quan tâm</span>' in html
    assert "<code>digits:1</code> <code>digits:1</code>" in html  # what the caller keyed
    assert call_sid(1) in html
    assert "Thời lượng (giây): 42" in html


def test_call_detail_marks_a_repeated_callback_as_duplicate(admin, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    signed_post(
        admin,
        f"/twilio/status?attempt={calls_made['mai']}",
        {"CallSid": call_sid(1), "CallStatus": "completed", "CallDuration": "42"},
    )
    html = admin.get(f"/calls/{calls_made['mai']}").get_data(as_text=True)
    assert html.count("<em>(duplicate)</em>") == 1


def test_call_detail_of_an_unknown_call_is_404(admin, campaign) -> None:  # type: ignore[no-untyped-def]
    assert admin.get("/calls/999999").status_code == 404
    assert admin.get("/leads/999999").status_code == 404
    assert admin.get("/campaigns/999999").status_code == 404


def test_call_list_filters_by_campaign_and_outcome(admin, sessions, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        other = make_campaign(s, "Chiến dịch khác")
        (lead,) = make_leads(s, other, [{"name": "Đỗ Minh Quân", "phone": "0976543210"}])
        other_id, other_lead = other.id, lead.id
    other_attempt = call_interested(admin, sessions, other_lead, n=9)

    def attempts(url: str) -> list[int]:
        return [int(n) for n in re.findall(r'<a href="/calls/(\d+)">', admin.get(url).get_data(as_text=True))]

    assert attempts("/calls") == sorted([*calls_made.values(), other_attempt], reverse=True)
    assert attempts(f"/calls?campaign={campaign['campaign']}") == sorted(calls_made.values(), reverse=True)
    assert attempts(f"/calls?campaign={other_id}") == [other_attempt]
    assert attempts("/calls?outcome=wrong_person") == [calls_made["nam"]]


def test_lead_detail_shows_the_score_and_its_reasons(admin, sessions, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    with sessions() as s:
        lead = s.get(Lead, campaign["mai"])
        score, tier = lead.score, lead.tier
    assert tier == "hot"
    html = admin.get(f"/leads/{campaign['mai']}").get_data(as_text=True)
    assert f"{score} · hot" in html
    assert re.search(r'<td class="num">\+10</td><td>Xác nhận đúng người</td>', html)
    assert re.search(r'<td class="num">\+\d+</td><td>Quan tâm, muốn được tư vấn</td>', html)
    assert re.search(r'<td class="num">\+40</td><td>Điểm khởi đầu</td>', html)
    assert "Chuyển telesales" in html  # status queued, and the queue line
    english = admin.get(f"/leads/{campaign['mai']}?lang=en").get_data(as_text=True)
    assert re.search(r'<td class="num">\+10</td><td>Identity confirmed</td>', english)
    assert "Xác nhận đúng người" not in english


def test_lead_detail_of_a_wrong_person_shows_the_score_wiped(admin, sessions, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    html = admin.get(f"/leads/{campaign['nam']}").get_data(as_text=True)
    assert "0 · cold" in html
    assert "Nhầm người" in html
    assert "Sai số" in html  # status wrong_number
    assert f'href="/calls/{calls_made["nam"]}"' in html


def test_lead_detail_shows_intake_verdict_and_reasons(admin, campaign) -> None:  # type: ignore[no-untyped-def]
    html = admin.get(f"/leads/{campaign['dup']}").get_data(as_text=True)
    assert '<span class="badge duplicate">duplicate</span>' in html
    assert '<span class="reason" title="duplicate_phone">Trùng số điện thoại với khách đã có</span>' in html
    assert "Khách trùng lặp" in html  # the score reason for a duplicate


# --- who sees which number ------------------------------------------------------------------------------

FULL = "+84912345678"
MASKED = "+8491*****78"


def test_viewer_sees_masked_numbers_on_the_campaign_page(viewer, campaign) -> None:  # type: ignore[no-untyped-def]
    html = viewer.get(f"/campaigns/{campaign['campaign']}").get_data(as_text=True)
    assert MASKED in html
    assert "+8498*****56" in html
    for leak in (FULL, "0912345678", "912345678", "+84 912 345 678", "+84987123456"):
        assert leak not in html


def test_viewer_sees_masked_numbers_on_lead_call_and_call_list_pages(viewer, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    for url in (f"/leads/{campaign['mai']}", f"/calls/{calls_made['mai']}", "/calls"):
        response = viewer.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert MASKED in html, url
        assert FULL not in html and "tel:" not in html, url


def test_admin_sees_full_numbers(admin, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    html = admin.get(f"/campaigns/{campaign['campaign']}").get_data(as_text=True)
    assert FULL in html and "+84987123456" in html
    assert "*****" not in html
    lead = admin.get(f"/leads/{campaign['mai']}").get_data(as_text=True)
    assert f'<a href="tel:{FULL}">{FULL}</a>' in lead
    assert FULL in admin.get(f"/calls/{calls_made['mai']}").get_data(as_text=True)


def test_funnel_counts_a_lead_once_whatever_its_attempts(admin, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    first = start_call(sessions, campaign["hung"])
    signed_post(admin, f"/twilio/status?attempt={first}", {"CallSid": call_sid(5), "CallStatus": "busy"})
    with sessions.begin() as s:
        lead = s.get(Lead, campaign["hung"])
        assert lead.status == "callable"
        lead.status, lead.attempts = "dialing", 2
        s.add(CallAttempt(lead_id=lead.id, campaign_id=lead.campaign_id, attempt_no=2))
    with sessions() as s:
        second = s.scalar(sa.select(CallAttempt.id).where(CallAttempt.attempt_no == 2))
    signed_post(admin, f"/twilio/status?attempt={second}", {"CallSid": call_sid(6), "CallStatus": "busy"})
    html = admin.get(f"/campaigns/{campaign['campaign']}").get_data(as_text=True)
    assert funnel_counts(html)["called"] == 1
    assert "Cuộc gọi (2)" in html


def test_campaign_page_shows_its_rules_progress_and_why_leads_wait(admin, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        hung = s.get(Lead, campaign["hung"])
        hung.next_attempt_at, hung.wait_reason = NOW + dt.timedelta(hours=2), "retry"
    html = admin.get(f"/campaigns/{campaign['campaign']}").get_data(as_text=True)
    progress = dict(re.findall(r'data-key="(\w+)">(\d+)<', html))
    assert progress["due_now"] == "2" and progress["retries_due"] == "1" and progress["rejected"] == "2"
    assert "Vì sao khách hàng đang chờ" in html and "Thử lại sau" in html
    assert "Cuộc gọi đồng thời tối đa" in html  # the rules that apply, line by line


def test_admin_pauses_schedules_and_resumes_a_campaign_with_an_audit_trail(admin, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    page = f"/campaigns/{campaign['campaign']}"
    action = f"{page}/status"
    assert submit(admin, page, action, {"action": "pause"}).status_code == 302
    with sessions() as s:
        assert s.get(Campaign, campaign["campaign"]).status == "paused"
    assert "Tiếp tục" in admin.get(page).get_data(as_text=True)
    submit(admin, page, action, {"action": "schedule", "starts_at": "2026-12-01T08:00"})
    with sessions() as s:
        c = s.get(Campaign, campaign["campaign"])
        # typed in the campaign's zone (Asia/Ho_Chi_Minh): 08:00 there is 01:00 UTC
        assert c.status == "scheduled" and c.starts_at == dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    response = submit(admin, page, action, {"action": "schedule", "starts_at": "next monday"})
    assert "not a date and time" in admin.get(page).get_data(as_text=True)
    submit(admin, page, action, {"action": "start"})
    with sessions() as s:
        assert s.get(Campaign, campaign["campaign"]).status == "running"
        trail = [
            (a.detail["change"], a.detail["after"])
            for a in s.scalars(sa.select(AuditLog).order_by(AuditLog.id))
            if a.action == "campaign_status"
        ]
        assert trail == [("pause", "paused"), ("schedule", "scheduled"), ("start", "running")]
    assert response.status_code == 302


def test_viewers_cannot_change_a_campaign(viewer, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    page = f"/campaigns/{campaign['campaign']}"
    assert 'name="action"' not in viewer.get(page).get_data(as_text=True)
    token = (
        csrf_token(viewer.get(page).get_data(as_text=True))
        if "csrf_token" in viewer.get(page).get_data(as_text=True)
        else ""
    )
    assert viewer.post(f"{page}/status", data={"csrf_token": token, "action": "pause"}).status_code == 403
    with sessions() as s:
        assert s.get(Campaign, campaign["campaign"]).status == "running"


def test_admin_edits_the_campaigns_script_and_previews_it(admin, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    page = f"/campaigns/{campaign['campaign']}/script"
    html = admin.get(page).get_data(as_text=True)
    assert "Xin chào, đây là cuộc gọi từ Công ty ABC." in html  # the default, previewed for a real lead
    assert "Cho hỏi có phải anh chị Trần Thị Mai không ạ?" in html  # the campaign's first lead
    data = {
        "text_greeting": "Dạ em chào {name}, em gọi từ {company}.",
        "voice": "Google.vi-VN-Wavenet-C",
        "machine_action": "hangup",
        "record_calls": "on",
        "audio_voicemail": "https://cdn.example.vn/loi-nhan.mp3",
    }
    assert submit(admin, page, page, data).status_code == 302
    with sessions() as s:
        c = s.get(Campaign, campaign["campaign"])
        assert c.script_texts == {"greeting": "Dạ em chào {name}, em gọi từ {company}."}
        assert (c.voice, c.machine_action, c.record_calls) == ("Google.vi-VN-Wavenet-C", "hangup", True)
        assert c.audio == {"voicemail": "https://cdn.example.vn/loi-nhan.mp3"}
        assert [a.detail["fields"] for a in s.scalars(sa.select(AuditLog)) if a.action == "campaign_script"]
    preview = admin.get(page).get_data(as_text=True)
    assert "Cuộc gọi này có thể được ghi âm" in preview and "Dạ em chào Trần Thị Mai, em gọi từ Công ty ABC." in preview
    assert "Google.vi-VN-Wavenet-C" in preview


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("text_greeting", "Chào {ten}", "unknown variable {ten}"),
        ("text_identity", "Có phải {name", "braces do not match"),
        ("voice", "Polly.Joanna", "unknown voice"),
        ("audio_greeting", "http://insecure.example/a.mp3", "must be an https:// URL"),
        ("machine_action", "sing", "unknown answering-machine action"),
    ],
)
def test_a_bad_script_is_refused_and_nothing_changes(admin, sessions, campaign, field, value, problem) -> None:  # type: ignore[no-untyped-def]
    page = f"/campaigns/{campaign['campaign']}/script"
    response = submit(admin, page, page, {"machine_action": "message", field: value})
    assert response.status_code == 200 and problem in response.get_data(as_text=True)
    assert value in response.get_data(as_text=True) or field in ("voice", "machine_action")  # what was typed stays
    with sessions() as s:
        c = s.get(Campaign, campaign["campaign"])
        assert (c.script_texts, c.voice, c.audio, c.machine_action) == ({}, None, {}, "message")


def test_only_admins_edit_scripts(viewer, campaign) -> None:  # type: ignore[no-untyped-def]
    assert viewer.get(f"/campaigns/{campaign['campaign']}/script").status_code == 403


# --- the calls and leads lists: filters, search, pages ----------------------------------------------------


def call_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/calls/(\d+)">', html)]


def today() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def test_leads_page_lists_every_campaigns_leads_with_the_intake_review(admin, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        other = make_campaign(s, "Chiến dịch khác")
        (quan,) = make_leads(s, other, [{"name": "Đỗ Minh Quân", "phone": "0976543210"}])
        quan_id = quan.id
        batch = s.get(Lead, campaign["junk"]).import_batch
    html = admin.get("/leads").get_data(as_text=True)
    assert lead_links(html) == sorted(
        [*(campaign[k] for k in ("mai", "nam", "hung", "junk", "dup")), quan_id], reverse=True
    )
    assert "phone_placeholder" in html and "duplicate_phone" in html  # the reasons, as codes in the titles
    assert f'href="/campaigns/{campaign["campaign"]}/uploads/{batch}"' in html  # the upload's review
    assert "Chiến dịch khác" in html
    assert lead_links(admin.get(f"/leads?campaign={campaign['campaign']}&verdict=junk").get_data(as_text=True)) == [
        campaign["junk"]
    ]
    assert lead_links(admin.get("/leads?verdict=duplicate").get_data(as_text=True)) == [campaign["dup"]]
    assert lead_links(admin.get("/leads?status=rejected").get_data(as_text=True)) == [campaign["dup"], campaign["junk"]]
    assert lead_links(admin.get("/leads?verdict=blocked").get_data(as_text=True)) == []


@pytest.mark.parametrize("typed", ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678", "(091) 234-5678"])
def test_a_number_typed_in_any_form_finds_its_leads_and_calls(admin, campaign, calls_made, typed) -> None:  # type: ignore[no-untyped-def]
    leads = admin.get("/leads", query_string={"q": typed}).get_data(as_text=True)
    assert sorted(lead_links(leads)) == sorted([campaign["mai"], campaign["dup"]])  # the duplicate row too
    calls = admin.get("/calls", query_string={"q": typed}).get_data(as_text=True)
    assert call_links(calls) == [calls_made["mai"]]


def test_a_name_search_finds_part_of_a_name(admin, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    assert lead_links(admin.get("/leads?q=nam").get_data(as_text=True)) == [campaign["nam"]]
    assert lead_links(admin.get("/leads", query_string={"q": "Văn Hùng"}).get_data(as_text=True)) == [campaign["hung"]]
    assert call_links(admin.get("/calls", query_string={"q": "Hùng"}).get_data(as_text=True)) == [calls_made["hung"]]
    assert lead_links(admin.get("/leads?q=%25").get_data(as_text=True)) == []  # a wildcard is only a character
    assert "Không có kết quả nào." in admin.get("/leads?q=zzz").get_data(as_text=True)


def test_calls_filter_by_date_agent_and_live_outcome(admin, sessions, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    everything = sorted(calls_made.values(), reverse=True)
    assert call_links(admin.get(f"/calls?from={today()}&to={today()}").get_data(as_text=True)) == everything
    day_before = (dt.date.fromisoformat(today()) - dt.timedelta(days=1)).isoformat()
    assert call_links(admin.get(f"/calls?to={day_before}").get_data(as_text=True)) == []
    assert call_links(admin.get("/calls?from=not-a-date").get_data(as_text=True)) == everything  # ignored
    with sessions.begin() as s:
        agent = make_user(s, "telesales").id
        item = queue.claim_next(s, agent, NOW)
        assert item is not None and item.lead_id == campaign["mai"]
    html = admin.get(f"/calls?agent={agent}").get_data(as_text=True)
    assert call_links(html) == [calls_made["mai"]]
    assert f'<option value="{agent}" selected>Telesales</option>' in html
    assert lead_links(admin.get(f"/leads?agent={agent}").get_data(as_text=True)) == [campaign["mai"]]
    live = start_call(sessions, campaign["junk"])  # a call still going has no outcome yet
    assert call_links(admin.get("/calls?outcome=live").get_data(as_text=True)) == [live]


def test_pages_keep_the_filters(admin, sessions) -> None:  # type: ignore[no-untyped-def]
    rows = [{"name": "Phạm Thu Hà", "phone": f"0913{i * 7919 % 10**6:06d}"} for i in range(52)]
    rows.append({"name": "Phạm Thu Hà", "phone": "#N/A"})
    with sessions.begin() as s:
        c = make_campaign(s)
        ids = [lead.id for lead in make_leads(s, c, rows)]
        campaign_id = c.id
    query = f"campaign={campaign_id}&verdict=ok&q=Thu+H%C3%A0"
    first = admin.get(f"/leads?{query}").get_data(as_text=True)
    assert lead_links(first) == sorted(ids[:52], reverse=True)[:50]
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_link is not None
    second_url = next_link.group(1).replace("&amp;", "&")
    assert "page=2" in second_url and f"campaign={campaign_id}" in second_url and "verdict=ok" in second_url
    assert "q=Thu" in second_url
    second = admin.get(second_url).get_data(as_text=True)
    assert lead_links(second) == sorted(ids[:52], reverse=True)[50:]
    assert 'rel="next"' not in second and 'rel="prev"' in second
    assert 'value="Thu Hà"' in second  # the search box keeps what was typed


def test_call_detail_shows_the_answers_and_what_the_bot_said(admin, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    html = admin.get(f"/calls/{calls_made['mai']}").get_data(as_text=True)
    assert '<dd data-answer="identity">Có</dd>' in html
    assert '<dd data-answer="interest">yes</dd>' in html
    assert "Callbot nói: Xin chào, đây là cuộc gọi từ Công ty ABC." in html
    assert f'href="/campaigns/{campaign["campaign"]}">Chiến dịch thử</a>' in html
    wrong = admin.get(f"/calls/{calls_made['nam']}").get_data(as_text=True)
    assert '<dd data-answer="identity">Không</dd>' in wrong


def test_viewer_sees_masked_numbers_on_the_lists_and_when_searching(viewer, campaign, calls_made) -> None:  # type: ignore[no-untyped-def]
    for url in ("/leads", "/calls", "/leads?q=0912+345+678", "/calls?q=0912+345+678", "/leads?verdict=junk"):
        response = viewer.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert FULL not in html and "+84987123456" not in html and "tel:" not in html, url
    assert MASKED in viewer.get("/leads?q=0912+345+678").get_data(as_text=True)
    junk = viewer.get("/leads?verdict=junk").get_data(as_text=True)
    assert "<td>**/A</td>" in junk and "<td>#N/A</td>" not in junk  # a short raw cell is masked too


def test_masking_keeps_only_the_ends() -> None:
    from web.panel import masked

    assert masked("+84912345678") == MASKED
    assert masked("#N/A") == "**/A"
    assert masked("12") == "*12"
    assert masked(None) == masked("") == "—"
