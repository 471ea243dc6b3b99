"""SageMaker Processing jobs run in sequence by a Step Functions state machine on a schedule.

The shared machinery of the scheduled monitoring jobs (`ModelDriftJob`, `ModelQualityJob`).
Creates:
- a dedicated job role (`aws.iam.Role` trusted by sagemaker.amazonaws.com for this account only) with
  an inline policy: read the listed prefixes of the artifact bucket, write the listed ones (ListBucket
  only under them), use the model's KMS key, pull the monitoring image, write the jobs' logs under
  `/aws/sagemaker/ProcessingJobs`, `cloudwatch:PutMetricData` only in the monitoring namespace
  (`cloudwatch:namespace` condition), and, in a VPC, the jobs' network interfaces;
- `aws.cloudwatch.LogGroup` `/aws/vendedlogs/states/<name>` (retention, the model's KMS key) the state
  machine logs to (without execution data: paths and argv only, never captured requests);
- a state machine role allowed exactly `sagemaker:CreateProcessingJob/DescribeProcessingJob/
  StopProcessingJob` (plus AddTags/ListTags, needed because the jobs are tagged) on this model's job-name
  prefix, `iam:PassRole` of the job role to SageMaker only, the EventBridge rule the `.sync` integration
  manages (`StepFunctionsGetEventsForSageMakerProcessingJobsRule`), log delivery and optionally X-Ray;
- `aws.sfn.StateMachine` (STANDARD: `.sync` needs it) whose states each call
  `arn:aws:states:::sagemaker:createProcessingJob.sync` and wait for the job;
- a scheduler role (states:StartExecution on this state machine only) and `aws.scheduler.Schedule`;
- an `aws.cloudwatch.EventRule` on the state machine's FAILED / TIMED_OUT / ABORTED executions that
  notifies the model's SNS topic, and an `ExecutionsFailed` alarm to the same topic.

Capture windows: an input with `window_hours` is not the whole prefix (File mode would copy every
object captured in the retention period before the job starts). Before the first job, the state
machine lists only the keys of the hour partitions `yyyy/mm/dd/hh/` of the window ending at the
execution's start (ListObjectsV2 from the window's first hour, in key order, which is time order),
writes them as a SageMaker manifest file (`[{"prefix": ...}, "<yyyy/mm/dd/hh/file>", ...]`, KMS-encrypted)
under `manifest_prefix/<execution name>/`, and the job reads that manifest (S3DataType ManifestFile):
a run's input is bounded by its window, not by the history. A window with no capture ends the
execution successfully without starting a job (no traffic, nothing to test). The listing states use
JSONata (date arithmetic); the job states stay JSONPath.

Job names must be unique and at most 63 characters: `<job_prefix>-<kind>-<States.UUID()>`, where
the job prefix is short and carries a hash of the model's name, so the IAM resource
`processing-job/<job_prefix>-*` covers this model's jobs and no other model's.
S3 locations may contain `{execution}`: the execution's name is put there at run time, so every run
writes to its own prefix (`s3://bucket/drift-partials/<execution name>/`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pulumi
import pulumi_aws as aws

from contracts.metrics import CLOUDWATCH_NAMESPACE, CLOUDWATCH_PUBLISH_FLAG
from contracts.sagemaker_instances import has_local_nvme
from infra.aws.batch_transform_schedule import scheduler_trust_policy
from infra.aws.sagemaker_execution_role import trust_policy as sagemaker_trust_policy

SYNC_PROCESSING_JOB = "arn:aws:states:::sagemaker:createProcessingJob.sync"
# The rule Step Functions creates in the account to learn when a processing job ends (.sync).
SYNC_EVENTS_RULE = "StepFunctionsGetEventsForSageMakerProcessingJobsRule"
PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
EXECUTION_PLACEHOLDER = "{execution}"
# Under the artifact bucket: the windowed inputs' manifests (one small object per run; expire them).
WINDOW_MANIFEST_PREFIX = "job-manifests/"
UUID_LENGTH = 36
JOB_NAME_LIMIT = 63
# Log delivery for Step Functions is configured through these CloudWatch Logs calls, which AWS
# authorises on Resource "*" only (service authorization reference).
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
)
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets")


def job_prefix_for(name: str, length: int = 19) -> str:
    """A short job-name prefix unique to `name`: its start plus 8 hex characters of its sha256."""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: length - 9].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class ProcessingInputArgs:
    name: str
    s3_uri: str  # may contain {execution}
    local_path: str
    distribution: Literal["FullyReplicated", "ShardedByS3Key"] = "FullyReplicated"
    data_type: Literal["S3Prefix", "ManifestFile"] = "S3Prefix"
    # > 0: only the objects of the hour partitions (yyyy/mm/dd/hh/ under s3_uri) of the last
    # `window_hours` hours, listed into a manifest at run time (see the module docstring).
    window_hours: int = 0


@dataclass(frozen=True)
class ProcessingOutputArgs:
    name: str
    s3_uri: str  # may contain {execution}
    local_path: str


@dataclass(frozen=True)
class ProcessingStepArgs:
    state_name: str  # e.g. ComputeShardPartials
    kind: str  # job-name part, at most 5 characters: shard, merge, qual
    container_argv: Sequence[str]
    instance_type: str
    instance_count: int = 1
    volume_size_gb: int = 30
    inputs: Sequence[ProcessingInputArgs] = ()
    outputs: Sequence[ProcessingOutputArgs] = ()
    # No network at all where the job needs only its S3 inputs and outputs (SageMaker moves those); a
    # step that publishes metrics must turn it off (refused below).
    network_isolation: bool = True
    max_runtime_seconds: int = 3600
    environment: Mapping[str, str] = field(default_factory=dict)

    @property
    def publishes_metrics(self) -> bool:
        return CLOUDWATCH_PUBLISH_FLAG in self.container_argv

    def __post_init__(self) -> None:
        # Isolation blocks every call the container makes: a publishing step would fail every run, and its
        # alarm, seeing no data, would never fire (the pack's SM-JOB-PUBLISH-PATH says the same of a plan).
        if self.network_isolation and self.publishes_metrics:
            raise ValueError(
                f"{self.state_name}: the step publishes to CloudWatch ({CLOUDWATCH_PUBLISH_FLAG}) but is "
                "network-isolated, which blocks the call: set network_isolation=False on this step (it needs a "
                "path to CloudWatch: a monitoring VPC endpoint or NAT in its subnets)"
            )


@dataclass(frozen=True)
class ProcessingJobScheduleArgs:
    name_prefix: str  # resource names: f"{name_prefix}-<what>"
    job_prefix: str  # from job_prefix_for(); job names f"{job_prefix}-<kind>-<uuid>"
    account_id: pulumi.Input[str]
    region: str
    image_uri: pulumi.Input[str]
    image_repository_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    artifact_bucket_arn: str
    schedule_expression: str  # EventBridge form: cron(m h dom mon dow year)
    steps: Sequence[ProcessingStepArgs]
    read_prefixes: Sequence[str] = ()  # under the artifact bucket, e.g. "data-capture/<endpoint>/"
    write_prefixes: Sequence[str] = ()
    external_read_uris: Sequence[str] = ()  # s3://bucket/prefix/ outside the artifact bucket (labels)
    metric_namespace: str = ""  # cloudwatch:namespace the jobs may publish to; "" = none
    manifest_prefix: str = WINDOW_MANIFEST_PREFIX  # under the artifact bucket: the windowed inputs' manifests
    subnet_ids: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()
    description: str = "Slipstack scheduled processing jobs"
    log_retention_days: int = 90
    tracing: bool = False
    # Fixed names where the model's key policy must name the role (it names users by role ARN).
    job_role_name: str = ""
    scheduler_role_name: str = ""
    tags: dict[str, str] = field(default_factory=dict)


class ModelJobArgs(Protocol):
    """What the drift and quality job components share: the model's identity, image, key, network, roles."""

    @property
    def model(self) -> str: ...

    @property
    def environment(self) -> str: ...

    @property
    def name_prefix(self) -> str: ...

    @property
    def account_id(self) -> pulumi.Input[str]: ...

    @property
    def region(self) -> str: ...

    @property
    def image_uri(self) -> pulumi.Input[str]: ...

    @property
    def image_repository_arn(self) -> pulumi.Input[str]: ...

    @property
    def kms_key_arn(self) -> pulumi.Input[str]: ...

    @property
    def topic_arn(self) -> pulumi.Input[str]: ...

    @property
    def bucket_name(self) -> str: ...

    @property
    def schedule_expression(self) -> str: ...

    @property
    def subnet_ids(self) -> Sequence[str]: ...

    @property
    def security_group_ids(self) -> Sequence[str]: ...

    @property
    def log_retention_days(self) -> int: ...

    @property
    def tracing(self) -> bool: ...

    @property
    def job_role_name(self) -> str: ...

    @property
    def scheduler_role_name(self) -> str: ...

    @property
    def tags(self) -> dict[str, str]: ...



