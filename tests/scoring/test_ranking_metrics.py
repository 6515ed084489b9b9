"""Evaluation figures: ROC AUC, lift, calibration, and the splits (by time, stratified)."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import evaluation


@pytest.mark.parametrize(
    ("labels", "scores", "expected"),
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1.0),
        ([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1], 0.0),
        ([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], 0.5),
        ([0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8], 0.5),
        ([1, 1, 1], [0.1, 0.2, 0.3], None),
    ],
)
def test_roc_auc_table(labels, scores, expected) -> None:  # type: ignore[no-untyped-def]
    assert evaluation.roc_auc(labels, scores) == expected


def test_roc_auc_agrees_with_scikit_learn_on_ties() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 500)
    scores = np.round(rng.random(500) + 0.3 * labels, 1)  # many ties
    assert evaluation.roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_lift_in_the_top_tenth() -> None:
    labels = [1] * 10 + [0] * 90  # base rate 10 %
    assert evaluation.lift_at(labels, list(range(100, 0, -1))) == pytest.approx(10.0)
    assert evaluation.lift_at(labels, list(range(100))) == pytest.approx(0.0)
    assert evaluation.lift_at([0, 0], [1, 2]) is None


def test_calibration_of_honest_and_overconfident_probabilities() -> None:
    labels = [1, 0, 0, 0] * 50
    honest = evaluation.calibration(labels, [0.25] * 200)
    bold = evaluation.calibration(labels, [0.9] * 200)
    assert honest.ece == pytest.approx(0.0)
    assert bold.ece == pytest.approx(0.65)
    assert honest.brier < bold.brier
    assert honest.bins == ((0.25, 0.25, 200),)


def test_rolling_origin_trains_on_the_past_and_covers_the_later_half() -> None:
    folds = evaluation.rolling_origin(100, folds=5)
    assert [(len(train), test.start, test.stop) for train, test in folds] == [
        (50, 50, 60),
        (60, 60, 70),
        (70, 70, 80),
        (80, 80, 90),
        (90, 90, 100),
    ]
    assert all(train.stop == test.start and train.start == 0 for train, test in folds)


def test_stratified_holdout_keeps_each_class_share_and_is_repeatable() -> None:
    labels = [1] * 40 + [0] * 160
    train, test = evaluation.stratified_holdout(labels, 0.2, seed=1)
    assert sorted(train + test) == list(range(200))
    assert sum(labels[i] for i in test) == 8 and len(test) == 40
    assert evaluation.stratified_holdout(labels, 0.2, seed=1) == (train, test)
    assert evaluation.stratified_holdout(labels, 0.2, seed=2) != (train, test)
