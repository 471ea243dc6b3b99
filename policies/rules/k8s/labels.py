"""K8S-LABELS: workloads carry the recommended app.kubernetes.io labels, so tools can group them (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.pod_specs import WORKLOAD_TYPES
from policies.rule import Outcome, Rule, RuleContext, read_map, verdict

RECOMMENDED = ("name", "instance", "version", "component", "part-of", "managed-by")


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    labels = read_map(props, "metadata", "labels")
    missing = [f"app.kubernetes.io/{key}" for key in RECOMMENDED if f"app.kubernetes.io/{key}" not in labels]
    return verdict([f"metadata.labels lacks {', '.join(missing)}"] if missing else [])


RULE = Rule(
    id="K8S-LABELS",
    description="Workloads carry the recommended app.kubernetes.io/* labels.",
    severity="low",
    remediation="Add app.kubernetes.io/name, instance, version, component, part-of and managed-by.",
    anchors=("compliance-policies kubernetes/apps/v1/Deployment/configureRecommendedLabels",),
    enforcement="A",
    resource_types=WORKLOAD_TYPES,
    check=check,
)
