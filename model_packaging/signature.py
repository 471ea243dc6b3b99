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
