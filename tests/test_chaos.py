"""Chaos: over a thousand calls through the dialer, the simulator and the web app over real HTTP, with every status
callback duplicated, the progress callbacks shuffled, and each copy delayed at random (so that callbacks overtake
one another, arrive after the call's TwiML requests, and come in long after the call is over). Every lead must still
end exactly where its persona says (tests/test_end_to_end.py's table), every (call, event) applied once.

Size: 1,005 calls (67 leads per persona: 5 decided personas call once, 5 undecided ones twice) on SQLite and on
PostgreSQL; about a minute per backend on a 2-core machine. CALLBOT_CHAOS_LEADS_PER_PERSONA=N changes the size.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from callbot import campaigns
from callbot.db import utcnow
from callbot.dialer import Dialer
from callbot.models import CallAttempt, CallEvent, DoNotCall, Lead, QueueItem
from callbot.runtime import ServerThread
from callbot.simulator import Simulator
from callbot.telephony import TwilioTelephony
from tests.conftest import make_campaign, make_leads
from tests.test_end_to_end import EXPECTED, _rows

pytestmark = pytest.mark.e2e

PER_PERSONA = int(os.environ.get("CALLBOT_CHAOS_LEADS_PER_PERSONA") or 67)
CHAOS = {
    "duplicate_callbacks": True,
    "shuffle_callbacks": True,
    "callback_delay": 0.25,  # real seconds, per copy of each callback
    "time_scale": 0.002,  # a 40-second call takes 80 ms
    "seed": 8,
}


def _run_campaign(sessions, settings, personas, *, timeout: float, **sim_options) -> Simulator:  # type: ignore[no-untyped-def]
    """Dialer ticks in a thread of their own, the simulator and the web app on 127.0.0.1, until nothing is left."""
    from web import create_app

    sim = Simulator(settings.twilio_account_sid, settings.twilio_auth_token, personas=personas, **sim_options)
    sim_url = sim.start()
    web = ServerThread()
    settings = settings.with_overrides(public_url=web.url, twilio_api_base_url=sim_url)
    web.attach(create_app(settings, engine=sessions.kw["bind"]))
    web.start()
    telephony = TwilioTelephony(settings.twilio_account_sid, settings.twilio_auth_token, api_base_url=sim_url)
    dialer = Dialer(sessions, telephony, settings)
    stop = threading.Event()

    def ticks() -> None:
        while not stop.wait(0.05):
            dialer.tick()

    ticker = threading.Thread(target=ticks, name="dialer-ticks", daemon=True)
    ticker.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with sessions.begin() as s:
                campaign_ids = list(s.scalars(sa.select(Lead.campaign_id).distinct()))
                pending = sum(campaigns.pending_now(s, cid, utcnow()) for cid in campaign_ids)
            if pending == 0 and sim.wait_idle(0.01):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the campaign did not finish in time")
        assert sim.wait_idle(10)  # every delayed callback sent
        return sim
    finally:
        stop.set()
        ticker.join(30)
        sim.stop()
        web.stop()


def test_a_thousand_chaotic_calls_all_end_where_their_persona_says(sessions, settings):  # type: ignore[no-untyped-def]
    rows, personas = _rows(PER_PERSONA)
    with sessions.begin() as s:
        campaign = make_campaign(
            s, max_attempts=2, retry_delay_seconds=0, ring_timeout_seconds=30, max_concurrent_calls=50
        )
        make_leads(s, campaign, rows)
        campaign_id = campaign.id
    started = utcnow()
    sim = _run_campaign(sessions, settings, personas, timeout=240, **CHAOS)

    calls = sum(EXPECTED[persona][1] for persona in personas.values())
    assert calls >= 1000 or PER_PERSONA != 67
    assert len(sim.calls) == calls
    with sessions() as s:
        leads = list(
            s.scalars(sa.select(Lead).where(Lead.campaign_id == campaign_id, Lead.verdict.in_(["ok", "suspect"])))
        )
        assert len(leads) == len(personas)
        wrong = []
        for lead in leads:
            persona = personas[lead.phone_e164]
            status, attempts, outcome = EXPECTED[persona]
            tries = lead.attempts_list
            if (lead.status, len(tries), tries[-1].outcome, lead.attempts) != (status, attempts, outcome, attempts):
                wrong.append((persona, lead.status, [(a.status, a.outcome) for a in tries]))
            for attempt in tries:
                assert not attempt.live and attempt.ended_at is not None
                assert attempt.status == sim.calls[attempt.call_sid].status
            if persona == "interested":
                assert tries[-1].flow_state["heard"] == ["speech:vâng, đúng rồi", "digits:1"]
                assert lead.tier == "hot"
            if persona == "callback":
                assert lead.next_attempt_at > started + dt.timedelta(hours=23)
        assert wrong == []

        queued = set(s.scalars(sa.select(QueueItem.lead_id).where(QueueItem.campaign_id == campaign_id)))
        assert queued == {lead.id for lead in leads if personas[lead.phone_e164] == "interested"}
        opted = {number for number, persona in personas.items() if persona == "opt_out"}
        assert set(s.scalars(sa.select(DoNotCall.phone_e164))) == opted

        # Every (call, event) applied once, however often and in whatever order it came; the repeats are journaled.
        applied = Counter(s.execute(sa.select(CallEvent.call_sid, CallEvent.dedupe_key).where(CallEvent.applied)).all())
        assert max(applied.values()) == 1
        repeats = s.scalar(sa.select(sa.func.count()).where(CallEvent.applied.is_(False)))
        statuses = s.scalar(sa.select(sa.func.count()).where(CallEvent.kind == "status"))
        assert repeats >= statuses / 2  # every status callback came at least twice
        late = s.scalar(
            sa.select(sa.func.count())
            .select_from(CallEvent)
            .join(CallAttempt, CallAttempt.id == CallEvent.attempt_id)
            .where(CallEvent.kind == "status", CallEvent.received_at > CallAttempt.ended_at)
        )
        assert late > 0  # callbacks really came after the call was over
    assert all(not call.errors for call in sim.calls.values())
