"""ModelAccess: the model's ServiceAccount carries the IRSA role annotation only when given a role."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import type_tokens as t

ROLE_ARN = "arn:aws:iam::123456789012:role/churn-staging-eks-pods"


@pytest.mark.parametrize("role_arn", [ROLE_ARN, None])
def test_service_account_is_annotated_with_the_role_only_when_given(pulumi_run: Any, role_arn: str | None) -> None:
    def program() -> None:
        import pulumi
        import pulumi_kubernetes as k8s

        from infra.k8s.model_access import ModelAccess, ModelAccessArgs

        ModelAccess("churn-access", ModelAccessArgs(
            namespace="churn-staging", service_account_name="churn", deployments=["churn"], aws_role_arn=role_arn,
            labels={"app.kubernetes.io/name": "churn"},
        ), opts=pulumi.ResourceOptions(provider=k8s.Provider("cluster", kubeconfig="{}")))

    account = pulumi_run(program).one(t.K8S_SERVICE_ACCOUNT).inputs
    assert account["metadata"]["name"] == "churn"
    # The webhook projects its own STS token volume, so the API token stays unmounted either way.
    assert account["automountServiceAccountToken"] is False
    annotations = account["metadata"].get("annotations") or {}
    assert annotations == ({"eks.amazonaws.com/role-arn": ROLE_ARN} if role_arn else {})
