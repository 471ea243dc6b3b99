"""K8S-IMAGE-DIGEST: prod images are pinned by digest, so a re-pushed tag cannot change what runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    return verdict(
        f"{label}: image {read(container, 'image')} has no @sha256 digest"
        for label, container in containers(props)
        if "@sha256:" not in str(read(container, "image") or "")
    )


RULE = Rule(
    id="K8S-IMAGE-DIGEST",
    description="Container images are pinned by sha256 digest.",
    severity="medium",
    remediation="Reference the image as name@sha256:<digest>.",
    anchors=("CKV_K8S_43",),
    enforcement="M(p)",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
