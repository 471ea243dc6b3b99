"""ProcessingJobSchedule's pure parts: the States Language request, job names, and the guards."""

from __future__ import annotations

from typing import Any

import pytest

from infra.aws.processing_job_schedule import (
    ProcessingInputArgs,
    ProcessingJobScheduleArgs,
    ProcessingOutputArgs,
    ProcessingStepArgs,
    job_prefix_for,
    state_machine_definition,
)


def schedule_args(**overrides: Any) -> ProcessingJobScheduleArgs:
    step = ProcessingStepArgs(
        state_name="Only", kind="shard", container_argv=["slipstack", "drift"], instance_type="ml.m5.large",
        instance_count=3,
        inputs=(ProcessingInputArgs("in", "s3://b/in/", "/opt/ml/processing/input/in", "ShardedByS3Key"),),
        outputs=(ProcessingOutputArgs("out", "s3://b/out/{execution}/", "/opt/ml/processing/output/out"),),
    )
    values: dict[str, Any] = dict(
        name_prefix="m-prod-drift", job_prefix=job_prefix_for("m-prod-drift"), account_id="123456789012",
        region="eu-west-1", image_uri="img", image_repository_arn="repo", kms_key_arn="key", topic_arn="topic",
        artifact_bucket_arn="arn:aws:s3:::b", schedule_expression="cron(0 * * * ? *)", steps=(step,),
    )
    return ProcessingJobScheduleArgs(**{**values, **overrides})


def test_job_prefix_is_short_and_unique_per_model() -> None:
    first = job_prefix_for("breast-cancer-screening-prod-drift")
    second = job_prefix_for("breast-cancer-screening-staging-drift")
    assert first != second and len(first) <= 19 and first.startswith("breast-ca")


def test_definition_puts_the_execution_name_into_s3_uris() -> None:
    definition = state_machine_definition(schedule_args(), "role", "key", "img")
    state = definition["States"]["Only"]
    assert state["End"] is True and state["ResultPath"] is None
    params = state["Parameters"]
    assert params["ProcessingInputs"][0]["S3Input"] == {
        "S3Uri": "s3://b/in/", "LocalPath": "/opt/ml/processing/input/in", "S3DataType": "S3Prefix",
        "S3InputMode": "File", "S3DataDistributionType": "ShardedByS3Key"}
    assert params["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri.$"] == (
        "States.Format('s3://b/out/{}/', $$.Execution.Name)")
    assert params["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == "key"


def test_no_volume_key_on_local_nvme_instances() -> None:
    args = schedule_args()
    nvme = ProcessingStepArgs(state_name="Only", kind="shard", container_argv=["x"], instance_type="ml.c5d.xlarge")
    definition = state_machine_definition(
        ProcessingJobScheduleArgs(**{**args.__dict__, "steps": (nvme,)}), "role", "key", "img")
    assert "VolumeKmsKeyId" not in definition["States"]["Only"]["Parameters"]["ProcessingResources"]["ClusterConfig"]


def test_too_long_job_names_are_refused(pulumi_run: Any) -> None:
    def program() -> None:
        from infra.aws.processing_job_schedule import ProcessingJobSchedule

        ProcessingJobSchedule("jobs", schedule_args(job_prefix="a-very-long-job-prefix-that-is-too-long"))

    with pytest.raises(Exception, match="would exceed 63"):
        pulumi_run(program)


def test_a_publishing_step_is_refused_when_network_isolated() -> None:
    argv = ["slipstack", "drift", "merge", "--partials", "/p", "--cloudwatch", "--region", "eu-west-1"]
    with pytest.raises(ValueError, match="MergePartials: the step publishes to CloudWatch .* network-isolated"):
        ProcessingStepArgs(state_name="MergePartials", kind="merge", instance_type="ml.m5.large",
                           container_argv=argv, network_isolation=True)
    allowed = ProcessingStepArgs(state_name="MergePartials", kind="merge", instance_type="ml.m5.large",
                                 container_argv=argv, network_isolation=False)
    assert allowed.publishes_metrics
    # A step that only reads and writes its channels keeps the secure default.
    assert ProcessingStepArgs(state_name="Shard", kind="shard", instance_type="ml.m5.large",
                              container_argv=["slipstack", "drift"]).network_isolation is True
