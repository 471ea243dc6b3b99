"""code/inference.py as SageMaker's scikit-learn/XGBoost containers run it: from the extracted model.tar.gz,
with no onnxruntime (the containers do not ship it and network isolation forbids installing it) and no
Slipstack installed. One subprocess serves every artifact; the parent compares its answers with the
original model's own predictions.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from model_packaging.archive import write_archive
from model_packaging.package import package_model

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "artifacts"
ROWS = 25

# Runs in the child: block what the container does not have, then drive the SageMaker handler chain.
CONTAINER_SCRIPT = textwrap.dedent(
    """
    import importlib.util, json, sys
    for blocked in ("onnxruntime", "onnx", "skl2onnx", "onnxmltools", "model_packaging", "contracts"):
        sys.modules[blocked] = None  # import raises ImportError, as in the framework container
    jobs = json.loads(sys.stdin.read())
    results = {}
    for name, job in jobs.items():
        spec = importlib.util.spec_from_file_location(f"inference_{name}", job["model_dir"] + "/code/inference.py")
        inference = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(inference)
        try:
            model = inference.model_fn(job["model_dir"])
        except Exception as error:
            results[name] = {"model_fn_error": f"{type(error).__name__}: {error}"}
            continue
        served = {}
        for content_type, body in (("application/json", job["json_body"]), ("text/csv", job["csv_body"])):
            for accept in ("application/json", "text/csv"):
                prediction = inference.predict_fn(inference.input_fn(body.encode(), content_type), model)
                served[f"{content_type} -> {accept}"] = inference.output_fn(prediction, accept)
        try:
            inference.predict_fn(inference.input_fn(b"1,2\\n", "text/csv"), model)
        except ValueError as error:
            served["short_row_error"] = str(error)
        results[name] = {"served": served,
                         "onnxruntime_loaded": sys.modules.get("onnxruntime") is not None}
    print(json.dumps(results))
    """
)


def run_in_container(jobs: dict[str, dict[str, Any]], workdir: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-I", "-c", CONTAINER_SCRIPT], input=json.dumps(jobs), capture_output=True, text=True,
        cwd=workdir, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return dict(json.loads(completed.stdout))


def extracted(artifact: Path, workdir: Path, name: str) -> Path:
    """model.tar.gz unpacked the way SageMaker does into /opt/ml/model."""
    archive = workdir / f"{name}.tar.gz"
    write_archive(artifact, archive)
    model_dir = workdir / name / "opt-ml-model"
    model_dir.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    return model_dir


def job(model_dir: Path, frame: pd.DataFrame, features: list[str]) -> dict[str, str]:
    rows = frame[features].head(ROWS)
    return {
        "model_dir": str(model_dir),
        "json_body": json.dumps({"instances": rows.to_numpy().tolist()}),
        "csv_body": rows.to_csv(header=False, index=False),
    }


def csv_matrix(text: str) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in csv.reader(io.StringIO(text)) if row])


def assert_served_like(result: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    """Every body/accept combination gives exactly the original model's outputs."""
    assert result["onnxruntime_loaded"] is False
    served = result["served"]
    assert "row 0 has 2 values" in served.pop("short_row_error")
    expected_csv = np.column_stack([value.reshape(len(value), -1) for value in outputs.values()])
    for combination, (body, content_type) in served.items():
        accept = combination.split(" -> ")[1]
        assert content_type == accept, combination
        if accept == "text/csv":
            np.testing.assert_array_equal(csv_matrix(body), expected_csv, err_msg=combination)
        else:
            answer = json.loads(body)
            assert list(answer) == list(outputs), combination
            for name, value in outputs.items():
                np.testing.assert_array_equal(np.asarray(answer[name]), value, err_msg=f"{combination}: {name}")


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

    results = run_in_container(jobs, tmp_path)

    regressor = joblib.load(EXAMPLES / "diabetes-progression" / "model.joblib")
    assert_served_like(results["sklearn-regressor-onnx"],
                       {"progression": regressor.predict(diabetes[diabetes_features].head(ROWS))})
    forest = joblib.load(EXAMPLES / "breast-cancer-screening" / "model.joblib")
    rows = screening[screening_features].head(ROWS)
    assert_served_like(results["sklearn-classifier-native"],
                       {"label": forest.predict(rows), "probabilities": forest.predict_proba(rows)})
    assert_served_like(results["xgboost-classifier-onnx"],
                       {"label": booster.predict(rows), "probabilities": booster.predict_proba(rows)})


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
    results = run_in_container({"onnx": job(extracted(result.out, tmp_path, "onnx"), frame, features)}, tmp_path)
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
