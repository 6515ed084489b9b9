"""The `callbot` command line, run through click's CliRunner against a real database."""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
import warnings
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from callbot import db
from callbot.cli import main
from callbot.models import Campaign, Lead, User
from callbot.settings import REQUIRED
from tests.callbot.conftest import failed, ok

VI_HEADER = "Họ và tên,Số điện thoại,Email\n"
VI_ROWS = (
    "Trần Thị Mai,0912345678,mai.tran@gmail.com\nNguyễn Văn Nam,0903123456,\ntest,#N/A,\nMai Trần,+84 912 345 678,\n"
)


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of a click group, as argument paths."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


# --- help -----------------------------------------------------------------------------------------------


def test_the_command_tree_is_what_we_document() -> None:
    assert set(command_paths(main)) >= {
        ("db",),
        ("db", "upgrade"),
        ("users",),
        ("users", "create"),
        ("campaigns",),
        ("campaigns", "create"),
        ("campaigns", "start"),
        ("campaigns", "schedule"),
        ("campaigns", "pause"),
        ("campaigns", "resume"),
        ("campaigns", "show"),
        ("leads",),
        ("leads", "import"),
        ("serve",),
        ("dialer",),
        ("simulator",),
        ("demo",),
    }


@pytest.mark.parametrize("path", [(), *command_paths(main)], ids=lambda p: " ".join(p) or "callbot")
def test_help_works_for_every_command(cli, path) -> None:  # type: ignore[no-untyped-def]
    output = ok(cli(*path, "--help"))
    assert output.startswith("Usage: ")
    assert " ".join(("main", *path)) in output.splitlines()[0]
    command = main
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert command.help
    assert " ".join(command.help.split()) in " ".join(output.split())  # its docstring, re-wrapped
    assert ok(cli(*path, "-h")) == output


# --- db -------------------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_on_a_fresh_sqlite_file(cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "data" / "fresh.db"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CALLBOT_DATABASE_URL", url)
    output = ok(cli("db", "upgrade"))
    head = ScriptDirectory.from_config(db.alembic_config(url)).get_current_head()
    assert head and output.strip() == f"database at {head}"
    engine = db.make_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {
        "users",
        "campaigns",
        "leads",
        "call_attempts",
        "call_events",
        "queue_items",
        "do_not_call",
        "audit_log",
        "alembic_version",
    } <= tables
    assert ok(cli("db", "upgrade")).strip() == f"database at {head}"  # idempotent


def test_settings_come_from_the_env_file_of_the_current_directory(cli, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "from-dotenv.db"
    (tmp_path / ".env").write_text(f"CALLBOT_DATABASE_URL=sqlite:///{path}\n", encoding="utf-8")
    # Registered with monkeypatch so that what load_dotenv puts in os.environ is removed after the test.
    monkeypatch.setenv("CALLBOT_DATABASE_URL", "placeholder")
    monkeypatch.delenv("CALLBOT_DATABASE_URL")
    ok(cli("db", "upgrade"))
    assert path.exists()


# --- users ----------------------------------------------------------------------------------------------


def test_users_create_then_a_duplicate_email_fails_clearly(cli_db, sessions) -> None:  # type: ignore[no-untyped-def]
    output = ok(
        cli_db(
            "users",
            "create",
            "--email",
            "Lan@Example.vn",
            "--name",
            "Lan",
            "--role",
            "viewer",
            "--password",
            "mật-khẩu-dài-123",
        )
    )
    assert output.strip() == "created viewer lan@example.vn"
    again = failed(cli_db("users", "create", "--email", "lan@example.vn", "--password", "khác-hẳn-12345"))
    assert "a user with e-mail lan@example.vn exists already" in again
    with sessions() as s:
        assert [(u.email, u.name, u.role) for u in s.scalars(sa.select(User))] == [("lan@example.vn", "Lan", "viewer")]


def test_users_create_refuses_a_short_password(cli_db, sessions) -> None:  # type: ignore[no-untyped-def]
    output = failed(cli_db("users", "create", "--email", "a@example.vn", "--password", "short"))
    assert "at least 8 characters" in output
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_users_create_asks_for_the_password_twice(cli_db, sessions) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("users", "create", "--email", "b@example.vn", input="mật-khẩu-dài-123\nmật-khẩu-dài-123\n"))
    with sessions() as s:
        assert s.scalar(sa.select(User.role)) == "telesales"


# --- campaigns and leads --------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def leads_in(sessions) -> list[tuple[int | None, str | None, str | None, str, list[str]]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return [
            (lead.row_number, lead.name, lead.phone_e164, lead.verdict, list(lead.reasons))
            for lead in s.scalars(sa.select(Lead).order_by(Lead.row_number))
        ]


