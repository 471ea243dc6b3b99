"""K8S-NO-PRIV-ESC: containers explicitly forbid privilege escalation (setuid binaries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    # The default is true, so only an explicit false passes.
    settings = [(label, read(c, "securityContext", "allowPrivilegeEscalation")) for label, c in containers(props)]
    return verdict(
        f"{label}: securityContext.allowPrivilegeEscalation is {value!r}, must be false"
        for label, value in settings
        if value is not False
    )


RULE = Rule(
    id="K8S-NO-PRIV-ESC",
    description="Containers set allowPrivilegeEscalation: false.",
    severity="high",
    remediation="Set securityContext.allowPrivilegeEscalation: false on every container.",
    anchors=(
        "PSS-R Privilege Escalation",
        "CKV_K8S_20",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
