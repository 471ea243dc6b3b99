"""Model quality on delayed labels: join predictions with labels by request id, then score.

Partials merge by addition like the drift statistics: a confusion matrix and, per true class
(positive / negative), the count of every distinct score for classifiers, so ROC AUC is exact
(the Mann-Whitney statistic with ties counted half, what scikit-learn's `roc_auc_score` computes)
for probabilities, logits or any other score range; count, absolute and squared error sums plus
label moments for regressors. Metrics follow scikit-learn with ``zero_division=np.nan``: a metric
a window cannot define (precision with no predicted positive, recall with no actual positive, AUC
with one class) is null with a reason, never 1.0 or 0.0. Averaging is decided by the declared
classes (binary of `positive_label` for two, macro over all for more), not by the classes a window
happens to hold. Labelled predictions that are missing or NaN are dropped from the metrics and
counted; above `max_dropped_share` the check alerts.

Predictions come from a table (CSV/Parquet with the id, prediction and optional score columns) or
from SageMaker data-capture records (`monitoring.capture_records`). How labels are keyed for
captured predictions, in the labels' id column (``--id-column``):
- a request with one row: its request id (``inferenceId`` when the caller set one, else ``eventId``);
- row ``i`` (0-based) of a request with several rows: ``<request id>#<i>``, or the request id in
  the id column and ``i`` in a ``row`` column (``--row-column``);
a row of a multi-row request whose label is keyed by the request id alone cannot be told apart
from its siblings: it is not scored and is counted in ``ambiguous_rows``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from monitoring.capture_records import ROW_KEY_SEPARATOR
from monitoring.errors import InputDataError, NoLabelledPredictionsError
from monitoring.statistics import Moments, category_labels

if TYPE_CHECKING:  # pandas loads only when labels are read: `slipstack drift` imports this module to publish
    import pandas as pd

    from monitoring.drift import InputSummary

QualityMetric = Literal["accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2"]
Task = Literal["classification", "regression"]
CLASSIFICATION_METRICS: tuple[QualityMetric, ...] = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION_METRICS: tuple[QualityMetric, ...] = ("mae", "rmse", "r2")
LOWER_IS_BETTER = frozenset({"mae", "rmse"})
# Metric name suffix after contracts.metrics.QUALITY_METRIC_PREFIX (QualityAccuracy, QualityRMSE, ...).
CLOUDWATCH_SUFFIX: dict[str, str] = {
    "accuracy": "Accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "roc_auc": "RocAuc",
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R2",
}
# Memory of the exact AUC: 16 bytes per distinct score and class; a million continuous scores ~16 MB.


class QualitySettings(BaseModel):
    """The spec's ``monitoring.quality`` plus the column names of the joined tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Task
    metric: QualityMetric
    threshold: float = Field(description="alert below this (above it for mae and rmse)")
    id_column: str = "inference_id"
    prediction_column: str = "prediction"
    score_column: str | None = Field(default=None, description="positive-class probability, for roc_auc")
    label_column: str = "label"
    positive_label: str | None = Field(
        default=None, description="binary positive class; default '1', or the second of two declared classes"
    )
    classes: tuple[str, ...] = Field(
        default=(), description="declared classes: two mean binary metrics, more mean macro averages; empty: observed"
    )
    max_dropped_share: float = Field(
        default=0.05, ge=0, le=1, description="largest share of labelled predictions that may be missing or NaN"
    )
    row_column: str = Field(
        default="row", description="labels: row index within a multi-row captured request (optional column)"
    )


