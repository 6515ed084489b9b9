"""Backups and restores through `callbot backup` / `callbot restore`: the restore drill on SQLite and PostgreSQL,
encryption, rotation, and the dialer's daily job."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from callbot import backup, dnc
from callbot.dialer import Dialer, DialerService
from callbot.models import Base, Lead
from callbot.telephony import TwilioTelephony
from tests.callbot.conftest import failed, ok
from tests.conftest import NOW, make_campaign, make_leads, make_user

NUMBERS = ["0901234567", "0912345678", "0987654321"]


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema revision), in primary-key order: what a restore must bring back."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in names:
                found[table.name] = [("missing",)]
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [tuple(row) for row in conn.execute(sa.select(table).order_by(*order))]
        found["alembic_version"] = list(conn.exec_driver_sql("SELECT version_num FROM alembic_version"))
    return found


def fill(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        campaign = make_campaign(session)
        make_leads(session, campaign, [{"name": f"Người {i}", "phone": n} for i, n in enumerate(NUMBERS)])
        make_user(session)
        dnc.add(session, "+84999888777", "manual", NOW)


def damage(engine: sa.Engine) -> None:
    """What goes wrong in real life: rows deleted, rows changed, a table gone."""
    with engine.begin() as conn:
        conn.execute(sa.delete(Lead).where(Lead.phone_e164 == "+84901234567"))
        conn.exec_driver_sql("UPDATE campaigns SET name = 'hỏng'")
        conn.exec_driver_sql("DROP TABLE do_not_call")


def the_backup(output: str) -> Path:
    line = next(line for line in output.splitlines() if line.startswith("backup written: "))
    return Path(line.removeprefix("backup written: ").split(" (")[0])


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_restore_drill(cli_db, engine, sessions, tmp_path, monkeypatch, encrypted):  # type: ignore[no-untyped-def]
    """Back up, damage, restore, compare: every row of every table comes back."""
    fill(sessions)
    if encrypted:
        monkeypatch.setenv("CALLBOT_BACKUP_KEY", backup.new_key())
    before = snapshot(engine)
    assert len(before["leads"]) == 3 and len(before["do_not_call"]) == 1

    output = ok(cli_db("backup", "--dir", tmp_path / "backups"))
    path = the_backup(output)
    assert path.parent == tmp_path / "backups" and path.is_file()
    assert path.stat().st_mode & 0o777 == 0o600  # personal data: readable by its owner only
    assert path.name.endswith(".enc") is encrypted
    assert ("NOT encrypted" in output) is not encrypted
    assert path.read_bytes().startswith(backup.MAGIC) is encrypted

    damage(engine)
    assert snapshot(engine) != before

    assert "restored" in ok(cli_db("restore", path, "--yes"))
    engine.dispose()  # connections opened before the restore may cache the old schema
    assert snapshot(engine) == before


def test_restore_asks_first(cli_db, engine, sessions, tmp_path):  # type: ignore[no-untyped-def]
    fill(sessions)
    path = the_backup(ok(cli_db("backup", "--dir", tmp_path)))
    damage(engine)
    result = cli_db("restore", path, input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert "do_not_call" not in sa.inspect(engine).get_table_names()  # nothing was restored
    ok(cli_db("restore", path, "--yes"))
    assert "do_not_call" in sa.inspect(engine).get_table_names()


def test_encrypted_backup_needs_the_right_key(cli_db, sessions, tmp_path):  # type: ignore[no-untyped-def]
    fill(sessions)
    key_file = tmp_path / "key"
    key_file.write_text(backup.new_key())
    path = the_backup(ok(cli_db("backup", "--dir", tmp_path / "b", "--key-file", key_file)))
    raw = path.read_bytes()
    assert b"SQLite format" not in raw and b"PGDMP" not in raw

    assert "is encrypted: give its key" in failed(cli_db("restore", path, "--yes"))
    other = tmp_path / "other"
    other.write_text(backup.new_key())
    assert "wrong key" in failed(cli_db("restore", path, "--yes", "--key-file", other))
    bad = tmp_path / "bad"
    bad.write_text("not-a-key")
    assert "key is not valid" in failed(cli_db("restore", path, "--yes", "--key-file", bad))

    tampered = tmp_path / "tampered.enc"
    data = bytearray(raw)
    data[len(backup.MAGIC) + 40] ^= 1
    tampered.write_bytes(bytes(data))
    assert "wrong key, or the file was altered" in failed(cli_db("restore", tampered, "--yes", "--key-file", key_file))
    cut = tmp_path / "cut.enc"
    cut.write_bytes(raw[: len(backup.MAGIC) + 2])
    assert "cut short" in failed(cli_db("restore", cut, "--yes", "--key-file", key_file))

    ok(cli_db("restore", path, "--yes", "--key-file", key_file))


def test_rotation_keeps_the_newest(cli_db, sessions, tmp_path):  # type: ignore[no-untyped-def]
    fill(sessions)
    folder = tmp_path / "backups"
    (folder).mkdir()
    (folder / "notes.txt").write_text("not a backup: never deleted")
    made = [the_backup(ok(cli_db("backup", "--dir", folder, "--keep", "2"))) for _ in range(4)]
    assert backup.list_backups(folder) == made[-2:]
    assert (folder / "notes.txt").exists()
    assert not list(folder.glob("*.partial")) and not list(folder.glob(".snapshot-*"))


def test_restore_refuses_other_files(cli_db, tmp_path):  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.pgdump"
    junk.write_bytes(b"hello")
    assert "not a callbot backup" in failed(cli_db("restore", junk, "--yes"))


def test_sqlite_backup_cannot_restore_into_postgres(cli, monkeypatch, tmp_path, sqlite_template, pg_migrated):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CALLBOT_DATABASE_URL", f"sqlite:///{sqlite_template}")
    path = the_backup(ok(cli("backup", "--dir", tmp_path)))
    monkeypatch.setenv("CALLBOT_DATABASE_URL", pg_migrated)
    assert "is a sqlite backup but the database is postgresql" in failed(cli("restore", path, "--yes"))


def test_daily_backup_job(settings, sessions, tmp_path):  # type: ignore[no-untyped-def]
    """The dialer schedules a daily backup at CALLBOT_BACKUP_HOUR; the leading process writes it."""
    fill(sessions)
    settings = settings.with_overrides(backup_dir=str(tmp_path / "daily"), backup_keep=1, backup_hour=3)
    telephony = TwilioTelephony(
        settings.twilio_account_sid, settings.twilio_auth_token, api_base_url="http://127.0.0.1:9"
    )
    service = DialerService(Dialer(sessions, telephony, settings), interval=3600)
    scheduler = service.start()
    try:
        job = scheduler.get_job("daily-backup")
        assert job is not None
        fire = job.trigger.get_next_fire_time(None, dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))
        assert fire.astimezone(dt.UTC) == dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)  # 03:00 in Ho Chi Minh City
        assert service.leader
        first = job.func(*job.args)
        second = job.func(*job.args)
        assert backup.list_backups(tmp_path / "daily") == [second.path] != [first.path]
        service.leader = False  # a process without the lease writes nothing
        assert job.func(*job.args) is None
        service.leader = True
    finally:
        service.stop()
