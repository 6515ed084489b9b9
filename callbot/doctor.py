"""`callbot doctor`: checks a deployment's settings and says in plain words what is wrong.

Each check gives a `Finding`: ok, warn (works, but not as it should in production) or fail (will not work).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from callbot import db
from callbot.errors import CallbotError
from callbot.settings import Settings

TWILIO_API = "https://api.twilio.com"
MAX_CLOCK_SKEW = dt.timedelta(seconds=10)
MIN_SECRET_LENGTH = 32
_PLACEHOLDER_HOSTS = ("example.com", "example.vn", "example.org", "example.net")
_WEAK_SECRETS = ("secret", "changeme", "change-me", "password", "dev", "development", "test")


@dataclass(frozen=True)
class Finding:
    """One check's result: status ok · warn · fail, what it is about, and a sentence for a person."""

    status: str
    topic: str
    message: str


def examine(
    settings: Settings | None = None, *, database_url: str | None = None, timeout: float = 10.0
) -> list[Finding]:
    """Run every check; with no settings (the environment lacks some), only what can be checked without them."""
    url = settings.database_url if settings else (database_url or Settings.database_url)
    findings = _database(url)
    if settings is None:
        return findings
    findings.append(_secret_key(settings.secret_key))
    findings.extend(_public_url(settings, timeout))
    findings.extend(_twilio(settings, timeout))
    findings.extend(_backups(settings))
    return findings


def examine_environment(timeout: float = 10.0) -> list[Finding]:
    """`examine` on the settings of the environment, reporting missing or malformed settings as a failure."""
    try:
        settings = Settings.from_env()
    except CallbotError as exc:
        return [Finding("fail", "settings", str(exc)), *examine(None, database_url=Settings.database_url_from_env())]
    return [Finding("ok", "settings", "every required setting is present"), *examine(settings, timeout=timeout)]


# ---- the database ------------------------------------------------------------------------------------------


def _database(url: str) -> list[Finding]:
    shown = sa.make_url(url).render_as_string(hide_password=True)
    engine = db.make_engine(url)
    try:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            current = db.current_revision(engine)
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
            return [Finding("fail", "database", f"cannot reach the database {shown}: {reason}")]
    finally:
        engine.dispose()
    found = [Finding("ok", "database", f"reachable: {shown}")]
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(db.alembic_config(url)).get_heads()
    if current is None:
        found.append(Finding("fail", "migrations", "the database has no tables yet: run `callbot db upgrade`"))
    elif current not in heads:
        found.append(
            Finding(
                "fail",
                "migrations",
                f"the database is at revision {current} but this version needs {', '.join(heads)}: "
                "run `callbot db upgrade`",
            )
        )
    else:
        found.append(Finding("ok", "migrations", f"the database is at the latest revision ({current})"))
    if sa.make_url(url).get_backend_name() == "sqlite":
        found.append(Finding("warn", "database", "SQLite is for trials and small teams; use PostgreSQL in production"))
    elif shutil.which("pg_dump") is None:
        found.append(Finding("warn", "backups", "pg_dump is not installed: `callbot backup` cannot back PostgreSQL up"))
    return found


# ---- secrets and URLs --------------------------------------------------------------------------------------


def _secret_key(secret: str) -> Finding:
    if secret.strip().lower() in _WEAK_SECRETS or len(set(secret)) < 8:
        return Finding("fail", "secret key", "CALLBOT_SECRET_KEY is a guessable word: make a random one")
    if len(secret) < MIN_SECRET_LENGTH:
        return Finding(
            "fail",
            "secret key",
            f"CALLBOT_SECRET_KEY has {len(secret)} characters; use at least {MIN_SECRET_LENGTH} random ones "
            '(python3 -c "import secrets; print(secrets.token_hex(32))")',
        )
    return Finding("ok", "secret key", f"CALLBOT_SECRET_KEY is long enough ({len(secret)} characters)")


