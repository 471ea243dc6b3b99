"""One inference contract on both targets: every malformed request in the bad-input list, sent to the
Kubernetes server (real MLServer on 127.0.0.1, through raw HTTP and tritonclient's HTTP client) and to
the same artifact's code/inference.py in the SageMaker container request path, gets the same 4xx, the
same V2 error body and no internals; both servers keep answering, and the packaged smoke request passes
on both.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from model_packaging.serving_contract import infer_path, model_ready_path
from model_server.launch import free_ports, start_server, stop_server, wait_ready
from monitoring.smoke import Example, response_problems
from tests.model_packaging.sagemaker_container import extracted, invocation, serve_in_container

pytestmark = pytest.mark.slow
MODEL = "diabetes-progression"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(served_artifact: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    ports = free_ports()
    process = start_server(served_artifact, ports, tmp_path_factory.mktemp("mlserver-contract"))
    try:
        wait_ready(process, f"http://127.0.0.1:{ports.http}")
        yield f"http://127.0.0.1:{ports.http}", json.loads((served_artifact / "manifest.json").read_text())
    finally:
        stop_server(process)


def _with(request: dict[str, Any], change: Any) -> bytes:
    body = copy.deepcopy(request)
    change(body)
    return json.dumps(body).encode()


def _set(path: list[Any], value: Any) -> Any:
    def change(body: dict[str, Any]) -> None:
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def bad_inputs(request: dict[str, Any]) -> dict[str, tuple[bytes, int, str]]:
    """name -> (body, status, part of the message); the issue's list, plus the SageMaker caller mistakes."""
    nested: Any = [1.0]
    for _ in range(300):
        nested = [nested]
    rows = 10_001
    huge = copy.deepcopy(request)
    for tensor in huge["inputs"]:
        tensor["shape"], tensor["data"] = [rows], tensor["data"] * rows
    return {
        "garbage JSON": (b'{"inputs": [tru', 400, "the body is not valid JSON"),
        # Not UTF-8: the SageMaker toolkit used to decode it itself and answer 500 with a traceback; json.loads
        # would take the second one for UTF-16 and call it invalid JSON.
        "not UTF-8": (b'{"inputs": [], "id": "caf\xe9"}', 400, "the JSON body is not UTF-8"),
        "UTF-16 byte order mark": (b'\xff\xfe{\x00}\x00', 400, "the JSON body is not UTF-8"),
        "not an object": (b"[1, 2, 3]", 400, "expected a JSON object"),
        "inputs not a list": (b'{"inputs": 5}', 400, "'inputs' must be a non-empty list of tensors"),
        "tensor lacks data": (_with(request, lambda b: b["inputs"][0].pop("data")), 400, "lacks ['data']"),
        "missing input": (_with(request, lambda b: b["inputs"].pop(0)), 400, "missing input(s) ['age']"),
        "extra tensor": (_with(request, lambda b: b["inputs"].append({**b["inputs"][0], "name": "extra"})), 400,
                         "unknown input(s) ['extra']"),
        "unequal lengths": (_with(request, _set(["inputs", 1, "shape"], [2])), 400, "input 'sex' has 2 rows"),
        "string value": (_with(request, _set(["inputs", 0, "data"], ["x" * 5000])), 400, "is not a number"),
        "null in a non-nullable input": (_with(request, _set(["inputs", 2, "data"], [None])), 400,
                                         "input 'bmi' row 0 is None"),
        "wrong datatype": (_with(request, _set(["inputs", 0, "datatype"], "BYTES")), 400,
                           "input 'age' has datatype BYTES"),
        "too many rows": (json.dumps(huge).encode(), 413, "10001 rows exceed the limit of 10000"),
        "nested 300 deep": (_with(request, _set(["inputs", 0, "data"], nested)), 400,
                            "nested more than 2 lists deep"),
        "non-Latin-1 id": (_with(request, _set(["id"], "réquête-漢字")), 400, "'id' may hold only visible ASCII"),
        "CR/LF in the id": (_with(request, _set(["id"], "a\r\nSet-Cookie: x=1")), 400,
                            "'id' may hold only visible ASCII"),
        "70 KB id": (_with(request, _set(["id"], "i" * 70_000)), 400, "'id' is 70,000 characters long"),
        "beyond float32": (_with(request, _set(["inputs", 0, "data"], [1e39])), 400, "beyond float32's range"),
        "INT64 holding 1.5": (_with(request, lambda b: b["inputs"][0].update(datatype="INT64", data=[1.5])), 400,
                              "1.5 is not an integer, but the tensor's datatype is INT64"),
        "unknown output": (_with(request, _set(["outputs"], [{"name": "nope"}])), 400, "unknown output(s) ['nope']"),
    }


