"""Fixtures for driving the `callbot` command line in tests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from callbot.cli import main
from callbot.settings import REQUIRED


@pytest.fixture
def cli(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """Invoke `callbot …` from an empty directory (no .env to pick up) with no callbot settings in the env."""
    monkeypatch.chdir(tmp_path)
    for name in (*REQUIRED, "CALLBOT_DATABASE_URL", "TWILIO_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: object, **kwargs):  # type: ignore[no-untyped-def]
        return runner.invoke(main, [str(a) for a in args], **kwargs)

    return invoke


@pytest.fixture
def cli_db(cli, monkeypatch, database_url):  # type: ignore[no-untyped-def]
    """`callbot …` against the test database of each backend."""
    monkeypatch.setenv("CALLBOT_DATABASE_URL", database_url)
    return cli


def ok(result) -> str:  # type: ignore[no-untyped-def]
    """The output of a command that succeeded."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def failed(result) -> str:  # type: ignore[no-untyped-def]
    """The output of a command that failed cleanly: non-zero exit, a message, no traceback."""
    assert result.exit_code not in (0, None), result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert "Error: " in result.output, result.output
    return result.output
