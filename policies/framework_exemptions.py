"""Exemptions that Slipstack's own components carry, scoped by the component that creates the resource.

Some resources cannot meet a rule for a reason AWS imposes, and cannot carry an exemption tag either
(S3 bucket settings resources have no tags). Keying those exemptions to a stack's resource names in a
policy config meant every new stack failed the pack on Slipstack's own resources. Instead the exemption
is scoped to the component type: it covers a rule's findings on resources whose URN places them inside
that component, which the engine knows at preview (URNs carry the parent type chain), so the offline
evaluator and CrossGuard decide alike. The reason is printed with every verdict, like any exemption.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.type_tokens import ACCESS_LOG_BUCKET


@dataclass(frozen=True)
class FrameworkExemption:
    rule: str
    component: str  # type token of the component whose descendants the exemption covers
    reason: str


FRAMEWORK_EXEMPTIONS: tuple[FrameworkExemption, ...] = (
    FrameworkExemption(
        "S3-SSE-KMS",
        ACCESS_LOG_BUCKET,
        "S3 server access logs and ALB access logs are delivered only to buckets whose default encryption is "
        "SSE-S3 (AWS rejects SSE-KMS targets); the access-log bucket holds request metadata, never model data",
    ),
)


def enclosing_types(urn: str) -> list[str]:
    """The type tokens of a resource's ancestors, outermost first, from its URN.

    A URN is `urn:pulumi:<stack>::<project>::<parent type>$...$<type>::<name>`.
    """
    parts = urn.split("::")
    if len(parts) < 4:
        return []
    return parts[2].split("$")[:-1]


def framework_exemption(rule_id: str, urn: str) -> FrameworkExemption | None:
    ancestors = enclosing_types(urn)
    for exemption in FRAMEWORK_EXEMPTIONS:
        if exemption.rule == rule_id and exemption.component in ancestors:
            return exemption
    return None
