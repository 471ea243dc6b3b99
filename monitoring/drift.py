"""Drift of current data against a reference profile: tests matched to the data, from cell counts.

The numbers come only from mergeable partials (`monitoring.statistics`) and the profile, so the
same `check_drift` answers for one chunk, many chunks, or partials merged from a cluster.

Which test, and why (method "ks", the default):
- continuous numeric features: the two-sample Kolmogorov-Smirnov statistic on the profile's fine
  grid; an exact test of the mass beyond the reference's min and max (values past the reference
  maximum are invisible to KS and PSI, yet a unit bug puts all its mass there); a Welch test of the
  mean and a kurtosis-aware test of the variance as further evidence;
- discrete numeric features (exact value counts) and categorical ones: Pearson's chi-square over
  the cells, pooling cells whose expected count is below 5, with Fisher's exact test on the
  pooled rare cells (a rare flag or a never-seen value cannot hide in a pooled cell);
- every feature: a one-sided two-proportion test of its missing rate (alerting only above a
  minimum effect), and an alert when it is entirely missing.
Every p-value of every feature goes into one weighted Holm step-down correction, which keeps the
chance of any false alarm across the whole check at `p_value`; warn is the same at twice that
level. Each feature carries one unit of weight, most of it on its distribution test, so the
evidence tests cost the other features no power.

Sample-size honesty: a distribution test needs `min_rows` present values; below it the feature is
`insufficient_data` (published and shown, never an alert) unless an exact test (range, missing)
already proves drift. PSI and KL need `psi_min_expected` current values per coarse bin, and their
thresholds are raised to the score that noise alone reaches in a window that size (the chi-square
limit of PSI, at the family-wise level); a window where even that exceeds the alert threshold is
refused as `insufficient_data`.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from monitoring.errors import InputDataError
from monitoring.profile import CategoricalFeatureProfile, NumericFeatureProfile, ReferenceProfile
from monitoring.statistics import (
    CategoricalLayout,
    CategoricalPartial,
    DataPartial,
    FeatureLayout,
    FeaturePartial,
    NumericLayout,
    NumericPartial,
    categorical_partial,
    empty_partial,
    numeric_partial,
    numeric_values,
)

# A chunk: a pyarrow.RecordBatch (Parquet, CSV) or a pandas.DataFrame (capture records, callers'
# own frames). Any, because pyarrow has no type stubs; pandas and pyarrow load only where used.
Frame: TypeAlias = Any

DriftMethod = Literal["psi", "ks", "kl"]
Status = Literal["ok", "warn", "alert", "insufficient_data"]
INSUFFICIENT: Literal["insufficient_data"] = "insufficient_data"
_SEVERITY = {"ok": 0, "insufficient_data": 1, "warn": 2, "alert": 3}
# Smoothing for empty bins in PSI and KL: without it one empty current bin makes the score infinite.
_EPSILON = 1e-4
# Cells whose expected count is below this are pooled before a chi-square test (Cochran's rule).
MIN_EXPECTED = 5.0
# warn: Holm-adjusted p below this multiple of p_value (10% family-wise at the default 0.05).
WARN_FACTOR = 2.0
# The mean and variance tests rest on normal approximations that hold at `min_rows` values only
# for light tails; for a heavier-tailed reference (lognormal ~114, exponential 9, Pareto(3)
# unbounded) they are reported as evidence but do not decide: KS and the range test do.
MOMENT_TESTS_MAX_KURTOSIS = 6.0
_POOL = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="drift-partial")


class DriftSettings(BaseModel):
    """What counts as drift; the CLI fills this from the spec's ``monitoring.drift`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: DriftMethod = Field(default="ks", description="score that decides drift per feature")
    warn_threshold: float = Field(default=0.1, gt=0, description="PSI/KL score that warns")
    alert_threshold: float = Field(default=0.2, gt=0, description="PSI/KL score that alerts")
    p_value: float = Field(
        default=0.05, gt=0, lt=1, description="family-wise significance of all tests together (Holm-corrected)"
    )
    features: tuple[str, ...] = Field(default=(), description="features to check; empty means all profiled")
    score_bins: int = Field(
        default=10, ge=2, le=100, description="coarse bins PSI and KL are computed on (merged fine bins)"
    )
    min_rows: int = Field(
        default=30,
        ge=2,
        le=1_000_000,
        description="present current values a distribution test (KS, chi-square, mean, std) needs; fewer: "
        "insufficient_data",
    )
    psi_min_expected: float = Field(
        default=5.0, gt=0, le=1000, description="current values PSI/KL need per coarse bin, on the reference's mass"
    )
    missing_rate_min_effect: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="rise in the missing rate over the reference below which a significant rise does not alert",
    )
    allow_extra_columns: bool = Field(default=False, description="ignore current columns the profile lacks")


class Histogram(BaseModel):
    """Reference and current fractions over the coarse bins (or values, categories), for the report."""

    labels: list[str]
    reference: list[float]
    current: list[float]