@dataclass(frozen=True)
class ScoreCounts:
    """How often each distinct score occurred: sorted unique values and their counts; merges exactly."""

    values: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    @classmethod
    def of(cls, scores: np.ndarray) -> ScoreCounts:
        values, counts = np.unique(scores, return_counts=True)
        return cls(values.astype(np.float64), counts.astype(np.int64))

    def merge(self, other: ScoreCounts) -> ScoreCounts:
        if other.values.size == 0:
            return self
        if self.values.size == 0:
            return other
        values, inverse = np.unique(np.concatenate([self.values, other.values]), return_inverse=True)
        counts = np.bincount(inverse.reshape(-1), weights=np.concatenate([self.counts, other.counts]))
        return ScoreCounts(values, counts.astype(np.int64))

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def exact_auc(positives: ScoreCounts, negatives: ScoreCounts) -> float | None:
    """ROC AUC: the share of (positive, negative) pairs ranked right, ties counted half; None with one class."""
    if positives.total == 0 or negatives.total == 0:
        return None
    below = np.concatenate([[0], np.cumsum(negatives.counts)])
    # negatives strictly below each positive score, and those tied with it
    lower = below[np.searchsorted(negatives.values, positives.values, side="left")]
    upto = below[np.searchsorted(negatives.values, positives.values, side="right")]
    pairs = float((positives.counts * (lower + 0.5 * (upto - lower))).sum())
    return pairs / (positives.total * negatives.total)


@dataclass
class ClassificationPartial:
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    positive_scores: ScoreCounts = field(default_factory=ScoreCounts)
    negative_scores: ScoreCounts = field(default_factory=ScoreCounts)
    ambiguous_rows: int = 0  # captured rows of multi-row requests whose label names only the request
    dropped: int = 0  # labelled predictions that were missing or NaN
    unscored: int = 0  # scored rows (in the confusion matrix) without a finite score, left out of AUC

    def merge(self, other: ClassificationPartial) -> ClassificationPartial:
        return ClassificationPartial(
            self.confusion + other.confusion,
            self.positive_scores.merge(other.positive_scores),
            self.negative_scores.merge(other.negative_scores),
            self.ambiguous_rows + other.ambiguous_rows,
            self.dropped + other.dropped,
            self.unscored + other.unscored,
        )


@dataclass
class RegressionPartial:
    count: int = 0
    absolute_error: float = 0.0
    squared_error: float = 0.0
    labels: Moments = field(default_factory=Moments)
    ambiguous_rows: int = 0
    dropped: int = 0  # labelled predictions that were missing, NaN or infinite

    def merge(self, other: RegressionPartial) -> RegressionPartial:
        return RegressionPartial(
            self.count + other.count,
            self.absolute_error + other.absolute_error,
            self.squared_error + other.squared_error,
            self.labels.merge(other.labels),
            self.ambiguous_rows + other.ambiguous_rows,
            self.dropped + other.dropped,
        )


class QualityResult(BaseModel):
    task: Task
    metric: QualityMetric
    threshold: float
    value: float | None = Field(description="the configured metric; null when this window cannot define it")
    status: Literal["ok", "alert", "insufficient_data"] = Field(
        description="insufficient_data: the configured metric is undefined in this window (see undefined)"
    )
    reasons: list[str] = Field(default_factory=list)
    joined_rows: int
    predictions_without_label: int
    scored_rows: int = Field(default=0, description="labelled predictions the metrics were computed on")
    dropped_predictions: int = Field(default=0, description="labelled predictions that were missing or NaN")
    dropped_share: float = Field(default=0.0, description="dropped_predictions / joined_rows")
    unscored_rows: int = Field(default=0, description="scored rows without a finite score, not in roc_auc")
    classes: list[str] = Field(default_factory=list, description="classes the metrics average over")
    positive_label: str | None = Field(default=None, description="positive class of binary metrics; null: macro")
    metrics: dict[str, float | None]
    undefined: dict[str, str] = Field(default_factory=dict, description="why a null metric is undefined")
    ambiguous_rows: int = Field(
        default=0, description="captured rows of multi-row requests whose label is keyed by the request id alone"
    )
    malformed_records: int = Field(default=0, description="capture records whose reply could not be read")
    malformed_examples: list[str] = Field(default_factory=list)


def _require(frame: pd.DataFrame, columns: list[str], what: str, where: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"{where}: the {what} lack column(s) {missing} (they have {[str(c) for c in frame.columns]}); "
            "name the columns with --id-column / --prediction-column / --label-column"
        )


