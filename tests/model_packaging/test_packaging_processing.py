"""Custom pre/post-processing declared in the spec and class labels: packaged and hashed, covered by the
parity check, and run identically by the Kubernetes server (MLServer, through tritonclient) and the SageMaker
handler (through the toolkit); a module that fails to import or changes the output shape is a `package` error."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from model_packaging.errors import PackagingError
from model_packaging.package import package_model
from model_packaging.verify import verify_directory
from model_server.launch import free_ports, start_server, stop_server, wait_ready
from tests.model_packaging.sagemaker_container import extracted, invocation, serve_in_container

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "artifacts" / "breast-cancer-screening"
ROWS = 40
PROCESSING = textwrap.dedent(
    """
    import numpy as np

    LOW, HIGH = 0.0, 2500.0


    def preprocess(features):
        # Clip to the range the model was trained on: the model never sees an outlier's raw value.
        return np.clip(features, LOW, HIGH)


    def postprocess(outputs, features):
        label, probabilities = outputs
        # Temperature-sharpened probabilities; the label follows them.
        sharpened = probabilities ** 2
        sharpened = sharpened / sharpened.sum(axis=1, keepdims=True)
        return [np.argmax(sharpened, axis=1).astype(label.dtype), sharpened]
    """
)
LABELS = ["malignant", "benign"]


def original_pipeline(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """What the user's notebook does: the same functions around the original model."""
    forest = joblib.load(EXAMPLE / "model.joblib")
    clipped = pd.DataFrame(np.clip(rows.to_numpy(), 0.0, 2500.0), columns=rows.columns)
    probabilities = forest.predict_proba(clipped) ** 2
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    return probabilities.argmax(axis=1), probabilities


@pytest.mark.slow
def test_processing_and_class_labels_run_the_same_on_both_targets(write_spec, resolve, tmp_path: Path) -> None:
    import tritonclient.http as triton

    (tmp_path / "processing.py").write_text(PROCESSING)
    spec = resolve(write_spec("breast-cancer-screening", processing=str(tmp_path / "processing.py"),
                              class_labels=LABELS))
    result = package_model(spec, tmp_path / "artifact")
    manifest = verify_directory(result.out)
    assert manifest.runtime["processing"] == "code/processing.py"
    assert manifest.files["code/processing.py"].sha256  # hashed like every file: tampering stops the server
    assert manifest.parity is not None and all(o["mismatched_rows"] == 0 for o in manifest.parity["outputs"].values())
    frame = pd.read_csv(EXAMPLE / "reference.csv")
    features = [f.name for f in spec.spec.model.signature.inputs]
    rows = frame[features].head(ROWS).copy()
    rows.iloc[0, 3] = 1e6  # an outlier only preprocess clips
    want_labels, want_probabilities = original_pipeline(rows)

    ports = free_ports()
    process = start_server(result.out, ports, tmp_path / "server")
    try:
        wait_ready(process, f"http://127.0.0.1:{ports.http}")
        client = triton.InferenceServerClient(url=f"127.0.0.1:{ports.http}")
        metadata = client.get_model_metadata(spec.spec.metadata.name)
        assert {"name": "label_name", "datatype": "BYTES", "shape": [-1]} in metadata["outputs"]
        tensors = []
        for column in features:
            item = triton.InferInput(column, [ROWS], "FP64")
            item.set_data_from_numpy(rows[column].to_numpy(dtype=np.float64), binary_data=False)
            tensors.append(item)
        answer = client.infer(spec.spec.metadata.name, tensors, outputs=[
            triton.InferRequestedOutput(name, binary_data=False) for name in ("label", "probabilities", "label_name")])
        np.testing.assert_array_equal(answer.as_numpy("label"), want_labels)
        np.testing.assert_allclose(answer.as_numpy("probabilities"), want_probabilities, rtol=1e-5, atol=1e-6)
        assert [v.decode() if isinstance(v, bytes) else v for v in answer.as_numpy("label_name").tolist()] == [
            LABELS[i] for i in want_labels]
    finally:
        stop_server(process)

    model_dir = extracted(result.out, tmp_path, "screening")
    body = json.dumps({"instances": rows.to_numpy().tolist()})
    (sagemaker,) = serve_in_container({"s": {"model_dir": str(model_dir), "requests": [invocation(body)]}},
                                      tmp_path).values()
    (reply,) = sagemaker["answers"]
    assert reply["status"] == 200, reply["body"][:300]
    served = json.loads(reply["body"])
    np.testing.assert_array_equal(served["label"], want_labels)
    np.testing.assert_allclose(served["probabilities"], want_probabilities, rtol=1e-5, atol=1e-6)
    assert served["label_name"] == [LABELS[i] for i in want_labels]


@pytest.mark.parametrize(("source", "message"), [
    ("import not_a_module_anyone_ships\n", r"processing\.py: the processing module \(model\.processing in .*\) fails "
                                           r"to import \(ModuleNotFoundError: No module named"),
    ("def preprocess(features:\n", r"fails to import \(SyntaxError"),
    ("def postprocess(outputs, features):\n    return [outputs[0], outputs[1][:, :1]]\n",
     r"processing\.py: the processing module fails on the reference sample \(ProcessingError: postprocess returned "
     r"shapes \[\[\d+\], \[\d+, 1\]\] for model outputs of shapes \[\[\d+\], \[\d+, 2\]\]"),
    # Changing the width is unsupported (the signature is the model's input): said so, with the two ways out.
    ("def preprocess(features):\n    return features[:, :3]\n",
     r"processing\.py: the processing module fails on the reference sample \(ProcessingError: preprocess changes "
     r"the feature width: it returned 3 features for the signature's 30, .*inside the model .*"
     r"model\.signature\.inputs"),
    ("def preprocess(features):\n    return features[:1]\n", r"preprocess returned shape \[1, 30\]"),
    ("X = 1\n", r"defines neither preprocess\(features\) nor postprocess"),
])
def test_a_broken_processing_module_is_a_package_error_naming_the_file(source: str, message: str, write_spec,
                                                                      resolve, tmp_path: Path) -> None:
    (tmp_path / "processing.py").write_text(source)
    spec = resolve(write_spec("breast-cancer-screening", processing=str(tmp_path / "processing.py")))
    with pytest.raises(PackagingError, match=message):
        package_model(spec, tmp_path / "artifact")
    assert not (tmp_path / "artifact").exists()


def test_class_labels_must_name_every_class(write_spec, resolve, tmp_path: Path) -> None:
    spec = resolve(write_spec("breast-cancer-screening", class_labels=["a", "b", "c"]))
    with pytest.raises(PackagingError, match="model.class_labels lists 3 names but the model scores 2 classes"):
        package_model(spec, tmp_path / "artifact")
