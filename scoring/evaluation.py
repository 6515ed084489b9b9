"""How well a ranking model works: ROC AUC, lift in the top tenth, calibration; folds by time (rolling origin) and a
stratified held-out fifth for reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def roc_auc(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float | None:
    """Area under the ROC curve (ties count half); None when only one class is present."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_scores = s[order]
    # Average ranks over ties (1-based), then the Mann-Whitney U statistic.
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[y].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def lift_at(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, share: float = 0.1
) -> float | None:
    """The positive rate among the top `share` by score over the overall rate (1.0 = no better than chance)."""
    y = np.asarray(labels, dtype=float)
    if len(y) == 0 or y.mean() == 0:
        return None
    top = max(1, int(round(len(y) * share)))
    order = np.argsort(-np.asarray(scores, dtype=float), kind="mergesort")
    return float(y[order[:top]].mean() / y.mean())


@dataclass(frozen=True)
class Calibration:
    brier: float
    ece: float  # expected calibration error: |mean predicted − observed rate| weighted over ten bins
    bins: tuple[tuple[float, float, int], ...]  # (mean predicted, observed rate, rows) per non-empty bin


def calibration(labels: Sequence[int] | np.ndarray, probabilities: Sequence[float] | np.ndarray) -> Calibration:
    """Brier score and the reliability table over ten equal-width probability bins."""
    y = np.asarray(labels, dtype=float)
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    brier = float(np.mean((p - y) ** 2)) if len(y) else 0.0
    which = np.minimum((p * 10).astype(int), 9)
    bins = []
    ece = 0.0
    for b in range(10):
        mask = which == b
        n = int(mask.sum())
        if n:
            predicted, observed = float(p[mask].mean()), float(y[mask].mean())
            bins.append((round(predicted, 4), round(observed, 4), n))
            ece += n / len(y) * abs(predicted - observed)
    return Calibration(brier=round(brier, 5), ece=round(ece, 5), bins=tuple(bins))


def rolling_origin(n: int, folds: int = 5, start: float = 0.5) -> list[tuple[range, range]]:
    """(train, test) row ranges: the rows from `start` on are cut into `folds` consecutive periods; each period is
    scored by a model trained on every row before it."""
    if n < 2 or folds < 1:
        return []
    first = max(1, int(n * start))
    edges = np.linspace(first, n, folds + 1).astype(int)
    return [(range(0, int(a)), range(int(a), int(b))) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def stratified_holdout(labels: Sequence[int] | np.ndarray, share: float = 0.2, seed: int = 0) -> tuple[list, list]:
    """(train, test) row indexes: a random `share` of each class held out (the same rows for the same seed)."""
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test: list[int] = []
    for value in np.unique(y):
        rows = np.flatnonzero(y == value)
        rng.shuffle(rows)
        test += rows[: int(round(len(rows) * share))].tolist()
    held = set(test)
    return [i for i in range(len(y)) if i not in held], sorted(test)


@dataclass(frozen=True)
class Metrics:
    rows: int
    positives: int
    auc: float | None
    lift_top10: float | None
    calibration: Calibration

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "positives": self.positives,
            "auc": None if self.auc is None else round(self.auc, 4),
            "lift_top10": None if self.lift_top10 is None else round(self.lift_top10, 3),
            "brier": self.calibration.brier,
            "ece": self.calibration.ece,
            "calibration_bins": [list(b) for b in self.calibration.bins],
        }


def measure(labels: Sequence[int] | np.ndarray, probabilities: Sequence[float] | np.ndarray) -> Metrics:
    """All the figures for one set of scored rows."""
    y = np.asarray(labels, dtype=int)
    return Metrics(
        rows=len(y),
        positives=int(y.sum()),
        auc=roc_auc(y, probabilities),
        lift_top10=lift_at(y, probabilities, 0.1),
        calibration=calibration(y, probabilities),
    )
