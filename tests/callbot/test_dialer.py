"""The dialer against the real twilio client and the simulator: window, caps, order, DNC, failures, crashes."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from callbot import dnc
from callbot.dialer import ORPHAN_AFTER, RECONCILE_AFTER, Dialer, claim_lead
from callbot.models import CallAttempt, Campaign, Lead
from callbot.simulator import Simulator
from callbot.telephony import TwilioTelephony
from tests.conftest import NOW, make_campaign, make_leads


def phones(n: int) -> list[dict[str, str]]:
    return [{"name": f"Khách {i}", "phone": f"0912{(i * 104729 + 3301) % 10**6:06d}"} for i in range(n)]


@pytest.fixture
def sim_url(settings):  # type: ignore[no-untyped-def]
    """The simulator with every callee ringing out; webhooks go nowhere, so calls stay live for us."""
    sim = Simulator(settings.twilio_account_sid, settings.twilio_auth_token, default_mix={"no_answer": 1})
    url = sim.start()
    yield url
    sim.stop()


@pytest.fixture
def dialer_for(sessions, settings, sim_url):  # type: ignore[no-untyped-def]
    def build(clock=lambda: NOW, api_url=None, **overrides):  # type: ignore[no-untyped-def]
        s = settings.with_overrides(public_url="http://127.0.0.1:9", **overrides)
        telephony = TwilioTelephony(s.twilio_account_sid, s.twilio_auth_token, api_base_url=api_url or sim_url)
        return Dialer(sessions, telephony, s, clock=clock)

    return build


def live_attempts(sessions) -> list[CallAttempt]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return list(s.scalars(sa.select(CallAttempt).where(CallAttempt.live)))


def test_no_call_outside_the_vietnamese_window(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, preset="vn"), phones(3))
    evening = dt.datetime(2026, 11, 24, 11, 30, tzinfo=dt.UTC)  # 18:30 in Ho Chi Minh City
    assert dialer_for(clock=lambda: evening).tick() == 0
    early = dt.datetime(2026, 11, 24, 0, 59, tzinfo=dt.UTC)  # 07:59
    assert dialer_for(clock=lambda: early).tick() == 0
    assert live_attempts(sessions) == []
    opening = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 08:00
    assert dialer_for(clock=lambda: opening).tick() == 3


def test_concurrency_caps_per_campaign_and_account(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, "A", max_concurrent_calls=3), phones(10))
    dialer = dialer_for()
    assert dialer.tick() == 3
    assert dialer.tick() == 0  # the three calls are still live: no room
    assert len(live_attempts(sessions)) == 3
    with sessions.begin() as s:
        make_leads(
            s,
            make_campaign(s, "B", max_concurrent_calls=10),
            [{"phone": "0987654320"}, {"phone": "0987654322"}],
        )
    assert dialer_for(max_concurrent_calls=4).tick() == 1  # the account cap leaves one slot


def test_calls_per_second_limit(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, max_concurrent_calls=50), phones(10))
    assert dialer_for(calls_per_second=2).tick() == 2


def test_best_score_first_then_freshest(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s, max_concurrent_calls=1)
        old, fresh, complete = make_leads(
            s,
            campaign,
            [
                {"name": "Cũ", "phone": "0912000111", "registered_at": "2026-11-01 09:00"},
                {"name": "Mới", "phone": "0912000222", "registered_at": "2026-11-24 09:30"},
                {
                    "name": "Đủ",
                    "phone": "0912000333",
                    "registered_at": "2026-11-24 09:30",
                    "email": "du@gmail.com",
                    "service": "bảo hiểm",
                },
            ],
        )
        fresh.score = old.score = 50
        complete.score = 60
        ids = [complete.id, fresh.id, old.id]
    order = []
    with sessions.begin() as s:
        for _ in ids:
            order.append(claim_lead(s, s.scalar(sa.select(Campaign.id)), NOW).id)
    assert order == ids


def test_do_not_call_is_checked_at_dial_time(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        (lead,) = make_leads(s, make_campaign(s), phones(1))
        dnc.add(s, lead.phone_e164, "national_list", NOW)  # listed after the import
    assert dialer_for().tick() == 0
    with sessions() as s:
        lead = s.scalar(sa.select(Lead))
        assert lead.status == "opted_out" and not lead.attempts_list


def test_a_refused_api_call_is_retried_then_given_up(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, max_attempts=2, retry_delay_seconds=600), phones(1))
    dead = dialer_for(api_url="http://127.0.0.1:9")  # nothing listens there
    assert dead.tick() == 1
    with sessions() as s:
        lead = s.scalar(sa.select(Lead))
        (attempt,) = lead.attempts_list
        assert (attempt.status, attempt.live, attempt.outcome) == ("failed", False, "failed")
        assert "could not reach" in attempt.error
        assert lead.status == "callable" and lead.next_attempt_at == NOW + dt.timedelta(seconds=600)
    assert dead.tick() == 0  # not before its retry time
    later = NOW + dt.timedelta(seconds=601)
    assert dialer_for(clock=lambda: later, api_url="http://127.0.0.1:9").tick() == 1
    with sessions() as s:
        lead = s.scalar(sa.select(Lead))
        assert lead.status == "unreachable" and lead.attempts == 2


def test_the_database_refuses_two_live_calls_for_one_lead(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        (lead,) = make_leads(s, make_campaign(s), phones(1))
        s.add(CallAttempt(lead_id=lead.id, campaign_id=lead.campaign_id, attempt_no=1))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        lead = s.scalar(sa.select(Lead))
        s.add(CallAttempt(lead_id=lead.id, campaign_id=lead.campaign_id, attempt_no=2))
    with sessions.begin() as s:  # once the first call has ended, the next attempt is fine
        first = s.scalar(sa.select(CallAttempt))
        first.live = False
        s.add(CallAttempt(lead_id=first.lead_id, campaign_id=first.campaign_id, attempt_no=2))


def test_concurrent_claims_never_take_one_lead_twice(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign_id = make_campaign(s).id
        make_leads(s, s.get(Campaign, campaign_id), phones(40))
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with sessions.begin() as s:
                lead = claim_lead(s, campaign_id, NOW)
                if lead is None:
                    return
                with lock:
                    claimed.append(lead.id)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(claimed) == 40 and len(set(claimed)) == 40


def test_scheduled_campaign_starts_when_due_and_completes_when_done(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s, status="scheduled", max_attempts=1)
        campaign.starts_at = NOW + dt.timedelta(hours=1)
        make_leads(s, campaign, phones(1))
    assert dialer_for().tick() == 0
    later = NOW + dt.timedelta(hours=1)
    assert dialer_for(clock=lambda: later, api_url="http://127.0.0.1:9").tick() == 1
    with sessions() as s:
        campaign = s.scalar(sa.select(Campaign))
        assert campaign.status == "completed" and campaign.completed_at == later  # its only lead is unreachable
        assert s.scalar(sa.select(Lead.status)) == "unreachable"


def test_crashed_claims_and_silent_calls_are_reconciled(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, max_attempts=3, retry_delay_seconds=0), phones(2))
    dialer = dialer_for()
    assert dialer.tick() == 2
    with sessions.begin() as s:  # as if the dialer died between its commit and the API call
        orphan, placed = s.scalars(sa.select(CallAttempt).order_by(CallAttempt.id)).all()
        orphan.call_sid = None
    assert dialer.reconcile() == 0  # too early to tell
    much_later = NOW + max(ORPHAN_AFTER, RECONCILE_AFTER) + dt.timedelta(seconds=1)
    assert dialer_for(clock=lambda: much_later).reconcile() == 2
    with sessions() as s:
        orphan, placed = s.scalars(sa.select(CallAttempt).order_by(CallAttempt.id)).all()
        assert (orphan.status, orphan.live) == ("failed", False) and "never reached" in orphan.error
        # the simulator says the other call rang out: we learn it by fetching the call from the API
        assert (placed.status, placed.live, placed.outcome) == ("no-answer", False, "no_answer")
        assert {lead.status for lead in s.scalars(sa.select(Lead))} == {"callable"}
