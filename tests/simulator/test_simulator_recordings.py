"""Recordings as Twilio keeps them: a call created with Record=true is recorded from its answer, reported to
RecordingStatusCallback, listed, fetched and deleted through the Recordings resource with the official client."""

import re

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

FROM = "+842873000000"


def recorded_call(sim, twilio_client, customer, number: str = "+84901000001", **options):  # type: ignore[no-untyped-def]
    sim.set_persona(number, options.pop("persona", "interested"))
    call = twilio_client.calls.create(
        to=number,
        from_=FROM,
        url=customer.url("answer"),
        status_callback=customer.url("status"),
        record=True,
        recording_status_callback=customer.url("recording"),
        **options,
    )
    assert sim.wait_idle(10)
    return call.sid


def test_a_recorded_call_is_reported_and_kept_as_a_recording(sim, twilio_client, customer):  # type: ignore[no-untyped-def]
    call_sid = recorded_call(sim, twilio_client, customer)
    (hook,) = customer.received("recording", call_sid)
    sid = hook["RecordingSid"]
    assert re.fullmatch(r"RE[0-9a-f]{32}", sid)
    base = twilio_client.api.base_url
    assert hook["RecordingUrl"] == f"{base}/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}"
    assert (hook["RecordingStatus"], hook["RecordingSource"], hook["RecordingChannels"]) == (
        "completed",
        "OutboundAPI",
        "1",
    )
    duration = sim.calls[call_sid].duration
    assert int(hook["RecordingDuration"]) == duration > 0

    recording = twilio_client.recordings(sid).fetch()
    assert (recording.call_sid, recording.status, recording.duration) == (call_sid, "completed", str(duration))
    assert (recording.channels, recording.source, recording.account_sid) == (1, "OutboundAPI", sim.account_sid)
    assert recording.uri == f"/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}.json"
    assert recording.date_created is not None and recording.start_time is not None
    assert [r.sid for r in twilio_client.recordings.list(call_sid=call_sid)] == [sid]
    assert [r.sid for r in twilio_client.calls(call_sid).recordings.list()] == [sid]
    assert twilio_client.calls(call_sid).recordings(sid).fetch().sid == sid
    assert twilio_client.recordings.list(call_sid="CA" + "0" * 32) == []


def test_a_deleted_recording_is_gone_but_its_metadata_kept(sim, twilio_client, customer):  # type: ignore[no-untyped-def]
    call_sid = recorded_call(sim, twilio_client, customer)
    sid = customer.received("recording", call_sid)[0]["RecordingSid"]
    path = f"/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}.json"
    url, auth = twilio_client.api.base_url + path, (sim.account_sid, sim.auth_token)

    resp = requests.delete(url, auth=auth, timeout=5)
    assert (resp.status_code, resp.content) == (204, b"")
    for method in (requests.get, requests.delete):
        again = method(url, auth=auth, timeout=5)
        assert again.status_code == 404
        assert again.json() == {
            "code": 20404,
            "message": f"The requested resource {path} was not found",
            "more_info": "https://www.twilio.com/docs/errors/20404",
            "status": 404,
        }
    with pytest.raises(TwilioRestException) as info:
        twilio_client.recordings(sid).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)
    assert twilio_client.recordings.list(call_sid=call_sid) == []
    # Twilio keeps a deleted recording's metadata (status "deleted") for those who ask for it.
    assert twilio_client.recordings(sid).fetch(include_soft_deleted=True).status == "deleted"
    assert [r.status for r in twilio_client.recordings.list(call_sid=call_sid, include_soft_deleted=True)] == [
        "deleted"
    ]
    assert sim.recordings[sid].deleted


def test_the_client_deletes_through_the_call_too(sim, twilio_client, customer):  # type: ignore[no-untyped-def]
    call_sid = recorded_call(sim, twilio_client, customer)
    sid = customer.received("recording", call_sid)[0]["RecordingSid"]
    with pytest.raises(TwilioRestException) as info:
        twilio_client.calls("CA" + "f" * 32).recordings(sid).delete()  # not that call's recording
    assert info.value.status == 404
    assert twilio_client.calls(call_sid).recordings(sid).delete() is True
    with pytest.raises(TwilioRestException):
        twilio_client.recordings(sid).delete()


def test_only_answered_recorded_calls_have_recordings(sim, twilio_client, customer):  # type: ignore[no-untyped-def]
    unanswered = recorded_call(sim, twilio_client, customer, "+84901000002", persona="no_answer")
    busy = recorded_call(sim, twilio_client, customer, "+84901000003", persona="busy")
    sim.set_persona("+84901000004", "interested")
    plain = twilio_client.calls.create(to="+84901000004", from_=FROM, url=customer.url("answer")).sid
    assert sim.wait_idle(10)
    for call_sid in (unanswered, busy, plain):
        assert twilio_client.recordings.list(call_sid=call_sid) == []
    assert customer.received("recording") == []
    assert sim.recordings == {}


def test_recording_events_and_channels_are_as_asked(sim, twilio_client, customer):  # type: ignore[no-untyped-def]
    call_sid = recorded_call(
        sim,
        twilio_client,
        customer,
        recording_status_callback_event=["in-progress", "completed"],
        recording_channels="dual",
    )
    hooks = customer.received("recording", call_sid)
    assert [h["RecordingStatus"] for h in hooks] == ["in-progress", "completed"]
    assert "RecordingDuration" not in hooks[0] and hooks[1]["RecordingChannels"] == "2"
    assert len({h["RecordingSid"] for h in hooks}) == 1
    with pytest.raises(TwilioRestException) as info:
        twilio_client.calls.create(
            to="+84901000005", from_=FROM, url=customer.url("answer"), record=True, recording_channels="stereo"
        )
    assert (info.value.status, info.value.code) == (400, 20001)
