"""Runs one simulated call in its own thread: ringing, answer, TwiML, status callbacks."""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from callbot.simulator.calls import API_VERSION, RECORDING_SOURCE, SimCall, SimRecording, now, recording_media_url
from callbot.simulator.personas import PERSONAS, Reply
from callbot.simulator.twiml import (
    TOTAL_TIMEOUT,
    AppError,
    CallEnded,
    Document,
    Interrupted,
    TwimlExecutor,
    parse_twiml,
    send_webhook,
)

if TYPE_CHECKING:
    from callbot.simulator.server import Simulator

MAX_DOCUMENTS = 200  # guards against Redirect loops that take no simulated time
RELEASE_WAIT = 0.25  # seconds a call waits for its create response to be sent (test clients never close it)
# Simulated seconds answering-machine detection listens before deciding.
AMD_SECONDS = {"Enable": 3.0, "DetectMessageEnd": 12.0}
TIMED_OUT = "timed out"  # the body of a webhook whose answer did not come within Twilio's budget
MAX_RETRIES = 5  # Twilio's limit for the `rc` connection override


def split_overrides(url: str) -> tuple[str, int]:
    """A webhook URL without its fragment (Twilio's connection overrides, never sent), and its retry count `rc`."""
    base, _, fragment = url.partition("#")
    raw = dict(parse_qsl(fragment)).get("rc", "0")
    retries = int(raw) if raw.isascii() and raw.isdigit() else 0
    return base, min(retries, MAX_RETRIES)


