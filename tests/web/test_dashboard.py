"""The campaign dashboard: funnel, outcomes, answer rate by hour and cost, as SVG charts and as polled JSON."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from callbot import campaigns, queue
from callbot.errors import ConfigError
from callbot.models import CallAttempt, Lead
from callbot.settings import Price, Settings
from tests.conftest import NOW, make_campaign, make_leads, make_user
from tests.web.conftest import call_sid, login, signed_post

ROWS = [
    {"name": "Trần Thị Mai", "phone": "0912345678"},
    {"name": "Nguyễn Văn Nam", "phone": "0987123456"},
    {"name": "Lê Văn Hùng", "phone": "0903123456"},
    {"name": "Phạm Thị Lan", "phone": "0934567890"},
    {"name": "test", "phone": "#N/A"},
    {"name": "Trần Thị Mai", "phone": "+84 912 345 678"},  # the first lead again
]
BASE = {"AccountSid": "AC" + "0" * 31 + "1", "From": "+842873000000", "To": "+84000000000"}
# Placed at (UTC) → local hour in Ho Chi Minh City (UTC+7): Mai and Nam at 09:xx, Hùng and Lan at 14:xx.
PLACED = {
    "mai": dt.datetime(2026, 11, 25, 2, 10, tzinfo=dt.UTC),
    "nam": dt.datetime(2026, 11, 25, 2, 40, tzinfo=dt.UTC),
    "hung": dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.UTC),
    "lan": dt.datetime(2026, 11, 25, 7, 50, tzinfo=dt.UTC),
}


def start_call_at(sessions, lead_id: int, n: int, at: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    """What the dialer leaves behind when it places a call at `at`: the lead dialing, one attempt."""
    with sessions.begin() as s:
        lead = s.get(Lead, lead_id)
        lead.status, lead.attempts = "dialing", lead.attempts + 1
        attempt = CallAttempt(lead_id=lead.id, campaign_id=lead.campaign_id, attempt_no=n, created_at=at)
        s.add(attempt)
        s.flush()
        return attempt.id


def answer(client, attempt_id: int, sid: str, digits: list[str], duration: int, answered_by: str = "human") -> None:  # type: ignore[no-untyped-def]
    """Answer a call (a person or a machine), key `digits` turn by turn, hang up after `duration` seconds."""
    base = {**BASE, "CallSid": sid}
    signed_post(
        client, f"/twilio/voice?attempt={attempt_id}", {**base, "CallStatus": "in-progress", "AnsweredBy": answered_by}
    )
    for turn, key in enumerate(digits, start=1):
        signed_post(
            client,
            f"/twilio/gather?attempt={attempt_id}&turn={turn}",
            {**base, "CallStatus": "in-progress", "Digits": key},
        )
    signed_post(
        client,
        f"/twilio/status?attempt={attempt_id}",
        {**base, "CallStatus": "completed", "CallDuration": str(duration)},
    )


@pytest.fixture
def campaign(client, sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Six rows (four callable); Mai interested and won, Nam the wrong person, Hùng no answer, Lan a voicemail."""
    with sessions.begin() as s:
        c = make_campaign(s)
        leads = make_leads(s, c, ROWS)
        ids = {
            "campaign": c.id,
            **{name: lead.id for name, lead in zip(("mai", "nam", "hung", "lan"), leads, strict=False)},
        }
        agent = make_user(s, "telesales").id
    attempts = {name: start_call_at(sessions, ids[name], 1, at) for name, at in PLACED.items()}
    answer(client, attempts["mai"], call_sid(1), ["1", "1"], 42)  # 1 billed minute
    answer(client, attempts["nam"], call_sid(2), ["2"], 61)  # 2 billed minutes
    signed_post(
        client,
        f"/twilio/status?attempt={attempts['hung']}",
        {**BASE, "CallSid": call_sid(3), "CallStatus": "no-answer"},
    )
    answer(client, attempts["lan"], call_sid(4), [], 20, answered_by="machine_end_beep")  # 1 billed minute
    with sessions.begin() as s:
        item = queue.claim_next(s, agent, NOW)
        assert item is not None and item.lead_id == ids["mai"]
        queue.dispose(s, item.id, agent, "won", NOW)
    return ids


