"""Chaos mode: status callbacks delayed (and so overtaken, late, after the call), webhooks that time out (TwiML
fetches fall back, status callbacks are lost or retried per `#rc=`), the CLI flags, and webhook latency statistics."""

from __future__ import annotations

import time

import pytest
import requests
from click.testing import CliRunner

from callbot.cli import main
from callbot.simulator import Simulator
from tests.simulator.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.simulator.test_simulator_calls import HUMAN, place

QUESTION = "Xin chào, anh có phải là anh Nam không?"


@pytest.mark.parametrize("sim_options", [{"callback_delay": 0.3, "seed": 5}])
def test_delayed_callbacks_overtake_one_another_and_all_arrive_before_the_call_is_done(sim, twilio_client, customer):
    orders = []
    for i in range(6):
        call = place(sim, twilio_client, customer, "silent", to=f"+8490100000{i}")  # waits for wait_idle()
        received = customer.statuses(call.sid)
        assert sorted(received) == sorted((s, str(n)) for n, s in enumerate(HUMAN)), received  # each once, all in
        orders.append(tuple(status for status, _ in received))
        assert call.errors == []
    assert any(order != tuple(HUMAN) for order in orders)  # really out of order, at least once
    assert len(set(orders)) > 1


@pytest.mark.parametrize("sim_options", [{"callback_delay": 0.4, "seed": 1}])
def test_delayed_callbacks_go_on_while_the_call_talks_to_the_app(sim, twilio_client, customer):
    started = time.monotonic()
    call = place(sim, twilio_client, customer, "interested", wait=False)
    # The call runs at full speed (time_scale 0): its TwiML requests are all done before most callbacks arrive.
    deadline = time.monotonic() + 5
    while not customer.received("g2", call.sid) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert customer.received("g2", call.sid)
    early = len(customer.statuses(call.sid))
    assert sim.wait_idle(5)
    assert len(customer.statuses(call.sid)) == 4 and early < 4
    assert time.monotonic() - started < 2  # one delay at most, not one per callback in turn


@pytest.mark.parametrize("sim_options", [{"callback_delay": 0.2, "duplicate_callbacks": True, "seed": 2}])
def test_each_duplicate_is_delayed_on_its_own(sim, twilio_client, customer):
    call = place(sim, twilio_client, customer, "busy")
    assert sorted(customer.statuses(call.sid)) == sorted([("initiated", "0"), ("busy", "1")] * 2)


@pytest.mark.parametrize("sim_options", [{"callback_delay": 30.0}])
def test_stop_drops_the_callbacks_still_waiting(sim, twilio_client, customer):
    call = place(sim, twilio_client, customer, "busy", wait=False)
    deadline = time.monotonic() + 5
    while call.status != "busy" and time.monotonic() < deadline:
        time.sleep(0.005)
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 3 and call.done.is_set()
    assert customer.statuses(call.sid) == []


@pytest.mark.parametrize("sim_options", [{"webhook_timeouts": 1.0, "time_scale": 0.02}])
def test_a_timed_out_answer_url_falls_back_after_the_budget(sim, twilio_client, customer):
    customer.responses["fallback"] = "<Response><Say>Xin lỗi</Say><Hangup/></Response>"
    started = time.monotonic()
    call = place(sim, twilio_client, customer, "interested", fallback_url=customer.url("fallback"))
    # The answer URL was requested (the app may have acted on it) but its answer came "too late": error 11205 and
    # the fallback, which timed out too (every webhook does here), so the call ended there.
    assert len(customer.received("answer", call.sid)) == 1
    (fallback,) = customer.received("fallback", call.sid)
    assert (fallback["ErrorCode"], fallback["ErrorUrl"]) == ("11205", customer.url("answer"))
    assert [kind for kind, _ in call.transcript] == ["error", "error"]
    assert call.transcript[0][1].startswith("11205")
    assert ("say", QUESTION) not in call.transcript
    assert call.status == "completed" and call.duration >= 30  # two budgets of 15 simulated seconds
    assert time.monotonic() - started >= 2 * 15 * 0.02
    # Status callbacks without '#rc=' are lost: sent once each, and the simulator reports it.
    assert [status for status, _ in customer.statuses(call.sid)] == HUMAN
    assert len(call.errors) == 4 and all(e.endswith("timed out (lost)") for e in call.errors)
    assert all(r["timed_out"] for r in call.requests)


