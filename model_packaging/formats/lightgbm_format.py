"""LightGBM models (a Booster saved as text, or the sklearn wrappers saved with joblib), converted with onnxmltools.

Everything is handled as the `lightgbm.Booster` (a text model file holds no sklearn wrapper), so outputs are
the Booster's: classification gives class indices (0..k-1; names via model.class_labels) and the class
probabilities, regression the predicted value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import ConversionError, ModelFileError

FORMAT_NAME = "lightgbm"


def load(path: Path) -> Any:
    import lightgbm

    if path.suffix in (".txt", ".lgb", ".model"):
        try:
            return lightgbm.Booster(model_file=str(path))
        except lightgbm.basic.LightGBMError as error:
            first = str(error).strip().splitlines()[0]
            raise ModelFileError(f"{path}: not a LightGBM model file ({first}); save it with "
                                 "booster.save_model('model.txt')") from None
    import joblib

    try:
        model = joblib.load(path)
    except Exception as error:  # any unpickling failure
        raise ModelFileError(
            f"{path}: neither a LightGBM text model (.txt) nor a joblib-saved LightGBM model "
            f"({type(error).__name__}: {error}); save it with model.booster_.save_model('model.txt')"
        ) from None
    if isinstance(model, lightgbm.LGBMModel):
        return model.booster_
    if isinstance(model, lightgbm.Booster):
        return model
    raise ModelFileError(
        f"{path}: holds a {type(model).__module__}.{type(model).__name__}, not a LightGBM model, but the spec says "
        "model.framework: lightgbm; fix the framework or the file"
    )


def _objective(model: Any) -> str:
    return str(model.dump_model(num_iteration=1).get("objective", "")).split()[0]


def _is_classifier(model: Any) -> bool:
    return _objective(model) in ("binary", "multiclass", "multiclassova", "cross_entropy")


def check(model: Any, feature_names: list[str], task: str, where: str) -> None:
    classifier = _is_classifier(model)
    if task == "classification" and not classifier:
        raise ModelFileError(f"{where}: the spec says task: classification but the LightGBM objective is "
                             f"'{_objective(model)}'")
    if task == "regression" and classifier:
        raise ModelFileError(f"{where}: the spec says task: regression but the LightGBM objective is "
                             f"'{_objective(model)}'")
    count = model.num_feature()
    if count != len(feature_names):
        raise ModelFileError(
            f"{where}: the model takes {count} features but model.signature.inputs lists {len(feature_names)}; "
            "make the signature list exactly the training columns, in order"
        )


def predict(model: Any, features: np.ndarray, feature_names: list[str] | None = None) -> list[np.ndarray]:
    # One thread: a request is a few rows; OpenMP spinning up on every core costs more than the prediction.
    raw = np.asarray(model.predict(features, num_threads=1))
    if not _is_classifier(model):
        return [raw.reshape(-1)]
    probabilities = np.column_stack([1.0 - raw, raw]) if raw.ndim == 1 else raw
    return [np.argmax(probabilities, axis=1).astype(np.int64), probabilities]


def write_native(model: Any, source: Path, destination: Path) -> None:
    """LightGBM's own text format, whatever the input was: no pickle, and the same model gives the same bytes."""
    model.save_model(str(destination))


def to_onnx(model: Any, feature_count: int) -> bytes:
    from onnxmltools.convert import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    try:
        onnx_model = convert_lightgbm(model, initial_types=[("input", FloatTensorType([None, feature_count]))],
                                      zipmap=False)
    except Exception as error:  # onnxmltools raises what it meets (RuntimeError for an unsupported objective)
        raise ConversionError(
            f"this LightGBM model cannot be converted to ONNX by onnxmltools ({error}); "
            "set model.serving_format: native in the spec to serve it as it is"
        ) from None
    onnx_model.graph.name = "LightGBM"  # fixed instead of a random UUID: reproducible bytes and digest
    return bytes(onnx_model.SerializeToString())


def library_versions() -> dict[str, str]:
    import lightgbm

    return {"lightgbm": lightgbm.__version__}
