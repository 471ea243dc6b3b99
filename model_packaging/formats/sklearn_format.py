"""scikit-learn models saved with joblib, and their conversion to ONNX with skl2onnx."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import ConversionError, ModelFileError

FORMAT_NAME = "sklearn"


def load(path: Path) -> Any:
    import joblib

    try:
        model = joblib.load(path)
    except Exception as error:  # joblib raises anything an unpickler can (KeyError, EOFError, ...)
        raise ModelFileError(
            f"{path}: not a joblib-saved scikit-learn model ({type(error).__name__}: {error}); "
            "save it with joblib.dump(model, 'model.joblib') or fix model.framework in the spec"
        ) from None
    if not (hasattr(model, "predict") and type(model).__module__.split(".")[0] == "sklearn"):
        raise ModelFileError(
            f"{path}: holds a {type(model).__module__}.{type(model).__name__}, not a scikit-learn estimator, "
            "but the spec says model.framework: sklearn; fix the framework or the file"
        )
    return model


def check(model: Any, feature_names: list[str], task: str, where: str) -> None:
    from sklearn.base import is_classifier, is_regressor

    if task == "classification" and not is_classifier(model):
        raise ModelFileError(
            f"{where}: the spec says task: classification but the model is a {type(model).__name__}, not a classifier"
        )
    if task == "regression" and not is_regressor(model):
        raise ModelFileError(
            f"{where}: the spec says task: regression but the model is a {type(model).__name__}, not a regressor"
        )
    check_feature_names(model, feature_names, where)


def check_feature_names(model: Any, feature_names: list[str], where: str) -> None:
    count = getattr(model, "n_features_in_", None)
    if count is not None and count != len(feature_names):
        raise ModelFileError(
            f"{where}: the model takes {count} features but model.signature.inputs lists {len(feature_names)}; "
            "make the signature list exactly the training columns, in order"
        )
    trained = getattr(model, "feature_names_in_", None)
    if trained is not None and list(trained) != feature_names:
        pairs = [(i, a, b) for i, (a, b) in enumerate(zip(trained, feature_names, strict=True)) if a != b]
        index, expected, declared = pairs[0]
        raise ModelFileError(
            f"{where}: model.signature.inputs[{index}] is '{declared}' but the model was trained with "
            f"'{expected}' in that position ({len(pairs)} mismatch(es)); list the training columns in order"
        )


def predict(model: Any, features: np.ndarray, feature_names: list[str]) -> list[np.ndarray]:
    if getattr(model, "feature_names_in_", None) is not None:
        import pandas as pd

        frame: Any = pd.DataFrame(features, columns=feature_names)
    else:
        frame = features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(model, "predict_proba"):
            return [np.asarray(model.predict(frame)), np.asarray(model.predict_proba(frame))]
        return [np.asarray(model.predict(frame))]


def write_native(model: Any, source: Path, destination: Path) -> None:
    """The joblib file as it was given: the bytes the user trained and tested, and reproducible."""
    import shutil

    shutil.copyfile(source, destination)


def to_onnx(model: Any, feature_count: int) -> bytes:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from skl2onnx.common.exceptions import MissingShapeCalculator

    options: dict[int, dict[str, Any]] = {}
    if hasattr(model, "predict_proba"):
        # A plain probability tensor instead of skl2onnx's default list of dicts (ZipMap): one
        # float matrix serves as a V2 tensor directly and is far cheaper to produce.
        options = {id(model): {"zipmap": False}}
    try:
        onnx_model = convert_sklearn(
            model, initial_types=[("input", FloatTensorType([None, feature_count]))], options=options
        )
    except (MissingShapeCalculator, RuntimeError, NotImplementedError, TypeError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConversionError(
            f"{type(model).__name__} cannot be converted to ONNX by skl2onnx ({first_line}); "
            "set model.serving_format: native in the spec to serve the joblib file as it is"
        ) from None
    # The converters name the graph with a random UUID; a fixed name keeps the bytes, and so the
    # artifact digest, identical for the same model.
    onnx_model.graph.name = type(model).__name__
    return bytes(onnx_model.SerializeToString())


def library_versions() -> dict[str, str]:
    import joblib
    import sklearn

    return {"scikit-learn": sklearn.__version__, "joblib": joblib.__version__}