def _public_url(settings: Settings, timeout: float) -> list[Finding]:
    url = settings.public_url
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return [Finding("fail", "public URL", f"CALLBOT_PUBLIC_URL {url!r} is not a web address (https://…)")]
    if host.endswith(_PLACEHOLDER_HOSTS):
        return [Finding("fail", "public URL", f"CALLBOT_PUBLIC_URL is still the example {url}: set your own address")]
    found = []
    local = host in ("localhost", "127.0.0.1", "::1")
    if local:
        found.append(Finding("warn", "public URL", f"{url} is this machine: Twilio cannot reach it from the internet"))
    elif parts.scheme != "https":
        found.append(
            Finding("fail", "public URL", f"{url} is not HTTPS: Twilio's requests and sign-ins travel in clear")
        )
    else:
        if not settings.session_cookie_secure:
            found.append(Finding("fail", "cookies", "CALLBOT_SESSION_COOKIE_SECURE is false on an HTTPS deployment"))
        if not settings.trusted_proxies:
            found.append(
                Finding(
                    "warn",
                    "proxy",
                    "CALLBOT_TRUSTED_PROXIES is 0: behind an HTTPS proxy Twilio's signatures will not verify (every "
                    "webhook refused) and HSTS is not sent; set it to the number of proxies in front",
                )
            )
    try:
        status = _get(url + "/healthz", timeout=timeout)[0]
    except OSError as exc:
        found.append(Finding("fail", "public URL", f"{url}/healthz cannot be reached: {_reason(exc)}"))
        return found
    if status != 200:
        found.append(Finding("fail", "public URL", f"{url}/healthz answered HTTP {status}, not 200"))
    else:
        found.append(Finding("ok", "public URL", f"{url} answers (/healthz)"))
    return found


# ---- Twilio and the clock ----------------------------------------------------------------------------------


def _twilio(settings: Settings, timeout: float, clock: Callable[[], float] = time.time) -> list[Finding]:
    """Check the credentials with the cheapest authenticated request (one page of one call), and compare our
    clock with the Date header of the answer."""
    base = (settings.twilio_api_base_url or TWILIO_API).rstrip("/")
    sid = settings.twilio_account_sid
    if not (sid.startswith("AC") and len(sid) == 34):
        return [Finding("fail", "Twilio", f"TWILIO_ACCOUNT_SID {sid!r} is not an account SID (AC and 32 characters)")]
    url = f"{base}/2010-04-01/Accounts/{sid}/Calls.json?PageSize=1"
    basic = base64.b64encode(f"{sid}:{settings.twilio_auth_token}".encode()).decode()
    before = clock()
    try:
        status, headers, body = _get(url, timeout=timeout, headers={"Authorization": f"Basic {basic}"})
    except OSError as exc:
        return [Finding("fail", "Twilio", f"cannot reach the Twilio API at {base}: {_reason(exc)}")]
    after = clock()
    found = []
    if status == 200:
        found.append(Finding("ok", "Twilio", f"the account {sid} accepts our credentials ({base})"))
    elif status in (401, 403):
        found.append(
            Finding("fail", "Twilio", f"{base} refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN ({_message(body)})")
        )
    elif status == 404:
        found.append(Finding("fail", "Twilio", f"{base} does not know the account {sid}"))
    else:
        found.append(Finding("fail", "Twilio", f"{base} answered HTTP {status}: {_message(body)}"))
    found.append(_clock(headers.get("Date"), (before + after) / 2, after - before))
    return found


def _clock(date_header: str | None, local: float, round_trip: float) -> Finding:
    if not date_header:
        return Finding("warn", "clock", "the Twilio API sent no Date header: cannot compare clocks")
    try:
        remote = email.utils.parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return Finding("warn", "clock", f"cannot read the Twilio API's Date header {date_header!r}")
    # The header has whole seconds: allow that second and the time the request took on top of the limit.
    skew = remote + 0.5 - local
    limit = MAX_CLOCK_SKEW.total_seconds() + round_trip / 2 + 0.5
    if abs(skew) > limit:
        direction = "behind" if skew > 0 else "ahead of"
        return Finding(
            "fail",
            "clock",
            f"this machine's clock is {abs(skew):.0f} s {direction} the Twilio API's: calling hours and "
            "retries would be off; turn on time synchronisation (timedatectl set-ntp true)",
        )
    return Finding("ok", "clock", f"in sync with the Twilio API (within {abs(skew):.1f} s)")


def _backups(settings: Settings) -> list[Finding]:
    if settings.backup_key:
        return [Finding("ok", "backups", f"daily backups to {settings.backup_dir}, encrypted")]
    return [
        Finding("warn", "backups", f"daily backups to {settings.backup_dir} are NOT encrypted (CALLBOT_BACKUP_KEY)")
    ]


# ---- HTTP --------------------------------------------------------------------------------------------------


def _get(url: str, *, timeout: float, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET a URL; HTTP errors are answers too (status, headers, body), only failing to connect raises OSError."""
    request = urllib.request.Request(url, headers={"User-Agent": "callbot-doctor", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read(65536)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read(65536)


def _reason(exc: OSError) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason)


def _message(body: bytes) -> str:
    """Twilio's error text ("Authenticate"), or the start of whatever came back."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:100].decode(errors="replace").strip() or "no details"
    if isinstance(data, dict) and data.get("message"):
        return f"{data['message']}, error {data.get('code')}"
    return "no details"
