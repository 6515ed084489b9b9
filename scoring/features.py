"""Turning rows of text cells into model features: column types detected, identifiers dropped, unseen and missing
values handled, every feature named in words."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

# Cells that mean "no value" in the files people send (compared stripped and case-folded).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "nil", "-", "--", "?", "#n/a"})
# A categorical column keeps at most this many categories (HistGradientBoosting's limit is 255 bins); the rest,
# categories seen fewer than MIN_COUNT times and categories never seen in training share the code OTHER.
MAX_CATEGORIES = 250
MIN_COUNT = 5
OTHER = "(other)"
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|Z)?$")


def is_missing(cell: object) -> bool:
    """True when a cell holds no value (empty, NA, null, a lone dash …)."""
    if cell is None:
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    return str(cell).strip().casefold() in MISSING


def parse_number(cell: object) -> float | None:
    """A cell as a number ("1.5", "1,5", "1,234.5", " 7 "), or None when it is not one."""
    if is_missing(cell):
        return None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def column_kind(cells: Sequence[object]) -> str:
    """ "numeric", "datetime", "categorical" or "empty", from the non-missing cells of one column."""
    present = [c for c in cells if not is_missing(c)]
    if not present:
        return "empty"
    numbers = sum(parse_number(c) is not None for c in present)
    if numbers >= 0.98 * len(present):
        return "numeric"
    if sum(bool(_DATE.match(str(c).strip())) for c in present) >= 0.98 * len(present):
        return "datetime"
    return "categorical"


@dataclass(frozen=True)
class Column:
    """How one input column becomes one feature."""

    name: str
    kind: str  # numeric · categorical
    categories: tuple[str, ...] = ()  # codes 0..n-1 in this order; OTHER is the last when present
    median: float = 0.0  # the numeric baseline (explanations compare a row with it)
    mode: str | None = None  # the categorical baseline

    def encode(self, cells: Sequence[object]) -> np.ndarray:
        """The column as floats: numbers, or category codes; NaN where the cell is missing."""
        out = np.full(len(cells), np.nan)
        if self.kind == "numeric":
            for i, cell in enumerate(cells):
                value = parse_number(cell)
                if value is not None:
                    out[i] = value
            return out
        index = {c: i for i, c in enumerate(self.categories)}
        other = index.get(OTHER)
        for i, cell in enumerate(cells):
            if is_missing(cell):
                continue
            code = index.get(str(cell).strip(), other)
            # A category never seen in training (and no OTHER bucket) reads as missing: the model knows that.
            if code is not None:
                out[i] = code
        return out

    def baseline(self) -> float:
        """The encoded value a typical row has, for explanations."""
        if self.kind == "numeric":
            return self.median
        return float(self.categories.index(self.mode)) if self.mode in self.categories else math.nan

    def describe(self, value: float) -> str:
        """An encoded value in words (the category, the number, or "missing")."""
        if math.isnan(value):
            return "missing"
        if self.kind == "numeric":
            return f"{value:g}"
        return self.categories[int(value)]


@dataclass(frozen=True)
class Schema:
    """The columns a model uses and why the others were left out."""

    columns: tuple[Column, ...]
    dropped: Mapping[str, str] = field(default_factory=dict)  # column -> reason

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def categorical_mask(self) -> list[bool]:
        return [c.kind == "categorical" for c in self.columns]

    def encode(self, rows: Sequence[Mapping[str, object]]) -> np.ndarray:
        """A float matrix (rows × columns); columns absent from a row read as missing."""
        matrix = np.empty((len(rows), len(self.columns)))
        for j, col in enumerate(self.columns):
            matrix[:, j] = col.encode([row.get(col.name) for row in rows])
        return matrix


def _identifier(kind: str, cells: list[object]) -> bool:
    """A column with a distinct value on (almost) every row names the row, it does not describe it."""
    present = [str(c).strip() for c in cells if not is_missing(c)]
    if len(present) < 50:
        return False
    distinct = len(set(present))
    if kind == "categorical":
        return distinct > 0.5 * len(present)
    numbers = [parse_number(c) for c in present]
    return distinct >= 0.95 * len(present) and all(n is not None and n == int(n) for n in numbers)


def infer_schema(rows: Sequence[Mapping[str, object]], names: Sequence[str], exclude: Sequence[str] = ()) -> Schema:
    """Decide each column's kind and encoding from training rows; identifiers, dates, constants and excluded
    columns are dropped, with the reason."""
    columns: list[Column] = []
    dropped: dict[str, str] = {}
    for name in names:
        if name in exclude:
            dropped[name] = "excluded"
            continue
        cells = [row.get(name) for row in rows]
        kind = column_kind(cells)
        if kind == "empty":
            dropped[name] = "empty"
            continue
        if kind == "datetime":
            dropped[name] = "date or time (used for order, not as a feature)"
            continue
        if _identifier(kind, cells):
            dropped[name] = "identifier (a different value on nearly every row)"
            continue
        if kind == "numeric":
            values = [v for v in (parse_number(c) for c in cells) if v is not None]
            if len(set(values)) < 2:
                dropped[name] = "constant"
                continue
            columns.append(Column(name, "numeric", median=float(np.median(values))))
            continue
        counts = Counter(str(c).strip() for c in cells if not is_missing(c))
        if len(counts) < 2:
            dropped[name] = "constant"
            continue
        frequent = [c for c, n in counts.most_common(MAX_CATEGORIES) if n >= MIN_COUNT]
        # OTHER always exists, so a category first seen when scoring has a code of its own.
        categories = (*sorted(frequent), OTHER)
        columns.append(Column(name, "categorical", categories=categories, mode=counts.most_common(1)[0][0]))
    return Schema(tuple(columns), dropped)
