from __future__ import annotations

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