class DriftTest(BaseModel):
    """One test of one feature: its statistic, p-value, and the p-value after the Holm correction."""

    test: Literal["ks", "chi2", "out_of_range", "mean", "std", "missing_rate"]
    statistic: float
    p_value: float
    p_value_adjusted: float | None = Field(default=None, description="Holm-adjusted over every test that decides")
    decides: bool = Field(default=True, description="whether it can change the status (psi/kl: range, missing)")
    weight: float = Field(default=1.0, description="its share of its feature's significance budget (weighted Holm)")
    detail: str = ""


class FeatureDrift(BaseModel):
    feature: str
    kind: Literal["numeric", "categorical"]
    test: Literal["ks", "chi2"] = Field(description="the distribution test matched to the data")
    status: Status
    reasons: list[str] = Field(default_factory=list)
    score: float = Field(
        description="the configured method's score (KS statistic, PSI or KL); 0 when insufficient_data, "
        "so no score threshold fires on a window too small to judge"
    )
    p_value: float | None = Field(default=None, description="the distribution test's p-value; null if not run")
    p_value_adjusted: float | None = Field(default=None, description="smallest Holm-adjusted p of the feature's tests")
    tests: list[DriftTest] = Field(default_factory=list)
    psi: float
    kl: float
    ks_statistic: float | None = None
    rows: int
    missing_rate_reference: float
    missing_rate_current: float
    mean_reference: float | None = None
    mean_current: float | None = None
    std_reference: float | None = None
    std_current: float | None = None
    mean_shift_sd: float | None = Field(default=None, description="(current - reference mean) / reference std")
    below_reference_min: int = Field(default=0, description="current values below the reference minimum")
    above_reference_max: int = Field(default=0, description="current values above the reference maximum")
    infinite_values: int = 0
    unseen_categories: int = Field(default=0, description="values the reference never had (categories or values)")
    unseen_examples: list[str] = Field(default_factory=list)
    histogram: Histogram


class InputSummary(BaseModel):
    """What was read: sources, rows, and the capture records that could not be used."""

    sources: list[str] = Field(default_factory=list)
    rows: int = 0
    malformed_records: int = 0
    malformed_examples: list[str] = Field(default_factory=list)


class DriftResult(BaseModel):
    method: DriftMethod
    status: Status = Field(
        description="alert > warn > ok; insufficient_data when no feature had enough data for a verdict"
    )
    rows: int
    drifted_features: list[str]
    warned_features: list[str]
    insufficient_features: list[str] = Field(
        default_factory=list, description="features whose window was too small to test (never alerted on)"
    )
    score_max: float = Field(description="largest score over the features that had enough data")
    missing_rate_max: float
    settings: DriftSettings
    features: list[FeatureDrift] = Field(description="ranked: alerts first, then by score")
    input: InputSummary = Field(default_factory=InputSummary)


def checked_feature_names(profile: ReferenceProfile, settings: DriftSettings) -> list[str]:
    """The features the check covers: the selected ones (which must be profiled), else all."""
    unknown_selected = [f for f in settings.features if f not in profile.features]
    if unknown_selected:
        raise InputDataError(
            f"drift features {unknown_selected} are not in the reference profile "
            f"(profiled: {list(profile.features)}); fix monitoring.drift.features"
        )
    return list(settings.features) or list(profile.features)


def selected_layouts(
    profile: ReferenceProfile, settings: DriftSettings, columns: Iterable[str]
) -> dict[str, FeatureLayout]:
    """The features to check, after making sure the current columns match the profile."""
    columns = [str(c) for c in columns]
    names = checked_feature_names(profile, settings)
    repeated = sorted(name for name, count in Counter(columns).items() if count > 1)
    if repeated:
        raise InputDataError(
            f"current data names column(s) {repeated} more than once (columns: {columns}); "
            "each feature must be one column: rename or drop the duplicates"
        )
    missing = [n for n in names if n not in columns]
    if missing:
        raise InputDataError(
            f"current data lacks profiled column(s) {missing}; it has {columns}. "
            "Send the model's input columns, or restrict monitoring.drift.features"
        )
    extra = [c for c in columns if c not in profile.features]
    if extra and not settings.allow_extra_columns:
        raise InputDataError(
            f"current data has column(s) {extra} that the reference profile does not know; "
            "drop them, rebuild the profile, or pass --allow-extra-columns"
        )
    return profile.layouts(names)


def _is_arrow(frame: Any) -> bool:
    return type(frame).__module__.startswith("pyarrow")


def _column_names(frame: Frame) -> list[str]:
    return [str(c) for c in (frame.schema.names if _is_arrow(frame) else frame.columns)]


def _rows(frame: Frame) -> int:
    return int(frame.num_rows) if _is_arrow(frame) else len(frame)


