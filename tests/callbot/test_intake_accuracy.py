"""Accuracy of the lead-intake filter on a realistic Vietnamese lead export, through the `leads check` dry run.

The list (tests/data/realistic_leads.csv) carries its own answers in `expected_verdict`, `expected_e164` and
`expected_flag`; tests/data/make_realistic_leads.py regenerates it. Run with `-s` to see the figures.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from callbot.cli import main
from callbot.settings import REQUIRED

DATA = Path(__file__).resolve().parents[1] / "data"
LEADS = DATA / "realistic_leads.csv"
DNC = DATA / "realistic_dnc.csv"
ADDED = ["verdict", "phone_e164", "reasons"]
VERDICTS = ("ok", "suspect", "junk", "duplicate", "blocked")
CALLABLE = ("ok", "suspect")

Row = dict[str, str]


@dataclass(frozen=True)
class Goal:
    """One of the issue's goals: hits out of total, against a lower or an upper bound on the rate."""

    name: str
    hits: int
    total: int
    bound: float
    at_most: bool = False

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 0.0

    @property
    def met(self) -> bool:
        return self.rate <= self.bound if self.at_most else self.total > 0 and self.rate >= self.bound

    def __str__(self) -> str:
        goal = f"{'≤' if self.at_most else '≥'} {self.bound:.1%}"
        return f"{self.name:<38} {self.hits:>4}/{self.total:<4} = {self.rate:7.2%}  (goal {goal})  " + (
            "met" if self.met else "MISSED"
        )


def measure(expected: Sequence[Row], actual: Sequence[Row]) -> list[Goal]:
    """The issue's goals, from rows with `expected_*` columns and the matching output rows (same order)."""
    pairs = list(zip(expected, actual, strict=True))

    def count(want: Callable[[Row], bool], hit: Callable[[Row, Row], bool]) -> tuple[int, int]:
        chosen = [(e, a) for e, a in pairs if want(e)]
        return sum(1 for e, a in chosen if hit(e, a)), len(chosen)

    def caught(verdict: str) -> tuple[int, int]:
        return count(lambda e: e["expected_verdict"] == verdict, lambda e, a: a["verdict"] == verdict)

    def callable_(e: Row) -> bool:
        return e["expected_verdict"] in CALLABLE

    def fake_name(e: Row) -> bool:
        # a fake name on a junk, blocked or duplicate row is outranked: only rows expected suspect count
        return e["expected_verdict"] == "suspect" and "fake name" in e["expected_flag"]

    rejected = count(callable_, lambda e, a: a["verdict"] not in CALLABLE)
    flagged = count(fake_name, lambda e, a: a["verdict"] == "suspect")
    numbers = count(callable_, lambda e, a: a["phone_e164"] == e["expected_e164"])
    return [
        Goal("callable leads wrongly rejected", *rejected, 0.005, at_most=True),
        Goal("junk numbers caught", *caught("junk"), 0.98),
        Goal("duplicates caught", *caught("duplicate"), 0.98),
        Goal("do-not-call caught", *caught("blocked"), 1.0),
        Goal("fake names flagged", *flagged, 0.80),
        Goal("E.164 right on callable leads", *numbers, 0.995),
    ]


def misses(expected: Sequence[Row], actual: Sequence[Row], limit: int = 40) -> list[str]:
    """The rows where the verdict or the number differs, for the report."""
    lines = []
    for number, (e, a) in enumerate(zip(expected, actual, strict=True), start=2):
        same_verdict = a["verdict"] == e["expected_verdict"]
        same_number = e["expected_verdict"] not in CALLABLE or a["phone_e164"] == e["expected_e164"]
        if not (same_verdict and same_number):
            lines.append(
                f"row {number:>3} {e['Họ và tên']!r:<24} {e['Số điện thoại']!r:<32} want {e['expected_verdict']:<9}"
                f" {e['expected_e164']:<14} got {a['verdict']:<9} {a['phone_e164']:<14} [{a['reasons']}]"
                f" ({e['expected_flag']})"
            )
    return lines[:limit] + ([f"… and {len(lines) - limit} more"] if len(lines) > limit else [])


def summary_counts(output: str) -> dict[str, list[int]]:
    """The counts the command prints next to each verdict: 'ok 12', 'ok: 12', 'ok=12' or '12 ok'."""
    found: dict[str, list[int]] = {}
    for verdict in VERDICTS:
        after = re.findall(rf"(?<!\w){verdict}(?!\w)[ \t]*[:=]?[ \t]*(\d+)(?!\w)", output, re.IGNORECASE)
        before = re.findall(rf"(?<!\w)(\d+)[ \t]+{verdict}(?!\w)", output, re.IGNORECASE)
        found[verdict] = sorted({int(n) for n in after + before})
    return found


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    # utf-8-sig: an Excel-friendly BOM on the output is still UTF-8
    with path.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Result, Path]]:
    """`callbot leads check` run once on the list, from an empty directory with no callbot settings."""
    workdir = tmp_path_factory.mktemp("check")
    out = workdir / "out.csv"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(workdir)
        for name in (*REQUIRED, "CALLBOT_DATABASE_URL", "TWILIO_API_BASE_URL"):
            mp.delenv(name, raising=False)
        result = CliRunner().invoke(main, ["leads", "check", str(LEADS), "--dnc", str(DNC), "--out", str(out)])
    yield result, out


