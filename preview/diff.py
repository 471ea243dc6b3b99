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

from contracts.stateful import is_stateful
from preview.force_new import replacing_paths
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
    protected: bool = False  # the deployed side carries `protect`: the engine refuses to delete it

    @property
    def stateful(self) -> bool:
        return is_stateful(self.type)


# Input paths whose change is metadata only: a tag-only change is shown folded into one line.
_TAG_PATHS = ("tags", "tagsAll", "metadata.labels")


@dataclass(frozen=True)
class ChangedResource:
    resource: ResourceRef
    paths: list[PathChange]
    # The changed paths that make Pulumi replace the resource (preview/force_new.py); empty: an update.
    replace_paths: list[str] = field(default_factory=list)
    # Why it is replaced when none of its own inputs force it (its provider is replaced).
    replaced_because: str | None = None

    @property
    def replaced(self) -> bool:
        return bool(self.replace_paths or self.replaced_because)

    @property
    def tags_only(self) -> bool:
        return all(any(_covers(prefix, c.path) for prefix in _TAG_PATHS) for c in self.paths)


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

    @property
    def replaced(self) -> list[ChangedResource]:
        return [c for c in self.changed if c.replaced]

    @property
    def updated(self) -> list[ChangedResource]:
        return [c for c in self.changed if not c.replaced]

    @property
    def destroyed_stateful(self) -> list[ResourceRef]:
        """Stateful resources this change deletes or replaces (replace = delete + create): shown first."""
        return [r for r in self.removed if r.stateful] + [c.resource for c in self.replaced if c.resource.stateful]


def _ref(resource: dict[str, Any], deployed: dict[str, Any] | None = None) -> ResourceRef:
    options = (deployed if deployed is not None else resource).get("options") or {}
    return ResourceRef(
        urn=str(resource["urn"]),
        type=str(resource.get("type", "")),
        name=str(resource.get("name", "")),
        custom=bool(resource.get("custom", True)),
        protected=bool(options.get("protect")),
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
    changed: list[ChangedResource] = []
    for urn in sorted(set(before) | set(after)):
        if urn not in before:
            result.added.append(_ref(after[urn]))
        elif urn not in after:
            result.removed.append(_ref(before[urn]))
        else:
            paths = diff_inputs(before[urn].get("inputs") or {}, after[urn].get("inputs") or {})
            if paths:
                ref = _ref(after[urn], before[urn])
                changed.append(ChangedResource(ref, paths, replacing_paths(ref.type, [c.path for c in paths])))
            else:
                result.unchanged += 1
    # A replaced provider (another cluster) replaces everything it manages, changed inputs or not.
    replaced_providers = {
        c.resource.urn for c in changed if c.replaced and c.resource.type.startswith("pulumi:providers:")
    }
    if replaced_providers:
        by_urn = {c.resource.urn: c for c in changed}
        for urn, resource in after.items():
            provider = resource.get("provider")
            if provider not in replaced_providers or urn not in before:
                continue
            reason = f"its provider {provider.rsplit('::', 1)[-1]} is replaced"
            if urn in by_urn:
                item = by_urn[urn]
                if not item.replaced:
                    by_urn[urn] = ChangedResource(item.resource, item.paths, item.replace_paths, reason)
            else:
                by_urn[urn] = ChangedResource(_ref(resource, before[urn]), [], [], reason)
                result.unchanged -= 1
        changed = [by_urn[urn] for urn in sorted(by_urn)]
    result.changed = changed
    return result
