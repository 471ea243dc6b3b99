"""Every CloudWatch alarm of every shipped AWS plan has a publisher in the same plan, and our publishers
put exactly the namespace, metric name and dimensions the alarm watches (run against moto).

Publishers: SageMaker itself for `AWS/SageMaker` and `/aws/sagemaker/Endpoints` (an endpoint of that name
with that variant in the plan), Step Functions for `AWS/States` (a state machine of that ARN), and our
jobs for `contracts.metrics.CLOUDWATCH_NAMESPACE`: a state machine whose step runs a `slipstack` command
with `--cloudwatch` for that model and environment. Those commands are then run as the Processing job
would run them (the rendered argv, only the container paths swapped for local ones), under moto.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from contracts import metrics
from contracts import type_tokens as t
from monitoring.quality import CLOUDWATCH_SUFFIX
from tests.infra.k8s.alert_sources import shifted_rows

AWS_STACKS = ("staging", "prod")
SFN = "aws:sfn/stateMachine:StateMachine"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SERVICE_NAMESPACES = ("AWS/SageMaker", "/aws/sagemaker/Endpoints")


def of_type(plan: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in plan["resources"] if r["type"] == token]


def job_steps(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """State machine name -> its Processing steps (name, argv)."""
    found = {}
    for machine in of_type(plan, SFN):
        states = json.loads(machine["definition"])["States"]
        found[machine["name"]] = [
            {"state": name, "argv": state["Parameters"]["AppSpecification"]["ContainerEntrypoint"]}
            for name, state in states.items() if "AppSpecification" in state.get("Parameters", {})]
    return found


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def publishers_of(alarm: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    namespace, dimensions = alarm["namespace"], alarm["dimensions"]
    if namespace in SERVICE_NAMESPACES:
        endpoints = {e["name"] for e in of_type(plan, ENDPOINT)}
        variants = {v["variantName"] for c in of_type(plan, ENDPOINT_CONFIG) for v in c.get("productionVariants", [])}
        ok = dimensions.get("EndpointName") in endpoints and dimensions.get("VariantName", "primary") in variants
        return [f"SageMaker endpoint {dimensions['EndpointName']}"] if ok else []
    if namespace == "AWS/States":
        arn = dimensions["StateMachineArn"]
        return [f"state machine {m['name']}" for m in of_type(plan, SFN) if arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
                == m["name"]]
    if namespace == metrics.CLOUDWATCH_NAMESPACE:
        wanted_command = "drift" if alarm["metricName"] == metrics.DRIFTED_FEATURES else "quality"
        found = []
        for machine, steps in job_steps(plan).items():
            for step in steps:
                argv = step["argv"]
                if (argv[:2] == ["slipstack", wanted_command] and "--cloudwatch" in argv
                        and option(argv, "--model") == dimensions[metrics.DIMENSION_MODEL]
                        and option(argv, "--env") == dimensions[metrics.DIMENSION_ENVIRONMENT]):
                    found.append(f"{machine}/{step['state']}")
        return found
    return []


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_alarm_has_a_publisher_in_the_same_plan(stack: str, shipped_plan: Any) -> None:
    plan = shipped_plan(stack)
    alarms = of_type(plan, t.CW_METRIC_ALARM)
    assert alarms
    orphans = [a["name"] for a in alarms if not publishers_of(a, plan)]
    assert orphans == [], f"{stack}: alarms whose metric nothing in the plan publishes: {orphans}"


def write_capture(folder: Path, rows: list[dict[str, float]], features: list[str],
                  prefix: str = "breast-cancer-screening-prod/primary") -> None:
    """SageMaker data capture of these rows in the current hour's partition (endpoint/variant/yyyy/mm/dd/hh);
    a NaN value is captured as an empty CSV field, as a client that sent no value leaves it."""
    now = datetime.now(UTC)
    path = folder / prefix / f"{now:%Y/%m/%d/%H}" / "capture.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for index, row in enumerate(rows):
        lines.append(json.dumps({
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "encoding": "CSV",
                                  "data": ",".join("" if row[f] != row[f] else f"{row[f]:.10g}" for f in features)},
                "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT", "encoding": "JSON",
                                   "data": json.dumps({"label": [0], "probabilities": [[0.9, 0.1]]})},
            },
            "eventMetadata": {"eventId": f"e{index}", "inferenceId": f"r{index}",
                              "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "eventVersion": "0",
        }))
    path.write_text("\n".join(lines) + "\n")


def swap(argv: list[str], values: dict[str, str]) -> list[str]:
    swapped = list(argv)
    for name, value in values.items():
        assert name in swapped, f"the rendered command has no {name}: {argv}"
        swapped[swapped.index(name) + 1] = value
    return swapped


def run_cli(argv: list[str]) -> Any:
    from slipstack.cli import _register, app

    if not app.registered_commands and not app.registered_groups:
        _register()  # what `slipstack` (slipstack.cli.main) does before running a command
    assert argv[0] == "slipstack"
    return CliRunner().invoke(app, argv[1:], catch_exceptions=False)


def datapoints(client: Any, alarm: dict[str, Any]) -> list[float]:
    dimensions = [{"Name": k, "Value": v} for k, v in sorted(alarm["dimensions"].items())]
    listed = client.list_metrics(Namespace=alarm["namespace"], MetricName=alarm["metricName"], Dimensions=dimensions)
    # Exactly the alarm's dimension set (not a superset, which the alarm would never see).
    exact = [m for m in listed["Metrics"] if sorted((d["Name"], d["Value"]) for d in m["Dimensions"])
             == sorted(alarm["dimensions"].items())]
    if not exact:
        return []
    stats = client.get_metric_statistics(Namespace=alarm["namespace"], MetricName=alarm["metricName"],
                                         Dimensions=dimensions, StartTime="2000-01-01", EndTime="2100-01-01",
                                         Period=60, Statistics=[alarm["statistic"]])
    return [point[alarm["statistic"]] for point in stats["Datapoints"]]


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_the_drift_job_publishes_exactly_what_its_alarm_watches(
    stack: str, shipped_plan: Any, tmp_path: Path, repo_root: Path
) -> None:
    import boto3

    plan = shipped_plan(stack)
    (alarm,) = [a for a in of_type(plan, t.CW_METRIC_ALARM) if a["namespace"] == metrics.CLOUDWATCH_NAMESPACE]
    assert alarm["metricName"] == metrics.DRIFTED_FEATURES
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    (steps,) = job_steps(plan).values()
    shard, merge = (next(s["argv"] for s in steps if s["state"] == name)
                    for name in ("ComputeShardPartials", "MergePartials"))
    model = alarm["dimensions"][metrics.DIMENSION_MODEL]
    manifest = repo_root / "build" / "packages" / model / "1.0.0" / "manifest.json"
    # The endpoint's CSV input columns, in the signature's order (what SageMaker captures).
    features = [f["name"] for f in json.loads(manifest.read_text())["signature"]["inputs"]]
    region = option(merge, "--region")

    def run_once(name: str, rows: list[dict[str, float]] | None) -> None:
        capture, partials = tmp_path / name / "capture", tmp_path / name / "partials"
        capture.mkdir(parents=True)
        partials.mkdir()
        if rows is not None:
            write_capture(capture, rows, features)
        else:  # no traffic in the window: only an old partition
            old = capture / "breast-cancer-screening-prod" / "primary" / "2020/01/01/00"
            old.mkdir(parents=True)
            (old / "capture.jsonl").write_text("")
        result = run_cli(swap(shard, {"--current": str(capture), "--profile": str(manifest),
                                      "--partials-out": str(partials)}))
        assert result.exit_code == 0, result.output
        result = run_cli(swap(merge, {"--partials": str(partials), "--profile": str(manifest),
                                      "--output": str(tmp_path / name / "drift.json"),
                                      "--report": str(tmp_path / name / "report.html")}))
        assert result.exit_code == 0, result.output  # the alarm alerts, not the job's exit code

    with mock_aws():
        client = boto3.client("cloudwatch", region_name=region)
        run_once("quiet", None)
        assert datapoints(client, alarm) == [], "a window without traffic must publish no verdict"
        rows_alarm = {**alarm, "metricName": metrics.DRIFT_ROWS, "statistic": "Maximum"}
        assert datapoints(client, rows_alarm) == [0.0], "a window without traffic is still a completed run"
        run_once("shifted", shifted_rows(model, features))
        points = datapoints(client, alarm)
        assert points and max(points) > alarm["threshold"], "shifted traffic must breach the drift alarm"


def test_quality_publisher_metric_names_match_the_alarm_names() -> None:
    """The quality alarm's metric (infra/aws/model_quality_job.py) is what `monitoring.publish` puts."""
    from infra.aws.model_quality_job import quality_metric_name
    from monitoring.publish import MetricTarget, quality_metric_data
    from monitoring.quality import QualityResult

    for metric in CLOUDWATCH_SUFFIX:
        result = QualityResult(task="regression", metric=metric, threshold=1.0, value=0.5, status="ok", joined_rows=5,
                               predictions_without_label=0, metrics={metric: 0.5})
        (datum,) = quality_metric_data(result, MetricTarget("m", "prod"))
        assert datum["MetricName"] == quality_metric_name(metric)
        assert {d["Name"]: d["Value"] for d in datum["Dimensions"]} == {
            metrics.DIMENSION_MODEL: "m", metrics.DIMENSION_ENVIRONMENT: "prod"}


