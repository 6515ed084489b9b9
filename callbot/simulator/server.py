"""The simulator itself: Twilio's Calls and Recordings REST API as a small Flask app, and a thread per simulated
call."""

from __future__ import annotations

import hmac
import math
import random
import re
import threading
import time
import uuid
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from callbot.simulator.calls import (
    TERMINAL,
    TWILIO_API,
    CallOptions,
    SimCall,
    SimRecording,
    recording_resource,
    resource,
)
from callbot.simulator.personas import check_mix, check_names
from callbot.simulator.personas import persona_for as _persona_for
from callbot.simulator.runner import CallRunner
from callbot.simulator.twiml import TOTAL_TIMEOUT

API = "/2010-04-01/Accounts/<account_sid>"
_PHONE = re.compile(r"\+\d{7,15}")
_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
_DETECTION = frozenset({"Enable", "DetectMessageEnd"})
_RECORDING_EVENTS = frozenset({"in-progress", "completed", "absent"})
_RECORDING_CHANNELS = {"mono": 1, "dual": 2}


class _QuietHandler(WSGIRequestHandler):
    # Demo and test output would drown in one access-log line per webhook.
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _error(status: int, code: int, message: str) -> tuple[Response, int]:
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return jsonify({**body, "status": status}), status


def _not_found() -> tuple[Response, int]:
    return _error(404, 20404, f"The requested resource {request.path} was not found")


def _flag(name: str) -> bool:
    """A boolean query parameter as Twilio's clients send it ("true"/"false")."""
    return request.args.get(name, "").strip().lower() == "true"


def _int_param(name: str, default: int | None) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"Invalid '{name}' parameter: {raw!r}") from None


