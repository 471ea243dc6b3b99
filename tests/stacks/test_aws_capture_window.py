"""Scheduled jobs read only their window's hour partitions: the rendered state machine, run against moto.

The drift state machine of the planned stack is executed state by state as Step Functions would:
its JSONata states are evaluated with a JSONata implementation (jsonata-python), its `aws-sdk:s3:*`
tasks are the same S3 calls made with boto3 against moto, with a week of captures spread over every
hour. Then the manifest it wrote is read the way SageMaker's ManifestFile input reads it, and the job's
own command (`slipstack drift ...` from the definition, paths as the container sees them) runs on
exactly what that input would download.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import jsonata
import pytest
from moto import mock_aws

from infra.aws.processing_job_schedule import SYNC_PROCESSING_JOB
from tests.monitoring.capture_fixtures import capture_line, classifier_reply
from tests.stacks.test_aws_monitoring_jobs import machines, run

REGION = "eu-west-1"
BUCKET = "churn-score-staging-artifacts-eu-west-1"
ROOT = "data-capture/churn-score-staging/primary/"
START = datetime(2026, 3, 1, 10, 4, 31, tzinfo=UTC)  # the execution's start: 10:04 on a Sunday


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().replace("v_2", "v2")


def _jsonata(text: str, variables: dict[str, Any], states: dict[str, Any]) -> Any:
    """A `{% ... %}` field, with the state's variables and $states bound as Step Functions binds them."""
    expression = jsonata.Jsonata(text.removeprefix("{%").removesuffix("%}").strip())
    bindings = {**variables, "states": states}
    for key, value in bindings.items():
        expression.assign(key, value)
    return expression.evaluate(None)


def _resolve(value: Any, variables: dict[str, Any], states: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{%"):
        return _jsonata(value, variables, states)
    if isinstance(value, dict):
        return {k: _resolve(v, variables, states) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, variables, states) for v in value]
    return value


def _plain(value: Any) -> Any:
    """An AWS SDK response as Step Functions hands it to JSONata (JSON: timestamps as strings)."""
    return json.loads(json.dumps(value, default=str))


def execute_until_first_job(definition: dict[str, Any], s3: Any, execution: str, started: datetime) -> dict[str, Any]:
    """Run the states before the first Processing job; return that job's parameters (or the Succeed state)."""
    context = {"Execution": {"Name": execution, "StartTime": started.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}}
    variables: dict[str, Any] = {}
    name = definition["StartAt"]
    state_input: Any = {}
    calls: list[dict[str, Any]] = []
    for _ in range(1000):
        state = definition["States"][name]
        if state["Type"] == "Task" and state["Resource"] == SYNC_PROCESSING_JOB:
            return {"state": name, "parameters": state["Parameters"], "calls": calls}
        if state["Type"] == "Succeed":
            return {"state": name, "calls": calls}
        assert state.get("QueryLanguage") == "JSONata", f"{name}: the listing states use JSONata"
        states = {"input": state_input, "context": context}
        result: Any = None
        if state["Type"] == "Task":
            service, _, action = state["Resource"].removeprefix("arn:aws:states:::aws-sdk:").partition(":")
            assert service == "s3", state["Resource"]
            arguments = _resolve(state["Arguments"], variables, states)
            calls.append({"action": action, **{k: v for k, v in arguments.items() if k != "Body"}})
            if "Body" in arguments:
                arguments["Body"] = arguments["Body"].encode()
            result = _plain(getattr(s3, _camel_to_snake(action))(**arguments))
            result.pop("ResponseMetadata", None)
            states["result"] = result
        if state["Type"] == "Choice":
            name = next((choice["Next"] for choice in state["Choices"]
                         if _jsonata(choice["Condition"], variables, states)), state["Default"])
            continue
        # Assign sees the values from before the state (all assignments at once), as Step Functions does.
        variables = {**variables, **_resolve(state.get("Assign", {}), variables, states)}
        state_input = _resolve(state.get("Output", "{% $states.input %}"), variables, states)
        name = state["Next"]
    raise AssertionError("the listing states never reached a job")


def download_manifest_input(s3: Any, manifest_uri: str, local: Path) -> list[str]:
    """What a ManifestFile input puts in LocalPath: every listed object, at its path relative to the prefix."""
    bucket, _, key = manifest_uri.removeprefix("s3://").partition("/")
    header, *relative = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    prefix_bucket, _, prefix = header["prefix"].removeprefix("s3://").partition("/")
    for item in relative:
        target = local / item
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket=prefix_bucket, Key=prefix + item)["Body"].read())
    return relative


