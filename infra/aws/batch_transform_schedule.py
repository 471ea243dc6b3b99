"""A scheduled SageMaker batch transform: the model, a scheduler role, an EventBridge schedule, and its alarms.

Creates:
- `aws.sagemaker.Model` (content-derived name, network isolation and VPC as for endpoints);
- `aws.iam.Role` trusted only by scheduler.amazonaws.com for this account, with an inline
  `aws.iam.RolePolicy`: `sagemaker:CreateTransformJob` on this model's job-name prefix,
  `sagemaker:AddTags` on the same jobs, `iam:PassRole` of the execution role to SageMaker only, the key
  (the schedule's input is encrypted with it) and `sqs:SendMessage` to its own dead-letter queue;
- `aws.scheduler.ScheduleGroup` of its own (EventBridge Scheduler publishes its metrics per group, so the
  alarms below see this model's schedule only) and `aws.scheduler.Schedule` whose universal target calls
  `sagemaker:createTransformJob` on the cron schedule, retrying a failed call and then sending it to
  the dead-letter queue. Job names must be unique, so the name ends in the scheduler's per-invocation
  `<aws.scheduler.execution-id>`; input and output paths may hold `<aws.scheduler.scheduled-time>`, so
  each run reads and writes its own folder. Output is KMS-encrypted; the ML volume too, except on NVMe
  instance families (AWS rejects the key there);
- `aws.sqs.Queue`, KMS-encrypted with the model's key, TLS-only: the dead-letter queue of runs that
  never started (CreateTransformJob rejected or throttled past the retries);
- an `aws.cloudwatch.EventRule` + `EventTarget` that sends failed or stopped transform jobs of this
  model to the alarm topic (the topic's policy must allow events.amazonaws.com);
- `aws.cloudwatch.MetricAlarm`s, routed to the alarm topic like every alarm: scheduler target errors
  (AWS/Scheduler TargetErrorCount of the group), runs in the dead-letter queue, and failed jobs (the
  failure rule's AWS/Events MatchedEvents).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

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
    failure_topic_arn: pulumi.Input[str] | None = None  # the model's alert topic: failed jobs and the alarms
    scheduler_role_name: str = ""
    # One CSV record in, one line out: records split by line, mini-batches of whole records up to
    # max_payload_mb, predictions written as CSV lines (the handler's output_fn writes a line per row).
    batch_strategy: Literal["MultiRecord", "SingleRecord"] = "MultiRecord"
    content_type: str = "text/csv"
    accept: str = "text/csv"
    # A rejected or throttled CreateTransformJob is retried this often within this age, then dead-lettered.
    retry_attempts: int = 3
    retry_max_age_seconds: int = 3600
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


def scheduler_policy(
    account: str, region: str, job_prefix: str, execution_role_arn: str, key_arn: str, queue_arn: str
) -> str:
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
                # A run that never started goes to the dead-letter queue, encrypted with the same key.
                {"Sid": "DeadLetterRunsThatDidNotStart", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                 "Resource": [queue_arn]},
                {"Sid": "EncryptDeadLetters", "Effect": "Allow", "Action": ["kms:GenerateDataKey"],
                 "Resource": [key_arn]},
            ],
        }
    )


def tls_only_queue_policy(queue_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
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
        "BatchStrategy": args.batch_strategy,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": args.input_s3_uri}},
            "ContentType": args.content_type,
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {"S3OutputPath": args.output_s3_uri, "KmsKeyId": key_arn, "AssembleWith": "Line",
                            "Accept": args.accept},
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
        queue = aws.sqs.Queue(
            f"{name}-dead-letters",
            name=f"{args.name_prefix}-batch-dead-letters"[:80],
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=14 * 24 * 3600,  # SQS's longest: two weeks to notice and re-run
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sqs.QueuePolicy(
            f"{name}-dead-letters-policy",
            queue_url=queue.url,
            policy=queue.arn.apply(tls_only_queue_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = aws.iam.Role(
            f"{name}-scheduler-role",
            name=args.scheduler_role_name or None,
            description="EventBridge Scheduler: starts this model's batch transform jobs (Slipstack)",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(scheduler_trust_policy),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        scheduler_role_policy = aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=role.id,
            policy=pulumi.Output.all(args.account_id, args.execution_role_arn, args.kms_key_arn, queue.arn).apply(
                lambda v: scheduler_policy(v[0], args.region, args.job_name_prefix, v[1], v[2], v[3])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
        )
        request = pulumi.Output.all(self.model.name, args.kms_key_arn).apply(
            lambda v: json.dumps(transform_job_request(args, v[0], v[1]))
        )
        group_name = f"{args.name_prefix}-batch"[:64]
        group = aws.scheduler.ScheduleGroup(
            f"{name}-schedule-group", name=group_name, tags=args.tags, opts=pulumi.ResourceOptions(parent=self)
        )
        self.schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=f"{args.name_prefix}-batch"[:64],
            group_name=group.name,
            description="Slipstack batch transform",
            schedule_expression=args.schedule_expression,
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "OFF"},
            kms_key_arn=args.kms_key_arn,
            target={
                "arn": "arn:aws:scheduler:::aws-sdk:sagemaker:createTransformJob",
                "role_arn": role.arn,
                "input": request,
                "retry_policy": {
                    "maximum_retry_attempts": args.retry_attempts,
                    "maximum_event_age_in_seconds": args.retry_max_age_seconds,
                },
                "dead_letter_config": {"arn": queue.arn},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.model, scheduler_role_policy]),
        )
        self.alarm_names: list[str] = []
        if args.failure_topic_arn is not None:
            rule_name = f"{args.name_prefix}-batch-failures"[:64]
            rule = aws.cloudwatch.EventRule(
                f"{name}-failures",
                name=rule_name,
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
            for key, namespace, metric, dimensions, description in (
                ("batch-target-errors", "AWS/Scheduler", "TargetErrorCount", {"ScheduleGroup": group_name},
                 "the scheduler's CreateTransformJob call failed (see the dead-letter queue)"),
                ("batch-dead-letters", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                 {"QueueName": f"{args.name_prefix}-batch-dead-letters"[:80]},
                 "scheduled batch runs never started; each message is one run to re-run"),
                ("batch-failed-jobs", "AWS/Events", "MatchedEvents", {"RuleName": rule_name},
                 "a batch transform job failed or was stopped (FailureReason in the job and its logs)"),
            ):
                alarm_name = f"{args.name_prefix}-{key}"
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{key}",
                    name=alarm_name,
                    alarm_description=f"{args.name_prefix}: {description}",
                    namespace=namespace,
                    metric_name=metric,
                    dimensions=dimensions,
                    statistic="Maximum" if namespace == "AWS/SQS" else "Sum",
                    comparison_operator="GreaterThanThreshold",
                    threshold=0,
                    period=300,
                    evaluation_periods=1,
                    datapoints_to_alarm=1,
                    # No run, no datapoint: that is not a failure.
                    treat_missing_data="notBreaching",
                    actions_enabled=True,
                    alarm_actions=[args.failure_topic_arn],
                    ok_actions=[args.failure_topic_arn],
                    tags=args.tags,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[rule, queue, group]),
                )
                self.alarm_names.append(alarm_name)
        self.dead_letter_queue = queue
        self.register_outputs({"model_name": self.model.name, "schedule_arn": self.schedule.arn,
                               "dead_letter_queue_url": queue.url, "alarm_names": self.alarm_names})