def _arrow_numeric_values(column: Any) -> np.ndarray:
    """An Arrow column as float64 with NaN for nulls; zero-copy for a float64 column without nulls.

    Read through the data buffer rather than `Array.to_numpy`, which imports pandas (~0.4 s).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.type != pa.float64():
        column = pc.cast(column, pa.float64())
    if column.null_count:
        column = pc.fill_null(column, float("nan"))
    data = column.buffers()[1]
    if data is None:
        return np.empty(0, dtype=np.float64)
    return np.frombuffer(data, dtype=np.float64, count=column.offset + len(column))[column.offset :]


# Text a numeric column may hold for "no value" (pandas and pyarrow read most of these as null
# already; Python's "None" and JSON's "null" arrive as text from some pipelines).
NULL_TEXT = frozenset({"", "none", "null", "nan", "na", "n/a", "#n/a", "nil", "-"})
# How many offending row numbers an error names.
BAD_ROWS_SHOWN = 5


def _coerced_numbers(column: Any, name: str, where: str, first_row: int) -> np.ndarray:
    """Values of a text or mixed column in a numeric feature: numbers and null-like text, else an error.

    Numbers written as text ("1.5", "inf") are read as numbers and null-like text ("None", "null")
    as missing; anything else is bad input, reported with its row numbers (1-based data rows of
    the source, header not counted).
    """
    import pandas as pd

    if not isinstance(column, pd.Series):  # an Arrow column
        column = column.to_pandas()
    series = pd.Series(column.to_numpy(dtype=object), dtype=object)
    text = series.map(lambda v: v.strip() if isinstance(v, str) else v)
    nullish = text.isna() | text.map(lambda v: isinstance(v, str) and v.lower() in NULL_TEXT)
    numbers = pd.to_numeric(text.where(~nullish, None), errors="coerce")
    booleans = text.map(lambda v: isinstance(v, (bool, np.bool_)))
    bad = (numbers.isna() & ~nullish) | booleans
    if bad.any():
        positions = np.flatnonzero(bad.to_numpy())
        rows = ", ".join(str(first_row + int(i) + 1) for i in positions[:BAD_ROWS_SHOWN])
        more = f" and {positions.size - BAD_ROWS_SHOWN} more" if positions.size > BAD_ROWS_SHOWN else ""
        sample = [str(v)[:40] for v in series.iloc[positions[:3]]]
        raise InputDataError(
            f"{where}: column {name!r} should be numeric like the reference profile but {positions.size} value(s) "
            f"are not numbers (rows {rows}{more}: {sample}); fix the data, or profile the column as categorical"
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _feature_partial(frame: Frame, name: str, layout: FeatureLayout, where: str, first_row: int = 0) -> FeaturePartial:
    arrow = _is_arrow(frame)
    if isinstance(layout, CategoricalLayout):
        column = frame.column(name).to_pandas() if arrow else frame[name]
        return categorical_partial(column, layout.categories, layout.label_form)
    try:
        values = _arrow_numeric_values(frame.column(name)) if arrow else numeric_values(frame[name])
    # pyarrow refuses a cast it has no kernel for with ArrowNotImplementedError, a NotImplementedError.
    except (ValueError, TypeError, NotImplementedError):
        column = frame.column(name) if arrow else frame[name]
        values = _coerced_numbers(column, name, where, first_row)
    assert isinstance(layout, NumericLayout)
    return numeric_partial(values, layout)


def partial_of_chunk(
    frame: Frame, layouts: dict[str, FeatureLayout], where: str, first_row: int = 0
) -> DataPartial:
    """Partials of one chunk (Arrow batch or DataFrame), wrong-typed values reported by column and row.

    Features are counted on a small thread pool: numpy's arithmetic and reductions release the
    GIL, so two cores count two features at once. `first_row` is the chunk's offset in its source.
    """
    names = list(layouts)
    results = _POOL.map(lambda name: _feature_partial(frame, name, layouts[name], where, first_row), names)
    return DataPartial(_rows(frame), dict(zip(names, results, strict=True)))


def accumulate_partition(
    chunks: Iterable[tuple[str, Frame]], profile: ReferenceProfile, settings: DriftSettings
) -> DataPartial:
    """Merge the partials of every (source name, chunk) of one partition; may be empty.

    The columns of every chunk are checked against the profile. An empty partition gives the
    identity partial, so partitions merge in any grouping and order to the same result.
    """
    layouts = profile.layouts(checked_feature_names(profile, settings))
    total = empty_partial(layouts)
    checked_columns: list[str] | None = None
    offsets: dict[str, int] = {}
    for where, frame in chunks:
        columns = _column_names(frame)
        if columns != checked_columns:
            try:
                selected_layouts(profile, settings, columns)
            except InputDataError as error:
                raise InputDataError(f"{where}: {error}") from None
            checked_columns = columns
        if _rows(frame) == 0:
            continue
        if not _is_arrow(frame):
            frame = frame.set_axis(columns, axis=1)
        first_row = offsets.get(where, 0)
        offsets[where] = first_row + _rows(frame)
        total = total.merge(partial_of_chunk(frame, layouts, where, first_row))
    return total


def accumulate(
    chunks: Iterable[tuple[str, Frame]], profile: ReferenceProfile, settings: DriftSettings
) -> DataPartial:
    """Merge the partials of every (source name, chunk); one chunk is in memory at a time."""
    total = accumulate_partition(chunks, profile, settings)
    if total.rows == 0:
        raise InputDataError("the current data is empty: no rows were read; check the path or the time window")
    return total


def _holm(p_values: list[float], weights: list[float] | None = None) -> list[float]:
    """Weighted Holm step-down adjusted p-values (Holm 1979): family-wise error control at any level.

    Hypothesis i is rejected at level a when its adjusted p-value is below a; with weights w the
    step at which it is tested compares p_i with a * w_i / (sum of the weights not yet rejected).
    Equal weights give the ordinary Holm procedure.
    """
    m = len(p_values)
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p / w, kind="stable")
    adjusted = np.empty(m)
    remaining = float(w.sum())
    running = 0.0
    for index in order:
        running = max(running, min(1.0, float(p[index]) * remaining / float(w[index])))
        adjusted[index] = running
        remaining -= float(w[index])
    return adjusted.tolist()


# Each feature gets one unit of the family's significance budget, so adding evidence tests does not
# dilute the other features' power; within a feature the distribution test gets most of it. The
# weights depend only on the feature's kind and profile, never on the current data's outcome.
_CONTINUOUS_WEIGHTS = {"ks": 0.5, "out_of_range": 0.15, "mean": 0.2, "std": 0.05, "missing_rate": 0.1}
_CELL_WEIGHTS = {"chi2": 0.9, "missing_rate": 0.1}


def _assign_weights(tests: list[DriftTest], continuous: bool) -> None:
    if not continuous:
        for test in tests:
            test.weight = _CELL_WEIGHTS[test.test]
        return
    moments_decide = all(t.decides for t in tests if t.test in ("mean", "std"))
    for test in tests:
        weight = _CONTINUOUS_WEIGHTS[test.test]
        if test.test == "ks" and not moments_decide:
            weight += _CONTINUOUS_WEIGHTS["mean"] + _CONTINUOUS_WEIGHTS["std"]  # heavy tails: KS takes their share
        test.weight = weight


def _fractions(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else np.zeros_like(counts, dtype=np.float64)


def _psi_kl(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    ref = np.clip(_fractions(reference), _EPSILON, None)
    cur = np.clip(_fractions(current), _EPSILON, None)
    ref, cur = ref / ref.sum(), cur / cur.sum()
    log_ratio = np.log(cur / ref)
    return float(np.sum((cur - ref) * log_ratio)), float(np.sum(cur * log_ratio))


def _coarse_groups(reference_counts: np.ndarray, groups: int) -> np.ndarray:
    """Map fine quantile bins to `groups` coarse bins of about equal reference mass.

    The empty bins beyond the reference's range join the outermost groups.
    """
    cumulative_before = np.concatenate([[0], np.cumsum(reference_counts)[:-1]]) / reference_counts.sum()
    return np.minimum((cumulative_before * groups + 1e-9).astype(np.int64), groups - 1)


def kolmogorov_survival(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution (what `scipy.special.kolmogorov` returns).

    Written out because importing scipy.special costs ~0.2-0.4 s, a fifth of the drift check of
    a million rows. Below x = 1 the Jacobi-theta form of the CDF converges in a few terms, above
    it the alternating survival series does; both are summed to double precision.
    """
    if x <= 0.0:
        return 1.0
    k = np.arange(1, 41, dtype=np.float64)
    if x < 1.0:
        cdf = np.sqrt(2.0 * np.pi) / x * float(np.exp(-((2.0 * k - 1.0) ** 2) * np.pi**2 / (8.0 * x * x)).sum())
        return float(min(1.0, max(0.0, 1.0 - cdf)))
    signs = np.where(k % 2 == 1, 1.0, -1.0)
    return float(min(1.0, max(0.0, 2.0 * float((signs * np.exp(-2.0 * k * k * x * x)).sum()))))


