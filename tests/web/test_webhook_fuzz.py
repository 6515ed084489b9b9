"""Property test: no webhook request, however malformed, gets a 5xx or moves a call backwards.

Hypothesis throws requests at the Flask app through its test client:

- signed as Twilio signs (the URL the app sees + the form parameters), unsigned, empty, garbage, signed with
  another token, or signed for other parameters;
- every webhook path, near misses (trailing slash, case, suffixes, encoded NUL) and other methods;
- form fields that are random unicode, NUL, empty, huge (up to 1 MB), duplicated keys, unknown keys;
- odd query strings: `attempt=` / `turn=` as text, negative, huge, repeated, missing, undecodable;
- odd bodies: multipart, JSON, text/plain, undecodable bytes, none; an app behind a trusted proxy with random
  X-Forwarded-* headers;
- plausible Twilio callbacks (status, answer with AMD, gather turns with digits or speech, including callback
  times with absurd numbers, recording, transfer, whisper, fallback) for real attempts, in random order, repeated,
  with the CallSid of the right call, of another call or of none, and one field now and then made garbage.

Every example dials a fresh lead (a live attempt, with or without its CallSid yet) in one of three campaigns
(Vietnamese; English with recording and hang-up on machines; live transfer to two agents) and may also hit the
attempts of earlier examples. After every request: no 5xx; a POST to a webhook is 403 with nothing stored unless
correctly signed, and 200 TwiML (`<Response>`) with exactly one journal row when it is; nothing else stores
anything. The attempts the example touched never move backwards (status rank, live → ended, outcome, CallSid,
answer and end times are set once), a final status ⇔ the call has ended, and a lead is `dialing` only while its
call is live. At the end the whole database is checked once more (queue, do-not-call list, journal).

Size: at least 10,000 requests on SQLite and 3,000 on PostgreSQL (~40 s and ~25 s here; every request is two
commits, a round trip each on PostgreSQL). CALLBOT_FUZZ_REQUESTS=N sets both, for a longer hunt.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import os
import time
import traceback
import uuid
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from callbot.calls import STATUS_RANK
from callbot.models import FINAL_CALL_STATUSES, CallAttempt, CallEvent, DoNotCall, Lead, QueueItem
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, NOW, make_campaign, make_user

REQUESTS = {"sqlite": 10_000, "postgresql": 3_000}
ROUND = 200  # examples per Hypothesis run; runs repeat until enough requests were thrown
REQUEST_DEADLINE = 5.0  # seconds; a 1 MB field takes ~1 s (form parsing, signature, journal)
FUZZ = hsettings(
    max_examples=ROUND,
    deadline=None,  # per request instead (REQUEST_DEADLINE): an example may carry several 1 MB fields
    database=None,  # nothing written into the tree; a failure prints the seed to reproduce it
    phases=[Phase.generate],  # no shrinking: the database has moved on; the failing example is printed as is
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

KINDS = ("voice", "gather", "status", "fallback", "recording", "transfer", "whisper")
WEBHOOKS = frozenset(f"/twilio/{kind}" for kind in KINDS)
ODD_PATHS = (
    "/twilio/",
    "/twilio/voice/",
    "/twilio/VOICE",
    "/twilio/status.json",
    "/twilio//status",
    "/twilio/status%00",
    "/twilio/g%61ther",
    "/twilio/voice;x=1",
    "/twilio/vóice",
    "/healthz",
    "/",
)
STATUSES = ("queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled")
ANSWERED_BY = ("human", "machine_start", "machine_end_beep", "machine_end_silence", "fax", "unknown")
FIELDS = (
    "CallSid",
    "AccountSid",
    "CallStatus",
    "AnsweredBy",
    "Digits",
    "SpeechResult",
    "Confidence",
    "CallDuration",
    "Duration",
    "SequenceNumber",
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingDuration",
    "DialCallStatus",
    "DialCallSid",
    "DialCallDuration",
    "ParentCallSid",
    "ErrorCode",
    "ErrorUrl",
    "From",
    "To",
    "Direction",
)
CALLER = "+842873000000"
OTHER_TOKEN = "not-our-auth-token"


@dataclass(frozen=True)
class Ref:
    """A value known only when the example runs: `fresh_id`/`fresh_sid` (this example's attempt and CallSid),
    `old_id`/`old_sid` (an earlier example's), `leg_sid` (a new CallSid, e.g. the agent's leg of a transfer)."""

    name: str


@dataclass(frozen=True)
class Huge:
    """A long value, made when the example runs (Hypothesis would print a megabyte-long repr of it)."""

    char: str
    size: int


Value = str | Ref | Huge


@dataclass(frozen=True)
class Spec:
    """One request, with Refs for the ids and CallSids it targets."""

    method: str
    path: str
    query: tuple[tuple[str, Value], ...] | str  # pairs, or a raw query string
    form: tuple[tuple[str, Value], ...]
    body: str = "form"  # form · multipart · json · text · bytes · none
    raw: bytes = b""
    content_type: str = ""
    signature: str = "valid"  # valid · missing · empty · garbage · other-token · stale
    garbage_signature: str = ""
    proxied: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    with_file: bool = False


# --- strategies ----------------------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(-3, 40).map(str),
    st.integers(0, 10**30).map(str),
    st.sampled_from(["²", "٣", "𝟚", "0x1", "1e9", "-0", "1_000", " 7 ", "", "½"]),
)
SPEECH = st.one_of(
    st.sampled_from(
        [
            "vâng, đúng rồi",
            "có",
            "dạ vâng",
            "không phải",
            "nhầm số rồi",
            "không quan tâm",
            "gọi lại sau",
            "đừng gọi nữa",
            "yes",
            "no",
            "call me back later",
            "stop calling",
            "ừ",
            "ko",
            "gọi lại 3 giờ chiều mai",
            "tomorrow at 3pm",
        ]
    ),
    st.builds(
        str.format,
        st.sampled_from(
            [
                "gọi lại lúc {0} giờ {1}",
                "gọi lại {0} giờ chiều mai",
                "gọi lại ngày {0} tháng {1} năm {2}",
                "gọi lại {0}/{1}/{2}",
                "gọi lại {0}/{1}",
                "gọi lại sau {0} phút nữa",
                "gọi lại sau {0} tiếng",
                "gọi lại {0} ngày nữa",
                "gọi lại {0} tuần nữa",
                "gọi lại {0} tháng nữa",
                "gọi lại thứ {0} tuần sau",
                "gọi lại {0}h{1}",
                "gọi lại {0}:{1}",
                "gọi lại mùng {0} tháng sau",
                "call me back in {0} days",
                "call me back in {0} hours and {1} minutes",
                "call back at {0}:{1} pm",
                "call back on the {0}th",
                "call me back December {0}th {2}",
                "call back {0}/{1}/{2}",
                "call back in {0} weeks",
                "{0}",
            ]
        ),
        NUMBERS,
        NUMBERS,
        NUMBERS,
    ),
    st.text(max_size=40),
)
SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "CA\x00" + "0" * 30,
        "null",
        "None",
        "-1",
        "0",
        "1e999",
        "nan",
        "inf",
        "²",
        "١٢",
        "9" * 40,
        "<Response><Hangup/></Response>",
        "]]>&amp;<",
        "%00",
        "\ufeff",
        "e\u0301",
        "𝟙",
        "\r\n",
        "javascript:alert(1)",
        "https://",
        "https://api.twilio.com/" + "x" * 600,
    ]
)
HUGE = st.builds(Huge, st.sampled_from("x\x00é𝟙9 "), st.sampled_from([1_000] * 8 + [70_000] * 3 + [1_000_000]))
GARBAGE = st.one_of(
    st.sampled_from(["text"] * 24 + ["special"] * 12 + ["number"] * 6 + ["huge"]).flatmap(
        lambda kind: {"text": st.text(max_size=30), "special": SPECIAL, "number": NUMBERS, "huge": HUGE}[kind]
    )
)
REFS = st.sampled_from([Ref("fresh_id"), Ref("fresh_id"), Ref("old_id"), Ref("fresh_sid"), Ref("old_sid")])
VALUE: st.SearchStrategy[Value] = st.one_of(GARBAGE, REFS)
KEY = st.one_of(st.sampled_from(FIELDS), st.sampled_from(FIELDS), st.text(max_size=12))
QUERY_VALUE: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from([Ref("fresh_id"), Ref("old_id")]),
    st.sampled_from(["-1", "0", "2147483647", "2147483648", "9" * 40, "", "1.5", "١", " 1", "1e3", "0x10", "NaN"]),
    st.integers(-(2**40), 2**40).map(str),
    st.text(max_size=10),
)
QUERY = st.one_of(
    st.lists(st.tuples(st.sampled_from(["attempt", "turn", "attempt", "turn", "x"]), QUERY_VALUE), max_size=4).map(
        tuple
    ),
    st.sampled_from(
        [
            "%zz",
            "attempt=%ff%fe&turn=%00",
            "attempt=1&attempt=x",
            "turn=-1",
            "&&&",
            "attempt=1;turn=2",
            "attempt",
            "=1",
            "attempt=%2B1",
            "attempt=+1",
        ]
    ),
    # A request line ends at CR LF: no HTTP server hands an app a query with a raw CR or LF in it.
    st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30),
)
SIGNATURE = st.sampled_from(["valid"] * 5 + ["missing", "empty", "garbage", "other-token", "stale"])
FORWARDED = st.lists(
    st.tuples(
        st.sampled_from(
            ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix"]
        ),
        st.one_of(
            st.sampled_from(["https", "http", "callbot.example.vn", "443", "abc", "99999", "/app", "a:b:c", "[::1"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
        ),
    ),
    max_size=3,
).map(tuple)
HOSTS = st.sampled_from([(), (), (), (("Host", "127.0.0.1:5000"),), (("Host", "localhost:abc"),), (("Host", "x y"),)])
LATIN1_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)


@st.composite
def mutated(draw: st.DrawFn, fields: tuple[tuple[str, Value], ...]) -> tuple[tuple[str, Value], ...]:
    """A plausible form, now and then with a field made garbage, dropped, repeated or added."""
    form = list(fields)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        how = draw(st.sampled_from(["replace", "taint", "taint", "number", "drop", "repeat", "add"]))
        if how == "add" or not form:
            form.append((draw(KEY), draw(VALUE)))
            continue
        i = draw(st.integers(0, len(form) - 1))
        if how == "replace":
            form[i] = (form[i][0], draw(VALUE))
        elif how == "number":
            form[i] = (form[i][0], draw(NUMBERS))
        elif how == "taint" and isinstance(form[i][1], str):  # the right value with a NUL or an odd character
            odd = draw(st.sampled_from(["\x00", "\x00", "²", "\u202e", " ", "é", "\ufeff", "\n"]))
            form[i] = (form[i][0], draw(st.sampled_from([form[i][1] + odd, odd + form[i][1]])))
        elif how == "drop":
            form.pop(i)
        else:
            form.append((form[i][0], draw(VALUE)))
    return tuple(form)


def number(low: int, high: int) -> st.SearchStrategy[str]:
    """A count Twilio would send, and now and then one it would not ("²", "1e9", 10**30, -3…)."""
    return st.one_of(st.integers(low, high).map(str), st.integers(low, high).map(str), NUMBERS)


@st.composite
def plausible(draw: st.DrawFn) -> Spec:
    """A callback Twilio could send for this example's call (or an earlier one), signed."""
    kind = draw(st.sampled_from(KINDS + ("status", "status", "gather", "gather", "voice")))
    fresh = draw(st.integers(0, 5)) > 0
    target, sid = (Ref("fresh_id"), Ref("fresh_sid")) if fresh else (Ref("old_id"), Ref("old_sid"))
    if draw(st.integers(0, 11)) == 0:  # the CallSid of another call, or of none
        sid = draw(st.sampled_from([Ref("old_sid"), Ref("fresh_sid"), Ref("leg_sid"), ""]))
    form: list[tuple[str, Value]] = [
        ("CallSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", CALLER),
        ("To", "+84912345678"),
        ("Direction", "outbound-api"),
        ("ApiVersion", "2010-04-01"),
    ]
    query: list[tuple[str, Value]] = [("attempt", target)]
    status = "in-progress"
    if kind == "status":
        status = draw(st.sampled_from(STATUSES))
        form += [("SequenceNumber", draw(number(0, 5))), ("CallbackSource", "call-progress-events")]
        if status in FINAL_CALL_STATUSES:
            form += [("CallDuration", draw(number(0, 900))), ("Duration", "1")]
        if draw(st.booleans()):
            form.append(("AnsweredBy", draw(st.sampled_from(ANSWERED_BY))))
    elif kind == "voice":
        if draw(st.integers(0, 3)):
            form.append(("AnsweredBy", draw(st.sampled_from(ANSWERED_BY))))
    elif kind == "gather":
        query.append(("turn", draw(number(0, 6))))
        answer = draw(st.sampled_from(["digits", "digits", "speech", "speech", "none"]))
        if answer == "digits":
            form.append(("Digits", draw(st.sampled_from(["1", "2", "3", "9", "0", "4", "5", "#", "12", "*"]))))
        elif answer == "speech":
            form.append(("SpeechResult", draw(SPEECH)))
            form.append(("Confidence", draw(st.sampled_from(["0.93", "0.51", "0.2", "1", "0", "nan", "-1", ""]))))
    elif kind == "recording":
        rec = "RE" + uuid.UUID(int=draw(st.integers(0, 3))).hex
        form += [
            ("RecordingSid", rec),
            ("RecordingUrl", f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{rec}"),
            ("RecordingStatus", draw(st.sampled_from(["completed", "failed", "absent"]))),
            ("RecordingDuration", draw(number(0, 600))),
        ]
    elif kind == "transfer":
        form += [
            (
                "DialCallStatus",
                draw(st.sampled_from(["completed", "answered", "no-answer", "busy", "failed", "canceled"])),
            ),
            ("DialCallSid", Ref("leg_sid")),
            ("DialCallDuration", draw(number(0, 60))),
        ]
    elif kind == "whisper":
        form[0] = ("CallSid", Ref("leg_sid"))
        form += [("ParentCallSid", sid), ("Direction", "outbound-dial")]
    elif kind == "fallback":
        form += [("ErrorCode", draw(st.sampled_from(["11200", "12100", "12200"]))), ("ErrorUrl", "http://x/voice")]
    form.append(("CallStatus", status))
    return Spec("POST", f"/twilio/{kind}", tuple(query), draw(mutated(tuple(form))))


@st.composite
def garbage(draw: st.DrawFn) -> Spec:
    """Anything at all at the webhooks (and around them)."""
    method = draw(st.sampled_from(["POST"] * 8 + ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]))
    path = draw(st.sampled_from([f"/twilio/{kind}" for kind in KINDS] * 2 + list(ODD_PATHS)))
    body = draw(st.sampled_from(["form"] * 5 + ["multipart", "json", "text", "bytes", "none"]))
    signature = draw(SIGNATURE)
    proxied = draw(st.integers(0, 4)) == 0
    return Spec(
        method=method,
        path=path,
        query=draw(QUERY),
        form=tuple(draw(st.lists(st.tuples(KEY, VALUE), max_size=8))),
        body=body,
        raw=draw(st.binary(max_size=80)) if body == "bytes" else b"",
        content_type=draw(
            st.sampled_from(
                [
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                    "multipart/form-data; boundary=zz",
                    "application/xml",
                    "application/x-www-form-urlencoded; charset=latin-1",
                    "",
                ]
            )
        ),
        signature=signature,
        garbage_signature=draw(LATIN1_TEXT) if signature == "garbage" else "",
        proxied=proxied,
        headers=draw(FORWARDED) if proxied else draw(HOSTS),
        with_file=body == "multipart" and draw(st.booleans()),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, bool, int, list[Spec]]:
    """A fresh call in one of the campaigns, an earlier call, and the requests thrown at them."""
    campaign = draw(st.integers(0, 2))
    sid_known = draw(st.booleans())  # did the dialer save the CallSid before the first callback?
    old = draw(st.integers(0, 10**6))
    specs = draw(st.lists(st.one_of(plausible(), plausible(), garbage()), min_size=1, max_size=8))
    return campaign, sid_known, old, specs


# --- the world the requests land in ----------------------------------------------------------------------


@dataclass
class Call:
    attempt_id: int
    sid: str


@dataclass
class World:
    """The campaigns, the calls made so far, and counters of what was thrown."""

    sessions: Any
    engine: sa.Engine
    campaigns: list[int]
    calls: list[Call] = field(default_factory=list)
    numbers: int = 0
    thrown: int = 0
    journaled: int = 0
    mark: int = 0  # the highest journal id seen so far
    failed: bool = False

    @classmethod
    def create(cls, sessions: Any, engine: sa.Engine) -> World:
        with sessions.begin() as s:
            ids = [
                make_campaign(s, "Tiếng Việt", max_attempts=3).id,
                make_campaign(s, "English", language="en", record_calls=True, machine_action="hangup").id,
                make_campaign(s, "Chuyển máy", live_transfer=True, transfer_timeout_seconds=20).id,
            ]
            for n in range(2):
                agent = make_user(s, "telesales", f"agent{n}@example.vn")
                agent.phone, agent.available = f"+8490111220{n}", True
        return cls(sessions, engine, ids)

    def dial(self, campaign: int, sid_known: bool) -> Call:
        """What the dialer leaves behind when it places a call: the lead dialing, a live attempt."""
        self.numbers += 1
        national = f"091{self.numbers:07d}"
        sid = f"CA{uuid.uuid4().hex}"
        with self.sessions.begin() as s:
            lead = Lead(
                campaign_id=self.campaigns[campaign],
                name=f"Nguyễn Thị Lan {self.numbers}",
                phone_raw=national,
                phone_e164="+84" + national[1:],
                service="bảo hiểm",
                verdict="ok",
                status="dialing",
                attempts=1,
                registered_at=NOW - dt.timedelta(hours=2),
            )
            s.add(lead)
            s.flush()
            attempt = CallAttempt(
                lead_id=lead.id,
                campaign_id=lead.campaign_id,
                attempt_no=1,
                to_number=lead.phone_e164,
                call_sid=sid if sid_known else None,
            )
            s.add(attempt)
            s.flush()
            return Call(attempt.id, sid)


@dataclass
class Targets:
    fresh: Call
    old: Call
    leg: str = field(default_factory=lambda: f"CA{uuid.uuid4().hex}")

    def resolve(self, value: Value) -> str:
        if isinstance(value, Huge):
            return value.char * value.size
        if not isinstance(value, Ref):
            return value
        return {
            "fresh_id": str(self.fresh.attempt_id),
            "fresh_sid": self.fresh.sid,
            "old_id": str(self.old.attempt_id),
            "old_sid": self.old.sid,
            "leg_sid": self.leg,
        }[value.name]


def _request_args(spec: Spec, targets: Targets) -> dict[str, Any]:
    """The keyword arguments of EnvironBuilder / test_client.open for a spec (a fresh body every call)."""
    if isinstance(spec.query, str):
        query = spec.query
    else:
        query = urlencode([(key, targets.resolve(value)) for key, value in spec.query])
    form = MultiDict([(key, targets.resolve(value)) for key, value in spec.form])
    args: dict[str, Any] = {"path": spec.path, "query_string": query, "method": spec.method}
    if spec.body == "form":
        args["data"] = form
    elif spec.body == "multipart":
        data: MultiDict[str, Any] = MultiDict(form)
        if spec.with_file:
            data.add("file", (io.BytesIO(b"\x00\xff not a recording"), "x.wav"))
        args.update(data=data, content_type="multipart/form-data")
    elif spec.body == "json":
        args.update(data=json.dumps(form.to_dict(flat=False)), content_type="application/json")
    elif spec.body == "text":
        args.update(data=urlencode(list(form.items(multi=True))), content_type="text/plain; charset=utf-8")
    elif spec.body == "bytes":
        args.update(data=spec.raw, content_type=spec.content_type or None)
    return args


@dataclass(frozen=True)
class Seen:
    """What the app will see of a request, worked out by werkzeug alone: its path, and the URL and form Twilio
    signs; `refusal` is the status of a request nothing can be signed for (413: the form is too large to read)."""

    path: str
    url: str
    form: MultiDict[str, str]
    signable: bool
    refusal: int = 403


def _seen_by_app(args: dict[str, Any], headers: dict[str, str], proxied: bool) -> Seen:
    builder = EnvironBuilder(**args, headers=headers)
    environ = builder.get_environ()
    if proxied:
        seen: dict[str, Any] = {}

        def grab(env: dict[str, Any], start_response: Any) -> list[bytes]:
            seen.update(env)
            return []

        ProxyFix(grab, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)(environ, lambda *a: None)  # type: ignore[arg-type]
        environ = seen
    request = Request(environ)
    try:
        try:
            form = MultiDict(request.form)
        except HTTPException:  # e.g. a multipart field over werkzeug's (and Flask's) 500 kB
            return Seen(request.path, "", MultiDict(), signable=False, refusal=413)
        try:
            url = request.url
        except ValueError:  # e.g. a forwarded prefix "a:b:c" reads as a port: no URL, nothing to sign
            return Seen(request.path, "", form, signable=False)
        # A multipart part without a name is werkzeug's key None: nothing Twilio could sign.
        signable = all(isinstance(name, str) for name in form)
        return Seen(request.path, url, form if signable else MultiDict(), signable)
    finally:
        request.close()
        environ["wsgi.input"].close()
        builder.close()


def _signature(spec: Spec, seen: Seen) -> str | None:
    url, form = seen.url, seen.form
    if spec.signature == "missing":
        return None
    if spec.signature == "empty":
        return ""
    if spec.signature == "garbage":
        return spec.garbage_signature
    if spec.signature == "other-token":
        return RequestValidator(OTHER_TOKEN).compute_signature(url, form)
    if spec.signature == "stale":  # a real signature, for parameters that were then changed
        return RequestValidator(AUTH_TOKEN).compute_signature(url, MultiDict([*form.items(multi=True), ("x", "1")]))
    return RequestValidator(AUTH_TOKEN).compute_signature(url, form)


Snapshot = dict[int, tuple[Any, ...]]


def _snapshot(engine: sa.Engine, ids: set[int], mark: int) -> tuple[Snapshot, int, int]:
    """The attempts (with their leads' status), the highest journal id, and how many journal rows follow `mark`."""
    with engine.connect() as s:
        rows = s.execute(
            sa.select(
                CallAttempt.id,
                CallAttempt.status,
                CallAttempt.live,
                CallAttempt.outcome,
                CallAttempt.call_sid,
                CallAttempt.answered_at,
                CallAttempt.ended_at,
                Lead.status,
            )
            .join(Lead, Lead.id == CallAttempt.lead_id)
            .where(CallAttempt.id.in_(ids))
        ).all()
        last, since = s.execute(
            sa.select(sa.func.coalesce(sa.func.max(CallEvent.id), 0), sa.func.count()).where(CallEvent.id > mark)
        ).one()
    return {row[0]: tuple(row[1:]) for row in rows}, max(last, mark), since


DECIDED = ("queued", "not_interested", "wrong_number", "callback", "opted_out")


def _check_moves(before: Snapshot, after: Snapshot, spec: Spec) -> None:
    """Each attempt only moved forward, and its lead agrees with it."""
    for attempt_id, (status, live, outcome, sid, answered, ended, lead) in after.items():
        was_status, was_live, was_outcome, was_sid, was_answered, was_ended, was_lead = before[attempt_id]
        context = (spec, before[attempt_id], after[attempt_id])
        assert STATUS_RANK[status] >= STATUS_RANK[was_status], context
        assert live <= was_live, context  # ended calls stay ended
        for now, was in ((outcome, was_outcome), (sid, was_sid), (answered, was_answered), (ended, was_ended)):
            assert was is None or now == was, context
        assert (status in FINAL_CALL_STATUSES) == (not live) == (ended is not None), context
        assert (not live) <= (outcome is not None), context  # an ended call has an outcome
        assert (lead == "dialing") <= live, context  # a lead is dialing only while its call is live
        assert not live or lead in ("dialing", *DECIDED), context
        assert was_lead == "dialing" or lead != "dialing", context


def _open(client: Any, args: dict[str, Any], headers: dict[str, str]) -> Any:
    """Send a request, read its response and close what the request opened. The test client spools a body over
    500 kB (a multipart form with a 1 MB field) to a temporary file and closes it only when following redirects,
    not on `response.close()` (werkzeug 3.1): left to the garbage collector (the request is in a reference cycle),
    its ResourceWarning failed the hunt at random, wherever a collection ran."""
    response = client.open(**args, headers=headers, buffered=True)  # read at once, the app's iterable closed
    response.close()
    response.request.input_stream.close()
    return response


def _throw(world: World, clients: dict[bool, Any], spec: Spec, targets: Targets, before: Snapshot) -> Snapshot:
    """Send one request and check what it did; returns the attempts as they are now (the next request's before)."""
    args = _request_args(spec, targets)
    headers = dict(spec.headers)
    seen = _seen_by_app(args, headers, spec.proxied)
    signature = _signature(spec, seen)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    mark = world.mark

    started = time.perf_counter()
    response = _open(clients[spec.proxied], _request_args(spec, targets), headers)
    took = time.perf_counter() - started
    world.thrown += 1
    assert took < REQUEST_DEADLINE, (spec, took)  # e.g. a regex gone quadratic on a long answer

    status = response.status_code
    assert status < 500, (spec, status, response.get_data(as_text=True)[:500])
    webhook_post = spec.method == "POST" and seen.path in WEBHOOKS
    signed = spec.signature == "valid" and seen.signable
    after, world.mark, new = _snapshot(world.engine, set(before), mark)
    if webhook_post and signed:
        assert status == 200, (spec, status, response.get_data(as_text=True)[:500])
        assert response.mimetype == "application/xml", spec
        assert ET.fromstring(response.data).tag == "Response", spec
        assert new == 1, spec  # journaled, once
        world.journaled += 1
    else:
        if webhook_post:
            assert status == seen.refusal, (spec, status)
        assert new == 0, spec  # nothing stored
    if new == 0:
        assert after == before, spec
    _check_moves(before, after, spec)
    return after


def _check_database(world: World) -> None:
    """The whole database, once the hunt is over."""
    with world.sessions() as s:
        attempts = s.scalars(sa.select(CallAttempt)).all()
        assert len(attempts) == len(world.calls)
        for attempt in attempts:
            lead = attempt.lead
            assert (attempt.status in FINAL_CALL_STATUSES) == (not attempt.live) == (attempt.ended_at is not None)
            assert attempt.live or attempt.outcome is not None
            assert (lead.status == "dialing") <= attempt.live
            assert not attempt.live or lead.status in ("dialing", *DECIDED)
        queued = {lead_id for (lead_id,) in s.execute(sa.select(Lead.id).where(Lead.status == "queued"))}
        assert set(s.scalars(sa.select(QueueItem.lead_id))) == queued
        opted = set(s.scalars(sa.select(Lead.phone_e164).where(Lead.status == "opted_out")))
        assert set(s.scalars(sa.select(DoNotCall.phone_e164))) == opted
        events = s.execute(sa.select(CallEvent.call_sid, CallEvent.dedupe_key, CallEvent.applied, CallEvent.kind)).all()
        assert len(events) == world.journaled
        assert all(kind in KINDS for _, _, _, kind in events)
        assert all((key is not None) == applied for _, key, applied, _ in events)
        applied = [(sid, key) for sid, key, was_applied, _ in events if was_applied and sid is not None]
        assert len(applied) == len(set(applied))


def test_no_webhook_request_gets_a_5xx_or_moves_a_call_backwards(app, settings, engine, sessions, database_url):  # type: ignore[no-untyped-def]
    from web import create_app

    backend = sa.make_url(database_url).get_backend_name()
    target = int(os.environ.get("CALLBOT_FUZZ_REQUESTS") or REQUESTS[backend])
    world = World.create(sessions, engine)
    behind_proxy = create_app(settings.with_overrides(trusted_proxies=1), engine=engine)
    behind_proxy.config["TESTING"] = True
    clients = {False: app.test_client(), True: behind_proxy.test_client()}

    @FUZZ
    @given(scenarios())
    def hunt(scenario: tuple[int, bool, int, list[Spec]]) -> None:
        campaign, sid_known, old, specs = scenario
        fresh = world.dial(campaign, sid_known)
        targets = Targets(fresh, world.calls[old % len(world.calls)] if world.calls else fresh)
        world.calls.append(fresh)
        state, world.mark, _ = _snapshot(engine, {fresh.attempt_id, targets.old.attempt_id}, world.mark)
        try:
            for spec in specs:
                state = _throw(world, clients, spec, targets, state)
        except BaseException:
            if not world.failed:  # Hypothesis replays the example on a database that has moved on: keep the first
                world.failed = True
                traceback.print_exc()
            raise

    started = time.monotonic()
    while world.thrown < target:
        hunt()
    elapsed = time.monotonic() - started
    _check_database(world)
    print(f"{backend}: {world.thrown} requests ({world.journaled} journaled) in {elapsed:.1f} s")


@pytest.mark.parametrize("size", [21 * 1024 * 1024])
def test_a_body_over_the_size_limit_is_refused_not_a_crash(client, size: int) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/twilio/status?attempt=1", data={"CallSid": "x" * size})
    assert response.status_code == 413


# --- regressions: what the hunt found, pinned down ---------------------------------------------------------


def _call(sessions, sid: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """A live call of a fresh lead, its CallSid saved (`sid`) or not yet."""
    with sessions.begin() as s:
        campaign_id = make_campaign(s, f"Hồi quy {uuid.uuid4().hex[:6]}", live_transfer=True).id
    call = World(sessions, sessions.kw["bind"], [campaign_id]).dial(0, sid is not None)
    if sid is not None:
        with sessions.begin() as s:
            s.get(CallAttempt, call.attempt_id).call_sid = sid
    return call.attempt_id


def _post(client, path: str, params: dict[str, str]):  # type: ignore[no-untyped-def]
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"http://localhost{path}", params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


SID = "CA" + "7" * 32


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("voice", {"AnsweredBy": "human\x00"}),
        ("status", {"CallStatus": "completed", "AnsweredBy": "\x00", "CallDuration": "4"}),
        ("fallback", {"ErrorCode": "11200\x00", "ErrorUrl": "http://x/\x00"}),
        ("recording", {"RecordingSid": "RE\x00", "RecordingUrl": "https://x.example/\x00", "RecordingDuration": "3"}),
        ("transfer", {"DialCallStatus": "no-answer\x00"}),
        ("gather?turn=1", {"SpeechResult": "vâng\x00", "Confidence": "0.9"}),
    ],
)
def test_a_nul_in_any_field_is_stored_or_dropped_never_a_500(client, sessions, kind, params) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL's text cannot hold NUL: values we copy into columns must not carry one."""
    attempt_id = _call(sessions, sid=SID)
    path, _, query = kind.partition("?")
    response = _post(
        client, f"/twilio/{path}?attempt={attempt_id}{'&' + query if query else ''}", {"CallSid": SID, **params}
    )
    assert response.status_code == 200 and ET.fromstring(response.data).tag == "Response"