def model_job_schedule_args(
    args: ModelJobArgs,
    *,
    kind: str,
    steps: Sequence[ProcessingStepArgs],
    read_prefixes: Sequence[str],
    write_prefixes: Sequence[str],
    external_read_uris: Sequence[str] = (),
) -> ProcessingJobScheduleArgs:
    """The schedule of one of a model's monitoring jobs (`kind`: drift, quality), in the model's bucket."""
    name_prefix = f"{args.name_prefix}-{kind}"
    return ProcessingJobScheduleArgs(
        name_prefix=name_prefix,
        job_prefix=job_prefix_for(name_prefix),
        account_id=args.account_id,
        region=args.region,
        image_uri=args.image_uri,
        image_repository_arn=args.image_repository_arn,
        kms_key_arn=args.kms_key_arn,
        topic_arn=args.topic_arn,
        artifact_bucket_arn=f"arn:aws:s3:::{args.bucket_name}",
        schedule_expression=args.schedule_expression,
        steps=steps,
        read_prefixes=read_prefixes,
        write_prefixes=write_prefixes,
        external_read_uris=external_read_uris,
        metric_namespace=CLOUDWATCH_NAMESPACE,
        subnet_ids=args.subnet_ids,
        security_group_ids=args.security_group_ids,
        description=f"Slipstack {kind} check of {args.model} ({args.environment})",
        log_retention_days=args.log_retention_days,
        tracing=args.tracing,
        job_role_name=args.job_role_name,
        scheduler_role_name=args.scheduler_role_name,
        tags=args.tags,
    )


