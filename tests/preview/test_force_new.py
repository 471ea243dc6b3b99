"""Replacements and deletions a reviewer can trust: the force-new table, providers, tags, stateful first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from example_plans import example_plans, resource, write_plan_set

from preview.comment import build_preview, render_comment
from preview.cost import bundled_price_table
from preview.diff import diff_stack
from preview.force_new import force_new, replacing_paths
from preview.plans import read_plan_set, read_stack_plan

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped_plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The plans of every shipped stack, as `slipstack plan` writes them."""
    from slipstack.plan.runner import find_project, plan_stack

    project = find_project(REPO)
    out = tmp_path_factory.mktemp("plans")
    return {stack: plan_stack(stack, project, out / stack).document for stack in project.stacks()}


def test_every_custom_resource_type_in_the_shipped_plans_has_a_force_new_entry(
    shipped_plans: dict[str, dict[str, Any]],
) -> None:
    types = {r["type"] for plan in shipped_plans.values() for r in plan["resources"] if r.get("custom", True)}
    assert len(types) > 40
    missing = sorted(t for t in types if force_new(t) is None)
    assert missing == [], f"add these types to preview/force_new.py: {missing}"


@pytest.mark.parametrize(("type_", "path", "replaces"), [
    ("aws:sagemaker/model:Model", "primaryContainer.modelDataUrl", True),
    ("aws:sagemaker/model:Model", "tags.slipstack:model-version", False),
    ("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "productionVariants[0].instanceType", True),
    ("aws:sagemaker/endpoint:Endpoint", "endpointConfigName", False),
    ("aws:sagemaker/endpoint:Endpoint", "deploymentConfig.autoRollbackConfiguration.alarms[0].alarmName", True),
    ("aws:s3/bucket:Bucket", "bucket", True),
    ("aws:s3/bucket:Bucket", "forceDestroy", False),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name", True),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "threshold", False),
    # Read against terraform-provider-aws (see the comments in preview/force_new.py).
    ("aws:sns/topicSubscription:TopicSubscription", "endpointAutoConfirms", False),
    ("aws:sns/topicSubscription:TopicSubscription", "endpoint", True),
    ("aws:eks/cluster:Cluster", "kubernetesNetworkConfig.serviceIpv4Cidr", True),
    ("aws:eks/cluster:Cluster", "kubernetesNetworkConfig.elasticLoadBalancing.enabled", False),
    ("aws:eks/cluster:Cluster", "accessConfig.bootstrapClusterCreatorAdminPermissions", True),
    ("aws:eks/nodeGroup:NodeGroup", "launchTemplate.id", True),
    ("aws:eks/nodeGroup:NodeGroup", "launchTemplate.version", False),
    ("aws:eks/nodeGroup:NodeGroup", "scalingConfig.desiredSize", False),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "serviceRegion", True),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "subnetIds[0]", False),
    ("aws:lb/targetGroup:TargetGroup", "ipAddressType", True),
    ("aws:lb/loadBalancer:LoadBalancer", "subnetMappings[0].allocationId", True),
    ("aws:s3/bucket:Bucket", "objectLockEnabled", True),
    ("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "tags.team", False),
    ("kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app", True),
    ("kubernetes:apps/v1:Deployment", "spec.template.spec.containers[0].image", False),
    ("kubernetes:core/v1:Namespace", "metadata.name", True),
    ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "roleRef.name", True),
    ("pulumi:providers:kubernetes", "context", True),
])
def test_replacing_paths(type_: str, path: str, replaces: bool) -> None:
    assert replacing_paths(type_, [path]) == ([path] if replaces else [])


def _plan(stack: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format_version": 1, "project": "slipstack", "stack": stack, "environment": stack, "region": "eu-west-1",
            "targets": ["aws"], "resources": resources, "outputs": {}}