def assert_no_internals(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text and "site-packages" not in text
    assert len(text) < 1_000, text[:300]  # never the request echoed back


def test_every_bad_input_gets_the_same_4xx_and_message_on_both_targets(
        server, served_artifact: Path, tmp_path: Path) -> None:
    base, manifest = server
    request = manifest["example"]["request"]
    cases = bad_inputs(request)
    url = base + infer_path(MODEL)
    kubernetes = {}
    for name, (body, _, _) in cases.items():
        answer = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=30)
        assert_no_internals(answer.text)
        assert answer.headers["content-type"].startswith("application/json"), name
        kubernetes[name] = (answer.status_code, answer.json())
        assert httpx.get(base + model_ready_path(MODEL)).status_code == 200, f"server down after {name}"
    model_dir = extracted(served_artifact, tmp_path, "diabetes")
    jobs = {"diabetes": {"model_dir": str(model_dir), "requests": [
        invocation(body, "application/json", "application/json") for body, _, _ in cases.values()]}}
    (sagemaker,) = serve_in_container(jobs, tmp_path).values()
    for (name, (_, status, message)), (k8s_status, k8s_body), answer in zip(
            cases.items(), kubernetes.values(), sagemaker["answers"], strict=True):
        assert_no_internals(answer["body"].decode())
        assert (k8s_status, answer["status"]) == (status, status), (name, k8s_body, answer["body"][:300])
        assert list(k8s_body) == ["error"] and message in k8s_body["error"], (name, k8s_body)
        assert json.loads(answer["body"]) == k8s_body, name
    assert httpx.post(url, json=request).status_code == 200
    # The framework's own 404/405 in the same shape.
    for answer, status in ((httpx.get(url), 405), (httpx.post(base + "/v2/nothing-here", json={}), 404)):
        assert answer.status_code == status and list(answer.json()) == ["error"], answer.text


def test_the_smoke_request_passes_on_both_targets(server, served_artifact: Path, tmp_path: Path) -> None:
    base, manifest = server
    example = Example(request=manifest["example"]["request"], expected_outputs=manifest["example"]["expected_outputs"])
    kubernetes = httpx.post(base + infer_path(MODEL), json=example.request).json()
    assert response_problems(kubernetes, example) == []
    model_dir = extracted(served_artifact, tmp_path, "smoke")
    # What monitoring.smoke.invoke_sagemaker sends: the V2 request as JSON, Accept JSON.
    jobs = {"smoke": {"model_dir": str(model_dir), "requests": [
        invocation(json.dumps(example.request), "application/json", "application/json")]}}
    (answer,) = serve_in_container(jobs, tmp_path)["smoke"]["answers"]
    assert answer["status"] == 200
    assert response_problems(json.loads(answer["body"]), example) == []


def test_tritonclient_sees_v2_errors_and_requested_outputs(server) -> None:
    import tritonclient.http as triton
    from tritonclient.utils import InferenceServerException

    base, manifest = server
    client = triton.InferenceServerClient(url=base.removeprefix("http://"))
    request = manifest["example"]["request"]

    def inputs(override: dict[str, tuple[str, np.ndarray]]) -> list[Any]:
        built = []
        for tensor in request["inputs"]:
            datatype, values = override.get(tensor["name"], ("FP64", np.asarray(tensor["data"], dtype=np.float64)))
            item = triton.InferInput(tensor["name"], list(values.shape), datatype)
            item.set_data_from_numpy(values, binary_data=False)
            built.append(item)
        return built

    answer = client.infer(MODEL, inputs({}), outputs=[triton.InferRequestedOutput("progression", binary_data=False)])
    np.testing.assert_allclose(answer.as_numpy("progression"), manifest["example"]["expected_outputs"][0]["data"])
    for override, message in [
        ({"bmi": ("FP64", np.array([1e39]))}, "input 'bmi' row 0 is beyond float32's range"),
        ({"age": ("INT64", np.array([[1], [2]], dtype=np.int64))}, "input 'sex' has 1 rows but 'age' has 2"),
    ]:
        with pytest.raises(InferenceServerException) as caught:
            client.infer(MODEL, inputs(override))
        assert caught.value.status() == "400" and message in caught.value.message(), caught.value.message()
    with pytest.raises(InferenceServerException) as caught:
        client.infer(MODEL, inputs({}), outputs=[triton.InferRequestedOutput("nope", binary_data=False)])
    assert caught.value.status() == "400" and "unknown output(s) ['nope']" in caught.value.message()
    assert client.is_model_ready(MODEL)


def test_metadata_comes_from_the_signature_and_a_client_builds_requests_from_it(server, served_artifact: Path) -> None:
    import pandas as pd
    import tritonclient.http as triton

    from deployment_spec import load_spec

    base, manifest = server
    client = triton.InferenceServerClient(url=base.removeprefix("http://"))
    metadata = client.get_model_metadata(MODEL)
    signature = load_spec(REPO / "deployments/diabetes-progression.yaml").for_environment("dev").spec.model.signature
    assert metadata["platform"] == "onnxruntime_onnx" and metadata["versions"] == [manifest["model"]["version"]]
    assert [(t["name"], t["datatype"], t["shape"]) for t in metadata["inputs"]] == [
        (f.name, "FP64", [-1]) for f in signature.inputs]
    assert [(t["name"], t["datatype"], t["shape"]) for t in metadata["outputs"]] == [("progression", "FP64", [-1])]
    # A generic client: every tensor built from the metadata alone, filled from the reference sample.
    reference = pd.read_csv(REPO / "examples/artifacts/diabetes-progression/reference.csv").head(5)
    dtypes = {"FP64": np.float64, "FP32": np.float32, "INT64": np.int64}
    tensors = []
    for tensor in metadata["inputs"]:
        values = reference[tensor["name"]].to_numpy(dtype=dtypes[tensor["datatype"]])
        item = triton.InferInput(tensor["name"], [len(values)], tensor["datatype"])
        item.set_data_from_numpy(values, binary_data=False)
        tensors.append(item)
    requested = [triton.InferRequestedOutput(t["name"], binary_data=False) for t in metadata["outputs"]]
    answer = client.infer(MODEL, tensors, outputs=requested)
    import joblib

    original = joblib.load(REPO / "examples/artifacts/diabetes-progression/model.joblib")
    np.testing.assert_allclose(answer.as_numpy("progression"),
                               original.predict(reference[[f.name for f in signature.inputs]]), rtol=1e-4)
