"""SlipstackRuntime in-process (real MLServer types, no HTTP): a corrupted cache entry and capture to S3 (moto).

The runtime object is the one MLServer would hold, so a test can reach into its running cache and
damage an entry, which no client could do over HTTP.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from mlserver.settings import ModelParameters, ModelSettings
from mlserver.types import InferenceRequest
from moto import mock_aws
from prometheus_client import REGISTRY

from contracts import metrics as names
from model_packaging import serving_contract as contract
from model_server.runtime import SlipstackRuntime

MODEL = "diabetes-progression"


def _runtime(artifact: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> SlipstackRuntime:
    for name in (contract.CACHE_ENABLED_ENV, contract.CAPTURE_URI_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runtime = SlipstackRuntime(ModelSettings(name=MODEL, implementation=SlipstackRuntime,
                                             parameters=ModelParameters(uri=str(artifact), version="2.1.0")))
    assert asyncio.run(runtime.load())
    return runtime


def _request(manifest: dict[str, Any], scale: float = 1.0, request_id: str | None = None) -> InferenceRequest:
    body = copy.deepcopy(manifest["example"]["request"])
    for tensor in body["inputs"]:
        tensor["data"] = [value * scale for value in tensor["data"]]
    if request_id:
        body["id"] = request_id
    return InferenceRequest.model_validate(body)


def _outputs(response: Any) -> list[dict[str, Any]]:
    return [{"name": o.name, "shape": o.shape, "data": o.data.root} for o in response.outputs]


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"model_name": MODEL, "model_version": "2.1.0"}) or 0.0


@pytest.fixture
def manifest(served_artifact: Path) -> dict[str, Any]:
    return json.loads((served_artifact / "manifest.json").read_text())


def test_corrupted_entry_falls_back_to_the_model_and_is_counted(served_artifact: Path, manifest: dict[str, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = _runtime(served_artifact, monkeypatch, {contract.CACHE_ENABLED_ENV: "true",
                                                      contract.CACHE_MAX_ENTRIES_ENV: "50"})
    assert runtime.cache is not None and runtime.cache.settings.max_entries == 50
    corrupt_before = _sample(names.PROM_CACHE_CORRUPT)
    hits_before = _sample(names.PROM_CACHE_HITS)
    request = _request(manifest)
    from_model = _outputs(asyncio.run(runtime.predict(request)))
    assert np.allclose(from_model[0]["data"], manifest["example"]["expected_outputs"][0]["data"])
    assert _outputs(asyncio.run(runtime.predict(request))) == from_model
    assert _sample(names.PROM_CACHE_HITS) == hits_before + 1

    (key,) = list(runtime.cache._entries)
    entry = runtime.cache.entry(key)
    assert entry is not None
    value = from_model[0]["data"][0]
    entry.payload = entry.payload.replace(repr(value).encode(), repr(value + 1000.0).encode())
    assert repr(value + 1000.0).encode() in entry.payload  # the damage really landed

    answer = _outputs(asyncio.run(runtime.predict(request)))
    assert answer == from_model  # the model's answer, not the damaged one
    assert runtime.cache.corrupt == 1
    assert _sample(names.PROM_CACHE_CORRUPT) == corrupt_before + 1
    assert runtime.cache.entry(key) is not None and runtime.cache.get(key) == [  # re-stored intact
        {**tensor, "datatype": "FP64"} for tensor in from_model]
    assert _sample(names.PROM_CACHE_ENTRIES) == 1


def test_cache_off_by_default(served_artifact: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _runtime(served_artifact, monkeypatch, {}).cache is None


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="artifacts")
        yield client


def test_capture_to_s3_is_read_back_by_monitoring(served_artifact: Path, manifest: dict[str, Any],
                                                  monkeypatch: pytest.MonkeyPatch, s3: Any) -> None:
    from monitoring.sources import CurrentData

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    uri = contract.capture_uri("artifacts", "capture", MODEL, "dev")
    runtime = _runtime(served_artifact, monkeypatch, {contract.CAPTURE_URI_ENV: uri,
                                                      contract.CAPTURE_PERCENT_ENV: "100"})
    assert runtime.capture is not None
    sent = []
    for i in range(5):
        request = _request(manifest, scale=1.0 + i / 10, request_id=f"req-{i}")
        asyncio.run(runtime.predict(request))
        sent.append([t.data.root[0] for t in request.inputs])
    assert asyncio.run(runtime.unload())  # flushes what is buffered
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="artifacts", Prefix="capture/")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith(f"capture/{MODEL}/dev/") and keys[0].endswith(".jsonl")
    assert len(keys[0].split("/")) == 8  # capture/model/env/yyyy/mm/dd/hh/uuid.jsonl
    record = json.loads(s3.get_object(Bucket="artifacts", Key=keys[0])["Body"].read().splitlines()[0])
    assert record["eventMetadata"]["inferenceId"] == "req-0" and record["eventVersion"] == "0"
    assert record["captureData"]["endpointOutput"]["mode"] == "OUTPUT"

    features = [f["name"] for f in manifest["signature"]["inputs"]]
    rows = [frame for _, frame in CurrentData(uri + "/", features, s3_client=s3).chunks()]
    (frame,) = rows
    assert list(frame.columns) == features
    assert np.allclose(frame.to_numpy(), np.array(sent))
    assert _sample(names.PROM_CAPTURE_RECORDS) >= 5


def test_capture_failure_never_fails_a_prediction(served_artifact: Path, manifest: dict[str, Any],
                                                  monkeypatch: pytest.MonkeyPatch, s3: Any) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    runtime = _runtime(served_artifact, monkeypatch, {contract.CAPTURE_URI_ENV: "s3://no-such-bucket/capture"})
    failures_before = _sample(names.PROM_CAPTURE_FAILURES)
    response = asyncio.run(runtime.predict(_request(manifest)))
    assert response.outputs
    assert asyncio.run(runtime.unload())
    assert runtime.capture is not None and runtime.capture.failures == 1 and runtime.capture.dropped == 1
    assert _sample(names.PROM_CAPTURE_FAILURES) == failures_before + 1
