"""Model quality on delayed labels: join predictions with labels by request id, then score.

Partials merge by addition like the drift statistics: a confusion matrix and per-class score
histograms for classifiers (ROC AUC from 1000 score bins, exact up to ties within a bin), and
count, absolute and squared error sums plus label moments for regressors.

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
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from monitoring.capture_records import ROW_KEY_SEPARATOR
from monitoring.errors import InputDataError, NoLabelledPredictionsError
from monitoring.statistics import Moments, category_labels

if TYPE_CHECKING:
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
SCORE_BINS = 1000


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
    positive_label: str | None = Field(default=None, description="binary positive class; default '1'")
    row_column: str = Field(
        default="row", description="labels: row index within a multi-row captured request (optional column)"
    )


@dataclass
class ClassificationPartial:
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    positive_scores: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, np.int64))
    negative_scores: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, np.int64))
    ambiguous_rows: int = 0  # captured rows of multi-row requests whose label names only the request

    def merge(self, other: ClassificationPartial) -> ClassificationPartial:
        return ClassificationPartial(
            self.confusion + other.confusion,
            self.positive_scores + other.positive_scores,
            self.negative_scores + other.negative_scores,
            self.ambiguous_rows + other.ambiguous_rows,
        )


@dataclass
class RegressionPartial:
    count: int = 0
    absolute_error: float = 0.0
    squared_error: float = 0.0
    labels: Moments = field(default_factory=Moments)
    ambiguous_rows: int = 0

    def merge(self, other: RegressionPartial) -> RegressionPartial:
        return RegressionPartial(
            self.count + other.count,
            self.absolute_error + other.absolute_error,
            self.squared_error + other.squared_error,
            self.labels.merge(other.labels),
            self.ambiguous_rows + other.ambiguous_rows,
        )


class QualityResult(BaseModel):
    task: Task
    metric: QualityMetric
    threshold: float
    value: float | None
    status: Literal["ok", "alert"]
    joined_rows: int
    predictions_without_label: int
    metrics: dict[str, float | None]
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


def load_labels(chunks: Iterator[tuple[str, pd.DataFrame]], settings: QualitySettings) -> pd.Series:
    """All labels indexed by request id: one value per request, small next to the feature data."""
    parts = []
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
        parts.append(frame.set_index(keys)[settings.label_column])
    if not parts or sum(len(p) for p in parts) == 0:
        raise InputDataError("the labels are empty: no rows were read; check the labels path")
    labels = pd.concat(parts)
    return labels[~labels.index.duplicated(keep="last")]


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
        try:
            predicted = frame[prediction_column].to_numpy(dtype=np.float64, na_value=np.nan)
            actual = truth.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise InputDataError(f"{where}: regression predictions and labels must be numbers") from None
        errors = predicted - actual
        partial_r = RegressionPartial(
            joined, float(np.abs(errors).sum()), float(np.dot(errors, errors)), Moments.of(actual), ambiguous
        )
        return partial_r, joined, unlabelled
    predicted_labels = category_labels(frame[prediction_column].reset_index(drop=True))
    true_labels = category_labels(truth.reset_index(drop=True))
    partial = ClassificationPartial(
        Counter(zip(true_labels.tolist(), predicted_labels.tolist(), strict=True)), ambiguous_rows=ambiguous
    )
    if score_column:
        try:
            scores = frame[score_column].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise InputDataError(f"{where}: scores in {score_column!r} must be numbers") from None
        # A row without a score (a reply without probabilities) counts in the other metrics, not in AUC.
        scored = np.isfinite(scores)
        bins = np.clip((scores[scored] * SCORE_BINS).astype(np.int64), 0, SCORE_BINS - 1)
        positive = (true_labels == (settings.positive_label or "1")).to_numpy(dtype=bool)[scored]
        partial.positive_scores = np.bincount(bins[positive], minlength=SCORE_BINS)
        partial.negative_scores = np.bincount(bins[~positive], minlength=SCORE_BINS)
    return partial, joined, unlabelled


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


def _classification_metrics(partial: ClassificationPartial, positive_label: str | None) -> dict[str, float | None]:
    total = sum(partial.confusion.values())
    classes = sorted({c for pair in partial.confusion for c in pair})
    correct = sum(n for (t, p), n in partial.confusion.items() if t == p)

    def prf(cls: str) -> tuple[float, float, float]:
        tp = partial.confusion[(cls, cls)]
        predicted = sum(n for (_, p), n in partial.confusion.items() if p == cls)
        actual = sum(n for (t, _), n in partial.confusion.items() if t == cls)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    positive = positive_label or "1"
    if len(classes) <= 2 and (positive in classes or positive_label is not None):
        precision, recall, f1 = prf(positive)
    else:  # multiclass (or a binary task without a recognisable positive class): macro average
        scores = [prf(c) for c in classes]
        precision, recall, f1 = (float(np.mean([s[i] for s in scores])) for i in range(3))
    auc: float | None = None
    positives, negatives = partial.positive_scores, partial.negative_scores
    if positives.sum() and negatives.sum():
        negatives_below = np.concatenate([[0], np.cumsum(negatives)[:-1]])
        # A positive beats every negative in a lower bin and half of those in its own bin (ties).
        auc = float((positives * (negatives_below + 0.5 * negatives)).sum() / (positives.sum() * negatives.sum()))
    return {"accuracy": correct / total, "precision": precision, "recall": recall, "f1": f1, "roc_auc": auc}


def _regression_metrics(partial: RegressionPartial) -> dict[str, float | None]:
    mae = partial.absolute_error / partial.count
    rmse = float(np.sqrt(partial.squared_error / partial.count))
    r2 = 1.0 - partial.squared_error / partial.labels.m2 if partial.labels.m2 > 0 else None
    return {"mae": mae, "rmse": rmse, "r2": r2}


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
    return decide_quality(total, joined, unlabelled, len(labels), settings, summary)


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
    values = (
        _regression_metrics(total)
        if isinstance(total, RegressionPartial)
        else _classification_metrics(total, settings.positive_label)
    )
    value = values.get(settings.metric)
    if value is None:
        raise InputDataError(
            f"{settings.metric} cannot be computed from these rows (roc_auc needs a positive-class probability per "
            "row, from --score-column or a binary classifier's captured probabilities, and both classes; r2 needs "
            "labels that vary)"
        )
    failing = value > settings.threshold if settings.metric in LOWER_IS_BETTER else value < settings.threshold
    return QualityResult(
        task=settings.task,
        metric=settings.metric,
        threshold=settings.threshold,
        value=value,
        status="alert" if failing else "ok",
        joined_rows=joined,
        predictions_without_label=unlabelled,
        metrics=values,
        ambiguous_rows=total.ambiguous_rows,
        malformed_records=summary.malformed_records if summary else 0,
        malformed_examples=list(summary.malformed_examples) if summary else [],
    )
