"""The REST API as the official twilio client sees it: auth, validation, resources."""

import re
from datetime import datetime

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from callbot.simulator import Simulator

FROM = "+842873000000"


def test_create_returns_a_queued_call_resource(sim, twilio_client, customer):
    call = twilio_client.calls.create(to="+84901000001", from_=FROM, url=customer.url("answer"))
    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert (call.status, call.direction, call.api_version) == ("queued", "outbound-api", "2010-04-01")
    assert (call.to, call._from, call.account_sid) == ("+84901000001", FROM, sim.account_sid)
    assert isinstance(call.date_created, datetime)
    assert call.duration is None and call.answered_by is None
    assert call.uri == f"/2010-04-01/Accounts/{sim.account_sid}/Calls/{call.sid}.json"
    assert sim.wait_idle(10)
    fetched = twilio_client.calls(call.sid).fetch()
    assert fetched.status == sim.calls[call.sid].status
    assert fetched.duration == str(sim.calls[call.sid].duration)
    assert [c.sid for c in twilio_client.calls.list()] == [call.sid]


def test_wrong_credentials_get_401(simulator):
    sim, base_url = simulator
    wrong = Client(sim.account_sid, "not-the-token")
    wrong.api.base_url = base_url
    try:
        with pytest.raises(TwilioRestException) as info:
            wrong.calls.create(to="+84901000001", from_=FROM, url="http://127.0.0.1:9/answer")
    finally:
        wrong.http_client.session.close()
    assert (info.value.status, info.value.code) == (401, 20003)
    other_account = f"{base_url}/2010-04-01/Accounts/AC{'f' * 32}/Calls.json"
    resp = requests.get(other_account, auth=(sim.account_sid, sim.auth_token), timeout=5)
    assert resp.status_code == 401
    assert resp.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert sim.calls == {}


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"to": "", "from_": FROM, "url": "http://127.0.0.1:9/a"}, 21201, "No 'To' number is specified"),
        ({"to": "+84901000001", "from_": "", "url": "http://127.0.0.1:9/a"}, 21213, "No 'From' number"),
        ({"to": "+84901000001", "from_": FROM}, 21205, "Url parameter is required"),
        (
            {"to": "0901000001", "from_": FROM, "url": "http://127.0.0.1:9/a"},
            21211,
            "Invalid 'To' Phone Number",
        ),
        (
            {
                "to": "+84901000001",
                "from_": FROM,
                "url": "http://127.0.0.1:9/a",
                "status_callback_event": ["rung"],
            },
            21626,
            "StatusCallbackEvent",
        ),
    ],
)
def test_create_validation_errors(sim, twilio_client, kwargs, code, message):
    with pytest.raises(TwilioRestException) as info:
        twilio_client.calls.create(**kwargs)
    assert (info.value.status, info.value.code) == (400, code)
    assert message in info.value.msg
    assert sim.calls == {}


def test_fetch_and_update_unknown_call_give_404(twilio_client):
    sid = "CA" + "0" * 32
    for action in (
        lambda: twilio_client.calls(sid).fetch(),
        lambda: twilio_client.calls(sid).update(status="completed"),
    ):
        with pytest.raises(TwilioRestException) as info:
            action()
        assert (info.value.status, info.value.code) == (404, 20404)


def test_wsgi_app_works_with_the_flask_test_client():
    sim = Simulator("AC" + "1" * 32, "tok")
    web = sim.wsgi_app.test_client()
    path = f"/2010-04-01/Accounts/{sim.account_sid}/Calls"
    assert web.get(f"{path}/CA{'0' * 32}.json").status_code == 401
    resp = web.get(f"{path}/CA{'0' * 32}.json", auth=(sim.account_sid, "tok"))
    assert resp.status_code == 404 and resp.json["code"] == 20404
    resp = web.post(
        f"{path}.json",
        auth=(sim.account_sid, "tok"),
        data={"To": "+84901000001", "From": FROM, "Twiml": "<Response><Say>Hi</Say></Response>"},
    )
    assert resp.status_code == 201
    assert sim.wait_idle(5)
    call = sim.calls[resp.json["sid"]]
    assert call.status in ("completed", "busy", "no-answer")
    sim.stop()
