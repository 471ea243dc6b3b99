"""The request path of one inference: check against the signature, canonicalise, predict, encode.

Kept free of MLServer so the same steps run in tests, in benchmarks and behind any server. The
checks themselves are the shared inference contract (model_packaging/inference_contract.py), which the
SageMaker handler runs too. `canonical_features` returns the validated [rows, features] float64 matrix,
which (with the model version) is exactly what a prediction cache must key on; `Predictor` only ever
sees validated input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.inference_contract import (
    ACCEPTED_DATATYPES,
    ClientError,
    TensorInput,
    load_processing,
    output_tensors,
    run_pipeline,
)
from model_packaging.inference_contract import canonical_features as _canonical_features
from model_packaging.manifest import Manifest
from model_packaging.serving_contract import MODE_LIMITS

# The Kubernetes server answers online traffic: the online row cap, as on a SageMaker real-time endpoint.
MAX_ROWS = MODE_LIMITS["online"]["max_rows"]
RequestRejected = ClientError

__all__ = ["ACCEPTED_DATATYPES", "MAX_ROWS", "Predictor", "RequestRejected", "TensorInput", "canonical_features"]


def canonical_features(tensors: list[TensorInput], inputs: list[dict[str, Any]], max_rows: int = MAX_ROWS,
                       model_dtype: str = "float64") -> np.ndarray:
    return _canonical_features(tensors, inputs, max_rows, model_dtype)


class Predictor:
    """The packaged model behind the request path: ONNX Runtime or the native framework."""

    def __init__(self, directory: Path, manifest: Manifest):
        from model_packaging.formats import format_module

        self.manifest = manifest
        self.version = manifest.model.version
        self.feature_names = [feature["name"] for feature in manifest.signature["inputs"]]
        self.outputs = manifest.runtime["outputs"]
        # The precision the served model computes in: ONNX tree ensembles take float32.
        self.input_dtype = manifest.runtime.get("input_dtype", "float64")
        self._format = format_module(manifest.format)
        self._model = self._format.load(directory / manifest.model_file)
        processing = manifest.runtime.get("processing")
        # The custom pre/post-processing module shipped in the artifact (verified with every other file).
        self._processing = load_processing(str(directory / processing)) if processing else None

    def _model_predict(self, features: np.ndarray) -> list[np.ndarray]:
        return list(self._format.predict(self._model, features, self.feature_names))

    def predict(self, features: np.ndarray) -> list[np.ndarray]:
        return run_pipeline(self._processing, self._model_predict, features)

    def respond(self, features: np.ndarray) -> list[dict[str, Any]]:
        """V2 output tensors for validated features."""
        return output_tensors(self.outputs, self.predict(features))
