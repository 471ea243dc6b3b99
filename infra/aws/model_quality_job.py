"""The scheduled quality check of one model on AWS: one SageMaker Processing job run by Step Functions.

Flow of one run: `CheckQuality`, a single-instance Processing job, gets the predictions (the
model's data-capture prefix) and the delayed labels (`labels_uri`) as Processing inputs, runs
`slipstack quality ... --cloudwatch --no-fail-on-alert` (the join by request id and the metrics of
`monitoring.quality`), publishes `Quality<Metric>` to `contracts.metrics.CLOUDWATCH_NAMESPACE` and
writes `quality.json` to `quality-results/<execution name>/`. Roles, logging, the schedule and the
failure notification are those of `ProcessingJobSchedule`.

The quality alarm, `<name_prefix>-quality`, is declared here with its publisher, so a spec whose quality
section names no labels (no job) gets no alarm that could never fire. A run that joined no labelled
prediction publishes no value; the alarm treats missing data as not breaching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from infra.aws.model_monitoring import job_metric_alarm, model_dimensions
from infra.aws.processing_job_schedule import (
    EXECUTION_PLACEHOLDER,
    ProcessingInputArgs,
    ProcessingJobSchedule,
    ProcessingOutputArgs,
    ProcessingStepArgs,
    model_job_schedule_args,
)
from monitoring.job_command import QualityJobSettings, quality_job_command, window_hours
from monitoring.quality import CLOUDWATCH_SUFFIX, LOWER_IS_BETTER

PREDICTIONS_PATH = "/opt/ml/processing/input/predictions"
LABELS_PATH = "/opt/ml/processing/input/labels"
RESULT_PATH = "/opt/ml/processing/output/result"
RESULTS_PREFIX = "quality-results/"


@dataclass(frozen=True)
class ModelQualityJobArgs:
    model: str
    environment: str
    name_prefix: str
    account_id: pulumi.Input[str]
    region: str
    image_uri: pulumi.Input[str]
    image_repository_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    bucket_name: str
    predictions_prefix: str  # under the bucket
    labels_uri: str  # s3://bucket/prefix/
    task: Literal["classification", "regression"]
    metric: Literal["accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2"]
    threshold: float
    schedule_expression: str
    # How the metrics are averaged and how many unusable predictions are tolerated (monitoring.quality).
    classes: Sequence[str] = ()
    positive_label: str | None = None
    max_dropped_share: float | None = None
    # The same schedule in five-field form and the label delay: they set the capture window each run reads.
    schedule_cron: str = ""
    label_delay_hours: int = 0
    instance_type: str = "ml.m5.large"
    max_runtime_seconds: int = 3600
    subnet_ids: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()
    log_retention_days: int = 90
    tracing: bool = False
    job_role_name: str = ""
    scheduler_role_name: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def quality_steps(args: ModelQualityJobArgs) -> list[ProcessingStepArgs]:
    settings = QualityJobSettings(
        model=args.model, environment=args.environment, predictions=PREDICTIONS_PATH, labels=LABELS_PATH,
        task=args.task, metric=args.metric, threshold=args.threshold, classes=tuple(args.classes),
        positive_label=args.positive_label, max_dropped_share=args.max_dropped_share,
        output=f"{RESULT_PATH}/quality.json",
        cloudwatch=True, region=args.region, fail_on_alert=False,
        schedule=args.schedule_cron or None, label_delay_hours=args.label_delay_hours,
    )
    return [
        ProcessingStepArgs(
            state_name="CheckQuality",
            kind="qual",
            container_argv=quality_job_command(settings),
            instance_type=args.instance_type,
            inputs=(
                # The window the job scores (schedule + label delay), listed into a manifest.
                ProcessingInputArgs("predictions", f"s3://{args.bucket_name}/{args.predictions_prefix}",
                                    PREDICTIONS_PATH, window_hours=window_hours(settings.capture_window())),
                ProcessingInputArgs("labels", args.labels_uri, LABELS_PATH),
            ),
            outputs=(ProcessingOutputArgs(
                "result", f"s3://{args.bucket_name}/{RESULTS_PREFIX}{EXECUTION_PLACEHOLDER}/", RESULT_PATH),),
            network_isolation=False,  # it publishes to CloudWatch
            max_runtime_seconds=args.max_runtime_seconds,
            environment={"AWS_DEFAULT_REGION": args.region},
        )
    ]


def quality_metric_name(metric: str) -> str:
    """The CloudWatch metric the job publishes for `metric` (`monitoring.publish` builds the same)."""
    from contracts import metrics

    return f"{metrics.QUALITY_METRIC_PREFIX}{CLOUDWATCH_SUFFIX[metric]}"


class ModelQualityJob(pulumi.ComponentResource):
    jobs: ProcessingJobSchedule
    alarm_names: list[str]

    def __init__(self, name: str, args: ModelQualityJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelQualityJob", name, None, opts)
        in_bucket = args.labels_uri.startswith(f"s3://{args.bucket_name}/")
        labels_prefix = args.labels_uri.removeprefix(f"s3://{args.bucket_name}/")
        self.jobs = ProcessingJobSchedule(
            f"{name}-jobs",
            model_job_schedule_args(
                args,
                kind="quality",
                steps=quality_steps(args),
                read_prefixes=(args.predictions_prefix, *((labels_prefix,) if in_bucket else ())),
                write_prefixes=(RESULTS_PREFIX,),
                external_read_uris=() if in_bucket else (args.labels_uri,),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        better = args.metric not in LOWER_IS_BETTER
        alarm_name = f"{args.name_prefix}-quality"
        job_metric_alarm(
            f"{name}-quality-alarm",
            alarm_name=alarm_name,
            description=f"{args.model} ({args.environment}): {args.metric} worse than {args.threshold:g}",
            metric_name=quality_metric_name(args.metric),
            dimensions=model_dimensions(args.model, args.environment),
            threshold=args.threshold,
            comparison="LessThanThreshold" if better else "GreaterThanThreshold",
            statistic="Minimum" if better else "Maximum",
            topic_arn=args.topic_arn,
            # The job runs daily: a breach stays in ALARM until the next run says otherwise.
            period=86400,
            tags=args.tags,
            parent=self,
        )
        self.alarm_names = [alarm_name]
        self.register_outputs({"state_machine_arn": self.jobs.state_machine.arn, "alarm_names": self.alarm_names})
