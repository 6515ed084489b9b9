"""The telephony adapter: one narrow interface over the official twilio client, for real Twilio or the simulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from callbot.errors import TelephonyError

if TYPE_CHECKING:
    from callbot.settings import Settings

STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")


@dataclass(frozen=True)
class CallInfo:
    """What the provider says about a call right now."""

    sid: str
    status: str
    duration: int | None
    answered_by: str | None


class Telephony(Protocol):
    """What the dialer and the panel need from a telephony provider."""

    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        fallback_url: str | None = None,
        timeout: int = 30,
        machine_detection: str | None = "Enable",
        recording_callback: str | None = None,
    ) -> str:
        """Start an outbound call and return its CallSid (recorded when `recording_callback` is given)."""
        ...

    def fetch_call(self, sid: str) -> CallInfo:
        """The provider's current view of a call."""
        ...

    def hangup(self, sid: str) -> None:
        """End a live call (or cancel one that has not been answered)."""
        ...

    def find_calls(self, *, to: str, from_: str, since: dt.datetime) -> list[CallInfo]:
        """Calls to a number from our caller id created at or after `since` (newest first)."""
        ...

    def call_recordings(self, call_sid: str) -> list[str]:
        """The RecordingSids the provider still holds for a call (deleted ones not included)."""
        ...

    def delete_recording(self, sid: str) -> bool:
        """Delete a recording at the provider: True when deleted now, False when it was already gone."""
        ...


@contextmanager
def _provider_errors(what: str) -> Iterator[None]:
    """Turn the twilio client's errors (a refusal, or no answer at all) into TelephonyError."""
    try:
        yield
    except TwilioRestException as exc:
        raise TelephonyError(f"{what}: {exc.msg}", code=exc.code, status=exc.status) from exc
    except (TwilioException, OSError) as exc:
        raise TelephonyError(f"could not reach the telephony API: {exc}") from exc


def _info(call: Any) -> CallInfo:
    duration = int(call.duration) if call.duration not in (None, "") else None
    return CallInfo(sid=str(call.sid), status=str(call.status), duration=duration, answered_by=call.answered_by)


class TwilioTelephony:
    """Telephony over twilio's REST client; `api_base_url` points it at a Twilio-compatible simulator."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ):
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_base_url:
            self._client.api.base_url = api_base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioTelephony:
        """The deployment's adapter: real Twilio, or the simulator when TWILIO_API_BASE_URL is set."""
        return cls(settings.twilio_account_sid, settings.twilio_auth_token, api_base_url=settings.twilio_api_base_url)

    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        fallback_url: str | None = None,
        timeout: int = 30,
        machine_detection: str | None = "Enable",
        recording_callback: str | None = None,
    ) -> str:
        """Create the call with every status event and (by default) answering-machine detection."""
        kwargs: dict[str, object] = {
            "to": to,
            "from_": from_,
            "url": url,
            "method": "POST",
            "status_callback": status_callback,
            "status_callback_method": "POST",
            "status_callback_event": list(STATUS_EVENTS),
            "timeout": timeout,
        }
        if fallback_url:
            kwargs["fallback_url"] = fallback_url
            kwargs["fallback_method"] = "POST"
        if machine_detection:
            kwargs["machine_detection"] = machine_detection
        if recording_callback:
            kwargs["record"] = True
            kwargs["recording_status_callback"] = recording_callback
            kwargs["recording_status_callback_method"] = "POST"
            kwargs["recording_status_callback_event"] = ["completed"]
        with _provider_errors("Twilio refused the call"):
            call = self._client.calls.create(**kwargs)
        return str(call.sid)

    def fetch_call(self, sid: str) -> CallInfo:
        """Fetch one call's status, duration and answering-machine result."""
        with _provider_errors(f"cannot fetch call {sid}"):
            call = self._client.calls(sid).fetch()
        return _info(call)

    def hangup(self, sid: str) -> None:
        """Complete the call (Twilio ends it, or cancels it when not yet answered)."""
        with _provider_errors(f"cannot hang up {sid}"):
            self._client.calls(sid).update(status="completed")

    def find_calls(self, *, to: str, from_: str, since: dt.datetime) -> list[CallInfo]:
        """List the calls to `to` from `from_` started since `since` (a crashed dialer's call it never recorded)."""
        since = since.replace(microsecond=0)  # Twilio's dates have whole seconds
        with _provider_errors(f"cannot list calls to {to}"):
            found = self._client.calls.list(to=to, from_=from_, start_time_after=since, limit=20)
        return [_info(call) for call in found if call.date_created is None or call.date_created >= since]

    def call_recordings(self, call_sid: str) -> list[str]:
        """List the recordings Twilio holds for a call (`GET Recordings.json?CallSid=`); deleted ones are left out."""
        with _provider_errors(f"cannot list the recordings of call {call_sid}"):
            found = self._client.recordings.list(call_sid=call_sid)
        return [str(recording.sid) for recording in found]

    def delete_recording(self, sid: str) -> bool:
        """Delete a recording (`DELETE Recordings/{sid}.json`); one Twilio no longer knows (404) counts as gone."""
        try:
            with _provider_errors(f"cannot delete recording {sid}"):
                self._client.recordings(sid).delete()
        except TelephonyError as exc:
            if exc.status == 404:
                return False
            raise
        return True
