"""SageMaker framework-container entry point, copied into every artifact as `code/inference.py`.

It runs inside the SageMaker scikit-learn/XGBoost serving containers, where Slipstack is not
installed and, with network isolation, nothing can be pip-installed at start: standard library, numpy
and the framework the container ships only. So it loads the artifact's NATIVE model file
(`native_model_file` in manifest.json: model.joblib with joblib, model.ubj with xgboost), never the
ONNX file next to it (that one is for MLServer on Kubernetes; the packaging parity check proved both
give the same answers). It reads the signature from manifest.json, so requests are checked the same
way as on Kubernetes.

Accepted bodies: JSON `{"instances": [[...], ...]}`, `{"inputs": {name: [values...]}}` or a V2
request `{"inputs": [{"name", "shape", "datatype", "data"}]}`; CSV rows in signature order.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from typing import Any

import numpy as np

MAX_ROWS = 10_000


class _Model:
    def __init__(self, model_dir: str):
        with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as handle:
            self.manifest = json.load(handle)
        self.inputs = self.manifest["signature"]["inputs"]
        self.outputs = self.manifest["runtime"]["outputs"]
        self.framework = self.manifest["model"]["framework"]
        native_file = self.manifest.get("native_model_file")
        if not native_file:
            raise RuntimeError(
                f"this artifact holds only an ONNX model ({self.manifest['model_file']}); the SageMaker framework "
                "containers ship no onnxruntime and cannot install it under network isolation. Deploy it to the "
                "onprem target, or package the model from its training framework (sklearn, xgboost)"
            )
        path = os.path.join(model_dir, native_file)
        if self.framework == "xgboost":
            import xgboost

            # The sklearn wrapper restores the classes and objective saved with the model, so predict and
            # predict_proba give exactly what they gave at packaging time.
            wrapper = xgboost.XGBClassifier if self.manifest["model"]["task"] == "classification" else (
                xgboost.XGBRegressor
            )
            self.model = wrapper()
            self.model.load_model(path)
        elif self.framework == "sklearn":
            import joblib

            self.model = joblib.load(path)
        else:
            raise RuntimeError(f"no SageMaker framework container serves model.framework '{self.framework}'")
        self.feature_names = [f["name"] for f in self.inputs]

    def _frame(self, features: np.ndarray) -> Any:
        # A model fitted on a DataFrame checks the column names; the sklearn container ships pandas.
        if getattr(self.model, "feature_names_in_", None) is None:
            return features
        try:
            import pandas as pd
        except ImportError:
            return features
        return pd.DataFrame(features, columns=self.feature_names)

    def predict(self, features: np.ndarray) -> list[np.ndarray]:
        data = self._frame(features)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if hasattr(self.model, "predict_proba"):
                return [np.asarray(self.model.predict(data)), np.asarray(self.model.predict_proba(data))]
            return [np.asarray(self.model.predict(data))]


def _rows_from_json(body: Any, names: list[str]) -> list[list[Any]]:
    if isinstance(body, dict) and "instances" in body:
        return [list(row) for row in body["instances"]]
    if isinstance(body, dict) and isinstance(body.get("inputs"), dict):
        columns = body["inputs"]
        missing = [n for n in names if n not in columns]
        if missing:
            raise ValueError(f"missing input column(s) {missing}")
        return [list(row) for row in zip(*(columns[n] for n in names), strict=True)]
    if isinstance(body, dict) and isinstance(body.get("inputs"), list):
        columns = {t["name"]: t["data"] for t in body["inputs"]}
        missing = [n for n in names if n not in columns]
        if missing:
            raise ValueError(f"missing input tensor(s) {missing}")
        return [list(row) for row in zip(*(columns[n] for n in names), strict=True)]
    raise ValueError("expected {'instances': [[...]]}, {'inputs': {name: [...]}} or a V2 request")


def _check(rows: list[list[Any]], inputs: list[dict[str, Any]]) -> np.ndarray:
    if not rows:
        raise ValueError("the request holds no rows")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"{len(rows)} rows exceed the limit of {MAX_ROWS} per request")
    for index, row in enumerate(rows):
        if len(row) != len(inputs):
            raise ValueError(f"row {index} has {len(row)} values, the signature has {len(inputs)} inputs")
        for feature, value in zip(inputs, row, strict=True):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                if not feature.get("nullable", False):
                    raise ValueError(f"row {index}: '{feature['name']}' is missing and not nullable")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"row {index}: '{feature['name']}' must be a number, got {value!r}")
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)


def model_fn(model_dir: str) -> _Model:
    return _Model(model_dir)


def input_fn(request_body: str | bytes, content_type: str) -> Any:
    text = request_body.decode("utf-8") if isinstance(request_body, bytes) else request_body
    if content_type.startswith("application/json"):
        return text  # parsed in predict_fn, which knows the signature
    if content_type.startswith("text/csv"):
        rows = []
        for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row:
                continue
            try:
                rows.append([float(v) if v.strip() else None for v in row])
            except ValueError:
                raise ValueError(f"CSV line {line}: every value must be a number or empty") from None
        return rows
    raise ValueError(f"unsupported content type {content_type!r} (use application/json or text/csv)")


def predict_fn(data: Any, model: _Model) -> dict[str, Any]:
    rows = _rows_from_json(json.loads(data), model.feature_names) if isinstance(data, str) else data
    raw = model.predict(_check(rows, model.inputs))
    return {o["name"]: np.asarray(raw[o["index"]]).tolist() for o in model.outputs}


def output_fn(prediction: dict[str, Any], accept: str) -> tuple[str, str]:
    if accept.startswith("text/csv"):
        columns = list(prediction.values())
        out = io.StringIO()
        writer = csv.writer(out)
        for row in zip(*columns, strict=True):
            writer.writerow([v for value in row for v in (value if isinstance(value, list) else [value])])
        return out.getvalue(), "text/csv"
    return json.dumps(prediction), "application/json"
