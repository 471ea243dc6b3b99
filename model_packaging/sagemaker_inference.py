"""SageMaker framework-container entry point, copied into every artifact as `code/inference.py`.

It runs inside the SageMaker scikit-learn/XGBoost serving containers, where Slipstack is not
installed and, with network isolation, nothing can be pip-installed at start: standard library, numpy
and the framework the container ships only. So it loads the artifact's NATIVE model file
(`native_model_file` in manifest.json: model.joblib with joblib, model.ubj with xgboost), never the
ONNX file next to it (that one is for MLServer on Kubernetes; the packaging parity check proved both
give the same answers).

Requests are checked and answered by `code/inference_contract.py`, the same module the Kubernetes
server's runtime runs (model_packaging/inference_contract.py), so both targets accept the same bodies
and give the same messages: a V2 request gets a V2 response, `{"instances": [[...]]}` and
`{"inputs": {name: [...]}}` get `{output: values}`, CSV rows (signature order, no header) get CSV or
JSON by `Accept`.

Caller mistakes never become 5xx: the toolkit turns every exception into a body with the Python
traceback appended (even its own `GenericInferenceToolkitError`), and a 5xx counts toward the
auto-rollback alarms. So `transform_fn` takes the toolkit's request context and answers a mistake
itself, with its 4xx status and the V2 error body `{"error": message}`; without a context (an older
toolkit) it raises `GenericInferenceToolkitError` with that status. Size caps follow the serving mode
in SLIPSTACK_SERVING_MODE (online, serverless, async, batch), from the table packaging copied into
manifest.json (model_packaging/serving_contract.py MODE_LIMITS).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import warnings
from typing import Any

import numpy as np

SERVING_MODE_ENV = "SLIPSTACK_SERVING_MODE"
CONTRACT_FILE = "inference_contract.py"


def _load_contract() -> Any:
    """inference_contract.py from this file's folder (code/ in the artifact, model_packaging/ in the repo)."""
    name = "slipstack_inference_contract"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, os.path.join(os.path.dirname(__file__), CONTRACT_FILE))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module while the class is created
    spec.loader.exec_module(module)
    return module


contract = _load_contract()


def _receive_bodies_undecoded() -> None:
    """Have the toolkit hand transform_fn the body's bytes for JSON and CSV too.

    The sagemaker-inference toolkit decodes `application/json` and `text/csv` bodies as UTF-8 itself, before
    transform_fn runs, so a body that is not UTF-8 raised UnicodeDecodeError there: a 500 with a traceback,
    counted by the 5xx rollback alarms, for a caller's mistake. Emptying its list of types to decode (read by
    `Transformer.transform` on every request; the container imports this module before the first one is
    decoded) leaves the decoding to the contract, which answers 400 with the Kubernetes server's message.
    """
    try:
        from sagemaker_inference import content_types
    except ImportError:  # not under the toolkit (a test calling transform_fn directly)
        return
    if hasattr(content_types, "UTF8_TYPES"):
        content_types.UTF8_TYPES = []


_receive_bodies_undecoded()


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
            booster_wrapper = wrapper()
            booster_wrapper.load_model(path)
            self.model: Any = booster_wrapper  # one of four model types, by framework
        elif self.framework == "sklearn":
            import joblib

            self.model = joblib.load(path)
        elif self.framework == "lightgbm":
            import lightgbm  # not in SageMaker's own containers: a custom image with lightgbm must serve it

            self.model = lightgbm.Booster(model_file=path)
        elif self.framework == "pytorch":
            import torch  # SageMaker's PyTorch serving container

            self.model = torch.jit.load(path, map_location="cpu").eval()
        else:
            raise RuntimeError(f"no SageMaker framework container serves model.framework '{self.framework}'")
        self.feature_names = [f["name"] for f in self.inputs]
        self.name = self.manifest["model"]["name"]
        self.version = self.manifest["model"]["version"]
        self.input_dtype = self.manifest["runtime"].get("input_dtype", "float64")
        self.mode = os.environ.get(SERVING_MODE_ENV, "").strip() or "online"
        limits = self.manifest["runtime"].get("limits", {})
        if self.mode not in limits:
            raise RuntimeError(f"{SERVING_MODE_ENV}={self.mode!r} is not a serving mode this artifact knows "
                               f"(one of {sorted(limits)}); set it to the spec's serving.mode")
        self.max_rows = int(limits[self.mode]["max_rows"])
        self.max_bytes = int(limits[self.mode]["max_bytes"])
        processing = self.manifest["runtime"].get("processing")
        self.processing = contract.load_processing(os.path.join(model_dir, processing)) if processing else None

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
        """The custom processing (if any) around the model, as the Kubernetes runtime runs it."""
        return contract.run_pipeline(self.processing, self._model_predict, features)

    def _model_predict(self, features: np.ndarray) -> list[np.ndarray]:
        # lightgbm and pytorch answer as model_packaging/formats/{lightgbm,torch}_format.py `predict` does
        # (this file cannot import them in the container); the parity check compares those with ONNX.
        if self.framework == "lightgbm":
            raw = np.asarray(self.model.predict(features, num_threads=1))
            if self.manifest["model"]["task"] != "classification":
                return [raw.reshape(-1)]
            probabilities = np.column_stack([1.0 - raw, raw]) if raw.ndim == 1 else raw
            return [np.argmax(probabilities, axis=1).astype(np.int64), probabilities]
        if self.framework == "pytorch":
            import torch

            with torch.inference_mode():
                scores = self.model(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))).numpy()
            if scores.ndim == 2 and scores.shape[1] > 1:
                return [np.argmax(scores, axis=1).astype(np.int64), scores]
            return [scores.reshape(-1)]
        data = self._frame(features)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if hasattr(self.model, "predict_proba"):
                return [np.asarray(self.model.predict(data)), np.asarray(self.model.predict_proba(data))]
            return [np.asarray(self.model.predict(data))]


def model_fn(model_dir: str) -> _Model:
    return _Model(model_dir)


def answer(model: _Model, body: str | bytes, content_type: str | None, accept: str | None) -> tuple[str, str]:
    """(body, content type) for one invocation; raises contract.ClientError for a caller mistake."""
    media = contract.negotiate(accept)  # 406 before any work when the answer could not be sent
    request = contract.parse_body(body, content_type, model.inputs, model.max_rows, model.max_bytes)
    requested = contract.check_requested_outputs(request.outputs, [o["name"] for o in model.outputs])
    features = contract.canonical_features(request.tensors, model.inputs, model.max_rows, model.input_dtype)
    tensors = contract.select_outputs(contract.output_tensors(model.outputs, model.predict(features)), requested)
    return contract.encode_response(request, model.name, model.version, tensors, media), media


def transform_fn(model: _Model, input_data: str | bytes, content_type: str | None, accept: str | None,
                 context: Any = None) -> tuple[str, str]:
    try:
        return answer(model, input_data, content_type, accept)
    except contract.ClientError as error:
        if context is not None and hasattr(context, "set_response_status"):
            context.set_response_status(code=error.status_code, phrase=_PHRASES.get(error.status_code, "Bad Request"))
            return json.dumps(contract.error_body(error.message)), contract.JSON
        from sagemaker_inference.errors import GenericInferenceToolkitError

        raise GenericInferenceToolkitError(error.status_code, error.message) from None


_PHRASES = {400: "Bad Request", 406: "Not Acceptable", 413: "Payload Too Large", 415: "Unsupported Media Type"}
