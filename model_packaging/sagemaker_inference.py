"""SageMaker framework-container entry point, copied into every artifact as `code/inference.py`.

It runs inside the SageMaker scikit-learn/XGBoost serving containers, where Slipstack is not
installed: standard library, numpy and the model's own runtime only. It reads the signature from
manifest.json next to the model, so requests are checked the same way as on Kubernetes.

Accepted bodies: JSON `{"instances": [[...], ...]}`, `{"inputs": {name: [values...]}}` or a V2
request `{"inputs": [{"name", "shape", "datatype", "data"}]}`; CSV rows in signature order.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Any

import numpy as np

MAX_ROWS = 10_000


class _Model:
    def __init__(self, model_dir: str):
        with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as handle:
            self.manifest = json.load(handle)
        self.inputs = self.manifest["signature"]["inputs"]
        self.outputs = self.manifest["runtime"]["outputs"]
        path = os.path.join(model_dir, self.manifest["model_file"])
        self.format = self.manifest["format"]
        if self.format == "onnx":
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            self.session = onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
            self.input_name = self.session.get_inputs()[0].name
            self.input_dtype = np.float64 if self.session.get_inputs()[0].type == "tensor(double)" else np.float32
        else:
            import joblib

            self.model = joblib.load(path)

    def predict(self, features: np.ndarray) -> list[np.ndarray]:
        if self.format == "onnx":
            return list(self.session.run(None, {self.input_name: features.astype(self.input_dtype)}))
        if hasattr(self.model, "predict_proba"):
            return [self.model.predict(features), self.model.predict_proba(features)]
        return [self.model.predict(features)]


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


def input_fn(request_body: str | bytes, content_type: str) -> np.ndarray:
    text = request_body.decode("utf-8") if isinstance(request_body, bytes) else request_body
    if content_type.startswith("application/json"):
        return text  # type: ignore[return-value]  # parsed in predict_fn, which knows the signature
    if content_type.startswith("text/csv"):
        return [[float(v) if v.strip() else None for v in row] for row in csv.reader(io.StringIO(text)) if row]  # type: ignore[return-value]
    raise ValueError(f"unsupported content type {content_type!r} (use application/json or text/csv)")


def predict_fn(data: Any, model: _Model) -> dict[str, Any]:
    names = [f["name"] for f in model.inputs]
    rows = _rows_from_json(json.loads(data), names) if isinstance(data, str) else data
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
