"""K8S-INGRESS: every ingress host is served over TLS, and no config-snippet annotations (CVE-2021-25742)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, read_map, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    hosts = [read(props, "spec", "rules", i, "host") for i, _ in enumerate(read_list(props, "spec", "rules"))]
    # A list, not a set: a host of another shape (a list, an object) must not crash the comparison.
    covered = [
        host
        for i, _ in enumerate(read_list(props, "spec", "tls"))
        for host in read_list(props, "spec", "tls", i, "hosts")
    ]
    problems = [f"host {host or '*'} is not covered by spec.tls" for host in hosts if host not in covered]
    problems += [
        f"annotation {key} allows arbitrary nginx configuration"
        for key in read_map(props, "metadata", "annotations")
        if str(key).endswith("-snippet")
    ]
    return verdict(problems)


RULE = Rule(
    id="K8S-INGRESS",
    description="Ingresses terminate TLS for every host and use no snippet annotations.",
    severity="high",
    remediation="Add every host to spec.tls[].hosts; drop *-snippet annotations.",
    anchors=("CKV_K8S_153",),
    enforcement="M",
    resource_types=frozenset({t.K8S_INGRESS}),
    check=check,
)