def job_role_policy(args: ProcessingJobScheduleArgs, account: str, key_arn: str, repository_arn: str) -> str:
    """The job role's inline policy as JSON text (pure; tests read the same output from the plan)."""
    bucket = args.artifact_bucket_arn
    region = args.region
    group = f"arn:aws:logs:{region}:{account}:log-group:{PROCESSING_LOG_GROUP}"
    # SageMaker reads a windowed input's manifest with the job's role, then the objects it lists.
    manifests = (args.manifest_prefix,) if windowed_input(args) else ()
    readable = (*args.read_prefixes, *args.write_prefixes, *manifests)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadInputs",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [f"{bucket}/{p}*" for p in readable],
        },
        {
            "Sid": "ListOwnPrefixes",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket],
            "Condition": {"StringLike": {"s3:prefix": [f"{p}*" for p in readable]}},
        },
        {
            "Sid": "UseModelKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": [key_arn],
        },
        {
            "Sid": "GrantKeyToJobVolumes",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant"],
            "Resource": [key_arn],
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "PullMonitoringImage",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            "Resource": [repository_arn],
        },
        {"Sid": "EcrLoginHasNoResourceScope", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"],
         "Resource": "*"},
        {
            "Sid": "WriteJobLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [group, f"{group}:log-stream:{args.job_prefix}-*"],
        },
    ]
    for uri in args.external_read_uris:
        external_bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        statements.insert(1, {
            "Sid": f"ReadExternal{len(statements)}",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [f"arn:aws:s3:::{external_bucket}/{prefix}*"],
        })
        statements.insert(2, {
            "Sid": f"ListExternal{len(statements)}",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{external_bucket}"],
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        })
    if args.write_prefixes:
        statements.insert(1, {
            "Sid": "WriteOutputs",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": [f"{bucket}/{p}*" for p in args.write_prefixes],
        })
    if args.metric_namespace:
        statements.append({
            "Sid": "PublishMonitoringMetricsOnly",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": args.metric_namespace}},
        })
    if args.subnet_ids:
        statements += [
            {
                "Sid": "JobNetworkInterfaces",
                "Effect": "Allow",
                "Action": ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                           "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
                "Resource": [
                    f"arn:aws:ec2:{region}:{account}:network-interface/*",
                    *(f"arn:aws:ec2:{region}:{account}:subnet/{s}" for s in args.subnet_ids),
                    *(f"arn:aws:ec2:{region}:{account}:security-group/{g}" for g in args.security_group_ids),
                ],
            },
            {
                "Sid": "DescribeNetworkHasNoResourceScope",
                "Effect": "Allow",
                "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
                           "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
                "Resource": "*",
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def state_machine_trust_policy(account: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }],
    })


