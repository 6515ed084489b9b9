"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from callbot import campaigns, compliance, db, intake, users
from callbot.models import Base, Campaign, Lead
from callbot.settings import Settings

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("CALLBOT_REQUIRE_POSTGRES", "") == "1"
ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in Ho Chi Minh City


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_PG and not PG_URL:
        raise pytest.UsageError("CALLBOT_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


def _worker_database(url: str) -> str:
    """TEST_DATABASE_URL itself, or under pytest-xdist a sibling database per worker (`test_gw0`, …): the workers
    empty their database at will and must not empty each other's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.make_url(url)
    return base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    """The PostgreSQL test database (one per xdist worker, created when missing), emptied and migrated once per
    session."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL run required but TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL not set")
    url = _worker_database(PG_URL)
    try:
        db.empty_database(url)
    except sa.exc.OperationalError as exc:
        if REQUIRE_PG:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    db.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "callbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL run required but TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL not set")
    url = request.getfixturevalue("pg_migrated")
    engine = db.make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    eng = db.make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: sa.Engine) -> sessionmaker[Session]:
    return db.make_sessionmaker(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        secret_key="test-secret-key-" + "x" * 32,
        public_url="http://localhost",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_caller_id="+842873000000",
        database_url=database_url,
        session_cookie_secure=False,
        calls_per_second=50,
        max_concurrent_calls=50,
        dialer_tick_seconds=0.1,
    )


@pytest.fixture
def app(settings: Settings, engine: sa.Engine):  # type: ignore[no-untyped-def]
    from web import create_app

    application = create_app(settings, engine=engine)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def make_campaign(session: Session, name: str = "Chiến dịch thử", **fields: object) -> Campaign:
    """A running campaign with the permissive preset unless told otherwise."""
    preset = str(fields.pop("preset", "permissive"))
    values: dict[str, object] = {
        "company": "Công ty ABC",
        "service": "khóa học tiếng Anh",
    }
    values.update(fields)
    # Tests speak of one retry delay for every outcome; the campaign's max_attempts bounds the attempts.
    delay = int(str(values.pop("retry_delay_seconds", 0)))
    values.setdefault("retry_policy", compliance.uniform_retries(delay, 10))
    campaign = campaigns.create_campaign(session, name, NOW, preset=preset, **values)
    campaign.status = str(fields.get("status", "running"))
    session.flush()
    return campaign


def make_leads(session: Session, campaign: Campaign, rows: list[dict[str, str]]) -> list[Lead]:
    """Import rows through the intake service (the same path as the CLI) and return the leads."""
    report = intake.import_rows(session, campaign, list(enumerate(rows, start=2)), NOW)
    assert report.total == len(rows)
    return list(session.scalars(sa.select(Lead).where(Lead.campaign_id == campaign.id).order_by(Lead.id)))


def make_user(session: Session, role: str = "admin", email: str | None = None, password: str = "mật-khẩu-dài-123"):  # type: ignore[no-untyped-def]
    return users.create_user(session, email or f"{role}@example.vn", role.title(), password, role, NOW)
