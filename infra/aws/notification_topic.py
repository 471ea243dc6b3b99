"""An SNS topic for alarms or async-inference notifications: KMS-encrypted, TLS-only, scoped publishers.

Creates: `aws.sns.Topic` (encrypted with the model's key), `aws.sns.TopicPolicy` (denies publishing
without TLS, lets the listed AWS services publish only on behalf of this account) and one
`aws.sns.TopicSubscription` per e-mail address, phone number and further subscriber (SQS queue, Lambda
function, HTTPS endpoint). E-mail subscriptions stay pending
until the recipient confirms them; that is SNS's double opt-in, not a deployment failure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class NotificationTopicArgs:
    topic_name: str
    kms_key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    # AWS services allowed to publish (cloudwatch.amazonaws.com for alarms, events.amazonaws.com for rules).
    publisher_services: Sequence[str] = ("cloudwatch.amazonaws.com",)
    emails: Sequence[str] = ()
    sms_numbers: Sequence[str] = ()
    # Further subscribers as (protocol, endpoint): ("sqs", queue ARN), ("lambda", function ARN), ("https", URL).
    subscriptions: Sequence[tuple[str, str]] = ()
    tags: dict[str, str] = field(default_factory=dict)


def topic_policy(topic_arn: str, account: str, publisher_services: Sequence[str]) -> str:
    statements: list[dict[str, object]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "AccountManagesTopic",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
            "Resource": topic_arn,
        },
    ]
    if publisher_services:
        statements.append(
            {
                "Sid": "ServicesPublishForThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": list(publisher_services)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class NotificationTopic(pulumi.ComponentResource):
    topic: aws.sns.Topic
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: NotificationTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:NotificationTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=args.topic_name, kms_master_key_id=args.kms_key_arn, tags=args.tags, opts=child
        )
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, args.account_id).apply(
                lambda values: topic_policy(values[0], values[1], args.publisher_services)
            ),
            opts=child,
        )
        for index, email in enumerate(args.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}", topic=self.topic.arn, protocol="email", endpoint=email, opts=child
            )
        for index, number in enumerate(args.sms_numbers):
            aws.sns.TopicSubscription(
                f"{name}-sms-{index}", topic=self.topic.arn, protocol="sms", endpoint=number, opts=child
            )
        for index, (protocol, endpoint) in enumerate(args.subscriptions):
            aws.sns.TopicSubscription(
                f"{name}-subscriber-{index}", topic=self.topic.arn, protocol=protocol, endpoint=endpoint, opts=child
            )
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})
