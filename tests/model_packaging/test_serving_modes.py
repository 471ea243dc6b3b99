"""The packaged `code/inference.py`, driven through the sagemaker-inference toolkit with what each mode sends.

The handler runs as the scikit-learn serving container runs it: from the extracted model.tar.gz, in a
separate isolated interpreter without onnxruntime or Slipstack, loaded by the toolkit's
`DefaultHandlerService` with a multi-model-server request `Context`, and with the container environment the
`modes` stack's plan gives the SageMaker Model (so `SLIPSTACK_SERVING_MODE` is the plan's). What each mode
sends is built from the plan too:
- serverless: a real-time invocation body (CSV rows, JSON back);
- async: the bytes of the S3 object a caller uploaded under the input prefix (written to and read back
  from moto's S3, as SageMaker fetches it);
- batch: the transform request's SplitType Line / BatchStrategy / MaxPayloadInMB: records packed into
  mini-batches the way SageMaker packs them, ContentType and Accept as the request names them, the
  outputs assembled by line.
Answers are compared with the original model's own predictions. #20 owns the handler's messages and
caps; these tests assert behaviour (status, shape, the line a bad record is on), not wording.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from model_packaging.archive import write_archive
from stacks.aws_serving_modes import MEBIBYTE

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "examples" / "artifacts" / "breast-cancer-screening" / "reference.csv"
MODEL = REPO / "examples" / "artifacts" / "breast-cancer-screening" / "model.joblib"

# Runs in the child: block what the container does not have, then serve every request through the toolkit.
CONTAINER_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    for blocked in ("onnxruntime", "onnx", "skl2onnx", "onnxmltools", "model_packaging", "contracts", "stacks"):
        sys.modules[blocked] = None  # import raises ImportError, as in the framework container
    job = json.loads(sys.stdin.read())
    os.environ.update(job["environment"])
    # The container puts <model dir>/code on the worker's path (SAGEMAKER_SUBMIT_DIRECTORY).
    sys.path.insert(0, os.path.join(job["model_dir"], "code"))
    from mms.context import Context, RequestProcessor
    from sagemaker_inference.default_handler_service import DefaultHandlerService

    context = Context("model", job["model_dir"], {}, 1, None, "1.1.11")
    context.request_processor = [RequestProcessor({})]
    service = DefaultHandlerService()
    service.initialize(context)
    results = []
    for request in job["requests"]:
        with open(request["body_file"], "rb") as handle:
            body = handle.read()
        context.request_processor = [RequestProcessor({"Content-Type": request["content_type"],
                                                       "Accept": request["accept"]})]
        response = service.handle([{"body": body}], context)[0]
        code, phrase = context.get_response_status(0)
        results.append({"status": code, "phrase": phrase,
                        "content_type": context.get_response_content_type(0),
                        "body": response.decode() if isinstance(response, bytes) else str(response)})
    print(json.dumps(results))
    """
)


