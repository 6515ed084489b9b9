"""`callbot privacy erase` deletes the recordings of the person's calls at Twilio: a real recorded call placed by
the dialer through the simulator into the webhooks, then the command line against the simulator's Recordings API.
A failure at Twilio does not undo the erasure: it is reported, kept on the to-do list and retried."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa

from callbot.dialer import Dialer
from callbot.models import AuditLog, CallAttempt, CallEvent, DoNotCall, Lead, RecordingDeletion
from callbot.runtime import ServerThread
from callbot.simulator import Simulator
from callbot.telephony import TwilioTelephony
from tests.callbot.conftest import ok
from tests.callbot.test_privacy import traces
from tests.conftest import make_campaign, make_leads

NAME = "Trần Thị Bích Ngọc"
NUMBER = "+84902468135"


@dataclass
class Recorded:
    """A person called once, recorded, by the whole system; the simulator still running."""

    sim: Simulator
    api_url: str
    lead_id: int
    call_sid: str
    recording_sid: str

    def status_at_twilio(self) -> int:
        """The HTTP status of the recording's resource at the simulator (200 kept, 404 gone)."""
        url = f"{self.api_url}/2010-04-01/Accounts/{self.sim.account_sid}/Recordings/{self.recording_sid}.json"
        resp = requests.get(url, auth=(self.sim.account_sid, self.sim.auth_token), timeout=5)
        if resp.status_code == 404:
            assert resp.json()["code"] == 20404
        return resp.status_code


@pytest.fixture
def recorded(sessions, settings):  # type: ignore[no-untyped-def]
    from web import create_app

    sim = Simulator(settings.twilio_account_sid, settings.twilio_auth_token, personas={NUMBER: "interested"})
    api_url = sim.start()
    web = ServerThread()
    settings = settings.with_overrides(public_url=web.url, twilio_api_base_url=api_url)
    web.attach(create_app(settings, engine=sessions.kw["bind"]))
    web.start()
    try:
        with sessions.begin() as s:
            campaign = make_campaign(s, "Ghi âm", record_calls=True)
            (lead,) = make_leads(s, campaign, [{"name": NAME, "phone": "0902468135"}])
            lead_id = lead.id
        telephony = TwilioTelephony(settings.twilio_account_sid, settings.twilio_auth_token, api_base_url=api_url)
        assert Dialer(sessions, telephony, settings).tick() == 1
        assert sim.wait_idle(20)
        with sessions() as s:
            attempt = s.scalar(sa.select(CallAttempt).where(CallAttempt.lead_id == lead_id))
            assert attempt.outcome == "interested" and attempt.recording_url, attempt.error
            call_sid = attempt.call_sid
        (recording,) = sim.recordings.values()
        assert recording.call_sid == call_sid and attempt.recording_url.endswith("/Recordings/" + recording.sid)
        yield Recorded(sim, api_url, lead_id, call_sid, recording.sid)
    finally:
        sim.stop()
        web.stop()


