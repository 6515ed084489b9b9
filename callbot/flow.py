"""The verification call as a pure step function: (context, state, caller input) -> TwiML + new state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from callbot import when
from callbot.scripts import script_for
from scoring.text import fold_text

# Steps of the conversation; a state is at exactly one of them ("when": asking for a callback time).
IDENTITY, INTEREST, WHEN, DONE = "identity", "interest", "when", "done"
OUTCOMES = ("interested", "not_interested", "wrong_person", "callback", "opted_out", "no_input", "voicemail")
MIN_CONFIDENCE = 0.5
MAX_REPROMPTS = 1
MACHINE_ANSWERS = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")

VOICES = {"vi": ("vi-VN", "Google.vi-VN-Standard-A"), "en": ("en-US", "Google.en-US-Standard-C")}


# Voices a campaign may choose, per language (Twilio's Google voices; Vietnamese has no Amazon Polly voice).
VOICE_CHOICES = {
    "vi": tuple(f"Google.vi-VN-{kind}-{letter}" for kind in ("Standard", "Wavenet") for letter in "ABCD"),
    "en": tuple(f"Google.en-US-{kind}-{letter}" for kind in ("Standard", "Wavenet") for letter in "ACDEFGHIJ"),
}
MACHINE_ACTIONS = ("message", "hangup")


@dataclass(frozen=True)
class FlowContext:
    """What the flow knows about the call: the lead, the campaign's script and voice, and the next action URL."""

    name: str | None
    service: str | None
    company: str | None
    language: str = "vi"
    action_url: Callable[[int], str] = field(default=lambda turn: f"?turn={turn}")
    registered_at: Any = None  # a datetime, spoken as a date
    score: int | None = None
    texts: dict[str, str] | None = None  # the campaign's own texts over the default script
    voice: str | None = None  # None: the language's default voice
    audio: dict[str, str] | None = None  # text key -> URL of a recording played instead of the voice
    machine_action: str = "message"  # on an answering machine: leave the voicemail message, or hang up
    recording_notice: bool = False  # the call is recorded: say so first
    now: dt.datetime | None = None  # when the caller speaks (to understand "3 giờ chiều mai")
    timezone: str = "Asia/Ho_Chi_Minh"  # the caller's


