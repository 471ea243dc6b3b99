"""The shipped stacks pass the shipped pack, and weakening a secure default in a copy of a plan is caught.

Plans come from the real `slipstack plan --stack <stack> --out <tmp>` (mock engine, no cloud).
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from policies.catalog import rule_ids
from policies.config import bundled_config
from policies.offline import evaluate_plan

REPO = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod", "modes")


@pytest.fixture(scope="module")
def plans(shipped_plans: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return shipped_plans


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_has_no_mandatory_violation(plans: dict[str, dict[str, Any]], stack: str) -> None:
    report = evaluate_plan(plans[stack])
    assert [(v.policy, v.urn, v.message) for v in report.mandatory] == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_waiver_is_a_reasoned_config_exemption_and_every_exemption_is_used(
    plans: dict[str, dict[str, Any]], stack: str
) -> None:
    """Shipped stacks tolerate a finding only where policy config exempts it with a reason; an exemption
    that no longer matches a finding (the infrastructure was fixed) must be removed, not left to rot."""
    environment = plans[stack]["environment"]
    config = bundled_config(environment, rule_ids())
    report = evaluate_plan(plans[stack])
    configured = {
        (rule_id, e.resource, e.reason) for rule_id, settings in config.rules.items() for e in settings.exemptions
    }
    assert all(reason.strip() for _, _, reason in configured)
    names = {r["urn"]: r["name"] for r in plans[stack]["resources"]}
    # Stacks of one environment share its config: an exemption is this stack's when it names one of its resources.
    configured = {entry for entry in configured if entry[1] in names.values()}
    from deployment_spec import load_spec
    from policies.framework_exemptions import FRAMEWORK_EXEMPTIONS

    # Beside the config: the framework's own (scoped by component type) and the shipped specs' reasoned
    # security.exemptions, which the stack writes onto the resources they name.
    framework = {(e.rule, e.reason) for e in FRAMEWORK_EXEMPTIONS}
    spec_reasons = {(item.rule, item.reason) for path in (REPO / "deployments").glob("*.yaml")
                    for item in load_spec(path).base.security.exemptions}
    assert {(w.policy, w.reason) for w in report.waived if w.source == "framework"} <= framework
    assert {(w.policy, w.reason) for w in report.waived if w.source == "resource"} <= spec_reasons
    waived = {(w.policy, names.get(w.urn, w.urn), w.reason) for w in report.waived if w.source == "config"}
    assert waived <= configured
    assert configured - waived == set(), "stale exemptions: the finding is gone, remove them"


def test_staging_internet_facing_group_is_flagged_as_it_is(plans: dict[str, dict[str, Any]]) -> None:
    """The staging ALB group admits the internet on 443 and 80 and forwards plain HTTP: the rules say so
    (advisory in staging, mandatory in prod) until issue #17 changes the infrastructure."""
    report = evaluate_plan(plans["staging"])
    found = {(v.policy, v.enforcement, v.message) for v in report.violations}
    assert (
        "SG-WORLD-INGRESS",
        "advisory",
        "ingress[1] admits 0.0.0.0/0 on port 80 (plain HTTP from the internet)",
    ) in found
    assert any(p == "LB-TG-TLS" and "unencrypted" in m for p, _, m in found)
    # The WAF issue #17 associates with every internet-facing ALB: LB-WAF has nothing to say.
    assert not any(p == "LB-WAF" for p, _, _ in found)
    prod_view = copy.deepcopy(plans["staging"])
    prod_view["environment"] = "prod"
    mandatory = {v.policy for v in evaluate_plan(prod_view).mandatory}
    assert {"SG-WORLD-INGRESS", "LB-TG-TLS"} <= mandatory and "LB-WAF" not in mandatory


def _first(plan: dict[str, Any], type_: str) -> dict[str, Any]:
    for resource in plan["resources"]:
        if resource["type"] == type_:
            return resource
    raise AssertionError(f"the shipped prod plan has no {type_}: the weakening it tests cannot be applied")


def _drop_kms_rotation(plan: dict[str, Any]) -> str:
    key = _first(plan, "aws:kms/key:Key")
    key["inputs"]["enableKeyRotation"] = False
    return key["urn"]