def _time_param(name: str) -> datetime | None:
    """A date filter of the Calls list ("StartTime>=2026-11-24T08:00:00Z" or a bare date), as Twilio reads it."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _options_from_form() -> CallOptions | tuple[Response, int]:
    """Validate a create-call form as Twilio does; return the options or the error response."""
    form = request.form
    to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
    url, twiml = form.get("Url", "").strip(), form.get("Twiml", "").strip()
    if not to:
        return _error(400, 21201, "No 'To' number is specified")
    if not from_:
        return _error(400, 21213, "No 'From' number is specified")
    if not url and not twiml:
        return _error(400, 21205, "Url parameter is required")
    if not _PHONE.fullmatch(to):
        return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if url and not url.startswith(("http://", "https://")):
        return _error(400, 21205, f"Url is not a valid URL: {url}")
    # The official client repeats the parameter; some callers send one space-separated value.
    events = {e for value in form.getlist("StatusCallbackEvent") for e in value.split()}
    if events - _EVENTS:
        return _error(400, 21626, "Invalid 'StatusCallbackEvent'")
    detection = form.get("MachineDetection") or None
    if detection is not None and detection not in _DETECTION:
        return _error(400, 20001, f"Invalid 'MachineDetection' parameter: {detection!r}")
    try:
        timeout = _int_param("Timeout", 60) or 60
        time_limit = _int_param("TimeLimit", None)
    except ValueError as exc:
        return _error(400, 20001, str(exc))
    recording_events = {e for value in form.getlist("RecordingStatusCallbackEvent") for e in value.split()}
    if recording_events - _RECORDING_EVENTS:
        return _error(400, 20001, "Invalid 'RecordingStatusCallbackEvent'")
    channels = (form.get("RecordingChannels") or "mono").lower()
    if channels not in _RECORDING_CHANNELS:
        return _error(400, 20001, f"Invalid 'RecordingChannels' parameter: {channels!r}")
    return CallOptions(
        to=to,
        from_=from_,
        url=url or None,
        method=(form.get("Method") or "POST").upper(),
        twiml=twiml or None,
        fallback_url=form.get("FallbackUrl") or None,
        fallback_method=(form.get("FallbackMethod") or "POST").upper(),
        status_callback=form.get("StatusCallback") or None,
        status_callback_method=(form.get("StatusCallbackMethod") or "POST").upper(),
        events=frozenset(events),
        timeout=max(1, min(timeout, 600)),  # Twilio caps the ring time at 600 s
        time_limit=time_limit,
        machine_detection=detection,
        record=form.get("Record", "").lower() == "true",
        recording_status_callback=form.get("RecordingStatusCallback") or None,
        recording_status_callback_method=(form.get("RecordingStatusCallbackMethod") or "POST").upper(),
        recording_events=frozenset(recording_events or {"completed"}),
        recording_channels=channels,
    )


def create_app(sim: Simulator) -> Flask:
    """Build the Flask app serving the subset of Twilio's REST API the project uses."""
    app = Flask("callbot.simulator")

    @app.before_request
    def authenticate() -> tuple[Response, int] | None:
        auth = request.authorization
        path_sid = (request.view_args or {}).get("account_sid", sim.account_sid)
        valid = (
            auth is not None
            and hmac.compare_digest((auth.username or "").encode(), sim.account_sid.encode())
            and hmac.compare_digest((auth.password or "").encode(), sim.auth_token.encode())
            and path_sid == sim.account_sid
        )
        return None if valid else _error(401, 20003, "Authenticate")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        if exc.code == 404:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return _error(exc.code or 500, 20001, exc.description or exc.name)

    @app.post(f"{API}/Calls.json")
    def create_call(account_sid: str) -> tuple[Response, int]:
        options = _options_from_form()
        if not isinstance(options, CallOptions):
            return options
        call = sim.create_call(options)
        if sim.api_latency:
            time.sleep(sim.api_latency)  # the call exists (and may start) before its creator hears of it
        response = jsonify(resource(call, sim.account_sid))
        # Start the call once the response is on the wire, as Twilio only dials after answering the API.
        response.call_on_close(call.released.set)
        return response, 201

    @app.get(f"{API}/Calls.json")
    def list_calls(account_sid: str) -> Response:
        wanted = {k: request.args.get(k) for k in ("To", "From", "Status") if request.args.get(k)}
        after = _time_param("StartTime>")
        found = [
            resource(c, sim.account_sid)
            for c in sim.calls.values()
            if wanted.get("To", c.to) == c.to
            and wanted.get("From", c.from_) == c.from_
            and wanted.get("Status", c.status) == c.status
            and (after is None or c.date_created >= after)
        ]
        uri = f"/2010-04-01/Accounts/{sim.account_sid}/Calls.json"
        meta = {"first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None, "uri": uri}
        return jsonify({"calls": found, "page": 0, "page_size": len(found), "start": 0, "end": len(found), **meta})

    @app.get(f"{API}/Calls/<call_sid>.json")
    def fetch_call(account_sid: str, call_sid: str) -> Response | tuple[Response, int]:
        call = sim.calls.get(call_sid)
        if call is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return jsonify(resource(call, sim.account_sid))

    @app.post(f"{API}/Calls/<call_sid>.json")
    def update_call(account_sid: str, call_sid: str) -> Response | tuple[Response, int]:
        call = sim.calls.get(call_sid)
        if call is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        status = request.form.get("Status") or None
        url, twiml = request.form.get("Url") or None, request.form.get("Twiml") or None
        if status not in (None, "completed", "canceled"):
            return _error(400, 20001, f"Invalid 'Status' parameter: {status!r}")
        if (url or twiml) and call.ended:
            return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
        sim.update_call(call, status, url, (request.form.get("Method") or "POST").upper(), twiml)
        return jsonify(resource(call, sim.account_sid))

    # Recordings: the account's list (filters CallSid, IncludeSoftDeleted), one recording, its deletion; the same
    # under the call they belong to. Deleting answers 204 and keeps the metadata as `deleted` (soft delete).
    def recordings_page(call_sid: str | None) -> Response:
        wanted = call_sid or request.args.get("CallSid")
        soft = _flag("IncludeSoftDeleted")
        found = [
            recording_resource(r, sim.account_sid, sim.api_base)
            for r in sim.recordings.values()
            if (wanted is None or r.call_sid == wanted) and (soft or not r.deleted)
        ]
        uri = request.path
        meta = {"first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None, "uri": uri}
        return jsonify({"recordings": found, "page": 0, "page_size": len(found), "start": 0, "end": len(found), **meta})

    def find_recording(sid: str, call_sid: str | None) -> SimRecording | None:
        recording = sim.recordings.get(sid)
        if recording is None or (call_sid is not None and recording.call_sid != call_sid):
            return None
        return None if recording.deleted and not _flag("IncludeSoftDeleted") else recording

    @app.get(f"{API}/Recordings.json")
    def list_recordings(account_sid: str) -> Response:
        return recordings_page(None)

    @app.get(f"{API}/Calls/<call_sid>/Recordings.json")
    def list_call_recordings(account_sid: str, call_sid: str) -> Response:
        return recordings_page(call_sid)

    @app.get(f"{API}/Recordings/<sid>.json")
    @app.get(f"{API}/Calls/<call_sid>/Recordings/<sid>.json")
    def fetch_recording(account_sid: str, sid: str, call_sid: str | None = None) -> Response | tuple[Response, int]:
        recording = find_recording(sid, call_sid)
        if recording is None:
            return _not_found()
        return jsonify(recording_resource(recording, sim.account_sid, sim.api_base))

    @app.delete(f"{API}/Recordings/<sid>.json")
    @app.delete(f"{API}/Calls/<call_sid>/Recordings/<sid>.json")
    def delete_recording(account_sid: str, sid: str, call_sid: str | None = None) -> Response | tuple[Response, int]:
        recording = sim.recordings.get(sid)
        if recording is None or (call_sid is not None and recording.call_sid != call_sid):
            return _not_found()
        if not sim.delete_recording(recording):
            return _not_found()  # deleted before: Twilio answers as for an unknown recording
        return Response(status=204)

    @app.get(f"{API}/Simulator/Stats.json")
    def stats(account_sid: str) -> Response:
        # Not a Twilio resource: the simulator's own counters, for tests and benchmarks in other processes.
        return jsonify(sim.stats().as_dict())

    @app.get(f"{API}/Simulator/Webhooks.json")
    def webhooks(account_sid: str) -> Response:
        # Not a Twilio resource either: how the webhooks the simulator sent fared (latency as the sender saw it).
        return jsonify(sim.webhook_stats().as_dict())

    return app


@dataclass(frozen=True)
class LiveStats:
    """How many calls the simulator has seen and the most that were live at once, overall and to one number.

    A call is live from its creation (the API's 201) until it has a final status; a caller that counts a call as
    live until it hears the final status callback always counts at least as many.
    """

    created: int
    live: int
    max_live: int
    max_live_per_number: int
    # Numbers that had two or more live calls at the same moment, with their highest count.
    overlapping: dict[str, int]
    # Wall-clock times (time.time()) of the first and the latest creation; None before the first call.
    first_created: float | None
    last_created: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "live": self.live,
            "max_live": self.max_live,
            "max_live_per_number": self.max_live_per_number,
            "overlapping": dict(self.overlapping),
            "first_created": self.first_created,
            "last_created": self.last_created,
        }


@dataclass(frozen=True)
class WebhookStats:
    """The webhooks the simulator sent (TwiML fetches, status callbacks, whispers): how many, how many got no
    answer or an HTTP error, and their latency in seconds as the sender measured it (connect + request + response;
    nearest-rank percentiles). A timeout the simulator injects counts with the latency the app really took.
    """

    sent: int
    failed: int
    p50: float | None
    p99: float | None
    max: float | None
    # Wall-clock times (time.time()) of the first request sent and of the latest answer received.
    first_sent: float | None
    last_answered: float | None

    @property
    def per_second(self) -> float | None:
        """Requests per second between the first request and the latest answer."""
        if not self.sent or self.first_sent is None or self.last_answered is None:
            return None
        return self.sent / max(self.last_answered - self.first_sent, 1e-9)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "p50": self.p50,
            "p99": self.p99,
            "max": self.max,
            "first_sent": self.first_sent,
            "last_answered": self.last_answered,
            "per_second": self.per_second,
        }


