"""Calls end to end: the official twilio client places calls, a real app answers the webhooks."""

import time

import pytest

from callbot.simulator import SimCall

FROM = "+842873000000"
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
QUESTION = "Xin chào, anh có phải là anh Nam không?"


def place(sim, twilio_client, customer, persona, to="+84901000001", wait=True, **kwargs) -> SimCall:
    sim.set_persona(to, persona)
    options = {
        "url": customer.url("answer"),
        "status_callback": customer.url("status"),
        "status_callback_event": ALL_EVENTS,
        "machine_detection": "Enable",
        **kwargs,
    }
    created = twilio_client.calls.create(to=to, from_=FROM, **options)
    if wait:
        assert sim.wait_idle(10)
    return sim.calls[created.sid]


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


HUMAN = ["initiated", "ringing", "in-progress", "completed"]
SAY_Q = ("say", QUESTION)
SAY_Q2 = ("say", "Nhấn 1 nếu anh quan tâm")
BYE = ("say", "Tạm biệt")
END = [("say", "Cảm ơn anh"), ("hangup", "")]


@pytest.mark.parametrize(
    ("persona", "status", "answered_by", "callbacks", "g1", "g2", "transcript"),
    [
        (
            "interested",
            "completed",
            "human",
            HUMAN,
            {"SpeechResult": "vâng, đúng rồi", "Confidence": "0.91"},
            {"Digits": "1"},
            [SAY_Q, ("gather", "speech=vâng, đúng rồi|0.91"), SAY_Q2, ("gather", "digits=1"), *END],
        ),
        (
            "not_interested",
            "completed",
            "human",
            HUMAN,
            {"Digits": "1"},
            {"SpeechResult": "không quan tâm", "Confidence": "0.88"},
            [SAY_Q, ("gather", "digits=1"), SAY_Q2, ("gather", "speech=không quan tâm|0.88"), *END],
        ),
        (
            "wrong_person",
            "completed",
            "human",
            HUMAN,
            {"SpeechResult": "không phải, anh nhầm số rồi", "Confidence": "0.9"},
            None,
            [SAY_Q, ("gather", "speech=không phải, anh nhầm số rồi|0.9"), SAY_Q2, ("gather", "none"), BYE],
        ),
        (
            "callback",
            "completed",
            "human",
            HUMAN,
            {"Digits": "1"},
            {"SpeechResult": "bây giờ tôi đang bận, gọi lại sau nhé", "Confidence": "0.86"},
            [
                SAY_Q,
                ("gather", "digits=1"),
                SAY_Q2,
                ("gather", "speech=bây giờ tôi đang bận, gọi lại sau nhé|0.86"),
                *END,
            ],
        ),
        (
            "opt_out",
            "completed",
            "human",
            HUMAN,
            {"Digits": "1"},
            {"Digits": "9"},
            [SAY_Q, ("gather", "digits=1"), SAY_Q2, ("gather", "digits=9"), *END],
        ),
        ("silent", "completed", "human", HUMAN, None, None, [SAY_Q, ("gather", "none"), BYE]),
        ("hang_up", "completed", "human", HUMAN, None, None, [SAY_Q, ("hangup", "caller")]),
        ("voicemail", "completed", "machine_start", HUMAN, None, None, [SAY_Q, ("gather", "none"), BYE]),
        ("no_answer", "no-answer", None, ["initiated", "ringing", "no-answer"], None, None, []),
        ("busy", "busy", None, ["initiated", "busy"], None, None, []),
    ],
)
def test_each_persona(sim, twilio_client, customer, persona, status, answered_by, callbacks, g1, g2, transcript):
    call = place(sim, twilio_client, customer, persona)
    assert (call.persona, call.status, call.answered_by, call.errors) == (persona, status, answered_by, [])
    assert call.transcript == transcript
    received = customer.statuses(call.sid)
    assert received == [(s, str(i)) for i, s in enumerate(callbacks)]
    answers = customer.received("answer", call.sid)
    assert [a.get("AnsweredBy") for a in answers] == ([answered_by] if answered_by else [])
    assert all(a["CallStatus"] == "in-progress" and a["Direction"] == "outbound-api" for a in answers)
    for name, expected in (("g1", g1), ("g2", g2)):
        got = customer.received(name, call.sid)
        assert len(got) == (expected is not None)
        for key, value in (expected or {}).items():
            assert got[0][key] == value
    final = customer.received("status", call.sid)[-1]
    assert final["CallDuration"] == str(call.duration) and final["CallbackSource"] == "call-progress-events"
    fetched = twilio_client.calls(call.sid).fetch()
    assert (fetched.status, fetched.answered_by, fetched.duration) == (
        status,
        answered_by,
        str(call.duration),
    )
    assert (call.duration > 0) == (status == "completed")


