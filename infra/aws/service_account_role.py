"""An IAM role for one Kubernetes ServiceAccount on EKS (IRSA), with least-privilege access to the model's S3 data.

Creates:
- `aws.iam.Role` assumable only with a web identity token of the cluster's OIDC provider, for exactly
  one ServiceAccount of one namespace (`sub` condition) and only for STS (`aud` condition). The
  provider is the one the AWS Load Balancer Controller already trusts (load_balancer_controller.py):
  IAM allows one provider per issuer URL;
- `aws.iam.RolePolicy` with one statement per need, each on exact prefixes of one bucket:
  GetObject on `read_prefixes` (the model artifacts the init container fetches), PutObject on
  `write_prefixes` (the capture writer), GetObject plus ListBucket limited by `s3:prefix` on
  `read_list_prefixes` (the drift job reads capture windows), and, when the bucket is encrypted with
  a customer-managed key, kms:Decrypt/GenerateDataKey on that key, through S3 only.

The key is named by its alias (`kms:ResourceAliases`): the stack that creates the Kubernetes objects
has no handle on the key resource of the model's AWS stack, while the alias is fixed by naming. The
key policy must let IAM grant its use (an account-root administration statement does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi
import pulumi_aws as aws

KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")

# The audience EKS projects into ServiceAccount tokens for IAM roles (IRSA).
STS_AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True)
class ServiceAccountRoleArgs:
    role_name: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]  # https://oidc.eks.<region>.amazonaws.com/id/<id>
    namespace: str
    service_account_name: str
    account_id: pulumi.Input[str]
    region: str
    bucket_name: str
    # Key prefixes ("models/<model>/<digest>/"), each ending in "/" so a prefix never matches a sibling.
    read_prefixes: Sequence[str] = ()
    write_prefixes: Sequence[str] = ()
    read_list_prefixes: Sequence[str] = ()
    # Alias (without "alias/") of the customer-managed key the bucket encrypts with; None for SSE-S3 stores.
    kms_key_alias: str | None = None
    partition: str = "aws"
    tags: dict[str, str] = field(default_factory=dict)


def trust_policy(
    provider_arn: str, issuer_url: str, namespace: str, service_account: str, sid: str = "ModelServiceAccountOnly"
) -> str:
    """Web-identity trust (IRSA) for one ServiceAccount of one cluster, and for STS only.

    The load balancer controller's role uses the same trust, for its own ServiceAccount.
    """
    issuer = issuer_url.removeprefix("https://")
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{issuer}:aud": STS_AUDIENCE,
            }},
        }],
    })


def _prefix(prefix: str, where: str) -> str:
    if not prefix.endswith("/") or prefix.startswith("/") or "*" in prefix:
        raise ValueError(f"{where}: '{prefix}' must be a key prefix ending in '/', without '*' or a leading '/'")
    return prefix


class S3PrefixAccess(Protocol):
    """What a principal may do on one bucket: exact key prefixes, and the bucket's key through S3."""

    @property
    def region(self) -> str: ...
    @property
    def bucket_name(self) -> str: ...
    @property
    def read_prefixes(self) -> Sequence[str]: ...
    @property
    def write_prefixes(self) -> Sequence[str]: ...
    @property
    def read_list_prefixes(self) -> Sequence[str]: ...
    @property
    def kms_key_alias(self) -> str | None: ...
    @property
    def partition(self) -> str: ...


def policy_statements(args: S3PrefixAccess, account: str) -> list[dict[str, Any]]:
    """The role's statements: exact prefixes of one bucket, and the model's key through S3 only."""
    bucket_arn = f"arn:{args.partition}:s3:::{args.bucket_name}"
    reads = [_prefix(p, "read_prefixes") for p in args.read_prefixes]
    writes = [_prefix(p, "write_prefixes") for p in args.write_prefixes]
    listed = [_prefix(p, "read_list_prefixes") for p in args.read_list_prefixes]
    statements: list[dict[str, Any]] = []
    if reads:
        statements.append({"Sid": "ReadModelArtifacts", "Effect": "Allow", "Action": ["s3:GetObject"],
                           "Resource": [f"{bucket_arn}/{p}*" for p in reads]})
    if writes:
        statements.append({"Sid": "WriteCapturedRequests", "Effect": "Allow", "Action": ["s3:PutObject"],
                           "Resource": [f"{bucket_arn}/{p}*" for p in writes]})
    if listed:
        statements += [
            {"Sid": "ReadCapturedRequests", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": [f"{bucket_arn}/{p}*" for p in listed]},
            # ListBucket is a bucket action: the s3:prefix condition keeps listings inside the prefixes.
            {"Sid": "ListCapturedRequests", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket_arn,
             "Condition": {"StringLike": {"s3:prefix": [f"{p}*" for p in listed]}}},
        ]
    if args.kms_key_alias and statements:
        statements.append({
            "Sid": "UseModelKeyThroughS3", "Effect": "Allow", "Action": list(KMS_ACTIONS),
            "Resource": f"arn:{args.partition}:kms:{args.region}:{account}:key/*",
            "Condition": {
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{args.kms_key_alias}"},
                "StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"},
            },
        })
    return statements


class ServiceAccountRole(pulumi.ComponentResource):
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: ServiceAccountRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ServiceAccountRole", name, None, opts)
        # Fail at plan time on a malformed prefix, not inside an apply callback.
        policy_statements(args, "000000000000")
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer_url).apply(
                lambda values: trust_policy(values[0], values[1], args.namespace, args.service_account_name)
            ),
            tags=args.tags,
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: json.dumps({"Version": "2012-10-17",
                                            "Statement": policy_statements(args, account)})
            ),
            opts=child,
        )
        self.arn = self.role.arn
        self.register_outputs({"role_arn": self.arn})
