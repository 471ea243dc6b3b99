"""The offline diff of two plans of one stack: resources added, removed and changed.

Resources match by URN (a URN is stable for a resource unless its name, type or parent changes, in
which case Pulumi itself sees a delete and a create). For a changed resource the diff lists the input
paths that differ; values that are secret on either side, or sit under a secret-looking key, are
masked, so a comment on a public pull request never shows them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from preview.plans import StackPlan

SECRET_MARK = "[secret]"
UNKNOWN_MARK = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MASKED = "(secret)"
UNKNOWN = "(known after apply)"
# Defence in depth: a plain value under a key like these is masked even when nobody marked it secret.
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|private_?key|credential)", re.IGNORECASE)
_VALUE_WIDTH = 80


@dataclass(frozen=True)
class PathChange:
    path: str
    before: str | None  # None: the path is new
    after: str | None  # None: the path is gone
    masked: bool


@dataclass(frozen=True)
class ResourceRef:
    urn: str
    type: str
    name: str
    custom: bool


@dataclass(frozen=True)
class ChangedResource:
    resource: ResourceRef
    paths: list[PathChange]


@dataclass
class StackDiff:
    stack: str
    base: StackPlan | None
    head: StackPlan | None
    added: list[ResourceRef] = field(default_factory=list)
    removed: list[ResourceRef] = field(default_factory=list)
    changed: list[ChangedResource] = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def _ref(resource: dict[str, Any]) -> ResourceRef:
    return ResourceRef(
        urn=str(resource["urn"]),
        type=str(resource.get("type", "")),
        name=str(resource.get("name", "")),
        custom=bool(resource.get("custom", True)),
    )


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": [1]}} -> {"a.b[0]": 1}; empty containers stay as leaves so adding one is visible."""
    if isinstance(value, dict) and value:
        leaves: dict[str, Any] = {}
        for key in sorted(value):
            leaves.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return leaves
    if isinstance(value, list) and value:
        leaves = {}
        for index, item in enumerate(value):
            leaves.update(flatten(item, f"{prefix}[{index}]"))
        return leaves
    return {prefix: value}


def _covers(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def _show(value: Any) -> str:
    if value == UNKNOWN_MARK:
        return UNKNOWN
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def diff_inputs(before: dict[str, Any], after: dict[str, Any]) -> list[PathChange]:
    """The input paths that differ, in path order, with secret values masked on both sides."""
    old, new = flatten(before), flatten(after)
    secret_paths = [path for leaves in (old, new) for path, value in leaves.items() if value == SECRET_MARK]
    changes = []
    for path in sorted(set(old) | set(new)):
        if path in old and path in new and old[path] == new[path]:
            continue
        last_key = re.split(r"[.\[]", path)[-1] if path else ""
        masked = any(_covers(secret, path) for secret in secret_paths) or bool(_SECRET_KEY.search(last_key))
        changes.append(
            PathChange(
                path=path or "(inputs)",
                before=None if path not in old else (MASKED if masked else _show(old[path])),
                after=None if path not in new else (MASKED if masked else _show(new[path])),
                masked=masked,
            )
        )
    return changes


def diff_stack(stack: str, base: StackPlan | None, head: StackPlan | None) -> StackDiff:
    """Compare one stack's base and head plans; a missing side counts as a stack with no resources."""
    before = {r["urn"]: r for r in (base.resources if base else [])}
    after = {r["urn"]: r for r in (head.resources if head else [])}
    result = StackDiff(stack=stack, base=base, head=head)
    for urn in sorted(set(before) | set(after)):
        if urn not in before:
            result.added.append(_ref(after[urn]))
        elif urn not in after:
            result.removed.append(_ref(before[urn]))
        else:
            paths = diff_inputs(before[urn].get("inputs") or {}, after[urn].get("inputs") or {})
            if paths:
                result.changed.append(ChangedResource(resource=_ref(after[urn]), paths=paths))
            else:
                result.unchanged += 1
    return result
