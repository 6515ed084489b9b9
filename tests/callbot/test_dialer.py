"""The dialer against the real twilio client and the simulator: window, caps, order, DNC, failures, crashes."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from callbot import calls as calls_module
from callbot import campaigns, compliance, dnc
from callbot.db import utcnow
from callbot.dialer import (
    ORPHAN_AFTER,
    RECONCILE_AFTER,
    Dialer,
    DialerService,
    claim_lead,
    live_calls,
    start_job_id,
    take_lease,
    take_tokens,
)
from callbot.models import CallAttempt, Campaign, Lead, Lease
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
    def build(clock=lambda: NOW, api_url=None, rate_clock=time.time, **overrides):  # type: ignore[no-untyped-def]
        s = settings.with_overrides(public_url="http://127.0.0.1:9", **overrides)
        telephony = TwilioTelephony(s.twilio_account_sid, s.twilio_auth_token, api_base_url=api_url or sim_url)
        return Dialer(sessions, telephony, s, clock=clock, rate_clock=rate_clock)

    return build


def live_attempts(sessions) -> list[CallAttempt]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return list(s.scalars(sa.select(CallAttempt).where(CallAttempt.live)))


def test_no_call_outside_the_vietnamese_window(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, preset="vn"), phones(3))
    evening = dt.datetime(2026, 11, 25, 11, 30, tzinfo=dt.UTC)  # 18:30 in Ho Chi Minh City
    assert dialer_for(clock=lambda: evening).tick() == 0
    early = dt.datetime(2026, 11, 25, 0, 59, tzinfo=dt.UTC)  # 07:59
    assert dialer_for(clock=lambda: early).tick() == 0
    assert live_attempts(sessions) == []
    opening = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)  # 08:00
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


def test_a_dialer_between_ticks_runs_no_threads(sessions, dialer_for):  # type: ignore[no-untyped-def]
    """A process that forks (a file import with worker processes) may only do so without threads of ours running."""
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, max_concurrent_calls=5), phones(5))
    before = {thread.name for thread in threading.enumerate()}
    assert dialer_for().tick() == 5  # the calls went out on the placing threads…
    assert {thread.name for thread in threading.enumerate()} - before == set()  # …which are gone again


def test_calls_per_second_limit(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, max_concurrent_calls=50), phones(10))
    assert dialer_for(calls_per_second=2).tick() == 2


def test_two_campaigns_share_the_rate_within_their_caps(sessions, dialer_for):  # type: ignore[no-untyped-def]
    """One tick: the account's tokens go to the campaigns in turn, each within its own cap, best leads first."""
    with sessions.begin() as s:
        a = make_campaign(s, "A", max_concurrent_calls=100)
        b = make_campaign(s, "B", max_concurrent_calls=7)
        make_leads(s, a, phones(40)[:30])
        make_leads(s, b, phones(40)[30:])
        a_id, b_id = a.id, b.id
    frozen = lambda: 5000.0  # noqa: E731 - no token comes back while the tick runs
    assert dialer_for(calls_per_second=25, max_concurrent_calls=100, rate_clock=frozen).tick() == 25
    live = live_attempts(sessions)
    by_campaign = {cid: sum(1 for x in live if x.campaign_id == cid) for cid in (a_id, b_id)}
    assert by_campaign == {a_id: 18, b_id: 7}  # B's own cap; A the rest of the account's 25 tokens
    assert len({x.lead_id for x in live}) == len(live)
    # the best leads went first, in each campaign
    with sessions() as s:
        for cid in (a_id, b_id):
            ranked = list(
                s.scalars(
                    sa.select(Lead.id)
                    .where(Lead.campaign_id == cid)
                    .order_by(Lead.priority.desc(), Lead.score.desc(), Lead.registered_at.desc(), Lead.id.desc())
                )
            )
            called = {x.lead_id for x in live if x.campaign_id == cid}
            assert set(ranked[: by_campaign[cid]]) == called


