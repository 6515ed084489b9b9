"""Database backups: SQLite's online backup API or pg_dump, to a directory with rotation, optionally encrypted; and
restores of them.

A backup file is `callbot-<backend>-<UTC time>.<ext>`: `.sqlite3.gz` (a gzip of the database file) or `.pgdump`
(pg_dump's custom format, compressed by pg_dump), followed by `.enc` when encrypted. Encryption is Fernet
(AES-128-CBC with HMAC-SHA256, `cryptography`) over 4 MiB chunks, so a dump of any size streams through a small
buffer; each chunk carries its index and a last-chunk flag inside the authenticated text, so a reordered or cut
file is refused instead of restored in part. Files are created 0600 in a 0700 directory: they hold personal data.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import logging
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from callbot.db import utcnow
from callbot.errors import CallbotError
from callbot.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "callbot-"
SUFFIXES = (".sqlite3.gz", ".pgdump", ".sqlite3.gz.enc", ".pgdump.enc")
MAGIC = b"CALLBOT-BACKUP-FERNET-1\n"
CHUNK = 4 * 1024 * 1024
_SQLITE_HEADER = b"SQLite format 3\x00"
_PG_HEADER = b"PGDMP"
_GZIP_HEADER = b"\x1f\x8b"


class BackupError(CallbotError):
    """A backup or a restore could not be made; the message says why in plain words."""


@dataclass(frozen=True)
class BackupResult:
    """A backup just written, and the old ones rotation removed."""

    path: Path
    size: int
    encrypted: bool
    removed: tuple[Path, ...]


def backup(
    database_url: str, directory: Path | str, *, keep: int, key: str | None = None, now: dt.datetime
) -> BackupResult:
    """Back the database up into `directory` (encrypted with `key` when given), then keep only the newest `keep`
    backups there (0 keeps all)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = sa.make_url(database_url)
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database (only SQLite and PostgreSQL)")
    fernet = _fernet(key) if key else None
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.") + f"{now.microsecond // 1000:03d}Z"
    ext = ".sqlite3.gz" if backend == "sqlite" else ".pgdump"
    target = folder / f"{PREFIX}{backend}-{stamp}{ext}{'.enc' if fernet else ''}"
    partial = target.with_name(target.name + ".partial")
    try:
        with _private_file(partial) as raw, _sealed(raw, fernet) as out:
            if backend == "sqlite":
                _dump_sqlite(url, folder, out)
            else:
                _dump_postgres(url, out)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    removed = rotate(folder, keep)
    return BackupResult(target, target.stat().st_size, fernet is not None, tuple(removed))


def list_backups(directory: Path | str) -> list[Path]:
    """The backups in a directory, oldest first (their names sort by time)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIXES)]
    return sorted(found, key=lambda p: p.name.split("-", 2)[-1])


def rotate(directory: Path | str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (0: delete none); return what was deleted."""
    if keep <= 0:
        return []
    old = list_backups(directory)[:-keep]
    for path in old:
        path.unlink()
    return old


def restore(database_url: str, path: Path | str, *, key: str | None = None) -> str:
    """Replace the database's contents with a backup; returns the backend restored. Stop the web app and the dialer
    first: the tables are dropped and made again."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    url = sa.make_url(database_url)
    backend = url.get_backend_name()
    with tempfile.TemporaryDirectory(prefix="callbot-restore-") as scratch:
        plain = Path(scratch) / "backup"
        _unseal(source, plain, key)
        with plain.open("rb") as fh:
            head = fh.read(16)
        if head.startswith(_GZIP_HEADER):
            kind = "sqlite"
            unpacked = Path(scratch) / "backup.sqlite3"
            with gzip.open(plain, "rb") as src, unpacked.open("wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            plain = unpacked
        elif head.startswith(_PG_HEADER):
            kind = "postgresql"
        else:
            raise BackupError(f"{source.name} is not a callbot backup (unknown content)")
        if kind != backend:
            raise BackupError(f"{source.name} is a {kind} backup but the database is {backend}")
        if kind == "sqlite":
            _restore_sqlite(url, plain)
        else:
            _restore_postgres(url, plain)
    return kind


def new_key() -> str:
    """A fresh encryption key for CALLBOT_BACKUP_KEY."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# ---- the scheduled daily backup ----------------------------------------------------------------------------


def run_daily(service: Any) -> BackupResult | None:
    """The daily job: back up with the deployment's settings when this process leads; errors are logged."""
    if not service.leader:
        return None
    settings: Settings = service.dialer.settings
    try:
        result = backup(
            settings.database_url, settings.backup_dir, keep=settings.backup_keep, key=settings.backup_key, now=utcnow()
        )
    except (CallbotError, OSError) as exc:
        log.error("daily backup failed: %s", exc)
        return None
    log.info("daily backup written: %s (%d bytes, %d old removed)", result.path.name, result.size, len(result.removed))
    return result


# ---- dumps -------------------------------------------------------------------------------------------------


def _dump_sqlite(url: sa.URL, folder: Path, out: IO[bytes]) -> None:
    """SQLite's online backup API copies a consistent snapshot while others write; then gzip it into `out`."""
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    source_path = Path(url.database)
    if not source_path.is_file():
        raise BackupError(f"no SQLite database at {source_path}")
    fd, name = tempfile.mkstemp(prefix=".snapshot-", dir=folder)
    os.close(fd)
    snapshot = Path(name)
    try:
        src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(snapshot)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        with snapshot.open("rb") as fh, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped:
            shutil.copyfileobj(fh, zipped, CHUNK)
    finally:
        snapshot.unlink(missing_ok=True)


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and the environment carrying it (not on the command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_tool(args: list[str], env: dict[str, str], stdout: Any, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(args, env=env, stdout=stdout, stderr=stderr)
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} is not installed (PostgreSQL client tools, e.g. apt install postgresql-client)"
        ) from None


def _finish_tool(proc: subprocess.Popen[bytes], stderr: IO[bytes], name: str) -> None:
    """Wait for a client tool; its complaint (stderr went to a file, so a chatty tool cannot block) on failure."""
    if proc.wait() != 0:
        stderr.seek(0)
        raise BackupError(f"{name} failed: {stderr.read().decode(errors='replace').strip()}")


def _dump_postgres(url: sa.URL, out: IO[bytes]) -> None:
    """pg_dump's custom format (compressed, restorable table by table), streamed into `out`."""
    conn, env = _libpq(url)
    args = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--dbname={conn}"]
    with tempfile.TemporaryFile() as stderr:
        proc = _run_tool(args, env, subprocess.PIPE, stderr)
        assert proc.stdout is not None
        with proc.stdout:
            for block in iter(lambda: proc.stdout.read(CHUNK), b""):  # type: ignore[union-attr]
                out.write(block)
        _finish_tool(proc, stderr, "pg_dump")


def _restore_sqlite(url: sa.URL, snapshot: Path) -> None:
    if not url.database or url.database == ":memory:":
        raise BackupError("cannot restore into an in-memory SQLite database")
    src = sqlite3.connect(snapshot)
    try:
        if src.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupError("the backup's SQLite file is damaged (integrity check failed)")
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(url.database, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot restore the SQLite database: {exc}") from None
    finally:
        src.close()


def _restore_postgres(url: sa.URL, dump: Path) -> None:
    conn, env = _libpq(url)
    args = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    with tempfile.TemporaryFile() as stderr:
        proc = _run_tool([*args, "--exit-on-error", f"--dbname={conn}", str(dump)], env, subprocess.DEVNULL, stderr)
        _finish_tool(proc, stderr, "pg_restore")


# ---- files and encryption ----------------------------------------------------------------------------------


@contextmanager
def _private_file(path: Path) -> Iterator[IO[bytes]]:
    """A new file only its owner may read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def _fernet(key: str) -> Any:
    from cryptography.fernet import Fernet

    try:
        return Fernet(key.strip().encode())
    except (ValueError, TypeError):
        raise BackupError(
            "the backup key is not valid: it must be 32 url-safe base64-encoded bytes (make one with "
            "`callbot backup --new-key`)"
        ) from None


class _EncryptingWriter(io.RawIOBase):
    """Writes MAGIC, then length-prefixed Fernet tokens of (index, last flag, up to CHUNK bytes)."""

    def __init__(self, out: IO[bytes], fernet: Any):
        super().__init__()
        self._out, self._fernet = out, fernet
        self._buffer = bytearray()
        self._index = 0
        out.write(MAGIC)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def finish(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _emit(self, data: bytes, *, last: bool) -> None:
        token = self._fernet.encrypt(struct.pack(">QB", self._index, last) + data)
        self._out.write(struct.pack(">I", len(token)) + token)
        self._index += 1


@contextmanager
def _sealed(raw: IO[bytes], fernet: Any) -> Iterator[IO[bytes]]:
    """`raw` itself, or an encrypting writer over it (finished only when the block succeeds)."""
    if fernet is None:
        yield raw
        return
    writer = _EncryptingWriter(raw, fernet)
    yield writer  # type: ignore[misc]
    writer.finish()


def _unseal(source: Path, target: Path, key: str | None) -> None:
    """Copy `source` to `target`, decrypting it when it is encrypted."""
    with source.open("rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            shutil.copyfile(source, target)
            return
        if not key:
            raise BackupError(f"{source.name} is encrypted: give its key (--key-file or CALLBOT_BACKUP_KEY)")
        from cryptography.fernet import InvalidToken

        fernet = _fernet(key)
        with target.open("wb") as out:
            index, last = 0, False
            while not last:
                size_bytes = fh.read(4)
                if len(size_bytes) < 4:
                    raise BackupError(f"{source.name} is cut short: the backup is incomplete")
                token = fh.read(struct.unpack(">I", size_bytes)[0])
                try:
                    plain = fernet.decrypt(token)
                except InvalidToken:
                    raise BackupError(f"cannot decrypt {source.name}: wrong key, or the file was altered") from None
                seen, last = struct.unpack(">QB", plain[:9])
                if seen != index:
                    raise BackupError(f"{source.name} was altered: its parts are out of order")
                out.write(plain[9:])
                index += 1
            if fh.read(1):
                raise BackupError(f"{source.name} has data after its end: the file was altered")
