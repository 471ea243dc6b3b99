from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from monitoring.errors import InputDataError
from monitoring.quality import QualitySettings, check_quality, load_labels


def test_classification_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    ids = [f"r{i}" for i in range(2000)]
    truth = rng.integers(0, 2, 2000)
    score = np.clip(truth * 0.3 + rng.uniform(0, 0.7, 2000), 0, 0.999)
    predictions = pd.DataFrame({"inference_id": ids, "prediction": (score > 0.5).astype(int), "p": score})
    labels = pd.DataFrame({"inference_id": ids[:1500], "label": truth[:1500]})
    settings = QualitySettings(task="classification", metric="f1", threshold=0.9, score_column="p")
    chunks = iter([("p1", predictions.iloc[:700]), ("p2", predictions.iloc[700:])])
    result = check_quality(chunks, load_labels(iter([("l", labels)]), settings), settings)
    y, yhat = truth[:1500], (score[:1500] > 0.5).astype(int)
    assert result.joined_rows == 1500 and result.predictions_without_label == 500
    assert result.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, yhat))
    assert result.metrics["f1"] == pytest.approx(skm.f1_score(y, yhat))
    assert result.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score[:1500]), abs=2e-3)
    assert result.status == "alert"


def test_regression_and_no_join() -> None:
    frame = pd.DataFrame({"inference_id": [1, 2, 3, 4], "prediction": [1.0, 2.0, 3.0, 5.0]})
    labels = pd.DataFrame({"inference_id": [1, 2, 3, 4], "label": [1.0, 2.5, 2.0, 5.0]})
    settings = QualitySettings(task="regression", metric="rmse", threshold=1.0)
    result = check_quality(iter([("p", frame)]), load_labels(iter([("l", labels)]), settings), settings)
    assert result.metrics["mae"] == pytest.approx(0.375)
    assert result.metrics["r2"] == pytest.approx(skm.r2_score(labels["label"], frame["prediction"]))
    assert result.status == "ok"
    other = pd.DataFrame({"inference_id": [9], "label": [1.0]})
    with pytest.raises(InputDataError, match="no prediction has a label yet"):
        check_quality(iter([("p", frame)]), load_labels(iter([("l", other)]), settings), settings)
    with pytest.raises(InputDataError, match=r"lack column\(s\) \['label'\]"):
        load_labels(iter([("labels.csv", frame)]), settings)


def _quality(frame: pd.DataFrame, truth, chunks: int = 3, **settings: object):
    ids = [f"r{i}" for i in range(len(frame))]
    predictions = frame.assign(inference_id=ids)
    chosen = QualitySettings.model_validate({"task": "classification", "metric": "accuracy", "threshold": 0.0,
                                             **settings})
    labels = load_labels(iter([("l", pd.DataFrame({"inference_id": ids, "label": truth}))]), chosen)
    parts = np.array_split(np.arange(len(frame)), chunks)
    return check_quality(iter([(f"p{i}", predictions.iloc[p]) for i, p in enumerate(parts)]), labels, chosen)


@pytest.mark.parametrize(
    "scores",
    [
        pytest.param(lambda rng, y: rng.uniform(0, 1e-3, y.size) * (1 + y), id="small-probabilities"),
        pytest.param(lambda rng, y: rng.normal(0, 3, y.size) + 1.5 * y, id="logits"),
        pytest.param(lambda rng, y: np.round(rng.uniform(0, 1, y.size) + 0.2 * y, 1), id="heavy-ties"),
    ],
)
def test_auc_is_exact_for_any_score_range_and_merges_across_chunks(scores) -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 3000)
    score = scores(rng, truth)
    frame = pd.DataFrame({"prediction": (score > np.median(score)).astype(int), "p": score})
    result = _quality(frame, truth, chunks=7, metric="roc_auc", threshold=0.5, score_column="p")
    assert result.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(truth, score), abs=1e-12)


def test_a_window_without_positives_reports_undefined_not_one() -> None:
    truth = np.zeros(50, int)
    frame = pd.DataFrame({"prediction": np.zeros(50, int), "p": np.linspace(0, 0.4, 50)})
    result = _quality(frame, truth, metric="recall", threshold=0.8, score_column="p", classes=("0", "1"))
    assert result.metrics["precision"] is None and result.metrics["recall"] is None
    assert result.metrics["roc_auc"] is None and result.metrics["accuracy"] == 1.0
    assert "no row's label is the positive class '1'" in result.undefined["recall"]
    assert result.status == "insufficient_data" and result.value is None
    for name, metric in (("precision", skm.precision_score), ("recall", skm.recall_score)):
        assert np.isnan(metric(truth, frame["prediction"], zero_division=np.nan)), name


