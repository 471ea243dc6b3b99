"""Who may call a model's endpoint: one managed policy, attached to the spec's invoker roles.

Creates: `aws.iam.Policy` allowing `sagemaker:InvokeEndpoint` (and `InvokeEndpointAsync`) on this one
endpoint's ARN only, and one `aws.iam.RolePolicyAttachment` per invoker role (by role name, taken from
the role ARN the spec lists; the roles themselves belong to the calling applications).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class EndpointInvokerPolicyArgs:
    policy_name: str
    endpoint_arn: pulumi.Input[str]
    invoker_role_arns: Sequence[str] = ()
    include_async: bool = False
    tags: dict[str, str] = field(default_factory=dict)


def role_name_from_arn(role_arn: str) -> str:
    """`arn:aws:iam::123456789012:role/team/app` -> `app` (attachments take the name without the path)."""
    return role_arn.split(":role/", 1)[1].rsplit("/", 1)[-1]


def invoker_policy(endpoint_arn: str, include_async: bool) -> str:
    actions = ["sagemaker:InvokeEndpoint", *(["sagemaker:InvokeEndpointAsync"] if include_async else [])]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "InvokeThisEndpoint", "Effect": "Allow", "Action": actions,
                           "Resource": [endpoint_arn]}],
        }
    )


class EndpointInvokerPolicy(pulumi.ComponentResource):
    policy: aws.iam.Policy

    def __init__(self, name: str, args: EndpointInvokerPolicyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:EndpointInvokerPolicy", name, None, opts)
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=args.policy_name,
            description="Invoke one Slipstack model endpoint",
            policy=pulumi.Output.from_input(args.endpoint_arn).apply(
                lambda arn: invoker_policy(arn, args.include_async)
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, role_arn in enumerate(args.invoker_role_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-attach-{index}",
                role=role_name_from_arn(role_arn),
                policy_arn=self.policy.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
            )
        self.register_outputs({"arn": self.policy.arn})
