"""Partials merge exactly: N partitions give the single-partition answer (the issue-10 contract)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from monitoring.profile import build_profile
from monitoring.statistics import CategoricalPartial, Moments, NumericPartial, empty_partial, partial_from_frame


def _frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(5, 2, rows), "y": rng.exponential(1, rows), "c": rng.choice(["a", "b", "z"], rows)}
    )
    frame.loc[frame.index[::11], "x"] = np.nan
    return frame


@pytest.mark.parametrize("parts", [1, 2, 7])
def test_merged_partitions_equal_single_partition(parts: int) -> None:
    profile = build_profile(_frame(2000, seed=1), categorical=["c"])
    current = _frame(5000, seed=2)
    current.loc[current.index[:300], "x"] = np.nan  # a partition with x all missing
    layouts = profile.layouts()
    whole = partial_from_frame(current, layouts)
    # uneven partition sizes, an empty one first
    cuts = sorted({0, 300, *np.random.default_rng(parts).integers(0, 5000, parts - 1).tolist(), 5000})
    merged = empty_partial(layouts).merge(partial_from_frame(current.iloc[:0], layouts))
    for start, end in itertools.pairwise(cuts):
        merged = merged.merge(partial_from_frame(current.iloc[start:end], layouts))
    assert merged.rows == whole.rows == 5000
    for name, single in whole.features.items():
        combined = merged.features[name]
        assert type(combined) is type(single)
        assert np.array_equal(combined.counts, single.counts)
        assert combined.missing == single.missing
        if isinstance(single, NumericPartial) and isinstance(combined, NumericPartial):
            assert combined.moments.count == single.moments.count
            assert combined.moments.mean == pytest.approx(single.moments.mean, rel=1e-9)
            assert combined.moments.m2 == pytest.approx(single.moments.m2, rel=1e-9)
            assert (combined.minimum, combined.maximum) == (single.minimum, single.maximum)


def test_moments_merge_matches_numpy() -> None:
    values = np.random.default_rng(3).normal(100, 3, 1001)
    merged = Moments.of(values[:10]).merge(Moments.of(values[10:])).merge(Moments())
    assert merged.mean == pytest.approx(values.mean(), rel=1e-12)
    assert merged.std == pytest.approx(values.std(ddof=1), rel=1e-9)


def test_unseen_categories_are_counted_with_examples() -> None:
    profile = build_profile(pd.DataFrame({"c": ["a", "b", "a"]}))
    partial = partial_from_frame(pd.DataFrame({"c": ["a", "new", None, "other"]}), profile.layouts())
    stats = partial.features["c"]
    assert isinstance(stats, CategoricalPartial)
    assert stats.counts.tolist() == [1, 0]
    assert (stats.unseen, stats.missing) == (2, 1)
    assert set(stats.unseen_examples) == {"new", "other"}