def _ks(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic on the bin grid and its asymptotic p-value.

    The statistic is the largest CDF gap at the bin edges, never more than the exact gap, and the
    asymptotic distribution overstates small-sample p-values, so both err on the side of fewer alarms.
    """
    n, m = int(reference.sum()), int(current.sum())
    gap = np.abs(np.cumsum(reference)[:-1] / n - np.cumsum(current)[:-1] / m)
    statistic = float(gap.max()) if gap.size else 0.0
    effective = np.sqrt(n * m / (n + m))
    return statistic, kolmogorov_survival(float(effective * statistic))


def _normal_upper(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def beyond_range_p(beyond: int, current: int, reference: int) -> float:
    """P(at least `beyond` of `current` values exceed the maximum of `reference` values), exactly.

    Under no drift the n + m values are exchangeable, so that happens when the top `beyond` of
    them are all current values: C(m, k) / C(n + m, k). The same holds below the minimum.
    """
    if beyond <= 0:
        return 1.0
    n, m, k = reference, current, beyond
    log_p = math.lgamma(m + 1) - math.lgamma(m - k + 1) - math.lgamma(n + m + 1) + math.lgamma(n + m - k + 1)
    return min(1.0, math.exp(log_p))


def _fisher(table: list[list[float]], alternative: str = "two-sided") -> float:
    from scipy import stats  # imported here: scipy.stats costs ~0.5 s; only small counts need it

    return float(stats.fisher_exact(np.asarray(table, dtype=np.int64), alternative=alternative).pvalue)


def _pearson(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """Pearson's chi-square of the 2 x k table (reference, current) and its p-value."""
    from scipy.special import chdtrc  # lighter than scipy.stats; only discrete features need it

    table = np.vstack([ref, cur])
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return statistic, float(chdtrc(ref.size - 1, statistic))


def contingency_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float, str]:
    """(statistic, p-value, how) of "same distribution over these cells", honest at small counts.

    Cells whose expected count (in either sample) is below 5 are pooled into one. A pooled cell
    that is still too small is tested on its own with Fisher's exact test (rare cells against the
    rest: a rare flag turning common, or values the reference never had, are found at any window),
    the other cells with Pearson's chi-square; the two p-values are combined by Bonferroni.
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    used = (ref + cur) > 0
    ref, cur = ref[used], cur[used]
    n, m = ref.sum(), cur.sum()
    if ref.size < 2 or n == 0 or m == 0:
        return 0.0, 1.0, "one value in both samples"
    total = ref + cur
    smaller = np.minimum(total * n / (n + m), total * m / (n + m))
    rare = smaller < MIN_EXPECTED
    fisher_p: float | None = None
    if rare.any():
        ref_rare, cur_rare = float(ref[rare].sum()), float(cur[rare].sum())
        pooled = ref_rare + cur_rare
        ref, cur = ref[~rare], cur[~rare]
        if min(pooled * n, pooled * m) / (n + m) >= MIN_EXPECTED:
            ref, cur = np.append(ref, ref_rare), np.append(cur, cur_rare)
        else:
            fisher_p = _fisher([[cur_rare, m - cur_rare], [ref_rare, n - ref_rare]])
    chi2_p: float | None = None
    statistic = 0.0
    if ref.size >= 2 and ref.sum() > 0 and cur.sum() > 0:
        statistic, chi2_p = _pearson(ref, cur)
    how = f"chi-square over {ref.size} cells" if chi2_p is not None else ""
    if fisher_p is not None:
        how = (how + " + " if how else "") + f"Fisher's exact test on {int(rare.sum())} rare cell(s)"
    if chi2_p is not None and fisher_p is not None:
        return statistic, min(1.0, 2.0 * min(chi2_p, fisher_p)), how
    if fisher_p is not None:
        return statistic, fisher_p, how
    return statistic, chi2_p if chi2_p is not None else 1.0, how or "no cell to compare"


def missing_rate_test(ref_missing: int, ref_total: int, cur_missing: int, cur_total: int) -> float:
    """One-sided p-value of "the current missing rate is higher than the reference's".

    A two-proportion z-test when every cell expects at least 5, Fisher's exact test otherwise.
    """
    if cur_total == 0 or ref_total == 0 or cur_missing / cur_total <= ref_missing / ref_total:
        return 1.0
    pooled = (ref_missing + cur_missing) / (ref_total + cur_total)
    expected = min(pooled, 1 - pooled) * min(ref_total, cur_total)
    if expected >= MIN_EXPECTED:
        se = math.sqrt(pooled * (1 - pooled) * (1 / ref_total + 1 / cur_total))
        return _normal_upper((cur_missing / cur_total - ref_missing / ref_total) / se)
    return _fisher(
        [[cur_missing, cur_total - cur_missing], [ref_missing, ref_total - ref_missing]], alternative="greater"
    )


def _psi_floor(cells: int, reference: int, current: int, settings: DriftSettings, family: int) -> float:
    """The PSI that noise alone exceeds with probability p_value / family in a window this size.

    Without drift, PSI over k cells is asymptotically (1/n + 1/m) times a chi-square with k - 1
    degrees of freedom (KL half of it): a fixed threshold of 0.1 is noise at a few hundred rows.
    """
    from scipy.special import chdtri

    quantile = float(chdtri(max(cells - 1, 1), settings.p_value / max(family, 1)))
    floor = quantile * (1.0 / reference + 1.0 / current)
    return floor / 2.0 if settings.method == "kl" else floor


def _bin_label(edges: list[float], first: int, last: int) -> str:
    """Label of the value range covered by fine bins first..last (bin k is [edges[k-1], edges[k]))."""
    low = f"{edges[first - 1]:.3g}" if first > 0 else "-inf"
    high = f"{edges[last]:.3g}" if last < len(edges) else "inf"
    return f"[{low}, {high})"


def _value_label(value: float) -> str:
    return str(int(value)) if value == round(value) and abs(value) < 1e15 else f"{value:.6g}"


@dataclass
class _Evaluated:
    """A feature's figures and tests before the family-wise decision."""

    drift: FeatureDrift
    tests: list[DriftTest]
    present: int
    primary_ran: bool
    psi_cells: int
    psi_min_fraction: float
    reference_count: int
    missing_rise: float


