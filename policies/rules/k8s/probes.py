"""K8S-PROBES: long-running containers have readiness and liveness probes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import is_long_running, pod_spec
from policies.rule import NotApplicable, Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if not is_long_running(props):
        return NotApplicable("jobs run to completion")
    spec = pod_spec(props)
    problems = []
    # Init containers run to completion; only main containers serve traffic.
    for index, container in enumerate(read_list(spec, "containers")):
        name = read(container, "name") or index
        for probe in ("readinessProbe", "livenessProbe"):
            if read(container, probe) is None:
                problems.append(f"containers[{index}] {name}: {probe} is missing")
        ready, live = read(container, "readinessProbe"), read(container, "livenessProbe")
        if ready is not None and ready == live:
            # An identical pair restarts a pod that is merely busy instead of taking it out of rotation.
            problems.append(f"containers[{index}] {name}: readinessProbe is identical to livenessProbe")
    return verdict(problems)


RULE = Rule(
    id="K8S-PROBES",
    description="Serving containers have readiness and liveness probes, and the two differ.",
    severity="medium",
    remediation="Probe the V2 endpoints: /v2/health/ready and /v2/health/live.",
    anchors=(
        "CKV_K8S_8",
        "CKV_K8S_9",
        "kube-score pod-probes-identical",
    ),
    enforcement="M(p)",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
