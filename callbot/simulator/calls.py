"""The record of a simulated call: its options, its state, and its JSON resource; the same for its recording."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

API_VERSION = "2010-04-01"
TERMINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def rfc2822(moment: datetime | None) -> str | None:
    """Format a time as Twilio does (RFC 2822), None stays None."""
    return format_datetime(moment) if moment is not None else None


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class CallOptions:
    """The parameters a call was created with."""

    to: str
    from_: str
    url: str | None
    method: str
    twiml: str | None
    fallback_url: str | None
    fallback_method: str
    status_callback: str | None
    status_callback_method: str
    events: frozenset[str]
    timeout: int
    time_limit: int | None
    machine_detection: str | None
    record: bool
    # Where and how the recording's status is reported (Record=true); events: in-progress, completed, absent.
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    recording_events: frozenset[str] = frozenset({"completed"})
    recording_channels: str = "mono"


@dataclass(eq=False)
class SimCall:
    """A simulated call: what it was asked to do and everything that happened on it."""

    sid: str
    to: str
    from_: str
    persona: str
    options: CallOptions
    status: str = "queued"
    answered_by: str | None = None
    duration: int = 0
    transcript: list[tuple[str, str]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    start_time: datetime | None = None
    end_time: datetime | None = None
    # Set by REST updates, applied by the call's thread at the next verb boundary.
    pending_status: str | None = None
    pending_redirect: tuple[str, str, str] | None = None
    wake: threading.Event = field(default_factory=threading.Event, repr=False)
    released: threading.Event = field(default_factory=threading.Event, repr=False)
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def ended(self) -> bool:
        """True once the call has a final status."""
        return self.status in TERMINAL


RECORDING_SOURCE = "OutboundAPI"  # a recording asked for with Record=true when the call was created


@dataclass(eq=False)
class SimRecording:
    """A recording of a simulated call, as Twilio keeps it: metadata here, no audio.

    Twilio records from the answer to the end of the call; the recording is `in-progress` meanwhile, then
    `completed` (or `absent` when too short, error 16101). A deleted recording keeps its metadata with the status
    `deleted` (Twilio: 40 days), visible only with `IncludeSoftDeleted=true`.
    """

    sid: str
    call_sid: str
    channels: int
    status: str = "in-progress"
    duration: int | None = None
    error_code: int | None = None
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    start_time: datetime = field(default_factory=now)

    @property
    def deleted(self) -> bool:
        """True once deleted through the API."""
        return self.status == "deleted"


TWILIO_API = "https://api.twilio.com"


def recording_media_url(recording_sid: str, account_sid: str, api_base: str = TWILIO_API) -> str:
    """Where the recording's audio is (Twilio's RecordingUrl: the resource's URI without `.json`)."""
    return f"{api_base}/{API_VERSION}/Accounts/{account_sid}/Recordings/{recording_sid}"


def recording_resource(recording: SimRecording, account_sid: str, api_base: str = TWILIO_API) -> dict[str, Any]:
    """The recording as Twilio's JSON Recording resource (`api_base`: the API's own address, for media_url)."""
    base = f"/{API_VERSION}/Accounts/{account_sid}/Recordings/{recording.sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "call_sid": recording.call_sid,
        "conference_sid": None,
        "date_created": rfc2822(recording.date_created),
        "date_updated": rfc2822(recording.date_updated),
        "start_time": rfc2822(recording.start_time),
        "duration": str(recording.duration) if recording.duration is not None else None,
        "sid": recording.sid,
        "price": None,
        "price_unit": "USD",
        "status": recording.status,
        "channels": recording.channels,
        "source": RECORDING_SOURCE,
        "error_code": recording.error_code,
        "uri": f"{base}.json",
        "encryption_details": None,
        "subresource_uris": {
            "add_on_results": f"{base}/AddOnResults.json",
            "transcriptions": f"{base}/Transcriptions.json",
        },
        "media_url": recording_media_url(recording.sid, account_sid, api_base),
    }


def resource(call: SimCall, account_sid: str) -> dict[str, Any]:
    """The call as Twilio's JSON Call resource."""
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{call.sid}"
    subresources = (
        "notifications",
        "recordings",
        "payments",
        "events",
        "siprec",
        "streams",
        "user_defined_message_subscriptions",
        "user_defined_messages",
    )
    return {
        "sid": call.sid,
        "account_sid": account_sid,
        "parent_call_sid": None,
        "to": call.to,
        "to_formatted": call.to,
        "from": call.from_,
        "from_formatted": call.from_,
        "phone_number_sid": None,
        "status": call.status,
        "date_created": rfc2822(call.date_created),
        "date_updated": rfc2822(call.date_updated),
        "start_time": rfc2822(call.start_time),
        "end_time": rfc2822(call.end_time),
        "duration": str(call.duration) if call.ended else None,
        "price": None,
        "price_unit": "USD",
        "direction": "outbound-api",
        "answered_by": call.answered_by,
        "annotation": None,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": f"{uri}.json",
        "subresource_uris": {name: f"{uri}/{name}.json" for name in subresources},
    }