class CallRunner:
    """Drives one call in its own thread: ringing, answer, TwiML, status callbacks."""

    def __init__(self, sim: Simulator, call: SimCall, rng: random.Random) -> None:
        self.sim, self.call, self.opts, self.rng = sim, call, call.options, rng
        self.persona = PERSONAS[call.persona]
        self.clock = 0.0  # simulated seconds since the call left the queue
        self.answered_at: float | None = None
        self.replies_used = 0
        self.caller_gone = False
        self.documents = 0
        self.sequence = 0
        self.held: list[dict[str, str]] = []
        self.ringing_callback: dict[str, str] | None = None
        self.deliveries: list[threading.Timer] = []  # status callbacks sent later (callback_delay)
        self.recording: SimRecording | None = None  # Record=true: from the answer on

    def run(self) -> None:
        """Run the call to its end; never raises (failures land in call.errors)."""
        try:
            self.call.released.wait(RELEASE_WAIT)
            self._lifecycle()
        except Exception as exc:  # a simulator bug must not kill the thread silently
            self.call.errors.append(f"{type(exc).__name__}: {exc}")
            try:
                self._finish("completed" if self.answered_at is not None else "failed")
            except Exception as again:
                self.call.errors.append(f"{type(again).__name__}: {again}")
        finally:
            self._await_deliveries()
            self.sim.call_finished(self.call)

    def _lifecycle(self) -> None:
        self._emit("initiated", "initiated")
        if self.persona.answer == "busy":
            # The network reports busy before the phone ever rings.
            self._finish("canceled" if self._ring(self.persona.ring_seconds) else "busy")
            return
        self._set_status("ringing")
        self._emit("ringing", "ringing")
        unanswered = self.persona.answer == "no_answer" or self.persona.ring_seconds > self.opts.timeout
        if self._ring(self.opts.timeout if unanswered else self.persona.ring_seconds):
            self._finish("canceled")
            return
        if unanswered:
            self._finish("no-answer")
            return
        self._answer()
        try:
            if self.opts.machine_detection:
                self._detect_machine()
            TwimlExecutor(self).run(self._first_document())
        except (AppError, CallEnded):
            pass  # already in the transcript; either way Twilio ends the call as completed
        self._finish("completed")

    # --- simulated time --------------------------------------------------------------------------

    def _sleep(self, seconds: float) -> None:
        """Let simulated time pass, sleeping seconds × time_scale; a REST update or stop cuts it short."""
        real = max(0.0, seconds) * self.sim.time_scale
        started = time.monotonic()
        if real > 0 and self.call.wake.wait(real):
            self.clock += min(seconds, (time.monotonic() - started) / self.sim.time_scale)
        else:
            self.clock += max(0.0, seconds)

    def _ring(self, seconds: float) -> bool:
        """Ring for seconds; True if the call was canceled (or the simulator stopped) meanwhile."""
        end = self.clock + seconds
        while True:
            if self.call.pending_status or self.sim.stopping:
                return True
            if self.clock >= end:
                return False
            self._sleep(end - self.clock)
            if not (self.call.pending_status or self.sim.stopping):
                self.call.wake.clear()  # a redirect while ringing only changes what is fetched on answer

    def advance(self, seconds: float) -> None:
        """Let seconds pass on the live call, enforcing TimeLimit, hang-ups and redirects."""
        limit = self.opts.time_limit
        left = None if limit is None or self.answered_at is None else self.answered_at + limit - self.clock
        self._sleep(seconds if left is None else min(seconds, max(0.0, left)))
        if self.sim.stopping or self.call.pending_status:
            self.record("hangup", "simulator-stop" if self.sim.stopping else "api")
            raise CallEnded("hung up")
        if left is not None and self.clock >= self.answered_at + limit - 1e-9:  # type: ignore[operator]
            self.record("hangup", "time-limit")
            raise CallEnded("time limit")
        if self.call.pending_redirect:
            raise Interrupted()

    # --- CallHost for the TwiML executor ---------------------------------------------------------

    def checkpoint(self) -> Document | None:
        """Apply a pending REST update at a verb boundary."""
        with self.sim.lock:
            hang_up, redirect = self.call.pending_status, self.call.pending_redirect
            self.call.pending_redirect = None
            self.call.wake.clear()
        if hang_up or self.sim.stopping:
            self.record("hangup", "simulator-stop" if self.sim.stopping else "api")
            raise CallEnded("hung up")
        return self._redirect_document(redirect) if redirect else None

    def fetch(self, url: str, method: str, extra: dict[str, str], fallback: bool = True) -> Document:
        """Request TwiML from the app; on an error use FallbackUrl once, else raise AppError."""
        self.documents += 1
        if self.documents > MAX_DOCUMENTS:
            self.record("error", f"too many TwiML documents ({MAX_DOCUMENTS}): a Redirect loop?")
            raise CallEnded("document limit")
        status, body = self._send(url, method, {**self._params("in-progress"), **extra})
        try:
            if status is None and body == TIMED_OUT:
                self.clock += TOTAL_TIMEOUT  # the caller waited in silence while Twilio did
                raise AppError(11205, f"HTTP connection failure: no answer within {TOTAL_TIMEOUT:g} s")
            if status is None or status >= 400:
                raise AppError(11200, f"HTTP retrieval failure: {body if status is None else status}")
            return parse_twiml(body, url)
        except AppError as err:
            self.record("error", str(err))
            if not (fallback and self.opts.fallback_url):
                raise
            extra = {**extra, "ErrorCode": str(err.code), "ErrorUrl": url}
            return self.fetch(self.opts.fallback_url, self.opts.fallback_method, extra, fallback=False)

    def record(self, kind: str, detail: str) -> None:
        """Append to the transcript."""
        self.call.transcript.append((kind, detail))

    def next_reply(self) -> Reply:
        """The callee's next reply to a <Gather>."""
        self.replies_used += 1
        return self.persona.reply(self.replies_used - 1)

    def caller_hangs_up(self) -> bool:
        """True once, for a persona that hangs up during the first prompt."""
        if self.persona.hangs_up_during_prompt and not self.caller_gone:
            self.caller_gone = True
            return True
        return False

    def new_sid(self) -> str:
        """A fresh Call SID."""
        return f"CA{uuid.uuid4().hex}"

    def dial_outcome(self, number: str) -> str:
        """A dialled agent answers as their number's persona says: no_answer and busy ones do not pick up."""
        persona = self.sim.persona_for(number)
        return {"no_answer": "no-answer", "busy": "busy", "silent": "no-answer"}.get(persona, "completed")

    def whisper(self, url: str, method: str, leg_sid: str, number: str) -> None:
        """Request the whisper TwiML for the dialled leg (its own CallSid, the parent's in ParentCallSid)."""
        params = {
            **self._params("in-progress"),
            "CallSid": leg_sid,
            "ParentCallSid": self.call.sid,
            "Direction": "outbound-dial",
            "From": self.call.from_,
            "To": number,
            "Called": number,
        }
        params.pop("AnsweredBy", None)
        status, body = self._send(url, method, params)
        self.record("whisper", f"{status} {body[:80]}")

    # --- helpers ---------------------------------------------------------------------------------

    def _first_document(self) -> Document:
        with self.sim.lock:
            redirect, self.call.pending_redirect = self.call.pending_redirect, None
        if redirect:
            return self._redirect_document(redirect)
        if self.opts.twiml:
            return self._inline(self.opts.twiml)
        assert self.opts.url is not None
        return self.fetch(self.opts.url, self.opts.method, {})

    def _redirect_document(self, redirect: tuple[str, str, str]) -> Document:
        kind, value, method = redirect
        return self._inline(value) if kind == "twiml" else self.fetch(value, method, {})

    def _inline(self, twiml: str) -> Document:
        try:
            return parse_twiml(twiml, None)
        except AppError as err:
            self.record("error", str(err))
            raise

    def _detect_machine(self) -> None:
        try:
            self.advance(AMD_SECONDS[self.opts.machine_detection or ""] if self.persona.answer == "machine" else 2.0)
        except Interrupted:
            pass  # a redirect that arrived meanwhile is picked up as the first document

    def _set_status(self, status: str) -> None:
        self.sim.set_status(self.call, status)

    def _answer(self) -> None:
        self.answered_at = self.clock
        detection = self.opts.machine_detection
        if detection:
            machine = "machine_end_beep" if detection == "DetectMessageEnd" else "machine_start"
            self.call.answered_by = machine if self.persona.answer == "machine" else "human"
        self.call.start_time = now()
        self._set_status("in-progress")
        self._emit("answered", "in-progress")
        if self.opts.record:
            self.recording = self.sim.start_recording(self.call)
            self._recording_callback()

    def _finish(self, status: str) -> None:
        if self.call.ended:
            return
        with self.sim.lock:
            self.call.duration = 0 if self.answered_at is None else round(self.clock - self.answered_at)
            self.call.end_time = now()
        self._set_status(status)
        self._emit("completed", status)
        if self.recording is not None:
            # Twilio processes the recording once the call is over, then reports it.
            self.sim.finish_recording(self.recording, self.call.duration)
            self._recording_callback()

    def _params(self, call_status: str) -> dict[str, str]:
        call = self.call
        params = {
            "AccountSid": self.sim.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": call_status,
            "Direction": "outbound-api",
            "From": call.from_,
            "To": call.to,
            "Caller": call.from_,
            "Called": call.to,
        }
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        return params

    def _times_out(self) -> bool:
        """Whether the next webhook times out (webhook_timeouts); drawn in the call's own thread, reproducibly."""
        return bool(self.sim.webhook_timeouts) and self.rng.random() < self.sim.webhook_timeouts

    def _send(
        self, url: str, method: str, params: dict[str, str], times_out: bool | None = None
    ) -> tuple[int | None, str]:
        """Send one signed webhook; a timeout (drawn here unless given) throws the answer away after the budget."""
        url = split_overrides(url)[0]
        times_out = self._times_out() if times_out is None else times_out
        seconds = None
        if self.sim.stopping:
            status, body = None, "simulator stopped"
        else:
            started, clock = time.time(), time.perf_counter()
            status, body = send_webhook(url, method, params, self.sim.auth_token)
            seconds = time.perf_counter() - clock
            self.sim.record_webhook(started, seconds, status)
            if times_out:
                self.sim.wait_out_budget()
                status, body = None, TIMED_OUT
        self.call.requests.append(
            {
                "url": url,
                "method": method,
                "params": params,
                "status_code": status,
                "body": body,
                "timed_out": times_out,
                "seconds": seconds,  # how long the answer took (None: not sent)
            }
        )
        return status, body

    def _emit(self, event: str, call_status: str) -> None:
        """Send (or hold, when shuffling) a status callback for an event the caller asked for."""
        terminal = event == "completed"
        if not self.opts.status_callback or not (terminal or event in self.opts.events):
            return
        params = self._params(call_status)
        params.update(
            CallbackSource="call-progress-events",
            SequenceNumber=str(self.sequence),
            Timestamp=format_datetime(now()),
        )
        self.sequence += 1
        if terminal:
            # Twilio reports CallDuration in seconds and Duration in billed (rounded-up) minutes.
            params.update(CallDuration=str(self.call.duration), Duration=str(math.ceil(self.call.duration / 60)))
        if event == "ringing":
            self.ringing_callback = params
        if self.sim.shuffle_callbacks and not terminal:
            self.held.append(params)
            return
        if terminal and self.sim.shuffle_callbacks:
            self.rng.shuffle(self.held)
            for held in self.held:
                self._deliver(held)
            self.held.clear()
        self._deliver(params)
        if terminal and self.sim.shuffle_callbacks and self.ringing_callback:
            self._deliver(self.ringing_callback)  # a late duplicate, after the call is over

    def _recording_callback(self) -> None:
        """Report the recording's status to RecordingStatusCallback when the caller asked for that event."""
        recording, url = self.recording, self.opts.recording_status_callback
        if recording is None or not url or recording.status not in self.opts.recording_events:
            return
        params = {
            "AccountSid": self.sim.account_sid,
            "CallSid": self.call.sid,
            "RecordingSid": recording.sid,
            "RecordingUrl": recording_media_url(recording.sid, self.sim.account_sid, self.sim.api_base),
            "RecordingStatus": recording.status,
            "RecordingChannels": str(recording.channels),
            "RecordingSource": RECORDING_SOURCE,
            "RecordingStartTime": format_datetime(recording.start_time),
            "ErrorCode": str(recording.error_code or 0),
        }
        if recording.duration is not None:
            params["RecordingDuration"] = str(recording.duration)
        status, body = self._send(url, self.opts.recording_status_callback_method, params)
        if (status is None or status >= 400) and not self.sim.stopping:
            self.call.errors.append(f"recording callback {recording.status}: {status or body}")

    def _deliver(self, params: dict[str, str]) -> None:
        """Send a status callback (twice when duplicating): now, or after a random delay from a timer thread."""
        assert self.opts.status_callback is not None
        retries = split_overrides(self.opts.status_callback)[1]
        for _ in range(2 if self.sim.duplicate_callbacks else 1):
            # Every random draw happens here, in the call's thread, so that a seed replays the same chaos.
            timeouts = [self._times_out() for _ in range(1 + retries)]
            delay = self.rng.uniform(0, self.sim.callback_delay) if self.sim.callback_delay else 0.0
            if delay <= 0:
                self._post_callback(params, timeouts)
                continue
            timer = threading.Timer(delay, self._post_callback, args=(params, timeouts))
            timer.daemon = True
            timer.name = f"simcallback-{self.call.sid[:12]}"
            self.deliveries.append(timer)
            timer.start()

    def _post_callback(self, params: dict[str, str], timeouts: list[bool]) -> None:
        """Send one status callback, retried while no answer comes and the URL's `#rc=` allows."""
        assert self.opts.status_callback is not None
        status: int | None = None
        body = ""
        for times_out in timeouts:
            status, body = self._send(self.opts.status_callback, self.opts.status_callback_method, params, times_out)
            if status is not None or self.sim.stopping:
                break
        if (status is None or status >= 400) and not self.sim.stopping:
            lost = " (lost)" if status is None else ""
            self.call.errors.append(f"status callback {params['CallStatus']}: {status or body}{lost}")

    def _await_deliveries(self) -> None:
        """Wait for the delayed status callbacks still to be sent (dropped when the simulator stops)."""
        for timer in self.deliveries:
            while timer.is_alive():
                if self.sim.stopping:
                    timer.cancel()  # a callback already being sent finishes, the others are not sent
                timer.join(0.05)
