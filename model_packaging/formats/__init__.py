"""One module per model format, each with a constant `FORMAT_NAME` and the same functions.

- `load(path)`: read the model file, raising `ModelFileError` when it is not this format.
- `check(model, feature_names, task, where)`: the model matches the spec's signature and task.
- `predict(model, features, feature_names)`: raw outputs in signature order
  (classification: labels then class probabilities; regression: values).
- `to_onnx(model, feature_count)` (all but onnx): the ONNX model bytes.
- `write_native(model, source, destination)` (all but onnx): the model file the SageMaker
  framework containers load (`MODEL_FILE_NAMES[framework]`), written reproducibly.
- `library_versions()`: versions recorded in the manifest and `code/requirements.txt`.

Heavy frameworks are imported inside the functions, so importing this package costs nothing.
"""

from __future__ import annotations

import importlib
from types import ModuleType

FORMAT_MODULES = {"sklearn": "sklearn_format", "xgboost": "xgboost_format", "lightgbm": "lightgbm_format",
                  "pytorch": "torch_format", "onnx": "onnx_format"}
MODEL_FILE_NAMES = {"sklearn": "model.joblib", "xgboost": "model.ubj", "lightgbm": "model.txt",
                    "pytorch": "model.pt", "onnx": "model.onnx"}


def format_module(name: str) -> ModuleType:
    return importlib.import_module(f"model_packaging.formats.{FORMAT_MODULES[name]}")