def _pair(tmp_path: Path, base: list[dict[str, Any]], head: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    write_plan_set(tmp_path / "base", {"prod": _plan("prod", base)})
    write_plan_set(tmp_path / "head", {"prod": _plan("prod", head)})
    return read_stack_plan(tmp_path / "base" / "prod"), read_stack_plan(tmp_path / "head" / "prod")


def test_a_new_cluster_context_replaces_everything_the_provider_manages(tmp_path: Path) -> None:
    provider = resource("prod", "pulumi:providers:kubernetes", "onprem", {"context": "onprem-prod"})
    namespace = resource("prod", "kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "m-prod"}})
    namespace["provider"] = provider["urn"]
    moved = {**provider, "inputs": {"context": "onprem-prod-2"}}
    diff = diff_stack("prod", *_pair(tmp_path, [provider, namespace], [moved, namespace]))
    assert {c.resource.name for c in diff.replaced} == {"onprem", "ns"}
    assert next(c for c in diff.replaced if c.resource.name == "ns").replaced_because.startswith("its provider")
    assert [r.name for r in diff.destroyed_stateful] == ["ns"]


def test_tag_only_changes_fold_into_one_line_and_replacements_come_first(tmp_path: Path) -> None:
    base = [resource("prod", "aws:iam/role:Role", f"role-{i}", {"tags": {"v": "1"}}) for i in range(30)]
    base.append(resource("prod", "aws:sagemaker/endpointConfiguration:EndpointConfiguration", "config",
                         {"productionVariants": [{"instanceType": "ml.m5.large"}], "tags": {"v": "1"}}))
    head = [{**r, "inputs": {**r["inputs"], "tags": {"v": "2"}}} for r in base[:30]]
    head.append({**base[30], "inputs": {"productionVariants": [{"instanceType": "ml.c5.xlarge"}], "tags": {"v": "2"}}})
    write_plan_set(tmp_path / "base", {"prod": _plan("prod", base)})
    write_plan_set(tmp_path / "head", {"prod": _plan("prod", head)})
    preview = build_preview(read_plan_set(tmp_path / "base", required=False),
                            read_plan_set(tmp_path / "head", required=True), bundled_price_table())
    text = render_comment(preview)
    assert "30 resources change tags or labels only: `v`: `1` → `2`" in text
    assert text.index("ml.c5.xlarge") < text.index("tags or labels only")
    assert "`productionVariants[0].instanceType`: `ml.m5.large` → `ml.c5.xlarge` **forces replacement**" in text
    assert "- `role-7` (`aws:iam/role:Role`)" not in text  # folded, not listed one by one


def test_deleting_a_protected_stateful_resource_blocks_and_is_listed_above_the_fold(tmp_path: Path) -> None:
    key = resource("prod", "aws:kms/key:Key", "model-kms-key", {})
    key["options"] = {"protect": True, "retainOnDelete": True}
    alarm = resource("prod", "aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", {"name": "a"})
    write_plan_set(tmp_path / "base", {"prod": _plan("prod", [key, alarm])})
    write_plan_set(tmp_path / "head", {"prod": _plan("prod", [])})
    (tmp_path / "head" / "prod" / "policy.json").write_text('{"violations": []}')
    preview = build_preview(read_plan_set(tmp_path / "base", required=False),
                            read_plan_set(tmp_path / "head", required=True), bundled_price_table())
    assert preview.status == "failed"
    first_screen = "\n".join(render_comment(preview).splitlines()[:12])
    assert "destroys 1 stateful resource(s): `model-kms-key` (Key, deleted, protected)" in first_screen
    assert "protected stateful resource" in first_screen


def test_the_example_plans_still_show_the_model_replaced(tmp_path: Path) -> None:
    write_plan_set(tmp_path / "base", example_plans("base"))
    write_plan_set(tmp_path / "head", example_plans("head"))
    diff = diff_stack("prod", read_stack_plan(tmp_path / "base" / "prod"), read_stack_plan(tmp_path / "head" / "prod"))
    assert "breast-cancer-screening-model" in {c.resource.name for c in diff.replaced}
