"""The reference profile: compact, versioned statistics of the reference sample.

Built once at packaging time (`build_profile`) and stored in the artifact manifest under
``reference_profile``. Per numeric feature it keeps either
- exact value counts, when the reference has few distinct values (at most `discrete_values`, each
  seen five times on average): binary flags, small integers and constants keep every value apart;
- or quantile bin edges (100 bins by default, plus extra edges in the outer 1% on each side) that
  start at the reference minimum and end just past its maximum, so the first and last bins hold
  the values beyond the reference's range: a change in the tails or a unit bug moves mass;
plus count, missing count, mean, std, kurtosis, min and max. Per categorical feature it keeps the
most frequent categories with their counts and the label form (number or text) fixed here, so a
current value gets the same label whichever rows share its chunk. The current data is counted
into exactly these cells (see `monitoring.statistics`), so the reference sample is never needed again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from monitoring.errors import ProfileError
from monitoring.statistics import (
    CategoricalLayout,
    CategoricalPartial,
    FeatureLayout,
    LabelForm,
    NumericLayout,
    NumericPartial,
    category_labels,
    partial_from_frame,
)

if TYPE_CHECKING:  # pandas is needed to build a profile, not to check drift against one
    import pandas as pd

PROFILE_VERSION = 2
MANIFEST_KEY = "reference_profile"
DEFAULT_BINS = 100
DEFAULT_MAX_CATEGORIES = 100
# A numeric feature with at most this many distinct reference values is counted value by value.
DEFAULT_DISCRETE_VALUES = 32
# ... provided each value was seen this often on average: 20 distinct values in 30 rows are a
# small continuous sample, not a 20-level code.
DISCRETE_MIN_MEAN_COUNT = 5
# Extra quantile levels in the outer 1%: with 100 equal-mass bins the top 1% is one bin, so a
# change confined to it would move no mass between bins.
TAIL_LEVELS = (0.001, 0.0025, 0.005, 0.0075, 0.9925, 0.995, 0.9975, 0.999)
REBUILD_HINT = "rebuild it with `slipstack profile SAMPLE --output PROFILE.json` (or repackage the model)"


class NumericFeatureProfile(BaseModel):
    """Exact value counts or quantile bins, and moments, of one numeric feature in the reference sample."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["numeric"] = "numeric"
    dtype: str = Field(description="pandas dtype of the reference column, for messages")
    values: list[float] | None = Field(
        default=None,
        description="discrete features: the distinct reference values, ascending, each its own cell; "
        "null for continuous features",
    )
    edges: list[float] = Field(
        default_factory=list,
        description="continuous features: bin edges, strictly ascending, from the reference min to just past "
        "its max; bin k is [edges[k-1], edges[k]), bin 0 and the last bin lie beyond the reference range",
    )
    counts: list[int] = Field(
        description="reference values per cell: len(edges) + 1 bins, or one per value plus a last 'other' cell"
    )
    count: int = Field(ge=1, description="non-missing reference values")
    missing: int = Field(ge=0, description="missing (null, NaN or infinite) reference values")
    mean: float
    std: float = Field(ge=0)
    kurtosis: float = Field(default=3.0, ge=1, description="fourth standardised moment (3 for a normal)")
    min: float
    max: float

    @model_validator(mode="after")
    def _cells_are_consistent(self) -> NumericFeatureProfile:
        if self.values is not None:
            if self.edges:
                raise ValueError("a discrete feature (values) has no edges")
            if len(self.counts) != len(self.values) + 1:
                needed = len(self.values) + 1
                raise ValueError(f"{len(self.values)} values need {needed} counts, got {len(self.counts)}")
            if any(b <= a for a, b in zip(self.values, self.values[1:], strict=False)):
                raise ValueError("values must be strictly ascending")
        else:
            if len(self.counts) != len(self.edges) + 1:
                raise ValueError(f"{len(self.edges)} edges need {len(self.edges) + 1} counts, got {len(self.counts)}")
            if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
                raise ValueError("edges must be strictly ascending")
        if sum(self.counts) != self.count:
            raise ValueError(f"cell counts sum to {sum(self.counts)}, not count {self.count}")
        return self

    @property
    def discrete(self) -> bool:
        return self.values is not None

    @property
    def missing_rate(self) -> float:
        return self.missing / (self.count + self.missing)


