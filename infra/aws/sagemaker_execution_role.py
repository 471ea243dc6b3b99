"""The IAM role SageMaker assumes to run one model: least privilege, no managed policies.

Creates: `aws.iam.Role` (trusted only by sagemaker.amazonaws.com, and only on behalf of this account:
an `aws:SourceAccount` condition stops the confused-deputy case) and one inline `aws.iam.RolePolicy`
whose statements name exact actions and resources:
- read the model's artifact prefix, write its capture/output prefixes (list only prefixes it is told to);
- read and list the external input prefixes (a batch transform's S3Prefix input lists its prefix before
  it reads), write the external output prefixes;
- use the model's KMS key (encrypt, decrypt, data keys);
- pull the serving image from its ECR repository (`ecr:GetAuthorizationToken` has no resource scoping,
  so it is the one Resource `*` besides the Describe calls below);
- write its CloudWatch logs, and metrics only in the namespaces it owns (`cloudwatch:namespace` condition);
- publish async-inference notifications to its own SNS topics;
- read the state of the alarms its endpoint rolls back on (`cloudwatch:DescribeAlarms` on those alarm
  ARNs). SageMaker checks the alarms service-side during a blue/green deployment; the principal that runs
  `pulumi up` (UpdateEndpoint) needs the same permission on those alarms;
- in a VPC: create and delete the endpoint's network interfaces in the given subnets and security
  groups (the ec2:Describe* calls it needs cannot be scoped to resources, AWS offers no resource type).
No wildcard actions, no iam:PassRole, no AWS-managed FullAccess policy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

SAGEMAKER_METRIC_NAMESPACES = ("/aws/sagemaker/Endpoints", "/aws/sagemaker/TransformJobs")


@dataclass(frozen=True)
class SageMakerExecutionRoleArgs:
    role_name: str
    account_id: pulumi.Input[str]
    region: str
    artifact_bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    read_prefixes: Sequence[str]  # e.g. "models/<model>/" (no leading slash)
    write_prefixes: Sequence[str] = ()
    list_prefixes: Sequence[str] = ()  # artifact-bucket prefixes the service lists (none for endpoints)
    # s3://bucket/prefix locations outside the artifact bucket (batch input and output, async results).
    external_read_uris: Sequence[str] = ()
    external_write_uris: Sequence[str] = ()
    image_repository_arns: Sequence[str] = ()
    log_group_names: Sequence[str] = ()  # e.g. "/aws/sagemaker/Endpoints/<endpoint>"
    metric_namespaces: Sequence[str] = SAGEMAKER_METRIC_NAMESPACES
    alarm_names: Sequence[str] = ()
    publish_topic_arns: Sequence[pulumi.Input[str]] = ()
    subnet_ids: Sequence[str] = ()
    security_group_ids: Sequence[str] = ()
    tags: dict[str, str] = field(default_factory=dict)


def trust_policy(account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            ],
        }
    )


def s3_object_arn(uri: str) -> str:
    """`s3://bucket/prefix/` -> `arn:aws:s3:::bucket/prefix/*` (objects under the prefix only).

    A run-scoped location (`.../<aws.scheduler.scheduled-time>/`) is granted under its fixed part.
    """
    return f"arn:aws:s3:::{uri.removeprefix('s3://').split('<', 1)[0].rstrip('*')}*"


def _by_bucket(uris: Sequence[str]) -> dict[str, list[str]]:
    """`s3://bucket/prefix/` locations grouped by bucket (prefixes without the template part of a run)."""
    grouped: dict[str, list[str]] = {}
    for uri in uris:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        # A run-scoped input (`daily/<aws.scheduler.scheduled-time>/`) lists under its fixed part.
        fixed = prefix.split("<", 1)[0]
        grouped.setdefault(bucket, [])
        if fixed not in grouped[bucket]:
            grouped[bucket].append(fixed)
    return grouped


def execution_policy(
    args: SageMakerExecutionRoleArgs, account: str, bucket_arn: str, key_arn: str, topic_arns: Sequence[str]
) -> str:
    """The inline policy as JSON text (pure; the tests read the same function's output from the plan)."""
    region = args.region
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadModelArtifacts",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [
                *(f"{bucket_arn}/{prefix}*" for prefix in args.read_prefixes),
                *(s3_object_arn(uri) for uri in args.external_read_uris),
            ],
        },
        # Endpoints and transform jobs fetch ModelDataUrl as one object and only write captured data and
        # results, so the artifact bucket is listed only where a caller names prefixes to list.
        *(
            {
                "Sid": "ListOwnPrefixes",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [f"{p}*" for p in args.list_prefixes]}},
            }
            for _ in range(1 if args.list_prefixes else 0)
        ),
        *(
            {
                "Sid": f"ListInput{index}",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            }
            for index, (bucket, prefixes) in enumerate(_by_bucket(args.external_read_uris).items())
        ),
        {
            "Sid": "UseModelKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": [key_arn],
        },
        {
            "Sid": "GrantKeyToSageMakerVolumes",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant"],
            "Resource": [key_arn],
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "WriteMetricsInOwnNamespaces",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": list(args.metric_namespaces)}},
        },
    ]
    if args.write_prefixes or args.external_write_uris:
        statements.insert(
            1,
            {
                "Sid": "WriteCapturedDataAndResults",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": [
                    *(f"{bucket_arn}/{prefix}*" for prefix in args.write_prefixes),
                    *(s3_object_arn(uri) for uri in args.external_write_uris),
                ],
            },
        )
    if args.image_repository_arns:
        statements += [
            {
                "Sid": "PullServingImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                "Resource": list(args.image_repository_arns),
            },
            {
                "Sid": "EcrLoginHasNoResourceScope",
                "Effect": "Allow",
                "Action": ["ecr:GetAuthorizationToken"],
                "Resource": "*",
            },
        ]
    if args.log_group_names:
        groups = [f"arn:aws:logs:{region}:{account}:log-group:{name}" for name in args.log_group_names]
        statements.append(
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [*groups, *(f"{group}:log-stream:*" for group in groups)],
            }
        )
    if args.alarm_names:
        statements.append(
            {
                "Sid": "ReadRollbackAlarms",
                "Effect": "Allow",
                "Action": ["cloudwatch:DescribeAlarms"],
                "Resource": [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}" for name in args.alarm_names],
            }
        )
    if topic_arns:
        statements.append(
            {"Sid": "PublishAsyncNotifications", "Effect": "Allow", "Action": ["sns:Publish"],
             "Resource": list(topic_arns)}
        )
    if args.subnet_ids:
        network = [f"arn:aws:ec2:{region}:{account}:network-interface/*"]
        placement = [
            *(f"arn:aws:ec2:{region}:{account}:subnet/{subnet}" for subnet in args.subnet_ids),
            *(f"arn:aws:ec2:{region}:{account}:security-group/{group}" for group in args.security_group_ids),
        ]
        statements += [
            {
                "Sid": "EndpointNetworkInterfaces",
                "Effect": "Allow",
                "Action": [
                    "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission",
                ],
                "Resource": [*network, *placement],
            },
            {
                "Sid": "DescribeNetworkHasNoResourceScope",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
                    "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
                ],
                "Resource": "*",
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class SageMakerExecutionRole(pulumi.ComponentResource):
    role: aws.iam.Role
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: SageMakerExecutionRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:SageMakerExecutionRole", name, None, opts)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="SageMaker execution role (Slipstack): least privilege for one model",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(trust_policy),
            max_session_duration=3600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(
                args.account_id, args.artifact_bucket_arn, args.kms_key_arn, *args.publish_topic_arns
            ).apply(lambda v: execution_policy(args, v[0], v[1], v[2], v[3:])),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role]),
        )
        self.arn = self.role.arn
        self.register_outputs({"arn": self.arn})