def state_machine_policy(
    args: ProcessingJobScheduleArgs, account: str, job_role_arn: str, key_arn: str = ""
) -> str:
    jobs = f"arn:aws:sagemaker:{args.region}:{account}:processing-job/{args.job_prefix}-*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "RunThisModelsProcessingJobs",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob",
                       "sagemaker:StopProcessingJob"],
            "Resource": [jobs],
        },
        {
            "Sid": "TagThisModelsProcessingJobs",
            "Effect": "Allow",
            "Action": ["sagemaker:AddTags", "sagemaker:ListTags"],
            "Resource": [jobs],
        },
        {
            "Sid": "PassJobRoleToSageMakerOnly",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [job_role_arn],
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
        {
            "Sid": "SyncIntegrationWatchesJobEvents",
            "Effect": "Allow",
            "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            "Resource": [f"arn:aws:events:{args.region}:{account}:rule/{SYNC_EVENTS_RULE}"],
        },
        {"Sid": "LogDeliveryHasNoResourceScope", "Effect": "Allow", "Action": list(LOG_DELIVERY_ACTIONS),
         "Resource": "*"},
    ]
    found = windowed_input(args)
    if found is not None:
        _, item = found
        _, root = _bucket_and_key(item.s3_uri)
        statements += [
            {
                "Sid": "ListTheCaptureWindow",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [args.artifact_bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [f"{root}*"]}},
            },
            {
                "Sid": "WriteWindowManifests",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{args.artifact_bucket_arn}/{args.manifest_prefix}*"],
            },
            # The manifest is written SSE-KMS with the model's key.
            {"Sid": "EncryptWindowManifests", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
             "Resource": [key_arn]},
        ]
    if args.tracing:
        statements.append({"Sid": "XRayHasNoResourceScope", "Effect": "Allow", "Action": list(XRAY_ACTIONS),
                           "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def scheduler_policy(state_machine_arn: str, key_arn: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "StartThisStateMachine", "Effect": "Allow", "Action": ["states:StartExecution"],
             "Resource": [state_machine_arn]},
            # The schedule's target input is encrypted with the model's key.
            {"Sid": "DecryptScheduleInput", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn]},
        ],
    })


def windowed_input(args: ProcessingJobScheduleArgs) -> tuple[ProcessingStepArgs, ProcessingInputArgs] | None:
    """The (step, input) whose input is a capture window; a schedule has at most one."""
    found = [(step, item) for step in args.steps for item in step.inputs if item.window_hours > 0]
    if len({(item.name, item.s3_uri, item.window_hours) for _, item in found}) > 1:
        raise ValueError("a processing job schedule lists at most one capture window")
    return found[0] if found else None


