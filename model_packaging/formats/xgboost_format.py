"""XGBoost models (the sklearn wrappers saved as .json/.ubj or joblib), and conversion with onnxmltools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from model_packaging.errors import ConversionError, ModelFileError

FORMAT_NAME = "xgboost"


def load(path: Path) -> Any:
    import xgboost

    if path.suffix in (".json", ".ubj"):
        try:
            booster = xgboost.Booster()
            booster.load_model(str(path))
        except xgboost.core.XGBoostError as error:
            first = str(error).strip().splitlines()[0]
            raise ModelFileError(
                f"{path}: not an XGBoost model file ({first}); save it with model.save_model('model.ubj')"
            ) from None
        objective = str(booster.save_config())
        model: Any = xgboost.XGBClassifier() if '"binary:' in objective or '"multi:' in objective else (
            xgboost.XGBRegressor()
        )
        model.load_model(str(path))
        return model
    import joblib

    try:
        model = joblib.load(path)
    except Exception as error:  # any unpickling failure
        raise ModelFileError(
            f"{path}: neither an XGBoost .json/.ubj file nor a joblib-saved XGBoost model "
            f"({type(error).__name__}: {error}); save it with model.save_model('model.ubj')"
        ) from None
    if not isinstance(model, xgboost.XGBModel):
        raise ModelFileError(
            f"{path}: holds a {type(model).__module__}.{type(model).__name__}, not an XGBoost model, "
            "but the spec says model.framework: xgboost; fix the framework or the file"
        )
    return model


def check(model: Any, feature_names: list[str], task: str, where: str) -> None:
    import xgboost

    if task == "classification" and not isinstance(model, xgboost.XGBClassifier):
        raise ModelFileError(f"{where}: the spec says task: classification but the model is an XGBoost regressor")
    if task == "regression" and isinstance(model, xgboost.XGBClassifier):
        raise ModelFileError(f"{where}: the spec says task: regression but the model is an XGBoost classifier")
    count = model.get_booster().num_features()
    if count != len(feature_names):
        raise ModelFileError(
            f"{where}: the model takes {count} features but model.signature.inputs lists {len(feature_names)}; "
            "make the signature list exactly the training columns, in order"
        )


def predict(model: Any, features: np.ndarray, feature_names: list[str]) -> list[np.ndarray]:
    # One thread, as for ONNX Runtime: a request is a few rows, and XGBoost's OpenMP team spinning up on
    # every core per call costs more than the prediction and fights the other processes for the CPUs.
    if model.get_params().get("n_jobs") != 1:
        model.set_params(n_jobs=1)
    if hasattr(model, "predict_proba"):
        return [np.asarray(model.predict(features)), np.asarray(model.predict_proba(features))]
    return [np.asarray(model.predict(features))]


def write_native(model: Any, source: Path, destination: Path) -> None:
    """XGBoost's own UBJSON format, whatever the input was (.json, .ubj or a joblib pickle).

    The SageMaker XGBoost container loads it with `load_model` and needs no pickle compatibility across
    Python versions; saving the same model gives the same bytes, so the artifact digest reproduces.
    """
    model.save_model(str(destination))


def to_onnx(model: Any, feature_count: int) -> bytes:
    from onnxmltools.convert import convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    # onnxmltools wants the booster's feature names to be f0..fN; training on a DataFrame stores the
    # column names, so convert a copy with them cleared (inputs arrive in signature order anyway).
    booster = model.get_booster().copy()
    booster.feature_names = None
    original = model
    model = type(model)(**model.get_params())
    model._Booster = booster
    if isinstance(model, __import__("xgboost").XGBClassifier):
        # The copy has no fitted attributes; onnxmltools reads the class count from n_classes_, and guessing 2
        # made every multi-class model an invalid two-class graph that ONNX Runtime refused
        # ("base_values should have 0, 1, or 2 values").
        model.n_classes_ = int(getattr(original, "n_classes_", 2))
    try:
        onnx_model = convert_xgboost(model, initial_types=[("input", FloatTensorType([None, feature_count]))])
    except (RuntimeError, NotImplementedError, TypeError, ValueError, AttributeError) as error:
        raise ConversionError(
            f"this XGBoost model cannot be converted to ONNX by onnxmltools ({error}); "
            "set model.serving_format: native in the spec to serve it as it is"
        ) from None
    # The converters name the graph with a random UUID; a fixed name keeps the bytes, and so the
    # artifact digest, identical for the same model.
    onnx_model.graph.name = type(model).__name__
    return bytes(onnx_model.SerializeToString())



def library_versions() -> dict[str, str]:
    import xgboost

    return {"xgboost": xgboost.__version__}
