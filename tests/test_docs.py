"""Documentation generated from the code stays in step with it."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_reason_code_table_is_current() -> None:
    render = runpy.run_path(str(ROOT / "scripts" / "reason_codes.py"))["render"]
    current = (ROOT / "docs" / "reason-codes.md").read_text(encoding="utf-8")
    assert current == render(), "docs/reason-codes.md is stale: run .venv/bin/python scripts/reason_codes.py"