@pytest.mark.parametrize("duration", ["²", "𝟚", "٣", "1e3", "-5", "9" * 30, " 7"])
def test_a_duration_in_odd_digits_is_read_or_ignored_never_a_500(client, sessions, duration) -> None:  # type: ignore[no-untyped-def]
    """str.isdigit() is true for "²", which int() refuses."""
    attempt_id = _call(sessions, sid=SID)
    params = {
        "CallSid": SID,
        "RecordingSid": "RE1",
        "RecordingUrl": "https://x.example/r",
        "RecordingDuration": duration,
    }
    assert _post(client, f"/twilio/recording?attempt={attempt_id}", params).status_code == 200
    params = {"CallSid": SID, "CallStatus": "completed", "CallDuration": duration}
    assert _post(client, f"/twilio/status?attempt={attempt_id}", params).status_code == 200
    with sessions() as s:
        attempt = s.get(CallAttempt, attempt_id)
        assert attempt.status == "completed" and not attempt.live
        assert attempt.duration_seconds in (None, 3, 7) and attempt.recording_seconds in (None, 3, 7)


def test_a_callsid_another_attempt_holds_is_not_adopted(client, sessions) -> None:  # type: ignore[no-untyped-def]
    """Adopting it broke call_attempts.call_sid's uniqueness: an IntegrityError, a 500."""
    holder, newcomer = _call(sessions, sid=SID), _call(sessions)
    response = _post(client, f"/twilio/status?attempt={newcomer}", {"CallSid": SID, "CallStatus": "ringing"})
    assert response.status_code == 200 and b"<Hangup" in response.data  # not this attempt's call: goodbye
    with sessions() as s:
        assert s.get(CallAttempt, newcomer).call_sid is None and s.get(CallAttempt, newcomer).status == "created"
        assert s.get(CallAttempt, holder).status == "created"
    other = "CA" + "8" * 32
    assert (
        _post(client, f"/twilio/status?attempt={newcomer}", {"CallSid": other, "CallStatus": "ringing"}).status_code
        == 200
    )
    with sessions() as s:
        assert s.get(CallAttempt, newcomer).call_sid == other  # its own first news is adopted as before


