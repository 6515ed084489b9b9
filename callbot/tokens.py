"""API tokens for the JSON API: a secret shown once, stored as its SHA-256 only, scoped and revocable.

A secret is `cb_` and 43 URL-safe characters (256 random bits). It is looked up by its hash, so the database never
holds anything from which it could be rebuilt; comparing hashes needs no constant-time care (an attacker who could
time the lookup learns bits of a hash of a random 256-bit value, which is worthless). Creation and revocation are
written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot import users
from callbot.db import utcnow
from callbot.errors import CallbotError, NotFound
from callbot.models import ApiToken

SECRET_PREFIX = "cb_"
PREFIX_CHARS = 10  # shown in listings to tell tokens apart: "cb_" and 7 characters of the secret
MAX_SECRET_LENGTH = 200  # anything longer is not one of ours; refused before hashing
# Every scope a token may hold, and what it allows.
SCOPES: dict[str, str] = {
    "leads:write": "add leads to campaigns (POST /api/leads)",
    "leads:read": "list leads with their scores, tiers and segments (GET /api/leads)",
}
DEFAULT_SCOPES = ("leads:write",)


class TokenError(CallbotError):
    """A request's token does not allow it; `status` is the HTTP answer (401 or 403)."""

    status = 401
    code = "invalid_token"


class InvalidToken(TokenError):
    """No token, an unknown or malformed one, or a revoked one."""


class MissingScope(TokenError):
    """A valid token without the scope the request needs."""

    status = 403
    code = "insufficient_scope"

    def __init__(self, message: str, scope: str):
        super().__init__(message)
        self.scope = scope


@dataclass(frozen=True)
class NewToken:
    """A token just created: the stored row and its secret (the only time the secret exists outside the caller)."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest under which a secret is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """The scopes, deduplicated in order; a CallbotError names an unknown one."""
    if not scopes:
        raise CallbotError("a token needs at least one scope (one of " + ", ".join(SCOPES) + ")")
    for scope in scopes:
        if scope not in SCOPES:
            raise CallbotError(f"unknown scope {scope!r} (one of {', '.join(SCOPES)})")
    return list(dict.fromkeys(scopes))


def create(
    session: Session,
    name: str,
    scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
    now: dt.datetime | None = None,
    *,
    created_by_id: int | None = None,
) -> NewToken:
    """Create a token; the returned secret is not stored anywhere and cannot be shown again."""
    now = now or utcnow()
    name = name.strip()
    if not name:
        raise CallbotError("a token needs a name (who or what uses it)")
    if len(name) > 100:
        raise CallbotError("a token's name is at most 100 characters")
    scope_list = check_scopes(scopes)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:PREFIX_CHARS],
        scopes=scope_list,
        created_at=now,
        created_by_id=created_by_id,
    )
    session.add(token)
    session.flush()
    users.audit(
        session,
        created_by_id,
        "api_token_created",
        now,
        token_id=token.id,
        name=name,
        prefix=token.prefix,
        scopes=scope_list,
    )
    return NewToken(token, secret)


def verify(session: Session, secret: str | None, scope: str, now: dt.datetime | None = None) -> ApiToken:
    """The live token with this secret and `scope` (its last use is recorded); else InvalidToken or MissingScope."""
    if not secret:
        raise InvalidToken("an API token is required: send 'Authorization: Bearer <token>'")
    if not secret.startswith(SECRET_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        raise InvalidToken("the API token is not valid")
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None:
        raise InvalidToken("the API token is not valid")
    if token.revoked_at is not None:
        raise InvalidToken("the API token has been revoked")
    if scope not in (token.scopes or ()):
        raise MissingScope(f"the API token lacks the scope {scope!r}", scope)
    token.last_used_at = now or utcnow()
    return token


def revoke(session: Session, token_id: int, now: dt.datetime | None = None, *, user_id: int | None = None) -> ApiToken:
    """Revoke a token at once: every later request with it is refused (401). Revoking twice is an error."""
    now = now or utcnow()
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    if token.revoked_at is not None:
        raise CallbotError(f"API token {token_id} was revoked already, at {token.revoked_at:%Y-%m-%d %H:%M} UTC")
    token.revoked_at = now
    users.audit(session, user_id, "api_token_revoked", now, token_id=token.id, name=token.name, prefix=token.prefix)
    return token


def list_tokens(session: Session, *, include_revoked: bool = True) -> list[ApiToken]:
    """Every token, oldest first (rows only: secrets are not stored)."""
    query = sa.select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query))
