"""Who may call a model's endpoint: one managed policy, attached to the spec's invoker roles.

Creates: `aws.iam.Policy` allowing `sagemaker:InvokeEndpoint` (and `InvokeEndpointAsync`) on this one
endpoint's ARN only, and one `aws.iam.RolePolicyAttachment` per invoker role (by role name, taken from
the role ARN the spec lists; the roles themselves belong to the calling applications).

An asynchronous endpoint is called in three steps, and the policy covers each: upload the request body
under the input prefix (`s3:PutObject`, with `kms:GenerateDataKey` because the bucket encrypts with the
model's key), `InvokeEndpointAsync` naming that object, then read the result or the failure SageMaker
writes under the output and failure prefixes (`s3:GetObject`, `kms:Decrypt`). Nothing else in the
bucket: not the model artifacts, not other prefixes. The key's policy lets IAM grant its use within the
account; invoker roles of another account would also need the key policy to name them.
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
    # Async: object ARNs (`arn:aws:s3:::bucket/prefix/*`) callers upload requests to and read results from,
    # and the key those objects are encrypted with.
    input_object_arns: Sequence[str] = ()
    result_object_arns: Sequence[str] = ()
    kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)


def role_name_from_arn(role_arn: str) -> str:
    """`arn:aws:iam::123456789012:role/team/app` -> `app` (attachments take the name without the path)."""
    return role_arn.split(":role/", 1)[1].rsplit("/", 1)[-1]


def invoker_policy(
    endpoint_arn: str,
    include_async: bool,
    key_arn: str | None = None,
    input_object_arns: Sequence[str] = (),
    result_object_arns: Sequence[str] = (),
) -> str:
    actions = ["sagemaker:InvokeEndpoint", *(["sagemaker:InvokeEndpointAsync"] if include_async else [])]
    statements: list[dict[str, object]] = [
        {"Sid": "InvokeThisEndpoint", "Effect": "Allow", "Action": actions, "Resource": [endpoint_arn]}
    ]
    if input_object_arns:
        statements.append({"Sid": "UploadAsyncRequests", "Effect": "Allow", "Action": ["s3:PutObject"],
                           "Resource": list(input_object_arns)})
    if result_object_arns:
        statements.append({"Sid": "ReadAsyncResults", "Effect": "Allow", "Action": ["s3:GetObject"],
                           "Resource": list(result_object_arns)})
    if key_arn and (input_object_arns or result_object_arns):
        key_actions = [*(["kms:GenerateDataKey"] if input_object_arns else []),
                       *(["kms:Decrypt"] if result_object_arns else [])]
        statements.append({"Sid": "UseModelKeyForAsyncObjects", "Effect": "Allow", "Action": key_actions,
                           "Resource": [key_arn]})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class EndpointInvokerPolicy(pulumi.ComponentResource):
    policy: aws.iam.Policy

    def __init__(self, name: str, args: EndpointInvokerPolicyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:EndpointInvokerPolicy", name, None, opts)
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=args.policy_name,
            description="Invoke one Slipstack model endpoint",
            policy=pulumi.Output.all(args.endpoint_arn, args.kms_key_arn).apply(
                lambda v: invoker_policy(v[0], args.include_async, v[1], args.input_object_arns,
                                         args.result_object_arns)
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