class Container:
    """One extracted artifact, served by the toolkit with one mode's environment."""

    def __init__(self, model_dir: Path, environment: dict[str, str], workdir: Path):
        self.model_dir, self.environment, self.workdir = model_dir, environment, workdir

    def invoke(self, requests: list[tuple[bytes, str, str]]) -> list[dict[str, Any]]:
        jobs = []
        for index, (body, content_type, accept) in enumerate(requests):
            path = self.workdir / f"request-{index}"
            path.write_bytes(body)
            jobs.append({"body_file": str(path), "content_type": content_type, "accept": accept})
        job = {"model_dir": str(self.model_dir), "environment": self.environment, "requests": jobs}
        done = subprocess.run(
            [sys.executable, "-I", "-c", CONTAINER_SCRIPT], input=json.dumps(job), capture_output=True,
            text=True, cwd=self.workdir, timeout=300, check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return list(json.loads(done.stdout.strip().splitlines()[-1]))


def plan_resource(plan: dict[str, Any], token: str, prefix: str) -> dict[str, Any]:
    (found,) = [r["inputs"] for r in plan["resources"] if r["type"] == token and r["name"].startswith(prefix)]
    return dict(found)


@pytest.fixture(scope="module")
def modes_plan(shipped_plan: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    return shipped_plan("modes")


@pytest.fixture(scope="module")
def container(
    modes_plan: dict[str, Any], packaged_examples: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Container]:
    def make(model: str) -> Container:
        workdir = tmp_path_factory.mktemp(model)
        archive = workdir / "model.tar.gz"
        write_archive(packaged_examples[f"{model}@1.0.0"], archive)
        model_dir = workdir / "opt-ml-model"  # what SageMaker extracts ModelDataUrl into
        model_dir.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(model_dir, filter="data")
        container_inputs = plan_resource(modes_plan, "aws:sagemaker/model:Model", model)["primaryContainer"]
        return Container(model_dir, dict(container_inputs["environment"]), workdir)

    return make


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    frame = pd.read_csv(REFERENCE).drop(columns=["target"])
    return frame


def expected_labels(frame: pd.DataFrame) -> list[int]:
    model = joblib.load(MODEL)
    return [int(v) for v in model.predict(frame)]


def csv_body(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(header=False, index=False).encode()


def repeated(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    return pd.concat([frame] * (count // len(frame) + 1), ignore_index=True).head(count)


def csv_lines(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def test_every_mode_tells_the_handler_its_mode(modes_plan: dict[str, Any]) -> None:
    for model, mode in (("screening-serverless", "serverless"), ("screening-async", "async"),
                        ("screening-batch", "batch")):
        environment = plan_resource(modes_plan, "aws:sagemaker/model:Model", model)["primaryContainer"]["environment"]
        assert environment["SLIPSTACK_SERVING_MODE"] == mode
        assert environment["SAGEMAKER_PROGRAM"] == "inference.py"


def test_serverless_invocation_returns_one_prediction_per_row(
    container: Callable[[str], Container], rows: pd.DataFrame
) -> None:
    sample = rows.head(200)
    (as_json, as_csv) = container("screening-serverless").invoke(
        [(csv_body(sample), "text/csv", "application/json"), (csv_body(sample), "text/csv", "text/csv")]
    )
    assert as_json["status"] == 200 and as_json["content_type"].startswith("application/json")
    answer = json.loads(as_json["body"])
    assert answer["label"] == expected_labels(sample)
    assert np.asarray(answer["probabilities"]).shape == (200, 2)
    assert as_csv["status"] == 200
    lines = csv_lines(as_csv["body"])
    assert len(lines) == 200 and all(len(line) == 3 for line in lines)
    assert [int(float(line[0])) for line in lines] == expected_labels(sample)


def test_async_request_is_the_uploaded_s3_object(
    container: Callable[[str], Container], rows: pd.DataFrame, modes_plan: dict[str, Any]
) -> None:
    import boto3
    from moto import mock_aws

    invoker = json.loads(plan_resource(modes_plan, "aws:iam/policy:Policy", "screening-async-invokers")["policy"])
    (upload,) = [s for s in invoker["Statement"] if s["Sid"] == "UploadAsyncRequests"]
    bucket, _, prefix = upload["Resource"][0].removeprefix("arn:aws:s3:::").rstrip("*").partition("/")
    sample = repeated(rows, 3000)
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        key = f"{prefix}slide-0001.csv"
        s3.put_object(Bucket=bucket, Key=key, Body=csv_body(sample), ContentType="text/csv")
        # SageMaker reads InputLocation and posts the object's bytes, with the ContentType and Accept the
        # caller gave InvokeEndpointAsync.
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    (result,) = container("screening-async").invoke([(body, "text/csv", "text/csv")])
    assert result["status"] == 200
    lines = csv_lines(result["body"])
    assert len(lines) == 3000 and all(len(line) == 3 for line in lines)
    assert [int(float(line[0])) for line in lines] == expected_labels(sample)


def test_async_accepts_bodies_above_the_real_time_cap(
    container: Callable[[str], Container], rows: pd.DataFrame, packaged_examples: dict[str, Path]
) -> None:
    manifest = json.loads((packaged_examples["screening-async@1.0.0"] / "manifest.json").read_text())
    limits = (manifest.get("runtime") or {}).get("limits")
    if not limits:
        pytest.skip("this handler has no per-mode size limits yet (issue #20 adds them to manifest.json)")
    over_online = limits["online"]["max_rows"] + 2000
    async_container = container("screening-async")
    online = Container(async_container.model_dir, {**async_container.environment, "SLIPSTACK_SERVING_MODE": "online"},
                       async_container.workdir)
    body = csv_body(repeated(rows, over_online))
    (as_async,) = async_container.invoke([(body, "text/csv", "text/csv")])
    (as_online,) = online.invoke([(body, "text/csv", "text/csv")])
    assert as_async["status"] == 200 and len(csv_lines(as_async["body"])) == over_online
    assert 400 <= as_online["status"] < 500, as_online


def mini_batches(records: list[bytes], max_payload_mb: int, strategy: str) -> list[bytes]:
    """What a transform job sends: whole records (SplitType Line), packed up to MaxPayloadInMB (MultiRecord)."""
    if strategy == "SingleRecord":
        return records
    limit = max_payload_mb * MEBIBYTE
    batches: list[bytes] = []
    current = b""
    for record in records:
        if current and len(current) + len(record) > limit:
            batches.append(current)
            current = b""
        current += record
    if current:
        batches.append(current)
    return batches


def transform_request(modes_plan: dict[str, Any]) -> dict[str, Any]:
    schedule = plan_resource(modes_plan, "aws:scheduler/schedule:Schedule", "screening-batch")
    return dict(json.loads(schedule["target"]["input"]))


def test_batch_mini_batches_give_one_output_line_per_record(
    container: Callable[[str], Container], rows: pd.DataFrame, modes_plan: dict[str, Any]
) -> None:
    request = transform_request(modes_plan)
    assert request["TransformInput"]["SplitType"] == "Line"
    sample = repeated(rows, 12_000)
    records = [line + b"\n" for line in csv_body(sample).splitlines()]
    batches = mini_batches(records, request["MaxPayloadInMB"], request["BatchStrategy"])
    assert len(batches) > 1, "the input should need several mini-batches"
    assert all(len(batch) <= request["MaxPayloadInMB"] * MEBIBYTE for batch in batches)
    content_type, accept = request["TransformInput"]["ContentType"], request["TransformOutput"]["Accept"]
    results = container("screening-batch").invoke([(batch, content_type, accept) for batch in batches])
    assert [r["status"] for r in results] == [200] * len(batches)
    # AssembleWith Line: the outputs of the mini-batches, one after the other, line by line.
    assembled = "".join(r["body"] if r["body"].endswith("\n") else r["body"] + "\n" for r in results)
    lines = csv_lines(assembled)
    assert len(lines) == len(records)
    assert all(len(line) == 3 for line in lines)  # label, then the two class probabilities
    assert [int(float(line[0])) for line in lines] == expected_labels(sample)


@pytest.mark.parametrize(
    ("make_input", "bad_line"),
    [
        (lambda frame: frame.to_csv(header=True, index=False), 1),  # a header: the documented format has none
        (lambda frame: "".join(
            "mean radius,not a number\n" if index == 4 else line + "\n"
            for index, line in enumerate(frame.to_csv(header=False, index=False).splitlines())
        ), 5),
    ],
    ids=["header", "bad-record"],
)
def test_a_batch_file_the_handler_cannot_read_fails_naming_the_line(
    container: Callable[[str], Container], rows: pd.DataFrame, modes_plan: dict[str, Any],
    make_input: Callable[[pd.DataFrame], str], bad_line: int,
) -> None:
    request = transform_request(modes_plan)
    records = [line + b"\n" for line in make_input(rows.head(50)).encode().splitlines()]
    (first, *_rest) = mini_batches(records, request["MaxPayloadInMB"], request["BatchStrategy"])
    (result,) = container("screening-batch").invoke(
        [(first, request["TransformInput"]["ContentType"], request["TransformOutput"]["Accept"])]
    )
    # A client error fails the transform job (and so reaches the alert topic through the failure rule).
    assert 400 <= result["status"] < 600 and result["status"] != 200
    assert re.search(rf"\bline {bad_line}\b", result["body"], re.IGNORECASE), result["body"][:500]
