"""EKS-VERSION: the cluster pins a Kubernetes version EKS still supports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, verdict

# The oldest minor in EKS standard support at the time of writing (1.31 reaches end of standard
# support in late 2025); raise it as AWS's calendar moves. Older minors bill extended support.
OLDEST_SUPPORTED = (1, 31)


def _minor(version: Any) -> tuple[int, int] | None:
    if not isinstance(version, str):
        return None
    parts = version.strip().split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1])


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    version = read(props, "version")
    minor = _minor(version)
    if minor is None:
        return verdict(
            [f"version is {version!r}: pin a Kubernetes minor such as '1.33' (unset takes whatever EKS defaults to)"]
        )
    if minor < OLDEST_SUPPORTED:
        oldest = ".".join(map(str, OLDEST_SUPPORTED))
        return verdict([f"version {version} is older than {oldest}, the oldest EKS minor in standard support"])
    return verdict([])


RULE = Rule(
    id="EKS-VERSION",
    description="EKS clusters pin a Kubernetes version in EKS standard support.",
    severity="medium",
    remediation="Set version to a supported minor (see the EKS Kubernetes release calendar).",
    anchors=("CKV_AWS_339",),
    enforcement="M",
    resource_types=frozenset({t.EKS_CLUSTER}),
    check=check,
)