def _missing_test(
    ref_missing: int, ref_total: int, cur_missing: int, cur_rows: int
) -> tuple[DriftTest | None, float]:
    if cur_rows == 0:
        return None, 0.0
    rise = cur_missing / cur_rows - ref_missing / ref_total
    p = missing_rate_test(ref_missing, ref_total, cur_missing, cur_rows)
    detail = f"missing {cur_missing / cur_rows:.1%} vs {ref_missing / ref_total:.1%} reference"
    return DriftTest(test="missing_rate", statistic=rise, p_value=p, detail=detail), rise


def _numeric_drift(name: str, ref: NumericFeatureProfile, cur: NumericPartial, settings: DriftSettings) -> _Evaluated:
    ref_counts = np.asarray(ref.counts, dtype=np.int64)
    cur_counts = cur.counts
    present = cur.present
    tests: list[DriftTest] = []
    ks_statistic: float | None = None
    primary_ran = present >= settings.min_rows
    below = above = unseen = 0
    if ref.values is not None:
        # discrete: exact cells (values, then "other"); PSI over the same cells
        labels = [_value_label(v) for v in ref.values] + ["(other)"]
        ref_cells, cur_cells = ref_counts.astype(np.float64), cur_counts.astype(np.float64)
        unseen = int(cur_counts[-1])
        test: Literal["ks", "chi2"] = "chi2"
        if primary_ran:
            statistic, p, how = contingency_test(ref_cells, cur_cells)
            tests.append(DriftTest(test="chi2", statistic=statistic, p_value=p, detail=how))
        distance = 0.5 * float(np.abs(_fractions(ref_cells) - _fractions(cur_cells)).sum())
    else:
        groups = _coarse_groups(ref_counts, settings.score_bins)
        group_count = int(groups.max()) + 1
        ref_cells = np.bincount(groups, weights=ref_counts, minlength=group_count).astype(np.float64)
        cur_cells = np.bincount(groups, weights=cur_counts, minlength=group_count).astype(np.float64)
        # Coarse bin k spans fine bins first..last; its label uses the outer edges of that span.
        starts = np.searchsorted(groups, np.arange(group_count), side="left")
        ends = np.searchsorted(groups, np.arange(group_count), side="right")
        labels = [_bin_label(ref.edges, int(s), int(e) - 1) for s, e in zip(starts, ends, strict=True)]
        test = "ks"
        below, above = int(cur_counts[0]), int(cur_counts[-1])
        if present:
            p_range = min(
                1.0,
                2.0 * min(beyond_range_p(below, present, ref.count), beyond_range_p(above, present, ref.count)),
            )
            tests.append(
                DriftTest(
                    test="out_of_range",
                    statistic=(below + above) / present,
                    p_value=p_range,
                    detail=f"{below} below the reference min {ref.min:.4g}, {above} above its max {ref.max:.4g}"
                    + (f" ({cur.infinite} infinite)" if cur.infinite else ""),
                )
            )
        if primary_ran:
            ks_statistic, ks_p = _ks(ref_counts, cur_counts)
            tests.append(DriftTest(test="ks", statistic=ks_statistic, p_value=ks_p))
        distance = ks_statistic or 0.0
    finite = cur.moments.count
    if ref.values is None and primary_ran and finite >= 2:
        variance = ref.std**2 / ref.count + cur.moments.std**2 / finite
        difference = cur.moments.mean - ref.mean
        if variance > 0:
            z = difference / math.sqrt(variance)
            p_mean = math.erfc(abs(z) / math.sqrt(2.0))
        else:
            z, p_mean = 0.0, 1.0 if difference == 0 else 0.0
        light_tails = ref.kurtosis <= MOMENT_TESTS_MAX_KURTOSIS
        tests.append(
            DriftTest(test="mean", statistic=z, p_value=p_mean, decides=light_tails, detail=f"Welch z={z:.3g}")
        )
        if ref.std > 0:
            if cur.moments.std == 0:
                z_std, p_std = -math.inf, 0.0
            else:
                # log variance ratio; its variance is (kurtosis - 1) / n per sample, and the
                # second-order bias -(kurtosis - 1) / 2n of each log variance is corrected.
                spread = ref.kurtosis - 1.0
                current_log = math.log(cur.moments.std**2) + spread / (2 * finite)
                reference_log = math.log(ref.std**2) + spread / (2 * ref.count)
                log_ratio = current_log - reference_log
                z_std = log_ratio / math.sqrt(spread * (1 / finite + 1 / ref.count))
                p_std = math.erfc(abs(z_std) / math.sqrt(2.0))
            tests.append(
                DriftTest(
                    test="std",
                    statistic=z_std if math.isfinite(z_std) else -1e308,
                    p_value=p_std,
                    decides=light_tails,
                    detail=f"std {cur.moments.std:.4g} vs {ref.std:.4g} reference",
                )
            )
    rows = present + cur.missing
    missing, rise = _missing_test(ref.missing, ref.count + ref.missing, cur.missing, rows)
    if missing is not None:
        tests.append(missing)
    psi, kl = _psi_kl(ref_cells, cur_cells)
    shift = (cur.moments.mean - ref.mean) / ref.std if ref.std > 0 and finite else None
    reference_fraction = _fractions(ref_cells)
    drift = FeatureDrift(
        feature=name,
        kind="numeric",
        test=test,
        status="ok",
        score={"ks": distance, "psi": psi, "kl": kl}[settings.method],
        psi=psi,
        kl=kl,
        ks_statistic=ks_statistic,
        rows=rows,
        missing_rate_reference=ref.missing_rate,
        missing_rate_current=cur.missing / rows if rows else 0.0,
        mean_reference=ref.mean,
        mean_current=cur.moments.mean if finite else None,
        std_reference=ref.std,
        std_current=cur.moments.std if finite else None,
        mean_shift_sd=shift,
        below_reference_min=below,
        above_reference_max=above,
        infinite_values=cur.infinite,
        unseen_categories=unseen,
        histogram=Histogram(
            labels=labels, reference=reference_fraction.tolist(), current=_fractions(cur_cells).tolist()
        ),
    )
    return _Evaluated(
        drift,
        tests,
        present,
        primary_ran,
        int(((ref_cells + cur_cells) > 0).sum()),
        float(reference_fraction[reference_fraction > 0].min()),
        ref.count,
        rise,
    )


