"""`SlipstackRuntime`: the MLServer runtime that serves a Slipstack-packaged artifact.

At load it verifies the artifact against its manifest (a tampered model never serves), then opens
the model with ONNX Runtime (one intra-op thread: see bench/serving_bench.py) or its native
framework. Each request is checked against the signature: a bad one is answered 400 (413 over the
row limit) with a message naming the input and row, and the server keeps serving.
"""

from __future__ import annotations

from pathlib import Path

from mlserver import MLModel
from mlserver.errors import MLServerError
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput
from mlserver.utils import get_model_uri

from contracts.errors import SlipstackError
from model_packaging.verify import verify_directory
from model_server.request_path import Predictor, RequestRejected, TensorInput, canonical_features


class SlipstackRuntime(MLModel):
    async def load(self) -> bool:
        directory = Path(await get_model_uri(self._settings))
        if directory.is_file():
            directory = directory.parent
        try:
            manifest = verify_directory(directory)
            self._predictor = Predictor(directory, manifest)
        except SlipstackError as error:
            # MLServer logs this and reports the model as not ready instead of serving it.
            raise MLServerError(f"refusing to serve {directory}: {error}", status_code=500) from None
        self._inputs = manifest.signature["inputs"]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        tensors = [TensorInput(t.name, t.shape, str(getattr(t.datatype, "value", t.datatype)), t.data.root)
                   for t in payload.inputs]
        try:
            features = canonical_features(tensors, self._inputs)
        except RequestRejected as rejection:
            raise MLServerError(f"{self.name}: {rejection}", status_code=rejection.status_code) from None
        # A prediction cache (issue 11) slots in here: key = hash(features.tobytes(), features.shape,
        # self._predictor.version); features are already validated and canonical.
        outputs = self._predictor.respond(features)
        return InferenceResponse(
            model_name=self.name,
            model_version=self._predictor.version,
            id=payload.id,
            outputs=[ResponseOutput(**tensor) for tensor in outputs],
        )
