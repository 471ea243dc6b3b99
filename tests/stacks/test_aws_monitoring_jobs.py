"""The AWS stack schedules the sharded drift check and the quality job: recorded inputs of every resource."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import metrics
from contracts import type_tokens as t
from tests.stacks.test_aws_model import SPEC, model_program, policy_document, write_spec

SFN = "aws:sfn/stateMachine:StateMachine"
SCHEDULE = "aws:scheduler/schedule:Schedule"
ACCOUNT = "123456789012"
# The states that list a capture window into a manifest before the first job.
WINDOW_STATES = ["CaptureWindow", "ListCaptureWindow", "MoreCaptureInWindow", "NoCaptureInWindow",
                 "WriteCaptureManifest"]


def run(pulumi_run: Any, tmp_path: Path, spec: Path = SPEC, environment: str = "staging", **config: Any) -> Any:
    return pulumi_run(model_program(spec, environment, tmp_path, **config), stack=environment)


def machines(recorded: Any) -> dict[str, dict[str, Any]]:
    return {r.inputs["name"]: r.inputs for r in recorded.of_type(SFN)}


def statements(resource: Any) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy_document(resource)["Statement"]}


def test_drift_state_machine_shards_then_merges(pulumi_run: Any, tmp_path: Path) -> None:
    recorded = run(pulumi_run, tmp_path, aws={"monitoring_job": {"shard_instances": 4}})
    machine = machines(recorded)["churn-score-staging-drift"]
    assert machine["type"] == "STANDARD"
    definition = json.loads(machine["definition"])
    # The capture window is listed into a manifest first (tests/stacks/test_aws_capture_window.py runs it).
    assert definition["StartAt"] == "CaptureWindow"
    assert definition["States"]["WriteCaptureManifest"]["Next"] == "ComputeShardPartials"
    shard_state, merge_state = definition["States"]["ComputeShardPartials"], definition["States"]["MergePartials"]
    assert shard_state["Next"] == "MergePartials" and merge_state["End"] is True
    for state in (shard_state, merge_state):
        assert state["Resource"] == "arn:aws:states:::sagemaker:createProcessingJob.sync"
    shard, merge = shard_state["Parameters"], merge_state["Parameters"]

    # (a) the shard job: N instances, capture prefix sharded by S3 key, partials per execution
    assert shard["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 4
    capture = next(i for i in shard["ProcessingInputs"] if i["InputName"] == "capture")["S3Input"]
    assert capture["S3DataType"] == "ManifestFile"
    assert capture["S3Uri.$"] == ("States.Format('s3://churn-score-staging-artifacts-eu-west-1/job-manifests/{}/"
                                  "capture.manifest', $$.Execution.Name)")
    assert capture["S3DataDistributionType"] == "ShardedByS3Key"
    profile = next(i for i in shard["ProcessingInputs"] if i["InputName"] == "profile")["S3Input"]
    assert profile["S3DataDistributionType"] == "FullyReplicated" and profile["S3Uri"].endswith("/manifest.json")
    output = shard["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    assert output["S3Uri.$"] == (
        "States.Format('s3://churn-score-staging-artifacts-eu-west-1/drift-partials/{}/', $$.Execution.Name)")
    argv = shard["AppSpecification"]["ContainerEntrypoint"]
    assert argv[:2] == ["slipstack", "drift"]
    assert argv[argv.index("--current") + 1] == "/opt/ml/processing/input/capture"
    assert argv[argv.index("--partials-out") + 1] == output["LocalPath"]
    assert "--cloudwatch" not in argv  # a shard publishes nothing
    # An hourly check reads only the last two hours of capture, not the whole growing prefix.
    assert argv[argv.index("--since") + 1] == "2h"
    assert shard["NetworkConfig"]["EnableNetworkIsolation"] is True

    # (b) the merge job: one instance over the same prefix, publishing to CloudWatch
    assert merge["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    partials = next(i for i in merge["ProcessingInputs"] if i["InputName"] == "partials")["S3Input"]
    assert partials["S3Uri.$"] == output["S3Uri.$"]
    argv = merge["AppSpecification"]["ContainerEntrypoint"]
    assert argv[:3] == ["slipstack", "drift", "merge"]
    assert argv[argv.index("--partials") + 1] == partials["LocalPath"]
    assert {"--cloudwatch", "--no-fail-on-alert"} <= set(argv)
    assert argv[argv.index("--region") + 1] == "eu-west-1"
    assert merge["NetworkConfig"]["EnableNetworkIsolation"] is False
    assert merge["NetworkConfig"]["VpcConfig"]["Subnets"] == ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]

    # both jobs: the model's key on volumes and outputs, the job role, unique names within 63 characters
    key_arn = recorded.one(t.SM_ENDPOINT_CONFIG).inputs["kmsKeyArn"]
    assert ":kms:" in key_arn
    for params in (shard, merge):
        assert params["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key_arn
        assert params["ProcessingOutputConfig"]["KmsKeyId"] == key_arn
        assert params["RoleArn"].endswith(":role/churn-score-staging-drift-job")
        assert params["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert params["ProcessingJobName.$"].endswith("-{}', States.UUID())")
        prefix = params["ProcessingJobName.$"].split("'")[1].removesuffix("-{}")
        assert len(prefix) + 1 + 36 <= 63
    # the image: the stack's own repository, by the digest ECR reports for the immutable tag
    repository = recorded.one("aws:ecr/repository:Repository").inputs
    assert repository["name"] == "slipstack/staging/model-server"
    assert shard["AppSpecification"]["ImageUri"] == merge["AppSpecification"]["ImageUri"]
    assert re.fullmatch(rf"{ACCOUNT}\.dkr\.ecr\.eu-west-1\.amazonaws\.com/slipstack/staging/model-server"
                        r"@sha256:[0-9a-f]{64}", shard["AppSpecification"]["ImageUri"])

    # logging: KMS-encrypted log group with retention, every event (ALL), no execution data; X-Ray on by default
    group = recorded.named("churn-score-drift-jobs-logs").inputs
    assert group["kmsKeyId"] == key_arn and group["retentionInDays"] == 90
    assert machine["loggingConfiguration"]["includeExecutionData"] is False
    assert machine["loggingConfiguration"]["logDestination"].endswith(":*")
    assert machine["loggingConfiguration"]["level"] == "ALL"
    assert machine["tracingConfiguration"] == {"enabled": True}


def test_job_role_is_least_privilege(pulumi_run: Any, tmp_path: Path) -> None:
    recorded = run(pulumi_run, tmp_path)
    role = recorded.named("churn-score-drift-jobs-job-role").inputs
    assert role["name"] == "churn-score-staging-drift-job"
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    found = statements(recorded.named("churn-score-drift-jobs-job-policy"))
    bucket = "arn:aws:s3:::churn-score-staging-artifacts-eu-west-1"
    assert found["WriteOutputs"]["Resource"] == [f"{bucket}/drift-partials/*", f"{bucket}/drift-results/*"]
    reads = found["ReadInputs"]["Resource"]
    assert f"{bucket}/data-capture/churn-score-staging/primary/*" in reads and f"{bucket}/drift-partials/*" in reads
    assert f"{bucket}/job-manifests/*" in reads
    assert all(r.startswith(f"{bucket}/") for r in reads)
    listed = found["ListOwnPrefixes"]["Condition"]["StringLike"]["s3:prefix"]
    assert listed[0] == "data-capture/churn-score-staging/primary/*"
    assert found["PublishMonitoringMetricsOnly"]["Action"] == ["cloudwatch:PutMetricData"]
    assert found["PublishMonitoringMetricsOnly"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": metrics.CLOUDWATCH_NAMESPACE}}
    assert found["PullMonitoringImage"]["Resource"] == [
        f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/slipstack/staging/model-server"]
    assert found["WriteJobLogs"]["Resource"][0] == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/ProcessingJobs")
    assert "JobNetworkInterfaces" in found  # the spec has a VPC
    for statement in found.values():
        assert not any("*" in action for action in statement["Action"])


def test_state_machine_and_scheduler_roles(pulumi_run: Any, tmp_path: Path) -> None:
    recorded = run(pulumi_run, tmp_path)
    found = statements(recorded.named("churn-score-drift-jobs-states-policy"))
    jobs = found["RunThisModelsProcessingJobs"]
    assert jobs["Action"] == ["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob",
                              "sagemaker:StopProcessingJob"]
    (job_arn,) = jobs["Resource"]
    assert job_arn.startswith(f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:processing-job/churn-sco")
    assert job_arn.endswith("-*") and found["TagThisModelsProcessingJobs"]["Resource"] == [job_arn]
    passing = found["PassJobRoleToSageMakerOnly"]
    assert passing["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/churn-score-staging-drift-job"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert found["SyncIntegrationWatchesJobEvents"]["Resource"] == [
        f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule"]
    trust = json.loads(recorded.named("churn-score-drift-jobs-states-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "states.amazonaws.com"}
    schedule = next(s.inputs for s in recorded.of_type(SCHEDULE) if s.inputs["name"] == "churn-score-staging-drift")
    machine_arn = schedule["target"]["arn"]
    assert machine_arn.endswith(":stateMachine:churn-score-staging-drift")
    scheduler = statements(recorded.named("churn-score-drift-jobs-scheduler-policy"))
    assert scheduler["StartThisStateMachine"] == {
        "Sid": "StartThisStateMachine", "Effect": "Allow", "Action": ["states:StartExecution"],
        "Resource": [machine_arn]}
    # the model's key names the job and scheduler roles
    key = statements(recorded.named("churn-score-kms-key"))
    principals = key["RolesUseKey"]["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    assert f"arn:aws:iam::{ACCOUNT}:role/churn-score-staging-drift-sched" in principals


def test_schedule_and_failure_notification(pulumi_run: Any, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, monitoring={
        **yaml.safe_load(SPEC.read_text())["monitoring"], "drift": {"schedule": "15 */2 * * 1-5"}})
    recorded = run(pulumi_run, tmp_path, spec)
    schedule = next(s.inputs for s in recorded.of_type(SCHEDULE) if s.inputs["name"] == "churn-score-staging-drift")
    assert schedule["scheduleExpression"] == "cron(15 */2 ? * 2-6 *)"
    assert schedule["scheduleExpressionTimezone"] == "UTC"
    machine_arn = schedule["target"]["arn"]
    assert machine_arn.endswith(":stateMachine:churn-score-staging-drift")
    assert schedule["target"]["roleArn"].endswith(":role/churn-score-staging-drift-sched")
    topic_arn = next(a.inputs["alarmActions"][0] for a in recorded.of_type(t.CW_METRIC_ALARM)
                     if a.inputs["name"] == "churn-score-staging-5xx-errors")
    rule = recorded.named("churn-score-drift-jobs-failures").inputs
    pattern = json.loads(rule["eventPattern"])
    assert pattern["source"] == ["aws.states"]
    assert pattern["detail"] == {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [machine_arn]}
    assert recorded.named("churn-score-drift-jobs-failures-to-topic").inputs["arn"] == topic_arn
    alarm = recorded.named("churn-score-drift-jobs-executions-failed").inputs
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/States", "ExecutionsFailed")
    assert alarm["dimensions"] == {"StateMachineArn": machine_arn} and alarm["alarmActions"] == [topic_arn]
    # EventBridge may publish to the encrypted topic
    topic_policy = statements(recorded.named("churn-score-alerts-policy"))
    assert "events.amazonaws.com" in topic_policy["ServicesPublishForThisAccount"]["Principal"]["Service"]
    assert "events.amazonaws.com" in statements(recorded.named("churn-score-kms-key"))[
        "CloudWatchAlarmsPublishToEncryptedTopic"]["Principal"]["Service"]
    # partials and results expire like captured data
    lifecycle = recorded.named("churn-score-artifacts-lifecycle").inputs["rules"]
    assert {"prefix": "drift-partials/"} in [r.get("filter") for r in lifecycle]


def test_quality_job_when_labels_are_in_s3(pulumi_run: Any, tmp_path: Path) -> None:
    monitoring = yaml.safe_load(SPEC.read_text())["monitoring"]
    monitoring["quality"] = {"metric": "f1", "threshold": 0.8, "labels_uri": "s3://labels-bucket/churn/"}
    spec = write_spec(tmp_path, monitoring=monitoring)
    image = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/monitor@sha256:{'ab' * 32}"
    recorded = run(pulumi_run, tmp_path, spec, aws={"monitoring_job": {"image": image, "tracing": True}})
    machine = machines(recorded)["churn-score-staging-quality"]
    definition = json.loads(machine["definition"])
    assert list(definition["States"]) == [*WINDOW_STATES, "CheckQuality"]
    # Daily, with the default 24 h label delay: the predictions of the last 49 h (the job's --since), not all.
    assert "last 49 h" in definition["States"]["CaptureWindow"]["Comment"]
    params = definition["States"]["CheckQuality"]["Parameters"]
    argv = params["AppSpecification"]["ContainerEntrypoint"]
    assert argv[argv.index("--since") + 1] == "49h"
    assert argv[:2] == ["slipstack", "quality"]
    for option, value in (("--metric", "f1"), ("--threshold", "0.8"), ("--task", "classification"),
                          ("--labels", "/opt/ml/processing/input/labels")):
        assert argv[argv.index(option) + 1] == value
    assert "--cloudwatch" in argv
    assert params["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert params["AppSpecification"]["ImageUri"] == image
    labels = next(i for i in params["ProcessingInputs"] if i["InputName"] == "labels")["S3Input"]
    assert labels["S3Uri"] == "s3://labels-bucket/churn/"
    assert machine["tracingConfiguration"] == {"enabled": True}
    schedule = next(s.inputs for s in recorded.of_type(SCHEDULE) if s.inputs["name"] == "churn-score-staging-quality")
    assert schedule["scheduleExpression"] == "cron(0 3 * * ? *)"
    found = statements(recorded.named("churn-score-quality-jobs-job-policy"))
    external = [s for sid, s in found.items() if sid.startswith("ReadExternal")]
    assert external[0]["Resource"] == ["arn:aws:s3:::labels-bucket/churn/*"]
    assert found["PullMonitoringImage"]["Resource"] == [f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/team/monitor"]
    assert "XRayHasNoResourceScope" in statements(recorded.named("churn-score-quality-jobs-states-policy"))


def test_no_jobs_without_capture_or_with_drift_off(pulumi_run: Any, tmp_path: Path) -> None:
    monitoring = yaml.safe_load(SPEC.read_text())["monitoring"]
    for change in ({"capture": {"enabled": False}}, {"drift": {"enabled": False}}):
        spec = write_spec(tmp_path, monitoring={**monitoring, **change})
        recorded = run(pulumi_run, tmp_path, spec)
        assert recorded.of_type(SFN) == [], change
        assert [s for s in recorded.of_type(SCHEDULE)] == []


def test_shipped_aws_stacks_schedule_the_drift_check(shipped_plan: Any) -> None:
    for stack in ("staging", "prod"):
        resources = shipped_plan(stack)["resources"]
        (machine,) = [r["inputs"] for r in resources if r["type"] == SFN]
        assert machine["name"] == f"breast-cancer-screening-{stack}-drift"
        states = json.loads(machine["definition"])["States"]
        assert list(states) == [*WINDOW_STATES, "ComputeShardPartials", "MergePartials"]
        schedules = [r["inputs"]["scheduleExpression"] for r in resources if r["type"] == SCHEDULE]
        assert schedules == ["cron(0 * * * ? *)"]  # the spec's "0 * * * *"


def test_a_monitoring_image_by_tag_is_refused(tmp_path: Path) -> None:
    from stacks.config import StackConfigError, stack_config_from_values

    image = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/monitor:2.0.0"
    values = {"slipstack:environment": "staging", "slipstack:targets": ["aws"], "slipstack:specs": ["x.yaml"],
              "slipstack:aws": {"monitoring_job": {"image": image}}}
    with pytest.raises(StackConfigError, match=r"Pulumi.staging.yaml:7: slipstack:aws.monitoring_job.image: "
                                               r"'.*' names a tag; jobs run images by digest"):
        stack_config_from_values("staging", values, "Pulumi.staging.yaml", lambda key, *path: 7)


def test_a_configured_digest_is_used_as_given(pulumi_run: Any, tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    digest = "sha256:" + "c" * 64
    recorded = run(pulumi_run, tmp_path, spec, aws={"monitoring_job": {"image_digest": digest}})
    definition = json.loads(machines(recorded)["churn-score-staging-drift"]["definition"])
    for state in definition["States"].values():
        if "Parameters" in state:
            image = state["Parameters"]["AppSpecification"]["ImageUri"]
            assert image.endswith(f"/slipstack/staging/model-server@{digest}")
def alarms_by_name(recorded: Any) -> dict[str, dict[str, Any]]:
    return {a.inputs["name"]: a.inputs for a in recorded.of_type(t.CW_METRIC_ALARM)}


def test_quality_alarm_exists_only_with_the_quality_job(pulumi_run: Any, tmp_path: Path) -> None:
    monitoring = yaml.safe_load(SPEC.read_text())["monitoring"]
    # A quality section without labels_uri schedules no job: no alarm that could never fire.
    spec = write_spec(tmp_path, monitoring={**monitoring, "quality": {"metric": "f1", "threshold": 0.8}})
    recorded = run(pulumi_run, tmp_path, spec)
    assert "churn-score-staging-quality" not in alarms_by_name(recorded)
    assert "churn-score-staging-quality" not in machines(recorded)
    quality = {"metric": "f1", "threshold": 0.8, "labels_uri": "s3://labels-bucket/churn/"}
    spec = write_spec(tmp_path, monitoring={**monitoring, "quality": quality})
    recorded = run(pulumi_run, tmp_path, spec)
    alarm = alarms_by_name(recorded)["churn-score-staging-quality"]
    assert (alarm["namespace"], alarm["metricName"]) == (metrics.CLOUDWATCH_NAMESPACE, "QualityF1")
    assert alarm["dimensions"] == {metrics.DIMENSION_MODEL: "churn-score", metrics.DIMENSION_ENVIRONMENT: "staging"}
    assert (alarm["statistic"], alarm["threshold"], alarm["comparisonOperator"]) == (
        "Minimum", 0.8, "LessThanThreshold")  # f1: higher is better
    assert alarm["treatMissingData"] == "notBreaching"
    # Declared by the job component, next to its publisher.
    assert recorded.named("churn-score-quality-quality-alarm").parent == recorded.named("churn-score-quality").urn


def test_drift_alarm_counts_drifted_features_whatever_the_method(pulumi_run: Any, tmp_path: Path) -> None:
    monitoring = yaml.safe_load(SPEC.read_text())["monitoring"]
    for method in ("ks", "psi"):
        drift = {**monitoring.get("drift", {}), "method": method}
        spec = write_spec(tmp_path, monitoring={**monitoring, "drift": drift})
        recorded = run(pulumi_run, tmp_path, spec)
        alarm = alarms_by_name(recorded)["churn-score-staging-drift"]
        assert (alarm["namespace"], alarm["metricName"]) == (metrics.CLOUDWATCH_NAMESPACE, metrics.DRIFTED_FEATURES)
        assert (alarm["statistic"], alarm["threshold"], alarm["comparisonOperator"]) == (
            "Maximum", 0, "GreaterThanThreshold"), method
    monitoring_off = {**monitoring, "drift": {"enabled": False}}
    recorded = run(pulumi_run, tmp_path, write_spec(tmp_path, monitoring=monitoring_off))
    assert "churn-score-staging-drift" not in alarms_by_name(recorded)
