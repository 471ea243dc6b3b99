"""code/inference.py as SageMaker's scikit-learn/XGBoost containers run it: from the extracted model.tar.gz,
with no onnxruntime (the containers do not ship it and network isolation forbids installing it) and no
Slipstack installed. One subprocess serves every artifact; the parent compares its answers with the
original model's own predictions.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from model_packaging.package import package_model
from tests.model_packaging.sagemaker_container import extracted, invocation, serve_in_container

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "artifacts"
ROWS = 25
# Feature count by output count: the regressor (1 output) has 10 inputs, the classifiers (2) 30.
FEATURES = {1: range(10), 2: range(30)}

def job(model_dir: Path, frame: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """Every body/accept combination of the reference rows, and a short row."""
    rows = frame[features].head(ROWS)
    bodies = {"application/json": json.dumps({"instances": rows.to_numpy().tolist()}),
              "text/csv": rows.to_csv(header=False, index=False)}
    requests = [invocation(body, content_type, accept) for content_type, body in bodies.items()
                for accept in ("application/json", "text/csv")]
    requests.append(invocation("1,2\n", "text/csv"))
    return {"model_dir": str(model_dir), "requests": requests}


COMBINATIONS = [f"{c} -> {a}" for c in ("application/json", "text/csv") for a in ("application/json", "text/csv")]


def csv_matrix(text: str) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in csv.reader(io.StringIO(text)) if row])


def assert_served_like(result: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    """Every body/accept combination gives exactly the original model's outputs; a short row is a 400."""
    assert result["onnxruntime_loaded"] is False
    *served, short_row = result["answers"]
    assert short_row["status"] == 400
    assert json.loads(short_row["body"]) == {
        "error": f"CSV line 1 has 2 values, the signature has {len(FEATURES[len(outputs)])} inputs "
                 "(send rows in signature order, no header)"}
    expected_csv = np.column_stack([value.reshape(len(value), -1) for value in outputs.values()])
    for combination, answer in zip(COMBINATIONS, served, strict=True):
        accept = combination.split(" -> ")[1]
        assert answer["status"] == 200, (combination, answer["body"][:300])
        assert answer["content_type"] == accept, combination
        if accept == "text/csv":
            np.testing.assert_array_equal(csv_matrix(answer["body"].decode()), expected_csv, err_msg=combination)
        else:
            body = json.loads(answer["body"])
            assert list(body) == list(outputs), combination
            for name, value in outputs.items():
                np.testing.assert_array_equal(np.asarray(body[name]), value, err_msg=f"{combination}: {name}")


def test_sagemaker_containers_serve_the_native_model_without_onnxruntime(
        write_spec, resolve, tmp_path: Path) -> None:
    import xgboost

    diabetes = pd.read_csv(EXAMPLES / "diabetes-progression" / "reference.csv")
    screening = pd.read_csv(EXAMPLES / "breast-cancer-screening" / "reference.csv")
    screening_features = [c for c in screening.columns if c != "target"]
    diabetes_spec = resolve(write_spec(name="diabetes.yaml"))
    diabetes_features = [f.name for f in diabetes_spec.spec.model.signature.inputs]

    # An XGBoost classifier given as a joblib pickle: the artifact must carry XGBoost's own format.
    booster = xgboost.XGBClassifier(n_estimators=8, max_depth=3, random_state=0).fit(
        screening[screening_features], screening["target"])
    joblib.dump(booster, tmp_path / "xgb.joblib")
    xgb_spec = resolve(write_spec("breast-cancer-screening", name="xgb.yaml", artifact=str(tmp_path / "xgb.joblib"),
                                  framework="xgboost", framework_version="3.2.0"))
    artifacts = {
        "sklearn-regressor-onnx": package_model(diabetes_spec, tmp_path / "a-diabetes").out,
        "sklearn-classifier-native": package_model(
            resolve(write_spec("breast-cancer-screening", name="bc.yaml", serving_format="native")),
            tmp_path / "a-screening").out,
        "xgboost-classifier-onnx": package_model(xgb_spec, tmp_path / "a-xgb").out,
    }
    assert (artifacts["xgboost-classifier-onnx"] / "model.ubj").is_file()
    frames = {"sklearn-regressor-onnx": (diabetes, diabetes_features)}
    frames.update({name: (screening, screening_features) for name in artifacts if "classifier" in name})
    jobs = {name: job(extracted(artifact, tmp_path, name), *frames[name]) for name, artifact in artifacts.items()}

    results = serve_in_container(jobs, tmp_path)

    regressor = joblib.load(EXAMPLES / "diabetes-progression" / "model.joblib")
    assert_served_like(results["sklearn-regressor-onnx"],
                       {"progression": regressor.predict(diabetes[diabetes_features].head(ROWS))})
    forest = joblib.load(EXAMPLES / "breast-cancer-screening" / "model.joblib")
    rows = screening[screening_features].head(ROWS)
    assert_served_like(results["sklearn-classifier-native"],
                       {"label": forest.predict(rows), "probabilities": forest.predict_proba(rows).astype(np.float32)})
    assert_served_like(results["xgboost-classifier-onnx"],
                       {"label": booster.predict(rows),
                        "probabilities": booster.predict_proba(rows).astype(np.float32)})


def test_onnx_only_artifact_says_it_cannot_run_on_sagemaker(write_spec, resolve, tmp_path: Path) -> None:
    from model_packaging.formats import sklearn_format

    regressor = joblib.load(EXAMPLES / "diabetes-progression" / "model.joblib")
    (tmp_path / "model.onnx").write_bytes(sklearn_format.to_onnx(regressor, regressor.n_features_in_))
    spec = resolve(write_spec(artifact=str(tmp_path / "model.onnx"), framework="onnx", framework_version="1.18"))
    result = package_model(spec, tmp_path / "artifact")
    assert result.manifest.native_model_file is None
    assert "native_model_file" not in json.loads((result.out / "manifest.json").read_text())
    requirements = (result.out / "code" / "requirements.txt").read_text()
    assert all(line.startswith("#") for line in requirements.splitlines()) and "onprem" in requirements
    frame = pd.read_csv(EXAMPLES / "diabetes-progression" / "reference.csv")
    features = [f.name for f in spec.spec.model.signature.inputs]
    results = serve_in_container({"onnx": job(extracted(result.out, tmp_path, "onnx"), frame, features)}, tmp_path)
    error = results["onnx"]["model_fn_error"]
    assert error.startswith("RuntimeError: this artifact holds only an ONNX model (model.onnx)")
    assert "onprem target" in error


@pytest.mark.parametrize("framework", ["sklearn", "xgboost"])
def test_requirements_name_the_versions_to_match_but_install_nothing(framework: str) -> None:
    from model_packaging.package import _requirements

    text = _requirements(framework, "model.x", {"scikit-learn": "1.9.1", "joblib": "1.5.0", "xgboost": "3.2.0",
                                                "numpy": "2.3.0", "onnxruntime": "1.22.0"})
    assert [line for line in text.splitlines() if not line.startswith("#")] == []
    assert "onnxruntime" not in text
    assert ("xgboost==3.2.0" in text) is (framework == "xgboost")
    assert ("scikit-learn==1.9.1" in text) is (framework == "sklearn")
