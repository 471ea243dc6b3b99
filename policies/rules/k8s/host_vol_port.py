"""K8S-HOST-VOL-PORT: pods mount no hostPath volume and bind no host port."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers, pod_spec
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    spec = pod_spec(props)
    problems = [
        f"volumes[{index}] {read(spec, 'volumes', index, 'name')} is a hostPath volume"
        for index, _ in enumerate(read_list(spec, "volumes"))
        if read(spec, "volumes", index, "hostPath") is not None
    ]
    for label, container in containers(props):
        for index, _ in enumerate(read_list(container, "ports")):
            if read(container, "ports", index, "hostPort"):
                problems.append(f"{label}: ports[{index}].hostPort is set")
    return verdict(problems)


RULE = Rule(
    id="K8S-HOST-VOL-PORT",
    description="Pods use no hostPath volumes and no hostPort.",
    severity="high",
    remediation="Use a PVC or emptyDir instead of hostPath; expose ports with a Service.",
    anchors=(
        "PSS-B HostPath Volumes",
        "PSS-B Host Ports",
        "CKV_K8S_26",
        "CKV_K8S_27",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
