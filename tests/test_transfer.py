"""Live transfer over real HTTP: an interested lead is put through to a free agent, with a whisper first; when the
agent does not answer the lead is promised a callback and waits in the queue; a busy agent is never dialled."""

from __future__ import annotations

import sqlalchemy as sa

from callbot.models import CallAttempt, CallEvent, Campaign, QueueItem, User
from tests.conftest import make_campaign, make_leads, make_user
from tests.test_end_to_end import _run_campaign

LEADS = [{"name": "Trần Thị Mai", "phone": "0912345678"}, {"name": "Lê Văn Hùng", "phone": "0987123456"}]
AGENT_PHONE = "+84901112233"


def _setup(sessions, *, agent_persona: str, agents: int = 1) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s, live_transfer=True, transfer_timeout_seconds=15, max_attempts=1)
        make_leads(s, campaign, LEADS[:agents])
        agent = make_user(s, "telesales")
        agent.phone, agent.available = AGENT_PHONE, True
    personas = {"+84912345678": "interested", "+84987123456": "interested", AGENT_PHONE: agent_persona}
    return personas


def test_an_interested_lead_is_put_through_to_a_free_agent(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    sim = _run_campaign(sessions, settings, _setup(sessions, agent_persona="interested"), time_scale=0.01)
    with sessions() as s:
        attempt = s.scalar(sa.select(CallAttempt))
        agent = s.scalar(sa.select(User).where(User.role == "telesales"))
        assert (attempt.outcome, attempt.transfer_status, attempt.transfer_to_id) == (
            "interested",
            "completed",
            agent.id,
        )
        item = s.scalar(sa.select(QueueItem))
        assert item.claimed_by_id == agent.id and item.lease_expires_at is not None  # the lead is in the agent's hands
        assert agent.transfer_attempt_id is None  # free again once the transfer is over
        whisper = s.scalar(sa.select(CallEvent).where(CallEvent.kind == "whisper"))
        assert whisper is not None and whisper.params["ParentCallSid"] == attempt.call_sid and whisper.applied
        assert "Trần Thị Mai" in whisper.response and "khóa học tiếng Anh" in whisper.response
    transcript = " ".join(detail for kind, detail in sim.calls[attempt.call_sid].transcript if kind == "dial")
    assert AGENT_PHONE in transcript


def test_when_the_agent_does_not_answer_the_lead_is_promised_a_callback(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    _run_campaign(sessions, settings, _setup(sessions, agent_persona="no_answer"), time_scale=0.01)
    with sessions() as s:
        attempt = s.scalar(sa.select(CallAttempt))
        assert (attempt.outcome, attempt.transfer_status) == ("interested", "no-answer")
        item = s.scalar(sa.select(QueueItem))
        assert item.claimed_by_id is None and item.disposition is None  # waiting for the next free agent
        transfer = s.scalar(sa.select(CallEvent).where(CallEvent.kind == "transfer"))
        assert "gọi lại cho anh chị" in transfer.response and "<Hangup" in transfer.response
        assert s.scalar(sa.select(User.transfer_attempt_id).where(User.role == "telesales")) is None


def test_an_agent_on_a_transfer_is_not_dialled_for_a_second_lead(sessions, settings) -> None:  # type: ignore[no-untyped-def]
    personas = _setup(sessions, agent_persona="interested", agents=2)
    with sessions.begin() as s:
        s.scalar(sa.select(Campaign)).max_concurrent_calls = 2
    _run_campaign(sessions, settings, personas, time_scale=0.01)
    with sessions() as s:
        attempts = list(s.scalars(sa.select(CallAttempt).order_by(CallAttempt.id)))
        assert {a.outcome for a in attempts} == {"interested"}
        # both leads are interested at about the same time; one agent takes one transfer at a time
        transferred = [a for a in attempts if a.transfer_status is not None]
        assert 1 <= len(transferred) <= 2
        live_at_once = s.scalar(
            sa.select(sa.func.count()).select_from(QueueItem).where(QueueItem.claimed_by_id.is_not(None))
        )
        assert live_at_once <= 1


def test_an_agent_sets_their_phone_and_availability(client, sessions) -> None:  # type: ignore[no-untyped-def]
    from tests.web.conftest import login, submit

    with sessions.begin() as s:
        make_user(s, "telesales")
    login(client, "telesales@example.vn")
    submit(client, "/telesales/", "/telesales/availability", {"phone": "0901 112 233", "available": "on"})
    with sessions() as s:
        agent = s.scalar(sa.select(User))
        assert (agent.phone, agent.available) == (AGENT_PHONE, True)
    submit(client, "/telesales/", "/telesales/availability", {"phone": "12345", "available": "on"})
    with sessions() as s:
        assert s.scalar(sa.select(User)).phone == AGENT_PHONE  # a bad number changes nothing
    assert "Số điện thoại không hợp lệ" in client.get("/telesales/").get_data(as_text=True)
