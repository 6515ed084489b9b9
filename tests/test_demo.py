"""The demo command runs a whole sample campaign and prints its funnel."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from callbot.cli import main

pytestmark = pytest.mark.e2e


def test_demo_runs_to_the_end_and_prints_the_funnel(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--leads", "60"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Admin login: admin@callbot.local / " in out
    assert "permissive" in out
    counts = {label: int(n) for label, n in re.findall(r"^  ([a-z ]+?)(?: \(.*\))?\s+(\d+)$", out, re.M)}
    assert counts["imported"] == 60
    assert counts["junk"] > 0
    assert counts["imported"] > counts["called"] >= counts["answered"] >= counts["identity confirmed"]
    assert counts["identity confirmed"] >= counts["interested"] == counts["queued for telesales"] > 0
    assert (tmp_path / "var" / "demo.db").exists()
