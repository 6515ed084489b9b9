"""Structured logs: JSON lines with call and lead ids, and no full phone number or name in what the app writes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from callbot import logs
from callbot.dialer import Dialer
from callbot.telephony import TwilioTelephony
from tests.conftest import NOW, make_campaign, make_leads
from tests.web.conftest import call_interested

PEOPLE = [{"name": "Trần Thị Bích Ngọc", "phone": "0902468135"}, {"name": "Lê Văn Tám", "phone": "0913572468"}]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The application's log handler (JSON) writing into a buffer for the test."""
    buffer = io.StringIO()
    handler = logs.configure("json", stream=buffer, force=True)
    yield buffer
    logging.getLogger().removeHandler(handler)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_numbers_are_masked_and_ids_attached(captured):  # type: ignore[no-untyped-def]
    log = logging.getLogger("callbot.test")
    with logs.bind(call_sid="CA" + "ab" * 16, lead_id=42):
        log.warning("Twilio refused the call: Invalid 'To' Phone Number: %s", "+84902468135")
        log.info("spaced %s, dotted %s, local %s", "090 246 8135", "0902.468.135", "0902468135")
    log.info("campaign 7 at 2026-11-25 03:00 UTC, batch 3f2a9c0d1e, attempt 12345", extra={"attempt_id": 12345})
    try:
        raise ValueError("bad number 0902468135")
    except ValueError:
        log.exception("failed for %s", "+84902468135")
    first, second, third, fourth = lines(captured)
    assert first["message"] == "Twilio refused the call: Invalid 'To' Phone Number: +8490*****35"
    assert first["level"] == "warning" and first["logger"] == "callbot.test"
    assert first["call_sid"] == "CA" + "ab" * 16 and first["lead_id"] == 42
    assert second["message"] == "spaced 09024***35, dotted 09024***35, local 09024***35"
    assert third["message"] == "campaign 7 at 2026-11-25 03:00 UTC, batch 3f2a9c0d1e, attempt 12345"  # untouched
    assert third["attempt_id"] == 12345 and "lead_id" not in third  # the bound ids ended with the block
    assert "0902468135" not in str(fourth["error"]) and "ValueError: bad number 09024***35" in str(fourth["error"])
    assert "2468135" not in captured.getvalue()


def test_text_format_appends_the_ids() -> None:
    buffer = io.StringIO()
    handler = logs.configure("text", stream=buffer, force=True)
    try:
        with logs.bind(lead_id=5, attempt_id=9):
            logging.getLogger("callbot.test").warning("lead %s: number %s", 5, "+84902468135")
    finally:
        logging.getLogger().removeHandler(handler)
    assert (
        buffer.getvalue().rstrip().endswith("WARNING callbot.test lead 5: number +8490*****35 attempt_id=9 lead_id=5")
    )


def test_configure_leaves_a_host_logging_alone() -> None:
    assert logging.getLogger().handlers  # pytest's own capture handlers
    assert logs.configure("json") is None


def test_calls_and_failures_log_no_person(captured, client, sessions, settings):  # type: ignore[no-untyped-def]
    """A whole call through the webhooks, then a dialer that cannot reach the provider: ids, never a person."""
    with sessions.begin() as s:
        campaign = make_campaign(s)
        reached, unreached = make_leads(s, campaign, PEOPLE)
    logging.getLogger("callbot").setLevel(logging.DEBUG)
    logging.getLogger("web").setLevel(logging.DEBUG)
    try:
        call_interested(client, sessions, reached.id)
        down = TwilioTelephony(
            settings.twilio_account_sid, settings.twilio_auth_token, api_base_url="http://127.0.0.1:9"
        )
        Dialer(sessions, down, settings.with_overrides(public_url="http://127.0.0.1:9"), clock=lambda: NOW).tick()
    finally:
        logging.getLogger("callbot").setLevel(logging.NOTSET)
        logging.getLogger("web").setLevel(logging.NOTSET)
    text = captured.getvalue()
    failed = [
        line for line in lines(captured) if str(line["message"]).startswith(f"call for lead {unreached.id} failed")
    ]
    assert failed and "could not reach the telephony API" in str(failed[0]["message"])
    assert failed[0]["lead_id"] == unreached.id and isinstance(failed[0]["attempt_id"], int)
    # Each webhook's line names its call, attempt, lead and campaign (the lead found from the attempt).
    webhooks = [line for line in lines(captured) if str(line["message"]).startswith("webhook ")]
    assert {str(line["message"]).split()[1] for line in webhooks} == {"voice", "gather", "status"}
    assert {(line["lead_id"], line["campaign_id"]) for line in webhooks} == {(reached.id, campaign.id)}
    assert all(line["call_sid"].startswith("CA") and isinstance(line["attempt_id"], int) for line in webhooks)
    for person in PEOPLE:
        assert person["phone"][1:] not in text  # in any form: 0902468135, +84902468135
        for word in person["name"].split():
            assert word not in text