@dataclass(frozen=True)
class FlowState:
    """Where the conversation is: step, re-prompts used at this step, and the turn counter for action URLs."""

    step: str = IDENTITY
    turn: int = 0
    reprompts: int = 0
    identity_confirmed: bool | None = None
    interest: str | None = None  # yes · no · callback
    used_speech: bool = False
    heard: tuple[str, ...] = ()  # what the caller said or keyed, in order
    callback_at: str | None = None  # ISO time the caller asked to be called back at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form for storing on the call attempt."""
        return {
            "step": self.step,
            "turn": self.turn,
            "reprompts": self.reprompts,
            "identity_confirmed": self.identity_confirmed,
            "interest": self.interest,
            "used_speech": self.used_speech,
            "heard": list(self.heard),
            "callback_at": self.callback_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FlowState:
        """Rebuild a state stored by to_dict (an empty dict gives the initial state)."""
        if not data:
            return cls()
        return cls(
            step=data.get("step", IDENTITY),
            turn=int(data.get("turn", 0)),
            reprompts=int(data.get("reprompts", 0)),
            identity_confirmed=data.get("identity_confirmed"),
            interest=data.get("interest"),
            used_speech=bool(data.get("used_speech", False)),
            heard=tuple(data.get("heard", ())),
            callback_at=data.get("callback_at"),
        )


@dataclass(frozen=True)
class Step:
    """The flow's answer to one webhook: TwiML to return, the new state and, when the call is decided, its outcome."""

    twiml: str
    state: FlowState
    outcome: str | None = None


def start(ctx: FlowContext, answered_by: str | None = None) -> Step:
    """The first TwiML when the call is answered: voicemail for machines, else greeting and identity question.

    Twilio's `unknown` (detection could not tell) is treated as a person: a person hears the questions, and a
    machine that hears them records a question instead of a message, which costs nothing but the retry.
    """
    if answered_by in MACHINE_ANSWERS:
        response = VoiceResponse()
        if answered_by != "fax" and ctx.machine_action == "message":
            _speak(response, ctx, "voicemail")
        response.hangup()
        return Step(str(response), replace(FlowState(), step=DONE), "voicemail")
    state = FlowState(turn=1)
    keys = ("recording_notice", "greeting", "identity") if ctx.recording_notice else ("greeting", "identity")
    return Step(_ask(ctx, keys, state), state)


def handle(
    ctx: FlowContext,
    state: FlowState,
    *,
    digits: str | None = None,
    speech: str | None = None,
    confidence: float | None = None,
) -> Step:
    """Take the caller's answer to the current question and move the conversation on."""
    if state.step == DONE:
        return _close(ctx, state, "goodbye", "interested" if state.interest == "yes" else None)
    intent = understand(digits, speech, confidence, step=state.step)
    heard = state.heard + ((f"digits:{digits}",) if digits else (f"speech:{speech}",) if speech else ())
    state = replace(state, heard=heard, used_speech=state.used_speech or bool(speech and not digits))
    if intent == "opt_out":
        return _close(ctx, state, "closing_opted_out", "opted_out")
    if state.step == WHEN:
        return _callback_time(ctx, state, digits, speech, confidence)
    if intent is None:
        if state.reprompts >= MAX_REPROMPTS:
            return _close(ctx, state, "closing_no_input", "no_input")
        state = replace(state, reprompts=state.reprompts + 1, turn=state.turn + 1)
        key = "reprompt_keypad" if (speech or digits) else "reprompt_silence"
        question = {IDENTITY: "identity", INTEREST: "interest"}[state.step]
        return Step(_ask(ctx, (key, question), state), state)
    if state.step == IDENTITY:
        if intent == "no":
            return _close(ctx, replace(state, identity_confirmed=False), "closing_wrong_person", "wrong_person")
        if intent == "callback":
            return _ask_when(ctx, state, speech)
        state = replace(state, identity_confirmed=True, step=INTEREST, turn=state.turn + 1, reprompts=0)
        return Step(_ask(ctx, ("reminder", "interest"), state), state)
    if intent == "yes":
        return _close(ctx, replace(state, interest="yes"), "closing_interested", "interested")
    if intent == "callback":
        return _ask_when(ctx, replace(state, interest="callback"), speech)
    return _close(ctx, replace(state, interest="no"), "closing_not_interested", "not_interested")


def _ask_when(ctx: FlowContext, state: FlowState, speech: str | None) -> Step:
    """The caller wants a callback: take the time they said, or ask for one (speech or keypad choices)."""
    if speech and ctx.now is not None:
        heard = when.read_callback_time(speech, ctx.now, ctx.timezone, ctx.language)
        if heard is not None and heard.precise:
            return _close_callback(ctx, state, heard.at)
    state = replace(state, step=WHEN, turn=state.turn + 1, reprompts=0)
    return Step(_ask(ctx, ("ask_callback_time",), state, extra=when.KEYPAD_PROMPTS.get(ctx.language)), state)


def _callback_time(
    ctx: FlowContext, state: FlowState, digits: str | None, speech: str | None, confidence: float | None
) -> Step:
    """The answer to "when shall we call back?": a keypad choice or a time said; else the campaign's delay."""
    now = ctx.now
    moment = None
    if now is not None:
        if digits:
            moment = when.callback_from_digit(digits, now, ctx.timezone)
        elif speech and (confidence is None or confidence >= MIN_CONFIDENCE):
            moment = when.parse_callback_time(speech, now, ctx.timezone, ctx.language)
    if moment is not None:
        return _close_callback(ctx, state, moment)
    if state.reprompts < MAX_REPROMPTS:
        state = replace(state, reprompts=state.reprompts + 1, turn=state.turn + 1)
        key = "reprompt_keypad" if (speech or digits) else "reprompt_silence"
        return Step(_ask(ctx, (key, "ask_callback_time"), state, extra=when.KEYPAD_PROMPTS.get(ctx.language)), state)
    return _close(ctx, state, "closing_callback", "callback")  # no time given: the campaign's callback delay


def _close_callback(ctx: FlowContext, state: FlowState, moment: dt.datetime) -> Step:
    state = replace(state, step=DONE, callback_at=moment.astimezone(dt.UTC).isoformat())
    response = VoiceResponse()
    language, voice = VOICES.get(ctx.language, VOICES["vi"])
    confirmation = when.describe_callback(moment, ctx.timezone, ctx.language, now=ctx.now)
    response.say(confirmation, voice=ctx.voice or voice, language=language)
    _speak(response, ctx, "goodbye")
    response.hangup()
    return Step(str(response), state, "callback")


def _close(ctx: FlowContext, state: FlowState, key: str, outcome: str | None) -> Step:
    response = VoiceResponse()
    _speak(response, ctx, key)
    response.hangup()
    return Step(str(response), replace(state, step=DONE), outcome)


def _ask(ctx: FlowContext, keys: tuple[str, ...], state: FlowState, extra: str | None = None) -> str:
    language, _voice = VOICES.get(ctx.language, VOICES["vi"])
    url = ctx.action_url(state.turn)
    response = VoiceResponse()
    gather = Gather(
        input="dtmf speech",
        num_digits=1,
        timeout=5,
        speech_timeout="auto",
        language=language,
        hints=script_for(ctx.language).hints,
        action=url,
        method="POST",
    )
    for key in keys:
        _speak(gather, ctx, key)
    if extra:
        gather.say(extra, voice=ctx.voice or VOICES.get(ctx.language, VOICES["vi"])[1], language=language)
    response.append(gather)
    # No input falls through the Gather: come back to the same turn without Digits, so we decide what next.
    response.redirect(url, method="POST")
    return str(response)


def transfer(ctx: FlowContext, number: str, whisper_url: str, action_url: str, timeout: int) -> str:
    """Connect an interested lead with an agent: a word to the lead, then <Dial> the agent with a whisper first."""
    response = VoiceResponse()
    _speak(response, ctx, "transfer")
    dial = Dial(action=action_url, method="POST", timeout=timeout, answer_on_bridge=True)
    dial.number(number, url=whisper_url, method="POST")
    response.append(dial)
    return str(response)


def whisper(ctx: FlowContext) -> str:
    """What the agent hears before the lead is put through: name, service and score."""
    response = VoiceResponse()
    _speak(response, ctx, "whisper")
    return str(response)


def transfer_failed(ctx: FlowContext) -> str:
    """No agent took the call: promise a callback (the lead is in the queue) and hang up."""
    response = VoiceResponse()
    _speak(response, ctx, "transfer_failed")
    response.hangup()
    return str(response)


def text_of(ctx: FlowContext, key: str) -> str:
    """What the caller hears for `key` in this call: the campaign's text (or the default) with its variables."""
    return script_for(ctx.language, ctx.texts).render(key, ctx)


def _speak(node: Any, ctx: FlowContext, key: str) -> None:
    """Say a script text in the campaign's voice, or play its recording when the campaign has one."""
    recording = (ctx.audio or {}).get(key)
    if recording:
        node.play(recording)
        return
    language, voice = VOICES.get(ctx.language, VOICES["vi"])
    node.say(text_of(ctx, key), voice=ctx.voice or voice, language=language)


# --- understanding answers -------------------------------------------------------------------------------

_DIGIT_INTENTS = {
    IDENTITY: {"1": "yes", "2": "no", "3": "callback", "9": "opt_out"},
    INTEREST: {"1": "yes", "2": "no", "3": "callback", "9": "opt_out"},
    WHEN: {"9": "opt_out"},  # the other keys are callback times (callbot.when.KEYPAD_CHOICES)
}
# Checked in this order: the more specific negatives before the bare "yes" words they contain
# ("không phải" contains "phải", "không quan tâm" contains "quan tâm").
_SPEECH_INTENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "opt_out",
        (
            "dung goi",
            "khong goi nua",
            "dung lam phien",
            "khong muon nhan cuoc goi",
            "huy dang ky",
            "stop calling",
            "do not call",
            "dont call",
            "don't call",
            "unsubscribe",
            "remove me",
        ),
    ),
    (
        "callback",
        (
            "goi lai",
            "luc khac",
            "de sau",
            "dang ban",
            "ban roi",
            "call back",
            "call me back",
            "call later",
            "later",
            "busy",
            "not now",
        ),
    ),
    (
        "no",
        (
            "khong phai",
            "nham so",
            "nham nguoi",
            "sai so",
            "khong quan tam",
            "khong can",
            "khong co nhu cau",
            "thoi",
            "khong",
            "ko",
            "wrong number",
            "wrong person",
            "not interested",
            "no thanks",
            "no",
            "nope",
        ),
    ),
    (
        "yes",
        (
            "co",
            "vang",
            "dung roi",
            "dung",
            "phai",
            "da",
            "u",
            "uh",
            "ok",
            "oke",
            "duoc",
            "quan tam",
            "chinh xac",
            "toi day",
            "yes",
            "yeah",
            "yep",
            "sure",
            "speaking",
            "interested",
            "right",
            "correct",
        ),
    ),
)


def understand(digits: str | None, speech: str | None, confidence: float | None, *, step: str) -> str | None:
    """The caller's intent (yes · no · callback · opt_out) from keypad or speech, or None when unclear."""
    if digits:
        return _DIGIT_INTENTS.get(step, {}).get(digits.strip()[:1])
    if not speech or (confidence is not None and confidence < MIN_CONFIDENCE):
        return None
    folded = f" {fold_text(speech)} "
    for intent, phrases in _SPEECH_INTENTS:
        if any(f" {phrase} " in folded for phrase in phrases):
            return intent
    return None
