"""A scheduled SageMaker batch transform: the model, a scheduler role and an EventBridge schedule.

Creates:
- `aws.sagemaker.Model` (content-derived name, network isolation and VPC as for endpoints);
- `aws.iam.Role` trusted only by scheduler.amazonaws.com for this account, with an inline
  `aws.iam.RolePolicy`: `sagemaker:CreateTransformJob` on this model's job-name prefix,
  `sagemaker:AddTags` on the same jobs, and `iam:PassRole` of the execution role to SageMaker only;
- `aws.scheduler.Schedule` whose universal target calls `sagemaker:createTransformJob` on the cron
  schedule. Job names must be unique, so the name ends in the scheduler's per-invocation
  `<aws.scheduler.execution-id>` context attribute. Output is KMS-encrypted; the ML volume too, except
  on NVMe instance families (AWS rejects the key there);
- an `aws.cloudwatch.EventRule` + `EventTarget` that sends failed or stopped transform jobs of this
  model to the alarm topic (the topic's policy must allow events.amazonaws.com).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from contracts.sagemaker_instances import has_local_nvme
from infra.aws.sagemaker_endpoint import declare_sagemaker_model

EXECUTION_ID = "<aws.scheduler.execution-id>"  # 16 characters at run time
JOB_PREFIX_LENGTH = 40  # 40 + "-" + 16 stays within the 63-character job-name limit


@dataclass(frozen=True)
class BatchTransformScheduleArgs:
    name_prefix: str
    job_name_prefix: str
    account_id: pulumi.Input[str]
    region: str
    execution_role_arn: pulumi.Input[str]
    image_uri: str
    model_data_url: str
    kms_key_arn: pulumi.Input[str]
    schedule_expression: str  # EventBridge form: cron(m h dom mon dow year)
    input_s3_uri: str
    output_s3_uri: str
    instance_type: str
    instance_count: int = 1
    max_payload_mb: int = 6
    container_environment: Mapping[str, str] = field(default_factory=dict)
    network_isolation: bool = True
    subnet_ids: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()
    failure_topic_arn: pulumi.Input[str] | None = None
    scheduler_role_name: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def scheduler_trust_policy(account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "scheduler.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            ],
        }
    )


def scheduler_policy(account: str, region: str, job_prefix: str, execution_role_arn: str, key_arn: str) -> str:
    jobs = f"arn:aws:sagemaker:{region}:{account}:transform-job/{job_prefix}-*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "StartTransformJobs", "Effect": "Allow",
                 "Action": ["sagemaker:CreateTransformJob", "sagemaker:AddTags"], "Resource": [jobs]},
                {
                    "Sid": "PassExecutionRoleToSageMakerOnly",
                    "Effect": "Allow",
                    "Action": ["iam:PassRole"],
                    "Resource": [execution_role_arn],
                    "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                },
                # The schedule's target input is encrypted with the model's key; the scheduler decrypts it
                # with this role's permissions on every run.
                {"Sid": "DecryptScheduleInput", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn]},
            ],
        }
    )


def transform_job_request(args: BatchTransformScheduleArgs, model_name: str, key_arn: str) -> dict[str, Any]:
    """The CreateTransformJob request (API field names) the schedule sends on every run."""
    resources: dict[str, Any] = {"InstanceType": args.instance_type, "InstanceCount": args.instance_count}
    if not has_local_nvme(args.instance_type):
        resources["VolumeKmsKeyId"] = key_arn
    return {
        "TransformJobName": f"{args.job_name_prefix}-{EXECUTION_ID}",
        "ModelName": model_name,
        "MaxPayloadInMB": args.max_payload_mb,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": args.input_s3_uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": args.output_s3_uri, "KmsKeyId": key_arn, "AssembleWith": "Line"},
        "TransformResources": resources,
        "Tags": [{"Key": key, "Value": value} for key, value in sorted(args.tags.items())],
    }


class BatchTransformSchedule(pulumi.ComponentResource):
    model: aws.sagemaker.Model
    schedule: aws.scheduler.Schedule

    def __init__(self, name: str, args: BatchTransformScheduleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:BatchTransformSchedule", name, None, opts)
        if len(args.job_name_prefix) > JOB_PREFIX_LENGTH:
            raise ValueError(f"job_name_prefix '{args.job_name_prefix}' is longer than {JOB_PREFIX_LENGTH}")
        container: Any = {"image": args.image_uri, "model_data_url": args.model_data_url, "mode": "SingleModel",
                     "environment": dict(args.container_environment)}
        self.model = declare_sagemaker_model(
            name,
            self,
            name_prefix=args.name_prefix,
            container=container,
            execution_role_arn=args.execution_role_arn,
            subnet_ids=args.subnet_ids,
            security_group_ids=args.security_group_ids,
            network_isolation=args.network_isolation,
            tags=args.tags,
        )
        role = aws.iam.Role(
            f"{name}-scheduler-role",
            name=args.scheduler_role_name or None,
            description="EventBridge Scheduler: starts this model's batch transform jobs (Slipstack)",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(scheduler_trust_policy),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=role.id,
            policy=pulumi.Output.all(args.account_id, args.execution_role_arn, args.kms_key_arn).apply(
                lambda v: scheduler_policy(v[0], args.region, args.job_name_prefix, v[1], v[2])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
        )
        request = pulumi.Output.all(self.model.name, args.kms_key_arn).apply(
            lambda v: json.dumps(transform_job_request(args, v[0], v[1]))
        )
        self.schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=f"{args.name_prefix}-batch"[:64],
            description="Slipstack batch transform",
            schedule_expression=args.schedule_expression,
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "OFF"},
            kms_key_arn=args.kms_key_arn,
            target={
                "arn": "arn:aws:scheduler:::aws-sdk:sagemaker:createTransformJob",
                "role_arn": role.arn,
                "input": request,
                "retry_policy": {"maximum_retry_attempts": 0},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.model]),
        )
        if args.failure_topic_arn is not None:
            rule = aws.cloudwatch.EventRule(
                f"{name}-failures",
                name=f"{args.name_prefix}-batch-failures"[:64],
                description="Failed or stopped batch transform jobs of this model",
                event_pattern=json.dumps(
                    {
                        "source": ["aws.sagemaker"],
                        "detail-type": ["SageMaker Transform Job State Change"],
                        "detail": {
                            "TransformJobStatus": ["Failed", "Stopped"],
                            "TransformJobName": [{"prefix": f"{args.job_name_prefix}-"}],
                        },
                    }
                ),
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-failures-to-topic", rule=rule.name, arn=args.failure_topic_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"model_name": self.model.name, "schedule_arn": self.schedule.arn})
