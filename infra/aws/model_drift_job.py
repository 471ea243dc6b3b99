"""The scheduled, sharded drift check of one model on AWS: SageMaker Processing run by Step Functions.

Flow of one run (every `schedule_expression`, started by EventBridge Scheduler):
1. `ComputeShardPartials`: a Processing job of `shard_instances` instances. Its input is the manifest of
   the capture objects in the job's window (listed by the state machine first, see
   `ProcessingJobSchedule`) with `S3DataDistributionType: ShardedByS3Key`, so SageMaker gives each instance
   a disjoint share of the capture objects (an instance may get none: its shard is empty and merges as
   the identity). Each instance runs `slipstack drift --partials-out /opt/ml/processing/output/partials`
   and writes `shard-<i>-of-<n>.json` (its bin counts, missing counts, moments, category counts); the
   shard index comes from SageMaker's host list. SageMaker uploads them, KMS-encrypted, to
   `s3://<bucket>/drift-partials/<execution name>/`. The job needs no network: network isolation on.
2. `MergePartials`: one instance reads that prefix (as a Processing input) and the profile, runs
   `slipstack drift merge ... --cloudwatch --no-fail-on-alert`, which refuses a missing or corrupt
   shard (nothing published), else gives exactly the verdict of a single run, publishes DriftScoreMax /
   DriftedFeatures / MissingRateMax / DriftRows to `contracts.metrics.CLOUDWATCH_NAMESPACE` and writes
   `drift.json` and `report.html` to `drift-results/<execution name>/`.
   It calls CloudWatch, so it cannot be network-isolated; in the model's VPC (when the spec has one)
   the subnets need a route or a VPC endpoint to CloudWatch (monitoring).
A drift alert is signalled by the alarm on the published metrics, not by a failed run. That alarm,
`<name_prefix>-drift`, is declared here, next to its publisher: DriftedFeatures > 0, the job's own verdict
(a KS p-value after Holm, or a PSI/KL score over the spec's threshold), the meaning the Kubernetes rule
keeps too. A run that read no rows or too few to test publishes DriftRows but no DriftedFeatures, and the
alarm treats missing data as not breaching, so a quiet window never pages; a failed,
timed-out or aborted run (a job that crashed, a missing shard) notifies the model's SNS topic and
trips the state machine's ExecutionsFailed alarm. See `ProcessingJobSchedule` for the roles.

The drift partials and results prefixes should expire with the capture data (the artifact bucket's
lifecycle rules): they hold statistics, never rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from contracts import metrics
from infra.aws.model_monitoring import job_metric_alarm, model_dimensions
from infra.aws.processing_job_schedule import (
    EXECUTION_PLACEHOLDER,
    ProcessingInputArgs,
    ProcessingJobSchedule,
    ProcessingOutputArgs,
    ProcessingStepArgs,
    model_job_schedule_args,
)
from monitoring.job_command import DriftJobSettings, drift_job_command, drift_merge_command, window_hours

CAPTURE_PATH = "/opt/ml/processing/input/capture"
PROFILE_PATH = "/opt/ml/processing/input/profile"
PARTIALS_OUT_PATH = "/opt/ml/processing/output/partials"
PARTIALS_IN_PATH = "/opt/ml/processing/input/partials"
RESULT_PATH = "/opt/ml/processing/output/result"
PARTIALS_PREFIX = "drift-partials/"
RESULTS_PREFIX = "drift-results/"


@dataclass(frozen=True)
class ModelDriftJobArgs:
    model: str
    environment: str
    name_prefix: str  # "<model>-<environment>"
    account_id: pulumi.Input[str]
    region: str
    image_uri: pulumi.Input[str]
    image_repository_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    bucket_name: str
    capture_prefix: str  # "data-capture/<endpoint>/<variant>/", under the bucket: the hour partitions' root
    profile_key: str  # the packaged manifest.json holding the reference profile
    schedule_expression: str  # EventBridge cron(...)
    schedule_cron: str = ""  # the same in five-field form: sets the capture window each run reads
    shard_instances: int = 2
    instance_type: str = "ml.m5.large"
    method: Literal["psi", "ks", "kl"] = "ks"
    warn_threshold: float = 0.1
    alert_threshold: float = 0.2
    p_value: float = 0.05
    features: Sequence[str] = ()
    # The sample-size rules of monitoring.drift (None: the CLI's defaults); shards and merge get the same.
    min_window: int | None = None
    missing_rate_min_effect: float | None = None
    max_runtime_seconds: int = 3600
    subnet_ids: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()
    log_retention_days: int = 90
    tracing: bool = False
    job_role_name: str = ""
    scheduler_role_name: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def drift_steps(args: ModelDriftJobArgs) -> list[ProcessingStepArgs]:
    """The shard and merge states of the drift state machine."""
    profile_file = f"{PROFILE_PATH}/{args.profile_key.rsplit('/', 1)[-1]}"
    settings = DriftJobSettings(
        model=args.model, environment=args.environment, current=CAPTURE_PATH, profile=profile_file,
        method=args.method, warn_threshold=args.warn_threshold, alert_threshold=args.alert_threshold,
        p_value=args.p_value, features=tuple(args.features), min_window=args.min_window,
        missing_rate_min_effect=args.missing_rate_min_effect, schedule=args.schedule_cron or None,
    )
    bucket = f"s3://{args.bucket_name}/"
    profile_input = ProcessingInputArgs("profile", bucket + args.profile_key, PROFILE_PATH)
    shard = ProcessingStepArgs(
        state_name="ComputeShardPartials",
        kind="shard",
        container_argv=drift_job_command(settings.model_copy(update={"partials_out": PARTIALS_OUT_PATH})),
        instance_type=args.instance_type,
        instance_count=args.shard_instances,
        inputs=(
            # Only the hours the job reads (its --since), listed into a manifest: not the whole history.
            ProcessingInputArgs("capture", bucket + args.capture_prefix, CAPTURE_PATH, distribution="ShardedByS3Key",
                                window_hours=window_hours(settings.capture_window())),
            profile_input,
        ),
        outputs=(
            ProcessingOutputArgs("partials", f"{bucket}{PARTIALS_PREFIX}{EXECUTION_PLACEHOLDER}/", PARTIALS_OUT_PATH),
        ),
        network_isolation=True,
        max_runtime_seconds=args.max_runtime_seconds,
    )
    merge = ProcessingStepArgs(
        state_name="MergePartials",
        kind="merge",
        container_argv=drift_merge_command(
            settings.model_copy(update={"cloudwatch": True, "region": args.region}),
            PARTIALS_IN_PATH,
            output=f"{RESULT_PATH}/drift.json",
            report=f"{RESULT_PATH}/report.html",
            fail_on_alert=False,
        ),
        instance_type=args.instance_type,
        instance_count=1,
        inputs=(
            ProcessingInputArgs("partials", f"{bucket}{PARTIALS_PREFIX}{EXECUTION_PLACEHOLDER}/", PARTIALS_IN_PATH),
            profile_input,
        ),
        outputs=(ProcessingOutputArgs("result", f"{bucket}{RESULTS_PREFIX}{EXECUTION_PLACEHOLDER}/", RESULT_PATH),),
        network_isolation=False,  # it publishes to CloudWatch
        max_runtime_seconds=args.max_runtime_seconds,
        environment={"AWS_DEFAULT_REGION": args.region},
    )
    return [shard, merge]


def drift_alarm_name(name_prefix: str) -> str:
    return f"{name_prefix}-drift"


class ModelDriftJob(pulumi.ComponentResource):
    jobs: ProcessingJobSchedule
    alarm_names: list[str]

    def __init__(self, name: str, args: ModelDriftJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelDriftJob", name, None, opts)
        self.jobs = ProcessingJobSchedule(
            f"{name}-jobs",
            model_job_schedule_args(
                args,
                kind="drift",
                steps=drift_steps(args),
                read_prefixes=(args.capture_prefix, args.profile_key),
                write_prefixes=(PARTIALS_PREFIX, RESULTS_PREFIX),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        alarm_name = drift_alarm_name(args.name_prefix)
        job_metric_alarm(
            f"{name}-drift-alarm",
            alarm_name=alarm_name,
            description=f"{args.model} ({args.environment}): input drift in at least one feature "
            f"({args.method}{' p-value, Holm-corrected' if args.method == 'ks' else f' at {args.alert_threshold:g}'})",
            metric_name=metrics.DRIFTED_FEATURES,
            dimensions=model_dimensions(args.model, args.environment),
            threshold=0,
            comparison="GreaterThanThreshold",
            statistic="Maximum",
            topic_arn=args.topic_arn,
            period=3600,
            tags=args.tags,
            parent=self,
        )
        self.alarm_names = [alarm_name]
        self.register_outputs({"state_machine_arn": self.jobs.state_machine.arn, "alarm_names": self.alarm_names})
