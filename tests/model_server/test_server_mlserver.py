"""The packaged artifact in real MLServer on 127.0.0.1: predictions, signature errors, health, metrics."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from model_packaging.serving_contract import LIVENESS_PATH, METRICS_PATH, infer_path, model_ready_path
from model_server.errors import ServerStartError
from model_server.launch import free_ports, start_server, stop_server, wait_ready

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(served_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, dict]]:
    ports = free_ports()
    process = start_server(served_artifact, ports, tmp_path_factory.mktemp("mlserver"))
    try:
        wait_ready(process, f"http://127.0.0.1:{ports.http}")
        manifest = json.loads((served_artifact / "manifest.json").read_text())
        yield f"http://127.0.0.1:{ports.http}", ports.metrics, manifest
    finally:
        stop_server(process)
        assert process.poll() is not None


def test_example_request_gives_the_manifest_outputs(server) -> None:
    base, _, manifest = server
    answer = httpx.post(base + infer_path("diabetes-progression"), json=manifest["example"]["request"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["model_version"] == "2.1.0"
    (output,) = body["outputs"]
    (expected,) = manifest["example"]["expected_outputs"]
    assert output["name"] == expected["name"] and output["shape"] == expected["shape"] == [1]
    assert output["datatype"] == "FP64"
    assert np.allclose(output["data"], expected["data"])


def test_bad_requests_get_4xx_and_the_server_stays_up(server) -> None:
    base, metrics_port, manifest = server
    url = base + infer_path("diabetes-progression")
    request = manifest["example"]["request"]
    missing = copy.deepcopy(request)
    missing["inputs"] = missing["inputs"][1:]
    nan = copy.deepcopy(request)
    nan["inputs"][2]["data"] = ["NaN"]
    wrong_type = copy.deepcopy(request)
    wrong_type["inputs"][0]["datatype"] = "BYTES"
    wrong_shape = copy.deepcopy(request)
    wrong_shape["inputs"][0]["shape"] = [2]
    huge = copy.deepcopy(request)
    for tensor in huge["inputs"]:
        tensor["shape"], tensor["data"] = [10_001], tensor["data"] * 10_001
    cases = [(missing, 400, "missing input(s) ['age']"), (nan, 400, "input 'bmi' row 0"),
             (wrong_type, 400, "input 'age' has datatype BYTES"), (wrong_shape, 400, "input 'age' holds 1 values"),
             (huge, 413, "10001 rows exceed the limit")]
    for body, status, message in cases:
        answer = httpx.post(url, json=body, timeout=30)
        assert answer.status_code == status, answer.text
        assert message in answer.json()["error"]
    assert httpx.get(base + LIVENESS_PATH).status_code == 200
    assert httpx.get(base + model_ready_path("diabetes-progression")).status_code == 200
    assert httpx.post(url, json=request).status_code == 200
    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}{METRICS_PATH}").text
    assert "model_infer_request_success" in metrics or "rest_server_requests" in metrics


def test_tampered_artifact_is_not_served(served_artifact: Path, tmp_path: Path) -> None:
    copy_dir = tmp_path / "diabetes-progression"
    shutil.copytree(served_artifact, copy_dir)
    (copy_dir / "model.onnx").write_bytes((copy_dir / "model.onnx").read_bytes()[:-10])
    ports = free_ports()
    process = start_server(copy_dir, ports, tmp_path / "work")
    try:
        # MLServer 1.7 shuts down when a model fails to load at startup; either way it must never be ready.
        try:
            wait_ready(process, f"http://127.0.0.1:{ports.http}", path=LIVENESS_PATH, timeout=30)
        except ServerStartError:
            pass
        else:
            try:
                ready = httpx.get(f"http://127.0.0.1:{ports.http}{model_ready_path('diabetes-progression')}")
                assert ready.status_code != 200
            except httpx.ConnectError:
                pass  # already shutting down
    finally:
        stop_server(process)
    assert "refusing to serve" in (tmp_path / "work" / "mlserver.log").read_text()


def test_body_over_the_size_limit_gets_413_and_the_server_stays_up(server) -> None:
    from model_packaging.serving_contract import MAX_REQUEST_BODY_BYTES

    base, _, manifest = server
    url = base + infer_path("diabetes-progression")
    # Valid JSON padded past the limit: only the byte count is wrong, so the 413 comes from the limit.
    oversized = json.dumps({**manifest["example"]["request"], "id": "x" * MAX_REQUEST_BODY_BYTES}).encode()
    answer = httpx.post(url, content=oversized, headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 413, answer.text
    assert f"request body of {len(oversized):,} bytes exceeds the limit of {MAX_REQUEST_BODY_BYTES:,}" in \
        answer.json()["error"]

    def chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
        for _ in range(total // size):
            yield b" " * size

    # No Content-Length (chunked): refused once the bytes read pass the limit.
    chunked = httpx.post(url, content=chunks(MAX_REQUEST_BODY_BYTES + 512 * 1024),
                         headers={"Content-Type": "application/json"}, timeout=30)
    assert chunked.status_code == 413 and "(chunked)" in chunked.json()["error"]
    # A chunked body within the limit is replayed to MLServer intact.
    body = json.dumps(manifest["example"]["request"]).encode()
    small = httpx.post(url, content=iter([body[:10], body[10:]]), headers={"Content-Type": "application/json"})
    assert small.status_code == 200, small.text
    assert httpx.post(url, json=manifest["example"]["request"]).status_code == 200