def _open_bucket(plan: dict[str, Any]) -> str:
    block = _first(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    block["inputs"]["blockPublicPolicy"] = False
    bucket = next(
        r for r in plan["resources"] if r["urn"] in block["dependencies"] and r["type"] == "aws:s3/bucket:Bucket"
    )
    return bucket["urn"]


def _sse_without_kms(plan: dict[str, Any]) -> str:
    # The model's artifact bucket (the access-log bucket is SSE-S3 by necessity, with a config exemption).
    sse = next(
        r
        for r in plan["resources"]
        if r["type"] == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        and "access-logs" not in r["name"]
    )
    for rule in sse["inputs"]["rules"]:
        rule["applyServerSideEncryptionByDefault"] = {"sseAlgorithm": "AES256"}
    return sse["urn"]


def _suspend_versioning(plan: dict[str, Any]) -> str:
    versioning = _first(plan, "aws:s3/bucketVersioning:BucketVersioning")
    versioning["inputs"]["versioningConfiguration"] = {"status": "Suspended"}
    return versioning["urn"]


def _wildcard_action(plan: dict[str, Any]) -> str:
    role = _first(plan, "aws:iam/role:Role")
    role["inputs"].setdefault("inlinePolicies", []).append(
        {
            "name": "extra",
            "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}]}),
        }
    )
    return role["urn"]


def _privileged_container(plan: dict[str, Any]) -> str:
    deployment = _first(plan, "kubernetes:apps/v1:Deployment")
    for container in deployment["inputs"]["spec"]["template"]["spec"]["containers"]:
        container.setdefault("securityContext", {})["privileged"] = True
    return deployment["urn"]


def _network_isolation_off(plan: dict[str, Any]) -> str:
    model = _first(plan, "aws:sagemaker/model:Model")
    model["inputs"]["enableNetworkIsolation"] = False
    return model["urn"]


def _namespace_not_restricted(plan: dict[str, Any]) -> str:
    namespace = _first(plan, "kubernetes:core/v1:Namespace")
    namespace["inputs"]["metadata"].setdefault("labels", {})["pod-security.kubernetes.io/enforce"] = "baseline"
    return namespace["urn"]


def _models_of_role(plan: dict[str, Any], role_urn: str) -> set[tuple[str, str]]:
    """SM-EXEC-ROLE also blames every SageMaker model whose execution role breaks an IAM rule."""
    return {
        ("SM-EXEC-ROLE", r["urn"])
        for r in plan["resources"]
        if r["type"] == "aws:sagemaker/model:Model" and role_urn in r["dependencies"]
    }


def _remove_capture(plan: dict[str, Any]) -> str:
    """The drift job reads this endpoint's capture: dropping it must block the change in prod."""
    config = _first(plan, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    del config["inputs"]["dataCaptureConfig"]
    return config["urn"]


def _attach_administrator(plan: dict[str, Any]) -> str:
    attachment = _first(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    attachment["inputs"]["policyArn"] = "arn:aws:iam::aws:policy/AdministratorAccess"
    return attachment["urn"]


def _isolate_publishing_step(plan: dict[str, Any]) -> str:
    """The first release's drift merge: network-isolated, yet it publishes the metrics its alarm watches."""
    machine = next(r for r in plan["resources"] if r["type"] == "aws:sfn/stateMachine:StateMachine"
                   and "MergePartials" in json.loads(r["inputs"]["definition"])["States"])
    definition = json.loads(machine["inputs"]["definition"])
    merge = definition["States"]["MergePartials"]["Parameters"]
    assert "--cloudwatch" in merge["AppSpecification"]["ContainerEntrypoint"]
    merge["NetworkConfig"]["EnableNetworkIsolation"] = True
    machine["inputs"]["definition"] = json.dumps(definition)
    return machine["urn"]


WEAKENINGS = [
    (_drop_kms_rotation, "KMS-ROTATION", None),
    (_open_bucket, "S3-PAB", None),
    (_sse_without_kms, "S3-SSE-KMS", None),
    (_suspend_versioning, "S3-VERSIONING", None),
    (_wildcard_action, "IAM-WILDCARD-ACTION", _models_of_role),
    (_privileged_container, "K8S-PRIVILEGED", None),
    (_network_isolation_off, "SM-MODEL-NETISO", None),
    (_namespace_not_restricted, "K8S-NS-PSA", None),
    (_remove_capture, "SM-CAPTURE-DRIFT", None),
    (_attach_administrator, "IAM-ADMIN-ATTACH", None),
    (_isolate_publishing_step, "SM-JOB-PUBLISH-PATH", None),
]


@pytest.mark.parametrize(("weaken", "policy", "also"), WEAKENINGS, ids=[p for _, p, _ in WEAKENINGS])
def test_weakening_a_default_is_caught(plans: dict[str, dict[str, Any]], weaken: Any, policy: str, also: Any) -> None:
    plan = copy.deepcopy(plans["prod"])
    before = {(v.policy, v.urn) for v in evaluate_plan(plan).mandatory}
    urn = weaken(plan)
    after = {(v.policy, v.urn) for v in evaluate_plan(plan).mandatory}
    expected = {(policy, urn)} | (also(plan, urn) if also else set())
    assert after - before == expected
