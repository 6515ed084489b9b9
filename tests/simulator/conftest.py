"""Fixtures for the simulator tests: a real customer app over HTTP, the simulator, the official client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.serving import WSGIRequestHandler, make_server

from callbot.simulator import Simulator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "secret-token-for-tests"
FROM = "+842873000000"

QUESTION = "Xin chào, anh có phải là anh Nam không?"
SURVEY = {
    "answer": f"""<?xml version="1.0" encoding="UTF-8"?><Response>
        <Gather input="dtmf speech" action="/g1" numDigits="1" timeout="3" language="vi-VN">
            <Say language="vi-VN" voice="Google.vi-VN-Standard-A">{QUESTION}</Say>
        </Gather>
        <Say language="vi-VN">Tạm biệt</Say></Response>""",
    "g1": """<Response><Gather input="dtmf speech" action="g2" numDigits="1">
            <Say language="vi-VN">Nhấn 1 nếu anh quan tâm</Say></Gather>
        <Say language="vi-VN">Tạm biệt</Say></Response>""",
    "g2": "<Response><Say>Cảm ơn anh</Say><Hangup/></Response>",
}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Hit:
    """One request the customer app received."""

    path: str
    method: str
    params: dict[str, str]
    valid_signature: bool


@dataclass
class CustomerApp:
    """A tiny app answering Twilio webhooks with scripted TwiML, checking every signature."""

    base: str = ""
    responses: dict[str, str | int] = field(default_factory=lambda: dict(SURVEY))
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def received(self, name: str, call_sid: str | None = None) -> list[dict[str, str]]:
        with self.lock:
            return [
                h.params
                for h in self.hits
                if h.path == name and (call_sid is None or h.params.get("CallSid") == call_sid)
            ]

    def statuses(self, call_sid: str) -> list[tuple[str, str]]:
        return [(p["CallStatus"], p["SequenceNumber"]) for p in self.received("status", call_sid)]

    def wsgi(self) -> Flask:
        app = Flask(__name__)
        validator = RequestValidator(AUTH_TOKEN)

        @app.route("/<path:name>", methods=["GET", "POST"])
        def hook(name: str) -> Response | tuple[str, int]:
            params = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
            signed = request.form if request.method == "POST" else {}
            # Twilio signs the URL exactly as requested; request.url re-decodes the query (",", ":", UTF-8).
            url = request.host_url.rstrip("/") + request.environ["RAW_URI"]
            valid = validator.validate(url, signed, request.headers.get("X-Twilio-Signature", ""))
            with self.lock:
                self.hits.append(Hit(name, request.method, params, valid))
            if name == "status":
                return "", 204
            reply = self.responses.get(name, "<Response/>")
            if isinstance(reply, int):
                return "boom", reply
            return Response(reply, mimetype="application/xml")

        return app


@pytest.fixture
def customer() -> Iterator[CustomerApp]:
    """The customer app, served on 127.0.0.1; asserts every request it got was signed correctly."""
    app = CustomerApp()
    server = make_server("127.0.0.1", 0, app.wsgi(), threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    app.base = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    server.server_close()
    thread.join(5)
    assert all(h.valid_signature for h in app.hits), [h for h in app.hits if not h.valid_signature]


def _make_sim(**options: Any) -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(ACCOUNT_SID, AUTH_TOKEN, **options)
    base_url = sim.start()
    yield sim, base_url
    sim.stop()


@pytest.fixture
def sim_options() -> dict[str, Any]:
    """Override in a test module (or parametrize) to build the simulator differently."""
    return {}


@pytest.fixture
def simulator(sim_options: dict[str, Any]) -> Iterator[tuple[Simulator, str]]:
    """A started simulator and its base URL."""
    yield from _make_sim(**sim_options)


@pytest.fixture
def sim(simulator: tuple[Simulator, str]) -> Simulator:
    return simulator[0]


@pytest.fixture
def twilio_client(simulator: tuple[Simulator, str]) -> Iterator[Client]:
    """The official Twilio client, pointed at the simulator."""
    twilio = Client(ACCOUNT_SID, AUTH_TOKEN)
    twilio.api.base_url = simulator[1]
    yield twilio
    if twilio.http_client.session is not None:  # type: ignore[attr-defined]
        twilio.http_client.session.close()  # type: ignore[attr-defined]
