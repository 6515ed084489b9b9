"""Operations commands of the `callbot` command line: backup, restore, doctor, privacy."""

from __future__ import annotations

from pathlib import Path

import click

from callbot import backup as backups
from callbot.db import utcnow
from callbot.errors import CallbotError
from callbot.settings import Settings


def _options() -> Settings:
    try:
        return Settings.backup_from_env()
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None


def _key(key_file: Path | None, settings: Settings) -> str | None:
    """The encryption key: from --key-file when given, else CALLBOT_BACKUP_KEY (or none)."""
    if key_file is not None:
        return key_file.read_text().strip() or None
    return settings.backup_key


KEY_FILE = click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File holding the encryption key (default: CALLBOT_BACKUP_KEY).",
)


@click.command("backup")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Default: CALLBOT_BACKUP_DIR."
)
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    help="Backups to keep; older ones are deleted (0: all). Default: CALLBOT_BACKUP_KEEP.",
)
@KEY_FILE
@click.option("--new-key", is_flag=True, help="Print a new encryption key for CALLBOT_BACKUP_KEY and exit.")
def backup_command(directory: Path | None, keep: int | None, key_file: Path | None, new_key: bool) -> None:
    """Back the database up (SQLite online backup or pg_dump), encrypted when a key is set."""
    if new_key:
        click.echo(backups.new_key())
        return
    settings = _options()
    try:
        result = backups.backup(
            settings.database_url,
            directory or Path(settings.backup_dir),
            keep=settings.backup_keep if keep is None else keep,
            key=_key(key_file, settings),
            now=utcnow(),
        )
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None
    state = "encrypted" if result.encrypted else "NOT encrypted (set CALLBOT_BACKUP_KEY)"
    click.echo(f"backup written: {result.path} ({result.size} bytes, {state})")
    for path in result.removed:
        click.echo(f"removed old backup {path.name}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@KEY_FILE
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file: Path, key_file: Path | None, yes: bool) -> None:
    """Replace the database's contents with a backup (stop the web app and the dialer first)."""
    settings = _options()
    if not yes:
        click.confirm(f"Replace everything in the database with {file.name}?", abort=True)
    try:
        kind = backups.restore(settings.database_url, file, key=_key(key_file, settings))
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {kind} database from {file.name}")


@click.command("doctor")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for each outside service.")
def doctor_command(timeout: float) -> None:
    """Check this deployment's settings (database, Twilio, public URL, secret key, clock); exit 1 when any fails."""
    from callbot import doctor

    findings = doctor.examine_environment(timeout=timeout)
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for finding in findings:
        click.echo(f"{marks[finding.status]}  {finding.topic}: {finding.message}")
    failures = sum(f.status == "fail" for f in findings)
    warnings = sum(f.status == "warn" for f in findings)
    if failures:
        click.echo(f"{failures} problem(s) to fix, {warnings} warning(s)")
        raise SystemExit(1)
    click.echo(f"all checks passed ({warnings} warning(s))")


@click.group("privacy")
def privacy_group() -> None:
    """Personal data: erasure on request (our tables and the call recordings at Twilio), retention."""


def _privacy_session():  # type: ignore[no-untyped-def]
    from callbot import db

    engine = db.make_engine(Settings.database_url_from_env())
    return engine, db.make_sessionmaker(engine)


RETRY_HINT = "they stay on the to-do list: run `callbot privacy recordings` to retry (the dialer also retries daily)"


def _delete_recordings(sessions) -> int:  # type: ignore[no-untyped-def]
    """Work through the recordings still to delete at Twilio; report, and return how many calls are left."""
    from callbot import privacy
    from callbot.telephony import TwilioTelephony

    with sessions() as session:
        todo = len(privacy.pending_recording_deletions(session))
    if not todo:
        return 0
    try:
        settings = Settings.from_env()
    except CallbotError as exc:
        click.echo(
            f"WARNING: the recordings of {todo} call(s) are still to delete at Twilio, not tried ({exc}); {RETRY_HINT}"
        )
        return todo
    telephony = TwilioTelephony.from_settings(settings)
    result = privacy.delete_recordings(sessions, telephony, utcnow)
    click.echo(
        f"recordings at Twilio: {result.deleted} deleted, {result.already_gone} already gone "
        f"({result.done} call(s) done)"
    )
    if result.pending:
        click.echo(
            f"WARNING: the recordings of {result.pending} call(s) could not be deleted at Twilio: "
            f"{'; '.join(result.errors) or 'not tried'}; {RETRY_HINT}"
        )
    return result.pending


@privacy_group.command("erase")
@click.argument("number")
@click.option("--region", default="VN", show_default=True, help="Country of numbers written without +.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(number: str, region: str, yes: bool) -> None:
    """Erase a person's data (found by their number) from every table, put the number on the do-not-call list and
    delete the recordings of their calls at Twilio (with every recording deletion still to do)."""
    from callbot import privacy
    from callbot.logs import mask_number
    from scoring import normalize_phone

    check = normalize_phone(number, region)
    if check.e164 is None:
        raise click.BadParameter(f"{number!r} is not a usable phone number ({check.reason})")
    if not yes:
        click.confirm(f"Erase everything about {check.e164}? This cannot be undone", abort=True)
    engine, sessions = _privacy_session()
    try:
        with sessions.begin() as session:
            erased = privacy.erase_number(session, check.e164, utcnow())
        click.echo(
            f"erased {mask_number(check.e164)}: {erased.leads} lead(s), {erased.calls} call(s), {erased.events} "
            f"webhook event(s), {erased.queue_items} queue item(s), {erased.audit_entries} audit entr(ies); "
            "the number is on the do-not-call list"
        )
        # Our own data is erased (committed) whatever happens at Twilio now.
        _delete_recordings(sessions)
    except CallbotError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@privacy_group.command("recordings")
def privacy_recordings() -> None:
    """Delete at Twilio the call recordings still to delete after erasures and retention; exit 1 if some remain."""
    from callbot import privacy

    engine, sessions = _privacy_session()
    try:
        left = _delete_recordings(sessions)
        with sessions() as session:
            rows = privacy.pending_recording_deletions(session)
            for row in rows:
                tried = row.tried_at.isoformat(timespec="seconds") if row.tried_at else "never"
                click.echo(
                    f"  still to delete: call {row.call_sid or '-'} ({row.reason} of "
                    f"{row.requested_at.date().isoformat()}), {row.tries} tr(ies), last {tried}: {row.error or '-'}"
                )
    finally:
        engine.dispose()
    if left or rows:
        raise SystemExit(1)
    click.echo("no recordings left to delete at Twilio")


@privacy_group.command("retention")
@click.option("--days", type=click.IntRange(min=1), help="Default: CALLBOT_RETENTION_DAYS.")
def privacy_retention(days: int | None) -> None:
    """Make junk and unreachable leads older than the retention period anonymous now and delete their calls'
    recordings at Twilio (the dialer does both daily)."""
    from callbot import privacy

    settings = Settings.backup_from_env()
    engine, sessions = _privacy_session()
    try:
        with sessions.begin() as session:
            count = privacy.apply_retention(session, utcnow(), days or settings.retention_days)
        click.echo(f"{count} lead(s) made anonymous")
        _delete_recordings(sessions)  # their calls' recordings, and any still to delete
    finally:
        engine.dispose()


# Registered on `callbot` by callbot.cli.
OPS_COMMANDS = (backup_command, restore_command, doctor_command, privacy_group)
