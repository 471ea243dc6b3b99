"""Least-privilege access for an on-prem cluster's pods that read a model from its AWS artifact bucket.

Creates one `aws.iam.RolePolicy` on an existing role (`kubernetes.aws_reader_role`): GetObject on the
exact artifact prefixes the init container fetches, PutObject on the server's capture prefix, GetObject
and a prefix-limited ListBucket on what the monitoring jobs read, and kms:Decrypt/GenerateDataKey on the
model's key only through S3 of the bucket's region (the same statements as an EKS pod role).

The role itself is a prerequisite, not created here: outside AWS there is no pod identity webhook, so the
pods hold an access key (a Secret with a shared-credentials file whose profile assumes the role), and
IAM users and access keys are never created by a stack (policy IAM-NO-USERS). The role's trust policy
names that user; see docs/kubernetes.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.service_account_role import policy_statements


@dataclass(frozen=True)
class OnPremArtifactReaderArgs:
    role_name: str  # an existing role's name
    policy_name: str
    account_id: pulumi.Input[str]
    region: str
    bucket_name: str
    # Key prefixes ending in "/" (see ServiceAccountRoleArgs).
    read_prefixes: Sequence[str] = ()
    write_prefixes: Sequence[str] = ()
    read_list_prefixes: Sequence[str] = ()
    kms_key_alias: str | None = None
    partition: str = "aws"


class OnPremArtifactReader(pulumi.ComponentResource):
    policy: aws.iam.RolePolicy

    def __init__(self, name: str, args: OnPremArtifactReaderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:OnPremArtifactReader", name, None, opts)
        if not policy_statements(args, "000000000000"):  # also refuses a malformed prefix at plan time
            raise ValueError(f"{name}: the on-prem pods read nothing from s3://{args.bucket_name}")
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=args.policy_name,
            role=args.role_name,
            policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: json.dumps({"Version": "2012-10-17", "Statement": policy_statements(args, account)})
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policy_name": args.policy_name})
