"""The learned ranking on generated data: types, unseen and missing values, calibration, reasons, drift guard."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring import evaluation
from scoring.features import OTHER, column_kind, infer_schema, parse_number
from scoring.learn import Model, evaluate, train
from tests.scoring.ranking_data import make_rows

NAMES = ["lead_id", "visits", "channel", "noise"]


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("1.5", 1.5),
        ("1,5", 1.5),
        ("1,234.5", 1234.5),
        (" 7 ", 7.0),
        ("-3", -3.0),
        ("", None),
        ("NA", None),
        ("abc", None),
    ],
)
def test_parse_number(cell: str, number: float | None) -> None:
    assert parse_number(cell) == number


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (["1", "2.5", "", "NA"], "numeric"),
        (["yes", "no", "1"], "categorical"),
        (["2024-01-02", "2024-02-03 10:00", ""], "datetime"),
        (["", "null", "-"], "empty"),
    ],
)
def test_column_kind(cells: list[str], kind: str) -> None:
    assert column_kind(cells) == kind


def test_schema_drops_identifiers_and_exclusions_and_buckets_rare_categories() -> None:
    rows, _ = make_rows(200)
    for i, row in enumerate(rows):
        row["row_no"] = str(5000 + i)
        row["rare"] = "x" if i == 0 else "y"
    schema = infer_schema(rows, [*NAMES, "row_no", "rare"], exclude=["noise"])
    assert schema.names == ["visits", "channel", "rare"]
    assert set(schema.dropped) == {"lead_id", "row_no", "noise"}
    rare = schema.columns[2]
    assert rare.categories == ("y", OTHER)
    encoded = rare.encode(["x", "y", "never seen", ""])
    assert encoded[:3].tolist() == [1.0, 0.0, 1.0] and math.isnan(encoded[3])


@pytest.fixture(scope="module")
def trained() -> tuple[Model, list[dict[str, str]], list[int]]:
    rows, labels = make_rows(900)
    return train(rows[:600], labels[:600], NAMES), rows[600:], labels[600:]


def test_the_model_ranks_later_rows_it_never_saw(trained) -> None:  # type: ignore[no-untyped-def]
    model, later, labels = trained
    assert evaluation.roc_auc(labels, model.predict(later)) > 0.75


def test_probabilities_are_calibrated(trained) -> None:  # type: ignore[no-untyped-def]
    model, later, labels = trained
    p = model.predict(later)
    assert abs(p.mean() - np.mean(labels)) < 0.06
    assert evaluation.calibration(labels, p).ece < 0.1


def test_unseen_categories_missing_values_and_absent_columns_are_scored(trained) -> None:  # type: ignore[no-untyped-def]
    model, _, _ = trained
    p = model.predict([{"visits": "5", "channel": "tiktok"}, {"visits": "", "channel": ""}, {}])
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))


def test_each_score_names_its_top_features_in_words(trained) -> None:  # type: ignore[no-untyped-def]
    model, _, _ = trained
    strong, weak = model.explain(
        [{"visits": "19", "channel": "referral", "noise": "a"}, {"visits": "0", "channel": "google", "noise": "a"}]
    )
    assert {c.feature for c in strong[:2]} == {"visits", "channel"}
    assert all(c.effect > 0 for c in strong[:2]) and all(c.effect < 0 for c in weak[:2])
    assert "visits = 19 raises the score" in [c.words().split(" (")[0] for c in strong]
    assert [name for name, _ in model.importances[:2]] in (["visits", "channel"], ["channel", "visits"])


def test_a_model_survives_serialisation(trained) -> None:  # type: ignore[no-untyped-def]
    model, later, _ = trained
    again = Model.from_bytes(model.to_bytes())
    assert np.array_equal(again.predict(later[:20]), model.predict(later[:20]))
    with pytest.raises(ValueError):
        Model.from_bytes(__import__("pickle").dumps({"not": "a model"}))


def test_a_column_that_only_tells_the_time_is_left_out() -> None:
    rows, labels = make_rows(600, drift=True)
    model = train(rows, labels, [*NAMES, "rate_index"])
    assert "rate_index" in model.schema.dropped and "drifts with time" in model.schema.dropped["rate_index"]
    unordered = train(rows, labels, [*NAMES, "rate_index"], time_ordered=False)
    assert "rate_index" in unordered.schema.names


def test_evaluation_is_by_time_and_on_a_held_out_fifth() -> None:
    rows, labels = make_rows(500)
    result = evaluate(rows, labels, NAMES, folds=2)
    folds = result["by_time"]["folds"]
    assert [f["train_rows"] for f in folds] == [250, 375]
    assert result["by_time"]["mean_auc"] > 0.65 and result["holdout"]["auc"] > 0.65
    assert result["holdout"]["rows"] == 100
    assert result["by_time"]["mean_lift_top10"] > 1.2


def test_too_few_outcomes_is_refused() -> None:
    rows, _ = make_rows(50)
    with pytest.raises(ValueError, match="too few"):
        train(rows, [0] * 49 + [1], NAMES)
