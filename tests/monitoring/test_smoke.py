from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from monitoring.smoke import Example, response_problems, run_smoke

REQUEST = {"inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6]}]}
GOOD = {"model_name": "churn", "outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [0, 1]}]}
EXAMPLE = Example(request=REQUEST, expected_outputs=[0, 1])


@pytest.fixture
def v2_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A tiny V2 peer on 127.0.0.1 that answers with GOOD and records what it was sent."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"path": self.path, "body": body})
            payload = json.dumps(GOOD if self.path == "/v2/models/churn/infer" else {"error": "no model"}).encode()
            self.send_response(200 if self.path == "/v2/models/churn/infer" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def test_v2_endpoint_passes_and_wrong_model_fails(v2_server: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = v2_server
    models = {
        "churn": {"onprem": {"service_url": url, "namespace": "ml", "model_name": "churn"}},
        "typo": {"onprem": {"service_url": url, "namespace": "ml", "model_name": "chrun"}},
    }
    result = run_smoke(models, EXAMPLE, targets=("onprem",), timeout=5)
    assert [c.passed for c in result.checks] == [True, False] and not result.passed
    assert "404" in result.checks[1].problems[0]
    assert received[0] == {"path": "/v2/models/churn/infer", "body": REQUEST}


def _sagemaker_smoke(response: dict[str, Any]):
    # moto answers invoke_endpoint from a queue of canned results; one queue per mocked account.
    with mock_aws():
        requests.post(
            "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
            json={
                "region": "eu-west-1",
                "results": [{"Body": json.dumps(response), "ContentType": "application/json"}],
            },
            timeout=5,
        )
        client = boto3.client("sagemaker-runtime", region_name="eu-west-1")
        models = {"churn": {"aws": {"endpoint_name": "churn-prod", "endpoint_arn": "arn:x", "region": "eu-west-1"}}}
        return run_smoke(models, EXAMPLE, targets=("aws",), sagemaker_client=client)


def test_sagemaker_endpoint_via_moto() -> None:
    good = _sagemaker_smoke(GOOD)
    assert good.passed and good.checks[0].endpoint == "churn-prod"
    bad = _sagemaker_smoke({"outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 1]}]})
    assert not bad.passed
    assert bad.checks[0].problems == ["output 'label' is [1, 1], expected [0, 1]"]


def test_response_problems_check_the_signature() -> None:
    assert response_problems({"outputs": [{"name": "l", "shape": [3], "datatype": "INT64", "data": [0, 1]}]}, EXAMPLE)[
        :2
    ] == ["output 'l' has shape [3] but 2 values", "output 'l' answers 3 rows, the request sent 2"]
    assert "not a V2 inference response" in response_problems({"predictions": [0, 1]}, EXAMPLE)[0]
    named = Example(request=REQUEST, expected_outputs=[{"name": "label", "data": [0, 1]}])
    assert response_problems(GOOD, named) == []