def test_the_stats_queries_count_the_campaign(sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    with sessions() as s:
        funnel = campaigns.funnel(s, campaign["campaign"])
        outcomes = campaigns.outcome_counts(s, campaign["campaign"])
        hours = campaigns.answers_by_hour(s, campaign["campaign"], "Asia/Ho_Chi_Minh")
        minutes = campaigns.call_minutes(s, campaign["campaign"])
    assert funnel.stages() == [
        ("imported", 6),
        ("callable", 4),
        ("called", 4),
        ("answered", 2),  # Lan's voicemail is a machine
        ("identity_confirmed", 1),
        ("interested", 1),
        ("claimed", 1),
        ("won", 1),
    ]
    assert funnel.rejected == 2 and funnel.calls == 4
    assert {k: v for k, v in outcomes.items() if v} == {
        "interested": 1,
        "wrong_person": 1,
        "no_answer": 1,
        "voicemail": 1,
    }
    assert list(outcomes) == list(campaigns.OUTCOMES)  # every outcome listed, zeros included
    assert [(h.hour, h.calls, h.answered) for h in hours if h.calls] == [(9, 2, 2), (14, 2, 0)]
    assert len(hours) == 24
    assert minutes == campaigns.Minutes(billed_calls=3, talk_seconds=123, billed_minutes=4)


@pytest.mark.parametrize(
    ("zone", "placed", "hour"),
    [
        ("America/New_York", dt.datetime(2026, 7, 1, 13, 30, tzinfo=dt.UTC), 9),  # summer time, UTC-4
        ("America/New_York", dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.UTC), 9),  # winter time, UTC-5
        ("Asia/Kolkata", dt.datetime(2026, 11, 25, 3, 45, tzinfo=dt.UTC), 9),  # UTC+05:30
        ("Asia/Kathmandu", dt.datetime(2026, 11, 25, 3, 14, tzinfo=dt.UTC), 8),  # UTC+05:45: 08:59
        ("Asia/Ho_Chi_Minh", dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC), 0),  # midnight, the next day
    ],
)
def test_hours_are_read_in_the_deployments_zone(sessions, zone, placed, hour) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        c = make_campaign(s)
        (lead,) = make_leads(s, c, [ROWS[0]])
        s.add(CallAttempt(lead_id=lead.id, campaign_id=c.id, attempt_no=1, call_sid=call_sid(7), created_at=placed))
        campaign_id = c.id
    with sessions() as s:
        hours = campaigns.answers_by_hour(s, campaign_id, zone)
    assert [(h.hour, h.calls) for h in hours if h.calls] == [(hour, 1)]


def test_a_campaign_without_calls_has_empty_figures(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign_id = make_campaign(s).id
    with sessions() as s:
        assert campaigns.call_minutes(s, campaign_id) == campaigns.Minutes(0, 0, 0)
        assert all(h.calls == 0 and h.rate == 0.0 for h in campaigns.answers_by_hour(s, campaign_id, "UTC"))
        assert set(campaigns.outcome_counts(s, campaign_id).values()) == {0}


@pytest.mark.parametrize(
    ("raw", "price"),
    [
        ("0.085 USD", Price(Decimal("0.085"), "USD")),
        ("1500 vnd", Price(Decimal("1500"), "VND")),
        ("0,09 EUR", Price(Decimal("0.09"), "EUR")),
        ("", None),
    ],
)
def test_the_price_per_minute_setting(raw, price) -> None:  # type: ignore[no-untyped-def]
    env = {name: "x" for name in ("CALLBOT_SECRET_KEY", "CALLBOT_PUBLIC_URL", "TWILIO_ACCOUNT_SID")}
    env |= {"TWILIO_AUTH_TOKEN": "x", "TWILIO_CALLER_ID": "+842873000000", "CALLBOT_COST_PER_MINUTE": raw}
    assert Settings.from_env(env).cost_per_minute == price


@pytest.mark.parametrize("raw", ["USD", "0.1", "-1 USD", "abc USD", "0.1 dollars", "NaN USD"])
def test_a_bad_price_is_refused_naming_the_setting(raw) -> None:  # type: ignore[no-untyped-def]
    env = {name: "x" for name in ("CALLBOT_SECRET_KEY", "CALLBOT_PUBLIC_URL", "TWILIO_ACCOUNT_SID")}
    env |= {"TWILIO_AUTH_TOKEN": "x", "TWILIO_CALLER_ID": "+842873000000", "CALLBOT_COST_PER_MINUTE": raw}
    with pytest.raises(ConfigError, match="CALLBOT_COST_PER_MINUTE"):
        Settings.from_env(env)


# --- the page and its JSON -------------------------------------------------------------------------------


@pytest.fixture
def priced(app):  # type: ignore[no-untyped-def]
    """The app with a price per minute (8.5 US cents)."""
    settings = app.extensions["callbot.settings"]
    app.extensions["callbot.settings"] = settings.with_overrides(cost_per_minute=Price(Decimal("0.085"), "USD"))
    return app


def sign_in(client, sessions, role: str):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, role, email=f"{role}-2@example.vn")
    login(client, f"{role}-2@example.vn")
    return client


