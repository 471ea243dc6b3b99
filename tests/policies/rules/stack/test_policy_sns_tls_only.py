"""Cases for SNS-TLS-ONLY."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.sns_tls_only import RULE

TOPIC = "aws:sns/topic:Topic"
POLICY = "aws:sns/topicPolicy:TopicPolicy"
MISSING = "no topic policy denies sns:Publish when aws:SecureTransport is false"


def deny(condition: object) -> dict:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": "arn:t",
        "Condition": condition,
    }
    return {"policy": {"Statement": [statement]}}


def test_pass() -> None:
    policy = deny({"Bool": {"aws:SecureTransport": "false"}})
    assert stack_messages(RULE, [resource(TOPIC, "t", {}), resource(POLICY, "p", policy, deps=("t",))]) == []


def test_deny_of_something_else() -> None:
    policy = deny({"StringNotEquals": {"aws:SourceAccount": "1"}})
    assert stack_messages(RULE, [resource(TOPIC, "t", {}), resource(POLICY, "p", policy, deps=("t",))]) == [
        ("t", MISSING)
    ]


def test_malformed_condition() -> None:
    stack = [resource(TOPIC, "t", {}), resource(POLICY, "p", deny(["aws:SecureTransport"]), deps=("t",))]
    assert stack_messages(RULE, stack) == [("t", MISSING)]


def test_missing_policy() -> None:
    assert stack_messages(RULE, [resource(TOPIC, "t", {})]) == [("t", MISSING)]


def test_unknown() -> None:
    stack = [resource(TOPIC, "t", {}), resource(POLICY, "p", {"policy": UNKNOWN}, deps=("t",))]
    assert stack_messages(RULE, stack) == [("t", undecided("policy"))]
