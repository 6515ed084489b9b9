"""Typed settings built from the environment: the only place that reads it."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from callbot.errors import ConfigError

# Variables that `from_env` insists on: a deployment that lacks one of these cannot work.
REQUIRED = (
    "CALLBOT_SECRET_KEY",
    "CALLBOT_PUBLIC_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_CALLER_ID",
)


@dataclass(frozen=True)
class Price:
    """An amount of money in a currency (ISO 4217 code), e.g. the price of one call minute."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Settings:
    """Everything callbot can be configured with; see .env.example for each variable."""

    secret_key: str
    public_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_caller_id: str
    twilio_api_base_url: str | None = None
    database_url: str = "sqlite:///var/callbot.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    calls_per_second: float = 1.0
    max_concurrent_calls: int = 10
    dialer_tick_seconds: float = 1.0
    # A live attempt still without a CallSid this long after its claim is settled by the dialer's reconcile: the
    # call found at the provider is adopted, or the attempt failed (the dialer died before the API call).
    orphan_after_seconds: float = 120.0
    # A scheduled start missed by more than this (no dialer was running) pauses the campaign instead.
    start_grace_seconds: int = 6 * 3600
    trusted_proxies: int = 0
    session_cookie_secure: bool = True
    # What one started minute of a call costs ("0.085 USD"), for the dashboard's estimate; None: not shown.
    cost_per_minute: Price | None = None
    # Telesales: how long "next lead" holds a lead for an agent (the open page renews it), and how long a due
    # follow-up waits for the agent who set it before anyone may take it.
    claim_lease_seconds: int = 15 * 60
    follow_up_grace_seconds: int = 30 * 60
    # Operations (issue 8): backups, logs, metrics and panel sessions; see .env.example.
    backup_dir: str = "var/backups"
    backup_keep: int = 14
    backup_key: str | None = None  # a Fernet key: backups are encrypted when set
    backup_hour: int = 2  # the daily backup's hour, in `timezone`
    log_format: str = "text"  # text · json
    metrics_token: str | None = None
    metrics_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    retention_days: int = 180  # junk and unreachable leads are made anonymous this long after (0: kept)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables, failing fast and naming every missing one."""
        env = os.environ if environ is None else environ
        missing = [name for name in REQUIRED if not env.get(name, "").strip()]
        if missing:
            raise ConfigError("missing required setting(s): " + ", ".join(missing) + " (see .env.example)")
        return cls(
            secret_key=env["CALLBOT_SECRET_KEY"],
            public_url=env["CALLBOT_PUBLIC_URL"].rstrip("/"),
            twilio_account_sid=env["TWILIO_ACCOUNT_SID"],
            twilio_auth_token=env["TWILIO_AUTH_TOKEN"],
            twilio_caller_id=env["TWILIO_CALLER_ID"],
            twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
            database_url=env.get("CALLBOT_DATABASE_URL") or cls.database_url,
            timezone=env.get("CALLBOT_TIMEZONE") or cls.timezone,
            language=_choice(env, "CALLBOT_LANGUAGE", ("vi", "en"), cls.language),
            calls_per_second=_number(env, "CALLBOT_CALLS_PER_SECOND", float, cls.calls_per_second),
            max_concurrent_calls=_number(env, "CALLBOT_MAX_CONCURRENT_CALLS", int, cls.max_concurrent_calls),
            dialer_tick_seconds=_number(env, "CALLBOT_DIALER_TICK_SECONDS", float, cls.dialer_tick_seconds),
            orphan_after_seconds=_number(env, "CALLBOT_ORPHAN_AFTER_SECONDS", float, cls.orphan_after_seconds),
            start_grace_seconds=_number(env, "CALLBOT_START_GRACE_SECONDS", int, cls.start_grace_seconds),
            trusted_proxies=_number(env, "CALLBOT_TRUSTED_PROXIES", int, cls.trusted_proxies),
            session_cookie_secure=_flag(env, "CALLBOT_SESSION_COOKIE_SECURE", cls.session_cookie_secure),
            cost_per_minute=_price(env, "CALLBOT_COST_PER_MINUTE"),
            claim_lease_seconds=_number(env, "CALLBOT_CLAIM_LEASE_SECONDS", int, cls.claim_lease_seconds),
            follow_up_grace_seconds=_number(env, "CALLBOT_FOLLOW_UP_GRACE_SECONDS", int, cls.follow_up_grace_seconds),
            **_backup_fields(env),
            log_format=_choice(env, "CALLBOT_LOG_FORMAT", ("text", "json"), cls.log_format),
            metrics_token=env.get("CALLBOT_METRICS_TOKEN") or None,
            metrics_networks=_networks(env, "CALLBOT_METRICS_NETWORKS", cls.metrics_networks),
            session_idle_minutes=_number(env, "CALLBOT_SESSION_IDLE_MINUTES", int, cls.session_idle_minutes),
            session_max_hours=_number(env, "CALLBOT_SESSION_MAX_HOURS", int, cls.session_max_hours),
            retention_days=_number(env, "CALLBOT_RETENTION_DAYS", int, cls.retention_days),
        )

    @classmethod
    def backup_from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings for `callbot backup`, `restore` and `privacy`, which need only the database, backup and retention
        options: the required Twilio and web settings may be missing (they are filled with placeholders)."""
        env = os.environ if environ is None else environ
        return cls(
            secret_key="",
            public_url="",
            twilio_account_sid="",
            twilio_auth_token="",
            twilio_caller_id="",
            database_url=cls.database_url_from_env(env),
            retention_days=_number(env, "CALLBOT_RETENTION_DAYS", int, cls.retention_days),
            **_backup_fields(env),
        )

    @classmethod
    def database_url_from_env(cls, environ: Mapping[str, str] | None = None) -> str:
        """Only the database URL, for commands that need nothing else (migrations, users, imports)."""
        env = os.environ if environ is None else environ
        return env.get("CALLBOT_DATABASE_URL") or cls.database_url

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some fields replaced (unknown names are an error)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError("unknown setting(s): " + ", ".join(sorted(unknown)))
        return replace(self, **overrides)


def _backup_fields(env: Mapping[str, str]) -> dict[str, Any]:
    hour = _number(env, "CALLBOT_BACKUP_HOUR", int, Settings.backup_hour)
    if hour > 23:
        raise ConfigError(f"CALLBOT_BACKUP_HOUR must be an hour from 0 to 23, got {hour}")
    return {
        "backup_dir": env.get("CALLBOT_BACKUP_DIR", "").strip() or Settings.backup_dir,
        "backup_keep": _number(env, "CALLBOT_BACKUP_KEEP", int, Settings.backup_keep),
        "backup_key": env.get("CALLBOT_BACKUP_KEY", "").strip() or None,
        "backup_hour": hour,
    }


def _networks(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated networks ("10.0.0.0/8, ::1/128"; a bare address is a network of one)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    networks = tuple(part.strip() for part in raw.split(",") if part.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"{name} must list networks such as 10.0.0.0/8, got {network!r}") from None
    return networks


def _number(env: Mapping[str, str], name: str, kind: type, default: Any) -> Any:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {kind.__name__}, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _price(env: Mapping[str, str], name: str) -> Price | None:
    """A price written as "0.085 USD" or "2000 VND" (amount, then the currency's three-letter code)."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    amount, _, currency = raw.partition(" ")
    currency = currency.strip().upper()
    try:
        value = Decimal(amount.replace(",", "."))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or len(currency) != 3 or not currency.isalpha():
        raise ConfigError(f"{name} must be an amount and a currency code, e.g. 0.085 USD; got {raw!r}")
    return Price(value, currency)
