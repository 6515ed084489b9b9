"""Migrations build exactly the schema the models describe; settings fail fast and name what is missing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from callbot.db import current_revision
from callbot.errors import ConfigError
from callbot.models import Base
from callbot.settings import REQUIRED, Settings

# Alembic cannot compare an index with descending or NULLS LAST columns; the test below checks that one exactly.
DESCENDING_INDEXES = {"ix_leads_ready"}


def test_migrations_match_the_models(engine):  # type: ignore[no-untyped-def]
    assert current_revision(engine) is not None
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    diff = [d for d in diff if not (d[0] in ("add_index", "remove_index") and d[1].name in DESCENDING_INDEXES)]
    assert diff == []


def test_the_dialer_order_index_is_built_as_the_claim_query_reads_it(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql = conn.scalar(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_ready'"))
            expected = "(campaign_id, priority DESC, score DESC, registered_at DESC NULLS LAST, id DESC)"
        else:
            sql = conn.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'ix_leads_ready'"))
            expected = "(campaign_id, priority DESC, score DESC, registered_at DESC, id DESC)"
    assert expected in sql
    assert "next_attempt_at IS NULL" in sql and "callable" in sql


def test_settings_name_every_missing_variable() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"CALLBOT_SECRET_KEY": "x" * 40})
    for name in REQUIRED[1:]:
        assert name in str(err.value)
    assert "CALLBOT_SECRET_KEY" not in str(err.value)


def test_settings_parse_and_reject_bad_values() -> None:
    env = {name: "value" for name in REQUIRED} | {
        "CALLBOT_PUBLIC_URL": "https://bot.example.vn/",
        "CALLBOT_CALLS_PER_SECOND": "2.5",
        "TWILIO_API_BASE_URL": "",
    }
    settings = Settings.from_env(env)
    assert settings.public_url == "https://bot.example.vn" and settings.calls_per_second == 2.5
    assert settings.twilio_api_base_url is None and settings.database_url.startswith("sqlite:///")
    with pytest.raises(ConfigError, match="CALLBOT_MAX_CONCURRENT_CALLS"):
        Settings.from_env(env | {"CALLBOT_MAX_CONCURRENT_CALLS": "many"})
    with pytest.raises(ConfigError, match="CALLBOT_SESSION_COOKIE_SECURE"):
        Settings.from_env(env | {"CALLBOT_SESSION_COOKIE_SECURE": "perhaps"})