def test_status_callback_events_are_filtered(sim, twilio_client, customer):
    only_completed = place(sim, twilio_client, customer, "silent", status_callback_event=None, machine_detection=None)
    assert customer.statuses(only_completed.sid) == [("completed", "0")]
    final = customer.received("status", only_completed.sid)[0]
    assert int(final["Duration"]) == -(-only_completed.duration // 60)
    assert "AnsweredBy" not in final and only_completed.answered_by is None
    answered = place(sim, twilio_client, customer, "busy", to="+84901000002", status_callback_event=["answered"])
    assert customer.statuses(answered.sid) == [("busy", "0")]
    params = customer.received("status", answered.sid)[0]
    for key in ("AccountSid", "ApiVersion", "CallSid", "From", "To", "Caller", "Called", "Timestamp"):
        assert params[key]


def test_detect_message_end_reports_the_beep(sim, twilio_client, customer):
    call = place(sim, twilio_client, customer, "voicemail", machine_detection="DetectMessageEnd")
    assert call.answered_by == "machine_end_beep"
    assert customer.received("answer", call.sid)[0]["AnsweredBy"] == "machine_end_beep"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("this is not xml", "12100"),
        ("<Html><Say>x</Say></Html>", "12100"),
        ("<Response><Dance/></Response>", "12200"),
        (500, "11200"),
        (404, "11200"),
    ],
)
def test_application_errors_use_the_fallback_url(sim, twilio_client, customer, body, code):
    customer.responses["answer"] = body
    customer.responses["fallback"] = "<Response><Say>Xin lỗi, có lỗi</Say></Response>"
    call = place(sim, twilio_client, customer, "interested", fallback_url=customer.url("fallback"))
    assert call.status == "completed"
    assert call.transcript[0][0] == "error" and call.transcript[0][1].startswith(code)
    assert call.transcript[1:] == [("say", "Xin lỗi, có lỗi")]
    (hit,) = customer.received("fallback", call.sid)
    assert (hit["ErrorCode"], hit["ErrorUrl"]) == (code, customer.url("answer"))


def test_http_error_without_fallback_ends_the_call(sim, twilio_client, customer):
    customer.responses["answer"] = 500
    call = place(sim, twilio_client, customer, "interested")
    assert call.status == "completed"
    assert [kind for kind, _ in call.transcript] == ["error"] and call.transcript[0][1].startswith("11200")
    assert customer.statuses(call.sid)[-1] == ("completed", "3")


def test_redirect_dial_and_relative_urls(sim, twilio_client, customer):
    customer.responses.update(
        answer="<Response><Say>Chờ</Say><Redirect method='GET'>transfer?x=1</Redirect><Say>never</Say></Response>",
        transfer='<Response><Dial action="/dialed"><Number>+84287777777</Number></Dial></Response>',
        dialed="<Response><Say>Xong</Say></Response>",
    )
    call = place(sim, twilio_client, customer, "interested")
    assert call.transcript == [("say", "Chờ"), ("dial", "+84287777777"), ("say", "Xong")]
    (transfer,) = customer.received("transfer", call.sid)
    assert transfer["x"] == "1" and transfer["CallStatus"] == "in-progress"
    (dialed,) = customer.received("dialed", call.sid)
    assert (dialed["DialCallStatus"], dialed["DialCallDuration"]) == ("completed", "30")
    assert dialed["DialCallSid"].startswith("CA") and dialed["DialCallSid"] != call.sid
    assert call.duration >= 35


