"""A whole campaign over real HTTP on 127.0.0.1: dialer → simulator (real twilio client) → webhooks → queue."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from callbot import campaigns
from callbot.db import utcnow
from callbot.dialer import Dialer, start_scheduler
from callbot.models import CallAttempt, CallEvent, DoNotCall, Lead, QueueItem
from callbot.runtime import ServerThread
from callbot.simulator import PERSONAS, Simulator
from callbot.telephony import TwilioTelephony
from tests.conftest import make_campaign, make_leads

pytestmark = pytest.mark.e2e

# What each persona must leave behind: lead status, attempts made (max_attempts=2), last attempt's outcome.
EXPECTED = {
    "interested": ("queued", 1, "interested"),
    "not_interested": ("not_interested", 1, "not_interested"),
    "wrong_person": ("wrong_number", 1, "wrong_person"),
    "callback": ("callback", 1, "callback"),
    "opt_out": ("opted_out", 1, "opted_out"),
    "no_answer": ("unreachable", 2, "no_answer"),
    "busy": ("unreachable", 2, "busy"),
    "voicemail": ("unreachable", 2, "voicemail"),
    "hang_up": ("unreachable", 2, "hung_up"),
    "silent": ("unreachable", 2, "no_input"),
}


def _rows(per_persona: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    rows, personas = [], {}
    for i, persona in enumerate(sorted(EXPECTED) * per_persona):
        national = f"091{(i * 7919 + 1234567) % 10**7:07d}"
        number = "+84" + national[1:]
        rows.append({"name": f"Nguyễn Văn {chr(65 + i % 26)}", "phone": national, "service": "bảo hiểm"})
        personas[number] = persona
    # Junk and a duplicate that must never be called.
    rows += [
        {"name": "test", "phone": "#N/A"},
        {"name": "Lê Thị Hoa", "phone": "0909xxxxxx"},
        {"name": "Nguyễn Văn A", "phone": "+84 " + rows[0]["phone"][1:]},
    ]
    return rows, personas


def _run_campaign(sessions, settings, personas, *, timeout: float = 90, **sim_options):  # type: ignore[no-untyped-def]
    from web import create_app

    sim = Simulator(settings.twilio_account_sid, settings.twilio_auth_token, personas=personas, **sim_options)
    sim_url = sim.start()
    web = ServerThread()
    settings = settings.with_overrides(public_url=web.url, twilio_api_base_url=sim_url)
    web.attach(create_app(settings, engine=sessions.kw["bind"]))
    web.start()
    telephony = TwilioTelephony(settings.twilio_account_sid, settings.twilio_auth_token, api_base_url=sim_url)
    scheduler = start_scheduler(Dialer(sessions, telephony, settings), interval=0.05)
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
        assert sim.wait_idle(10)
        time.sleep(0.3)  # let late duplicate callbacks land
        return sim
    finally:
        scheduler.shutdown(wait=True)
        sim.stop()
        web.stop()


@pytest.mark.parametrize("chaos", [False, True], ids=["orderly", "duplicated-and-shuffled-callbacks"])
def test_every_persona_ends_where_it_should(sessions, settings, chaos):  # type: ignore[no-untyped-def]
    per_persona = 5 if not chaos else 1
    rows, personas = _rows(per_persona)
    with sessions.begin() as s:
        campaign = make_campaign(s, max_attempts=2, retry_delay_seconds=0, ring_timeout_seconds=30)
        make_leads(s, campaign, rows)
        campaign_id = campaign.id
    started = utcnow()
    options = {"duplicate_callbacks": True, "shuffle_callbacks": True, "seed": 3} if chaos else {}
    sim = _run_campaign(sessions, settings, personas, **options)

    with sessions() as s:
        leads = list(s.scalars(sa.select(Lead).where(Lead.campaign_id == campaign_id)))
        assert len(leads) == len(rows)  # every row kept, junk too
        rejected = [lead for lead in leads if lead.verdict not in ("ok", "suspect")]
        assert {lead.verdict for lead in rejected} == {"junk", "duplicate"}
        assert all(lead.status == "rejected" and lead.attempts == 0 for lead in rejected)
        assert not s.scalar(sa.select(CallAttempt.id).where(CallAttempt.lead_id.in_([x.id for x in rejected])))

        for lead in set(leads) - set(rejected):
            persona = personas[lead.phone_e164]
            status, attempts, outcome = EXPECTED[persona]
            tries = lead.attempts_list
            assert (lead.status, len(tries), tries[-1].outcome) == (status, attempts, outcome), persona
            assert lead.attempts == attempts
            for attempt in tries:
                assert not attempt.live and attempt.call_sid in sim.calls
                assert attempt.status == sim.calls[attempt.call_sid].status
            if persona == "interested":
                assert tries[-1].identity_confirmed is True and tries[-1].interest == "yes"
                assert lead.tier == "hot"
                heard = tries[-1].flow_state["heard"]
                assert heard == ["speech:vâng, đúng rồi", "digits:1"]
            if persona == "callback":
                assert lead.next_attempt_at > started + dt.timedelta(hours=23)
            if persona in ("busy", "no_answer"):
                assert {a.status for a in tries} == {persona.replace("_", "-")}
            if persona == "voicemail":
                assert all(a.answered_by.startswith("machine") for a in tries)

        queued = list(s.scalars(sa.select(QueueItem).where(QueueItem.campaign_id == campaign_id)))
        interested = {lead.id for lead in set(leads) - set(rejected) if personas[lead.phone_e164] == "interested"}
        assert {item.lead_id for item in queued} == interested
        opted = {lead.phone_e164 for lead in leads if personas.get(lead.phone_e164) == "opt_out"}
        assert set(s.scalars(sa.select(DoNotCall.phone_e164))) == opted

        # Each (call, event) applied once however often Twilio sent it; the journal keeps the repeats.
        applied = Counter(s.execute(sa.select(CallEvent.call_sid, CallEvent.dedupe_key).where(CallEvent.applied)).all())
        assert applied and max(applied.values()) == 1
        repeats = s.scalar(sa.select(sa.func.count()).where(CallEvent.applied.is_(False)))
        assert (repeats > 0) == chaos
        assert len(sim.calls) == sum(EXPECTED[p][1] for p in personas.values())
        assert set(PERSONAS) == set(EXPECTED)
