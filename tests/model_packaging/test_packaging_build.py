"""`package_model` and `slipstack package`: layouts, manifest, determinism, and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from model_packaging.archive import write_archive
from model_packaging.errors import ConversionError, ModelFileError, ParityError, ReferenceSampleError
from model_packaging.package import package_model
from model_packaging.verify import verify_directory

REPO = Path(__file__).resolve().parents[2]


def _entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def assert_requirements_install_nothing(artifact: Path, built_with: str) -> None:
    """code/requirements.txt names no package pip would fetch (network isolation forbids it), only says why."""
    text = (artifact / "code" / "requirements.txt").read_text()
    assert all(not line.strip() or line.startswith("#") for line in text.splitlines()), text
    assert "network isolation" in text and built_with in text


def test_artifact_holds_both_layouts_and_a_complete_manifest(diabetes_artifact: Path) -> None:
    files = sorted(p.relative_to(diabetes_artifact).as_posix() for p in diabetes_artifact.rglob("*") if p.is_file())
    assert files == ["code/inference.py", "code/inference_contract.py", "code/requirements.txt", "manifest.json",
                     "model-settings.json",
                     "model.joblib", "model.onnx"]
    manifest = json.loads((diabetes_artifact / "manifest.json").read_text())
    assert manifest["manifest_version"] == 1
    assert manifest["model"] == {"name": "diabetes-progression", "version": "2.1.0", "framework": "sklearn",
                                 "framework_version": "1.9.1", "task": "regression"}
    assert manifest["format"] == "onnx"
    assert manifest["model_file"] == "model.onnx" and manifest["native_model_file"] == "model.joblib"
    # The native file is the user's joblib file byte for byte (what SageMaker's sklearn container loads).
    source = REPO / "examples/artifacts/diabetes-progression/model.joblib"
    assert (diabetes_artifact / "model.joblib").read_bytes() == source.read_bytes()
    assert {"scikit-learn", "onnxruntime", "skl2onnx", "numpy"} <= set(manifest["library_versions"])
    assert [f["name"] for f in manifest["signature"]["inputs"]][:3] == ["age", "sex", "bmi"]
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    assert len(manifest["digest"]) == 64
    assert set(manifest["reference_profile"]["features"]) == {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4",
                                                              "s5", "s6"}
    request = manifest["example"]["request"]
    assert [t["name"] for t in request["inputs"]] == [f["name"] for f in manifest["signature"]["inputs"]]
    assert all(t["shape"] == [1] and t["datatype"] == "FP64" for t in request["inputs"])
    (output,) = manifest["example"]["expected_outputs"]
    assert output["name"] == "progression" and output["datatype"] == "FP64" and output["shape"] == [1]
    assert manifest["parity"]["outputs"]["progression"]["mismatched_rows"] == 0
    assert_requirements_install_nothing(diabetes_artifact, "scikit-learn==")
    settings = json.loads((diabetes_artifact / "model-settings.json").read_text())
    assert settings["implementation"] == "model_server.runtime.SlipstackRuntime"
    assert verify_directory(diabetes_artifact).digest == manifest["digest"]


def test_same_model_gives_the_same_digest_and_identical_archives(
        diabetes_artifact: Path, tmp_path: Path, resolve) -> None:
    again = package_model(resolve(REPO / "deployments" / "diabetes-progression.yaml"), tmp_path / "again")
    assert again.manifest.digest == json.loads((diabetes_artifact / "manifest.json").read_text())["digest"]
    first = write_archive(diabetes_artifact, tmp_path / "a.tar.gz")
    second = write_archive(again.out, tmp_path / "b.tar.gz")
    assert first == second
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()


def test_native_serving_format_ships_the_joblib_file(write_spec, resolve, tmp_path: Path) -> None:
    result = package_model(resolve(write_spec(serving_format="native")), tmp_path / "out")
    assert result.manifest.format == "sklearn" and result.manifest.parity is None
    assert result.manifest.model_file == result.manifest.native_model_file == "model.joblib"
    assert _entries(tmp_path / "out") == ["code", "manifest.json", "model-settings.json", "model.joblib"]
    assert_requirements_install_nothing(tmp_path / "out", "scikit-learn==")


def test_xgboost_model_converts_with_parity(write_spec, resolve, tmp_path: Path) -> None:
    import xgboost

    frame = pd.read_csv(REPO / "examples/artifacts/breast-cancer-screening/reference.csv")
    model = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(frame.drop(columns="target"), frame["target"])
    model.save_model(tmp_path / "model.ubj")
    spec = write_spec("breast-cancer-screening", artifact=str(tmp_path / "model.ubj"), framework="xgboost",
                      framework_version="3.2.0")
    result = package_model(resolve(spec), tmp_path / "out")
    assert result.manifest.format == "onnx"
    assert result.manifest.native_model_file == "model.ubj"
    assert (tmp_path / "out" / "model.ubj").is_file() and (tmp_path / "out" / "model.onnx").is_file()
    assert_requirements_install_nothing(tmp_path / "out", "xgboost==3.")
    assert result.manifest.parity is not None
    assert result.manifest.parity["outputs"]["label"]["mismatched_rows"] == 0
    assert result.manifest.example["expected_outputs"][1]["shape"] == [1, 2]


def _assert_nothing_written(tmp_path: Path, before: list[str]) -> None:
    assert _entries(tmp_path) == before, "a failed packaging run left files behind"


def test_model_file_that_is_not_what_the_spec_says(write_spec, resolve, tmp_path: Path) -> None:
    not_a_model = tmp_path / "model.joblib"
    not_a_model.write_text("age,sex\n1,2\n")
    spec = write_spec(artifact=str(not_a_model))
    before = _entries(tmp_path)
    with pytest.raises(ModelFileError, match="not a joblib-saved scikit-learn model"):
        package_model(resolve(spec), tmp_path / "out")
    _assert_nothing_written(tmp_path, before)


def test_classifier_where_the_spec_says_regression(write_spec, resolve, tmp_path: Path) -> None:
    spec = write_spec(artifact=str(REPO / "examples/artifacts/breast-cancer-screening/model.joblib"))
    with pytest.raises(ModelFileError, match="task: regression but the model is a RandomForestClassifier"):
        package_model(resolve(spec), tmp_path / "out")


def test_signature_that_does_not_match_the_training_columns(write_spec, resolve, tmp_path: Path) -> None:
    inputs = [{"name": n, "dtype": "float64"} for n in ["sex", "age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]]
    spec = write_spec(signature={"inputs": inputs, "outputs": [{"name": "progression", "dtype": "float64"}]})
    with pytest.raises(ModelFileError, match=r"signature.inputs\[0\] is 'sex' but the model was trained with 'age'"):
        package_model(resolve(spec), tmp_path / "out")


def test_unsupported_estimator_for_onnx(write_spec, resolve, tmp_path: Path) -> None:
    from sklearn.semi_supervised import LabelSpreading

    frame = pd.read_csv(REPO / "examples/artifacts/diabetes-progression/reference.csv")
    model = LabelSpreading().fit(frame.drop(columns="target"), (frame["target"] > 140).astype(int))
    joblib.dump(model, tmp_path / "spreading.joblib")
    spec = write_spec(artifact=str(tmp_path / "spreading.joblib"), task="classification",
                      signature={"inputs": [{"name": c} for c in frame.columns if c != "target"],
                                 "outputs": [{"name": "label", "dtype": "int64"}]})
    before = _entries(tmp_path)
    with pytest.raises(ConversionError, match="LabelSpreading cannot be converted to ONNX.*serving_format: native"):
        package_model(resolve(spec), tmp_path / "out")
    _assert_nothing_written(tmp_path, before)


def test_parity_failure_reports_by_how_much(write_spec, resolve, tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    # y = a - b with a, b near 1e6: float32 (ONNX) cannot resolve the 0.001 steps that float64 can.
    rows = np.arange(50)
    frame = pd.DataFrame({"a": 1e6 + 0.001 * rows, "b": np.full(50, 1e6)})
    frame.to_csv(tmp_path / "reference.csv", index=False)
    joblib.dump(LinearRegression().fit(frame, frame["a"] - frame["b"]), tmp_path / "linear.joblib")
    spec = write_spec(artifact=str(tmp_path / "linear.joblib"), reference_sample=str(tmp_path / "reference.csv"),
                      signature={"inputs": [{"name": "a"}, {"name": "b"}], "outputs": [{"name": "y"}]},
                      label_column=None)
    before = _entries(tmp_path)
    with pytest.raises(ParityError) as caught:
        package_model(resolve(spec), tmp_path / "out")
    message = str(caught.value)
    assert "output 'y'" in message and "rows differ, by up to 0.0" in message and "serving_format: native" in message
    _assert_nothing_written(tmp_path, before)


def test_missing_reference_sample(write_spec, resolve, tmp_path: Path) -> None:
    spec = write_spec(reference_sample=str(tmp_path / "gone.csv"))
    with pytest.raises(ReferenceSampleError, match="gone.csv' does not exist"):
        package_model(resolve(spec), tmp_path / "out")
    spec = write_spec(name="no-sample.yaml", reference_sample=None, label_column=None)
    with pytest.raises(ReferenceSampleError, match="model.reference_sample is not set"):
        package_model(resolve(spec), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_existing_directory_that_is_not_an_artifact_is_not_overwritten(
        write_spec, resolve, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(Exception, match="not a packaged artifact; refusing to overwrite"):
        package_model(resolve(write_spec()), tmp_path / "out")
    assert _entries(tmp_path / "out") == ["notes.txt"]
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_reports_bad_input_without_traceback(write_spec, tmp_path: Path) -> None:
    spec = write_spec(reference_sample=str(tmp_path / "gone.csv"))
    run = subprocess.run([sys.executable, "-m", "slipstack", "package", "--spec", str(spec), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ") and "does not exist" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