def test_tokens_a_claim_could_not_use_are_kept(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s, max_concurrent_calls=100)
        make_leads(s, campaign, phones(10)[:3])
    frozen = lambda: 7000.0  # noqa: E731
    assert dialer_for(calls_per_second=5, rate_clock=frozen, max_concurrent_calls=100).tick() == 3
    with sessions.begin() as s:
        make_leads(s, s.get(Campaign, campaign.id), phones(10)[3:])
    # the bucket held 5 and three were used: two are left at the same instant, not zero and not five
    assert dialer_for(calls_per_second=5, rate_clock=frozen, max_concurrent_calls=100).tick() == 2


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


def test_crashed_claims_and_silent_calls_are_reconciled(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, max_attempts=3, retry_delay_seconds=0), phones(2))
    start = utcnow()  # the provider's clock is the real one: finding a lost call compares with it
    dialer = dialer_for(clock=lambda: start)
    assert dialer.tick() == 2
    with sessions.begin() as s:  # as if the dialer died between its commit and the API call
        orphan, placed = s.scalars(sa.select(CallAttempt).order_by(CallAttempt.id)).all()
        orphan.call_sid = None
        # and one claim whose call never reached the provider at all
        never = make_leads(s, s.get(Campaign, orphan.campaign_id), [{"phone": "0912777888"}])[-1]
        never.status, never.attempts = "dialing", 1
        s.add(
            CallAttempt(
                lead_id=never.id,
                campaign_id=never.campaign_id,
                attempt_no=1,
                to_number=never.phone_e164,
                created_at=start,
            )
        )
    assert dialer.reconcile() == 0  # too early to tell
    much_later = start + max(ORPHAN_AFTER, RECONCILE_AFTER) + dt.timedelta(seconds=1)
    assert dialer_for(clock=lambda: much_later).reconcile() == 3
    with sessions() as s:
        orphan, placed, never = s.scalars(sa.select(CallAttempt).order_by(CallAttempt.id)).all()
        # the call we placed but never recorded is found at the provider (same number, after the claim)
        assert orphan.call_sid and (orphan.status, orphan.live, orphan.outcome) == ("no-answer", False, "no_answer")
        assert (never.status, never.live) == ("failed", False) and "never reached" in never.error
        # the simulator says the other call rang out: we learn it by fetching the call from the API
        assert (placed.status, placed.live, placed.outcome) == ("no-answer", False, "no_answer")
        assert {lead.status for lead in s.scalars(sa.select(Lead))} == {"callable"}
    assert dialer_for(clock=lambda: much_later).reconcile() == 0  # nothing left, and nothing asked twice


def hcm(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone(dt.timedelta(hours=7))).astimezone(dt.UTC)


def test_one_call_per_number_per_24_hours_across_campaigns(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, "Bảo hiểm", preset="vn"), [{"name": "An", "phone": "0912345678"}])
        make_leads(s, make_campaign(s, "Tiếng Anh", preset="vn"), [{"name": "An", "phone": "+84 912 345 678"}])
    morning = hcm(2026, 11, 25, 9, 0)
    assert dialer_for(clock=lambda: morning).tick() == 1
    with sessions() as s:
        waiting = s.scalar(sa.select(Lead).where(Lead.status == "callable"))
        assert waiting.wait_reason == "number_cap" and waiting.attempts == 0
        # 24 h after the first call falls at 09:00 the next day, inside the window
        assert waiting.next_attempt_at == morning + dt.timedelta(days=1, seconds=1)
        first = s.scalar(sa.select(CallAttempt))
    with sessions.begin() as s:  # the first call ends; the second campaign still may not call for 24 h
        attempt = s.get(CallAttempt, first.id)
        attempt.status = "completed"
        calls_module.finish(s, attempt, morning + dt.timedelta(minutes=1))
    assert dialer_for(clock=lambda: morning + dt.timedelta(hours=23)).tick() == 0
    next_day = morning + dt.timedelta(days=1, seconds=2)
    assert dialer_for(clock=lambda: next_day).tick() == 1
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CallAttempt)) == 2


