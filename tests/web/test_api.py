"""The JSON lead API: token auth, bad bodies (never a 500), verdicts as a file import gives them, speed to lead."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from callbot import compliance, dnc, intake, tokens
from callbot.dialer import Dialer
from callbot.models import ApiToken, AuditLog, Base, CallAttempt, Campaign, Lead
from callbot.simulator import Simulator
from callbot.telephony import TwilioTelephony
from tests.conftest import NOW, make_campaign, make_leads

HO_CHI_MINH_MORNING = NOW  # Wednesday 2026-11-25 10:00 in Ho Chi Minh City, a working day
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Thị", "Văn", "Minh"]
GIVEN = ["Mai", "Lan", "Hùng", "Dũng", "Hương", "Minh", "Tuấn", "Hà", "Linh", "Anh"]


@pytest.fixture
def secret(sessions) -> str:  # type: ignore[no-untyped-def]
    """A live token with the leads:write scope."""
    with sessions.begin() as s:
        return tokens.create(s, "website form", ["leads:write"], NOW).secret


@pytest.fixture
def campaign_id(sessions) -> int:  # type: ignore[no-untyped-def]
    """A running campaign under the Vietnamese rules."""
    with sessions.begin() as s:
        return make_campaign(s, "Tháng 12", preset="vn").id


def post(client, body: Any, secret: str | None, *, raw: bool = False):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if raw:
        return client.post("/api/leads", data=body, headers=headers, content_type="application/json")
    return client.post("/api/leads", json=body, headers=headers)


def lead_count(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(Lead)) or 0)


def vietnamese_leads(n: int, **fields: str) -> list[dict[str, str]]:
    """n complete, fresh leads with distinct mobile numbers and real-looking names (high pre-call scores)."""
    return [
        {
            "name": f"{SURNAMES[i % 10]} {MIDDLE[i % 3]} {GIVEN[(i // 10) % 10]}",
            "phone": f"0912{(i * 104729 + 3301) % 10**6:06d}",
            "email": f"khach.hang{i}@gmail.com",
            "service": "khóa học tiếng Anh",
            "source": "facebook",
            "registered_at": "2026-11-25 09:30",
            **fields,
        }
        for i in range(n)
    ]


# ---- authentication ---------------------------------------------------------------------------------------


def test_requests_without_a_valid_token_are_401(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    body = {"campaign": campaign_id, "lead": {"phone": "0912345678"}}
    with sessions.begin() as s:
        revoked = tokens.create(s, "old form", ["leads:write"], NOW)
        tokens.revoke(s, revoked.token.id, NOW)
    cases = {
        "no header": {},
        "empty header": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "other scheme": {"Authorization": f"Basic {secret}"},
        "unknown token": {"Authorization": "Bearer cb_" + "x" * 43},
        "not one of ours": {"Authorization": "Bearer abcdef"},
        "cut short": {"Authorization": f"Bearer {secret[:-1]}"},
        "far too long": {"Authorization": "Bearer cb_" + "x" * 5000},
        "revoked": {"Authorization": f"Bearer {revoked.secret}"},
    }
    for case, headers in cases.items():
        response = client.post("/api/leads", json=body, headers=headers)
        assert response.status_code == 401, case
        assert response.get_json()["error"] in ("invalid_token",), case
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="callbot"'), case
    assert (
        "revoked"
        in client.post("/api/leads", json=body, headers={"Authorization": f"Bearer {revoked.secret}"}).get_json()[
            "message"
        ]
    )
    assert lead_count(sessions) == 0
    # the scheme is case-insensitive, as HTTP says
    assert client.post("/api/leads", json=body, headers={"Authorization": f"bearer {secret}"}).status_code == 201


def test_a_token_without_the_scope_is_403(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        reader = tokens.create(s, "reporting", ["leads:read"], NOW).secret
    response = post(client, {"campaign": campaign_id, "lead": {"phone": "0912345678"}}, reader)
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"
    assert 'scope="leads:write"' in response.headers["WWW-Authenticate"]
    assert lead_count(sessions) == 0


def test_auth_is_checked_before_the_body(client, campaign_id):  # type: ignore[no-untyped-def]
    assert post(client, b"{not json", None, raw=True).status_code == 401


def test_the_api_needs_no_csrf_token_and_ignores_cookies(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    from tests.conftest import make_user
    from tests.web.conftest import login

    with sessions.begin() as s:
        make_user(s, "admin", "admin@example.vn")
    login(client, "admin@example.vn")  # a signed-in browser session is no API credential
    assert post(client, {"campaign": campaign_id, "lead": {"phone": "0912345678"}}, None).status_code == 401
    assert post(client, {"campaign": campaign_id, "lead": {"phone": "0912345678"}}, secret).status_code == 201


# ---- bad bodies -------------------------------------------------------------------------------------------

LEAD = {"name": "Trần Thị Mai", "phone": "0912345678"}
BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("empty body", b"", 400, "empty"),
    ("spaces only", b"   \n", 400, "empty"),
    ("not JSON", b"campaign=1&phone=0912345678", 400, "not valid JSON"),
    ("truncated JSON", b'{"campaign": 1, "leads": [', 400, "not valid JSON"),
    ("not UTF-8", b'{"campaign": "\xff\xfe\xfa"}', 400, "not valid JSON"),
    ("NaN", b'{"campaign": 1, "lead": {"phone": NaN}}', 400, "not valid JSON"),
    ("nested too deeply", b"[" * 100_000 + b"]" * 100_000, 400, "not valid JSON"),
    ("a list", [LEAD], 400, "must be a JSON object"),
    ("a string", "0912345678", 400, "must be a JSON object"),
    ("null", b"null", 400, "must be a JSON object"),
    ("no campaign", {"leads": [LEAD]}, 400, '"campaign" is missing'),
    ("campaign null", {"campaign": None, "leads": [LEAD]}, 400, '"campaign" must be'),
    ("campaign a boolean", {"campaign": True, "leads": [LEAD]}, 400, '"campaign" must be'),
    ("campaign a float", {"campaign": 1.5, "leads": [LEAD]}, 400, '"campaign" must be'),
    ("campaign a list", {"campaign": [1], "leads": [LEAD]}, 400, '"campaign" must be'),
    ("campaign empty", {"campaign": "  ", "leads": [LEAD]}, 400, '"campaign" is empty'),
    ("campaign NUL", {"campaign": "Tháng\x0012", "leads": [LEAD]}, 400, "NUL"),
    ("unknown top-level key", {"campaign": "Tháng 12", "leads": [LEAD], "priority": 9}, 400, 'unknown key "priority"'),
    ("neither leads nor lead", {"campaign": "Tháng 12"}, 400, 'either "leads"'),
    ("both leads and lead", {"campaign": "Tháng 12", "leads": [LEAD], "lead": LEAD}, 400, 'either "leads"'),
    ("leads not a list", {"campaign": "Tháng 12", "leads": LEAD}, 400, '"leads" must be a list'),
    ("leads empty", {"campaign": "Tháng 12", "leads": []}, 400, '"leads" is empty'),
    ("lead not an object", {"campaign": "Tháng 12", "leads": [LEAD, "0912345678"]}, 400, "leads[1] must be"),
    ("single lead a list", {"campaign": "Tháng 12", "lead": [LEAD]}, 400, "lead must be a lead object"),
    ("no phone key", {"campaign": "Tháng 12", "leads": [{"name": "Mai"}]}, 400, 'leads[0] has no "phone"'),
    ("nested value", {"campaign": "Tháng 12", "lead": {"phone": {"mobile": "0912"}}}, 400, 'lead."phone" must be'),
    ("list value", {"campaign": "Tháng 12", "lead": {**LEAD, "tags": ["a"]}}, 400, 'lead."tags" must be'),
    ("boolean value", {"campaign": "Tháng 12", "lead": {**LEAD, "vip": True}}, 400, 'lead."vip" must be'),
    ("empty key", {"campaign": "Tháng 12", "lead": {**LEAD, " ": "x"}}, 400, "empty key"),
    ("long key", {"campaign": "Tháng 12", "lead": {**LEAD, "k" * 101: "x"}}, 400, "longer than 100"),
    ("long value", {"campaign": "Tháng 12", "lead": {**LEAD, "note": "x" * 1001}}, 400, "longer than 1000"),
    ("long name", {"campaign": "Tháng 12", "lead": {"name": "Mai " * 60, "phone": "0912345678"}}, 400, "200"),
    # capitals can be longer than the letter ("ﬁ" → "FI"): the limit holds for the name as it would be stored
    ("name lengthened by cleaning", {"campaign": "Tháng 12", "lead": {"name": "ﬁona " * 40, "phone": "1"}}, 400, "200"),
    ("NUL in a value", {"campaign": "Tháng 12", "lead": {"name": "Mai\x00", "phone": "0912345678"}}, 400, "NUL"),
    ("lone surrogate", b'{"campaign": "Th\\u00e1ng 12", "lead": {"phone": "\\ud800"}}', 400, "not valid Unicode"),
    ("too many keys", {"campaign": "Tháng 12", "lead": {"phone": "1", **{f"k{i}": "" for i in range(50)}}}, 400, "50"),
    ("year 1", {"campaign": "Tháng 12", "lead": {"phone": "0912345678", "registered_at": "01/01/0001"}}, 400, "year"),
    ("year 9999", {"campaign": "Tháng 12", "lead": {"phone": "1", "registered_at": "9999-12-31T23:59-12:00"}}, 400, ""),
    ("bad region", {"campaign": "Tháng 12", "lead": LEAD, "region": "Vietnam"}, 400, '"region"'),
    ("unknown campaign name", {"campaign": "Tháng 13", "lead": LEAD}, 404, "no campaign named"),
    ("unknown campaign id", {"campaign": 999, "lead": LEAD}, 404, "no campaign with id 999"),
    ("negative id", {"campaign": -1, "lead": LEAD}, 404, "no campaign"),
    ("id beyond any column", {"campaign": 2**70, "lead": LEAD}, 404, "no campaign"),
    ("1001 leads", {"campaign": "Tháng 12", "leads": [LEAD] * 1001}, 413, "at most 1000"),
]


@pytest.mark.parametrize(
    ("body", "status", "message"), [case[1:] for case in BAD_BODIES], ids=[c[0] for c in BAD_BODIES]
)
def test_bad_bodies_are_refused_with_a_message(client, sessions, secret, campaign_id, body, status, message):  # type: ignore[no-untyped-def]
    response = post(client, body, secret, raw=isinstance(body, bytes))
    assert response.status_code == status, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["error"] and message in answer["message"]
    assert lead_count(sessions) == 0


def test_a_completed_campaign_takes_no_leads(client, sessions, secret):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        done = make_campaign(s, "Xong", status="completed").id
    response = post(client, {"campaign": done, "lead": LEAD}, secret)
    assert response.status_code == 409 and response.get_json()["error"] == "campaign_completed"
    assert lead_count(sessions) == 0


def test_a_body_over_the_size_limit_is_413_json(app, client, secret, campaign_id):  # type: ignore[no-untyped-def]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = post(client, {"campaign": campaign_id, "leads": [LEAD] * 50}, secret)
    assert response.status_code == 413 and response.is_json


NASTY_TEXT = [
    "",
    " ",
    "0912345678",
    "+84 912 345 678",
    "84912345678",
    "9.12345678E+08",
    "0912345678 / 0987654321",
    "+1 (212) 555-0123",
    "+999 123",
    "١٢٣٤٥٦٧٨٩٠",
    "０９１２３４５６７８",
    "9" * 999,
    "ŉ" * 100,
    "ß" * 99,
    "Nguyễn Văn A",
    "🙂🙂🙂",
    "\u202e0912345678",
    "\ufeff",
    "test@mailinator.com",
    "a@b",
    "31/02/2026",
    "01/01/1970 00:00",
    "2100-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00+14:00",
    "1/1/99999",
    "Z",
    "fb",
    "x" * 60,
    "NULL",
    "' OR 1=1 --",
]
NASTY_NUMBERS: list[Any] = [0, -1, 1.5, -0.0, 912345678, 84912345678, 2**31, 2**63, 10**30, 1e308, 5e-324]


def _nasty_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(NASTY_TEXT)
    if roll < 0.75:
        return rng.choice(NASTY_NUMBERS)
    if roll < 0.8:
        return None
    if roll < 0.85:
        return rng.choice([True, False])
    if depth > 2:
        return "deep"
    if roll < 0.93:
        return [_nasty_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(NASTY_TEXT[:8]) or "k": _nasty_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _nasty_body(rng: random.Random, campaign_id: int) -> Any:
    keys = ["name", "phone", "email", "service", "source", "registered_at", "province", "date", "mobile", "zalo"]
    if rng.random() < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
    if rng.random() < 0.1:
        return _nasty_value(rng)
    lead = {"phone": _nasty_value(rng)} if rng.random() < 0.9 else {}
    for key in rng.sample(keys, rng.randint(0, len(keys))):
        lead[key] = _nasty_value(rng)
    body: dict[str, Any] = {"campaign": rng.choice([campaign_id, campaign_id, "Tháng 12", _nasty_value(rng)])}
    if rng.random() < 0.5:
        body["lead"] = lead if rng.random() < 0.9 else _nasty_value(rng)
    else:
        body["leads"] = [lead] + [{"phone": rng.choice(NASTY_TEXT)} for _ in range(rng.randint(0, 5))]
    if rng.random() < 0.2:
        body["region"] = rng.choice(["VN", "us", "XX", 84, None])
    return body


def test_no_input_makes_a_server_error(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    rng = random.Random(20261125)
    seen: set[int] = set()
    for _ in range(150):
        body = _nasty_body(rng, campaign_id)
        if isinstance(body, bytes):
            response = post(client, body, secret, raw=True)
        else:
            response = post(client, json.dumps(body, allow_nan=True).encode(), secret, raw=True)
        assert response.status_code in (201, 400, 404, 413), (body, response.get_data(as_text=True))
        assert response.is_json and (response.status_code == 201 or response.get_json()["message"])
        seen.add(response.status_code)
    assert {201, 400} <= seen  # the inputs reached the import, not only the checks


# ---- the import -------------------------------------------------------------------------------------------

ROWS = [
    {"name": "Trần Thị Mai", "phone": "0912 345 678", "email": "mai@gmail.com", "source": "fb", "utm_campaign": "t12"},
    {"name": "Mai Trần", "phone": "+84912345678", "email": "", "source": "", "utm_campaign": ""},  # duplicate
    {"name": "test", "phone": "0987 123 456", "email": "", "source": "zalo", "utm_campaign": ""},  # suspect
    {"name": "Lê Văn Hùng", "phone": "#N/A", "email": "", "source": "", "utm_campaign": "t12"},  # junk
    {"name": "Phạm Minh Tuấn", "phone": "0912 000 333", "email": "", "source": "", "utm_campaign": ""},  # blocked
    {
        "name": "John Smith",
        "phone": "+1 212 555 0123",
        "email": "john@example.com",
        "source": "google",
        "utm_campaign": "",
    },
    {"name": "Hoàng Lan", "phone": "912345679", "email": "lan@yahoo", "source": "web", "utm_campaign": "t12"},
    {"name": "", "phone": "0000000000", "email": "", "source": "", "utm_campaign": ""},
]


def import_file_like(session, campaign: Campaign, rows: list[dict[str, str]], folder: Path) -> list[Lead]:  # type: ignore[no-untyped-def]
    """Import the rows as a CSV file through the file intake, and return the leads of that upload in file order."""
    path = folder / f"{campaign.id}-{len(list(folder.iterdir()))}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = intake.import_file(session, campaign, path, NOW)
    return list(session.scalars(sa.select(Lead).where(Lead.import_batch == report.batch).order_by(Lead.row_number)))


def test_verdicts_are_those_of_a_file_import(client, sessions, secret, tmp_path):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        api_campaign = make_campaign(s, "API").id
        file_campaign = make_campaign(s, "File")
        dnc.add(s, "+84912000333", "national_list", NOW)
        from_file = import_file_like(s, file_campaign, ROWS, tmp_path)
        again_from_file = import_file_like(s, file_campaign, ROWS, tmp_path)  # every number is held now
        expected = [(lead.verdict, lead.reasons, lead.phone_e164) for lead in from_file + again_from_file]
    assert {verdict for verdict, _, _ in expected} == {"ok", "suspect", "junk", "duplicate", "blocked"}

    answers = []
    for _ in range(2):
        response = post(client, {"campaign": "API", "leads": ROWS}, secret)
        assert response.status_code == 201, response.get_data(as_text=True)
        answers.extend(response.get_json()["leads"])
    assert [(a["verdict"], a["reasons"], a["phone_e164"]) for a in answers] == expected
    with sessions() as s:
        stored = {lead.id: lead for lead in s.scalars(sa.select(Lead).where(Lead.campaign_id == api_campaign))}
        assert [a["id"] for a in answers] == sorted(stored)  # one id per lead, in the order sent
        for answer in answers:
            lead = stored[answer["id"]]
            assert (lead.verdict, lead.reasons, lead.phone_e164) == (
                answer["verdict"],
                answer["reasons"],
                answer["phone_e164"],
            )
        first = stored[answers[0]["id"]]
        # the fields and the extra key are kept like a file's columns; a duplicate points at its first lead
        assert (first.name, first.email, first.source) == ("Trần Thị Mai", "mai@gmail.com", "facebook")
        assert first.raw["utm_campaign"] == "t12" and first.row_number == 1
        assert stored[answers[1]["id"]].duplicate_of_id == first.id


def test_one_lead_by_campaign_name_with_numbers_as_numbers(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    response = post(client, {"campaign": "Tháng 12", "lead": {"name": "Trần Thị Mai", "phone": 912345678}}, secret)
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["campaign_id"] == campaign_id
    (lead,) = answer["leads"]
    # Excel's dropped zero, as in a file
    assert (lead["verdict"], lead["phone_e164"], lead["reasons"]) == ("ok", "+84912345678", [])


def test_each_lead_records_where_and_when_it_consented(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    """The consent's source is the API client (the token's name); its time the registration the client gives, else
    the moment of the post (a form sends its lead as it is filled in)."""
    before = dt.datetime.now(dt.UTC)
    registered, live = vietnamese_leads(2)
    del live["registered_at"]
    assert post(client, {"campaign": campaign_id, "leads": [registered, live]}, secret).status_code == 201
    with sessions() as s:
        first, second = s.scalars(sa.select(Lead).order_by(Lead.row_number))
    assert first.consent_source == second.consent_source == "api: website form"
    assert first.consent_at == dt.datetime(2026, 11, 25, 2, 30, tzinfo=dt.UTC)  # 09:30 in Hồ Chí Minh City
    assert before <= second.consent_at <= dt.datetime.now(dt.UTC)


def test_known_fields_win_over_look_alike_extra_keys(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    leads = [
        {"phone": "0912345678", "date": "hôm qua", "mobile": "0000000000"},
        {"phone": "0983217845", "registered_at": "2026-11-25 09:00", "name": "Lê Văn Hùng", "Họ tên": "x"},
    ]
    response = post(client, {"campaign": campaign_id, "leads": leads}, secret)
    assert response.status_code == 201
    assert [a["verdict"] for a in response.get_json()["leads"]] == ["suspect", "ok"]
    with sessions() as s:
        first, second = s.scalars(sa.select(Lead).order_by(Lead.id))
        assert first.phone_e164 == "+84912345678" and first.raw["mobile"] == "0000000000"
        assert second.name == "Lê Văn Hùng"
        assert second.registered_at == dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def test_a_region_reads_numbers_written_without_a_country(client, secret, campaign_id):  # type: ignore[no-untyped-def]
    response = post(client, {"campaign": campaign_id, "lead": {"phone": "(212) 555-0123"}, "region": "US"}, secret)
    assert response.get_json()["leads"][0]["phone_e164"] == "+12125550123"


def test_a_number_taken_by_a_concurrent_import_becomes_a_duplicate(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    """Another transaction holds the number but has not committed: our insert waits for it, then (PostgreSQL: the
    unique index refuses it and the request imports again) the lead is a duplicate, never a server error."""
    results: list[Any] = []
    with sessions() as other:
        make_leads(other, other.get(Campaign, campaign_id), [{"name": "Trần Thị Mai", "phone": "0912345678"}])
        other.flush()
        poster = threading.Thread(
            target=lambda: results.append(post(client, {"campaign": campaign_id, "lead": LEAD}, secret))
        )
        poster.start()
        time.sleep(0.5)
        assert poster.is_alive()  # waiting on the other transaction
        other.commit()
    poster.join(30)
    (response,) = results
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["leads"][0]["verdict"] == "duplicate"


def test_audit_log_and_last_use(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    response = post(client, {"campaign": campaign_id, "leads": ROWS[:4]}, secret)
    with sessions() as s:
        token = s.scalar(sa.select(ApiToken))
        assert token.last_used_at is not None
        entry = s.scalar(sa.select(AuditLog).where(AuditLog.action == "leads_posted"))
        assert entry.detail == {
            "token_id": token.id,
            "campaign_id": campaign_id,
            "batch": response.get_json()["batch"],
            "rows": 4,
            "by_verdict": {"ok": 1, "duplicate": 1, "suspect": 1, "junk": 1},
        }


def test_logs_hold_no_personal_data(client, secret, campaign_id, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    lead = {"name": "Trần Thị Mai", "phone": "0912 345 678", "email": "mai.tran@gmail.com"}
    assert post(client, {"campaign": campaign_id, "lead": lead}, secret).status_code == 201
    assert "posted 1 leads" in caplog.text
    for personal in ("Trần", "Mai", "912345678", "345 678", "mai.tran"):
        assert personal not in caplog.text


def test_the_secret_is_stored_nowhere(client, sessions, engine, campaign_id):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        new = tokens.create(s, "website form", ["leads:write"], NOW)
    assert post(client, {"campaign": campaign_id, "lead": LEAD}, new.secret).status_code == 201
    hidden = new.secret[tokens.PREFIX_CHARS :]  # the prefix is stored on purpose, to tell tokens apart
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = " ".join(str(value) for value in row)
                assert hidden not in text and new.secret not in text, table.name
        stored = conn.execute(sa.select(ApiToken.token_hash, ApiToken.prefix)).one()
    assert stored.token_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert stored.prefix == new.secret[:10] and new.secret.startswith("cb_")


# ---- speed to lead ----------------------------------------------------------------------------------------


@pytest.fixture
def sim_url(settings):  # type: ignore[no-untyped-def]
    """The simulator with every callee ringing out; webhooks go nowhere, so the calls stay live."""
    sim = Simulator(settings.twilio_account_sid, settings.twilio_auth_token, default_mix={"no_answer": 1})
    url = sim.start()
    yield url
    sim.stop()


@pytest.fixture
def dialer_at(sessions, settings, sim_url):  # type: ignore[no-untyped-def]
    """A dialer whose clock reads the given moment, against the simulator."""

    def build(moment: dt.datetime) -> Dialer:
        s = settings.with_overrides(public_url="http://127.0.0.1:9")
        telephony = TwilioTelephony(s.twilio_account_sid, s.twilio_auth_token, api_base_url=sim_url)
        return Dialer(sessions, telephony, s, clock=lambda: moment)

    return build


def calls_in_order(sessions) -> list[int]:  # type: ignore[no-untyped-def]
    """The lead of every attempt, in the order the attempts were created."""
    with sessions() as s:
        return list(s.scalars(sa.select(CallAttempt.lead_id).order_by(CallAttempt.id)))


def waiting_campaign(sessions, n: int = 300) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    """A running campaign (Vietnamese rules) with n complete, fresh, high-scoring leads waiting to be called."""
    with sessions.begin() as s:
        campaign = make_campaign(s, "Tháng 12", preset="vn", max_concurrent_calls=3)
        leads = make_leads(s, campaign, vietnamese_leads(n))
        assert all(lead.verdict == "ok" and lead.status == "callable" for lead in leads)
        best_first = sorted(leads, key=lambda lead: (-lead.score, -lead.id))
        return campaign.id, [lead.id for lead in best_first]


def post_one_lead(client, sessions, secret: str, campaign_id: int) -> int:  # type: ignore[no-untyped-def]
    """A bare lead (name and number only: a lower score than every waiting lead) posted through the API."""
    response = post(client, {"campaign": campaign_id, "lead": {"name": "Lê Văn Hùng", "phone": "0903 217 845"}}, secret)
    assert response.status_code == 201
    lead_id = response.get_json()["leads"][0]["id"]
    with sessions() as s:
        lead = s.get(Lead, lead_id)
        waiting = s.scalar(sa.select(sa.func.min(Lead.score)).where(Lead.id != lead_id))
        assert (lead.verdict, lead.status, lead.priority) == ("ok", "callable", 1)
        assert lead.score < waiting  # only its priority puts it first
    return int(lead_id)


def test_a_lead_posted_inside_the_window_is_called_on_the_next_tick(client, sessions, secret, dialer_at):  # type: ignore[no-untyped-def]
    campaign_id, best_first = waiting_campaign(sessions)
    posted = post_one_lead(client, sessions, secret, campaign_id)
    assert dialer_at(HO_CHI_MINH_MORNING).tick() == 3  # the campaign's three lines
    assert calls_in_order(sessions) == [posted, *best_first[:2]]
    with sessions() as s:
        assert s.get(Lead, posted).priority == 0  # speed to lead is for the first call only


def test_a_lead_posted_outside_the_window_is_called_first_when_it_opens(client, sessions, secret, dialer_at):  # type: ignore[no-untyped-def]
    campaign_id, best_first = waiting_campaign(sessions)
    posted = post_one_lead(client, sessions, secret, campaign_id)
    holiday = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)  # 10:00 on Vietnamese Culture Day
    evening = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)  # 17:00, the window's end
    before_opening = dt.datetime(2026, 11, 26, 0, 59, 59, tzinfo=dt.UTC)  # 07:59:59 the next morning
    opening = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)  # 08:00
    for moment in (holiday, evening, before_opening):
        assert dialer_at(moment).tick() == 0, moment
    assert calls_in_order(sessions) == []
    with sessions() as s:
        assert compliance.next_opening(s.get(Campaign, campaign_id), None, evening) == opening
        assert s.get(Lead, posted).priority == 1  # still first in line
    assert dialer_at(opening).tick() == 3
    assert calls_in_order(sessions) == [posted, *best_first[:2]]


def test_priority_only_for_callable_leads_of_running_campaigns(client, sessions, secret):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_campaign(s, "Nháp", status="draft")
        make_campaign(s, "Tạm dừng", status="paused")
        make_campaign(s, "Đang chạy", status="running")
    for name in ("Nháp", "Tạm dừng", "Đang chạy"):
        response = post(client, {"campaign": name, "leads": ROWS[:4]}, secret)
        assert response.status_code == 201
    with sessions() as s:
        rows = s.execute(
            sa.select(Campaign.name, Lead.verdict, Lead.priority).select_from(Lead).join(Lead.campaign)
        ).all()
    first = {(name, verdict) for name, verdict, priority in rows if priority == 1}
    assert first == {("Đang chạy", "ok"), ("Đang chạy", "suspect")}


def test_foreign_numbers_get_their_own_time_zone(client, sessions, secret, campaign_id):  # type: ignore[no-untyped-def]
    leads = [{"phone": "+1 212 555 0123"}, {"phone": "0912345678"}]
    answers = post(client, {"campaign": campaign_id, "leads": leads}, secret).get_json()["leads"]
    with sessions() as s:
        us, vn = (s.get(Lead, a["id"]) for a in answers)
        assert (us.timezone, vn.timezone) == ("America/New_York", None)
        assert s.get(Campaign, campaign_id).lead_timezones == ["America/New_York"]
