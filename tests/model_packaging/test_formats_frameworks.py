"""Per framework: train on a data set scikit-learn ships, package (ONNX with the parity check, or native),
serve in the Kubernetes server (real MLServer on 127.0.0.1) and compare its answers on the reference sample,
fetched with tritonclient's HTTP client, with the original model's own predictions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from model_packaging.package import package_model
from model_server.launch import free_ports, start_server, stop_server, wait_ready

pytestmark = pytest.mark.slow
ROWS = 60


def _data(loader: Callable[..., Any]) -> tuple[pd.DataFrame, np.ndarray]:
    frame, target = loader(return_X_y=True, as_frame=True)
    frame.columns = [re.sub(r"[^A-Za-z0-9_]", "_", str(c)).strip("_") for c in frame.columns]
    return frame.astype(np.float64), target.to_numpy()


def _xgboost_multiclass(tmp: Path) -> tuple[Path, Any, pd.DataFrame, str, str]:
    import xgboost
    from sklearn.datasets import load_wine

    frame, target = _data(load_wine)
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0).fit(frame, target)
    model.save_model(tmp / "model.ubj")

    def original(x: pd.DataFrame) -> list[np.ndarray]:
        return [model.predict(x), model.predict_proba(x)]
    return tmp / "model.ubj", original, frame, "xgboost", xgboost.__version__


def _lightgbm_multiclass(tmp: Path) -> tuple[Path, Any, pd.DataFrame, str, str]:
    import lightgbm
    from sklearn.datasets import load_iris

    frame, target = _data(load_iris)
    model = lightgbm.LGBMClassifier(n_estimators=30, verbose=-1, random_state=0).fit(frame, target)
    model.booster_.save_model(str(tmp / "model.txt"))

    def original(x: pd.DataFrame) -> list[np.ndarray]:
        return [model.predict(x), model.predict_proba(x)]
    return tmp / "model.txt", original, frame, "lightgbm", lightgbm.__version__


def _lightgbm_regressor(tmp: Path) -> tuple[Path, Any, pd.DataFrame, str, str]:
    import joblib
    import lightgbm
    from sklearn.datasets import load_diabetes

    frame, target = _data(load_diabetes)
    model = lightgbm.LGBMRegressor(n_estimators=40, verbose=-1, random_state=0).fit(frame, target)
    joblib.dump(model, tmp / "model.joblib")  # the sklearn wrapper, as most users save it

    def original(x: pd.DataFrame) -> list[np.ndarray]:
        return [model.predict(x)]
    return tmp / "model.joblib", original, frame, "lightgbm", lightgbm.__version__


def _torch_classifier(tmp: Path) -> tuple[Path, Any, pd.DataFrame, str, str]:
    import torch
    from sklearn.datasets import load_breast_cancer

    frame, target = _data(load_breast_cancer)
    torch.manual_seed(0)
    mean, std = frame.mean().to_numpy(), frame.std().to_numpy()

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
            self.layers = torch.nn.Sequential(torch.nn.Linear(frame.shape[1], 16), torch.nn.ReLU(),
                                              torch.nn.Linear(16, 2), torch.nn.Softmax(dim=1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layers((x - self.mean) / self.std)

    net = Net()
    optimiser = torch.optim.Adam(net.parameters(), lr=0.01)
    features = torch.tensor(frame.to_numpy(), dtype=torch.float32)
    labels = torch.tensor(target, dtype=torch.int64)
    for _ in range(100):
        optimiser.zero_grad()
        loss = torch.nn.functional.nll_loss(torch.log(net(features) + 1e-9), labels)
        loss.backward()
        optimiser.step()
    scripted = torch.jit.script(net.eval())
    torch.jit.save(scripted, str(tmp / "model.pt"))

    def original(x: pd.DataFrame) -> list[np.ndarray]:
        with torch.inference_mode():
            scores = net(torch.tensor(x.to_numpy(), dtype=torch.float32)).numpy()
        return [scores.argmax(axis=1), scores]
    return tmp / "model.pt", original, frame, "pytorch", torch.__version__.split("+")[0]


def _torch_regressor(tmp: Path) -> tuple[Path, Any, pd.DataFrame, str, str]:
    import torch
    from sklearn.datasets import load_diabetes

    frame, _ = _data(load_diabetes)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(frame.shape[1], 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    torch.jit.save(torch.jit.script(net.eval()), str(tmp / "model.pt"))

    def original(x: pd.DataFrame) -> list[np.ndarray]:
        with torch.inference_mode():
            return [net(torch.tensor(x.to_numpy(), dtype=torch.float32)).numpy().reshape(-1)]
    return tmp / "model.pt", original, frame, "pytorch", torch.__version__.split("+")[0]


CASES = {
    "xgboost-multiclass": (_xgboost_multiclass, "onnx"),
    "lightgbm-multiclass": (_lightgbm_multiclass, "onnx"),
    "lightgbm-regressor": (_lightgbm_regressor, "onnx"),
    "pytorch-classifier": (_torch_classifier, "onnx"),
    "pytorch-regressor-native": (_torch_regressor, "native"),
}


def _serve_and_infer(artifact: Path, frame: pd.DataFrame, name: str, outputs: list[str],
                     workdir: Path) -> dict[str, np.ndarray]:
    import tritonclient.http as triton

    ports = free_ports()
    process = start_server(artifact, ports, workdir)
    try:
        wait_ready(process, f"http://127.0.0.1:{ports.http}")
        client = triton.InferenceServerClient(url=f"127.0.0.1:{ports.http}")
        tensors = []
        for column in frame.columns:
            item = triton.InferInput(column, [len(frame)], "FP64")
            item.set_data_from_numpy(frame[column].to_numpy(dtype=np.float64), binary_data=False)
            tensors.append(item)
        answer = client.infer(name, tensors, outputs=[triton.InferRequestedOutput(o, binary_data=False)
                                                      for o in outputs])
        return {o: answer.as_numpy(o) for o in outputs}
    finally:
        stop_server(process)


@pytest.mark.parametrize("case", list(CASES))
def test_framework_is_packaged_served_and_answers_like_the_original(case: str, write_spec, resolve,
                                                                  tmp_path: Path) -> None:
    build, serving_format = CASES[case]
    model_path, original, frame, framework, version = build(tmp_path)
    reference = frame.head(ROWS)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    expected = original(reference)
    classification = len(expected) == 2
    outputs: list[dict[str, Any]] = [{"name": "value", "dtype": "float64"}]
    if classification:
        outputs = [{"name": "label", "dtype": "int64"},
                   {"name": "probabilities", "dtype": "float32", "shape": [expected[1].shape[1]]}]
    signature = {"inputs": [{"name": c} for c in frame.columns], "outputs": outputs}
    spec = resolve(write_spec("breast-cancer-screening" if classification else "diabetes-progression",
                              name=f"{case}.yaml", framework=framework, framework_version=version,
                              artifact=str(model_path), reference_sample=str(tmp_path / "reference.csv"),
                              serving_format=serving_format, signature=signature, label_column=None))
    result = package_model(spec, tmp_path / "artifact")
    manifest = json.loads((result.out / "manifest.json").read_text())
    assert manifest["format"] == ("onnx" if serving_format == "onnx" else framework)
    if serving_format == "onnx":
        assert manifest["parity"]["rows"] == ROWS
        assert all(entry["mismatched_rows"] == 0 for entry in manifest["parity"]["outputs"].values())
    served = _serve_and_infer(result.out, reference, spec.spec.metadata.name, [o["name"] for o in outputs],
                              tmp_path / "server")
    if classification:
        np.testing.assert_array_equal(served["label"], expected[0])
        np.testing.assert_allclose(served["probabilities"], expected[1], rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_allclose(served["value"], expected[0], rtol=1e-4, atol=1e-4)


def test_a_module_that_does_not_fit_the_signature_names_the_file_and_the_fix(write_spec, resolve,
                                                                             tmp_path: Path) -> None:
    from model_packaging.errors import ModelFileError

    model_path, _, frame, framework, version = _torch_regressor(tmp_path)
    frame.iloc[:, :4].head(10).to_csv(tmp_path / "reference.csv", index=False)
    signature = {"inputs": [{"name": c} for c in frame.columns[:4]], "outputs": [{"name": "value"}]}
    spec = resolve(write_spec(name="short.yaml", framework=framework, framework_version=version,
                              artifact=str(model_path), reference_sample=str(tmp_path / "reference.csv"),
                              signature=signature))
    with pytest.raises(ModelFileError, match=r"model\.pt: the TorchScript module fails on a \[rows, 4\] float32 "
                                             r"input .*make model\.signature\.inputs list exactly"):
        package_model(spec, tmp_path / "artifact")
    assert not (tmp_path / "artifact").exists()


def _lightgbm_fair_objective(tmp: Path) -> tuple[Path, pd.DataFrame, str, str]:
    """A regressor with the 'fair' loss: LightGBM serves it, onnxmltools has no converter for the objective."""
    import lightgbm
    from sklearn.datasets import load_diabetes

    frame, target = _data(load_diabetes)
    booster = lightgbm.train({"objective": "fair", "verbose": -1, "num_iterations": 10, "seed": 0},
                             lightgbm.Dataset(frame, target))
    booster.save_model(str(tmp / "model.txt"))
    return tmp / "model.txt", frame, "lightgbm", lightgbm.__version__


def _torch_erfinv(tmp: Path) -> tuple[Path, pd.DataFrame, str, str]:
    """A TorchScript regressor using aten::erfinv, which torch.onnx cannot export at the opset packaging uses."""
    import torch
    from sklearn.datasets import load_diabetes

    frame, _ = _data(load_diabetes)

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(frame.shape[1], 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.erfinv(0.5 * torch.tanh(self.linear(x)))

    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(Net().eval()), str(tmp / "model.pt"))
    return tmp / "model.pt", frame, "pytorch", torch.__version__.split("+")[0]


@pytest.mark.parametrize("build", [_lightgbm_fair_objective, _torch_erfinv], ids=["lightgbm-fair", "pytorch-erfinv"])
def test_a_model_onnx_cannot_express_names_serving_format_native_and_native_packages(
        build: Callable[[Path], tuple[Path, pd.DataFrame, str, str]], write_spec, resolve, tmp_path: Path) -> None:
    from model_packaging.errors import ConversionError

    model_path, frame, framework, version = build(tmp_path)
    frame.head(ROWS).to_csv(tmp_path / "reference.csv", index=False)
    signature = {"inputs": [{"name": c} for c in frame.columns], "outputs": [{"name": "value", "dtype": "float64"}]}

    def spec(serving_format: str) -> Any:
        return resolve(write_spec("diabetes-progression", name=f"{serving_format}.yaml", framework=framework,
                                  framework_version=version, artifact=str(model_path),
                                  reference_sample=str(tmp_path / "reference.csv"), serving_format=serving_format,
                                  signature=signature, label_column=None))

    with pytest.raises(ConversionError, match=r"cannot be (converted|exported) to ONNX .*set model\.serving_format: "
                                              r"native in the spec"):
        package_model(spec("onnx"), tmp_path / "artifact")
    assert not (tmp_path / "artifact").exists()  # nothing half-written
    # The advice holds: the same model packages as it is.
    manifest = json.loads((package_model(spec("native"), tmp_path / "artifact").out / "manifest.json").read_text())
    assert manifest["format"] == framework and manifest["parity"] is None