def _rank(ordered: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else None


class Simulator:
    """A local stand-in for Twilio Voice: the REST API plus simulated callees answering calls.

    Chaos, to test receivers (all off by default):

    - `duplicate_callbacks`: every status callback is sent twice.
    - `shuffle_callbacks`: the progress callbacks of a call are held and sent in random order with the final one,
      followed by a late repeat of "ringing".
    - `callback_delay`: every status callback (each copy) is sent after a random delay of 0 to this many real
      seconds, from its own thread, while the call goes on: callbacks overtake one another and arrive after later
      TwiML requests, even after the call is over. Not scaled by `time_scale`: it stands for the queues between
      Twilio and the app, not for the call's clock. A call counts as done (`wait_idle`) once they were all sent.
    - `webhook_timeouts`: the probability that a webhook times out. The request is sent (the app may well act on
      it) but its answer is thrown away, as if it had not come within Twilio's 15 s budget; the simulator waits
      out that budget (15 s × `time_scale` of real time; the call's clock moves 15 s) and then does what Twilio
      does: a TwiML fetch (answer URL, Gather action, Redirect, Dial action) fails with error 11205 and the
      FallbackUrl is fetched instead, with ErrorCode and ErrorUrl (itself subject to timeouts; without a usable
      fallback the call ends); a status callback is lost, unless its URL carries Twilio's connection override
      `#rc=N` (retry count, 0–5): then it is sent again, up to N more times. Of the overrides only `rc` is read,
      and a retry is made whenever no HTTP answer came (a timeout or a failed connection), never for an HTTP error
      (Twilio's `rp` policy is not modelled). The fragment is never sent, nor signed.

    `webhook_stats()` reports the latency of every webhook sent, as the sender measured it (for benchmarks).
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        personas: dict[str, str] | None = None,
        default_mix: dict[str, int] | None = None,
        time_scale: float = 0.0,
        duplicate_callbacks: bool = False,
        shuffle_callbacks: bool = False,
        seed: int = 0,
        api_latency: float = 0.0,
        callback_delay: float = 0.0,
        webhook_timeouts: float = 0.0,
    ) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        if api_latency < 0:
            raise ValueError("api_latency must be >= 0")
        if not callback_delay >= 0:
            raise ValueError("callback_delay must be >= 0")
        if not 0 <= webhook_timeouts <= 1:
            raise ValueError("webhook_timeouts is a probability, between 0 and 1")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.default_mix = check_mix(default_mix) if default_mix is not None else None
        self.time_scale = float(time_scale)
        self.duplicate_callbacks = duplicate_callbacks
        self.shuffle_callbacks = shuffle_callbacks
        # Real seconds the API takes to answer a create-call request, after the call was created (Twilio: ~0.1–0.5).
        self.api_latency = float(api_latency)
        self.callback_delay = float(callback_delay)
        self.webhook_timeouts = float(webhook_timeouts)
        self.stopping = False
        self._stopped = threading.Event()  # set with `stopping`: cuts waits short (budgets of timed-out webhooks)
        self._overrides: dict[str, str] = {}
        self._rng = random.Random(seed)
        self.lock = threading.Lock()
        self._idle = threading.Condition(self.lock)
        self._calls: dict[str, SimCall] = {}
        self._recordings: dict[str, SimRecording] = {}
        # The API's address as callers reach it (RecordingUrl, media_url): set by start(), else Twilio's.
        self.api_base = TWILIO_API
        self._threads: list[threading.Thread] = []
        self._server: BaseWSGIServer | None = None
        self._server_thread: threading.Thread | None = None
        # Statistics, changed under self.lock: live calls by CallSid (-> To) and by number, and the peaks.
        self._live: dict[str, str] = {}
        self._live_by_number: Counter[str] = Counter()
        self._max_live = 0
        self._overlapping: dict[str, int] = {}
        self._first_created: float | None = None
        self._last_created: float | None = None
        # Webhooks sent (under self.lock): latencies in seconds, failures, first request and latest answer.
        self._latencies = array("d")
        self._webhook_failures = 0
        self._first_sent: float | None = None
        self._last_answered: float | None = None
        for number, persona in (personas or {}).items():
            self.set_persona(number, persona)
        self.wsgi_app = create_app(self)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the REST API in a background thread; return its base URL."""
        if self._server is not None:
            raise RuntimeError("simulator already started")
        self._server = make_server(host, port, self.wsgi_app, threaded=True, request_handler=_QuietHandler)
        # A short poll interval lets stop() return promptly.
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="simulator-http", daemon=True
        )
        self._server_thread.start()
        self.api_base = f"http://{host}:{self._server.server_port}"
        return self.api_base

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, end running calls and wait (bounded) for their threads."""
        deadline = time.monotonic() + timeout
        self.stopping = True
        self._stopped.set()
        for call in self.calls.values():
            call.wake.set()
            call.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._server_thread is not None:
                self._server_thread.join(max(0.0, deadline - time.monotonic()))
            self._server = None
        with self.lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def set_persona(self, e164_number: str, persona: str) -> None:
        """Make every call to this number use this persona."""
        check_names([persona])
        with self.lock:
            self._overrides[e164_number] = persona

    def persona_for(self, e164_number: str) -> str:
        """The persona a call to this number gets: an override, else a deterministic draw."""
        with self.lock:
            override = self._overrides.get(e164_number)
        return override or _persona_for(e164_number, self.default_mix)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every call created so far has ended; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: all(c.done.is_set() for c in self._calls.values()), timeout)

    @property
    def calls(self) -> dict[str, SimCall]:
        """A snapshot of all calls by CallSid (the SimCall objects are live)."""
        with self.lock:
            return dict(self._calls)

    @property
    def recordings(self) -> dict[str, SimRecording]:
        """A snapshot of all recordings by RecordingSid, deleted ones included (status `deleted`)."""
        with self.lock:
            return dict(self._recordings)

    def start_recording(self, call: SimCall) -> SimRecording:
        """The call was answered with Record=true: its recording starts (from its thread)."""
        channels = 2 if call.options.recording_channels == "dual" else 1
        recording = SimRecording(sid=f"RE{uuid.uuid4().hex}", call_sid=call.sid, channels=channels)
        with self.lock:
            self._recordings[recording.sid] = recording
        return recording

    def finish_recording(self, recording: SimRecording, duration: int) -> None:
        """The call ended: the recording is `completed`, or `absent` when shorter than a second (error 16101)."""
        with self.lock:
            if recording.deleted:
                return
            recording.duration = duration
            recording.status = "completed" if duration >= 1 else "absent"
            recording.error_code = None if duration >= 1 else 16101
            recording.date_updated = datetime.now(UTC)

    def delete_recording(self, recording: SimRecording) -> bool:
        """Delete a recording (its metadata stays, status `deleted`); False when it was deleted before."""
        with self.lock:
            if recording.deleted:
                return False
            recording.status = "deleted"
            recording.date_updated = datetime.now(UTC)
            return True

    def create_call(self, options: CallOptions) -> SimCall:
        """Register a call and start its thread (it waits for the API response to be sent)."""
        call = SimCall(
            sid=f"CA{uuid.uuid4().hex}",
            to=options.to,
            from_=options.from_,
            persona=self.persona_for(options.to),
            options=options,
        )
        with self.lock:
            self._calls[call.sid] = call
            self._count_live(call)
            self._threads = [t for t in self._threads if t.is_alive()]
            runner = CallRunner(self, call, random.Random(self._rng.random()))
            thread = threading.Thread(target=runner.run, name=f"simcall-{call.sid[:12]}", daemon=True)
            self._threads.append(thread)
        thread.start()
        return call

    def update_call(self, call: SimCall, status: str | None, url: str | None, method: str, twiml: str | None) -> None:
        """Queue a REST update (hang-up, cancel, redirect); the call thread applies it."""
        with self.lock:
            before = (call.pending_status, call.pending_redirect)
            if status == "canceled" and call.status in ("queued", "ringing"):
                call.pending_status = "canceled"
            elif status == "completed" and not call.ended:
                call.pending_status = "completed"
            if url:
                call.pending_redirect = ("url", url, method)
            elif twiml:
                call.pending_redirect = ("twiml", twiml, "")
            changed = before != (call.pending_status, call.pending_redirect)
        if changed:
            call.wake.set()  # cut the current simulated wait short so the update applies promptly

    def set_status(self, call: SimCall, status: str) -> None:
        """Change a call's status (from its thread); a final status ends it for the statistics."""
        with self.lock:
            call.status = status
            call.date_updated = datetime.now(UTC)
            if status in TERMINAL:
                self._count_ended(call)

    def stats(self) -> LiveStats:
        """A snapshot of the call counts and the peaks of simultaneously live calls."""
        with self.lock:
            return LiveStats(
                created=len(self._calls),
                live=len(self._live),
                max_live=self._max_live,
                max_live_per_number=max(self._overlapping.values(), default=1 if self._calls else 0),
                overlapping=dict(self._overlapping),
                first_created=self._first_created,
                last_created=self._last_created,
            )

    @property
    def webhook_budget(self) -> float:
        """Real seconds a timed-out webhook keeps the simulator waiting: Twilio's 15 s, scaled by time_scale."""
        return TOTAL_TIMEOUT * self.time_scale

    def wait_out_budget(self) -> None:
        """Wait as Twilio waits for an answer that does not come (cut short when the simulator stops)."""
        if self.webhook_budget > 0:
            self._stopped.wait(self.webhook_budget)

    def record_webhook(self, started: float, seconds: float, status: int | None) -> None:
        """Count one webhook sent at `started` (time.time()) that took `seconds` to be answered (or to fail)."""
        with self.lock:
            self._latencies.append(seconds)
            self._webhook_failures += status is None or status >= 400
            self._first_sent = started if self._first_sent is None else min(self._first_sent, started)
            answered = started + seconds
            self._last_answered = answered if self._last_answered is None else max(self._last_answered, answered)

    def webhook_stats(self) -> WebhookStats:
        """Latency percentiles and counts of the webhooks sent since the start (or the last reset)."""
        with self.lock:
            ordered = sorted(self._latencies)
            failed, first, last = self._webhook_failures, self._first_sent, self._last_answered
        return WebhookStats(
            sent=len(ordered),
            failed=failed,
            p50=_rank(ordered, 0.50),
            p99=_rank(ordered, 0.99),
            max=ordered[-1] if ordered else None,
            first_sent=first,
            last_answered=last,
        )

    def reset_webhook_stats(self) -> None:
        """Forget the webhooks sent so far (e.g. after a warm-up)."""
        with self.lock:
            self._latencies = array("d")
            self._webhook_failures = 0
            self._first_sent = self._last_answered = None

    def _count_live(self, call: SimCall) -> None:
        """A call was created: count it live (self.lock held)."""
        moment = time.time()
        self._first_created = self._first_created if self._first_created is not None else moment
        self._last_created = moment
        self._live[call.sid] = call.to
        self._max_live = max(self._max_live, len(self._live))
        self._live_by_number[call.to] += 1
        if self._live_by_number[call.to] > 1:
            self._overlapping[call.to] = max(self._overlapping.get(call.to, 0), self._live_by_number[call.to])

    def _count_ended(self, call: SimCall) -> None:
        """A call ended (or its thread did): it is live no more (self.lock held; counted once)."""
        if self._live.pop(call.sid, None) is None:
            return
        self._live_by_number[call.to] -= 1
        if self._live_by_number[call.to] <= 0:
            del self._live_by_number[call.to]

    def call_finished(self, call: SimCall) -> None:
        """Mark a call's thread as finished and wake wait_idle()."""
        with self._idle:
            self._count_ended(call)
            call.done.set()
            self._idle.notify_all()
