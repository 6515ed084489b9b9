"""API tokens: `callbot tokens create | list | revoke`, and what `tokens.verify` accepts."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from callbot import tokens
from callbot.errors import CallbotError
from callbot.models import ApiToken, AuditLog
from tests.callbot.conftest import failed, ok
from tests.conftest import NOW

SECRET = re.compile(r"^cb_[A-Za-z0-9_-]{43}$", re.MULTILINE)


def test_create_prints_the_secret_once_and_stores_its_hash(cli_db, sessions):  # type: ignore[no-untyped-def]
    output = ok(cli_db("tokens", "create", "website form"))
    (secret,) = SECRET.findall(output)
    assert "API token 1 'website form' created (scopes: leads:write)" in output
    with sessions() as s:
        token = s.scalar(sa.select(ApiToken))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert (token.name, token.prefix, token.scopes) == ("website form", secret[:10], ["leads:write"])
        assert token.created_by_id is None and token.last_used_at is None and token.revoked_at is None
        (entry,) = s.scalars(sa.select(AuditLog))
        assert entry.action == "api_token_created"
        assert entry.detail == {"token_id": 1, "name": "website form", "prefix": secret[:10], "scopes": ["leads:write"]}
        assert tokens.verify(s, secret, "leads:write").id == token.id
    listing = ok(cli_db("tokens", "list"))
    assert "website form" in listing and secret[:10] + "…" in listing and "active" in listing
    assert secret not in listing and secret[10:] not in listing  # the secret is never shown again


def test_scopes_are_chosen_and_checked(cli_db, sessions):  # type: ignore[no-untyped-def]
    output = ok(cli_db("tokens", "create", "both", "--scope", "leads:read", "--scope", "leads:write"))
    assert "scopes: leads:read, leads:write" in output
    assert "Invalid value for '--scope'" in failed(cli_db("tokens", "create", "bad", "--scope", "leads:delete"))
    assert "needs a name" in failed(cli_db("tokens", "create", "   "))
    with sessions() as s:
        assert [t.scopes for t in s.scalars(sa.select(ApiToken))] == [["leads:read", "leads:write"]]


def test_revoke_takes_effect_at_once_and_is_listed(cli_db, sessions):  # type: ignore[no-untyped-def]
    (secret,) = SECRET.findall(ok(cli_db("tokens", "create", "old form")))
    ok(cli_db("tokens", "create", "new form"))
    assert "API token 1 'old form'" in ok(cli_db("tokens", "revoke", "1"))
    with sessions() as s:
        with pytest.raises(tokens.InvalidToken, match="revoked"):
            tokens.verify(s, secret, "leads:write")
        assert [e.action for e in s.scalars(sa.select(AuditLog).order_by(AuditLog.id))] == [
            "api_token_created",
            "api_token_created",
            "api_token_revoked",
        ]
    lines = ok(cli_db("tokens", "list")).splitlines()
    assert "old form" in lines[0] and "revoked" in lines[0]
    assert "new form" in lines[1] and "active" in lines[1]
    assert "revoked already" in failed(cli_db("tokens", "revoke", "1"))
    assert "no API token with id 99" in failed(cli_db("tokens", "revoke", "99"))
    assert "not a valid integer" in failed(cli_db("tokens", "revoke", "one"))


def test_list_without_tokens(cli_db):  # type: ignore[no-untyped-def]
    assert ok(cli_db("tokens", "list")) == "no API tokens\n"


def test_verify_refuses_everything_but_a_live_token_with_the_scope(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        writer = tokens.create(s, "form", ["leads:write"], NOW)
        reader = tokens.create(s, "report", ["leads:read"], NOW)
    with sessions.begin() as s:
        for bad in (None, "", "cb_", "cb_" + "A" * 43, writer.secret.upper(), writer.secret + " ", "x" * 500):
            with pytest.raises(tokens.InvalidToken):
                tokens.verify(s, bad, "leads:write", NOW)
        with pytest.raises(tokens.MissingScope) as refused:
            tokens.verify(s, reader.secret, "leads:write", NOW)
        assert refused.value.status == 403 and refused.value.scope == "leads:write"
        assert tokens.verify(s, writer.secret, "leads:write", NOW).last_used_at == NOW
    with sessions() as s:
        assert s.get(ApiToken, writer.token.id).last_used_at == NOW
        assert s.get(ApiToken, reader.token.id).last_used_at is None


def test_create_checks_its_input(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        with pytest.raises(CallbotError, match="at least one scope"):
            tokens.create(s, "none", [], NOW)
        with pytest.raises(CallbotError, match="unknown scope"):
            tokens.create(s, "typo", ["lead:write"], NOW)
        with pytest.raises(CallbotError, match="at most 100"):
            tokens.create(s, "x" * 101, ["leads:write"], NOW)
        first, second = (tokens.create(s, "same name", ["leads:write"], NOW) for _ in range(2))
        assert first.secret != second.secret and first.token.token_hash != second.token.token_hash
        assert [t.id for t in tokens.list_tokens(s)] == [first.token.id, second.token.id]