def _bucket_and_key(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def manifest_uri(args: ProcessingJobScheduleArgs, item: ProcessingInputArgs) -> str:
    """Where the run's manifest of a windowed input is written (per execution)."""
    bucket, _ = _bucket_and_key(item.s3_uri)
    return f"s3://{bucket}/{args.manifest_prefix}{EXECUTION_PLACEHOLDER}/{item.name}.manifest"


HOUR_MS = 3_600_000
_HOUR_PICTURE = "'[Y0001]/[M01]/[D01]/[H01]/'"  # SageMaker's capture partitions, yyyy/mm/dd/hh/ (UTC)
LIST_PAGE_SIZE = 1000


def window_states(args: ProcessingJobScheduleArgs, key_arn: str, first_job_state: str) -> dict[str, Any]:
    """The JSONata states that list a window's hour partitions into a manifest, then go to the first job.

    Keys under the root sort by time (yyyy/mm/dd/hh/), so one listing from the window's first hour, page
    by page, stops at the first key past the window's last hour: the cost is the window, not the history.
    """
    found = windowed_input(args)
    assert found is not None
    _, item = found
    bucket, root = _bucket_and_key(item.s3_uri)
    root = root if root.endswith("/") else root + "/"
    now = "$toMillis($states.context.Execution.StartTime)"
    first_hour = f"$floor(({now} - {item.window_hours * HOUR_MS}) / {HOUR_MS}) * {HOUR_MS}"
    after_last_hour = f"($floor({now} / {HOUR_MS}) + 1) * {HOUR_MS}"
    manifest_bucket, manifest_key = _bucket_and_key(manifest_uri(args, item))
    before, _, after = manifest_key.partition(EXECUTION_PLACEHOLDER)
    in_window = "$states.result.Contents[Key < $windowEnd].Key"
    return {
        "CaptureWindow": {
            "Type": "Pass",
            "QueryLanguage": "JSONata",
            "Comment": f"The hour partitions of the last {item.window_hours} h under {item.s3_uri}",
            "Assign": {
                "windowStart": f"{{% '{root}' & $fromMillis({first_hour}, {_HOUR_PICTURE}) %}}",
                "windowEnd": f"{{% '{root}' & $fromMillis({after_last_hour}, {_HOUR_PICTURE}) %}}",
                "captureKeys": "{% [] %}",
                "listToken": "",
            },
            "Next": "ListCaptureWindow",
        },
        "ListCaptureWindow": {
            "Type": "Task",
            "QueryLanguage": "JSONata",
            "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
            # StartAfter on the first page (keys after the window's first hour folder), then the token.
            "Arguments": f"{{% $merge([{{'Bucket': '{bucket}', 'Prefix': '{root}', 'MaxKeys': {LIST_PAGE_SIZE}}}, "
                         "$listToken = '' ? {'StartAfter': $windowStart} : {'ContinuationToken': $listToken}]) %}",
            "Assign": {
                # Relative to the root, as the manifest lists them (and shorter: the keys live in a variable).
                # $append with nothing to add (an empty page) returns the list as it was.
                "captureKeys": f"{{% $append($captureKeys, $map({in_window}, function($k) "
                               f"{{ $substringAfter($k, '{root}') }})) %}}",
                "listToken": "{% $exists($states.result.NextContinuationToken) ? "
                             "$states.result.NextContinuationToken : '' %}",
                "listMore": "{% $states.result.IsTruncated = true and "
                            "$count($states.result.Contents[Key >= $windowEnd]) = 0 %}",
            },
            "Output": "{% $states.input %}",
            "Next": "MoreCaptureInWindow",
        },
        "MoreCaptureInWindow": {
            "Type": "Choice",
            "QueryLanguage": "JSONata",
            "Choices": [
                {"Condition": "{% $listMore %}", "Next": "ListCaptureWindow"},
                {"Condition": "{% $count($captureKeys) = 0 %}", "Next": "NoCaptureInWindow"},
            ],
            "Default": "WriteCaptureManifest",
        },
        "NoCaptureInWindow": {
            "Type": "Succeed",
            "Comment": "No request was captured in the window: nothing to test, no job started",
        },
        "WriteCaptureManifest": {
            "Type": "Task",
            "QueryLanguage": "JSONata",
            "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Arguments": {
                "Bucket": manifest_bucket,
                "Key": f"{{% '{before}' & $states.context.Execution.Name & '{after}' %}}",
                "Body": f"{{% $string($append([{{'prefix': 's3://{bucket}/{root}'}}], $captureKeys)) %}}",
                "ContentType": "application/json",
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": key_arn,
            },
            "Output": "{% $states.input %}",
            "Next": first_job_state,
        },
    }


def _s3_uri(key: str, uri: str) -> dict[str, str]:
    """A static S3 URI, or a States.Format that puts the execution's name where {execution} is."""
    if EXECUTION_PLACEHOLDER not in uri:
        return {key: uri}
    template = uri.replace(EXECUTION_PLACEHOLDER, "{}")
    return {f"{key}.$": f"States.Format('{template}', $$.Execution.Name)"}


def processing_job_request(
    args: ProcessingJobScheduleArgs, step: ProcessingStepArgs, job_role_arn: str, key_arn: str, image_uri: str
) -> dict[str, Any]:
    """The CreateProcessingJob parameters (API field names) of one state."""
    cluster: dict[str, Any] = {
        "InstanceCount": step.instance_count,
        "InstanceType": step.instance_type,
        "VolumeSizeInGB": step.volume_size_gb,
    }
    if not has_local_nvme(step.instance_type):  # AWS rejects a volume key on local-NVMe families
        cluster["VolumeKmsKeyId"] = key_arn
    network: dict[str, Any] = {
        "EnableNetworkIsolation": step.network_isolation,
        "EnableInterContainerTrafficEncryption": True,
    }
    if args.subnet_ids:
        network["VpcConfig"] = {"Subnets": list(args.subnet_ids), "SecurityGroupIds": list(args.security_group_ids)}
    request: dict[str, Any] = {
        "ProcessingJobName.$": f"States.Format('{args.job_prefix}-{step.kind}-{{}}', States.UUID())",
        "RoleArn": job_role_arn,
        "AppSpecification": {"ImageUri": image_uri, "ContainerEntrypoint": list(step.container_argv)},
        "ProcessingResources": {"ClusterConfig": cluster},
        "ProcessingInputs": [
            {
                "InputName": item.name,
                "S3Input": {
                    **_s3_uri("S3Uri", manifest_uri(args, item) if item.window_hours else item.s3_uri),
                    "LocalPath": item.local_path,
                    "S3DataType": "ManifestFile" if item.window_hours else item.data_type,
                    "S3InputMode": "File",
                    "S3DataDistributionType": item.distribution,
                },
            }
            for item in step.inputs
        ],
        "NetworkConfig": network,
        "StoppingCondition": {"MaxRuntimeInSeconds": step.max_runtime_seconds},
        "Tags": [{"Key": k, "Value": v} for k, v in sorted(args.tags.items())],
    }
    if step.outputs:
        request["ProcessingOutputConfig"] = {
            "KmsKeyId": key_arn,
            "Outputs": [
                {
                    "OutputName": item.name,
                    "S3Output": {**_s3_uri("S3Uri", item.s3_uri), "LocalPath": item.local_path,
                                 "S3UploadMode": "EndOfJob"},
                }
                for item in step.outputs
            ],
        }
    if step.environment:
        request["Environment"] = dict(step.environment)
    return request


def state_machine_definition(
    args: ProcessingJobScheduleArgs, job_role_arn: str, key_arn: str, image_uri: str
) -> dict[str, Any]:
    """Amazon States Language: the steps in order, each waiting for its processing job (.sync)."""
    states: dict[str, Any] = {}
    for position, step in enumerate(args.steps):
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": SYNC_PROCESSING_JOB,
            "Parameters": processing_job_request(args, step, job_role_arn, key_arn, image_uri),
            "ResultPath": None,  # the next job takes its input from S3, not from the state
        }
        if position + 1 < len(args.steps):
            state["Next"] = args.steps[position + 1].state_name
        else:
            state["End"] = True
        states[step.state_name] = state
    start = args.steps[0].state_name
    if windowed_input(args) is not None:
        states = {**window_states(args, key_arn, start), **states}
        start = "CaptureWindow"
    return {"Comment": args.description, "StartAt": start, "States": states}


