"""Personas: the fixed table, deterministic assignment, the JSON file format."""

import json
from collections import Counter

import pytest

from callbot.simulator import DEFAULT_MIX, PERSONAS, Simulator, load_personas_file, persona_for
from callbot.simulator.personas import Reply

NAMES = [
    "interested",
    "not_interested",
    "wrong_person",
    "callback",
    "opt_out",
    "no_answer",
    "busy",
    "voicemail",
    "hang_up",
    "silent",
]


def test_the_ten_personas_exist_with_their_scripts():
    assert sorted(PERSONAS) == sorted(NAMES)
    assert PERSONAS["interested"].replies == (Reply("speech", "vâng, đúng rồi", 0.91), Reply("digits", "1"))
    assert PERSONAS["opt_out"].replies == (Reply("digits", "1"), Reply("digits", "9"))
    assert PERSONAS["silent"].reply(0) == Reply("none")
    assert PERSONAS["wrong_person"].reply(1) == Reply("none")  # runs out -> silence
    assert {n for n, p in PERSONAS.items() if p.answer != "human"} == {"no_answer", "busy", "voicemail"}
    assert sum(DEFAULT_MIX.values()) == 100


def test_assignment_is_deterministic_and_follows_the_weights():
    numbers = [f"+84901{i:06d}" for i in range(5000)]
    first = [persona_for(n) for n in numbers]
    assert first == [persona_for(n) for n in numbers]
    counts = Counter(first)
    for name, weight in DEFAULT_MIX.items():
        assert abs(counts[name] / len(numbers) * 100 - weight) < 2.5, (name, counts[name])
    assert {persona_for(n, {"busy": 1, "silent": 0}) for n in numbers[:50]} == {"busy"}


def test_simulator_overrides_and_mix():
    sim = Simulator("AC1", "t", personas={"+84900000001": "voicemail"}, default_mix={"callback": 3})
    assert sim.persona_for("+84900000001") == "voicemail"
    assert sim.persona_for("+84900000002") == "callback"
    sim.set_persona("+84900000002", "busy")
    assert sim.persona_for("+84900000002") == "busy"
    with pytest.raises(ValueError, match="grumpy"):
        sim.set_persona("+84900000003", "grumpy")
    with pytest.raises(ValueError, match="nobody"):
        Simulator("AC1", "t", default_mix={"nobody": 1})
    with pytest.raises(ValueError):
        Simulator("AC1", "t", default_mix={"busy": 0})


def test_load_personas_file(tmp_path):
    path = tmp_path / "personas.json"
    path.write_text(json.dumps({"numbers": {"+84901234567": "busy"}, "mix": {"interested": 50, "silent": 50}}))
    assert load_personas_file(path) == ({"+84901234567": "busy"}, {"interested": 50, "silent": 50})
    path.write_text(json.dumps({"numbers": {"+84901234567": "opt_out"}}))
    assert load_personas_file(str(path)) == ({"+84901234567": "opt_out"}, None)


def test_load_personas_file_names_the_unknown_personas(tmp_path):
    path = tmp_path / "personas.json"
    path.write_text(json.dumps({"numbers": {"+84901234567": "angry"}, "mix": {"sleepy": 1, "busy": 1}}))
    with pytest.raises(ValueError, match="angry"):
        load_personas_file(path)
    path.write_text(json.dumps({"mix": {"sleepy": 1, "busy": 1}}))
    with pytest.raises(ValueError, match="sleepy"):
        load_personas_file(path)