def prediction_keys(predictions: Iterable[tuple[str, pd.DataFrame]], settings: QualitySettings) -> set[str]:
    """Every label key the predictions can join on: a request id, and `<request id>#<row>` for captured rows.

    A window's worth of ids (one string per prediction row), so `load_labels(..., wanted=...)` keeps only the
    labels a run can use, however long the label history the labels input holds.
    """
    keys: set[str] = set()
    for where, frame in predictions:
        if is_captured(frame):
            ids = frame["request_id"].astype("string")
            rows = frame["row"].astype("int64").astype("string")
            keys.update(ids.dropna().tolist())
            keys.update((ids + ROW_KEY_SEPARATOR + rows).dropna().tolist())
        else:
            _require(frame, [settings.id_column], "predictions", where)
            keys.update(frame[settings.id_column].astype("string").dropna().tolist())
    return keys


def load_labels(
    chunks: Iterator[tuple[str, pd.DataFrame]], settings: QualitySettings, wanted: set[str] | None = None
) -> pd.Series:
    """The labels indexed by request id (or `<id>#<row>`), read chunk by chunk.

    With `wanted` (the window's `prediction_keys`), a chunk keeps only the labels of those keys before the next
    is read: memory is bounded by the window and one chunk, not by the labels' history (delayed labels pile
    up under one prefix for as long as they are kept). `attrs["rows_read"]` counts every label row read.
    """
    parts = []
    rows_read = 0
    for where, frame in chunks:
        _require(frame, [settings.id_column, settings.label_column], "labels", where)
        keys = frame[settings.id_column].astype("string")
        if settings.row_column in frame.columns:
            rows = frame[settings.row_column]
            has_row = rows.notna()
            try:
                row_text = rows[has_row].astype("int64").astype("string")
            except (TypeError, ValueError):
                raise InputDataError(
                    f"{where}: the labels' {settings.row_column!r} column must hold row indexes (0, 1, ...)"
                ) from None
            keys = keys.copy()
            keys[has_row] = keys[has_row] + ROW_KEY_SEPARATOR + row_text
        rows_read += len(frame)
        column = frame.set_index(keys)[settings.label_column]
        if wanted is not None:
            column = column[column.index.isin(wanted)]
        parts.append(column)
    if rows_read == 0:
        raise InputDataError("the labels are empty: no rows were read; check the labels path")
    import pandas as pd

    labels = pd.concat(parts)
    labels = labels[~labels.index.duplicated(keep="last")]
    labels.attrs["rows_read"] = rows_read
    return labels


def partial_of_predictions(
    frame: pd.DataFrame, labels: pd.Series, settings: QualitySettings, where: str
) -> tuple[ClassificationPartial | RegressionPartial, int, int]:
    """(partial, joined rows, rows without a label) of one chunk of predictions."""
    ambiguous = 0
    prediction_column, score_column = settings.prediction_column, settings.score_column
    if is_captured(frame):  # fixed column names; any score column setting means "use the captured score"
        joined_labels, ambiguous = _captured_labels(frame, labels)
        prediction_column, score_column = "prediction", "score" if settings.score_column else None
    else:
        columns = [settings.id_column, settings.prediction_column]
        if settings.score_column:
            columns.append(settings.score_column)
        _require(frame, columns, "predictions", where)
        ids = frame[settings.id_column].astype("string")
        joined_labels = labels.reindex(ids.to_numpy())
    has_label = joined_labels.notna().to_numpy()
    frame = frame.loc[has_label]
    truth = joined_labels[has_label]
    joined, unlabelled = int(has_label.sum()), int((~has_label).sum())
    if settings.task == "regression":
        predicted = _numbers(frame[prediction_column], f"prediction column {prediction_column!r}", where)
        actual = _numbers(truth, f"label column {settings.label_column!r}", where)
        # a prediction the model did not give (null, NaN, inf) is dropped and counted, never a NaN metric
        usable = np.isfinite(predicted) & np.isfinite(actual)
        errors = predicted[usable] - actual[usable]
        partial_r = RegressionPartial(
            int(usable.sum()),
            float(np.abs(errors).sum()),
            float(np.dot(errors, errors)),
            Moments.of(actual[usable]),
            ambiguous,
            int((~usable).sum()),
        )
        return partial_r, joined, unlabelled
    predicted_labels = category_labels(frame[prediction_column].reset_index(drop=True))
    true_labels = category_labels(truth.reset_index(drop=True))
    predicted_missing = predicted_labels.isna().to_numpy()
    kept = ~predicted_missing
    truth_kept, predicted_kept = true_labels[kept], predicted_labels[kept]
    partial = ClassificationPartial(
        Counter(zip(truth_kept.tolist(), predicted_kept.tolist(), strict=True)),
        ambiguous_rows=ambiguous,
        dropped=int(predicted_missing.sum()),
    )
    if score_column:
        scores = _numbers(frame[score_column], f"score column {score_column!r}", where)[kept]
        # A row without a score (a reply without probabilities) counts in the other metrics, not in AUC.
        scored = np.isfinite(scores)
        positive = (truth_kept == positive_class(settings)).to_numpy(dtype=bool)
        partial.positive_scores = ScoreCounts.of(scores[scored & positive])
        partial.negative_scores = ScoreCounts.of(scores[scored & ~positive])
        partial.unscored = int((~scored).sum())
    return partial, joined, unlabelled