class ProcessingJobSchedule(pulumi.ComponentResource):
    state_machine: aws.sfn.StateMachine
    schedule: aws.scheduler.Schedule
    job_role: aws.iam.Role

    def __init__(self, name: str, args: ProcessingJobScheduleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ProcessingJobSchedule", name, None, opts)
        if not args.steps:
            raise ValueError("a processing job schedule needs at least one step")
        for step in args.steps:
            length = len(args.job_prefix) + len(step.kind) + 2 + UUID_LENGTH
            if length > JOB_NAME_LIMIT:
                raise ValueError(f"job names '{args.job_prefix}-{step.kind}-<uuid>' would exceed {JOB_NAME_LIMIT}")
        child = pulumi.ResourceOptions(parent=self)
        account = pulumi.Output.from_input(args.account_id)

        self.job_role = aws.iam.Role(
            f"{name}-job-role",
            name=args.job_role_name or None,
            description=f"{args.description}: the processing jobs' role (Slipstack)",
            assume_role_policy=account.apply(sagemaker_trust_policy),
            max_session_duration=3600,
            tags=args.tags,
            opts=child,
        )
        job_policy = aws.iam.RolePolicy(
            f"{name}-job-policy",
            role=self.job_role.id,
            policy=pulumi.Output.all(account, args.kms_key_arn, args.image_repository_arn).apply(
                lambda v: job_role_policy(args, v[0], v[1], v[2])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.job_role]),
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/states/{args.name_prefix}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=child,
        )
        machine_role = aws.iam.Role(
            f"{name}-states-role",
            description=f"{args.description}: the state machine's role (Slipstack)",
            assume_role_policy=account.apply(state_machine_trust_policy),
            tags=args.tags,
            opts=child,
        )
        machine_policy = aws.iam.RolePolicy(
            f"{name}-states-policy",
            role=machine_role.id,
            policy=pulumi.Output.all(account, self.job_role.arn, args.kms_key_arn).apply(
                lambda v: state_machine_policy(args, v[0], v[1], v[2])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[machine_role]),
        )
        definition = pulumi.Output.all(self.job_role.arn, args.kms_key_arn, args.image_uri).apply(
            lambda v: json.dumps(state_machine_definition(args, v[0], v[1], v[2]), indent=2)
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-state-machine",
            name=args.name_prefix[:80],
            type="STANDARD",
            role_arn=machine_role.arn,
            definition=definition,
            logging_configuration={
                "log_destination": log_group.arn.apply(lambda arn: f"{arn}:*"),
                "include_execution_data": False,
                "level": "ALL",
            },
            tracing_configuration={"enabled": args.tracing},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[machine_policy, job_policy]),
        )
        scheduler_role = aws.iam.Role(
            f"{name}-scheduler-role",
            name=args.scheduler_role_name or None,
            description=f"{args.description}: EventBridge Scheduler starts the state machine (Slipstack)",
            assume_role_policy=account.apply(scheduler_trust_policy),
            tags=args.tags,
            opts=child,
        )
        scheduler_role_policy = aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=scheduler_role.id,
            policy=pulumi.Output.all(self.state_machine.arn, args.kms_key_arn).apply(
                lambda v: scheduler_policy(v[0], v[1])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[scheduler_role]),
        )
        self.schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=args.name_prefix[:64],
            description=args.description,
            schedule_expression=args.schedule_expression,
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "OFF"},
            kms_key_arn=args.kms_key_arn,
            target={
                # Templated target: the scheduler calls states:StartExecution on this ARN.
                "arn": self.state_machine.arn,
                "role_arn": scheduler_role.arn,
                "input": "{}",
                "retry_policy": {"maximum_retry_attempts": 0},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[scheduler_role_policy]),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-failures",
            name=f"{args.name_prefix}-failures"[:64],
            description=f"{args.description}: failed, timed-out or aborted runs",
            event_pattern=self.state_machine.arn.apply(
                lambda arn: json.dumps({
                    "source": ["aws.states"],
                    "detail-type": ["Step Functions Execution Status Change"],
                    "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [arn]},
                })
            ),
            tags=args.tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(f"{name}-failures-to-topic", rule=rule.name, arn=args.topic_arn, opts=child)
        aws.cloudwatch.MetricAlarm(
            f"{name}-executions-failed",
            name=f"{args.name_prefix}-executions-failed",
            alarm_description=f"{args.description}: a scheduled run failed",
            namespace="AWS/States",
            metric_name="ExecutionsFailed",
            dimensions={"StateMachineArn": self.state_machine.arn},
            statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            period=3600,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=child,
        )
        self.register_outputs({
            "state_machine_arn": self.state_machine.arn,
            "schedule_arn": self.schedule.arn,
            "job_role_arn": self.job_role.arn,
        })