def test_campaigns_create_makes_a_draft_campaign(cli_db, sessions) -> None:  # type: ignore[no-untyped-def]
    output = ok(cli_db("campaigns", "create", "Tháng 11", "--company", "ABC", "--service", "bảo hiểm"))
    assert "'Tháng 11' created (vn)" in output
    with sessions() as s:
        campaign = s.scalar(sa.select(Campaign))
        assert (campaign.name, campaign.status, campaign.company, campaign.rules_preset) == (
            "Tháng 11",
            "draft",
            "ABC",
            "vn",
        )
    assert "exists already" in failed(cli_db("campaigns", "create", "Tháng 11"))
    assert "is running" in ok(cli_db("campaigns", "start", "Tháng 11"))
    assert "no campaign named 'Không có'" in failed(cli_db("campaigns", "start", "Không có"))


def test_campaigns_schedule_pause_resume_and_show(cli_db, sessions) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tết", "--preset", "vn"))
    assert "scheduled for 2026-12-01T08:00:00+07:00" in ok(
        cli_db("campaigns", "schedule", "Tết", "--at", "2026-12-01T08:00")
    )
    with sessions() as s:
        campaign = s.scalar(sa.select(Campaign))
        assert campaign.status == "scheduled" and campaign.starts_at == dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    assert "not an ISO date" in failed(cli_db("campaigns", "schedule", "Tết", "--at", "thứ hai"))
    shown = ok(cli_db("campaigns", "show", "Tết"))
    assert "Tết · scheduled" in shown and "08:00–17:00" in shown and "1 / 24 h" in shown
    ok(cli_db("campaigns", "start", "Tết"))
    assert "paused" in ok(cli_db("campaigns", "pause", "Tết"))
    assert "not allowed" in failed(cli_db("campaigns", "pause", "Tết"))
    assert "is running" in ok(cli_db("campaigns", "resume", "Tết"))
    data = json.loads(ok(cli_db("campaigns", "show", "Tết", "--json")))
    assert data["status"] == "running" and data["due_now"] == 0 and data["reasons"] == {}


