"""TwiML for the simulator: parse documents, send signed webhooks, execute verbs on a call."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from twilio.request_validator import RequestValidator

from callbot.simulator.personas import Reply

SPEECH_CHARS_PER_SECOND = 14
PLAY_SECONDS = 5
DIAL_RING_SECONDS = 5
DIAL_TALK_SECONDS = 30
CONNECT_TIMEOUT = 10.0
TOTAL_TIMEOUT = 15.0

# Verbs we simulate, with the nouns each may contain (None: content not checked, e.g. SSML in <Say>).
_VERBS: dict[str, frozenset[str] | None] = {
    "Say": None,
    "Play": frozenset(),
    "Pause": frozenset(),
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Redirect": frozenset(),
    "Hangup": frozenset(),
    "Reject": frozenset(),
    "Dial": frozenset({"Number", "Client", "Sip", "Conference", "Queue"}),
}
# Real TwiML verbs the simulator does not act out: skipped (and noted) instead of failing the call.
_SKIPPED_VERBS = frozenset(
    {
        "Record",
        "Connect",
        "Enqueue",
        "Leave",
        "Sms",
        "Message",
        "Start",
        "Stop",
        "Pay",
        "Refer",
        "Echo",
        "Queue",
    }
)


class AppError(Exception):
    """An application error Twilio would log on the call (11200 fetch failure, 12100/12200 bad TwiML)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


class CallEnded(Exception):
    """The call is over: hung up by TwiML, the callee, the REST API, its time limit or a simulator stop."""


class Interrupted(Exception):
    """A REST API update redirected the call while a verb was running: stop the verb at once."""


@dataclass(frozen=True)
class Document:
    """A parsed TwiML document and the URL it came from (None for inline TwiML)."""

    url: str | None
    verbs: tuple[ET.Element, ...]


def parse_twiml(text: str | bytes, url: str | None = None) -> Document:
    """Parse a TwiML document; raise AppError 12100 (not TwiML) or 12200 (unknown verb or noun)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise AppError(12100, f"Document parse failure: {exc}") from None
    if root.tag != "Response":
        raise AppError(12100, f"Document parse failure: root element is <{root.tag}>, not <Response>")
    for verb in root:
        if verb.tag in _SKIPPED_VERBS:
            continue
        if verb.tag not in _VERBS:
            raise AppError(12200, f"Schema validation warning: unknown verb <{verb.tag}>")
        allowed = _VERBS[verb.tag]
        for child in verb if allowed is not None else ():
            if child.tag not in allowed:
                raise AppError(12200, f"Schema validation warning: <{child.tag}> is not allowed in <{verb.tag}>")
    return Document(url, tuple(root))


def send_webhook(
    url: str, method: str, params: dict[str, str], auth_token: str, timeout: float = TOTAL_TIMEOUT
) -> tuple[int | None, str]:
    """Send a signed webhook as Twilio does; return (HTTP status, body), status None when unreachable."""
    validator = RequestValidator(auth_token)
    with requests.Session() as session:
        # Ignore proxy variables: the simulator talks to local apps only.
        session.trust_env = False
        try:
            if method.upper() == "GET":
                # Twilio puts the parameters in the query string and signs the full URL alone.
                full = url + ("&" if urlsplit(url).query else "?") + urlencode(params) if params else url
                headers = {"X-Twilio-Signature": validator.compute_signature(full, {})}
                resp = session.get(full, headers=headers, timeout=(CONNECT_TIMEOUT, timeout))
            else:
                headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
                resp = session.post(url, data=params, headers=headers, timeout=(CONNECT_TIMEOUT, timeout))
        except requests.RequestException as exc:
            return None, f"{type(exc).__name__}: {exc}"
        with resp:
            return resp.status_code, resp.text


class CallHost(Protocol):
    """What the executor needs from the running call."""

    def fetch(self, url: str, method: str, extra: dict[str, str]) -> Document:
        """Request TwiML from the app (with fallback handling); raise AppError when there is none."""
        ...

    def advance(self, seconds: float) -> None:
        """Let simulated time pass; raise CallEnded (call over) or Interrupted (redirected) meanwhile."""
        ...

    def checkpoint(self) -> Document | None:
        """At a verb boundary: raise CallEnded on a pending hang-up, return a redirect's document."""
        ...

    def record(self, kind: str, detail: str) -> None:
        """Append an entry to the call's transcript."""
        ...

    def next_reply(self) -> Reply:
        """Consume the callee's reply to the current <Gather>."""
        ...

    def caller_hangs_up(self) -> bool:
        """True if the callee hangs up now, during a prompt."""
        ...

    def new_sid(self) -> str:
        """Return a fresh Call SID (for a <Dial> leg)."""
        ...

    def dial_outcome(self, number: str) -> str:
        """How a dialled number answers: completed · no-answer · busy · failed."""
        ...

    def whisper(self, url: str, method: str, leg_sid: str, number: str) -> None:
        """Fetch the TwiML a <Number url> plays to the called party before the bridge (signed, like Twilio)."""
        ...


