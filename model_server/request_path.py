"""The request path of one inference: check against the signature, canonicalise, predict, encode.

Kept free of MLServer so the same steps run in tests, in benchmarks and behind any server. The
steps are separate on purpose: `canonical_features` returns the validated [rows, features] float64
matrix, which (with the model version) is exactly what a prediction cache must key on; `Predictor`
only ever sees validated input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.manifest import Manifest
from model_packaging.signature import output_tensors

MAX_ROWS = 10_000
_FLOAT_TYPES = {"FP16", "FP32", "FP64"}
_INT_TYPES = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}
# Which V2 datatypes a signature dtype accepts: integers are exact in float64, so float features take
# them; an integer feature refuses floats rather than silently truncating them.
ACCEPTED_DATATYPES = {
    "float64": _FLOAT_TYPES | _INT_TYPES, "float32": _FLOAT_TYPES | _INT_TYPES,
    "int64": _INT_TYPES, "int32": _INT_TYPES, "bool": {"BOOL"},
}


class RequestRejected(ValueError):
    """A request that does not fit the signature; `status_code` is the HTTP status to answer with."""

    def __init__(self, message: str, status_code: int = 400):
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class TensorInput:
    """One request tensor, transport-neutral (MLServer's RequestInput, a JSON dict, ...)."""

    name: str
    shape: Sequence[int]
    datatype: str
    data: Any


def _flat(data: Any) -> list[Any]:
    if isinstance(data, list) and data and isinstance(data[0], list):
        return [value for item in data for value in _flat(item)]
    if isinstance(data, list):
        return data
    raise RequestRejected("tensor data must be a JSON list")


def canonical_features(tensors: Sequence[TensorInput], inputs: Sequence[dict[str, Any]],
                       max_rows: int = MAX_ROWS) -> np.ndarray:
    """The validated request as a [rows, features] float64 matrix in signature order.

    Every input of the signature must arrive as one tensor of shape [rows] or [rows, 1]; names,
    datatypes, row counts, missing values and the row limit are checked, and each message names
    the offending input and row.
    """
    expected = [feature["name"] for feature in inputs]
    by_name: dict[str, TensorInput] = {}
    for tensor in tensors:
        if tensor.name in by_name:
            raise RequestRejected(f"input '{tensor.name}' appears twice; send each signature input once")
        by_name[tensor.name] = tensor
    unknown = [name for name in by_name if name not in set(expected)]
    if unknown:
        raise RequestRejected(f"unknown input(s) {unknown[:5]}; the signature's inputs are {expected[:8]}"
                              f"{' …' if len(expected) > 8 else ''}")
    missing = [name for name in expected if name not in by_name]
    if missing:
        raise RequestRejected(f"missing input(s) {missing[:5]}{' …' if len(missing) > 5 else ''}; "
                              f"send one tensor of shape [rows] per signature input ({len(expected)} in all)")
    rows: int | None = None
    matrix: np.ndarray | None = None
    for column, feature in enumerate(inputs):
        tensor = by_name[feature["name"]]
        name = feature["name"]
        shape = list(tensor.shape)
        if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)) or shape[0] < 1:
            raise RequestRejected(f"input '{name}' has shape {shape}; expected [rows] or [rows, 1] with rows >= 1")
        if rows is None:
            rows = shape[0]
            if rows > max_rows:
                raise RequestRejected(f"{rows} rows exceed the limit of {max_rows} per request; split the batch",
                                      status_code=413)
            matrix = np.empty((rows, len(inputs)), dtype=np.float64)
        elif shape[0] != rows:
            raise RequestRejected(f"input '{name}' has {shape[0]} rows but '{inputs[0]['name']}' has {rows}; "
                                  "every input needs the same number of rows")
        allowed = ACCEPTED_DATATYPES.get(feature["dtype"], set())
        if tensor.datatype not in allowed:
            raise RequestRejected(f"input '{name}' has datatype {tensor.datatype}; the signature says "
                                  f"{feature['dtype']} (send one of {sorted(allowed)})")
        values = _flat(tensor.data)
        if len(values) != rows:
            raise RequestRejected(f"input '{name}' holds {len(values)} values but its shape {shape} says {rows}")
        try:
            column_values = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
        except (TypeError, ValueError):
            bad = next((i for i, v in enumerate(values) if not isinstance(v, (int, float)) and v is not None), 0)
            raise RequestRejected(f"input '{name}' row {bad}: {values[bad]!r} is not a number") from None
        if any(isinstance(v, (bool, str)) for v in values) and feature["dtype"] != "bool":
            bad = next(i for i, v in enumerate(values) if isinstance(v, (bool, str)))
            raise RequestRejected(f"input '{name}' row {bad}: {values[bad]!r} is not a number")
        finite = np.isfinite(column_values)
        if not finite.all():
            bad_row = int(np.argmin(finite))
            if not np.isnan(column_values[bad_row]) or not feature.get("nullable", False):
                raise RequestRejected(
                    f"input '{name}' row {bad_row} is {values[bad_row]!r}: missing, NaN and infinite values are not "
                    "allowed for this input (the signature says nullable: false)"
                )
        assert matrix is not None
        matrix[:, column] = column_values
    assert matrix is not None
    return matrix


class Predictor:
    """The packaged model behind the request path: ONNX Runtime or the native framework."""

    def __init__(self, directory: Path, manifest: Manifest):
        from model_packaging.formats import format_module

        self.manifest = manifest
        self.version = manifest.model.version
        self.feature_names = [feature["name"] for feature in manifest.signature["inputs"]]
        self.outputs = manifest.runtime["outputs"]
        self._format = format_module(manifest.format)
        self._model = self._format.load(directory / manifest.model_file)

    def predict(self, features: np.ndarray) -> list[np.ndarray]:
        return list(self._format.predict(self._model, features, self.feature_names))

    def respond(self, features: np.ndarray) -> list[dict[str, Any]]:
        """V2 output tensors for validated features."""
        return output_tensors(self.outputs, self.predict(features))