def _categorical_drift(
    name: str, ref: CategoricalFeatureProfile, cur: CategoricalPartial, settings: DriftSettings
) -> _Evaluated:
    ref_cells = np.asarray([*ref.counts, ref.other], dtype=np.float64)
    cur_cells = np.asarray([*cur.counts, cur.unseen], dtype=np.float64)
    present = int(cur.counts.sum()) + cur.unseen
    tests: list[DriftTest] = []
    primary_ran = present >= settings.min_rows
    if primary_ran:
        statistic, p, how = contingency_test(ref_cells, cur_cells)
        tests.append(DriftTest(test="chi2", statistic=statistic, p_value=p, detail=how))
    rows = present + cur.missing
    reference_present = int(sum(ref.counts)) + ref.other
    missing, rise = _missing_test(ref.missing, reference_present + ref.missing, cur.missing, rows)
    if missing is not None:
        tests.append(missing)
    psi, kl = _psi_kl(ref_cells, cur_cells)
    # Total variation distance plays the KS statistic's role for categories (largest gap in mass).
    distance = 0.5 * float(np.abs(_fractions(ref_cells) - _fractions(cur_cells)).sum())
    reference_fraction = _fractions(ref_cells)
    drift = FeatureDrift(
        feature=name,
        kind="categorical",
        test="chi2",
        status="ok",
        score={"ks": distance, "psi": psi, "kl": kl}[settings.method],
        psi=psi,
        kl=kl,
        rows=rows,
        missing_rate_reference=ref.missing_rate,
        missing_rate_current=cur.missing / rows if rows else 0.0,
        unseen_categories=cur.unseen,
        unseen_examples=list(cur.unseen_examples),
        histogram=Histogram(
            labels=[*ref.categories, "(other)"],
            reference=reference_fraction.tolist(),
            current=_fractions(cur_cells).tolist(),
        ),
    )
    return _Evaluated(
        drift,
        tests,
        present,
        primary_ran,
        int(((ref_cells + cur_cells) > 0).sum()),
        float(reference_fraction[reference_fraction > 0].min()),
        reference_present,
        rise,
    )