def test_each_lead_is_called_in_its_own_time_zone(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s, "US", preset="us")
        make_leads(s, campaign, [{"phone": "+1 212 555 0134"}, {"phone": "+1 415 555 0123"}])
        compliance.assign_timezones(s, campaign.id)
        assert campaign.lead_timezones == ["America/Los_Angeles"]  # New York is the campaign's own zone
    new_york_morning = dt.datetime(2026, 11, 25, 13, 30, tzinfo=dt.UTC)  # 08:30 New York, 05:30 Los Angeles
    assert dialer_for(clock=lambda: new_york_morning).tick() == 1
    with sessions() as s:
        (attempt,) = s.scalars(sa.select(CallAttempt)).all()
        assert attempt.to_number == "+12125550134"
        progress = campaigns.progress(s, s.get(Campaign, attempt.campaign_id), new_york_morning)
        assert (progress.live, progress.waiting_window, progress.due_now) == (1, 1, 0)
    assert dialer_for(clock=lambda: new_york_morning + dt.timedelta(hours=3)).tick() == 1


def test_no_calls_on_sundays_and_holidays(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, preset="vn", extra_holidays=["2026-11-27"]), phones(2))
    for day in (hcm(2026, 11, 24, 10, 0), hcm(2026, 11, 27, 10, 0), hcm(2026, 11, 29, 10, 0)):
        assert dialer_for(clock=lambda day=day: day).tick() == 0
    assert dialer_for(clock=lambda: hcm(2026, 11, 28, 10, 0)).tick() == 2  # Saturday is a working day


def test_pause_stops_new_calls_at_once_and_resume_continues(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s, max_concurrent_calls=2)
        make_leads(s, campaign, phones(4))
        campaign_id = campaign.id
    dialer = dialer_for()
    assert dialer.tick() == 2
    with sessions.begin() as s:
        campaigns.change_status(s.get(Campaign, campaign_id), "paused", NOW)
        for attempt in s.scalars(sa.select(CallAttempt)):  # the live calls finish normally
            attempt.status = "completed"
            calls_module.finish(s, attempt, NOW)
    assert dialer.tick() == 0
    with sessions() as s:
        assert s.get(Campaign, campaign_id).status == "paused"  # a paused campaign never completes by itself
    with sessions.begin() as s:
        campaigns.change_status(s.get(Campaign, campaign_id), "running", NOW)
    assert dialer.tick() == 2


def test_retries_follow_the_outcome_and_the_window(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, preset="vn", retry_policy={}), phones(1))
    late = hcm(2026, 11, 25, 15, 30)
    assert dialer_for(clock=lambda: late, api_url="http://127.0.0.1:9").tick() == 1  # the API call fails
    with sessions() as s:
        lead = s.scalar(sa.select(Lead))
        # "failed" waits 4 h: 19:30 is after the window, so the lead waits on, for the next morning
        assert lead.next_attempt_at == late + dt.timedelta(hours=4) and lead.wait_reason == "retry"
    evening = hcm(2026, 11, 25, 19, 31)
    assert dialer_for(clock=lambda: evening).tick() == 0
    with sessions() as s:
        assert s.scalar(sa.select(Lead)).next_attempt_at is None  # due, but the window is closed
    assert dialer_for(clock=lambda: hcm(2026, 11, 26, 8, 0)).tick() == 1


