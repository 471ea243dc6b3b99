"""NotificationTopic: KMS-encrypted topic, TLS-only topic policy, scoped publishers, e-mail and SMS subscriptions."""

from __future__ import annotations

import json
from typing import Any

from contracts import type_tokens as t

KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def run_topic(pulumi_run: Any, **overrides: Any) -> Any:
    def program() -> dict[str, Any]:
        from infra.aws.notification_topic import NotificationTopic, NotificationTopicArgs

        arguments: dict[str, Any] = {"topic_name": "churn-score-prod-alerts", "kms_key_arn": KEY,
                                     "account_id": "123456789012", "tags": {"model": "churn-score"}}
        topic = NotificationTopic("alerts", NotificationTopicArgs(**{**arguments, **overrides}))
        return {"arn": topic.arn}

    return pulumi_run(program)


def test_topic_is_encrypted_with_the_model_key(pulumi_run: Any) -> None:
    run = run_topic(pulumi_run)
    topic = run.one(t.SNS_TOPIC).inputs
    assert topic["kmsMasterKeyId"] == KEY
    assert topic["name"] == "churn-score-prod-alerts"
    assert topic["tags"] == {"model": "churn-score"}
    assert run.outputs["arn"].endswith(":churn-score-prod-alerts")


def test_policy_denies_publishing_without_tls_and_scopes_publishers(pulumi_run: Any) -> None:
    run = run_topic(pulumi_run, publisher_services=("cloudwatch.amazonaws.com", "events.amazonaws.com"))
    policy = run.one(t.SNS_TOPIC_POLICY).inputs
    arn = run.outputs["arn"]
    assert policy["arn"] == arn
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Resource"] == arn
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    account = statements["AccountManagesTopic"]
    assert account["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"} and "Condition" not in account
    services = statements["ServicesPublishForThisAccount"]
    assert services["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    assert services["Action"] == "sns:Publish" and services["Resource"] == arn
    assert services["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    # No Allow to an unconditioned wildcard principal anywhere.
    assert all(s["Principal"] != "*" or s["Effect"] == "Deny" for s in statements.values())


def test_no_service_statement_when_no_service_publishes(pulumi_run: Any) -> None:
    run = run_topic(pulumi_run, publisher_services=())
    sids = [s["Sid"] for s in json.loads(run.one(t.SNS_TOPIC_POLICY).inputs["policy"])["Statement"]]
    assert sids == ["DenyInsecureTransport", "AccountManagesTopic"]


def test_email_and_sms_subscriptions(pulumi_run: Any) -> None:
    run = run_topic(pulumi_run, emails=("oncall@example.com", "ml@example.com"), sms_numbers=("+4915112345678",))
    arn = run.outputs["arn"]
    subscriptions = sorted((s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"])
                           for s in run.of_type(t.SNS_SUBSCRIPTION))
    assert subscriptions == [("email", "ml@example.com", arn), ("email", "oncall@example.com", arn),
                             ("sms", "+4915112345678", arn)]
    assert all(r.parent and r.parent.endswith("::alerts") for r in run.resources if r.custom)


def test_no_subscriptions_unless_given(pulumi_run: Any) -> None:
    assert not run_topic(pulumi_run).of_type(t.SNS_SUBSCRIPTION)
