"""Learned ranking: a calibrated classifier over any lead table, trained on the past and judged on what came after,
with each score's top contributing features in words."""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring import evaluation
from scoring.features import Schema, infer_schema

Row = Mapping[str, object]
FAMILIES = ("blend",)  # also "boosting", "logistic": with several, the best on the validation fifth is kept
# A feature telling the most recent fifth of the rows from the rest this well says *when* a row was made rather than
# who it is about (prices, rates, the month): its relation to the outcome drifts, so it is left out.
DRIFT_AUC = 0.9
MIN_ROWS = 20


@dataclass(frozen=True)
class Contribution:
    """One feature's push on one score: positive raises the probability, negative lowers it."""

    feature: str
    value: str
    effect: float  # in log-odds

    def words(self) -> str:
        """E.g. "job = retired raises the score (+0.42)"."""
        verb = "raises" if self.effect > 0 else "lowers"
        return f"{self.feature} = {self.value} {verb} the score ({self.effect:+.2f})"


@dataclass
class Model:
    """A trained ranking model: encoding, estimator, calibration and what it learned from."""

    schema: Schema
    family: str
    estimator: Any
    slope: float  # Platt calibration: p = sigmoid(slope * margin + intercept)
    intercept: float
    importances: list[tuple[str, float]] = field(default_factory=list)  # column, AUC lost when shuffled
    validation: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def _margin(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(self.estimator.decision_function(matrix), dtype=float)

    def _calibrated(self, margin: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.slope * margin + self.intercept)))

    def predict(self, rows: Sequence[Row]) -> np.ndarray:
        """Calibrated probabilities of the positive outcome, one per row, in order."""
        if not rows:
            return np.empty(0)
        return self._calibrated(self._margin(self.schema.encode(rows)))

    def explain(self, rows: Sequence[Row], top: int = 3) -> list[list[Contribution]]:
        """Per row, the `top` features that moved its score most from a typical row's (the column set to its
        median or most frequent value), largest first."""
        if not rows:
            return []
        matrix = self.schema.encode(rows)
        margin = self._margin(matrix)
        effects = np.zeros(matrix.shape)
        for j, col in enumerate(self.schema.columns):
            typical = matrix.copy()
            typical[:, j] = col.baseline()
            effects[:, j] = self.slope * (margin - self._margin(typical))
        out = []
        for i in range(len(rows)):
            order = np.argsort(-np.abs(effects[i]), kind="mergesort")[:top]
            out.append(
                [
                    Contribution(
                        self.schema.columns[j].name, self.schema.columns[j].describe(matrix[i, j]), effects[i, j]
                    )
                    for j in order
                    if abs(effects[i, j]) > 1e-6
                ]
            )
        return out

    def to_bytes(self) -> bytes:
        """The model serialised (pickle: load only models this deployment wrote)."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def from_bytes(blob: bytes) -> Model:
        """A model written by to_bytes."""
        try:
            model = pickle.loads(blob)  # noqa: S301 - our own blobs (database, model directory)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError) as exc:
            raise ValueError(f"not a callbot ranking model ({type(exc).__name__})") from None
        if not isinstance(model, Model):
            raise ValueError("not a callbot ranking model")
        return model


class Blend:
    """Gradient boosting and logistic regression averaged, each margin divided by its spread on the training rows:
    steadier under drift than picking one of them on a small recent slice (measured on the bank data: see
    docs/architecture.md)."""

    def __init__(self, schema: Schema, seed: int):
        self.parts = [_estimator("boosting", schema, seed), _estimator("logistic", schema, seed)]
        self.spread = [1.0, 1.0]

    def fit(self, matrix: np.ndarray, labels: np.ndarray) -> Blend:
        for part in self.parts:
            part.fit(matrix, labels)
        self.spread = [float(np.std(part.decision_function(matrix))) or 1.0 for part in self.parts]
        return self

    def decision_function(self, matrix: np.ndarray) -> np.ndarray:
        margins = [
            part.decision_function(matrix) / spread for part, spread in zip(self.parts, self.spread, strict=True)
        ]
        return np.asarray(sum(margins), dtype=float) / len(margins)


def _estimator(family: str, schema: Schema, seed: int) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    mask = schema.categorical_mask()
    if family == "blend":
        return Blend(schema, seed)
    if family == "boosting":
        return HistGradientBoostingClassifier(
            max_iter=300,
            learning_rate=0.05,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            categorical_features=mask if any(mask) else None,
            early_stopping=False,
            random_state=seed,
        )
    numeric = [j for j, c in enumerate(mask) if not c]
    categorical = [j for j, c in enumerate(mask) if c]
    parts = []
    if numeric:
        parts.append(
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric)
        )
    if categorical:
        parts.append(
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1.0),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            )
        )
    return make_pipeline(ColumnTransformer(parts), LogisticRegression(C=0.1, max_iter=2000))


def _drifting(matrix: np.ndarray, schema: Schema) -> dict[str, str]:
    """Columns that tell the most recent fifth of the rows from the earlier ones (see DRIFT_AUC)."""
    n = len(matrix)
    recent = np.arange(n) >= int(n * 0.8)
    drifting = {}
    for j, col in enumerate(schema.columns):
        values = np.nan_to_num(matrix[:, j], nan=-1e9)
        if col.kind == "categorical":
            # Each category stands for the share of its rows that are recent.
            codes, inverse = np.unique(values, return_inverse=True)
            share = np.bincount(inverse, weights=recent) / np.bincount(inverse)
            values = share[inverse]
        auc = evaluation.roc_auc(recent, values)
        if auc is not None and max(auc, 1 - auc) >= DRIFT_AUC:
            drifting[col.name] = f"drifts with time (tells recent rows from earlier ones, AUC {max(auc, 1 - auc):.2f})"
    return drifting


def _platt(margin: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    if len(set(labels.tolist())) < 2:
        return 1.0, 0.0
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), labels)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _permutation(estimator: Any, matrix: np.ndarray, labels: np.ndarray, schema: Schema, seed: int) -> list:
    """AUC lost on the validation rows when each column is shuffled, largest first."""
    base = evaluation.roc_auc(labels, estimator.decision_function(matrix))
    if base is None:
        return []
    rng = np.random.default_rng(seed)
    lost = []
    for j, col in enumerate(schema.columns):
        shuffled = matrix.copy()
        shuffled[:, j] = rng.permutation(shuffled[:, j])
        auc = evaluation.roc_auc(labels, estimator.decision_function(shuffled)) or 0.5
        lost.append((col.name, round(base - auc, 4)))
    return sorted(lost, key=lambda item: -item[1])


def train(
    rows: Sequence[Row],
    labels: Sequence[int],
    names: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    time_ordered: bool = True,
    families: Sequence[str] = FAMILIES,
    seed: int = 0,
) -> Model:
    """Train on rows (oldest first when `time_ordered`): the family that ranks the latest fifth best (a random
    fifth when the rows are not in time order) is refit on every row and calibrated on that fifth."""
    y = np.asarray(labels, dtype=int)
    if len(y) < MIN_ROWS or y.sum() < 2 or y.sum() > len(y) - 2:
        raise ValueError(f"too few rows or outcomes to learn from ({len(y)} rows, {int(y.sum())} positive)")
    schema = infer_schema(rows, names, exclude)
    matrix = schema.encode(rows)
    if time_ordered:
        drifting = _drifting(matrix, schema)
        if drifting and len(drifting) < len(schema.columns):
            schema = infer_schema(rows, names, [*exclude, *drifting])
            schema = Schema(schema.columns, {**schema.dropped, **drifting})
            matrix = schema.encode(rows)
        cut = int(len(y) * 0.8)
        fit_rows, val_rows = np.arange(cut), np.arange(cut, len(y))
    else:
        fit_list, val_list = evaluation.stratified_holdout(y, 0.2, seed)
        fit_rows, val_rows = np.asarray(fit_list), np.asarray(val_list)
    if not schema.columns:
        raise ValueError("no usable feature column")
    best: tuple[float, str, Any] | None = None
    for family in families:
        estimator = _estimator(family, schema, seed).fit(matrix[fit_rows], y[fit_rows])
        auc = evaluation.roc_auc(y[val_rows], estimator.decision_function(matrix[val_rows]))
        if best is None or (auc or 0.0) > best[0]:
            best = (auc or 0.0, family, estimator)
    assert best is not None
    _, family, first = best
    val_margin = np.asarray(first.decision_function(matrix[val_rows]), dtype=float)
    slope, intercept = _platt(val_margin, y[val_rows])
    final = _estimator(family, schema, seed).fit(matrix, y)
    model = Model(schema=schema, family=family, estimator=final, slope=slope, intercept=intercept)
    val_probability = 1.0 / (1.0 + np.exp(-(slope * val_margin + intercept)))
    model.validation = evaluation.measure(y[val_rows], val_probability).as_dict()
    model.validation["split"] = "latest fifth" if time_ordered else "random fifth"
    model.importances = _permutation(first, matrix[val_rows], y[val_rows], schema, seed)
    model.info = {"rows": len(y), "positives": int(y.sum()), "families_tried": list(families)}
    return model


def evaluate(
    rows: Sequence[Row],
    labels: Sequence[int],
    names: Sequence[str],
    *,
    exclude: Sequence[str] = (),
    time_ordered: bool = True,
    folds: int = 5,
    holdout: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """By time (rolling origin over the later half, when the rows are in time order) and on a stratified held-out
    fifth: ROC AUC, lift in the top 10 %, calibration."""
    y = np.asarray(labels, dtype=int)
    result: dict[str, Any] = {"rows": len(y), "positives": int(y.sum())}
    if time_ordered:
        fold_results, pooled_y, pooled_p = [], [], []
        for train_rows, test_rows in evaluation.rolling_origin(len(y), folds):
            model = train([rows[i] for i in train_rows], y[train_rows.start : train_rows.stop], names, exclude=exclude)
            p = model.predict([rows[i] for i in test_rows])
            truth = y[test_rows.start : test_rows.stop]
            fold = evaluation.measure(truth, p).as_dict()
            fold.update(train_rows=len(train_rows), family=model.family, dropped=sorted(model.schema.dropped))
            fold_results.append(fold)
            pooled_y.append(truth)
            pooled_p.append(p)
        aucs = [f["auc"] for f in fold_results if f["auc"] is not None]
        lifts = [f["lift_top10"] for f in fold_results if f["lift_top10"] is not None]
        result["by_time"] = {
            "folds": fold_results,
            "mean_auc": round(float(np.mean(aucs)), 4) if aucs else None,
            "mean_lift_top10": round(float(np.mean(lifts)), 3) if lifts else None,
            "pooled": evaluation.measure(np.concatenate(pooled_y), np.concatenate(pooled_p)).as_dict()
            if fold_results
            else None,
        }
    if holdout:
        train_idx, test_idx = evaluation.stratified_holdout(y, 0.2, seed)
        model = train([rows[i] for i in train_idx], y[train_idx], names, exclude=exclude, time_ordered=time_ordered)
        p = model.predict([rows[i] for i in test_idx])
        result["holdout"] = {**evaluation.measure(y[test_idx], p).as_dict(), "family": model.family}
    return result
