"""`callbot model train | score | evaluate` on generated lead tables, through the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.callbot.conftest import failed, ok
from tests.scoring.ranking_data import make_rows


def write_table(path: Path, rows: list[dict[str, str]], labels: list[int] | None, sep: str = ",", enc: str = "utf-8"):  # type: ignore[no-untyped-def]
    headers = list(rows[0]) + (["outcome"] if labels is not None else [])
    with path.open("w", newline="", encoding=enc) as handle:
        writer = csv.writer(handle, delimiter=sep)
        writer.writerow(headers)
        for i, row in enumerate(rows):
            writer.writerow([*row.values(), *([("won" if labels[i] else "lost")] if labels is not None else [])])
    return path


@pytest.fixture(scope="module")
def data() -> tuple[list[dict[str, str]], list[int]]:
    rows, labels = make_rows(700)
    for i, row in enumerate(rows):
        row["called_for_seconds"] = str(300 if labels[i] else 20)  # known only after the call: must be excluded
    return rows, labels


def test_train_then_score_every_row_in_order(cli, tmp_path, data) -> None:  # type: ignore[no-untyped-def]
    rows, labels = data
    train_file = write_table(tmp_path / "past.csv", rows[:500], labels[:500], sep=";")
    out = ok(
        cli(
            "model",
            "train",
            train_file,
            "--target",
            "outcome",
            "--positive",
            "WON",
            "--out",
            tmp_path / "m",
            "--exclude",
            "called_for_seconds",
        )
    )
    assert "trained on 500 rows" in out and "lead_id (identifier" in out
    info = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert info["features"] == ["visits", "channel", "noise"] and info["dropped"]["called_for_seconds"] == "excluded"
    # The file to score has no outcome, a category never seen, empty cells and tab separators, in UTF-16.
    later = [dict(r) for r in rows[500:]]
    later[0]["channel"] = "tiktok"
    later[1]["visits"] = ""
    score_file = write_table(tmp_path / "new.tsv", later, None, sep="\t", enc="utf-16")
    ok(cli("model", "score", score_file, "--model", tmp_path / "m", "--out", tmp_path / "scores.csv"))
    with (tmp_path / "scores.csv").open(encoding="utf-8") as handle:
        scored = list(csv.DictReader(handle))
    assert len(scored) == 200
    scores = [float(r["score"]) for r in scored]
    assert all(0 < s < 1 for s in scores)
    from scoring.evaluation import roc_auc

    assert roc_auc(labels[500:], scores) > 0.75  # in order: row i's score belongs to row i
    assert "raises the score" in " ".join(r["reasons"] for r in scored)


def test_evaluate_by_time_and_held_out(cli, tmp_path, data) -> None:  # type: ignore[no-untyped-def]
    rows, labels = data
    path = write_table(tmp_path / "all.csv", rows[:400], labels[:400])
    out = ok(
        cli(
            "model",
            "evaluate",
            path,
            "--target",
            "outcome",
            "--positive",
            "won",
            "--folds",
            "2",
            "--exclude",
            "called_for_seconds",
        )
    )
    assert "order: file order" in out and "period 2" in out and "mean ROC AUC" in out and "held-out fifth" in out
    result = json.loads(
        ok(cli("model", "evaluate", path, "--target", "outcome", "--positive", "won", "--folds", "2", "--json"))
    )
    # Left in, the after-call column gives the answer away: the evaluation shows it (and why it must be excluded).
    assert result["by_time"]["mean_auc"] > 0.99
    assert len(result["by_time"]["folds"]) == 2 and result["holdout"]["rows"] == 80


def test_unordered_files_skip_the_time_split(cli, tmp_path, data) -> None:  # type: ignore[no-untyped-def]
    rows, labels = data
    path = write_table(tmp_path / "all.csv", rows[:300], labels[:300])
    result = json.loads(
        ok(
            cli(
                "model",
                "evaluate",
                path,
                "--target",
                "outcome",
                "--positive",
                "won",
                "--unordered",
                "--json",
                "--exclude",
                "called_for_seconds",
            )
        )
    )
    assert "by_time" not in result and result["holdout"]["auc"] > 0.6


def test_a_date_column_gives_the_order(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows, labels = make_rows(300)
    for i, row in enumerate(rows):
        row["created"] = f"2026-{1 + (299 - i) // 30:02d}-01"  # newest first in the file
    path = write_table(tmp_path / "dated.csv", rows, labels)
    out = ok(cli("model", "evaluate", path, "--target", "outcome", "--positive", "won", "--folds", "2"))
    assert "order: by created" in out


def test_clean_errors(cli, tmp_path, data) -> None:  # type: ignore[no-untyped-def]
    rows, labels = data
    path = write_table(tmp_path / "all.csv", rows[:100], labels[:100])
    assert "no column 'result'" in failed(cli("model", "evaluate", path, "--target", "result", "--positive", "won"))
    assert "no row has outcome" in failed(
        cli("model", "train", path, "--target", "outcome", "--positive", "maybe", "--out", tmp_path / "m")
    )
    assert "not a model directory" in failed(
        cli("model", "score", path, "--model", tmp_path, "--out", tmp_path / "o.csv")
    )


def test_an_excel_file_is_scored_too(cli, tmp_path, data) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    rows, labels = data
    ok(
        cli(
            "model",
            "train",
            write_table(tmp_path / "past.csv", rows[:300], labels[:300]),
            "--target",
            "outcome",
            "--positive",
            "won",
            "--out",
            tmp_path / "m",
            "--exclude",
            "called_for_seconds",
        )
    )
    book = Workbook()
    sheet = book.active
    sheet.append(["channel", "visits"])  # columns in another order, some missing: read by name
    sheet.append(["referral", 19])
    sheet.append(["google", 0])
    sheet.append(["referral", None])
    book.save(tmp_path / "new.xlsx")
    ok(
        cli(
            "model",
            "score",
            tmp_path / "new.xlsx",
            "--model",
            tmp_path / "m",
            "--out",
            tmp_path / "s.csv",
            "--no-reasons",
        )
    )
    with (tmp_path / "s.csv").open(encoding="utf-8") as handle:
        scored = list(csv.DictReader(handle))
    assert list(scored[0]) == ["score"] and len(scored) == 3
    assert float(scored[0]["score"]) > float(scored[1]["score"])