def _week_of_captures(s3: Any, until: datetime, files_per_hour: int = 3) -> dict[str, datetime]:
    """A capture file every 20 minutes for 7 days up to `until`, as SageMaker lays them out."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    keys: dict[str, datetime] = {}
    hour = (until - timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    while hour <= until:
        for index in range(files_per_hour):
            written = hour + timedelta(minutes=20 * index)
            if written > until:
                break
            lines = [capture_line("EndpointInput", classifier_reply([0], [0.2], "application/json"),
                                  inference_time=f"{written:%Y-%m-%dT%H:%M:%SZ}", input_csv="1.0,2.0")
                     for _ in range(4)]
            key = f"{ROOT}{hour:%Y/%m/%d/%H}/{written:%M-%S}-000-{index:08x}.jsonl"
            s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(lines).encode())
            keys[key] = hour
        hour += timedelta(hours=1)
    return keys


def write_profile(path: Path) -> None:
    """A reference profile of the test spec's two inputs, where the job's profile input lands."""
    import numpy as np
    import pandas as pd

    from monitoring.profile import build_profile

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"tenure": rng.normal(1.0, 0.5, 500), "spend": rng.normal(2.0, 0.5, 500)})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_profile(frame).model_dump_json())


@pytest.fixture
def drift_definition(pulumi_run: Any, tmp_path: Path) -> dict[str, Any]:
    recorded = run(pulumi_run, tmp_path)
    return json.loads(machines(recorded)["churn-score-staging-drift"]["definition"])


def test_the_drift_job_reads_only_its_window_of_a_week_of_captures(drift_definition: dict[str, Any],
                                                                  tmp_path: Path) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        captured = _week_of_captures(s3, START)
        outcome = execute_until_first_job(drift_definition, s3, "run-1", START)
        assert outcome["state"] == "ComputeShardPartials"
        capture = next(i for i in outcome["parameters"]["ProcessingInputs"] if i["InputName"] == "capture")["S3Input"]
        assert capture["S3DataType"] == "ManifestFile" and capture["S3DataDistributionType"] == "ShardedByS3Key"
        uri = re.fullmatch(r"States\.Format\('(.*)', \$\$\.Execution\.Name\)", capture["S3Uri.$"]).group(1)
        downloaded = download_manifest_input(s3, uri.replace("{}", "run-1"), tmp_path / "capture")
        head = s3.head_object(Bucket=BUCKET, Key=uri.replace("{}", "run-1").split(f"{BUCKET}/", 1)[1])
        assert head["ServerSideEncryption"] == "aws:kms"
    # An hourly job reads 2h: the partitions of 08, 09 and 10 o'clock, nothing older, however long the history.
    wanted_hours = {START.replace(minute=0, second=0) - timedelta(hours=h) for h in (0, 1, 2)}
    assert sorted(downloaded) == sorted(k.removeprefix(ROOT) for k, hour in captured.items() if hour in wanted_hours)
    assert len(downloaded) == 3 * 2 + 1 < len(captured) / 50  # 7 of the week's 505 files
    # One page sufficed: the listing started after the window's first hour folder, not at the beginning.
    assert outcome["calls"][0]["StartAfter"] == f"{ROOT}2026/03/01/08/"
    assert [c["action"] for c in outcome["calls"]] == ["listObjectsV2", "putObject"]


def test_a_window_listed_over_many_pages_is_complete(drift_definition: dict[str, Any]) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        hour = START.replace(minute=0, second=0)
        for index in range(2500):  # 2,500 files in the current hour: three pages of 1,000
            s3.put_object(Bucket=BUCKET, Key=f"{ROOT}{hour:%Y/%m/%d/%H}/f-{index:05d}.jsonl", Body=b"{}")
        s3.put_object(Bucket=BUCKET, Key=f"{ROOT}{hour - timedelta(hours=5):%Y/%m/%d/%H}/old.jsonl", Body=b"{}")
        outcome = execute_until_first_job(drift_definition, s3, "run-2", START)
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key="job-manifests/run-2/capture.manifest")["Body"].read())
    assert [c["action"] for c in outcome["calls"]] == ["listObjectsV2"] * 3 + ["putObject"]
    assert manifest[0] == {"prefix": f"s3://{BUCKET}/{ROOT}"}
    assert len(manifest) == 1 + 2500 and "old.jsonl" not in json.dumps(manifest)


def test_a_window_without_captures_starts_no_job(drift_definition: dict[str, Any]) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=BUCKET, Key=f"{ROOT}2026/02/20/10/old.jsonl", Body=b"{}")
        outcome = execute_until_first_job(drift_definition, s3, "run-3", START)
    assert outcome["state"] == "NoCaptureInWindow"
    assert [c["action"] for c in outcome["calls"]] == ["listObjectsV2"]


def test_the_shard_command_runs_on_what_the_manifest_input_downloads(
    drift_definition: dict[str, Any], tmp_path: Path
) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        _week_of_captures(s3, START)
        outcome = execute_until_first_job(drift_definition, s3, "run-4", START)
        inputs = {i["InputName"]: i["S3Input"] for i in outcome["parameters"]["ProcessingInputs"]}
        container = tmp_path / "container"
        local = Path(str(container) + inputs["capture"]["LocalPath"])
        download_manifest_input(s3, f"s3://{BUCKET}/job-manifests/run-4/capture.manifest", local)
    profile_dir = Path(str(container) + inputs["profile"]["LocalPath"])
    write_profile(profile_dir / inputs["profile"]["S3Uri"].rsplit("/", 1)[-1])
    # The container's command, with /opt/ml/processing under a temporary root instead.
    argv = [a.replace("/opt/ml/processing", f"{container}/opt/ml/processing")
            for a in outcome["parameters"]["AppSpecification"]["ContainerEntrypoint"]]
    assert argv[:2] == ["slipstack", "drift"]
    since = argv[argv.index("--since") + 1]
    result = subprocess.run([sys.executable, "-m", "slipstack", *argv[1:], "--until", START.isoformat()],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    partials = list(Path(argv[argv.index("--partials-out") + 1]).glob("shard-*.json"))
    assert len(partials) == 1 and since == "2h"
    assert json.loads(partials[0].read_text())["partial"]["rows"] == 7 * 4  # the rows of the window's 7 files only