def test_the_whisper_adopts_the_parent_call_not_the_agents_leg(client, sessions) -> None:  # type: ignore[no-untyped-def]
    attempt_id = _call(sessions)
    params = {"CallSid": "CA" + "9" * 32, "ParentCallSid": SID, "Direction": "outbound-dial"}
    assert _post(client, f"/twilio/whisper?attempt={attempt_id}", params).status_code == 200
    with sessions() as s:
        assert s.get(CallAttempt, attempt_id).call_sid == SID


def test_a_multipart_part_without_a_name_is_refused_not_a_crash(client, sessions) -> None:  # type: ignore[no-untyped-def]
    """werkzeug reads it as the key None, which the signature check could not sort among the names: a 500."""
    body = (
        b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
        b'--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--zz--\r\n'
    )
    response = client.post(
        "/twilio/status?attempt=1",
        data=body,
        content_type="multipart/form-data; boundary=zz",
        headers={"X-Twilio-Signature": "anything"},
    )
    assert response.status_code == 403


def test_a_forwarded_prefix_that_makes_no_url_is_refused_not_a_crash(settings, engine) -> None:  # type: ignore[no-untyped-def]
    """Behind a trusted proxy, X-Forwarded-Prefix ":x" made request.url raise ValueError (a port "x"): a 500."""
    from web import create_app

    app = create_app(settings.with_overrides(trusted_proxies=1), engine=engine)
    app.config["TESTING"] = True
    for prefix in (":x", "a:b:c"):
        response = app.test_client().post(
            "/twilio/status?attempt=1",
            data={"CallSid": SID},
            headers={"X-Forwarded-Prefix": prefix, "X-Twilio-Signature": "anything"},
        )
        assert response.status_code == 403


def test_a_body_spooled_to_a_temporary_file_is_closed_after_the_request(app, sessions, engine) -> None:  # type: ignore[no-untyped-def]
    """The test client spools a body over 500 kB (a multipart form with a 1 MB field) to a temporary file and,
    not following redirects, never closes it (werkzeug 3.1; `response.close()` does not either): collected later
    with the request's reference cycle, its ResourceWarning failed the hunt now and then, wherever GC ran."""
    world = World.create(sessions, engine)
    call = world.dial(0, True)
    spec = Spec(
        "POST", "/twilio/status", (("attempt", Ref("fresh_id")),), (("CallSid", Huge("x", 1_000_000)),), "multipart"
    )
    before, world.mark, _ = _snapshot(engine, {call.attempt_id}, world.mark)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        _throw(world, {False: app.test_client()}, spec, Targets(call, call), before)
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
