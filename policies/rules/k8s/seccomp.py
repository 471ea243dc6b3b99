"""K8S-SECCOMP: containers run under the runtime's default (or a local) seccomp profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers, effective, pod_spec
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    spec = pod_spec(props)
    problems = []
    for label, container in containers(props):
        profile = effective(container, spec, "seccompProfile")
        kind = read(profile, "type") if profile is not None else None
        if kind not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{label}: seccompProfile.type is {kind!r}, must be RuntimeDefault or Localhost")
    return verdict(problems)


RULE = Rule(
    id="K8S-SECCOMP",
    description="Containers use a RuntimeDefault or Localhost seccomp profile.",
    severity="medium",
    remediation="Set securityContext.seccompProfile: {type: RuntimeDefault} on the pod.",
    anchors=(
        "PSS-R Seccomp",
        "PSS-B Seccomp",
        "CKV_K8S_31",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
