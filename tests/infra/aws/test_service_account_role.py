"""ServiceAccountRole: IRSA trust for one ServiceAccount, and S3/KMS statements on exact prefixes only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts import type_tokens as t

ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF"
BUCKET = "churn-staging-artifacts-eu-west-1"
ARTIFACTS = "models/churn/" + "a" * 64 + "/"
CAPTURE = "capture/churn/staging/"


def args(**overrides: Any) -> Any:
    from infra.aws.service_account_role import ServiceAccountRoleArgs

    values: dict[str, Any] = dict(
        role_name="churn-staging-eks-pods", oidc_provider_arn=PROVIDER_ARN, oidc_issuer_url=ISSUER,
        namespace="churn-staging", service_account_name="churn", account_id="123456789012", region="eu-west-1",
        bucket_name=BUCKET, read_prefixes=(ARTIFACTS,), write_prefixes=(CAPTURE,), read_list_prefixes=(CAPTURE,),
        kms_key_alias="slipstack/churn-staging", tags={"owner": "ml"},
    )
    values.update(overrides)
    return ServiceAccountRoleArgs(**values)


def run_role(pulumi_run: Any, **overrides: Any) -> Any:
    def program() -> dict[str, Any]:
        from infra.aws.service_account_role import ServiceAccountRole

        role = ServiceAccountRole("churn-pod-role", args(**overrides))
        return {"arn": role.arn}

    return pulumi_run(program)


def statements(run: Any) -> dict[str, dict[str, Any]]:
    document = json.loads(run.one(t.IAM_ROLE_POLICY).inputs["policy"])
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_role_is_assumable_only_by_the_model_service_account_for_sts(pulumi_run: Any) -> None:
    run = run_role(pulumi_run)
    role = run.one(t.IAM_ROLE).inputs
    assert role["name"] == "churn-staging-eks-pods"
    assert run.outputs["arn"] == "arn:aws:iam::123456789012:role/churn-staging-eks-pods"
    (statement,) = json.loads(role["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    issuer = ISSUER.removeprefix("https://")
    assert statement["Condition"] == {"StringEquals": {
        f"{issuer}:sub": "system:serviceaccount:churn-staging:churn",
        f"{issuer}:aud": "sts.amazonaws.com",
    }}


def test_policy_grants_each_need_on_its_exact_prefix(pulumi_run: Any) -> None:
    found = statements(run_role(pulumi_run))
    bucket = f"arn:aws:s3:::{BUCKET}"
    assert found["ReadModelArtifacts"]["Action"] == ["s3:GetObject"]
    assert found["ReadModelArtifacts"]["Resource"] == [f"{bucket}/{ARTIFACTS}*"]
    assert found["WriteCapturedRequests"]["Action"] == ["s3:PutObject"]
    assert found["WriteCapturedRequests"]["Resource"] == [f"{bucket}/{CAPTURE}*"]
    assert found["ReadCapturedRequests"]["Action"] == ["s3:GetObject"]
    assert found["ReadCapturedRequests"]["Resource"] == [f"{bucket}/{CAPTURE}*"]
    listing = found["ListCapturedRequests"]
    assert (listing["Action"], listing["Resource"]) == (["s3:ListBucket"], bucket)
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{CAPTURE}*"]}}
    key = found["UseModelKeyThroughS3"]
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"] == "arn:aws:kms:eu-west-1:123456789012:key/*"
    assert key["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/slipstack/churn-staging"},
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
    }
    # Nothing else: no deletes, no wildcard actions, no other bucket.
    actions = {a for s in found.values() for a in s["Action"]}
    assert actions == {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt", "kms:GenerateDataKey"}


def test_without_capture_or_key_only_the_artifact_read_remains(pulumi_run: Any) -> None:
    found = statements(run_role(pulumi_run, write_prefixes=(), read_list_prefixes=(), kms_key_alias=None))
    assert list(found) == ["ReadModelArtifacts"]


@pytest.mark.parametrize("prefix", ["models/churn", "/models/churn/", "models/*/", ""])
def test_a_prefix_that_could_match_siblings_is_refused(prefix: str) -> None:
    from infra.aws.service_account_role import policy_statements

    with pytest.raises(ValueError, match="read_prefixes: .* must be a key prefix ending in '/'"):
        policy_statements(args(read_prefixes=(prefix,)), "123456789012")