_TEST_NAMES = {
    "ks": "KS",
    "chi2": "chi2",
    "out_of_range": "out-of-range",
    "mean": "mean",
    "std": "std",
    "missing_rate": "missing rate",
}


def _decide(
    item: _Evaluated, settings: DriftSettings, family: int
) -> tuple[Status, list[str], float]:
    """(status, reasons, score) of one feature whose tests carry their Holm-adjusted p-values."""
    feature, alpha = item.drift, settings.p_value
    status: Status = "ok"
    reasons: list[str] = []

    def raise_to(level: Status, reason: str) -> None:
        nonlocal status
        if _SEVERITY[level] > _SEVERITY[status]:
            status = level
        reasons.append(reason)

    if item.present == 0 and feature.rows > 0:
        raise_to("alert", f"all {feature.rows} values are missing: the upstream pipeline is not sending this feature")
    for test in item.tests:
        if not test.decides or test.p_value_adjusted is None:
            continue
        if test.test == "missing_rate" and item.missing_rise < settings.missing_rate_min_effect:
            continue
        label = f"{_TEST_NAMES[test.test]} p={test.p_value_adjusted:.2g} (Holm)"
        detail = f": {test.detail}" if test.detail else ""
        if test.p_value_adjusted < alpha:
            raise_to("alert", f"{label} < {alpha}{detail}")
        elif test.p_value_adjusted < WARN_FACTOR * alpha:
            raise_to("warn", f"{label} < {WARN_FACTOR * alpha:g}{detail}")
    score = feature.score
    enough = item.primary_ran
    if settings.method != "ks" and item.present:
        label = settings.method.upper()
        expected = item.present * item.psi_min_fraction
        floor = _psi_floor(item.psi_cells, item.reference_count, item.present, settings, family)
        if expected < settings.psi_min_expected:
            enough = False
            reasons.append(
                f"{label} needs {settings.psi_min_expected:g} values per bin: {item.present} values give "
                f"{expected:.2g} in the smallest bin"
            )
        elif floor > settings.alert_threshold:
            enough = False
            reasons.append(
                f"{label} of {item.present} values reaches {floor:.3g} from noise alone, above the alert threshold "
                f"{settings.alert_threshold}: too few rows for a {label} verdict"
            )
        else:
            warn_at, alert_at = max(settings.warn_threshold, floor), settings.alert_threshold
            if score >= alert_at:
                raise_to("alert", f"{label} {score:.3g} >= {alert_at:g}")
            elif score >= warn_at:
                note = f" (raised from {settings.warn_threshold:g}: noise level at {item.present} rows)" if (
                    warn_at > settings.warn_threshold
                ) else ""
                raise_to("warn", f"{label} {score:.3g} >= {warn_at:.3g}{note}")
    elif settings.method != "ks":
        enough = False
    if not enough and item.present and settings.method == "ks":
        reasons.append(
            f"{item.present} present value(s), fewer than the {settings.min_rows} the {feature.test.upper()} test needs"
        )
    if not enough and status == "ok":
        status = INSUFFICIENT
    if status == INSUFFICIENT:
        score = 0.0
    return status, reasons, score


