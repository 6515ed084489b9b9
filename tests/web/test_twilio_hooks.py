"""Twilio webhooks: signatures, journaling, idempotence, out-of-order callbacks, TwiML answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from callbot import db
from callbot.models import CallAttempt, CallEvent, Lead, QueueItem
from tests.conftest import AUTH_TOKEN, make_campaign, make_leads, make_user
from tests.web.conftest import login
from web.twilio_hooks import is_signed_by_twilio

SID = "CA" + "ab" * 16


def signed_post(client, path: str, params: dict[str, str], token: str = AUTH_TOKEN, url: str | None = None):  # type: ignore[no-untyped-def]
    signature = RequestValidator(token).compute_signature(url or f"http://localhost{path}", params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def call_params(**extra: str) -> dict[str, str]:
    params = {
        "CallSid": SID,
        "AccountSid": "AC" + "0" * 31 + "1",
        "From": "+842873000000",
        "To": "+84912345678",
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
        "CallStatus": "in-progress",
    }
    params.update(extra)
    return params


@pytest.fixture
def attempt_id(sessions) -> int:  # type: ignore[no-untyped-def]
    """A lead in a live call, as the dialer leaves it just before Twilio calls back."""
    with sessions.begin() as s:
        campaign = make_campaign(s)
        (lead,) = make_leads(s, campaign, [{"name": "Trần Thị Mai", "phone": "0912345678", "service": "bảo hiểm"}])
        lead.status, lead.attempts = "dialing", 1
        attempt = CallAttempt(lead_id=lead.id, campaign_id=campaign.id, attempt_no=1)
        s.add(attempt)
        s.flush()
        return attempt.id


def count_events(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(CallEvent))


def twiml(response) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def test_twilios_published_test_vector_is_accepted() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
        "Caller": "+14158675309",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert is_signed_by_twilio("12345", url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not is_signed_by_twilio("12345", url, {**params, "Digits": "1235"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not is_signed_by_twilio("54321", url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not is_signed_by_twilio("12345", url, params, "")


@pytest.mark.parametrize("route", ["voice", "status", "gather", "fallback"])
def test_unsigned_request_is_refused_and_nothing_is_stored(client, sessions, attempt_id, route):  # type: ignore[no-untyped-def]
    response = client.post(f"/twilio/{route}?attempt={attempt_id}&turn=1", data=call_params(Digits="1"))
    assert response.status_code == 403
    assert count_events(sessions) == 0


@pytest.mark.parametrize(
    "how",
    ["other-token", "other-url", "tampered-param"],
)
def test_wrongly_signed_request_is_refused_and_nothing_is_stored(client, sessions, attempt_id, how):  # type: ignore[no-untyped-def]
    path = f"/twilio/status?attempt={attempt_id}"
    params = call_params(CallStatus="completed", CallDuration="12")
    token = "not-our-token" if how == "other-token" else AUTH_TOKEN
    url = f"http://localhost/twilio/status?attempt={attempt_id + 1}" if how == "other-url" else None
    signature = RequestValidator(token).compute_signature(url or f"http://localhost{path}", params)
    if how == "tampered-param":
        params["CallStatus"] = "busy"
    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count_events(sessions) == 0
    with sessions() as s:
        assert s.get(CallAttempt, attempt_id).status == "created"


def test_answer_greets_by_name_and_asks_by_keypad_and_speech_in_vietnamese(client, attempt_id):  # type: ignore[no-untyped-def]
    root = twiml(signed_post(client, f"/twilio/voice?attempt={attempt_id}", call_params(AnsweredBy="human")))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "vi-VN"
    assert gather.get("action") == f"http://localhost/twilio/gather?attempt={attempt_id}&turn=1"
    assert "Trần Thị Mai" in " ".join(say.text for say in gather.iter("Say"))
    assert root.find("Redirect").text == gather.get("action")  # silence comes back to us


def test_repeated_status_callback_changes_nothing(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    done = call_params(CallStatus="completed", CallDuration="7", SequenceNumber="3")
    path = f"/twilio/status?attempt={attempt_id}"
    twiml(signed_post(client, path, call_params(CallStatus="ringing", SequenceNumber="1")))
    twiml(signed_post(client, path, done))
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        first = (attempt.status, attempt.live, attempt.outcome, attempt.duration_seconds, attempt.ended_at)
        lead_first = (attempt.lead.status, attempt.lead.attempts, attempt.lead.next_attempt_at)
    twiml(signed_post(client, path, {**done, "CallDuration": "99"}))
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert (
            attempt.status,
            attempt.live,
            attempt.outcome,
            attempt.duration_seconds,
            attempt.ended_at,
        ) == first
        assert (attempt.lead.status, attempt.lead.attempts, attempt.lead.next_attempt_at) == lead_first
        assert first[:4] == ("completed", False, "no_answer", 7)
        events = s.scalars(sa.select(CallEvent).order_by(CallEvent.id)).all()
        assert [e.applied for e in events] == [True, True, False]  # the repeat is journaled, not applied
        assert events[-1].params["CallDuration"] == "99"


def test_late_ringing_after_completed_changes_nothing(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    path = f"/twilio/status?attempt={attempt_id}"
    twiml(signed_post(client, path, call_params(CallStatus="busy", SequenceNumber="2")))
    twiml(signed_post(client, path, call_params(CallStatus="ringing", SequenceNumber="1")))
    twiml(signed_post(client, path, call_params(CallStatus="in-progress", SequenceNumber="1")))
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert (attempt.status, attempt.live, attempt.answered_at, attempt.outcome) == (
            "busy",
            False,
            None,
            "busy",
        )
        assert attempt.lead.status == "callable"  # retried later, not left dialing


def test_progress_callbacks_move_the_call_forward_once(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    path = f"/twilio/status?attempt={attempt_id}"
    for n, status in enumerate(("initiated", "ringing"), start=0):
        assert twiml(signed_post(client, path, call_params(CallStatus=status, SequenceNumber=str(n)))).find("*") is None
    answered = call_params(CallStatus="in-progress", SequenceNumber="2", AnsweredBy="human")
    twiml(signed_post(client, path, answered))
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        first = (attempt.status, attempt.call_sid, attempt.answered_at, attempt.answered_by)
        assert first[:2] == ("in-progress", SID) and first[2] is not None and first[3] == "human"
    # a repeat with another AnsweredBy, and a late "ringing": nothing moves, both journaled, neither applied
    twiml(signed_post(client, path, {**answered, "AnsweredBy": "machine_start"}))
    twiml(signed_post(client, path, call_params(CallStatus="ringing", SequenceNumber="1")))
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert (attempt.status, attempt.call_sid, attempt.answered_at, attempt.answered_by) == first
        events = s.scalars(sa.select(CallEvent).order_by(CallEvent.id)).all()
        assert [(e.dedupe_key, e.applied) for e in events] == [
            ("status:initiated", True),
            ("status:ringing", True),
            ("status:in-progress", True),
            (None, False),
            (None, False),
        ]


def test_progress_of_another_call_is_not_applied(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    other = "CA" + "e" * 32
    with sessions.begin() as s:  # another attempt already owns `other`
        mine = s.get(CallAttempt, attempt_id)
        s.add(
            CallAttempt(
                lead_id=mine.lead_id,
                campaign_id=mine.campaign_id,
                attempt_no=0,
                call_sid=other,
                status="busy",
                live=False,
            )
        )
    path = f"/twilio/status?attempt={attempt_id}"
    root = twiml(signed_post(client, path, call_params(CallSid=other, CallStatus="ringing")))
    assert root.find("Hangup") is not None  # not this attempt's call: a polite hang-up, nothing adopted
    twiml(signed_post(client, path, call_params(CallStatus="ringing")))  # its own CallSid: adopted
    root = twiml(signed_post(client, path, call_params(CallSid=other, CallStatus="in-progress")))
    assert root.find("Hangup") is not None  # the attempt has a CallSid now, and this is not it
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert (attempt.status, attempt.call_sid, attempt.answered_at) == ("ringing", SID, None)
        assert [e.applied for e in s.scalars(sa.select(CallEvent).order_by(CallEvent.id))] == [False, True, False]


def test_repeated_answer_gets_the_same_twiml_and_one_step(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    voice = f"/twilio/voice?attempt={attempt_id}"
    twiml(signed_post(client, voice, call_params()))
    gather = f"/twilio/gather?attempt={attempt_id}&turn=1"
    first = signed_post(client, gather, call_params(Digits="1"))
    again = signed_post(client, gather, call_params(Digits="1"))
    assert first.data == again.data
    question = twiml(first).find("Gather")
    assert question.get("action").endswith("turn=2")
    assert "đã đăng ký nhận thông tin về bảo hiểm" in question.find("Say").text  # the reminder, then interest
    with sessions() as s:
        state = s.get(CallAttempt, attempt_id).flow_state
        assert state["heard"] == ["digits:1"] and state["step"] == "interest"


def test_interested_answer_queues_the_lead_in_the_same_transaction(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    twiml(signed_post(client, f"/twilio/voice?attempt={attempt_id}", call_params()))
    twiml(
        signed_post(
            client,
            f"/twilio/gather?attempt={attempt_id}&turn=1",
            call_params(SpeechResult="Vâng, đúng rồi", Confidence="0.93"),
        )
    )
    root = twiml(signed_post(client, f"/twilio/gather?attempt={attempt_id}&turn=2", call_params(Digits="1")))
    assert root.find("Hangup") is not None
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert (attempt.outcome, attempt.identity_confirmed, attempt.interest) == ("interested", True, "yes")
        lead = s.get(Lead, attempt.lead_id)
        assert lead.status == "queued" and lead.tier == "hot"
        item = s.scalar(sa.select(QueueItem).where(QueueItem.lead_id == lead.id))
        assert item is not None and item.score == lead.score


def test_unknown_call_gets_a_polite_hangup(client, sessions):  # type: ignore[no-untyped-def]
    root = twiml(signed_post(client, "/twilio/voice?attempt=999999", call_params()))
    assert root.find("Say") is not None and root.find("Hangup") is not None
    assert count_events(sessions) == 1  # journaled all the same


def test_fallback_ends_politely_and_records_the_failure(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    root = twiml(
        signed_post(
            client,
            f"/twilio/fallback?attempt={attempt_id}",
            call_params(ErrorCode="11200", ErrorUrl="http://localhost/twilio/voice"),
        )
    )
    assert root.find("Hangup") is not None
    with sessions() as s:
        assert "11200" in s.get(CallAttempt, attempt_id).error


def test_a_recording_is_kept_once_and_shown_in_the_timeline(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    params = call_params(
        RecordingSid="RE" + "a" * 32,
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32,
        RecordingStatus="completed",
        RecordingDuration="37",
    )
    signed_post(client, f"/twilio/recording?attempt={attempt_id}", params)
    signed_post(client, f"/twilio/recording?attempt={attempt_id}", {**params, "RecordingDuration": "99"})  # repeat
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt.recording_url.endswith("RE" + "a" * 32) and attempt.recording_seconds == 37
    with sessions.begin() as s:
        make_user(s, "admin")
    login(client, "admin@example.vn")
    html = client.get(f"/calls/{attempt_id}").get_data(as_text=True)
    assert "data-recording" in html and "(37 s)" in html


def test_a_failed_or_odd_recording_is_journaled_but_not_linked(client, sessions, attempt_id):  # type: ignore[no-untyped-def]
    signed_post(
        client,
        f"/twilio/recording?attempt={attempt_id}",
        call_params(RecordingSid="RE1", RecordingUrl="javascript:alert(1)", RecordingStatus="completed"),
    )
    signed_post(
        client,
        f"/twilio/recording?attempt={attempt_id}",
        call_params(RecordingSid="RE2", RecordingUrl="https://x.example/r", RecordingStatus="failed"),
    )
    with sessions() as s:
        assert s.get(CallAttempt, attempt_id).recording_url is None
    assert count_events(sessions) == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/twilio/voice?attempt=999999999999999999999", {"CallSid": SID}),
        ("/twilio/status?attempt=abc", {"CallStatus": "completed"}),
        ("/twilio/gather?attempt={attempt}&turn=99999999999999999999999999", {"CallSid": SID, "Digits": "1"}),
        ("/twilio/status?attempt={attempt}", {"CallSid": "C" * 500, "CallStatus": "x" * 5000}),
        ("/twilio/status", {}),
        (
            "/twilio/status?attempt={attempt}",
            {"CallSid": SID, "CallStatus": "completed", "AnsweredBy": "m" * 300, "CallDuration": "9" * 40},
        ),
        ("/twilio/voice?attempt={attempt}", {"CallSid": SID, "AnsweredBy": "h" * 300}),
    ],
    ids=["huge-attempt", "text-attempt", "huge-turn", "oversized-values", "nothing", "huge-amd-duration", "huge-amd"],
)
def test_malformed_but_signed_requests_never_fail(client, sessions, attempt_id, path, params):  # type: ignore[no-untyped-def]
    response = signed_post(client, path.format(attempt=attempt_id), params)
    twiml(response)  # 200 with valid TwiML, whatever came in
    assert count_events(sessions) == 1  # journaled all the same


def _kill_connections(database_url: str) -> int:
    """What a PostgreSQL restart does to a pool: the server ends every other session of the database."""
    admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as conn:
            return len(
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).all()
            )
    finally:
        admin.dispose()


@pytest.mark.parametrize("idle", ["idle connection", "busy connection"])
def test_webhooks_recover_from_connections_the_server_closed(database_url, settings, attempt_id, idle):  # type: ignore[no-untyped-def]
    """A pooled connection idle past the threshold is pinged and replaced before use: nothing fails. One in steady
    use is not pinged: the one request that finds it dead fails (Twilio then calls the fallback URL) but its raw
    request is still journaled, on a new connection; the pool is renewed and the next requests are answered."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the server closing connections is PostgreSQL's case")
    from web import create_app

    engine = db.make_engine(database_url, ping_after_idle=0 if idle == "idle connection" else 3600)
    try:
        client = create_app(settings, engine=engine).test_client()
        twiml(signed_post(client, f"/twilio/voice?attempt={attempt_id}", call_params(AnsweredBy="human")))
        assert _kill_connections(database_url) >= 1
        gather = f"/twilio/gather?attempt={attempt_id}&turn=1"
        if idle == "busy connection":
            assert signed_post(client, gather, call_params(Digits="1")).status_code == 500
        assert twiml(signed_post(client, gather, call_params(Digits="1"))).find("Gather") is not None
        with engine.connect() as conn:
            kinds = conn.execute(sa.select(CallEvent.kind, CallEvent.applied).order_by(CallEvent.id)).all()
        failed = [("gather", False)] if idle == "busy connection" else []
        assert kinds == [("voice", True), *failed, ("gather", True)]
    finally:
        engine.dispose()
