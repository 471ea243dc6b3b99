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
