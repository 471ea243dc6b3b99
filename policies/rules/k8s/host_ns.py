"""K8S-HOST-NS: pods do not share the node's network, PID or IPC namespace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import pod_spec_path
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    path = pod_spec_path(props)
    return verdict(f"{key} is true" for key in ("hostNetwork", "hostPID", "hostIPC") if read(props, *path, key) is True)


RULE = Rule(
    id="K8S-HOST-NS",
    description="Pods do not use host namespaces.",
    severity="critical",
    remediation="Remove hostNetwork/hostPID/hostIPC from the pod spec.",
    anchors=(
        "PSS-B Host Namespaces",
        "CKV_K8S_17",
        "CKV_K8S_18",
        "CKV_K8S_19",
    ),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