def test_the_quality_job_publishes_exactly_what_its_alarm_watches(pulumi_run: Any, tmp_path: Path) -> None:
    import boto3
    import yaml

    from tests.monitoring.capture_fixtures import capture_line, classifier_reply
    from tests.stacks.test_aws_model import SPEC, model_program, write_spec

    monitoring = yaml.safe_load(SPEC.read_text())["monitoring"]
    quality = {"metric": "f1", "threshold": 0.8, "labels_uri": "s3://labels-bucket/churn/"}
    spec = write_spec(tmp_path, monitoring={**monitoring, "quality": quality})
    recorded = pulumi_run(model_program(spec, "staging", tmp_path), stack="staging")
    plan = {"resources": [{"type": r.type, "inputs": r.inputs} for r in recorded.resources]}
    alarm = next(a for a in of_type(plan, t.CW_METRIC_ALARM) if a["name"].endswith("-quality"))
    assert publishers_of(alarm, plan), "the quality alarm has no publisher in the plan"
    argv = next(step["argv"] for steps in job_steps(plan).values() for step in steps if step["state"] == "CheckQuality")

    # What SageMaker captured in the current hour: 40 predictions of the positive class.
    now = datetime.now(UTC)
    predictions = tmp_path / "capture" / "churn-score-staging" / "primary" / f"{now:%Y/%m/%d/%H}" / "capture.jsonl"
    predictions.parent.mkdir(parents=True)
    ids = [f"r{i}" for i in range(40)]
    predictions.write_text("\n".join(
        capture_line(f"e{i}", classifier_reply([1], [0.9], "application/json"), inference_id=request,
                     inference_time=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for i, request in enumerate(ids)) + "\n")

    def run_with(labels: list[int]) -> list[float]:
        path = tmp_path / f"labels-{sum(labels)}.csv"
        path.write_text("inference_id,label\n" + "".join(f"{i},{y}\n" for i, y in zip(ids, labels, strict=True)))
        result = run_cli(swap(argv, {"--predictions": str(tmp_path / "capture"), "--labels": str(path),
                                     "--output": str(tmp_path / "quality.json")}))
        assert result.exit_code == 0, result.output
        return datapoints(client, alarm)

    with mock_aws():
        client = boto3.client("cloudwatch", region_name=option(argv, "--region"))
        assert run_with([0] * 40) != []  # every prediction wrong: f1 0
        points = datapoints(client, alarm)
        assert min(points) < alarm["threshold"] and alarm["comparisonOperator"] == "LessThanThreshold"


def run_drift_steps(shard: list[str], merge: list[str], manifest: Path, folder: Path,
                    rows: list[dict[str, float]], features: list[str]) -> dict[str, Any]:
    """The rendered shard and merge commands on a capture of `rows` (only locations swapped); drift.json."""
    capture, partials = folder / "capture", folder / "partials"
    partials.mkdir(parents=True)
    write_capture(capture, rows, features)
    result = run_cli(swap(shard, {"--current": str(capture), "--profile": str(manifest),
                                  "--partials-out": str(partials)}))
    assert result.exit_code == 0, result.output
    result = run_cli(swap(merge, {"--partials": str(partials), "--profile": str(manifest),
                                  "--output": str(folder / "drift.json"), "--report": str(folder / "report.html")}))
    assert result.exit_code == 0, result.output
    return dict(json.loads((folder / "drift.json").read_text()))


def test_the_drift_jobs_judge_a_window_only_from_the_specs_minimum(
    pulumi_run: Any, tmp_path: Path, repo_root: Path
) -> None:
    """monitoring.drift.min_window reaches both steps of the SageMaker job: one row short of it, reference traffic is
    insufficient_data (its rows published, no verdict for the alarm); at it, the same traffic gets a verdict."""
    import boto3

    from tests.infra.k8s.alert_sources import reference_rows
    from tests.stacks.test_aws_model import model_program
    from tests.stacks.test_kubernetes_model import SPEC_DRIFT, SPEC_QUALITY, monitoring_spec

    spec = monitoring_spec(tmp_path, repo_root, SPEC_DRIFT, SPEC_QUALITY)
    recorded = pulumi_run(model_program(spec, "prod", tmp_path), stack="prod")
    plan = {"resources": [{"type": r.type, "inputs": r.inputs} for r in recorded.resources]}
    (alarm,) = [a for a in of_type(plan, t.CW_METRIC_ALARM) if a["metricName"] == metrics.DRIFTED_FEATURES]
    (steps,) = [steps for machine, steps in job_steps(plan).items() if machine.endswith("-drift")]
    shard, merge = (next(s["argv"] for s in steps if s["state"] == name)
                    for name in ("ComputeShardPartials", "MergePartials"))
    for argv in (shard, merge):
        assert option(argv, "--min-window") == str(SPEC_DRIFT["min_window"])
        assert option(argv, "--missing-rate-min-effect") == f"{SPEC_DRIFT['missing_rate_min_effect']:g}"
    model = alarm["dimensions"][metrics.DIMENSION_MODEL]
    manifest = repo_root / "build" / "packages" / model / "1.0.0" / "manifest.json"
    features = [f["name"] for f in json.loads(manifest.read_text())["signature"]["inputs"]]
    healthy = reference_rows(model)
    minimum = int(SPEC_DRIFT["min_window"])
    assert len(healthy) > minimum
    rows_alarm = {**alarm, "metricName": metrics.DRIFT_ROWS, "statistic": "Maximum"}
    with mock_aws():
        client = boto3.client("cloudwatch", region_name=option(merge, "--region"))
        result = run_drift_steps(shard, merge, manifest, tmp_path / "short", healthy[: minimum - 1], features)
        assert result["status"] == metrics.STATUS_INSUFFICIENT_DATA, result["status"]
        assert datapoints(client, alarm) == [], "a window below the spec's minimum must give the alarm no verdict"
        assert datapoints(client, rows_alarm) == [float(minimum - 1)]
        result = run_drift_steps(shard, merge, manifest, tmp_path / "enough", healthy[:minimum], features)
        assert result["status"] == metrics.STATUS_OK, result["status"]
        assert datapoints(client, alarm) == [0.0], "a window at the spec's minimum is judged"


def test_the_quality_job_scores_and_drops_as_the_spec_says(pulumi_run: Any, tmp_path: Path, repo_root: Path) -> None:
    """monitoring.quality.classes / positive_label / max_dropped_share reach the SageMaker quality job: the published
    f1 is the declared positive class's, and the share of unusable predictions alerts only above the spec's limit."""
    import boto3

    from tests.monitoring.capture_fixtures import capture_line, classifier_reply
    from tests.stacks.test_aws_model import model_program
    from tests.stacks.test_kubernetes_model import SPEC_DRIFT, SPEC_QUALITY, monitoring_spec

    quality = {**SPEC_QUALITY, "labels_uri": "s3://labels-bucket/screening/"}
    recorded = pulumi_run(model_program(monitoring_spec(tmp_path, repo_root, SPEC_DRIFT, quality), "prod", tmp_path),
                          stack="prod")
    plan = {"resources": [{"type": r.type, "inputs": r.inputs} for r in recorded.resources]}
    alarm = next(a for a in of_type(plan, t.CW_METRIC_ALARM) if a["name"].endswith("-quality"))
    argv = next(step["argv"] for steps in job_steps(plan).values() for step in steps if step["state"] == "CheckQuality")
    assert option(argv, "--classes") == ",".join(SPEC_QUALITY["classes"])
    assert option(argv, "--positive-label") == SPEC_QUALITY["positive_label"]
    assert option(argv, "--max-dropped-share") == f"{SPEC_QUALITY['max_dropped_share']:g}"
    now = datetime.now(UTC)
    ids = [f"r{i}" for i in range(40)]

    def run_with(name: str, predicted: list[int | None], labels: list[int]) -> dict[str, Any]:
        capture = tmp_path / name / "capture"
        path = capture / "breast-cancer-screening-prod" / "primary" / f"{now:%Y/%m/%d/%H}" / "capture.jsonl"
        path.parent.mkdir(parents=True)
        replies = [('{"predictions": [null]}', "application/json") if p is None
                   else classifier_reply([p], [0.9 if p else 0.1], "application/json") for p in predicted]
        path.write_text("\n".join(capture_line(f"e{i}", reply, inference_id=request,
                                               inference_time=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
                                  for i, (request, reply) in enumerate(zip(ids, replies, strict=True))) + "\n")
        label_file = tmp_path / name / "labels.csv"
        label_file.write_text("inference_id,label\n" + "".join(f"{i},{y}\n" for i, y in zip(ids, labels, strict=True)))
        output = tmp_path / name / "quality.json"
        result = run_cli(swap(argv, {"--predictions": str(capture), "--labels": str(label_file),
                                     "--output": str(output)}))
        assert result.exit_code == 0, result.output
        return dict(json.loads(output.read_text()))

    with mock_aws():
        client = boto3.client("cloudwatch", region_name=option(argv, "--region"))
        # Every prediction says 1, three in four labels agree: f1 of class 1 is 0.86, of the declared positive 0 is 0.
        result = run_with("positive", [1] * 40, [1] * 30 + [0] * 10)
        assert (result["positive_label"], result["metrics"]["f1"], result["status"]) == ("0", 0.0, "alert")
        assert min(datapoints(client, alarm)) == 0.0 < alarm["threshold"]
        # Right answers for the positive class; 8 of 40 (20%, the spec's limit) or 9 (22.5%) predictions unusable.
        within = run_with("within", [None] * 8 + [0] * 32, [0] * 40)
        assert (within["dropped_predictions"], within["status"]) == (8, "ok"), within["reasons"]
        over = run_with("over", [None] * 9 + [0] * 31, [0] * 40)
        assert over["dropped_predictions"] == 9 and over["status"] == "alert"
        assert any("max_dropped_share" in reason for reason in over["reasons"]), over["reasons"]