def positive_class(settings: QualitySettings) -> str:
    """The positive class of binary metrics: the setting, else '1', else the second declared class."""
    if settings.positive_label is not None:
        return settings.positive_label
    if len(settings.classes) == 2 and "1" not in settings.classes:
        return settings.classes[1]
    return "1"


def _numbers(column: pd.Series, what: str, where: str) -> np.ndarray:
    """A column as float64 (null as NaN); text that is not a number is bad input, named by row."""
    try:
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        pass
    import pandas as pd

    values = column.reset_index(drop=True)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    text = values[bad].astype(str).str.strip().str.lower()
    bad[bad] = ~text.isin(["", "none", "null", "nan", "na", "n/a"]).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        shown = ", ".join(str(int(i) + 1) for i in rows[:5])
        sample = [str(v)[:40] for v in values[bad].head(3)]
        raise InputDataError(
            f"{where}: {what} must hold numbers, but {rows.size} joined row(s) do not (rows {shown} of this "
            f"chunk's labelled rows: {sample}); fix the data"
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def is_captured(frame: pd.DataFrame) -> bool:
    """Whether a chunk holds captured predictions (`monitoring.sources.CAPTURE_PREDICTION_COLUMNS`)."""
    return {"request_id", "row", "request_rows"} <= set(frame.columns)


def _captured_labels(frame: pd.DataFrame, labels: pd.Series) -> tuple[pd.Series, int]:
    """Each captured row's label (NaN when none) and how many rows are ambiguous (see the module doc)."""
    ids = frame["request_id"].astype("string").to_numpy(dtype=object)
    rows = frame["row"].to_numpy(dtype=np.int64)
    multi = frame["request_rows"].to_numpy(dtype=np.int64) > 1
    row_keys = np.array([f"{i}{ROW_KEY_SEPARATOR}{r}" for i, r in zip(ids, rows, strict=True)], dtype=object)
    keys = np.where(multi, row_keys, ids)
    truth = labels.reindex(keys).reset_index(drop=True)
    # A one-row request may be labelled as row 0 too (labels that always carry a row column).
    fallback = truth.isna().to_numpy() & ~multi
    if fallback.any():
        truth[fallback] = labels.reindex(row_keys[fallback]).to_numpy()
    # Ambiguous: a multi-row request without row labels whose request id alone is labelled. Looked up
    # by hash (reindex) for the few unlabelled multi-row rows only; `isin` on the labels is O(labels).
    unmatched = truth.isna().to_numpy() & multi
    ambiguous = int(labels.reindex(ids[unmatched]).notna().sum()) if unmatched.any() else 0
    truth.index = frame.index
    return truth, ambiguous


@dataclass(frozen=True)
class _Metrics:
    values: dict[str, float | None]
    undefined: dict[str, str]
    classes: list[str]
    positive: str | None


def _classification_metrics(partial: ClassificationPartial, settings: QualitySettings) -> _Metrics:
    """scikit-learn's metrics with zero_division=np.nan: undefined ones are null with a reason."""
    total = sum(partial.confusion.values())
    observed = sorted({c for pair in partial.confusion for c in pair})
    correct = sum(n for (t, p), n in partial.confusion.items() if t == p)
    undefined: dict[str, str] = {}

    def counts(cls: str) -> tuple[int, int, int]:
        tp = partial.confusion[(cls, cls)]
        predicted = sum(n for (_, p), n in partial.confusion.items() if p == cls)
        actual = sum(n for (t, _), n in partial.confusion.items() if t == cls)
        return tp, predicted, actual

    def prf(cls: str) -> tuple[float | None, float | None, float | None]:
        tp, predicted, actual = counts(cls)
        precision = tp / predicted if predicted else None
        recall = tp / actual if actual else None
        f1 = 2 * tp / (predicted + actual) if predicted + actual else None
        return precision, recall, f1

    declared = list(settings.classes)
    binary = len(declared) == 2 if declared else (
        settings.positive_label is not None or set(observed) <= {"0", "1"}
    )
    classes = declared or observed
    positive: str | None = None
    if binary:
        positive = positive_class(settings)
        precision, recall, f1 = prf(positive)
        if precision is None:
            undefined["precision"] = f"no row was predicted as the positive class {positive!r}"
        if recall is None:
            undefined["recall"] = f"no row's label is the positive class {positive!r}"
        if f1 is None:
            undefined["f1"] = f"the positive class {positive!r} was neither predicted nor a label"
    else:
        # macro: the mean over the classes whose value is defined, as scikit-learn does with nan
        per_class = [prf(c) for c in classes]
        means: list[float | None] = []
        for index, name in enumerate(("precision", "recall", "f1")):
            defined = [x for x in (v[index] for v in per_class) if x is not None]
            means.append(float(np.mean(defined)) if defined else None)
            if not defined:
                undefined[name] = f"no class of {classes} has a defined {name} in this window"
        precision, recall, f1 = means
    auc: float | None = None
    if settings.score_column is None:
        undefined["roc_auc"] = "no score column: pass --score-column (a positive-class probability or score per row)"
    elif not binary:
        undefined["roc_auc"] = f"roc_auc is computed for binary classifiers; the classes are {classes}"
    else:
        auc = exact_auc(partial.positive_scores, partial.negative_scores)
        if auc is None:
            which = "positive" if partial.positive_scores.total == 0 else "negative"
            undefined["roc_auc"] = f"no scored row with a {which} label in this window (AUC needs both classes)"
    values = {"accuracy": correct / total if total else None, "precision": precision, "recall": recall, "f1": f1,
              "roc_auc": auc}
    if total == 0:
        undefined["accuracy"] = "no labelled prediction was left after dropping missing ones"
    return _Metrics(values, undefined, classes, positive)


def _regression_metrics(partial: RegressionPartial) -> _Metrics:
    undefined: dict[str, str] = {}
    if partial.count == 0:
        reason = "no labelled prediction was left after dropping missing ones"
        return _Metrics({"mae": None, "rmse": None, "r2": None}, dict.fromkeys(("mae", "rmse", "r2"), reason), [], None)
    mae = partial.absolute_error / partial.count
    rmse = float(np.sqrt(partial.squared_error / partial.count))
    r2 = 1.0 - partial.squared_error / partial.labels.m2 if partial.labels.m2 > 0 else None
    if r2 is None:
        undefined["r2"] = "the labels do not vary in this window"
    return _Metrics({"mae": mae, "rmse": rmse, "r2": r2}, undefined, [], None)


def quality_partial(
    predictions: Iterable[tuple[str, pd.DataFrame]], labels: pd.Series, settings: QualitySettings
) -> tuple[ClassificationPartial | RegressionPartial, int, int]:
    """(merged partial, joined rows, rows without a label) of some chunks of predictions."""
    total: ClassificationPartial | RegressionPartial = (
        RegressionPartial() if settings.task == "regression" else ClassificationPartial()
    )
    joined = unlabelled = 0
    for where, frame in predictions:
        partial, rows, missing = partial_of_predictions(frame, labels, settings, where)
        total = total.merge(partial)  # type: ignore[arg-type]
        joined, unlabelled = joined + rows, unlabelled + missing
    return total, joined, unlabelled


def check_quality(
    predictions: Iterable[tuple[str, pd.DataFrame]],
    labels: pd.Series,
    settings: QualitySettings,
    summary: InputSummary | None = None,
) -> QualityResult:
    """Score every chunk of predictions; `summary` (filled while reading) adds the malformed records."""
    total, joined, unlabelled = quality_partial(predictions, labels, settings)
    return decide_quality(total, joined, unlabelled, labels.attrs.get("rows_read", len(labels)), settings, summary)


def decide_quality(
    total: ClassificationPartial | RegressionPartial,
    joined: int,
    unlabelled: int,
    label_count: int,
    settings: QualitySettings,
    summary: InputSummary | None = None,
) -> QualityResult:
    """Metrics of a merged partial compared with the threshold (the same for every engine)."""
    allowed = REGRESSION_METRICS if settings.task == "regression" else CLASSIFICATION_METRICS
    if settings.metric not in allowed:
        raise InputDataError(
            f"quality metric {settings.metric!r} does not apply to {settings.task}; use one of {allowed}"
        )
    if joined == 0:
        hint = ""
        if total.ambiguous_rows:
            hint = (
                f"; {total.ambiguous_rows} captured rows belong to multi-row requests whose labels name only the "
                f"request: key them '<request id>{ROW_KEY_SEPARATOR}<row>' or add a {settings.row_column!r} column"
            )
        raise NoLabelledPredictionsError(
            f"no prediction has a label yet ({unlabelled} predictions, {label_count} labels): the ids in "
            f"{settings.id_column!r} do not match, or the labels have not arrived{hint}"
        )
    computed = _regression_metrics(total) if isinstance(total, RegressionPartial) else _classification_metrics(
        total, settings
    )
    if settings.metric == "roc_auc" and settings.score_column is None:
        raise InputDataError(
            "roc_auc needs a positive-class probability or score per row: pass --score-column, or check captured "
            "replies of a binary classifier (they carry probabilities)"
        )
    value = computed.values.get(settings.metric)
    dropped = total.dropped
    share = dropped / joined
    reasons: list[str] = []
    status: Literal["ok", "alert", "insufficient_data"] = "ok"
    if value is None:
        status = "insufficient_data"
        reasons.append(f"{settings.metric} is undefined in this window: {computed.undefined.get(settings.metric)}")
    elif value > settings.threshold if settings.metric in LOWER_IS_BETTER else value < settings.threshold:
        status = "alert"
        reasons.append(f"{settings.metric} is {value:.4g}, worse than the threshold {settings.threshold:g}")
    if share > settings.max_dropped_share:
        status = "alert"
        reasons.append(
            f"{dropped} of {joined} labelled predictions ({share:.1%}) are missing or NaN, more than "
            f"max_dropped_share {settings.max_dropped_share:.1%}: the model or the capture is failing"
        )
    scored = total.count if isinstance(total, RegressionPartial) else sum(total.confusion.values())
    return QualityResult(
        task=settings.task,
        metric=settings.metric,
        threshold=settings.threshold,
        value=value,
        status=status,
        reasons=reasons,
        joined_rows=joined,
        predictions_without_label=unlabelled,
        scored_rows=scored,
        dropped_predictions=dropped,
        dropped_share=share,
        unscored_rows=total.unscored if isinstance(total, ClassificationPartial) else 0,
        classes=computed.classes,
        positive_label=computed.positive,
        metrics=computed.values,
        undefined=computed.undefined,
        ambiguous_rows=total.ambiguous_rows,
        malformed_records=summary.malformed_records if summary else 0,
        malformed_examples=list(summary.malformed_examples) if summary else [],
    )