def check_drift(
    profile: ReferenceProfile,
    partial: DataPartial,
    settings: DriftSettings,
    input_summary: InputSummary | None = None,
) -> DriftResult:
    """Test every feature of `partial` against `profile` and decide ok / warn / alert / insufficient_data."""
    if partial.rows == 0:
        raise InputDataError("the current data is empty: no rows were read; check the path or the time window")
    evaluated: list[_Evaluated] = []
    for name, stats_ in partial.features.items():
        reference = profile.features[name]
        if isinstance(reference, NumericFeatureProfile) and isinstance(stats_, NumericPartial):
            evaluated.append(_numeric_drift(name, reference, stats_, settings))
        elif isinstance(reference, CategoricalFeatureProfile) and isinstance(stats_, CategoricalPartial):
            evaluated.append(_categorical_drift(name, reference, stats_, settings))
        else:
            raise InputDataError(
                f"feature {name!r} is {reference.kind} in the reference profile but the partial holds "
                f"{stats_.kind} counts; recompute the partials with this profile"
            )

    # psi/kl decide the distribution by score; their range and missing tests still alert
    statistical = settings.method == "ks"
    family: list[DriftTest] = []
    for item in evaluated:
        _assign_weights(item.tests, item.drift.test == "ks")
        for test in item.tests:
            if not test.decides:  # a moment test of a heavy-tailed feature
                continue
            test.decides = statistical or test.test in ("out_of_range", "missing_rate")
            if test.decides:
                family.append(test)
    adjusted_p = _holm([t.p_value for t in family], [t.weight for t in family])
    for test, adjusted in zip(family, adjusted_p, strict=True):
        test.p_value_adjusted = adjusted

    decided: list[FeatureDrift] = []
    for item in evaluated:
        status, reasons, score = _decide(item, settings, len(evaluated))
        primary = next((t for t in item.tests if t.test in ("ks", "chi2")), None)
        adjusted_values = [t.p_value_adjusted for t in item.tests if t.p_value_adjusted is not None]
        decided.append(
            item.drift.model_copy(
                update={
                    "status": status,
                    "reasons": reasons,
                    "score": score,
                    "tests": item.tests,
                    "p_value": primary.p_value if primary is not None else None,
                    "p_value_adjusted": min(adjusted_values) if adjusted_values else None,
                }
            )
        )

    decided.sort(key=lambda f: (-_SEVERITY[f.status], -f.score, f.feature))
    conclusive = [f for f in decided if f.status != INSUFFICIENT]
    overall: Status = max((f.status for f in conclusive), key=_SEVERITY.__getitem__, default=INSUFFICIENT)
    return DriftResult(
        method=settings.method,
        status=overall,
        rows=partial.rows,
        drifted_features=[f.feature for f in decided if f.status == "alert"],
        warned_features=[f.feature for f in decided if f.status == "warn"],
        insufficient_features=[f.feature for f in decided if f.status == INSUFFICIENT],
        score_max=max((f.score for f in conclusive), default=0.0),
        missing_rate_max=max((f.missing_rate_current for f in decided), default=0.0),
        settings=settings,
        features=decided,
        input=input_summary or InputSummary(rows=partial.rows),
    )
