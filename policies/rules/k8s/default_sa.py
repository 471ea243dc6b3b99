"""K8S-DEFAULT-SA: workloads run under their own service account, not the namespace default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import pod_spec_path
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    name = read(props, *pod_spec_path(props), "serviceAccountName")
    return verdict(
        [] if name not in (None, "", "default") else [f"serviceAccountName is {name!r}; use a dedicated one"]
    )


RULE = Rule(
    id="K8S-DEFAULT-SA",
    description="Workloads use a dedicated service account.",
    severity="medium",
    remediation="Create a ServiceAccount for the model and set serviceAccountName.",
    anchors=("CK_K8S_41", "CK_K8S_42"),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
