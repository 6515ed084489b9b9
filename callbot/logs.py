"""Application logs: plain text or one JSON object per line (CALLBOT_LOG_FORMAT), carrying the call and lead ids of
what is being handled, and never a full phone number.

Ids come from `bind(...)` (a context variable: a webhook request, a job) or from a record's `extra`. Every message
(and traceback) passes `redact`, which masks anything shaped like a phone number the way the panel masks numbers
for viewers (web.masking.mask_phone: first five and last two characters). Names cannot be recognised in free text:
the rule is that code logs ids, never names; tests/callbot/test_logs.py checks the paths that handle people.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

# Record attributes (from `extra=` or `bind`) copied into every JSON line and appended to text lines.
CONTEXT_FIELDS = ("request_id", "call_sid", "attempt_id", "lead_id", "campaign_id", "user_id")
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("callbot_log_context", default={})  # noqa: B039
# Nine or more digits, possibly after "+" and with spaces or dots between them: a phone number as people and
# providers write it (Vietnamese numbers have 10 digits, 11 in E.164). Ids in our logs are shorter; dates use
# dashes; CallSids and batch ids mix in letters, which end a run (a run inside a word is left alone).
_NUMBER = re.compile(r"(?<![\w])\+?\d(?:[ .]?\d){8,}(?![\w])")
_MARK = "_callbot_handler"


def mask_number(number: str) -> str:
    """A phone number with its middle hidden, in the panel's shape: +8490*****67."""
    if len(number) < 9:
        return "*" * max(1, len(number) - 2) + number[-2:]
    return number[:5] + "*" * (len(number) - 7) + number[-2:]


def redact(text: str) -> str:
    """Mask every phone-number-shaped run of digits in a text."""
    return _NUMBER.sub(lambda m: mask_number(re.sub(r"[ .]", "", m.group(0))), text)


@contextmanager
def bind(**ids: Any) -> Iterator[None]:
    """Attach ids (call_sid, lead_id, …) to every log line written inside the block."""
    token = _context.set({**_context.get(), **{k: v for k, v in ids.items() if v not in (None, "")}})
    try:
        yield
    finally:
        _context.reset(token)


def bind_current(**ids: Any) -> contextvars.Token[dict[str, Any]]:
    """Like `bind`, for callers that end the scope elsewhere (a request's teardown): pass the token to `unbind`."""
    return _context.set({**_context.get(), **{k: v for k, v in ids.items() if v not in (None, "")}})


def add(**ids: Any) -> None:
    """Add ids to the current scope (one opened by `bind` or `bind_current`, which also ends them), e.g. the lead
    of a webhook once its call is found."""
    _context.set({**_context.get(), **{k: v for k, v in ids.items() if v not in (None, "")}})


def unbind(token: contextvars.Token[dict[str, Any]]) -> None:
    """End what `bind_current` began (a token of another context is ignored: its context ends with it)."""
    try:
        _context.reset(token)
    except ValueError:
        pass


class ContextFilter(logging.Filter):
    """Puts the bound ids on each record and masks phone numbers in its message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _ids(record: logging.LogRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in CONTEXT_FIELDS if getattr(record, name, None) is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the ids, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_ids(record),
        }
        if record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the ids after the message (`lead_id=12 call_sid=CA…`)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(f"{k}={v}" for k, v in _ids(record).items())
        if not ids:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} {ids}{newline}{rest}"


def configure(
    fmt: str = "text", *, level: int = logging.INFO, stream: IO[str] | None = None, force: bool = False
) -> logging.Handler | None:
    """Send the application's logs to `stream` (stderr) in `fmt` ("text" or "json"). Without `force`, does nothing
    when the root logger already has handlers (a host that configured logging itself, e.g. pytest); with it, our
    previous handler is replaced. Returns the handler installed."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _MARK, False)]
    if not force and root.handlers:
        return None
    for handler in ours:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # ten lines per API request otherwise
    return handler