@pytest.mark.parametrize("sim_options", [{"webhook_timeouts": 1.0, "time_scale": 0.002}])
def test_a_status_callback_with_rc_is_retried(sim, twilio_client, customer):
    call = place(sim, twilio_client, customer, "busy", status_callback=customer.url("status") + "#rc=2&ct=1000")
    # Sent three times each (1 + rc), never with the fragment (nor signed with it: the customer app checks).
    assert [status for status, _ in customer.statuses(call.sid)] == ["initiated"] * 3 + ["busy"] * 3
    assert all("#" not in r["url"] for r in call.requests)
    assert len(call.errors) == 2  # still no answer in time: lost after the retries


@pytest.mark.parametrize("sim_options", [{"webhook_timeouts": 0.5, "time_scale": 0.001, "seed": 11}])
def test_retries_stop_at_the_first_answer(sim, twilio_client, customer):
    sent = delivered = 0
    for i in range(8):
        call = place(
            sim, twilio_client, customer, "busy", to=f"+8490100001{i}", status_callback=customer.url("status#rc=5")
        )
        statuses = [r for r in call.requests if r["url"].endswith("/status")]
        for status in ("initiated", "busy"):
            tries = [r for r in statuses if r["params"]["CallStatus"] == status]
            assert all(r["timed_out"] for r in tries[:-1]) and 1 <= len(tries) <= 6
            delivered += not tries[-1]["timed_out"]
            sent += len(tries)
    assert delivered >= 14 and sent > 16  # some retried, nearly all got through in the end


@pytest.mark.parametrize("sim_options", [{"webhook_timeouts": 0.3, "seed": 4}])
def test_the_same_seed_replays_the_same_chaos(sim, twilio_client, customer):
    def timeouts(simulator: Simulator, to: str) -> list[bool]:
        call = place(simulator, twilio_client, customer, "interested", to=to)
        return [r["timed_out"] for r in call.requests]

    first = timeouts(sim, "+84901000001")
    again = Simulator(ACCOUNT_SID, AUTH_TOKEN, webhook_timeouts=0.3, seed=4)
    url = again.start()
    try:
        twilio_client.api.base_url = url
        assert timeouts(again, "+84901000001") == first
    finally:
        again.stop()
    assert any(first) and not all(first)


def test_options_are_checked() -> None:
    for options in ({"callback_delay": -1}, {"webhook_timeouts": 1.5}, {"webhook_timeouts": -0.1}):
        with pytest.raises(ValueError):
            Simulator(ACCOUNT_SID, AUTH_TOKEN, **options)  # type: ignore[arg-type]


def test_webhook_statistics(simulator, twilio_client, customer):
    sim, base_url = simulator
    assert sim.webhook_stats().as_dict() == {
        "sent": 0,
        "failed": 0,
        "p50": None,
        "p99": None,
        "max": None,
        "first_sent": None,
        "last_answered": None,
        "per_second": None,
    }
    call = place(sim, twilio_client, customer, "interested")
    customer.responses["answer"] = 500
    failing = place(sim, twilio_client, customer, "interested", to="+84901000002")
    stats = sim.webhook_stats()
    assert stats.sent == len(call.requests) + len(failing.requests) == 7 + 5
    assert stats.failed == 1
    assert 0 < stats.p50 <= stats.p99 <= stats.max < 5
    assert stats.first_sent < stats.last_answered and stats.per_second > 0
    url = f"{base_url}/2010-04-01/Accounts/{sim.account_sid}/Simulator/Webhooks.json"
    body = requests.get(url, auth=(sim.account_sid, sim.auth_token), timeout=5).json()
    assert body["sent"] == 12 and body["p99"] == stats.p99
    sim.reset_webhook_stats()
    assert sim.webhook_stats().sent == 0


def test_cli_flags() -> None:
    result = CliRunner().invoke(main, ["simulator", "--help"])
    assert result.exit_code == 0
    for flag in ("--duplicate-callbacks", "--shuffle-callbacks", "--callback-delay", "--webhook-timeouts", "--seed"):
        assert flag in result.output
    bad = CliRunner().invoke(main, ["simulator", "--webhook-timeouts", "2"])
    assert bad.exit_code == 2 and "--webhook-timeouts" in bad.output
    bad = CliRunner().invoke(main, ["simulator", "--callback-delay", "-1"])
    assert bad.exit_code == 2 and "--callback-delay" in bad.output
