"""The mock engine: stack outputs resolved as the engine resolves them, and one root stack per run."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from slipstack.plan.engine import SECRET_MASK, run_program


def test_stack_outputs_are_the_exports_serialized_like_the_engine() -> None:
    def program() -> dict[str, Any]:
        bucket = aws.s3.Bucket("artifacts", bucket="artifacts-bucket")
        pulumi.export("bucket_arn", bucket.arn)
        return {
            "nested": {"name": bucket.bucket, "ports": (8080, 8443)},
            "token": pulumi.Output.secret("s3cr3t"),
            "endpoint_name": None,  # the engine drops a None output, as `pulumi stack output` shows
        }

    run = run_program(program, project="slipstack", stack="dev", config={})

    assert run.outputs == {
        "bucket_arn": "arn:aws:s3:::artifacts-bucket",
        "nested": {"name": "artifacts-bucket", "ports": [8080, 8443]},
        "token": SECRET_MASK,
    }


def test_each_run_has_its_own_root_stack() -> None:
    def first() -> dict[str, Any]:
        aws.sns.Topic("alerts")
        pulumi.export("only_in_first", "yes")
        return {}

    def second() -> dict[str, Any]:
        aws.sns.Topic("alerts")
        return {"only_in_second": "yes"}

    run_program(first, project="slipstack", stack="dev", config={})
    run = run_program(second, project="slipstack", stack="prod", config={})

    assert run.outputs == {"only_in_second": "yes"}
    (topic,) = run.resources
    assert topic.parent == "urn:pulumi:prod::slipstack::pulumi:pulumi:Stack::slipstack-prod"


def test_a_nested_secret_is_masked_where_it_is_not_over_the_whole_input() -> None:
    # Deserializing bubbles a nested secret up to the whole property: an ALB rule's actions would be masked
    # entirely, and the pack could no longer see that the first action authenticates.
    def program() -> None:
        aws.lb.ListenerRule(
            "rule", listener_arn="arn:listener", priority=1,
            conditions=[{"host_header": {"values": ["m.example.com"]}}],
            actions=[{"type": "authenticate-oidc", "order": 1, "authenticate_oidc": {
                "issuer": "https://idp", "authorization_endpoint": "https://idp/a", "token_endpoint": "https://idp/t",
                "user_info_endpoint": "https://idp/u", "client_id": "alb",
                "client_secret": pulumi.Output.secret("s3cr3t")}},
                {"type": "forward", "order": 2, "target_group_arn": "arn:tg"}],
        )

    run = run_program(program, project="slipstack", stack="dev", config={})
    (rule,) = [r for r in run.resources if r.type == "aws:lb/listenerRule:ListenerRule"]
    authenticate, forward = rule.inputs["actions"]
    assert authenticate["authenticateOidc"]["clientSecret"] == SECRET_MASK
    assert authenticate["authenticateOidc"]["clientId"] == "alb" and authenticate["order"] == 1
    assert forward == {"type": "forward", "order": 2, "targetGroupArn": "arn:tg"}
    assert rule.inputs["priority"] == 1 and "s3cr3t" not in str(rule.inputs)
