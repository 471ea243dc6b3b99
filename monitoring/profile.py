"""The reference profile: compact, versioned statistics of the reference sample.

Built once at packaging time (`build_profile`) and stored in the artifact manifest under
``reference_profile``. Per numeric feature it keeps quantile bin edges fine enough for the
Kolmogorov-Smirnov statistic (100 bins by default) with their counts, plus count, missing count,
mean, std, min and max; per categorical feature the most frequent categories with their counts.
The current data is counted into exactly these bins (see `monitoring.statistics`), so PSI, KL and
KS are computed from counts and the reference sample itself is never needed again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from monitoring.errors import ProfileError
from monitoring.statistics import (
    CategoricalLayout,
    CategoricalPartial,
    FeatureLayout,
    NumericLayout,
    NumericPartial,
    category_labels,
    partial_from_frame,
)

if TYPE_CHECKING:  # pandas is needed to build a profile, not to check drift against one
    import pandas as pd

PROFILE_VERSION = 1
MANIFEST_KEY = "reference_profile"
DEFAULT_BINS = 100
DEFAULT_MAX_CATEGORIES = 100


class NumericFeatureProfile(BaseModel):
    """Quantile bins and moments of one numeric feature in the reference sample."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["numeric"] = "numeric"
    dtype: str = Field(description="pandas dtype of the reference column, for messages")
    edges: list[float] = Field(description="inner bin edges, strictly ascending; bin k is [edges[k-1], edges[k])")
    counts: list[int] = Field(description="reference values per bin, len(edges) + 1 entries")
    count: int = Field(ge=1, description="non-missing reference values")
    missing: int = Field(ge=0, description="missing (null, NaN or infinite) reference values")
    mean: float
    std: float = Field(ge=0)
    min: float
    max: float

    @model_validator(mode="after")
    def _bins_are_consistent(self) -> NumericFeatureProfile:
        if len(self.counts) != len(self.edges) + 1:
            raise ValueError(f"{len(self.edges)} edges need {len(self.edges) + 1} counts, got {len(self.counts)}")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("edges must be strictly ascending")
        if sum(self.counts) != self.count:
            raise ValueError(f"bin counts sum to {sum(self.counts)}, not count {self.count}")
        return self

    @property
    def missing_rate(self) -> float:
        return self.missing / (self.count + self.missing)


class CategoricalFeatureProfile(BaseModel):
    """Frequencies of the most common categories of one categorical feature."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["categorical"] = "categorical"
    dtype: str = Field(description="pandas dtype of the reference column, for messages")
    categories: list[str] = Field(description="the most frequent categories, most frequent first")
    counts: list[int] = Field(description="reference count per category")
    other: int = Field(ge=0, description="reference values in categories beyond the kept ones")
    missing: int = Field(ge=0, description="missing reference values")

    @model_validator(mode="after")
    def _counts_match(self) -> CategoricalFeatureProfile:
        if len(self.counts) != len(self.categories):
            raise ValueError(f"{len(self.categories)} categories but {len(self.counts)} counts")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories must be unique")
        return self

    @property
    def missing_rate(self) -> float:
        total = sum(self.counts) + self.other + self.missing
        return self.missing / total if total else 0.0


FeatureProfile = Annotated[NumericFeatureProfile | CategoricalFeatureProfile, Field(discriminator="kind")]


class ReferenceProfile(BaseModel):
    """Statistics of a reference sample; JSON via ``model_dump(mode="json")``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile_version: Literal[1] = Field(
        default=1, description="format version; a reader refuses versions it does not know"
    )
    row_count: int = Field(ge=1, description="rows in the reference sample")
    features: dict[str, FeatureProfile] = Field(
        description="per feature, in the model's input column order (capture CSV rows are positional)"
    )

    def layouts(self, names: Iterable[str] | None = None) -> dict[str, FeatureLayout]:
        """Where current values of each (or the named) feature are counted."""
        chosen = self.features if names is None else {n: self.features[n] for n in names}
        layouts: dict[str, FeatureLayout] = {}
        for name, feature in chosen.items():
            if isinstance(feature, NumericFeatureProfile):
                layouts[name] = NumericLayout(np.asarray(feature.edges, dtype=np.float64))
            else:
                layouts[name] = CategoricalLayout(tuple(feature.categories))
        return layouts


