"""K8S-NS-PSA: namespaces enforce the restricted Pod Security Standard at admission."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict

LABEL = "pod-security.kubernetes.io/enforce"


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    value = read(props, "metadata", "labels", LABEL)
    return verdict([] if value == "restricted" else [f"label {LABEL} is {value!r}, must be restricted"])


RULE = Rule(
    id="K8S-NS-PSA",
    description="Namespaces enforce the restricted Pod Security Standard.",
    severity="high",
    remediation=f"Label the namespace {LABEL}=restricted.",
    anchors=(
        "PSS-R Volume Types",
        "PSS-B HostProcess",
    ),
    enforcement="M",
    resource_types=frozenset({t.K8S_NAMESPACE}),
    check=check,
)
