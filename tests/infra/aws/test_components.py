"""Component-level tests of infra/aws that the stack tests do not reach: access logs, EKS trust, NVMe."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from contracts import type_tokens as t


def test_access_log_bucket_is_sse_s3_with_reasoned_exemption(pulumi_run: Any) -> None:
    from infra.aws.access_log_bucket import AccessLogBucket, AccessLogBucketArgs
    from policies.catalog import rule_by_id
    from policies.judgement import judge_resource
    from policies.rule import RuleContext

    run = pulumi_run(lambda: AccessLogBucket("logs", AccessLogBucketArgs(
        bucket_name="logs-bucket", account_id="123456789012", region="eu-west-1")) and None)
    # SSE-S3 is what AWS delivers logs to; the pack waives S3-SSE-KMS for this component by its type,
    # read from the URN the engine gives the settings resource, with the reason shown.
    encryption = run.one(t.S3_SSE)
    rule = rule_by_id("S3-SSE-KMS")
    context = RuleContext("prod", t.S3_SSE, encryption.urn, encryption.name)
    findings, waived = judge_resource(rule, encryption.inputs, context)
    assert findings == [] and [w.source for w in waived] == ["framework"]
    assert waived[0].reason.startswith("S3 server access logs")
    statements = json.loads(run.one(t.S3_BUCKET_POLICY).inputs["policy"])["Statement"]
    assert statements[0]["Effect"] == "Deny"
    assert statements[2]["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}
    assert all(r.parent and r.parent.endswith("::logs") for r in run.resources if r.custom)


def test_endpoint_keeps_key_off_nvme_and_names_stay_short(pulumi_run: Any) -> None:
    from infra.aws.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs

    def program() -> None:
        SageMakerEndpoint("ep", SageMakerEndpointArgs(
            endpoint_name="m-dev", name_prefix="x" * 80, execution_role_arn="arn:aws:iam::1:role/r",
            image_uri="img", model_data_url="s3://b/k", kms_key_arn=pulumi.Output.from_input("arn:k"),
            instance_type="ml.g5.xlarge"))

    run = pulumi_run(program)
    config = run.one(t.SM_ENDPOINT_CONFIG).inputs
    assert "kmsKeyArn" not in config and len(config["name"]) <= 63
    assert len(run.one(t.SM_MODEL).inputs["name"]) <= 63
    assert "autoRollbackConfiguration" not in run.one(t.SM_ENDPOINT).inputs["deploymentConfig"]


def test_eks_cluster_is_private_logged_and_encrypted(pulumi_run: Any) -> None:
    from infra.aws.eks_cluster import EksCluster, EksClusterArgs

    run = pulumi_run(lambda: EksCluster("c", EksClusterArgs(
        cluster_name="c", account_id="123456789012", kubernetes_version="1.33",
        subnet_ids=("subnet-1", "subnet-2"), secrets_kms_key_arn="arn:aws:kms:eu-west-1:1:key/k")) and None)
    cluster = run.one(t.EKS_CLUSTER).inputs
    assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    assert cluster["encryptionConfig"]["provider"]["keyArn"] == "arn:aws:kms:eu-west-1:1:key/k"
    trust = json.loads(run.named("c-cluster-role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert run.named("c-control-plane-logs").inputs["retentionInDays"] == 90