def chart(html: str, name: str) -> str:
    match = re.search(rf'<svg [^>]*data-chart="{name}".*?</svg>', html, re.S)
    assert match, f"no {name} chart"
    return match.group(0)


def bars(svg: str) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(r'data-key="(\w+)" data-value="(\d+)"', svg)}


def test_stats_json_carries_every_figure(client, sessions, priced, campaign) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, sessions, "viewer")
    response = client.get(f"/campaigns/{campaign['campaign']}/stats.json?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    stats = response.get_json()
    funnel = {bar["key"]: bar for bar in stats["charts"]["funnel"]}
    assert [bar["key"] for bar in stats["charts"]["funnel"]] == [
        "imported",
        "callable",
        "called",
        "answered",
        "identity_confirmed",
        "interested",
        "claimed",
        "won",
    ]
    assert funnel["called"]["value"] == 4 and funnel["called"]["share"] == pytest.approx(4 / 6)
    assert funnel["called"]["text"] == "4 · 66.7%"
    assert funnel["called"]["title"] == "Called: 4 · 66.7% (100% of the stage before)"
    assert funnel["answered"]["title"] == "Answered: 2 · 33.3% (50% of the stage before)"
    assert funnel["won"]["value"] == 1
    outcomes = {bar["key"]: bar["value"] for bar in stats["charts"]["outcomes"]}
    assert outcomes["interested"] == outcomes["wrong_person"] == outcomes["no_answer"] == outcomes["voicemail"] == 1
    hours = {bar["key"]: bar for bar in stats["charts"]["hours"]}
    assert len(hours) == 24
    assert (hours["09"]["share"], hours["09"]["text"]) == (1.0, "100%")
    assert (hours["14"]["share"], hours["14"]["text"]) == (0.0, "0%")
    assert hours["10"]["text"] == "—"  # no calls that hour
    assert "2/2" in hours["09"]["title"]
    numbers = stats["numbers"]
    assert numbers["billed_minutes"] == "4" and numbers["billed_calls"] == "3"
    assert numbers["cost"] == "0.34 USD"  # 4 started minutes × 0.085
    assert numbers["answer_rate"] == "50%" and numbers["conversion"] == "100%"
    assert numbers["rejected"] == "2" and numbers["calls"] == "4"
    assert stats["status"] == "running"
    assert "+849" not in response.get_data(as_text=True)  # no personal data in the figures


def test_stats_follow_a_new_call_without_reloading_the_page(client, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, sessions, "admin")
    url = f"/campaigns/{campaign['campaign']}/stats.json"
    before = client.get(url).get_json()
    with sessions() as s:
        hung = s.scalar(sa.select(Lead).where(Lead.id == campaign["hung"]))
        assert hung.status == "callable"
    again = start_call_at(sessions, campaign["hung"], 2, dt.datetime(2026, 11, 25, 3, 5, tzinfo=dt.UTC))
    signed_post(client, f"/twilio/status?attempt={again}", {**BASE, "CallSid": call_sid(5), "CallStatus": "ringing"})
    after = client.get(url).get_json()
    assert before["numbers"]["live"] == "0" and after["numbers"]["live"] == "1"
    assert {b["key"]: b["value"] for b in after["charts"]["outcomes"]}["live"] == 1
    assert after["numbers"]["calls"] == "5"


def test_dashboard_draws_the_charts_as_svg(client, sessions, priced, campaign) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, sessions, "admin")
    html = client.get(f"/campaigns/{campaign['campaign']}/dashboard").get_data(as_text=True)
    funnel = chart(html, "funnel")
    assert bars(funnel) == {
        "imported": 6,
        "callable": 4,
        "called": 4,
        "answered": 2,
        "identity_confirmed": 1,
        "interested": 1,
        "claimed": 1,
        "won": 1,
    }
    assert 'role="list"' in funnel and 'aria-labelledby="funnel-title"' in funnel
    assert '<title id="funnel-title">Phễu · Chiến dịch thử</title>' in funnel
    assert 'aria-label="Đã gọi: 4 · 66,7% (100% so với bước trước)"' in funnel  # Vietnamese decimal comma
    assert re.search(
        r'data-key="imported"[^>]*>\s*<title>[^<]*</title>.*?class="bar" [^>]*width="260\.0"', funnel, re.S
    )
    assert re.search(r'data-key="called"[^>]*>.*?class="bar" [^>]*width="173\.3"', funnel, re.S)  # 4/6 of 260
    hours = chart(html, "hours")
    assert re.search(r'data-key="09".*?class="bar" [^>]*y="8\.0"[^>]*height="120\.0"', hours, re.S)
    assert re.search(r'data-key="14".*?class="bar" [^>]*y="128\.0"[^>]*height="0\.0"', hours, re.S)
    assert bars(chart(html, "outcomes"))["voicemail"] == 1
    assert 'data-stat="cost">0,34 USD<' in html
    assert 'data-stat="billed_minutes">4<' in html
    assert f'data-stats-url="/campaigns/{campaign["campaign"]}/stats.json"' in html
    assert '<script src="/static/dashboard.js" defer></script>' in html
    assert len(re.findall(r"<script", html)) == 1  # no inline script (a strict CSP comes later)
    assert "style=" not in html  # nor inline styles
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # everything served from here, no CDN


