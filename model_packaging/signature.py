"""The spec's signature in tensor terms: V2 datatypes, the example request, output encoding."""

from __future__ import annotations

from typing import Any

import numpy as np

# Spec dtype -> Open Inference Protocol V2 datatype, and the numpy dtype a tensor of it decodes to.
V2_DATATYPES = {"float64": "FP64", "float32": "FP32", "int64": "INT64", "int32": "INT32", "bool": "BOOL",
                "string": "BYTES"}
NUMPY_DTYPES: dict[str, Any] = {"float64": np.float64, "float32": np.float32, "int64": np.int64,
                                "int32": np.int32, "bool": np.bool_}


def output_tensors(outputs: list[dict[str, Any]], raw: list[np.ndarray]) -> list[dict[str, Any]]:
    """Encode raw model outputs as V2 response tensors, cast to the dtypes the signature declares.

    `outputs` are the manifest's runtime.outputs entries: {name, index, dtype, shape}.
    """
    tensors = []
    for output in outputs:
        value = np.asarray(raw[output["index"]]).astype(NUMPY_DTYPES.get(output["dtype"], np.float64), copy=False)
        if not output.get("shape") and value.ndim == 2 and value.shape[1] == 1:
            value = value.reshape(-1)  # a scalar per row: regressors in ONNX return [rows, 1]
        tensors.append({
            "name": output["name"],
            "shape": list(value.shape),
            "datatype": V2_DATATYPES[output["dtype"]],
            "data": value.ravel().tolist(),
        })
    return tensors


def example_request(inputs: list[dict[str, Any]], row: list[Any]) -> dict[str, Any]:
    """A V2 request for one row: one tensor of shape [1] per signature input, in signature order."""
    tensors = []
    for feature, value in zip(inputs, row, strict=True):
        tensors.append({
            "name": feature["name"], "shape": [1], "datatype": V2_DATATYPES[feature["dtype"]], "data": [value],
        })
    return {"inputs": tensors}
