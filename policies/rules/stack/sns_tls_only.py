"""SNS-TLS-ONLY: alert topics refuse publishes that are not sent over TLS (alerts carry model names and data)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from contracts import type_tokens as t
from policies.iam_documents import Statement, parse_document
from policies.rule import Outcome, Rule, RuleContext, StackResource, StackView, each, read


def _denies_plain_publish(statement: Statement) -> bool:
    if statement.effect != "Deny" or "*" not in statement.principals:
        return False
    if not {"sns:publish", "sns:*", "*"} & {a.lower() for a in statement.actions}:
        return False
    condition = statement.condition if isinstance(statement.condition, Mapping) else {}
    bool_condition = condition.get("Bool")
    value = bool_condition.get("aws:SecureTransport") if isinstance(bool_condition, Mapping) else None
    return str(value).lower() == "false"


def check(view: StackView, context: RuleContext) -> Outcome:
    def judge(topic: StackResource) -> Iterator[str]:
        for policy in view.attached_to(topic, t.SNS_TOPIC_POLICY):
            if any(
                _denies_plain_publish(s) for s in parse_document(read(policy.props, "policy"), f"{policy.name}.policy")
            ):
                return
        yield "no topic policy denies sns:Publish when aws:SecureTransport is false"

    return each(view.of_type(t.SNS_TOPIC), judge)


RULE = Rule(
    id="SNS-TLS-ONLY",
    description="SNS topic policies deny publishing without TLS.",
    severity="high",
    remediation=(
        "Add a TopicPolicy statement: Deny, Principal *, sns:Publish, Condition Bool aws:SecureTransport=false."
    ),
    anchors=("cdk-nag AwsSolutions-SNS3",),
    enforcement="M(p)",
    stack_check=check,
    stack_types=frozenset({t.SNS_TOPIC}),
)
