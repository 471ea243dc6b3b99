"""Dynamic int8 quantization: applied and costed where it applies, refused where it does not or costs too much."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

from model_packaging.errors import QuantizationError, QuantizationNotApplicable
from model_packaging.package import package_model
from model_packaging.quantization import QuantizationTolerance
from model_packaging.verify import verify_directory
from model_server.request_path import Predictor

REPO = Path(__file__).resolve().parents[2]


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@pytest.fixture(scope="module")
def mlp_classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small neural network (MatMul layers in ONNX) on scikit-learn's bundled breast-cancer data."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer(as_frame=True)
    features = data.data.rename(columns=_snake)
    model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=300, random_state=0))
    model.fit(features, data.target)
    path = tmp_path_factory.mktemp("mlp") / "mlp.joblib"
    joblib.dump(model, path)
    return path


def _onnx_operators(path: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(path)).graph.node}


def test_neural_network_is_quantized_and_its_cost_reported(mlp_classifier: Path, write_spec, resolve,
                                                            tmp_path: Path) -> None:
    spec = write_spec("breast-cancer-screening", artifact=str(mlp_classifier), quantize=True)
    result = package_model(resolve(spec), tmp_path / "out")
    report = result.manifest.quantization
    assert report is not None
    # The spec's quality metric (roc_auc), against the sample's labels, before and after.
    assert report["metric"] == "roc_auc" and report["metric_against"] == "reference labels"
    assert report["rows"] == 228 and report["metric_quantized"] > 0.95
    assert report["metric_cost"] <= report["tolerance"]["max_metric_cost"] == 0.01
    assert report["label_agreement"] >= 0.99
    # Really quantized: int8 MatMuls in the served file, smaller, and probabilities that moved a little.
    assert {"MatMulInteger", "DynamicQuantizeLinear"} <= set(report["operators_added"])
    assert "MatMulInteger" in _onnx_operators(tmp_path / "out" / "model.onnx")
    assert report["model_bytes"]["quantized"] < report["model_bytes"]["unquantized"]
    assert 0 < report["max_abs_diff"]["probabilities"] < 0.2
    # The float conversion was still checked against scikit-learn first.
    assert result.manifest.parity is not None and result.manifest.parity["outputs"]["label"]["mismatched_rows"] == 0
    manifest = verify_directory(tmp_path / "out")
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["quantization"]["metric"] == "roc_auc"
    # The example outputs are the quantized model's, and the server's predictor reproduces them.
    row = np.array([[t["data"][0] for t in manifest.example["request"]["inputs"]]])
    served = Predictor(tmp_path / "out", manifest).respond(row)
    assert served[0]["data"] == manifest.example["expected_outputs"][0]["data"]
    assert np.allclose(served[1]["data"], manifest.example["expected_outputs"][1]["data"])
    again = package_model(resolve(spec), tmp_path / "again")
    assert again.manifest.digest == result.manifest.digest


def test_cost_over_the_tolerance_is_refused_and_nothing_written(mlp_classifier: Path, write_spec, resolve,
                                                                 tmp_path: Path) -> None:
    spec = write_spec("breast-cancer-screening", artifact=str(mlp_classifier))
    strict = QuantizationTolerance(max_abs_diff=1e-6)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(QuantizationError) as caught:
        package_model(resolve(spec), tmp_path / "out", quantize=True, quantization_tolerance=strict)
    message = str(caught.value)
    assert "costs too much accuracy" in message and "output 'probabilities' changes by up to" in message
    assert "tolerance 1e-06" in message and "without --quantize" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_tree_ensemble_has_nothing_to_quantize_cli(write_spec, tmp_path: Path) -> None:
    """The shipped random forest converts to a TreeEnsembleClassifier, which dynamic quantization does not touch."""
    spec = write_spec("breast-cancer-screening")
    run = subprocess.run([sys.executable, "-m", "slipstack", "package", "--spec", str(spec), "--out",
                          str(tmp_path / "out"), "--quantize"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert run.returncode == 2, run.stderr
    assert "dynamic quantization does not apply to this model" in run.stderr
    assert "TreeEnsembleClassifier" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_native_serving_format_cannot_be_quantized(write_spec, resolve, tmp_path: Path) -> None:
    spec = write_spec(serving_format="native", quantize=True)
    with pytest.raises(QuantizationNotApplicable, match="model.serving_format is native"):
        package_model(resolve(spec), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_regression_network_reports_the_spec_metric_cost(write_spec, resolve, tmp_path: Path) -> None:
    import warnings

    from sklearn.datasets import load_diabetes
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_diabetes(as_frame=True)
    model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converging fully is fine: any MatMul network will do
        joblib.dump(model.fit(data.data.rename(columns=_snake), data.target), tmp_path / "mlp.joblib")
    result = package_model(resolve(write_spec(artifact=str(tmp_path / "mlp.joblib"), quantize=True)), tmp_path / "out")
    report = result.manifest.quantization
    assert report is not None and report["label_agreement"] is None
    # diabetes-progression's quality metric is mae: its cost is the relative growth of the error.
    assert report["metric"] == "mae" and report["metric_against"] == "reference labels"
    assert report["metric_cost"] <= 0.01 and report["metric_quantized"] > 0
    assert report["max_abs_diff"]["progression"] > 0