def test_leads_import_reports_verdicts_and_reasons_and_keeps_every_row(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11", "--preset", "permissive"))
    output = ok(cli_db("leads", "import", str(write(tmp_path, VI_HEADER + VI_ROWS)), "--campaign", "Tháng 11"))
    lines = output.splitlines()
    assert re.fullmatch(r"4 rows imported into 'Tháng 11' \(batch [0-9a-f]{12}\)", lines[0])
    counts = {line.split()[0]: int(line.split()[1]) for line in lines[1:] if line != "reasons:"}
    assert counts == {"duplicate": 1, "junk": 1, "ok": 2, "duplicate_phone": 1, "phone_placeholder": 1}
    assert leads_in(sessions) == [
        (2, "Trần Thị Mai", "+84912345678", "ok", []),
        (3, "Nguyễn Văn Nam", "+84903123456", "ok", []),
        (4, None, None, "junk", ["phone_placeholder"]),
        (5, "Mai Trần", "+84912345678", "duplicate", ["duplicate_phone"]),
    ]
    with sessions() as s:
        assert s.scalar(sa.select(Lead.raw).where(Lead.row_number == 4)) == {
            "Họ và tên": "test",
            "Số điện thoại": "#N/A",
            "Email": "",
        }


def test_leads_import_needs_an_existing_campaign(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    output = failed(cli_db("leads", "import", str(write(tmp_path, VI_HEADER + VI_ROWS)), "--campaign", "Không có"))
    assert "no campaign named 'Không có'" in output
    assert leads_in(sessions) == []


def test_leads_import_without_a_phone_column_fails_naming_the_problem(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    path = write(tmp_path, "Họ và tên,Liên lạc\nTrần Thị Mai,0912345678\n")
    output = failed(cli_db("leads", "import", str(path), "--campaign", "Tháng 11"))
    assert "no phone column found" in output
    assert "--map phone=HEADER" in output
    assert leads_in(sessions) == []

    output = ok(cli_db("leads", "import", str(path), "--campaign", "Tháng 11", "--map", "phone=Liên lạc"))
    assert output.splitlines()[0].startswith("1 rows imported into 'Tháng 11' (batch ")
    assert leads_in(sessions) == [(2, "Trần Thị Mai", "+84912345678", "ok", [])]


def test_leads_import_with_map_reads_a_mobile_column(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    # "Tel" would be found on its own; --map says the number to call is in "Mobile".
    path = write(tmp_path, "Name,Tel,Mobile\nTrần Thị Mai,02873000000,0912345678\n")
    ok(cli_db("leads", "import", str(path), "--campaign", "Tháng 11", "--map", "phone=Mobile"))
    assert leads_in(sessions) == [(2, "Trần Thị Mai", "+84912345678", "ok", [])]


def test_leads_import_with_a_map_to_a_missing_column_fails(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    path = write(tmp_path, "Name,Mobile\nTrần Thị Mai,0912345678\n")
    output = failed(cli_db("leads", "import", str(path), "--campaign", "Tháng 11", "--map", "phone=Mobil"))
    assert "Mobil" in output
    assert leads_in(sessions) == []


def test_leads_import_rejects_a_malformed_map(cli_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    path = write(tmp_path, VI_HEADER + VI_ROWS)
    for bad in ("mobile=Mobile", "phone"):
        result = cli_db("leads", "import", str(path), "--campaign", "Tháng 11", "--map", bad)
        assert "expected FIELD=HEADER" in failed(result)
        assert result.exit_code == 2  # a usage error


def test_leads_import_reads_a_utf16_file(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    path = write(tmp_path, VI_HEADER + VI_ROWS, encoding="utf-16")
    assert "4 rows imported" in ok(cli_db("leads", "import", str(path), "--campaign", "Tháng 11"))
    assert [row[:4] for row in leads_in(sessions)][:2] == [
        (2, "Trần Thị Mai", "+84912345678", "ok"),
        (3, "Nguyễn Văn Nam", "+84903123456", "ok"),
    ]


def test_leads_import_of_an_undecodable_file_fails_with_a_clear_message(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    path = tmp_path / "windows-1258.csv"  # a legacy Vietnamese code page: bytes that are not UTF-8
    path.write_bytes(b"Ho va ten,So dien thoai\r\nTr\xe2n Th\xef Mai,0912345678\r\n")
    output = failed(cli_db("leads", "import", str(path), "--campaign", "Tháng 11"))
    assert "not UTF-8 or UTF-16 text" in output and "CSV UTF-8" in output
    assert leads_in(sessions) == []


def test_leads_import_reads_excel_style_csv_with_bom_and_semicolons(cli_db, sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    text = VI_HEADER.replace(",", ";") + "Trần Thị Mai;0912345678;mai.tran@gmail.com\n"
    ok(cli_db("leads", "import", str(write(tmp_path, text, encoding="utf-8-sig")), "--campaign", "Tháng 11"))
    assert leads_in(sessions) == [(2, "Trần Thị Mai", "+84912345678", "ok", [])]


def test_leads_import_of_an_empty_file_fails_clearly(cli_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok(cli_db("campaigns", "create", "Tháng 11"))
    assert "the file is empty" in failed(cli_db("leads", "import", str(write(tmp_path, "")), "--campaign", "Tháng 11"))
    header_only = write(tmp_path, VI_HEADER, name="header.csv")
    assert "no data rows" in failed(cli_db("leads", "import", str(header_only), "--campaign", "Tháng 11"))


def test_cli_closes_its_database_connections(cli, monkeypatch, database_url) -> None:  # type: ignore[no-untyped-def]
    if not database_url.startswith("postgresql"):
        pytest.skip("only psycopg reports unclosed connections (sqlite3 does from Python 3.13)")
    monkeypatch.setenv("CALLBOT_DATABASE_URL", database_url)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        result = CliRunner().invoke(main, ["campaigns", "create", "Tháng 11"])
        gc.collect()
    assert result.exit_code == 0, result.output
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


# --- processes that need the Twilio settings ------------------------------------------------------------


@pytest.mark.parametrize("command", ["dialer", "serve", "simulator"])
def test_processes_without_settings_fail_naming_every_missing_variable(cli, command) -> None:  # type: ignore[no-untyped-def]
    output = failed(cli(command))
    assert "missing required setting(s)" in output
    for name in REQUIRED:
        assert name in output


@pytest.mark.parametrize("command", ["dialer", "serve", "simulator"])
def test_processes_name_only_the_variable_that_is_missing(cli, monkeypatch, command) -> None:  # type: ignore[no-untyped-def]
    values = {
        "CALLBOT_SECRET_KEY": "s" * 40,
        "CALLBOT_PUBLIC_URL": "https://callbot.example.vn",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_CALLER_ID": "+842873000000",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    output = failed(cli(command))
    assert "TWILIO_AUTH_TOKEN" in output
    for name in values:
        assert name not in output
