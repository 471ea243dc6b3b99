"""K8S-PRIORITY-CLASS: model pods name a priority class, so the scheduler knows what to evict first (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.pod_specs import WORKLOAD_TYPES, pod_spec
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    name = read(pod_spec(props), "priorityClassName")
    return verdict([] if isinstance(name, str) and name.strip() else ["priorityClassName is not set"])


RULE = Rule(
    id="K8S-PRIORITY-CLASS",
    description="Workloads set a priorityClassName.",
    severity="low",
    remediation="Create PriorityClasses for serving and batch and set priorityClassName on each pod template.",
    anchors=("Polaris priorityClassNotSet",),
    # Advisory: priority classes are cluster-wide objects a platform team owns, not this stack.
    enforcement="A",
    resource_types=WORKLOAD_TYPES,
    check=check,
)
