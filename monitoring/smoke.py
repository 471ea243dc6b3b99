"""Smoke test after deploy: send the packaged example request to every deployed endpoint.

SageMaker endpoints are invoked through the ``sagemaker-runtime`` API, Kubernetes services over
the Open Inference Protocol (V2, ``POST {service_url}/v2/models/{name}/infer``). A response passes
when it is a V2 response whose outputs agree with their declared shape and datatype, answer every
row of the request, and match the expected outputs (numbers to a relative 1e-4).
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitoring.errors import InputDataError

Target = Literal["aws", "onprem"]


class Example(BaseModel):
    """The packaged example: a V2 inference request and the outputs the model gave at packaging."""

    model_config = ConfigDict(extra="ignore")

    request: dict[str, Any]
    expected_outputs: list[Any]


class EndpointCheck(BaseModel):
    model: str
    target: Target
    endpoint: str
    passed: bool
    latency_ms: float | None = None
    problems: list[str] = Field(default_factory=list)


class SmokeResult(BaseModel):
    passed: bool
    checks: list[EndpointCheck]


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputDataError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputDataError(f"{path}: the {what} file is not readable JSON ({error})") from None


def example_from_manifest(path: Path) -> Example:
    manifest = _read_json(path, "manifest")
    if not isinstance(manifest, dict) or "example" not in manifest:
        raise InputDataError(
            f"{path}: no 'example' key; package the model with an example or pass --request/--expected"
        )
    try:
        return Example.model_validate(manifest["example"])
    except ValidationError as error:
        raise InputDataError(f"{path}: invalid 'example': {error.errors()[0]['msg']}") from None


def example_from_files(request: Path, expected: Path) -> Example:
    expected_outputs = _read_json(expected, "expected outputs")
    if isinstance(expected_outputs, dict) and "outputs" in expected_outputs:
        expected_outputs = expected_outputs["outputs"]
    if not isinstance(expected_outputs, list):
        raise InputDataError(f"{expected}: expected outputs must be a JSON list (or a V2 response)")
    body = _read_json(request, "request")
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise InputDataError(f"{request}: not a V2 inference request (needs an 'inputs' list)")
    return Example(request=body, expected_outputs=expected_outputs)


def deployed_models(outputs: Any, source: str) -> dict[str, dict[str, Any]]:
    """The ``models`` map of the stack outputs: {name: {"aws": {...}, "onprem": {...}}}."""
    models = outputs.get("models") if isinstance(outputs, dict) else None
    if not isinstance(models, dict) or not models:
        raise InputDataError(f"{source}: the stack outputs have no 'models' map; is this the right stack?")
    return models


def _flatten(data: Any) -> list[Any]:
    if isinstance(data, list):
        return [v for item in data for v in _flatten(item)]
    return [data]


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=1e-4, abs_tol=1e-6)
    return bool(actual == expected)


def response_problems(response: Any, example: Example) -> list[str]:
    """What is wrong with a V2 response to the example request (empty when it passes)."""
    if not isinstance(response, dict) or not isinstance(response.get("outputs"), list) or not response["outputs"]:
        return [f"not a V2 inference response (no 'outputs'): {str(response)[:200]}"]
    problems: list[str] = []
    inputs = example.request.get("inputs") or [{}]
    rows = (inputs[0].get("shape") or [None])[0]
    outputs = response["outputs"]
    for output in outputs:
        name = output.get("name", "?")
        shape, data = output.get("shape"), _flatten(output.get("data"))
        if not isinstance(shape, list) or "datatype" not in output:
            problems.append(f"output {name!r} lacks shape or datatype")
            continue
        if math.prod(shape) != len(data):
            problems.append(f"output {name!r} has shape {shape} but {len(data)} values")
        if rows is not None and shape and shape[0] != rows:
            problems.append(f"output {name!r} answers {shape[0]} rows, the request sent {rows}")
    expected = example.expected_outputs
    if expected and all(isinstance(e, dict) and "data" in e for e in expected):
        by_name = {o.get("name"): o for o in outputs}
        pairs = [
            (e.get("name", f"#{i}"), by_name.get(e.get("name")) or (outputs[i] if i < len(outputs) else None), e)
            for i, e in enumerate(expected)
        ]
    else:
        pairs = [(outputs[0].get("name", "#0"), outputs[0], {"data": expected})]
    for name, actual, wanted in pairs:
        if actual is None:
            problems.append(f"output {name!r} is missing from the response")
            continue
        got, want = _flatten(actual.get("data")), _flatten(wanted["data"])
        if len(got) != len(want) or not all(_same(a, b) for a, b in zip(got, want, strict=False)):
            problems.append(f"output {name!r} is {got[:10]}, expected {want[:10]}")
    return problems


def invoke_sagemaker(client: Any, endpoint_name: str, request: dict[str, Any]) -> Any:
    response = client.invoke_endpoint(
        EndpointName=endpoint_name,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps(request).encode("utf-8"),
    )
    return json.loads(response["Body"].read())


def invoke_v2(service_url: str, model_name: str, request: dict[str, Any], timeout: float) -> Any:
    url = f"{service_url.rstrip('/')}/v2/models/{model_name}/infer"
    body = json.dumps(request).encode("utf-8")
    http_request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(http_request, timeout=timeout) as response:
        return json.loads(response.read())


def run_smoke(
    models: dict[str, dict[str, Any]],
    example: Example,
    *,
    targets: tuple[Target, ...] = ("aws", "onprem"),
    only_model: str | None = None,
    sagemaker_client: Any = None,
    timeout: float = 30.0,
) -> SmokeResult:
    """Invoke each deployed endpoint once; an endpoint that cannot be reached fails its check."""
    from botocore.exceptions import BotoCoreError, ClientError

    if only_model is not None and only_model not in models:
        raise InputDataError(f"model {only_model!r} is not in the stack outputs (deployed: {sorted(models)})")
    checks: list[EndpointCheck] = []
    for model, endpoints in models.items():
        if only_model is not None and model != only_model:
            continue
        for target in targets:
            endpoint = endpoints.get(target) if isinstance(endpoints, dict) else None
            if not endpoint:
                continue
            started = time.perf_counter()
            try:
                if target == "aws":
                    client = sagemaker_client
                    if client is None:
                        import boto3

                        client = boto3.client("sagemaker-runtime", region_name=endpoint.get("region"))
                    label = endpoint["endpoint_name"]
                    response = invoke_sagemaker(client, label, example.request)
                else:
                    label = f"{endpoint['service_url']} ({endpoint['model_name']})"
                    response = invoke_v2(endpoint["service_url"], endpoint["model_name"], example.request, timeout)
                problems = response_problems(response, example)
            except KeyError as error:
                label, problems = str(endpoint), [f"stack output lacks {error}"]
            except (BotoCoreError, ClientError, urllib.error.URLError, OSError, json.JSONDecodeError) as error:
                problems = [f"request failed: {error}"]
            checks.append(
                EndpointCheck(
                    model=model,
                    target=target,
                    endpoint=label,
                    passed=not problems,
                    latency_ms=round((time.perf_counter() - started) * 1000, 1),
                    problems=problems,
                )
            )
    if not checks:
        raise InputDataError(f"no {'/'.join(targets)} endpoint in the stack outputs to test")
    return SmokeResult(passed=all(c.passed for c in checks), checks=checks)
