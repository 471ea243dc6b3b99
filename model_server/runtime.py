"""`SlipstackRuntime`: the MLServer runtime that serves a Slipstack-packaged artifact.

At load it verifies the artifact against its manifest (a tampered model never serves), then opens
the model with ONNX Runtime (one intra-op thread: see bench/serving_bench.py) or its native
framework. Each request is checked by the shared inference contract (model_packaging/inference_contract.py,
which the SageMaker handler runs too): id, requested outputs, then the inputs against the signature; a bad
one is answered 400 (413 over the row limit) with a message naming the input and row, in the V2 error shape,
and the server keeps serving.

Two opt-in stages, configured from the environment the Kubernetes stack and `slipstack serve` set
(names in model_packaging.serving_contract): the prediction cache (SLIPSTACK_CACHE_*), served at the
front door by model_server.response_cache when model_server.start installed it (a hit skips decode, checks
and model), else keyed on the validated matrix; both keys include the model version and artifact digest;
and request capture (SLIPSTACK_CAPTURE_*), which samples answered requests for the drift job. A bad
setting stops the model from loading, with a message naming the variable, rather than serving with a
configuration nobody asked for.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import orjson
from mlserver import MLModel
from mlserver.errors import MLServerError
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput
from mlserver.utils import get_model_uri

from contracts.errors import SlipstackError
from model_packaging.inference_contract import (
    check_id,
    check_requested_outputs,
    error_body,
    select_outputs,
    v2_request,
    v2_response,
)
from model_packaging.serving_contract import infer_path
from model_packaging.verify import verify_directory
from model_server import response_cache
from model_server.prediction_cache import CacheSettings, PredictionCache
from model_server.request_capture import CaptureSettings, RequestCapture
from model_server.request_path import MAX_ROWS, Predictor, RequestRejected, TensorInput, canonical_features
from model_server.serving_metrics import serving_metrics

logger = logging.getLogger("slipstack.runtime")


class SlipstackRuntime(MLModel):
    async def load(self) -> bool:
        directory = Path(await get_model_uri(self._settings))
        if directory.is_file():
            directory = directory.parent
        try:
            manifest = verify_directory(directory)
            self._predictor = Predictor(directory, manifest)
            cache_settings = CacheSettings.from_environment()
            capture_settings = CaptureSettings.from_environment()
        except SlipstackError as error:
            # MLServer logs this and reports the model as not ready instead of serving it.
            raise MLServerError(f"refusing to serve {directory}: {error}", status_code=500) from None
        self._inputs = manifest.signature["inputs"]
        self._output_names = [output["name"] for output in self._predictor.outputs]
        names = [feature["name"] for feature in self._inputs]
        self._metrics = serving_metrics()
        self._labels = (self.name, self._predictor.version)
        self.cache: PredictionCache | None = None
        self._front_door = False
        if cache_settings.enabled:
            self.cache = PredictionCache(cache_settings, self._predictor.version, manifest.digest, names)
            # Label children bound once: the per-request cost is then an increment, not a label lookup.
            self._hits = self._metrics.cache_hits.labels(*self._labels)
            self._misses = self._metrics.cache_misses.labels(*self._labels)
            self._corrupt = self._metrics.cache_corrupt.labels(*self._labels)
            self._hit_rate = self._metrics.cache_hit_rate.labels(*self._labels)
            self._entries = self._metrics.cache_entries.labels(*self._labels)
            self._publish_cache_stats()
            logger.info("prediction cache on: %d entries, %g s TTL", cache_settings.max_entries,
                        cache_settings.ttl_seconds)
        self.capture: RequestCapture | None = None
        if capture_settings is not None:
            self.capture = RequestCapture(capture_settings, names, self._metrics, self._labels)
            logger.info("capturing %g%% of requests to %s", capture_settings.percent, capture_settings.uri)
        if response_cache.installed:
            # Plain V2 requests are answered at the front door (same contract, no MLServer request models);
            # with the cache on, a hit skips the decode, the checks and the model too.
            response_cache.register(infer_path(self.name), response_cache.FrontDoor(
                self.cache, self._counted, self._answered_at_front_door, self._answer_at_front_door,
                captures=self.capture is not None))
            self._front_door = True
        return True

    async def unload(self) -> bool:
        if getattr(self, "_front_door", False):
            response_cache.unregister(infer_path(self.name))
        if getattr(self, "capture", None) is not None:
            assert self.capture is not None
            self.capture.close()
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        tensors = [TensorInput(t.name, t.shape, str(getattr(t.datatype, "value", t.datatype)), t.data.root)
                   for t in payload.inputs]
        try:
            # The shared contract's checks, in the SageMaker handler's order: id, outputs asked for, inputs.
            request_id = check_id(payload.id)
            requested = check_requested_outputs(
                None if payload.outputs is None else [o.name for o in payload.outputs], self._output_names)
            features = canonical_features(tensors, self._inputs, MAX_ROWS, self._predictor.input_dtype)
        except RequestRejected as rejection:
            raise MLServerError(str(rejection), status_code=rejection.status_code) from None
        outputs = self._answer(features)
        if self.capture is not None:
            self.capture.offer(request_id, features, outputs)  # every output: the quality job reads them all
        outputs = select_outputs(outputs, requested)
        return InferenceResponse(
            model_name=self.name,
            model_version=self._predictor.version,
            id=request_id,
            outputs=[ResponseOutput(**tensor) for tensor in outputs],
        )

    def _counted(self, hit: bool) -> None:
        """A front-door look-up, in the same metrics as the runtime's own."""
        (self._hits if hit else self._misses).inc()
        self._publish_cache_stats()

    def _answer_at_front_door(self, request: dict[str, Any], request_id: str | None) -> tuple[int, bytes]:
        """(status, body) for a plain V2 request (the id checked by the front door, not in the request), by the
        same contract as `predict`; a 200's body leaves the id out, for the front door to splice in."""
        try:
            parsed = v2_request(request)
            requested = check_requested_outputs(parsed.outputs, self._output_names)
            features = canonical_features(parsed.tensors, self._inputs, MAX_ROWS, self._predictor.input_dtype)
        except RequestRejected as rejection:
            return rejection.status_code, orjson.dumps(error_body(str(rejection)))
        try:
            outputs = self._predictor.respond(features)
        except Exception:  # the model's fault, not the caller's: logged here, never the internals in the body
            logger.exception("%s: prediction failed", self.name)
            return 500, orjson.dumps(error_body(f"{self.name}: the model failed on this request"))
        if self.capture is not None:
            self.capture.offer(request_id, features, outputs)
        # orjson: the encode was a tenth of a 1-row request with json (MLServer depends on orjson).
        return 200, orjson.dumps(v2_response(self.name, self._predictor.version, None,
                                             select_outputs(outputs, requested)))

    def _answered_at_front_door(self, request: dict[str, Any], request_id: str | None, payload: bytes) -> None:
        """A cache hit answered before MLServer: offered to request capture like an answer of the model."""
        if self.capture is None:
            return
        try:
            tensors = [TensorInput(t["name"], t["shape"], t["datatype"], t["data"]) for t in request["inputs"]]
            features = canonical_features(tensors, self._inputs, MAX_ROWS, self._predictor.input_dtype)
            self.capture.offer(request_id, features, json.loads(payload)["outputs"])
        except Exception:  # capture must never cost an answer; the request was valid when it was stored
            logger.exception("capturing a cached answer failed")

    def _answer(self, features: Any) -> list[dict[str, Any]]:
        """The output tensors: from the cache when it holds an intact, fresh entry, else from the model."""
        if self.cache is None or self._front_door:
            return self._predictor.respond(features)
        key = self.cache.key(features)
        corrupt_before = self.cache.corrupt
        outputs = self.cache.get(key)
        if outputs is None:
            outputs = self._predictor.respond(features)
            self.cache.put(key, outputs)
            self._misses.inc()
            if self.cache.corrupt != corrupt_before:
                self._corrupt.inc(self.cache.corrupt - corrupt_before)
        else:
            self._hits.inc()
        self._publish_cache_stats()
        return outputs

    def _publish_cache_stats(self) -> None:
        assert self.cache is not None
        looked_up = self.cache.hits + self.cache.misses
        self._hit_rate.set(self.cache.hits / looked_up if looked_up else 0.0)
        self._entries.set(len(self.cache))