@pytest.fixture
def twilio_env(cli_db, monkeypatch, settings, recorded):  # type: ignore[no-untyped-def]
    """The command line's environment as in production: every required setting, Twilio being the simulator."""

    def use(token: str = settings.twilio_auth_token, api_url: str = recorded.api_url) -> None:
        env = {
            "CALLBOT_SECRET_KEY": settings.secret_key,
            "CALLBOT_PUBLIC_URL": "https://callbot.example.vn",
            "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": token,
            "TWILIO_CALLER_ID": settings.twilio_caller_id,
            "TWILIO_API_BASE_URL": api_url,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    use()
    return use


def to_do(sessions) -> list[tuple[str | None, int, str | None]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        rows = s.scalars(sa.select(RecordingDeletion).order_by(RecordingDeletion.id))
        return [(row.call_sid, row.tries, row.error) for row in rows]


def audits(sessions, action: str) -> list[dict]:  # type: ignore[type-arg, no-untyped-def]
    with sessions() as s:
        return list(s.scalars(sa.select(AuditLog.detail).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_erase_deletes_the_recording_at_twilio(cli_db, engine, sessions, recorded, twilio_env):  # type: ignore[no-untyped-def]
    assert recorded.status_at_twilio() == 200
    assert traces(engine, (recorded.recording_sid,))  # our link to it, and the recording callback's journal

    output = ok(cli_db("privacy", "erase", "0902468135", "--yes"))
    assert "erased +8490*****35: 1 lead(s), 1 call(s)" in output
    assert "recordings at Twilio: 1 deleted, 0 already gone (1 call(s) done)" in output
    assert "WARNING" not in output

    assert recorded.status_at_twilio() == 404
    assert recorded.sim.recordings[recorded.recording_sid].deleted
    assert to_do(sessions) == []
    # No link to it is left: only the journal's dedupe key names it, so that a late repeat of the recording
    # callback is still recognised as applied (and does not bring the link back).
    assert traces(engine, (recorded.recording_sid, NAME)) == {"call_events": [recorded.recording_sid]}
    with sessions() as s:
        assert s.get(Lead, recorded.lead_id).phone_e164 is None
        assert s.scalar(sa.select(CallAttempt.recording_url).where(CallAttempt.lead_id == recorded.lead_id)) is None
        (event,) = s.scalars(sa.select(CallEvent).where(CallEvent.kind == "recording"))
        assert event.dedupe_key == f"recording:{recorded.recording_sid}"
        assert recorded.recording_sid not in repr(event.params) and event.params["RecordingStatus"] == "completed"
    (erase,) = audits(sessions, "privacy_erase")
    assert (erase["recordings"], erase["recording_calls"]) == (1, 1)
    (deleted,) = audits(sessions, "recordings_deleted")
    assert (deleted["deleted"], deleted["done"], deleted["pending"], deleted["errors"]) == (1, 1, 0, [])

    # A second erase is harmless: nothing left to find, nothing to delete, no error.
    again = ok(cli_db("privacy", "erase", "0902468135", "--yes"))
    assert "erased +8490*****35: 0 lead(s), 0 call(s)" in again
    assert "recordings at Twilio" not in again and "WARNING" not in again
    assert recorded.status_at_twilio() == 404
    assert to_do(sessions) == []
    assert "no recordings left to delete at Twilio" in ok(cli_db("privacy", "recordings"))


def test_a_recording_deleted_at_twilio_before_counts_as_deleted(cli_db, sessions, recorded, twilio_env):  # type: ignore[no-untyped-def]
    client = TwilioTelephony(recorded.sim.account_sid, recorded.sim.auth_token, api_base_url=recorded.api_url)
    assert client.delete_recording(recorded.recording_sid) is True  # e.g. by hand in the Twilio console
    assert client.delete_recording(recorded.recording_sid) is False
    output = ok(cli_db("privacy", "erase", "0902468135", "--yes"))
    assert "recordings at Twilio: 0 deleted, 1 already gone (1 call(s) done)" in output
    assert to_do(sessions) == []


def test_a_failure_at_twilio_is_reported_kept_and_retried(cli_db, engine, sessions, recorded, twilio_env):  # type: ignore[no-untyped-def]
    twilio_env(token="a-rotated-token")  # Twilio refuses the credentials (401, error 20003)
    output = ok(cli_db("privacy", "erase", "0902468135", "--yes"))
    assert "erased +8490*****35: 1 lead(s), 1 call(s)" in output  # our own data is erased all the same
    assert "WARNING: the recordings of 1 call(s) could not be deleted at Twilio" in output
    assert "Authenticate" in output and "callbot privacy recordings" in output
    with sessions() as s:
        assert s.get(Lead, recorded.lead_id).name is None
        assert s.scalar(sa.select(DoNotCall.reason).where(DoNotCall.phone_e164 == NUMBER)) == "erasure"
    assert recorded.status_at_twilio() == 200  # still there
    ((call_sid, tries, error),) = to_do(sessions)
    assert (call_sid, tries) == (recorded.call_sid, 1) and "Authenticate" in error
    (deleted,) = audits(sessions, "recordings_deleted")
    assert (deleted["deleted"], deleted["pending"]) == (0, 1) and "Authenticate" in deleted["errors"][0]
    assert traces(engine, (NAME, "0902468135")) == {}  # the to-do list says nothing about the person

    # Retried by hand while Twilio cannot be reached: still kept, exit status 1, the list shown.
    twilio_env(api_url="http://127.0.0.1:9")
    result = cli_db("privacy", "recordings")
    assert result.exit_code == 1
    assert "could not reach the telephony API" in result.output
    assert f"still to delete: call {recorded.call_sid} (erasure of " in result.output and "2 tr(ies)" in result.output
    assert recorded.status_at_twilio() == 200
    assert [row[:2] for row in to_do(sessions)] == [(recorded.call_sid, 2)]

    # Twilio is back and the credentials right: rerunning the erasure retries it (so does `privacy recordings`).
    twilio_env()
    again = ok(cli_db("privacy", "erase", "0902468135", "--yes"))
    assert "recordings at Twilio: 1 deleted" in again and "WARNING" not in again
    assert recorded.status_at_twilio() == 404
    assert to_do(sessions) == []


def test_erase_without_twilio_settings_keeps_the_deletion_to_do(cli_db, monkeypatch, sessions, recorded):  # type: ignore[no-untyped-def]
    output = ok(cli_db("privacy", "erase", "0902468135", "--yes"))  # the cli fixture leaves no Twilio settings
    assert "WARNING: the recordings of 1 call(s) are still to delete at Twilio, not tried" in output
    assert "TWILIO_AUTH_TOKEN" in output
    assert [row[:2] for row in to_do(sessions)] == [(recorded.call_sid, 0)]
    assert recorded.status_at_twilio() == 200


def test_the_daily_retention_job_deletes_the_recordings_it_makes_anonymous(sessions, settings, recorded):  # type: ignore[no-untyped-def]
    from callbot.dialer import DialerService
    from tests.conftest import NOW

    with sessions.begin() as s:
        lead = s.get(Lead, recorded.lead_id)
        lead.status, lead.updated_at = "unreachable", NOW - dt.timedelta(days=181)
    telephony = TwilioTelephony(settings.twilio_account_sid, settings.twilio_auth_token, api_base_url=recorded.api_url)
    service = DialerService(Dialer(sessions, telephony, settings, clock=lambda: NOW), interval=3600)
    scheduler = service.start()
    try:
        job = scheduler.get_job("daily-retention")
        assert job.func(*job.args) == 1
    finally:
        service.stop()
    assert recorded.status_at_twilio() == 404
    assert to_do(sessions) == []
    (entry,) = audits(sessions, "retention")
    assert entry["recording_calls"] == 1