def output_rows(checked: tuple[Result, Path]) -> tuple[list[Row], list[Row]]:
    """(input rows, output rows) as dicts, after checking the output keeps every input row, in order."""
    result, out = checked
    assert result.exit_code == 0, (result.output, result.exception)
    in_header, in_rows = read_csv(LEADS)
    out_header, out_rows = read_csv(out)
    assert out_header == in_header + ADDED
    assert len(out_rows) == len(in_rows), "one output row per input row"
    for number, (given, written) in enumerate(zip(in_rows, out_rows, strict=True), start=2):
        assert written[: len(in_header)] == given, f"row {number}: input columns changed or rows reordered"
    unknown = Counter(row[len(in_header)] for row in out_rows if row[len(in_header)] not in VERDICTS)
    assert not unknown, f"verdicts outside {VERDICTS}: {dict(unknown)}"
    return [dict(zip(in_header, r, strict=True)) for r in in_rows], [
        dict(zip(out_header, r, strict=True)) for r in out_rows
    ]


def test_leads_check_meets_the_accuracy_goals(checked, capsys) -> None:  # type: ignore[no-untyped-def]
    expected, actual = output_rows(checked)
    goals = measure(expected, actual)
    table = Counter((e["expected_verdict"], a["verdict"]) for e, a in zip(expected, actual, strict=True))
    with capsys.disabled():
        print(f"\nintake accuracy on {LEADS.name} ({len(expected)} rows)")
        print("\n".join(str(goal) for goal in goals))
        print("expected \\ got " + "".join(f"{v:>10}" for v in VERDICTS))
        for want in VERDICTS:
            print(f"{want:<15}" + "".join(f"{table[want, got]:>10}" for got in VERDICTS))
        print("\n".join(misses(expected, actual)))
    missed = [str(goal) for goal in goals if not goal.met]
    assert not missed, "\n".join(missed)


def test_leads_check_summary_counts_match_the_output(checked) -> None:  # type: ignore[no-untyped-def]
    _, actual = output_rows(checked)
    written = Counter(row["verdict"] for row in actual)
    printed = summary_counts(checked[0].output)
    assert printed == {v: [written[v]] for v in VERDICTS}, checked[0].output


def test_measure_and_summary_parsing_on_a_hand_made_table() -> None:
    def row(verdict: str, e164: str, flag: str = "") -> Row:
        cells = {"Họ và tên": "", "Số điện thoại": ""}
        return {"expected_verdict": verdict, "expected_e164": e164, "expected_flag": flag, **cells}

    def got(verdict: str, e164: str) -> Row:
        return {"verdict": verdict, "phone_e164": e164, "reasons": ""}

    expected = [
        row("ok", "+84912000001"),
        row("ok", "+84912000002"),
        row("suspect", "+84912000003", "fake name: test"),
        row("suspect", "+84912000004", "fake name: abc"),
        row("suspect", "+84912000005", "disposable e-mail"),
        row("junk", ""),
        row("junk", ""),
        row("duplicate", "+84912000001"),
        row("blocked", "+84912000009", "do-not-call (fake name too)"),
        row("blocked", "+84912000010"),
    ]
    actual = [
        got("ok", "+84912000001"),
        got("junk", ""),
        got("suspect", "+84912000003"),
        got("ok", "+84912000004"),
        got("ok", "+84912000005"),
        got("junk", ""),
        got("ok", "+84900000000"),
        got("duplicate", "+84912000001"),
        got("blocked", "+84912000009"),
        got("duplicate", "+84912000010"),
    ]
    goals = {goal.name: (goal.hits, goal.total, goal.met) for goal in measure(expected, actual)}
    assert goals == {
        "callable leads wrongly rejected": (1, 5, False),
        "junk numbers caught": (1, 2, False),
        "duplicates caught": (1, 1, True),
        "do-not-call caught": (1, 2, False),
        "fake names flagged": (1, 2, False),
        "E.164 right on callable leads": (4, 5, False),
    }
    perfect = [got(e["expected_verdict"], e["expected_e164"]) for e in expected]
    assert all(goal.met for goal in measure(expected, perfect))
    assert len(misses(expected, actual)) == 5
    with pytest.raises(ValueError):
        measure(expected, actual[:-1])  # a lost row is an error, not a silently shorter comparison

    assert summary_counts("10 rows checked\nok 2\nsuspect 1\njunk 3\nduplicate 1\nblocked 3\nduplicate_phone 1\n") == {
        "ok": [2],
        "suspect": [1],
        "junk": [3],
        "duplicate": [1],
        "blocked": [3],
    }
    assert summary_counts("ok: 2, suspect: 1, junk=3 | 1 duplicate, 3 blocked") == {
        "ok": [2],
        "suspect": [1],
        "junk": [3],
        "duplicate": [1],
        "blocked": [3],
    }


def test_the_list_is_what_its_generator_makes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_realistic_leads", DATA / "make_realistic_leads.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, generator)  # dataclasses look their module up while being built
    spec.loader.exec_module(generator)
    leads, dnc = generator.build()
    assert LEADS.read_bytes() == leads.encode("utf-8"), "regenerate with tests/data/make_realistic_leads.py"
    assert DNC.read_bytes() == dnc.encode("utf-8")
    _, rows = read_csv(LEADS)
    verdicts = Counter(row[-3] for row in rows)
    assert len(rows) >= 600 and set(verdicts) == set(VERDICTS)
    assert 0.05 <= verdicts["duplicate"] / len(rows) <= 0.08
