"""Exemptions carried by the resource itself: an AWS tag or a Kubernetes annotation whose value is the reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.tags import EXEMPTION_TAG_PREFIX, K8S_EXEMPTION_ANNOTATION_PREFIX
from policies.rule import is_unknown


def exemption_key(rule_id: str, resource_type: str) -> str:
    if resource_type.startswith("kubernetes:"):
        return K8S_EXEMPTION_ANNOTATION_PREFIX + rule_id.lower()
    return EXEMPTION_TAG_PREFIX + rule_id


def resource_exemption(rule_id: str, resource_type: str, props: Mapping[str, Any]) -> str | None:
    """The reason the resource gives for an exemption from `rule_id`; "" when it gives an empty one.

    None means no exemption. An unknown value counts as no exemption: an exemption must be known
    when the verdict is made, or an unknown would silently waive a mandatory rule.
    """
    key = exemption_key(rule_id, resource_type)
    if resource_type.startswith("kubernetes:"):
        metadata = props.get("metadata")
        holder = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    else:
        holder = props.get("tags")
    if not isinstance(holder, Mapping) or key not in holder:
        return None
    value = holder[key]
    if value is None or is_unknown(value):
        return None if value is not None else ""
    return str(value).strip()


def carried_exemptions(resource_type: str, props: Mapping[str, Any], known_ids: set[str]) -> list[tuple[str, str]]:
    """(rule id, reason) of every exemption tag or annotation the resource carries.

    Annotations are lower-case (Kubernetes keys); the id is given back as the pack spells it when the
    pack knows it, otherwise as written, so an exemption for a rule that does not exist is reported.
    """
    if resource_type.startswith("kubernetes:"):
        metadata = props.get("metadata")
        holder = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        prefix = K8S_EXEMPTION_ANNOTATION_PREFIX
    else:
        holder = props.get("tags")
        prefix = EXEMPTION_TAG_PREFIX
    if not isinstance(holder, Mapping):
        return []
    by_lower = {rule_id.lower(): rule_id for rule_id in known_ids}
    found = []
    for key, value in holder.items():
        if isinstance(key, str) and key.startswith(prefix) and isinstance(value, str) and value.strip():
            written = key[len(prefix):]
            found.append((by_lower.get(written.lower(), written), value.strip()))
    return found
