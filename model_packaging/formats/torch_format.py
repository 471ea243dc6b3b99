"""PyTorch models saved as TorchScript (`torch.jit.save`), exported to ONNX with torch.onnx at packaging time.

TorchScript is the form that loads without the training code (a pickled nn.Module needs its class).
The module takes one float32 [rows, features] tensor. A regressor returns [rows] or [rows, 1]; a
classifier returns one score per class ([rows, classes]): the label is the index of the highest score
and the scores are returned as they are (end the module with softmax to return probabilities).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import ConversionError, ModelFileError

FORMAT_NAME = "pytorch"
# The opset ONNX Runtime and the pinned onnx both support; fixed so the exported bytes reproduce.
ONNX_OPSET = 17


def load(path: Path) -> Any:
    import torch

    try:
        model = torch.jit.load(str(path), map_location="cpu")
    except Exception as error:  # torch raises RuntimeError / pickle errors from C++
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelFileError(
            f"{path}: not a TorchScript model ({first}); save it with torch.jit.save(torch.jit.script(model), "
            "'model.pt') (a pickled nn.Module cannot load without its training code)"
        ) from None
    model.eval()
    return model


def _scores(model: Any, features: np.ndarray) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return np.asarray(model(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))).numpy())


def check(model: Any, feature_names: list[str], task: str, where: str) -> None:
    try:
        scores = _scores(model, np.zeros((2, len(feature_names)), dtype=np.float32))
    except Exception as error:  # a shape mismatch surfaces as a RuntimeError inside the module
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelFileError(
            f"{where}: the TorchScript module fails on a [rows, {len(feature_names)}] float32 input ({first}); "
            "make model.signature.inputs list exactly the features the module takes, in order"
        ) from None
    if task == "classification" and (scores.ndim != 2 or scores.shape[1] < 2):
        raise ModelFileError(f"{where}: the spec says task: classification but the module returns shape "
                             f"{list(scores.shape)}; a classifier returns [rows, classes] scores")
    if task == "regression" and not (scores.ndim == 1 or (scores.ndim == 2 and scores.shape[1] == 1)):
        raise ModelFileError(f"{where}: the spec says task: regression but the module returns shape "
                             f"{list(scores.shape)}; a regressor returns [rows] or [rows, 1]")


def predict(model: Any, features: np.ndarray, feature_names: list[str] | None = None) -> list[np.ndarray]:
    import torch

    torch.set_num_threads(1)  # a request is a few rows; parallelism comes from concurrent requests
    scores = _scores(model, features)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return [np.argmax(scores, axis=1).astype(np.int64), scores]
    return [scores.reshape(-1)]


def write_native(model: Any, source: Path, destination: Path) -> None:
    """The TorchScript file as it was given: the bytes the user tested (the PyTorch container loads it)."""
    import shutil

    shutil.copyfile(source, destination)


def to_onnx(model: Any, feature_count: int) -> bytes:
    import torch

    scores = _scores(model, np.zeros((2, feature_count), dtype=np.float32))
    classifier = scores.ndim == 2 and scores.shape[1] > 1

    class WithLabel(torch.nn.Module):
        """The module plus the argmax label, so the ONNX graph answers like `predict`."""

        def __init__(self, inner: Any):
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            y = self.inner(x)
            return torch.argmax(y, dim=1), y

    names = ["label", "scores"] if classifier else ["value"]
    buffer = io.BytesIO()
    try:
        # Scripting the wrapper can fail too (a module TorchScript took but cannot compose): a conversion failure.
        exported: Any = torch.jit.script(WithLabel(model)) if classifier else model
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The TorchScript exporter: the module is already TorchScript, and the torch.export-based exporter
            # needs onnxscript, which the serving stack does not ship.
            # The exporter writes to a file object as well as a path (its annotation names paths only).
            torch.onnx.export(exported, (torch.zeros(1, feature_count),), buffer, dynamo=False,  # type: ignore[arg-type]
                              input_names=["input"], output_names=names, opset_version=ONNX_OPSET,
                              dynamic_axes={"input": {0: "rows"}, **{n: {0: "rows"} for n in names}})
    except Exception as error:  # unsupported operators raise torch.onnx errors or RuntimeError
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConversionError(
            f"this TorchScript module cannot be exported to ONNX ({first}); "
            "set model.serving_format: native in the spec to serve it with PyTorch as it is"
        ) from None
    import onnx

    onnx_model = onnx.load_from_string(buffer.getvalue())
    onnx_model.graph.name = "TorchScript"
    return bytes(onnx_model.SerializeToString())


def library_versions() -> dict[str, str]:
    import torch

    return {"torch": torch.__version__.split("+")[0]}
