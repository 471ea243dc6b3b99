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


def test_category_labels_do_not_depend_on_which_rows_share_a_chunk() -> None:
    from monitoring.statistics import category_labels

    # the same codes as ints, as floats that gained a NaN, as CSV text: one label each
    assert category_labels(pd.Series([1, 2]), "number").tolist() == ["1", "2"]
    assert category_labels(pd.Series([1.0, np.nan, 2.5]), "number").tolist() == ["1", pd.NA, "2.5"]
    assert category_labels(pd.Series(["1.0", "2", " x "], dtype=object), "number").tolist() == ["1", "2", "x"]
    assert category_labels(pd.Series(["007", 7, 7.0], dtype=object), "text").tolist() == ["007", "7", "7"]
    profile = build_profile(pd.DataFrame({"code": [1, 2, 3, 1.5] * 50}), categorical=["code"], discrete_values=0)
    current = pd.DataFrame({"code": [1.0, 2.0, 1.5, np.nan, 3.0, 2.0]})
    whole = partial_from_frame(current, profile.layouts()).features["code"]
    # chunk 1 is whole floats only (the old per-chunk rule made them ints), chunk 2 holds 1.5 and NaN
    merged = partial_from_frame(current.iloc[:2], profile.layouts()).merge(
        partial_from_frame(current.iloc[2:], profile.layouts())
    ).features["code"]
    assert isinstance(whole, CategoricalPartial) and isinstance(merged, CategoricalPartial)
    assert whole.counts.tolist() == merged.counts.tolist() and whole.unseen == merged.unseen == 0


@pytest.mark.parametrize("parts", [2, 5])
def test_discrete_and_tail_cells_merge_exactly(parts: int) -> None:
    rng = np.random.default_rng(parts)
    reference = pd.DataFrame({"flag": rng.integers(0, 2, 3000), "x": rng.normal(size=3000)})
    current = pd.DataFrame({"flag": rng.integers(0, 3, 4000), "x": rng.normal(0, 2, 4000)})
    current.loc[::97, "x"] = np.inf
    profile = build_profile(reference)
    layouts = profile.layouts()
    whole = partial_from_frame(current, layouts)
    merged = empty_partial(layouts)
    for chunk in np.array_split(np.arange(4000), parts):
        merged = merged.merge(partial_from_frame(current.iloc[chunk], layouts))
    for name in ("flag", "x"):
        single, combined = whole.features[name], merged.features[name]
        assert isinstance(single, NumericPartial) and isinstance(combined, NumericPartial)
        assert combined.counts.tolist() == single.counts.tolist() and combined.infinite == single.infinite
    flag = whole.features["flag"]
    assert flag.counts.tolist() == [int((current.flag == v).sum()) for v in (0, 1)] + [int((current.flag == 2).sum())]
