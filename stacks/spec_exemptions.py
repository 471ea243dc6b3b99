"""Spec exemptions (`security.exemptions`) written onto the resources they name, as the policy pack reads them.

An exemption names a model (all of its resources), a component, or one resource as the policy report
prints it. A stack transformation sees every resource as it is declared, with its logical name and its
parent, so the exemption lands exactly where it was asked for: as the tag `slipstack:exempt:<RULE>` on
AWS resources that take tags, and as the annotation `exempt.slipstack.dev/<rule>` on Kubernetes objects.
A name that matches nothing writes nothing; `slipstack plan` reports such an exemption as unused.
Transformations run in the program's own process, so `pulumi up` and the offline plan behave alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from contracts.tags import EXEMPTION_TAG_PREFIX, K8S_EXEMPTION_ANNOTATION_PREFIX, owning_model


@dataclass(frozen=True)
class SpecExemptionEntry:
    model: str
    rule: str
    resource: str
    reason: str


class SpecExemptionTransformation:
    """A Pulumi stack transformation adding each exemption's tag or annotation to the resources it names."""

    def __init__(self, entries: Sequence[SpecExemptionEntry]):
        self._entries = tuple(entries)
        self._models = sorted({entry.model for entry in entries})
        # id(resource) -> the logical names of it and its ancestors; parents are declared before children.
        self._lineage: dict[int, tuple[str, ...]] = {}

    def exemptions_for(self, name: str, lineage: tuple[str, ...]) -> dict[str, str]:
        model = owning_model(name, self._models)
        return {
            entry.rule: entry.reason
            for entry in self._entries
            if entry.model == model and (entry.resource == model or entry.resource in lineage)
        }

    def __call__(self, args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        parent = args.opts.parent if args.opts is not None else None
        lineage = (*self._lineage.get(id(parent), ()), args.name)
        self._lineage[id(args.resource)] = lineage
        wanted = self.exemptions_for(args.name, lineage)
        if not wanted:
            return None
        props = with_exemptions(args.type_, args.props, wanted)
        return None if props is None else pulumi.ResourceTransformationResult(props, args.opts)


def with_exemptions(type_: str, props: Mapping[str, Any], wanted: Mapping[str, str]) -> dict[str, Any] | None:
    """The resource's props with the exemptions added; None when the resource cannot carry them."""
    updated = dict(props)
    if type_.startswith("kubernetes:"):
        metadata = updated.get("metadata")
        if not isinstance(metadata, Mapping):
            return None
        annotations = dict(metadata.get("annotations") or {})
        annotations.update({K8S_EXEMPTION_ANNOTATION_PREFIX + rule.lower(): why for rule, why in wanted.items()})
        updated["metadata"] = {**metadata, "annotations": annotations}
        return updated
    if "tags" not in updated or not isinstance(updated.get("tags") or {}, Mapping):
        return None  # a type without tags (or tags computed at run time): nothing to write on
    updated["tags"] = {**(updated.get("tags") or {}),
                       **{EXEMPTION_TAG_PREFIX + rule: why for rule, why in wanted.items()}}
    return updated