def test_the_dashboard_is_linked_and_its_files_are_served(client, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, sessions, "viewer")
    url = f"/campaigns/{campaign['campaign']}/dashboard"
    assert f'href="{url}"' in client.get(f"/campaigns/{campaign['campaign']}").get_data(as_text=True)
    assert f'href="{url}"' in client.get("/campaigns").get_data(as_text=True)
    script = client.get("/static/dashboard.js")
    assert script.status_code == 200 and b"data-stats-url" in script.data
    script.close()
    style = client.get("/static/dashboard.css")
    assert style.status_code == 200
    style.close()


def test_without_a_price_the_cost_is_not_guessed(client, sessions, campaign) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, sessions, "admin")
    numbers = client.get(f"/campaigns/{campaign['campaign']}/stats.json").get_json()["numbers"]
    assert numbers["cost"] == "—" and numbers["billed_minutes"] == "4"


def test_a_price_in_dong_has_no_decimals(client, sessions, app, campaign) -> None:  # type: ignore[no-untyped-def]
    settings = app.extensions["callbot.settings"]
    app.extensions["callbot.settings"] = settings.with_overrides(cost_per_minute=Price(Decimal("1500"), "VND"))
    sign_in(client, sessions, "admin")
    assert client.get(f"/campaigns/{campaign['campaign']}/stats.json").get_json()["numbers"]["cost"] == "6.000 VND"


@pytest.mark.parametrize("path", ["dashboard", "stats.json"])
def test_only_reviewers_see_the_dashboard(client, sessions, campaign, path) -> None:  # type: ignore[no-untyped-def]
    url = f"/campaigns/{campaign['campaign']}/{path}"
    assert client.get(url).status_code in (302, 401)
    sign_in(client, sessions, "telesales")
    assert client.get(url).status_code == 403
    assert client.get(f"/campaigns/999999/{path}").status_code == 403


def test_an_unknown_campaign_has_no_dashboard(client, sessions) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, sessions, "admin")
    assert client.get("/campaigns/999999/dashboard").status_code == 404
    assert client.get("/campaigns/999999/stats.json").status_code == 404


def test_an_empty_campaigns_dashboard_shows_dashes_not_errors(client, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign_id = make_campaign(s, "Chiến dịch trống", status="draft").id
    sign_in(client, sessions, "admin")
    html = client.get(f"/campaigns/{campaign_id}/dashboard?lang=en").get_data(as_text=True)
    assert set(bars(chart(html, "funnel")).values()) == {0}
    assert 'aria-label="Called: 0 · —' in html and 'data-interval="30000"' in html  # not running: slower polling
    assert client.get(f"/campaigns/{campaign_id}/stats.json").get_json()["numbers"]["answer_rate"] == "—"


def test_every_text_the_new_pages_use_exists_in_both_languages() -> None:
    from pathlib import Path

    from web.i18n import TEXTS
    from web.texts_dashboard import TEXTS as OURS

    folder = Path(__file__).resolve().parents[2] / "web" / "templates"
    names = ("dashboard.html", "calls.html", "leads.html", "call.html", "_filters.html", "campaign.html", "lead.html")
    used = {key for name in names for key in re.findall(r"\bt\('([a-z_]+)'\)", (folder / name).read_text())}
    assert sorted(used - set(TEXTS)) == []
    assert all(vi and en and vi != en for vi, en in OURS.values())
    assert not [key for key, (vi, _) in OURS.items() if vi.isascii()]  # Vietnamese, with its diacritics