def _number(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


def _resolve(ref: str | None, base: str | None) -> str | None:
    if not ref:
        return base
    return urljoin(base, ref) if base else ref


class TwimlExecutor:
    """Acts out TwiML on one call, verb by verb, following Gather/Redirect/Dial to new documents."""

    def __init__(self, host: CallHost) -> None:
        self.host = host

    def run(self, doc: Document) -> None:
        """Execute doc and every document it leads to; return when the TwiML runs out."""
        current: Document | None = doc
        while current is not None:
            current = self._run_document(current)

    def _run_document(self, doc: Document) -> Document | None:
        for verb in doc.verbs:
            redirected = self.host.checkpoint()
            if redirected is not None:
                return redirected
            handler = getattr(self, f"_verb_{verb.tag.lower()}", None)
            if handler is None:
                self.host.record("skip", verb.tag)
                continue
            try:
                following = handler(verb, doc)
            except Interrupted:
                return self.host.checkpoint()
            if following is not None:
                # Twilio discards the rest of the current document once it moves to a new one.
                return following
        return self.host.checkpoint()

    def _speak(self, seconds: float) -> None:
        if self.host.caller_hangs_up():
            self.host.advance(seconds / 2)
            self.host.record("hangup", "caller")
            raise CallEnded("caller hung up")
        self.host.advance(seconds)

    def _verb_say(self, verb: ET.Element, doc: Document) -> None:
        text = _text(verb)
        self.host.record("say", text)
        loops = max(1, int(_number(verb.get("loop"), 1)))
        self._speak(max(1.0, len(text) / SPEECH_CHARS_PER_SECOND) * loops)

    def _verb_play(self, verb: ET.Element, doc: Document) -> None:
        self.host.record("play", _resolve(_text(verb), doc.url) or "")
        self._speak(PLAY_SECONDS * max(1, int(_number(verb.get("loop"), 1))))

    def _verb_pause(self, verb: ET.Element, doc: Document) -> None:
        self.host.advance(_number(verb.get("length"), 1))

    def _verb_gather(self, verb: ET.Element, doc: Document) -> Document | None:
        for prompt in verb:
            getattr(self, f"_verb_{prompt.tag.lower()}")(prompt, doc)
        if self.host.caller_hangs_up():
            self.host.record("hangup", "caller")
            raise CallEnded("caller hung up")
        inputs = set((verb.get("input") or "dtmf").lower().split())
        reply = self.host.next_reply()
        action = _resolve(verb.get("action"), doc.url)
        method = verb.get("method") or "POST"
        params: dict[str, str]
        if reply.kind == "digits" and "dtmf" in inputs:
            digits = reply.value
            finish = verb.get("finishOnKey", "#")
            if finish and finish in digits:
                digits = digits[: digits.index(finish)]
            max_digits = int(_number(verb.get("numDigits"), 0))
            digits = digits[:max_digits] if max_digits > 0 else digits
            self.host.advance(1 + len(digits))
            self.host.record("gather", f"digits={digits}")
            params = {"Digits": digits}
        elif reply.kind == "speech" and "speech" in inputs:
            self.host.advance(1 + len(reply.value) / SPEECH_CHARS_PER_SECOND)
            self.host.record("gather", f"speech={reply.value}|{reply.confidence}")
            params = {"SpeechResult": reply.value, "Confidence": str(reply.confidence)}
        else:
            # A reply the <Gather> cannot hear (e.g. speech to a dtmf-only gather) is silence.
            self.host.advance(_number(verb.get("timeout"), 5))
            self.host.record("gather", "none")
            if verb.get("actionOnEmptyResult", "").lower() != "true" or not action:
                return None
            params = {}
        return self.host.fetch(action, method, params) if action else None

    def _verb_redirect(self, verb: ET.Element, doc: Document) -> Document:
        target = _resolve(_text(verb), doc.url)
        if not target:
            raise AppError(12200, "Schema validation warning: <Redirect> without a URL")
        return self.host.fetch(target, verb.get("method") or "POST", {})

    def _verb_hangup(self, verb: ET.Element, doc: Document) -> None:
        self.host.record("hangup", "")
        raise CallEnded("hangup verb")

    def _verb_reject(self, verb: ET.Element, doc: Document) -> None:
        self.host.record("reject", verb.get("reason") or "rejected")
        raise CallEnded("reject verb")

    def _verb_dial(self, verb: ET.Element, doc: Document) -> Document | None:
        numbers = [child for child in verb if _text(child)]
        target = _text(numbers[0]) if numbers else _text(verb)
        self.host.record("dial", target)
        # Who answers the dialled leg is the persona of its number: an agent who does not pick up, or is busy.
        outcome = self.host.dial_outcome(target)
        leg = self.host.new_sid()
        talk = 0.0
        if outcome == "completed":
            self.host.advance(DIAL_RING_SECONDS)
            whisper = numbers[0].get("url") if numbers else None
            if whisper:  # the called party hears this TwiML before the two are connected
                self.host.whisper(
                    _resolve(whisper, doc.url) or whisper, numbers[0].get("method") or "POST", leg, target
                )
            talk = min(DIAL_TALK_SECONDS, _number(verb.get("timeLimit"), DIAL_TALK_SECONDS))
            self.host.advance(talk)
        else:
            self.host.advance(_number(verb.get("timeout"), 30) if outcome == "no-answer" else 1)
        action = _resolve(verb.get("action"), doc.url) if verb.get("action") else None
        if not action:
            return None
        params = {"DialCallStatus": outcome, "DialCallSid": leg, "DialCallDuration": str(int(talk))}
        return self.host.fetch(action, verb.get("method") or "POST", params)
