"""On EKS the model's pods assume an IAM role through their ServiceAccount (IRSA), scoped to exactly the
prefixes the init container, capture writer and drift job use; on-prem stacks keep the credentials secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import type_tokens as t
from tests.stacks.test_kubernetes_model import CANDIDATE_DIGEST, DIGEST, package, program

MODEL = "breast-cancer-screening"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def of_type(plan: dict[str, Any], type_token: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_token]


def named(plan: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for r in plan["resources"] if r["name"] == name]
    return found


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["inputs"]["spec"]
    return dict(spec["template"]["spec"] if "template" in spec else spec["jobTemplate"]["spec"]["template"]["spec"])


def argument(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def policy_by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in json.loads(policy["inputs"]["policy"])["Statement"]}


def test_staging_role_trusts_only_the_model_service_account_through_the_cluster_provider(shipped_plan: Any) -> None:
    plan = shipped_plan("staging")
    role = named(plan, f"{MODEL}-pod-role-role")
    assert role["inputs"]["name"] == f"{MODEL}-staging-eks-pods"
    # The one OIDC provider of the cluster, shared with the load balancer controller.
    (provider,) = of_type(plan, OIDC_PROVIDER)
    assert provider["urn"] in role["dependencies"]
    (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert list(statement["Principal"]) == ["Federated"]
    issuer = provider["inputs"]["url"].removeprefix("https://")
    assert statement["Condition"] == {"StringEquals": {
        f"{issuer}:sub": f"system:serviceaccount:{MODEL}-staging:{MODEL}",
        f"{issuer}:aud": "sts.amazonaws.com",
    }}


def test_staging_policy_is_scoped_to_what_the_pods_actually_read_and_write(shipped_plan: Any) -> None:
    plan = shipped_plan("staging")
    found = policy_by_sid(named(plan, f"{MODEL}-pod-role-policy"))
    server = pod_spec(named(plan, f"{MODEL}-server-deployment"))
    drift = pod_spec(named(plan, f"{MODEL}-drift-cron-job"))
    # The artifact the init containers fetch (server and drift job), and nothing beside it.
    fetched = {argument(pod["initContainers"][0]["command"], "--uri") for pod in (server, drift)}
    (artifact,) = fetched
    bucket, _, key = artifact.removeprefix("s3://").partition("/")
    assert bucket == f"{MODEL}-staging-artifacts-eu-west-1"
    bucket_arn = f"arn:aws:s3:::{bucket}"
    assert found["ReadModelArtifacts"]["Resource"] == [f"{bucket_arn}/{key.rsplit('/', 1)[0]}/*"]
    assert key.startswith(f"models/{MODEL}/")
    # The capture writer's destination (the server's env) is the drift job's input, and the only write.
    env = {item["name"]: item["value"] for item in server["containers"][0]["env"]}
    capture = env["SLIPSTACK_CAPTURE_URI"].removeprefix(f"s3://{bucket}/") + "/"
    assert capture == f"capture/{MODEL}/staging/"
    assert argument(drift["containers"][0]["command"], "--current") == f"s3://{bucket}/{capture}"
    assert found["WriteCapturedRequests"] == {"Sid": "WriteCapturedRequests", "Effect": "Allow",
                                              "Action": ["s3:PutObject"], "Resource": [f"{bucket_arn}/{capture}*"]}
    assert found["ReadCapturedRequests"]["Resource"] == [f"{bucket_arn}/{capture}*"]
    assert found["ListCapturedRequests"]["Resource"] == bucket_arn
    assert found["ListCapturedRequests"]["Condition"] == {"StringLike": {"s3:prefix": [f"{capture}*"]}}
    # The model's key, named by the alias the AWS side actually creates, and usable only through S3.
    key_use = found["UseModelKeyThroughS3"]
    alias = named(plan, f"{MODEL}-kms-alias")["inputs"]["name"]
    assert key_use["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": alias}
    assert key_use["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert key_use["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_model_key_policy_lets_iam_grant_its_use(shipped_plan: Any) -> None:
    """The role is not named in the key policy: the account root statement delegates use to IAM policies."""
    plan = shipped_plan("staging")
    key = named(plan, f"{MODEL}-kms-key")
    statements = json.loads(key["inputs"]["policy"])["Statement"]
    root = next(s for s in statements if s["Sid"] == "AccountAdministers")
    assert root["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"} and root["Action"] == "kms:*"


def test_staging_service_account_carries_the_role_and_pods_use_no_secret(shipped_plan: Any) -> None:
    plan = shipped_plan("staging")
    (account,) = of_type(plan, t.K8S_SERVICE_ACCOUNT)
    role = named(plan, f"{MODEL}-pod-role-role")
    assert account["inputs"]["metadata"]["annotations"] == {
        ROLE_ANNOTATION: f"arn:aws:iam::123456789012:role/{role['inputs']['name']}"}
    for workload in (named(plan, f"{MODEL}-server-deployment"), named(plan, f"{MODEL}-drift-cron-job")):
        pod = pod_spec(workload)
        assert pod["serviceAccountName"] == account["inputs"]["metadata"]["name"]
        assert "artifact-store-credentials" not in {v["name"] for v in pod.get("volumes", [])}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_on_prem_stacks_have_no_pod_role_and_no_annotation(shipped_plan: Any, stack: str) -> None:
    plan = shipped_plan(stack)
    assert not [r for r in plan["resources"] if r["type"] == "slipstack:aws:ServiceAccountRole"]
    accounts = of_type(plan, t.K8S_SERVICE_ACCOUNT)
    assert accounts
    for account in accounts:
        assert ROLE_ANNOTATION not in (account["inputs"]["metadata"].get("annotations") or {})
    for deployment in of_type(plan, t.K8S_DEPLOYMENT):
        assert "artifact-store-credentials" in {v["name"] for v in pod_spec(deployment)["volumes"]}


def test_canary_on_eks_may_read_both_versions_artifacts(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    text = (repo_root / "deployments" / f"{MODEL}.yaml").read_text()
    prod = "  prod:\n    targets: [aws, onprem]\n"
    assert prod in text
    text = text.replace(prod, prod + "    rollout: {candidate: {version: 1.1.0, artifact: m.joblib}}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("../examples", str(repo_root / "examples")))
    package(tmp_path, MODEL, "1.0.0", DIGEST)
    package(tmp_path, MODEL, "1.1.0", CANDIDATE_DIGEST)
    run = pulumi_run(program(spec, "prod", tmp_path, "eks"), stack="prod")
    (policy,) = [r for r in run.of_type(t.IAM_ROLE_POLICY) if r.name == f"{MODEL}-pod-role-policy"]
    found = policy_by_sid({"inputs": policy.inputs})
    bucket_arn = f"arn:aws:s3:::{MODEL}-prod-artifacts-eu-west-1"
    assert sorted(found["ReadModelArtifacts"]["Resource"]) == sorted(
        f"{bucket_arn}/models/{MODEL}/{digest}/*" for digest in (DIGEST, CANDIDATE_DIGEST))
    fetched = {
        argument(d.inputs["spec"]["template"]["spec"]["initContainers"][0]["command"], "--uri")
        for d in run.of_type(t.K8S_DEPLOYMENT)
    }
    assert {uri.rsplit("/", 1)[0] + "/*" for uri in fetched} == {
        r.replace("arn:aws:s3:::", "s3://") for r in found["ReadModelArtifacts"]["Resource"]}
