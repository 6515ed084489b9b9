"""Running our WSGI apps on 127.0.0.1 in background threads (demo, tests, the simulator command)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

# Connections the kernel queues for the server before it accepts them (werkzeug's default is 128). Twilio's
# callbacks come in bursts, a call's several status callbacks at once, and the calls a dialer claims together
# start and end together: a full queue refuses connections, and the refused webhooks send calls to the fallback.
LISTEN_BACKLOG = 1024


def _not_ready(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


class QuietRequestHandler(WSGIRequestHandler):
    """Serves like werkzeug's handler but does not log every request (hundreds per demo second)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class ServerThread:
    """A threaded werkzeug server in a daemon thread; the app may be attached after the port is known."""

    def __init__(self, app: Any = None, host: str = "127.0.0.1", port: int = 0):
        self.server: BaseWSGIServer = make_server(
            host, port, app or _not_ready, threaded=True, request_handler=QuietRequestHandler
        )
        self.server.socket.listen(LISTEN_BACKLOG)  # listening already: this only deepens the queue
        self.host = host
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"wsgi-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def attach(self, app: Any) -> None:
        """Serve `app` from now on (used when the app needs the server's URL to be built)."""
        self.server.app = app

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
