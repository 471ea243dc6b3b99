"""Mergeable partial statistics: everything the drift check needs from current data.

A partial is computed from one chunk (or one partition) of rows and merges with another partial
exactly: bin counts, missing counts and category counts by addition, moments (count, mean, M2) by
the parallel-variance merge of Chan et al. The single-process check is one partition per chunk and
a merge per chunk, so a distributed engine only has to ship partials back to the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

# How many example values of categories the reference never saw a partial keeps: enough to name
# them in a report, bounded so a high-cardinality column cannot grow a partial without limit.
UNSEEN_EXAMPLES = 10


@dataclass(frozen=True)
class Moments:
    """Count, mean and sum of squared deviations (M2) of the finite values of one feature."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        if values.size == 0:
            return cls()
        mean = float(values.mean())
        deviations = values - mean
        return cls(int(values.size), mean, float(np.dot(deviations, deviations)))

    def merge(self, other: Moments) -> Moments:
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        count = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * other.count / count
        m2 = self.m2 + other.m2 + delta * delta * self.count * other.count / count
        return Moments(count, mean, m2)

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1), 0 for fewer than two values."""
        return float(np.sqrt(self.m2 / (self.count - 1))) if self.count > 1 else 0.0


@dataclass(frozen=True)
class NumericPartial:
    """Counts in the profile's bins (len(edges) + 1 of them), missing count, moments, range."""

    counts: np.ndarray
    missing: int
    moments: Moments
    minimum: float = float("inf")
    maximum: float = float("-inf")
    kind: Literal["numeric"] = "numeric"

    def merge(self, other: NumericPartial) -> NumericPartial:
        return NumericPartial(
            counts=self.counts + other.counts,
            missing=self.missing + other.missing,
            moments=self.moments.merge(other.moments),
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
        )


@dataclass(frozen=True)
class CategoricalPartial:
    """Counts per reference category, a count of values the reference never saw, missing count."""

    counts: np.ndarray
    unseen: int
    missing: int
    unseen_examples: tuple[str, ...] = ()
    kind: Literal["categorical"] = "categorical"

    def merge(self, other: CategoricalPartial) -> CategoricalPartial:
        examples = tuple(dict.fromkeys(self.unseen_examples + other.unseen_examples))[:UNSEEN_EXAMPLES]
        return CategoricalPartial(
            counts=self.counts + other.counts,
            unseen=self.unseen + other.unseen,
            missing=self.missing + other.missing,
            unseen_examples=examples,
        )


FeaturePartial = NumericPartial | CategoricalPartial


@dataclass(frozen=True)
class NumericLayout:
    """Where a numeric feature's values are counted: the profile's inner bin edges, ascending."""

    edges: np.ndarray
    kind: Literal["numeric"] = "numeric"


@dataclass(frozen=True)
class CategoricalLayout:
    """The reference categories a categorical feature's values are counted against."""

    categories: tuple[str, ...]
    kind: Literal["categorical"] = "categorical"


FeatureLayout = NumericLayout | CategoricalLayout


@dataclass(frozen=True)
class DataPartial:
    """Partials of every profiled feature over some rows; `merge` adds two disjoint row sets."""

    rows: int
    features: dict[str, FeaturePartial] = field(default_factory=dict)

    def merge(self, other: DataPartial) -> DataPartial:
        if self.features.keys() != other.features.keys():
            raise ValueError("partials cover different features and cannot be merged")
        merged: dict[str, FeaturePartial] = {}
        for name, mine in self.features.items():
            theirs = other.features[name]
            if isinstance(mine, NumericPartial) and isinstance(theirs, NumericPartial):
                merged[name] = mine.merge(theirs)
            elif isinstance(mine, CategoricalPartial) and isinstance(theirs, CategoricalPartial):
                merged[name] = mine.merge(theirs)
            else:
                raise ValueError(f"feature {name!r} is numeric in one partial and categorical in the other")
        return DataPartial(self.rows + other.rows, merged)


def empty_partial(layouts: Mapping[str, FeatureLayout]) -> DataPartial:
    """The identity of `merge`: zero rows over the given features."""
    features: dict[str, FeaturePartial] = {}
    for name, layout in layouts.items():
        if isinstance(layout, NumericLayout):
            features[name] = NumericPartial(np.zeros(layout.edges.size + 1, np.int64), 0, Moments())
        else:
            features[name] = CategoricalPartial(np.zeros(len(layout.categories), np.int64), 0, 0)
    return DataPartial(0, features)


def numeric_values(column: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for missing values (pandas NA, None, NaN alike)."""
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_partial(values: np.ndarray, edges: np.ndarray) -> NumericPartial:
    """Bin counts and moments of float64 values; NaN and +-inf count as missing.

    Infinite values are counted as missing rather than binned because they would make the mean
    and standard deviation meaningless, and an upstream pipeline sending them is broken the same
    way as one sending nulls.
    """
    finite = np.isfinite(values)
    present = values if finite.all() else values[finite]
    # side="right": a value equal to an edge belongs to the bin that starts at that edge, so
    # bin k holds edges[k-1] <= x < edges[k]; the reference counts were made the same way.
    bins = np.searchsorted(edges, present, side="right")
    counts = np.bincount(bins, minlength=edges.size + 1).astype(np.int64, copy=False)
    return NumericPartial(
        counts=counts,
        missing=int(values.size - present.size),
        moments=Moments.of(present),
        minimum=float(present.min()) if present.size else float("inf"),
        maximum=float(present.max()) if present.size else float("-inf"),
    )


def category_labels(column: pd.Series) -> pd.Series:
    """Category values as strings; whole floats (ints that gained NaN on the way) lose their ``.0``."""
    if pd.api.types.is_float_dtype(column.dtype):
        present = column.dropna()
        if len(present) and bool((present == present.round()).all()):
            column = column.astype("Int64")
    return column.astype("string")


def categorical_partial(column: pd.Series, categories: tuple[str, ...]) -> CategoricalPartial:
    labels = category_labels(column)
    missing = labels.isna().to_numpy()
    codes = pd.Categorical(labels, categories=list(categories)).codes
    unseen_mask = (codes < 0) & ~missing
    counts = np.bincount(codes[codes >= 0], minlength=len(categories)).astype(np.int64, copy=False)
    examples: tuple[str, ...] = ()
    if unseen_mask.any():
        examples = tuple(str(v) for v in pd.unique(labels[unseen_mask])[:UNSEEN_EXAMPLES])
    return CategoricalPartial(counts, int(unseen_mask.sum()), int(missing.sum()), examples)


def partial_from_frame(frame: pd.DataFrame, layouts: Mapping[str, FeatureLayout]) -> DataPartial:
    """Partials of the layout's features over one chunk; the caller has checked the columns."""
    features: dict[str, FeaturePartial] = {}
    for name, layout in layouts.items():
        if isinstance(layout, NumericLayout):
            features[name] = numeric_partial(numeric_values(frame[name]), layout.edges)
        else:
            features[name] = categorical_partial(frame[name], layout.categories)
    return DataPartial(len(frame), features)
