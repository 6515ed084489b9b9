"""Simulated callees: how a number answers a call and what it replies to each <Gather>."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from typing import Literal

AnswerMode = Literal["human", "no_answer", "busy", "machine"]
ReplyKind = Literal["digits", "speech", "none"]


@dataclass(frozen=True)
class Reply:
    """One answer to one <Gather>: keypad digits, recognised speech, or silence."""

    kind: ReplyKind
    value: str = ""
    confidence: float = 0.0


SILENCE = Reply("none")


@dataclass(frozen=True)
class Persona:
    """How a simulated callee behaves on a call."""

    name: str
    answer: AnswerMode
    ring_seconds: int
    replies: tuple[Reply, ...] = ()
    hangs_up_during_prompt: bool = False

    def reply(self, index: int) -> Reply:
        """Return the reply to the index-th <Gather>; silence once the script runs out."""
        return self.replies[index] if 0 <= index < len(self.replies) else SILENCE


def _digits(value: str) -> Reply:
    return Reply("digits", value)


def _speech(text: str, confidence: float) -> Reply:
    return Reply("speech", text, confidence)


PERSONAS: dict[str, Persona] = {
    p.name: p
    for p in (
        Persona("interested", "human", 6, (_speech("vâng, đúng rồi", 0.91), _digits("1"))),
        Persona("not_interested", "human", 8, (_digits("1"), _speech("không quan tâm", 0.88))),
        Persona("wrong_person", "human", 5, (_speech("không phải, anh nhầm số rồi", 0.9),)),
        Persona("callback", "human", 10, (_digits("1"), _speech("bây giờ tôi đang bận, gọi lại sau nhé", 0.86))),
        Persona("opt_out", "human", 7, (_digits("1"), _digits("9"))),
        # no_answer rings until the call's Timeout, whatever its ring time says.
        Persona("no_answer", "no_answer", 0),
        Persona("busy", "busy", 2),
        # A voicemail box picks up after a long ring, like a real phone forwarding to it.
        Persona("voicemail", "machine", 20),
        Persona("hang_up", "human", 4, hangs_up_during_prompt=True),
        Persona("silent", "human", 5),
    )
}

DEFAULT_MIX: dict[str, int] = {
    "interested": 25,
    "not_interested": 15,
    "wrong_person": 8,
    "callback": 10,
    "opt_out": 4,
    "no_answer": 14,
    "busy": 6,
    "voicemail": 8,
    "hang_up": 5,
    "silent": 5,
}


def check_names(names: Iterable[object]) -> None:
    """Raise ValueError naming every persona name that does not exist."""
    unknown = sorted({str(n) for n in names} - PERSONAS.keys())
    if unknown:
        raise ValueError(f"unknown persona(s): {', '.join(unknown)}; known: {', '.join(PERSONAS)}")


def check_mix(mix: dict[str, int]) -> dict[str, int]:
    """Validate a persona mix (known names, non-negative integer weights, positive total)."""
    check_names(mix)
    for name, weight in mix.items():
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"weight of persona {name!r} must be a non-negative integer, got {weight!r}")
    if sum(mix.values()) <= 0:
        raise ValueError("persona mix weights must add up to more than zero")
    return dict(mix)


def persona_for(number: str, mix: dict[str, int] | None = None) -> str:
    """Pick a persona for a number, deterministically, from the weighted mix (DEFAULT_MIX if None)."""
    weights = check_mix(mix) if mix is not None else DEFAULT_MIX
    # hashlib, not hash(): the choice must survive interpreter restarts (PYTHONHASHSEED).
    point = int.from_bytes(hashlib.sha256(number.encode("utf-8")).digest()[:8], "big")
    point %= sum(weights.values())
    # Walk in the canonical PERSONAS order so the choice does not depend on the mix's key order.
    for name in PERSONAS:
        point -= weights.get(name, 0)
        if point < 0:
            return name
    raise AssertionError("unreachable: point is below the total weight")


def load_personas_file(path: str | PathLike[str]) -> tuple[dict[str, str], dict[str, int] | None]:
    """Read {"numbers": {number: persona}, "mix": {persona: weight}} from a JSON file."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object with 'numbers' and/or 'mix'")
    numbers = data.get("numbers") or {}
    mix = data.get("mix")
    if not isinstance(numbers, dict) or (mix is not None and not isinstance(mix, dict)):
        raise ValueError(f"{path}: 'numbers' and 'mix' must be JSON objects")
    check_names(numbers.values())
    if mix is not None:
        mix = check_mix(mix)
    return {str(k): str(v) for k, v in numbers.items()}, mix