def test_two_dialers_share_the_rate_and_the_caps(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_leads(s, make_campaign(s, "A", max_concurrent_calls=7), phones(30))
        make_leads(s, make_campaign(s, "B", max_concurrent_calls=7), phones(30)[::-1])
    dialers = [dialer_for(calls_per_second=100, max_concurrent_calls=10) for _ in range(2)]
    results: list[int] = []

    def run(dialer: Dialer) -> None:
        results.append(sum(dialer.tick() for _ in range(5)))

    threads = [threading.Thread(target=run, args=(d,)) for d in dialers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with sessions() as s:
        live = list(s.scalars(sa.select(CallAttempt).where(CallAttempt.live)))
        assert sum(results) == len(live) == 10  # the account cap, not 2 × 10
        per_campaign = {cid: sum(1 for a in live if a.campaign_id == cid) for cid in {a.campaign_id for a in live}}
        assert max(per_campaign.values()) <= 7
        assert len({a.lead_id for a in live}) == 10


def test_the_shared_token_bucket_paces_every_dialer(sessions):  # type: ignore[no-untyped-def]
    taken = []
    for now in (0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0, 1.0):
        with sessions.begin() as s:
            taken.append(take_tokens(s, [("account", 2.0)], 1000 + now) is None)
    # a burst of 2, then one token every half second
    assert taken == [True, True, False, False, True, False, True, False, False]
    with sessions.begin() as s:  # a campaign's own bucket: both must have a token, or neither is spent
        assert take_tokens(s, [("account", 2.0), ("campaign:1", 1.0)], 1010) is None
        assert take_tokens(s, [("account", 2.0), ("campaign:1", 1.0)], 1010) == "campaign:1"
        assert take_tokens(s, [("account", 2.0)], 1010) is None  # the refused claim did not spend it


def test_a_speed_to_lead_arrival_is_dialled_before_older_better_leads(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        campaign = make_campaign(s, max_concurrent_calls=1)
        leads = make_leads(s, campaign, phones(20))
        for lead in leads:
            lead.score = 90
        leads[5].score, leads[5].priority = 10, 1
        arrived = leads[5].id
    assert dialer_for().tick() == 1
    with sessions() as s:
        assert s.scalar(sa.select(CallAttempt.lead_id)) == arrived
        assert s.get(Lead, arrived).priority == 0  # the head start is for the first call only


def test_a_scheduled_campaign_starts_on_time_across_a_restart(sessions, settings):  # type: ignore[no-untyped-def]
    telephony = TwilioTelephony(
        settings.twilio_account_sid, settings.twilio_auth_token, api_base_url="http://127.0.0.1:9"
    )
    start = utcnow() + dt.timedelta(seconds=3)
    with sessions.begin() as s:
        campaign = make_campaign(s, status="draft")
        campaigns.schedule(campaign, start, utcnow())
        campaign_id = campaign.id
    first = DialerService(Dialer(sessions, telephony, settings), interval=0.2)
    first.start()
    time.sleep(0.6)
    with sessions() as s:  # the start is stored in the database, not only in memory
        assert s.execute(sa.text("SELECT id FROM apscheduler_jobs")).scalars().all() == [start_job_id(campaign_id)]
    first.stop()  # the dialer stops before the start time…
    time.sleep(max(0.0, (start - utcnow()).total_seconds()) + 0.5)
    with sessions() as s:
        assert s.get(Campaign, campaign_id).status == "scheduled"
    second = DialerService(Dialer(sessions, telephony, settings), interval=0.2)  # …and is back a little later
    second.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sessions() as s:
                if s.get(Campaign, campaign_id).status != "scheduled":
                    break
            time.sleep(0.1)
        with sessions() as s:
            assert s.get(Campaign, campaign_id).status in ("running", "completed")  # no leads: it completes
    finally:
        second.stop()


def test_a_start_missed_beyond_the_grace_pauses_the_campaign(sessions, settings):  # type: ignore[no-untyped-def]
    telephony = TwilioTelephony(
        settings.twilio_account_sid, settings.twilio_auth_token, api_base_url="http://127.0.0.1:9"
    )
    with sessions.begin() as s:
        campaign = make_campaign(s, status="draft")
        campaigns.schedule(campaign, utcnow() - dt.timedelta(hours=2), utcnow())
        campaign_id = campaign.id
    service = DialerService(Dialer(sessions, telephony, settings), interval=0.2, start_grace=3600)
    service.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sessions() as s:
                if s.get(Campaign, campaign_id).status != "scheduled":
                    break
            time.sleep(0.1)
        with sessions() as s:
            campaign = s.get(Campaign, campaign_id)
            assert campaign.status == "paused" and "missed" in campaign.status_note
    finally:
        service.stop()


def test_shutting_the_scheduler_down_during_a_tick_does_not_hang(sessions, settings):  # type: ignore[no-untyped-def]
    # APScheduler's shutdown waits for running jobs while holding its job-store lock, which a tick takes too: a
    # tick caught half-way (here: held up on the lease row) must finish, and the shutdown return, not deadlock.
    telephony = TwilioTelephony(
        settings.twilio_account_sid, settings.twilio_auth_token, api_base_url="http://127.0.0.1:9"
    )
    service = DialerService(Dialer(sessions, telephony, settings), interval=0.05)
    scheduler = service.start()
    assert service.leader
    blocker = sessions()
    blocker.execute(sa.update(Lease).values(expires_at=Lease.expires_at))  # a write lock on the lease
    time.sleep(0.4)  # the next tick is now waiting for that lock
    stopper = threading.Thread(target=scheduler.shutdown, daemon=True)
    stopper.start()
    time.sleep(0.3)
    blocker.rollback()  # the tick goes on, into the job store
    blocker.close()
    stopper.join(20)
    assert not stopper.is_alive(), "scheduler.shutdown() deadlocked with a running tick"
    service.stop()


def test_one_dialer_holds_the_scheduler_lease_until_it_dies(sessions):  # type: ignore[no-untyped-def]
    assert take_lease(sessions, "scheduler", "a", NOW)
    assert not take_lease(sessions, "scheduler", "b", NOW + dt.timedelta(seconds=10))
    assert take_lease(sessions, "scheduler", "a", NOW + dt.timedelta(seconds=20))  # renewed
    assert not take_lease(sessions, "scheduler", "b", NOW + dt.timedelta(seconds=45))
    assert take_lease(sessions, "scheduler", "b", NOW + dt.timedelta(seconds=51))  # "a" stopped renewing


def test_waking_due_leads_uses_the_waiting_index(sessions, engine):  # type: ignore[no-untyped-def]
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    with sessions() as s:
        plan = " ".join(
            str(row[-1])
            for row in s.execute(
                sa.text(
                    "EXPLAIN QUERY PLAN SELECT id FROM leads WHERE status IN ('callable', 'callback') "
                    "AND next_attempt_at IS NOT NULL AND next_attempt_at <= '2026'"
                )
            )
        )
        assert "ix_leads_waiting" in plan
        plan = " ".join(
            str(row[-1])
            for row in s.execute(
                sa.text(
                    "EXPLAIN QUERY PLAN SELECT id FROM leads WHERE campaign_id = 1 AND status IN ('callable', "
                    "'callback') AND next_attempt_at IS NULL ORDER BY campaign_id, priority DESC, score DESC, "
                    "registered_at DESC, id DESC LIMIT 1"
                )
            )
        )
        assert "ix_leads_ready" in plan and "TEMP B-TREE" not in plan


def test_counting_live_calls_reads_the_partial_index_not_every_attempt(sessions, engine, dialer_for):  # type: ignore[no-untyped-def]
    # The SQL the dialer really emits is explained (not a hand-written copy): on SQLite `live IS 1` does not match
    # the partial index's `WHERE live`, and every claim scanned the whole call history (the rate fell as it grew).
    if engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    with sessions.begin() as s:
        campaign_id = make_campaign(s).id
    emitted: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "call_attempts" in statement:
            emitted.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with sessions() as s:
            live_calls(s)
            live_calls(s, campaign_id)
        dialer_for().reconcile()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(emitted) >= 3
    with engine.connect() as conn:
        for statement, parameters in emitted:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "SCAN call_attempts" not in plan or "USING INDEX" in plan, (statement, plan)


def test_a_campaign_kept_open_waits_for_new_leads_instead_of_completing(sessions, dialer_for):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        open_id = make_campaign(s, "API", auto_complete=False).id
        closing_id = make_campaign(s, "File").id
    dialer_for().tick()
    with sessions() as s:
        assert s.get(Campaign, open_id).status == "running"
        assert s.get(Campaign, closing_id).status == "completed"
