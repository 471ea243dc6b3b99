"""K8S-ARTIFACT-SHA256: a model deployment says which artifact it serves (no anchor has this rule).

A label value holds at most 63 characters and a sha256 has 64, so the annotation is the reliable
place; a label is accepted too for clusters whose tooling only reads labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from contracts.tags import K8S_ARTIFACT_SHA256
from policies.rule import Outcome, Rule, RuleContext, read, verdict

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    places = (
        ("metadata", "annotations"),
        ("metadata", "labels"),
        ("spec", "template", "metadata", "annotations"),
    )
    values = [read(props, *place, K8S_ARTIFACT_SHA256) for place in places]
    found = [v for v in values if v is not None]
    if not found:
        return verdict([f"annotation {K8S_ARTIFACT_SHA256} is missing"])
    if not any(SHA256.match(str(v)) for v in found):
        return verdict([f"{K8S_ARTIFACT_SHA256} is {found[0]!r}, not a lowercase hex sha256"])
    return verdict([])


RULE = Rule(
    id="K8S-ARTIFACT-SHA256",
    description="Model deployments carry the sha256 of the artifact they serve.",
    severity="medium",
    remediation="Deploy through `slipstack package`; the stack annotates the Deployment with the manifest's sha256.",
    anchors=("Slipstack (no anchor): artifact checksums",),
    enforcement="M",
    resource_types=frozenset({t.K8S_DEPLOYMENT}),
    check=check,
)