class CategoricalFeatureProfile(BaseModel):
    """Frequencies of the most common categories of one categorical feature."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["categorical"] = "categorical"
    dtype: str = Field(description="pandas dtype of the reference column, for messages")
    label_form: LabelForm = Field(
        default="text",
        description="how values become labels: 'number' (the reference was numeric: 1, 1.0 and '1.0' are all "
        "'1') or 'text' (strings verbatim, numbers canonical)",
    )
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

    profile_version: Literal[2] = Field(
        default=2, description="format version; a reader refuses versions it does not know"
    )
    row_count: int = Field(ge=1, description="rows in the reference sample")
    discrete_values: int = Field(
        default=DEFAULT_DISCRETE_VALUES,
        ge=0,
        description="cut-off: numeric features with at most this many distinct values were counted by value",
    )
    features: dict[str, FeatureProfile] = Field(
        description="per feature, in the model's input column order (capture CSV rows are positional)"
    )

    def layouts(self, names: Iterable[str] | None = None) -> dict[str, FeatureLayout]:
        """Where current values of each (or the named) feature are counted."""
        chosen = self.features if names is None else {n: self.features[n] for n in names}
        layouts: dict[str, FeatureLayout] = {}
        for name, feature in chosen.items():
            if isinstance(feature, NumericFeatureProfile):
                values = np.asarray(feature.values, dtype=np.float64) if feature.values is not None else None
                layouts[name] = NumericLayout(np.asarray(feature.edges, dtype=np.float64), values)
            else:
                layouts[name] = CategoricalLayout(tuple(feature.categories), feature.label_form)
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
    """Edges from the reference min to just past its max, quantiles in between, extra ones in the tails.

    Quantile edges give every inner bin about the same reference mass, which keeps PSI and KL
    stable and spreads the KS grid evenly over the CDF; ties collapse. The first edge is the
    minimum and the last the next float above the maximum, so bin 0 and the last bin hold exactly
    the values beyond the reference's range (empty in the reference).
    """
    levels = np.union1d(np.linspace(0.0, 1.0, bins + 1)[1:-1], TAIL_LEVELS)
    inner = np.quantile(values, levels)
    low, high = float(values.min()), float(values.max())
    return np.unique(np.concatenate([[low], inner, [np.nextafter(high, np.inf)]]))


def _numeric_layout(finite: np.ndarray, bins: int, discrete_values: int) -> NumericLayout:
    # a head of the column with more distinct values than the cut-off settles it without sorting all
    if np.unique(finite[: 4 * (discrete_values + 1)]).size > discrete_values:
        return NumericLayout(_quantile_edges(finite, bins))
    distinct = np.unique(finite)
    if distinct.size <= discrete_values and distinct.size * DISCRETE_MIN_MEAN_COUNT <= finite.size:
        return NumericLayout(np.empty(0, dtype=np.float64), distinct)
    return NumericLayout(_quantile_edges(finite, bins))


def _kurtosis(finite: np.ndarray, mean: float, std: float) -> float:
    if finite.size < 4 or std == 0:
        return 3.0
    deviations = (finite - mean) / std
    np.multiply(deviations, deviations, out=deviations)
    return max(1.0, float(np.mean(deviations * deviations)))


def build_profile(
    frame: pd.DataFrame,
    *,
    categorical: Iterable[str] = (),
    bins: int = DEFAULT_BINS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    discrete_values: int = DEFAULT_DISCRETE_VALUES,
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
            form: LabelForm = "number" if _is_numeric(column) else "text"
            labels = category_labels(column, form).dropna()
            if labels.empty:
                raise ProfileError(f"column {name!r} is all missing in the reference sample: drop it or fill it")
            # ties in frequency are broken by label so the same sample always keeps the same categories
            frequencies = labels.value_counts(sort=False)
            ranked = sorted(frequencies.items(), key=lambda item: (-int(item[1]), str(item[0])))
            layouts[name] = CategoricalLayout(tuple(str(v) for v, _ in ranked[:max_categories]), form)
        else:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            finite_mask = np.isfinite(values)
            if not finite_mask.all():
                # infinite reference values count as missing: no range or moment can include them
                frame[name] = np.where(finite_mask, values, np.nan)
            finite = values[finite_mask]
            if finite.size == 0:
                raise ProfileError(f"column {name!r} is all missing in the reference sample: drop it or fill it")
            layouts[name] = _numeric_layout(finite, bins, discrete_values)

    partial = partial_from_frame(frame, layouts)
    features: dict[str, NumericFeatureProfile | CategoricalFeatureProfile] = {}
    for name, stats in partial.features.items():
        layout = layouts[name]
        dtype = str(frame[name].dtype)
        if isinstance(stats, NumericPartial) and isinstance(layout, NumericLayout):
            finite = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
            finite = finite[np.isfinite(finite)]
            features[name] = NumericFeatureProfile(
                dtype=dtype,
                values=[float(v) for v in layout.values] if layout.values is not None else None,
                edges=[float(e) for e in layout.edges],
                counts=[int(c) for c in stats.counts],
                count=stats.moments.count,
                missing=stats.missing,
                mean=stats.moments.mean,
                std=stats.moments.std,
                kurtosis=_kurtosis(finite, stats.moments.mean, stats.moments.std),
                min=stats.minimum,
                max=stats.maximum,
            )
        elif isinstance(stats, CategoricalPartial) and isinstance(layout, CategoricalLayout):
            features[name] = CategoricalFeatureProfile(
                dtype=dtype,
                label_form=layout.label_form,
                categories=list(layout.categories),
                counts=[int(c) for c in stats.counts],
                other=stats.unseen,
                missing=stats.missing,
            )
    return ReferenceProfile(row_count=len(frame), discrete_values=discrete_values, features=features)


def _in_signature_order(profile: Any, signature: Any) -> Any:
    """The profile with its features in the signature's input order.

    The manifest is written with sorted keys (its checksum must reproduce), which sorts the profile's
    features by name; captured CSV rows are positional in the signature's order, so the order is taken
    back from the signature. Features the signature does not name keep their place after those it does.
    """
    if not isinstance(profile, dict) or not isinstance(profile.get("features"), dict) or not isinstance(
        signature, dict
    ):
        return profile
    inputs = signature.get("inputs")
    names = [i.get("name") for i in inputs if isinstance(i, dict)] if isinstance(inputs, list) else []
    features = profile["features"]
    ordered = {name: features[name] for name in names if name in features}
    ordered.update({name: value for name, value in features.items() if name not in ordered})
    return {**profile, "features": ordered}


def load_profile(path: Path) -> ReferenceProfile:
    """Read a profile from a profile JSON file or from an artifact's manifest.json."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file; pass a profile JSON or the artifact's manifest.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProfileError(f"{path}: not a readable JSON file ({error})") from None
    if isinstance(data, dict) and MANIFEST_KEY in data:
        data = _in_signature_order(data[MANIFEST_KEY], data.get("signature"))
    elif isinstance(data, dict) and "profile_version" not in data:
        raise ProfileError(
            f"{path}: neither a reference profile nor a manifest with a {MANIFEST_KEY!r} key; "
            "package the model with a reference sample or pass --profile"
        )
    version = data.get("profile_version") if isinstance(data, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version < PROFILE_VERSION:
        raise ProfileError(
            f"{path}: profile_version {version} was written by an older slipstack and lacks what the drift "
            f"tests need (exact value counts, the reference range, label forms); {REBUILD_HINT}"
        )
    if version is not None and version != PROFILE_VERSION:
        raise ProfileError(
            f"{path}: profile_version {version!r} is not supported (this slipstack reads version "
            f"{PROFILE_VERSION}); {REBUILD_HINT} with this slipstack"
        )
    try:
        return ReferenceProfile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProfileError(f"{path}: invalid reference profile at {where}: {first['msg']}") from None
