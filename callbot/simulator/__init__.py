"""A local Twilio-compatible simulator: the Calls and Recordings REST API plus simulated callees (personas)."""

from callbot.simulator.calls import SimCall
from callbot.simulator.personas import (
    DEFAULT_MIX,
    PERSONAS,
    Persona,
    Reply,
    load_personas_file,
    persona_for,
)
from callbot.simulator.server import LiveStats, Simulator, WebhookStats

__all__ = [
    "DEFAULT_MIX",
    "LiveStats",
    "PERSONAS",
    "Persona",
    "Reply",
    "SimCall",
    "Simulator",
    "WebhookStats",
    "load_personas_file",
    "persona_for",
]