def _is_numeric(column: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)


def _is_supported_categorical(column: pd.Series) -> bool:
    import pandas as pd

    dtype = column.dtype
    return (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or _is_numeric(column)
    )


def _quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    # Quantile edges give every bin about the same reference mass, which keeps PSI and KL stable
    # (no near-empty reference bins) and spreads the KS grid evenly over the CDF. Ties collapse.
    inner = np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def build_profile(
    frame: pd.DataFrame,
    *,
    categorical: Iterable[str] = (),
    bins: int = DEFAULT_BINS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
) -> ReferenceProfile:
    """Profile every column of `frame`; columns named in `categorical` (and non-numeric ones) by category.

    Raises `ProfileError` for an empty frame, an unknown categorical name, a column that is all
    missing or of an unsupported type (dates, nested values).
    """
    if not 2 <= bins <= 1000:
        raise ProfileError(f"bins must be between 2 and 1000, got {bins}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ProfileError("the reference sample is empty: pass a DataFrame with at least one row and column")
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        raise ProfileError(f"the reference sample has duplicate columns {duplicated}: rename them")
    frame = frame.set_axis(names, axis=1)
    categorical = [str(c) for c in categorical]
    unknown = sorted(set(categorical) - set(names))
    if unknown:
        raise ProfileError(f"categorical columns {unknown} are not in the reference sample (columns: {names})")

    layouts: dict[str, FeatureLayout] = {}
    for name in names:
        column = frame[name]
        if name in categorical or not _is_numeric(column):
            if not _is_supported_categorical(column):
                raise ProfileError(
                    f"column {name!r} has type {column.dtype}, which cannot be profiled: "
                    "convert it to numbers or strings, or drop it from the reference sample"
                )
            labels = category_labels(column).dropna()
            if labels.empty:
                raise ProfileError(f"column {name!r} is all missing in the reference sample: drop it or fill it")
            top = labels.value_counts(sort=True).index[:max_categories]
            layouts[name] = CategoricalLayout(tuple(str(v) for v in top))
        else:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                raise ProfileError(f"column {name!r} is all missing in the reference sample: drop it or fill it")
            layouts[name] = NumericLayout(_quantile_edges(finite, bins))

    partial = partial_from_frame(frame, layouts)
    features: dict[str, NumericFeatureProfile | CategoricalFeatureProfile] = {}
    for name, stats in partial.features.items():
        layout = layouts[name]
        dtype = str(frame[name].dtype)
        if isinstance(stats, NumericPartial) and isinstance(layout, NumericLayout):
            features[name] = NumericFeatureProfile(
                dtype=dtype,
                edges=[float(e) for e in layout.edges],
                counts=[int(c) for c in stats.counts],
                count=stats.moments.count,
                missing=stats.missing,
                mean=stats.moments.mean,
                std=stats.moments.std,
                min=stats.minimum,
                max=stats.maximum,
            )
        elif isinstance(stats, CategoricalPartial) and isinstance(layout, CategoricalLayout):
            features[name] = CategoricalFeatureProfile(
                dtype=dtype,
                categories=list(layout.categories),
                counts=[int(c) for c in stats.counts],
                other=stats.unseen,
                missing=stats.missing,
            )
    return ReferenceProfile(row_count=len(frame), features=features)


def load_profile(path: Path) -> ReferenceProfile:
    """Read a profile from a profile JSON file or from an artifact's manifest.json."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file; pass a profile JSON or the artifact's manifest.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProfileError(f"{path}: not a readable JSON file ({error})") from None
    if isinstance(data, dict) and MANIFEST_KEY in data:
        data = data[MANIFEST_KEY]
    elif isinstance(data, dict) and "profile_version" not in data:
        raise ProfileError(
            f"{path}: neither a reference profile nor a manifest with a {MANIFEST_KEY!r} key; "
            "package the model with a reference sample or pass --profile"
        )
    if isinstance(data, dict) and data.get("profile_version") not in (None, PROFILE_VERSION):
        raise ProfileError(
            f"{path}: profile_version {data.get('profile_version')!r} is not supported "
            f"(this slipstack reads version {PROFILE_VERSION}); rebuild the profile"
        )
    try:
        return ReferenceProfile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProfileError(f"{path}: invalid reference profile at {where}: {first['msg']}") from None
