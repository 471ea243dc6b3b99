"""Mergeable partial statistics: everything the drift check needs from current data.

A partial is computed from one chunk (or one partition) of rows and merges with another partial
exactly: bin counts, missing counts and category counts by addition, moments (count, mean, M2) by
the parallel-variance merge of Chan et al. The single-process check is one partition per chunk and
a merge per chunk, so a distributed engine only has to ship partials back to the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # pandas costs ~0.4 s to import; the Arrow drift path never needs it
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
        # multiply + pairwise sum rather than np.dot: dot goes to OpenBLAS, whose spinning threads
        # made it 5-10x slower on a busy 2-core machine; the pairwise sum is also more accurate.
        np.multiply(deviations, deviations, out=deviations)
        return cls(int(values.size), mean, float(deviations.sum()))

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
    """Counts in the layout's cells, missing (null/NaN) count, infinite count, moments, range.

    Cells: for a continuous layout the bins of its edges (len(edges) + 1, the first and last lying
    beyond the reference's min and max); for a discrete layout one cell per reference value plus a
    last cell for values the reference never had. Infinite values are counted in the cells (they
    are out-of-range evidence) and in `infinite`, but not in the moments, which they would make
    meaningless; `minimum`/`maximum` are those of the finite values.
    """

    counts: np.ndarray
    missing: int
    moments: Moments
    minimum: float = float("inf")
    maximum: float = float("-inf")
    infinite: int = 0
    kind: Literal["numeric"] = "numeric"

    def merge(self, other: NumericPartial) -> NumericPartial:
        return NumericPartial(
            counts=self.counts + other.counts,
            missing=self.missing + other.missing,
            moments=self.moments.merge(other.moments),
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
            infinite=self.infinite + other.infinite,
        )

    @property
    def present(self) -> int:
        """Values counted in the cells: finite and infinite, not missing."""
        return int(self.moments.count + self.infinite)


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


# Cells of the uniform grid `BinCounter` lays over the edge range: fine enough that only ~1% of
# normally distributed values land in a cell holding an edge, small enough to stay in L1/L2 cache.
GRID_CELLS = 1 << 14


class BinCounter:
    """Counts values into quantile bins exactly, about 5x faster than a binary search per value.

    A uniform grid of `GRID_CELLS` cells covers [edges[0], edges[-1]]. The cell of a value is
    floor((x - edges[0]) * scale), an arithmetic that is monotone in x (IEEE rounding is), so a cell
    that holds no edge's own cell position lies wholly inside one bin: its values are counted per
    cell with one `bincount` and mapped to bins. Only values in the few cells that hold an edge go
    through `searchsorted`. The result equals `bincount(searchsorted(edges, x, side="right"))`.
    """

    def __init__(self, edges: np.ndarray) -> None:
        self.edges = edges
        self.usable = False
        if edges.size < 2:
            return
        low, span = float(edges[0]), float(edges[-1] - edges[0])
        if not np.isfinite(span) or span <= 0:
            return
        self.usable = True
        self.low, self.scale = low, GRID_CELLS / span
        edge_cells = self._cells(edges)
        # cells are shifted by one: 0 holds values below edges[0], GRID_CELLS + 1 values past the grid
        self.ambiguous = np.zeros(GRID_CELLS + 2, dtype=bool)
        self.ambiguous[edge_cells] = True
        # bin of a cell without an edge: the number of edges whose cell lies before it
        self.cell_bin = np.searchsorted(edge_cells, np.arange(GRID_CELLS + 2), side="left")

    def _cells(self, values: np.ndarray) -> np.ndarray:
        # far outside the grid the arithmetic overflows to +-inf, which the clip below handles
        with np.errstate(over="ignore", invalid="ignore"):
            position = (values - self.low) * self.scale
        np.floor(position, out=position)
        np.clip(position, -1, GRID_CELLS, out=position)
        cells = position.astype(np.int64)
        cells += 1
        return cells

    def counts(self, values: np.ndarray) -> np.ndarray:
        """Counts per bin (len(edges) + 1) of finite float64 values."""
        bins = self.edges.size + 1
        if not self.usable:
            return np.bincount(np.searchsorted(self.edges, values, side="right"), minlength=bins).astype(np.int64)
        cells = self._cells(values)
        per_cell = np.bincount(cells, minlength=GRID_CELLS + 2)
        clear = ~self.ambiguous
        counts = np.bincount(self.cell_bin[clear], weights=per_cell[clear], minlength=bins).astype(np.int64)
        edge_values = values[self.ambiguous[cells]]
        if edge_values.size:
            counts += np.bincount(np.searchsorted(self.edges, edge_values, side="right"), minlength=bins)
        return counts


@dataclass(frozen=True)
class NumericLayout:
    """Where a numeric feature's values are counted.

    Continuous: the profile's bin edges, ascending (`values` is None). Discrete: the reference's
    distinct values, ascending, each its own cell, plus one cell for any other value (`edges` is
    empty), so a recoding or a rate change between close values is never merged away by binning.
    """

    edges: np.ndarray
    values: np.ndarray | None = None
    kind: Literal["numeric"] = "numeric"

    @cached_property
    def counter(self) -> BinCounter:
        return BinCounter(self.edges)

    @property
    def cells(self) -> int:
        return self.values.size + 1 if self.values is not None else self.edges.size + 1


LabelForm = Literal["number", "text"]


@dataclass(frozen=True)
class CategoricalLayout:
    """The reference categories a categorical feature's values are counted against.

    `label_form` is fixed at profile time: how a current value becomes a label (see
    `category_labels`), so a chunk's labels never depend on which other rows it holds.
    """

    categories: tuple[str, ...]
    label_form: LabelForm = "text"
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
                continue
            if isinstance(mine, CategoricalPartial) and isinstance(theirs, CategoricalPartial):
                merged[name] = mine.merge(theirs)
                continue
            raise ValueError(f"feature {name!r} is numeric in one partial and categorical in the other")
        return DataPartial(self.rows + other.rows, merged)


def empty_partial(layouts: Mapping[str, FeatureLayout]) -> DataPartial:
    """The identity of `merge`: zero rows over the given features."""
    features: dict[str, FeaturePartial] = {}
    for name, layout in layouts.items():
        if isinstance(layout, NumericLayout):
            features[name] = NumericPartial(np.zeros(layout.cells, np.int64), 0, Moments())
        else:
            features[name] = CategoricalPartial(np.zeros(len(layout.categories), np.int64), 0, 0)
    return DataPartial(0, features)


def numeric_values(column: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for missing values (pandas NA, None, NaN alike)."""
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def _discrete_counts(values: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Counts per reference value (exact equality) plus a last cell for every other value."""
    position = np.searchsorted(support, values, side="left")
    np.minimum(position, support.size - 1, out=position)
    matched = support[position] == values
    counts = np.bincount(position[matched], minlength=support.size).astype(np.int64)
    return np.append(counts, np.int64(values.size - int(counts.sum())))


def numeric_partial(values: np.ndarray, edges: np.ndarray | NumericLayout) -> NumericPartial:
    """Cell counts and moments of float64 values; NaN counts as missing.

    Infinite values are counted in the cells (beyond the reference's range: a unit or overflow
    bug is out-of-range evidence) but not in the moments, which they would make meaningless.
    """
    layout = edges if isinstance(edges, NumericLayout) else NumericLayout(np.asarray(edges, dtype=np.float64))
    nan = np.isnan(values)
    counted = values[~nan] if nan.any() else values
    infinite = np.isinf(counted)
    infinite_count = int(infinite.sum())
    finite = counted[~infinite] if infinite_count else counted
    if layout.values is not None:
        counts = _discrete_counts(counted, layout.values)
    else:
        # side="right": a value equal to an edge belongs to the bin that starts at that edge, so
        # bin k holds edges[k-1] <= x < edges[k]; the reference counts were made the same way.
        counter = layout.counter if isinstance(edges, NumericLayout) else BinCounter(layout.edges)
        counts = counter.counts(counted)
    return NumericPartial(
        counts=counts,
        missing=int(values.size - counted.size),
        moments=Moments.of(finite),
        minimum=float(finite.min()) if finite.size else float("inf"),
        maximum=float(finite.max()) if finite.size else float("-inf"),
        infinite=infinite_count,
    )


# Longest unseen category kept as an example: a hostile column of huge strings cannot bloat a partial.
EXAMPLE_CHARS = 80


def _example(label: str) -> str:
    """A label short enough to report: its start and its end, which is where long ids differ."""
    if len(label) <= EXAMPLE_CHARS:
        return label
    return label[: EXAMPLE_CHARS - 20] + "..." + label[-17:]


def _number_labels(numbers: np.ndarray) -> np.ndarray:
    """Canonical text of numbers: whole values without a fraction ("1", not "1.0"), others repr-like."""
    # formatted once per distinct value: a million-row column of a few codes costs one np.unique
    distinct, inverse = np.unique(numbers, return_inverse=True)
    whole = np.isfinite(distinct) & (distinct == np.round(distinct)) & (np.abs(distinct) < 1e15)
    texts = np.array([str(int(v)) if w else repr(float(v)) for v, w in zip(distinct, whole, strict=True)], dtype=object)
    return texts[inverse.reshape(-1)] if numbers.size else np.empty(0, dtype=object)


def category_labels(column: pd.Series, form: LabelForm = "text") -> pd.Series:
    """Category labels of a column, decided value by value, so chunking can never change them.

    Numbers (numeric dtypes, and Python ints/floats in object columns) always get their canonical
    text: 1, 1.0 and np.int64(1) are all "1". With `form="number"` (the reference column was
    numeric) text that reads as a number is canonicalised too, so "1.0" from a CSV is "1"; with
    `form="text"` text is kept verbatim ("007" stays "007"). Missing values stay missing.
    """
    import pandas as pd

    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return column.astype("string")
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        labels = np.full(numbers.size, None, dtype=object)
        present = ~np.isnan(numbers)
        labels[present] = _number_labels(numbers[present])
        return pd.Series(labels, index=column.index, dtype="string")
    values = column.to_numpy(dtype=object)
    missing = column.isna().to_numpy()
    labels = np.full(values.size, None, dtype=object)
    if form == "number":
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        numeric = ~np.isnan(numbers) & ~missing
        labels[numeric] = _number_labels(numbers[numeric])
    else:
        numeric = np.fromiter(
            (isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in values),
            dtype=bool,
            count=values.size,
        ) & ~missing
        if numeric.any():
            labels[numeric] = _number_labels(values[numeric].astype(np.float64))
    text = ~numeric & ~missing
    labels[text] = [str(v).strip() if isinstance(v, str) else str(v) for v in values[text]]
    return pd.Series(labels, index=column.index, dtype="string")


def categorical_partial(column: pd.Series, categories: tuple[str, ...], form: LabelForm = "text") -> CategoricalPartial:
    import pandas as pd

    labels = category_labels(column, form)
    missing = labels.isna().to_numpy()
    codes = pd.Categorical(labels, categories=list(categories)).codes
    unseen_mask = (codes < 0) & ~missing
    counts = np.bincount(codes[codes >= 0], minlength=len(categories)).astype(np.int64, copy=False)
    examples: tuple[str, ...] = ()
    if unseen_mask.any():
        examples = tuple(_example(str(v)) for v in pd.unique(labels[unseen_mask])[:UNSEEN_EXAMPLES])
    return CategoricalPartial(counts, int(unseen_mask.sum()), int(missing.sum()), examples)


def partial_from_frame(frame: pd.DataFrame, layouts: Mapping[str, FeatureLayout]) -> DataPartial:
    """Partials of the layout's features over one chunk; the caller has checked the columns."""
    features: dict[str, FeaturePartial] = {}
    for name, layout in layouts.items():
        if isinstance(layout, NumericLayout):
            features[name] = numeric_partial(numeric_values(frame[name]), layout)
        else:
            features[name] = categorical_partial(frame[name], layout.categories, layout.label_form)
    return DataPartial(len(frame), features)