def test_averaging_follows_the_declared_classes_not_the_window() -> None:
    rng = np.random.default_rng(2)
    truth = rng.choice(["a", "b"], 400)  # class "c" is declared but absent from this window
    predicted = np.where(rng.random(400) < 0.8, truth, "c")
    frame = pd.DataFrame({"prediction": predicted})
    result = _quality(frame, truth, metric="f1", threshold=0.5, classes=("a", "b", "c"))
    labels = ["a", "b", "c"]
    for name, metric in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        expected = metric(truth, predicted, labels=labels, average="macro", zero_division=np.nan)
        assert result.metrics[name] == pytest.approx(expected), name
    assert result.classes == labels and result.positive_label is None
    # two declared classes: binary metrics of the positive label, even if only one class was predicted
    truth2 = rng.choice(["benign", "malignant"], 300)
    only_benign = pd.DataFrame({"prediction": ["benign"] * 300})
    binary = _quality(only_benign, truth2, metric="recall", threshold=0.5, classes=("benign", "malignant"))
    assert binary.positive_label == "malignant" and binary.metrics["recall"] == 0.0
    assert binary.metrics["precision"] is None and binary.status == "alert"
    assert skm.recall_score(truth2, only_benign["prediction"], pos_label="malignant") == 0.0


def test_missing_predictions_are_dropped_counted_and_alert_above_the_share() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 1000)
    predicted = pd.Series(truth.astype(float))
    predicted[:30] = np.nan  # 3% of the model's replies carried no prediction
    frame = pd.DataFrame({"prediction": predicted})
    result = _quality(frame, truth, metric="accuracy", threshold=0.9)
    assert result.dropped_predictions == 30 and result.dropped_share == pytest.approx(0.03)
    assert result.scored_rows == 970 and result.metrics["accuracy"] == 1.0 and result.status == "ok"
    strict = _quality(frame, truth, metric="accuracy", threshold=0.9, max_dropped_share=0.01)
    assert strict.status == "alert" and "30 of 1000 labelled predictions (3.0%) are missing" in strict.reasons[0]


def test_regression_nan_predictions_are_dropped_never_a_nan_metric() -> None:
    rng = np.random.default_rng(4)
    truth = rng.normal(size=500)
    predicted = truth + rng.normal(0, 0.1, 500)
    predicted[:5] = np.nan
    predicted[5] = np.inf
    frame = pd.DataFrame({"prediction": predicted})
    result = _quality(frame, truth, task="regression", metric="rmse", threshold=1.0)
    kept = np.isfinite(predicted)
    assert result.dropped_predictions == 6 and result.status == "ok"
    assert result.metrics["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(truth[kept], predicted[kept])))
    assert result.metrics["r2"] == pytest.approx(skm.r2_score(truth[kept], predicted[kept]))


def test_text_in_a_regression_prediction_names_the_rows() -> None:
    frame = pd.DataFrame({"prediction": pd.Series([1.0, "oops", None, 2.0], dtype=object)})
    with pytest.raises(InputDataError, match=r"prediction column 'prediction' must hold numbers.*rows 2 .*'oops'"):
        _quality(frame, [1.0, 2.0, 3.0, 4.0], chunks=1, task="regression", metric="mae", threshold=1.0)


def test_only_the_windows_labels_are_kept_while_the_history_is_streamed() -> None:
    from monitoring.quality import prediction_keys

    rng = np.random.default_rng(1)
    settings = QualitySettings(task="classification", metric="accuracy", threshold=0.5)
    window = pd.DataFrame({"inference_id": [f"now-{i}" for i in range(300)], "prediction": rng.integers(0, 2, 300)})
    history = [pd.DataFrame({"inference_id": [f"old-{c}-{i}" for i in range(1000)], "label": rng.integers(0, 2, 1000)})
               for c in range(20)]
    current = pd.DataFrame({"inference_id": window["inference_id"][:250], "label": rng.integers(0, 2, 250)})
    chunks = [*history[:10], current, *history[10:]]
    served: list[int] = []

    def labels() -> Any:
        for index, chunk in enumerate(chunks):
            served.append(index)
            yield f"labels-{index}", chunk

    wanted = prediction_keys(iter([("p", window)]), settings)
    kept = load_labels(labels(), settings, wanted)
    assert served == list(range(len(chunks)))  # read chunk by chunk to the end
    assert len(kept) == 250 and kept.attrs["rows_read"] == 20_250
    everything = load_labels(iter([(f"l{i}", c) for i, c in enumerate(chunks)]), settings)
    assert len(everything) == 20_250
    filtered = check_quality(iter([("p", window)]), kept, settings)
    unfiltered = check_quality(iter([("p", window)]), everything, settings)
    assert filtered.model_dump() == unfiltered.model_dump()


def test_captured_rows_keep_labels_keyed_by_request_or_by_row() -> None:
    from monitoring.quality import prediction_keys

    captured = pd.DataFrame({"request_id": ["a", "b", "b"], "row": [0, 0, 1], "request_rows": [1, 2, 2],
                             "prediction": ["1", "0", "1"]})
    settings = QualitySettings(task="classification", metric="accuracy", threshold=0.5)
    wanted = prediction_keys(iter([("c", captured)]), settings)
    assert wanted == {"a", "a#0", "b", "b#0", "b#1"}
    labels = pd.DataFrame({"inference_id": ["a", "b", "b", "z"], "row": [None, 0, 1, 0], "label": ["1", "0", "0", "1"]})
    kept = load_labels(iter([("l", labels)]), settings, wanted)
    assert sorted(kept.index) == ["a", "b#0", "b#1"]
