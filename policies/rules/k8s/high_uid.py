"""K8S-HIGH-UID: containers run with a UID >= 10000, clear of host users (advisory)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers, effective, pod_spec
from policies.rule import Outcome, Rule, RuleContext, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    spec = pod_spec(props)
    problems = []
    for label, container in containers(props):
        uid = effective(container, spec, "runAsUser")
        if not isinstance(uid, int) or uid < 10000:
            problems.append(f"{label}: runAsUser is {uid!r}, should be >= 10000")
    return verdict(problems)


RULE = Rule(
    id="K8S-HIGH-UID",
    description="Containers run with a high UID.",
    severity="low",
    remediation="Set runAsUser (and runAsGroup) >= 10000.",
    anchors=("CKV_K8S_40",),
    enforcement="A",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