def test_gather_input_and_action_on_empty_result(sim, twilio_client, customer):
    # Speech to a dtmf-only gather is silence, and the reply is used up.
    customer.responses["answer"] = (
        '<Response><Gather input="dtmf" action="/g1"><Say>Một</Say></Gather>'
        '<Gather input="dtmf" action="/g2" actionOnEmptyResult="true"><Say>Hai</Say></Gather></Response>'
    )
    customer.responses["g2"] = "<Response><Gather actionOnEmptyResult='true'/></Response>"
    call = place(sim, twilio_client, customer, "interested", time_limit=30)
    assert call.transcript[:4] == [("say", "Một"), ("gather", "none"), ("say", "Hai"), ("gather", "digits=1")]
    assert customer.received("g1", call.sid) == []
    assert customer.received("g2", call.sid)[0]["Digits"] == "1"
    # The nested gather has no action: it posts back to its own document, with no Digits.
    posts = customer.received("g2", call.sid)
    assert len(posts) > 1 and "Digits" not in posts[1]
    assert call.transcript[-1] == ("hangup", "time-limit") and call.duration == 30


def test_time_limit_and_get_method(sim, twilio_client, customer):
    customer.responses["answer"] = '<Response><Pause length="600"/></Response>'
    call = place(sim, twilio_client, customer, "interested", method="GET", time_limit=10, status_callback_method="GET")
    assert call.duration == 10 and call.transcript == [("hangup", "time-limit")]
    assert [h.method for h in customer.hits if h.params.get("CallSid") == call.sid] == ["GET"] * 5


@pytest.mark.parametrize("sim_options", [{"time_scale": 0.05}])
def test_hang_up_and_redirect_a_live_call(sim, twilio_client, customer):
    customer.responses.update(
        answer='<Response><Pause length="600"/></Response>',
        moved="<Response><Say>Chuyển</Say><Pause length='600'/></Response>",
    )
    call = place(sim, twilio_client, customer, "interested", wait=False)
    wait_for(lambda: call.status == "in-progress" and call.requests and call.requests[-1]["url"].endswith("answer"))
    twilio_client.calls(call.sid).update(url=customer.url("moved"), method="POST")
    wait_for(lambda: ("say", "Chuyển") in call.transcript)
    assert twilio_client.calls(call.sid).update(status="completed").sid == call.sid
    assert sim.wait_idle(5)
    assert call.status == "completed" and call.transcript[-1] == ("hangup", "api")
    assert call.duration < 60


@pytest.mark.parametrize("sim_options", [{"time_scale": 0.05}])
def test_cancel_a_ringing_call(sim, twilio_client, customer):
    call = place(sim, twilio_client, customer, "callback", wait=False)
    twilio_client.calls(call.sid).update(status="canceled")
    assert sim.wait_idle(5)
    assert call.status == "canceled" and call.duration == 0
    assert customer.received("answer", call.sid) == []
    assert customer.statuses(call.sid)[-1][0] == "canceled"


@pytest.mark.parametrize("sim_options", [{"duplicate_callbacks": True}])
def test_duplicate_callbacks(sim, twilio_client, customer):
    call = place(sim, twilio_client, customer, "silent")
    assert customer.statuses(call.sid) == [(s, str(i)) for i, s in enumerate(HUMAN) for _ in range(2)]


@pytest.mark.parametrize("sim_options", [{"shuffle_callbacks": True, "seed": 7}])
def test_shuffled_callbacks(sim, twilio_client, customer):
    orders = []
    for i in range(6):
        call = place(sim, twilio_client, customer, "silent", to=f"+8490100000{i}")
        received = [s for s, _ in customer.statuses(call.sid)]
        assert sorted(received[:3]) == sorted(HUMAN[:3])
        assert received[3:] == ["completed", "ringing"]
        orders.append(tuple(received[:3]))
    assert len(set(orders)) > 1  # really shuffled


@pytest.mark.parametrize("sim_options", [{"time_scale": 0.2}])
def test_failing_webhooks_and_stop(sim, twilio_client, customer):
    dead = "http://127.0.0.1:9/status"
    call = place(sim, twilio_client, customer, "busy", status_callback=dead)
    assert call.status == "busy" and call.errors and "status callback" in call.errors[0]
    customer.responses["answer"] = '<Response><Pause length="600"/></Response>'
    live = place(sim, twilio_client, customer, "interested", to="+84901000002", wait=False)
    wait_for(lambda: live.status == "ringing")
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 3
    assert live.done.is_set()
