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


def _diabetes_container(write_spec, resolve, tmp_path: Path) -> tuple[Path, pd.DataFrame, list[str]]:
    spec = resolve(write_spec(name="diabetes-mode.yaml"))
    artifact = package_model(spec, tmp_path / "a-diabetes").out
    frame = pd.read_csv(EXAMPLES / "diabetes-progression" / "reference.csv")
    return extracted(artifact, tmp_path, "diabetes"), frame, [f.name for f in spec.spec.model.signature.inputs]


def test_caller_mistakes_in_the_sagemaker_forms_are_4xx_without_a_traceback(
        write_spec, resolve, tmp_path: Path) -> None:
    model_dir, frame, features = _diabetes_container(write_spec, resolve, tmp_path)
    row = frame[features].iloc[0].tolist()
    cases = [
        (invocation("not json", "application/json"), 400, "the body is not valid JSON"),
        (invocation(json.dumps({"instances": [row[:9]]})), 400, "instance 0 has 9 values, the signature has 10"),
        (invocation(json.dumps({"instances": [[*row[:9], "x"]]})), 400, "input 's6' row 0: 'x' is not a number"),
        (invocation(json.dumps({"instances": [[*row[:9], float("nan")]]})), 400, "input 's6' row 0 is nan"),
        (invocation(json.dumps({"instances": [row] * 10_001})), 413, "10001 rows exceed the limit of 10000"),
        (invocation(json.dumps({"inputs": {"age": [1.0]}})), 400, "missing input(s) ['sex', 'bmi'"),
        (invocation(",".join(map(str, row)), None), 415, "the request has no Content-Type"),
        (invocation(",".join(map(str, row)), "application/x-npy"), 415, "unsupported Content-Type"),
        (invocation(",".join(map(str, row)), "text/csv", "application/x-protobuf"), 406, "cannot answer with Accept"),
        (invocation(",".join(features) + "\n", "text/csv"), 400, "CSV line 1, column 1 ('age'): 'age' is not a number"),
        (invocation("1,2,3\n" * 3, "text/csv"), 400, "CSV line 1 has 3 values"),
        # The toolkit decodes JSON and CSV as UTF-8 before transform_fn unless told not to: a 500 once.
        (invocation(b"1,2,\xff\n", "text/csv"), 400, "the CSV body is not UTF-8"),
        (invocation(b'{"instances": [["\xe9"]]}', "application/json"), 400, "the JSON body is not UTF-8"),
    ]
    (result,) = serve_in_container({"d": {"model_dir": str(model_dir), "requests": [c[0] for c in cases]}},
                                   tmp_path).values()
    for (_, status, message), answer in zip(cases, result["answers"], strict=True):
        text = answer["body"].decode()
        assert answer["status"] == status, (message, text[:300])
        assert "Traceback" not in text and answer["content_type"] == "application/json", text[:300]
        assert message in json.loads(text)["error"], text[:300]


def test_row_and_byte_caps_follow_the_serving_mode(write_spec, resolve, tmp_path: Path) -> None:
    from model_packaging.serving_contract import MODE_LIMITS, SERVING_MODE_ENV

    model_dir, frame, features = _diabetes_container(write_spec, resolve, tmp_path)
    rows = frame[features]
    # What batch transform sends: a MultiRecord mini-batch of CSV lines; a 6 MB one holds ~28,000 of these rows.
    mini_batch = pd.concat([rows] * (28_000 // len(rows) + 1)).head(28_000).to_csv(header=False, index=False)
    assert len(mini_batch.encode()) < 6 * 1000 * 1000 < MODE_LIMITS["async"]["max_bytes"]
    # An async request's S3 object over the real-time payload limit (6 MB).
    big_async = json.dumps({"instances": pd.concat([rows] * 200).to_numpy().tolist()})
    assert len(big_async) > MODE_LIMITS["online"]["max_bytes"]
    jobs = {
        "online": {"model_dir": str(model_dir), "env": {}, "requests": [
            invocation(mini_batch, "text/csv", "text/csv"), invocation(big_async)]},
        "batch": {"model_dir": str(model_dir), "env": {SERVING_MODE_ENV: "batch"}, "requests": [
            invocation(mini_batch, "text/csv", "text/csv")]},
        "async": {"model_dir": str(model_dir), "env": {SERVING_MODE_ENV: "async"}, "requests": [
            invocation(big_async)]},
        "typo": {"model_dir": str(model_dir), "env": {SERVING_MODE_ENV: "realtime"}, "requests": []},
    }
    results = serve_in_container(jobs, tmp_path)
    too_many, too_big = results["online"]["answers"]
    assert too_many["status"] == 413 and "holds more than 10000 rows" in too_many["body"].decode()
    assert too_big["status"] == 413 and "exceeds the limit of 6,000,000 bytes" in too_big["body"].decode()
    (batch,) = results["batch"]["answers"]
    assert batch["status"] == 200 and batch["content_type"] == "text/csv"
    lines = batch["body"].decode().splitlines()
    assert len(lines) == 28_000  # one output line per input record, as batch transform's line split needs
    regressor = joblib.load(EXAMPLES / "diabetes-progression" / "model.joblib")
    np.testing.assert_array_equal(np.array(lines[:len(rows)], dtype=float), regressor.predict(rows))
    (async_answer,) = results["async"]["answers"]
    assert async_answer["status"] == 200 and len(json.loads(async_answer["body"])["progression"]) == 200 * len(rows)
    assert "SLIPSTACK_SERVING_MODE='realtime' is not a serving mode" in results["typo"]["model_fn_error"]


def test_the_documented_size_caps_are_the_handler_table() -> None:
    from model_packaging.serving_contract import MODE_LIMITS

    rows = [line.split("|")[1:4] for line in (REPO / "docs" / "serving.md").read_text().splitlines()
            if line.startswith("| ") and line.split("|")[1].strip() in MODE_LIMITS]
    documented = {mode.strip(): {"max_rows": int(r.replace(",", "")), "max_bytes": int(b.replace(",", ""))}
                  for mode, r, b in rows}
    assert documented == MODE_LIMITS


def test_the_handler_names_what_packaging_and_the_stacks_name() -> None:
    """code/inference.py cannot import Slipstack in the container, so its copies of shared names are checked."""
    from model_packaging import package, sagemaker_inference, serving_contract

    assert sagemaker_inference.SERVING_MODE_ENV == serving_contract.SERVING_MODE_ENV
    assert sagemaker_inference.CONTRACT_FILE == package.CONTRACT_FILE
