"""Statistics: calls created, and the most calls live at once, overall and to one number."""

import time

import pytest
import requests

from tests.simulator.test_simulator_calls import place, wait_for


@pytest.mark.parametrize("sim_options", [{"time_scale": 0.02}])
def test_overlapping_calls_to_one_number_are_counted(sim, twilio_client, customer):
    assert sim.stats().as_dict() == {
        "created": 0,
        "live": 0,
        "max_live": 0,
        "max_live_per_number": 0,
        "overlapping": {},
        "first_created": None,
        "last_created": None,
    }
    # no_answer rings for the call's Timeout (60 simulated seconds, 1.2 s here): the three calls overlap.
    first = place(sim, twilio_client, customer, "no_answer", to="+84901000001", wait=False)
    place(sim, twilio_client, customer, "no_answer", to="+84901000001", wait=False)
    place(sim, twilio_client, customer, "no_answer", to="+84901000002", wait=False)
    live = sim.stats()
    assert (live.created, live.live, live.max_live) == (3, 3, 3)
    assert (live.max_live_per_number, live.overlapping) == (2, {"+84901000001": 2})
    assert live.first_created <= live.last_created
    assert sim.wait_idle(10)
    after = sim.stats()
    assert (after.created, after.live, after.max_live, after.max_live_per_number) == (3, 0, 3, 2)
    # A call counts as live until its final status, which comes before the final callback is sent.
    assert first.status == "no-answer"


@pytest.mark.parametrize("sim_options", [{"time_scale": 0.0}])
def test_calls_one_after_another_never_overlap(sim, twilio_client, customer):
    for persona in ("busy", "interested", "no_answer", "voicemail"):
        place(sim, twilio_client, customer, persona, to="+84901000001")
    stats = sim.stats()
    assert (stats.created, stats.live, stats.max_live, stats.max_live_per_number) == (4, 0, 1, 1)
    assert stats.overlapping == {}


@pytest.mark.parametrize("sim_options", [{"time_scale": 0.02}])
def test_a_canceled_call_stops_being_live(sim, twilio_client, customer):
    call = place(sim, twilio_client, customer, "no_answer", wait=False)
    wait_for(lambda: call.status == "ringing")
    assert sim.stats().live == 1
    twilio_client.calls(call.sid).update(status="canceled")
    wait_for(lambda: sim.stats().live == 0)
    assert call.status == "canceled"


def test_stats_over_http(simulator, twilio_client, customer):
    sim, base_url = simulator
    place(sim, twilio_client, customer, "busy")
    url = f"{base_url}/2010-04-01/Accounts/{sim.account_sid}/Simulator/Stats.json"
    assert requests.get(url, timeout=5).status_code == 401
    body = requests.get(url, auth=(sim.account_sid, sim.auth_token), timeout=5).json()
    assert {k: body[k] for k in ("created", "live", "max_live", "max_live_per_number", "overlapping")} == {
        "created": 1,
        "live": 0,
        "max_live": 1,
        "max_live_per_number": 1,
        "overlapping": {},
    }
    assert body["first_created"] == body["last_created"] > 0


@pytest.mark.parametrize("sim_options", [{"api_latency": 0.3}])
def test_api_latency_delays_the_answer_not_the_call(sim, twilio_client, customer):
    started = time.time()
    created = twilio_client.calls.create(to="+84901000001", from_="+842873000000", url=customer.url("answer"))
    answered = time.time()
    assert answered - started >= 0.3
    stats = sim.stats()
    assert stats.created == 1 and created.sid in sim.calls
    assert stats.first_created - started < answered - started - 0.25  # created well before the answer came
    assert sim.wait_idle(10)
