"""A customer-managed KMS key per model and environment, with rotation and an alias.

Everything the model stores (artifacts, captured requests, logs, alarm topics) is encrypted with this
key, so revoking one model's access, or auditing it, never touches another model's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class ModelKmsKeyArgs:
    alias: str  # without the "alias/" prefix
    account_id: pulumi.Input[str]
    description: str
    tags: dict[str, str] = field(default_factory=dict)
    deletion_window_in_days: int = 30


class ModelKmsKey(pulumi.ComponentResource):
    key: aws.kms.Key
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: ModelKmsKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ModelKmsKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The account root administers the key (so IAM policies can grant use); no principal outside it.
        policy = pulumi.Output.from_input(args.account_id).apply(
            lambda account: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            )
        )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_in_days,
            policy=policy,
            tags=args.tags,
            opts=child,
        )
        aws.kms.Alias(f"{name}-alias", name=f"alias/{args.alias}", target_key_id=self.key.key_id, opts=child)
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
