"""The spec's signature in tensor terms: V2 datatypes, the example request, output encoding."""

from __future__ import annotations

from typing import Any

# One definition of the V2 datatypes and the output encoding, shared with both serving targets.
from model_packaging.inference_contract import NUMPY_DTYPES, V2_DATATYPES, output_tensors

__all__ = ["NUMPY_DTYPES", "V2_DATATYPES", "example_request", "output_tensors"]


def example_request(inputs: list[dict[str, Any]], row: list[Any]) -> dict[str, Any]:
    """A V2 request for one row: one tensor of shape [1] per signature input, in signature order."""
    tensors = []
    for feature, value in zip(inputs, row, strict=True):
        tensors.append({
            "name": feature["name"], "shape": [1], "datatype": V2_DATATYPES[feature["dtype"]], "data": [value],
        })
    return {"inputs": tensors}


# The V2 `platform` of each serving format (Triton's name for ONNX Runtime; the framework's name otherwise).
PLATFORMS = {"onnx": "onnxruntime_onnx", "sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm",
             "torch": "pytorch_torchscript"}


def v2_metadata(inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], serving_format: str,
                version: str) -> dict[str, Any]:
    """The V2 model metadata (platform, versions, input and output tensors) that clients build requests from.

    Every input is one tensor of shape [-1] (rows); an output's shape is [-1] plus its per-row shape.
    """
    return {
        "platform": PLATFORMS.get(serving_format, serving_format),
        "versions": [version],
        "inputs": [{"name": f["name"], "datatype": V2_DATATYPES[f["dtype"]], "shape": [-1]} for f in inputs],
        "outputs": [{"name": o["name"], "datatype": V2_DATATYPES[o["dtype"]], "shape": [-1, *o.get("shape", [])]}
                    for o in outputs],
    }
