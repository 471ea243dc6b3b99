"""A customer-managed KMS key per model and environment, with rotation, an alias and a scoped key policy.

Creates: `aws.kms.Key` (symmetric, rotation on, explicit key policy) and `aws.kms.Alias`.

Everything the model stores (artifacts, captured requests, logs, alarm topics, async results) is
encrypted with this key, so revoking one model's access, or auditing it, never touches another
model's data. The key policy names every principal that uses the key:
- the account root administers it (without that statement IAM policies cannot grant use, and a key
  nobody can administer can never be deleted);
- the roles listed in `user_role_names` (the SageMaker execution role) may use it, and may create
  grants only for AWS resources (SageMaker attaches the key to the endpoint's volumes by a grant);
- CloudWatch Logs may use it only for log groups of this account and region (encryption context);
- CloudWatch may use it to publish alarms to the encrypted SNS topic, only on behalf of this account;
- `service_principals` (other services that publish to the encrypted topic) may do the same, only
  on behalf of this account.
No statement allows Principal `*`, and the lockout safety check is never bypassed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Use of the key by a role or service: no wildcard action, no administration.
USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
LOGS_ACTIONS = (
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
    "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey",
)


@dataclass(frozen=True)
class ModelKmsKeyArgs:
    alias: str  # without the "alias/" prefix
    account_id: pulumi.Input[str]
    region: str
    description: str
    # Names of this account's roles that encrypt and decrypt with the key (the SageMaker execution role);
    # they may be created after the key.
    user_role_names: Sequence[str] = ()
    # Further AWS services that publish encrypted data on the account's behalf (e.g. events.amazonaws.com).
    service_principals: Sequence[str] = ()
    tags: dict[str, str] = field(default_factory=dict)
    deletion_window_in_days: int = 30


def key_policy(
    account: str, region: str, user_role_names: Sequence[str], service_principals: Sequence[str]
) -> str:
    """The key policy document as JSON text (pure: tests and the component share it)."""
    statements: list[dict[str, object]] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": list(LOGS_ACTIONS),
            "Resource": "*",
            "Condition": {
                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"}
            },
        },
        {
            "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", *service_principals]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
    ]
    if user_role_names:
        # Named by condition, not as principals: a key policy naming a role that does not exist yet is
        # rejected, and the roles are created after the key (their policies need the key's ARN).
        by_role = {"ArnEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{account}:role/{n}" for n in user_role_names]}}
        statements += [
            {
                "Sid": "RolesUseKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": list(USE_ACTIONS),
                "Resource": "*",
                "Condition": by_role,
            },
            {
                "Sid": "RolesGrantOnlyToAwsResources",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["kms:CreateGrant"],
                "Resource": "*",
                "Condition": {**by_role, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class ModelKmsKey(pulumi.ComponentResource):
    key: aws.kms.Key
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: ModelKmsKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelKmsKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy = pulumi.Output.from_input(args.account_id).apply(
            lambda account: key_policy(account, args.region, args.user_role_names, args.service_principals)
        )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_in_days,
            bypass_policy_lockout_safety_check=False,
            policy=policy,
            tags=args.tags,
            opts=child,
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias", name=f"alias/{args.alias}", target_key_id=self.key.key_id, opts=child
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn, "alias": self.alias.name})
