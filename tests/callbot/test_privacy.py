"""`callbot privacy erase` leaves no trace of the person in any table (but the do-not-call list) and keeps the
counts; the retention policy makes old junk and unreachable leads anonymous."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from callbot import privacy, users
from callbot.db import utcnow
from callbot.dialer import Dialer, DialerService
from callbot.models import CallAttempt, CallEvent, DoNotCall, Lead, QueueItem
from callbot.telephony import TwilioTelephony
from tests.callbot.conftest import failed, ok
from tests.conftest import NOW, make_campaign, make_leads
from tests.web.conftest import call_sid, signed_post, start_call

NAME = "Trần Thị Bích Ngọc"
NUMBER = "+84902468135"
FORMS = ("+84902468135", "84902468135", "0902468135", "090 246 8135")
OTHER = {"name": "Lê Văn Tám", "phone": "0913572468"}


def everything(engine: sa.Engine) -> dict[str, str]:
    """Every table of the database, each as one text of all its rows."""
    found = {}
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).all()
            found[name] = "\n".join(repr(tuple(row)) for row in rows)
    return found


def traces(engine: sa.Engine, needles: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        table: [n for n in needles if n in text]
        for table, text in everything(engine).items()
        if any(n in text for n in needles)
    }


def counts(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return {
            m.__name__: s.scalar(sa.select(sa.func.count()).select_from(m)) or 0
            for m in (Lead, CallAttempt, CallEvent, QueueItem)
        }


def call(client, sessions, lead_id: int, n: int) -> int:  # type: ignore[no-untyped-def]
    """A whole call as the dialer and Twilio make it: the number dialled, signed webhooks naming it."""
    attempt_id = start_call(sessions, lead_id)
    with sessions.begin() as s:
        s.get(CallAttempt, attempt_id).to_number = NUMBER
    base = {
        "CallSid": call_sid(n),
        "AccountSid": "AC" + "0" * 31 + "1",
        "From": "+842873000000",
        "To": NUMBER,
        "Called": NUMBER,
    }
    signed_post(
        client, f"/twilio/voice?attempt={attempt_id}", {**base, "CallStatus": "in-progress", "AnsweredBy": "human"}
    )
    for turn, key in enumerate(["1", "1"], start=1):
        signed_post(
            client,
            f"/twilio/gather?attempt={attempt_id}&turn={turn}",
            {**base, "CallStatus": "in-progress", "Digits": key},
        )
    signed_post(
        client, f"/twilio/status?attempt={attempt_id}", {**base, "CallStatus": "completed", "CallDuration": "42"}
    )
    return attempt_id


@pytest.fixture
def person(client, sessions):  # type: ignore[no-untyped-def]
    """The person: a lead called and qualified (queue item with an agent's note), the same number in a second
    campaign, a junk row whose cell held the number, an audit entry naming it; and someone else beside them."""
    with sessions.begin() as s:
        first = make_campaign(s, "Một")
        lead, other = make_leads(s, first, [{"name": NAME, "phone": "0902468135", "email": "ngoc@gmail.com"}, OTHER])
        lead_id, other_id = lead.id, other.id
        second = make_campaign(s, "Hai")
        make_leads(
            s, second, [{"name": NAME, "phone": "090 246 8135"}, {"name": NAME, "phone": "0902468135 / 0902468"}]
        )
        users.audit(s, None, "dnc_add", NOW, number=NUMBER, note=f"{NAME} asked")
    call(client, sessions, lead_id, 1)
    with sessions.begin() as s:
        item = s.scalar(sa.select(QueueItem).where(QueueItem.lead_id == lead_id))
        item.note = f"Chị {NAME} muốn gọi lại, số 0902468135"
        item.history = [{"at": "2026-11-25T03:00:00", "disposition": "follow_up", "note": item.note}]
    return lead_id, other_id


def test_erase_leaves_no_trace(cli_db, engine, sessions, person):  # type: ignore[no-untyped-def]
    lead_id, other_id = person
    before = counts(sessions)
    found = traces(engine, (*FORMS, NAME))
    assert {"leads", "call_attempts", "call_events", "queue_items", "audit_log"} <= set(found)  # the test can fail

    output = ok(cli_db("privacy", "erase", "090 246 8135", "--yes"))
    assert "erased +8490*****35: 3 lead(s), 1 call(s)" in output and "0902468135" not in output

    assert traces(engine, (*FORMS, NAME, "ngoc@gmail.com", "Bích Ngọc")) == {
        "do_not_call": ["+84902468135", "84902468135"]
    }
    assert counts(sessions) == before  # anonymous counts kept
    with sessions() as s:
        assert s.scalar(sa.select(DoNotCall.reason).where(DoNotCall.phone_e164 == NUMBER)) == "erasure"
        lead = s.get(Lead, lead_id)
        assert lead.status == "queued" or lead.status == "opted_out"
        attempt = s.scalar(sa.select(CallAttempt).where(CallAttempt.lead_id == lead_id))
        assert (attempt.status, attempt.duration_seconds, attempt.outcome) == ("completed", 42, attempt.outcome)
        assert s.scalar(sa.select(QueueItem.disposition).where(QueueItem.lead_id == lead_id)) == "do_not_call"
        assert s.get(Lead, other_id).name == OTHER["name"]  # someone else is untouched
    assert "0913572468"[1:] in everything(engine)["leads"]


def test_erased_number_is_not_imported_as_callable_again(cli_db, sessions, person):  # type: ignore[no-untyped-def]
    ok(cli_db("privacy", "erase", "0902468135", "--yes"))
    with sessions.begin() as s:
        campaign = make_campaign(s, "Ba")
        (again,) = make_leads(s, campaign, [{"name": NAME, "phone": "0902468135"}])
        assert again.verdict == "blocked"


def test_erase_refuses_a_live_call_and_bad_numbers(cli_db, sessions, person):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        (lead,) = make_leads(s, make_campaign(s, "Bốn"), [{"phone": "0938471625"}])
        lead_id = lead.id
    attempt_id = start_call(sessions, lead_id)
    with sessions.begin() as s:
        s.get(CallAttempt, attempt_id).to_number = "+84938471625"
    assert "call to this number is under way" in failed(cli_db("privacy", "erase", "0938471625", "--yes"))
    assert "is not a usable phone number" in cli_db("privacy", "erase", "12", "--yes").output
    assert cli_db("privacy", "erase", "0902468135", input="n\n").exit_code == 1  # asked, and declined
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(DoNotCall)) == 0


def test_retention(cli_db, sessions):  # type: ignore[no-untyped-def]
    now = utcnow()
    old = now - dt.timedelta(days=200)
    with sessions.begin() as s:
        campaign = make_campaign(s)
        junk_old, junk_new, unreachable, fine = make_leads(
            s,
            campaign,
            [
                {"name": "Nguyễn Văn A", "phone": "123"},
                {"name": "Phan Thanh Bình", "phone": "456"},
                {"name": "Phạm Minh Châu", "phone": "0938471625"},
                {"name": "Đỗ Thu Hà", "phone": "0913572468"},
            ],
        )
        assert (junk_old.verdict, junk_new.verdict) == ("junk", "junk")
        s.get(Lead, junk_old.id).created_at = old
        row = s.get(Lead, unreachable.id)
        row.status, row.updated_at = "unreachable", old
        s.get(Lead, fine.id).created_at = old
    assert "2 lead(s) made anonymous" in ok(cli_db("privacy", "retention", "--days", "180"))
    with sessions() as s:
        names = dict(s.execute(sa.select(Lead.id, Lead.name)).all())
        statuses = dict(s.execute(sa.select(Lead.id, Lead.status)).all())
    assert names == {junk_old.id: None, junk_new.id: "Phan Thanh Bình", unreachable.id: None, fine.id: "Đỗ Thu Hà"}
    assert statuses[unreachable.id] == "opted_out"
    assert "0 lead(s)" in ok(cli_db("privacy", "retention", "--days", "180"))  # done once


def test_retention_job_is_scheduled(settings, sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        (lead,) = make_leads(s, make_campaign(s), [{"name": "Phan Thanh Bình", "phone": "123"}])
        assert lead.name == "Phan Thanh Bình" and lead.verdict == "junk"
        s.get(Lead, lead.id).created_at = NOW - dt.timedelta(days=181)
    telephony = TwilioTelephony(
        settings.twilio_account_sid, settings.twilio_auth_token, api_base_url="http://127.0.0.1:9"
    )
    service = DialerService(Dialer(sessions, telephony, settings, clock=lambda: NOW), interval=3600)
    scheduler = service.start()
    try:
        job = scheduler.get_job("daily-retention")
        assert job is not None and str(job.trigger.fields[5]) == "3"  # hour: an hour after the 02:00 backup
        assert job.func(*job.args) == 1
    finally:
        service.stop()
    with sessions() as s:
        assert s.get(Lead, lead.id).name is None


def test_number_forms() -> None:
    forms: Any = privacy.number_forms("+84902468135")
    assert forms == ("+84902468135", "84902468135", "0902468135")
    assert privacy.number_forms("+14155550100") == ("+14155550100", "14155550100")
