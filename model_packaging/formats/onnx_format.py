"""ONNX models, served with ONNX Runtime; also the target of the sklearn and xgboost conversions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import ModelFileError

FORMAT_NAME = "onnx"


def session_from_bytes(model: bytes, where: str = "model") -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # One thread per session: a 1-row request is far too small to split across threads, and the
    # server gets its parallelism from concurrent requests (see bench/serving_bench.py).
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    try:
        return onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own Fail/InvalidGraph types from C++
        first = str(error).strip().splitlines()[0]
        raise ModelFileError(f"{where}: ONNX Runtime cannot load this model ({first})") from None


def load(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read the model file ({error.strerror})") from None
    return session_from_bytes(data, str(path))


def check(model: Any, feature_names: list[str], task: str, where: str) -> None:
    inputs = model.get_inputs()
    if len(inputs) != 1:
        raise ModelFileError(
            f"{where}: the ONNX model has {len(inputs)} inputs; Slipstack serves models with one "
            "[rows, features] input (export it that way)"
        )
    shape = inputs[0].shape
    width = shape[-1] if shape else None
    if isinstance(width, int) and width != len(feature_names):
        raise ModelFileError(
            f"{where}: the ONNX model takes {width} features but model.signature.inputs lists {len(feature_names)}"
        )
    outputs = model.get_outputs()
    if task == "classification" and len(outputs) < 1:
        raise ModelFileError(f"{where}: the ONNX model has no outputs")


def input_dtype(model: Any) -> Any:
    return np.float64 if model.get_inputs()[0].type == "tensor(double)" else np.float32


def predict(model: Any, features: np.ndarray, feature_names: list[str] | None = None) -> list[np.ndarray]:
    name = model.get_inputs()[0].name
    return [np.asarray(value) for value in model.run(None, {name: features.astype(input_dtype(model), copy=False)})]


def library_versions() -> dict[str, str]:
    import onnx
    import onnxruntime

    return {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}
