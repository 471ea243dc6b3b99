"""What a rule is: metadata plus a pure check with three outcomes (pass, violations, not applicable).

A rule never sees Pulumi objects: a resource rule gets the props dict exactly as the engine names
them (camelCase), a stack rule gets plain `StackResource` records. Values unknown at preview arrive
as Pulumi's sentinel strings; `read` turns them into `UnknownValue`, which the runner reports as
"could not decide" at the rule's enforcement level, so a mandatory rule fails closed instead of
passing silently (the engine's own handling only emits an advisory note).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# Every sentinel the engine uses for a value it cannot know during preview (pulumi_policy/proxy.py).
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (and what `slipstack plan` writes)
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

Enforcement = Literal["mandatory", "advisory", "disabled"]
# How the checklist states enforcement: M everywhere, M(p) mandatory in prod only, A advisory.
DefaultEnforcement = Literal["M", "M(p)", "A"]
Severity = Literal["low", "medium", "high", "critical"]


class UnknownValue(Exception):
    """A value the rule needs is unknown at preview; the rule cannot decide."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def read(props: Any, *path: str | int) -> Any:
    """The value at `path` in props, None when any step is missing, UnknownValue when any step is unknown."""
    current = props
    walked: list[str] = []
    for step in path:
        if is_unknown(current):
            raise UnknownValue(".".join(walked) or "<props>")
        if isinstance(step, int):
            if not isinstance(current, Sequence) or isinstance(current, str) or step >= len(current):
                return None
            current = current[step]
        else:
            if not isinstance(current, Mapping):
                return None
            current = current.get(step)
        walked.append(str(step))
        if current is None:
            return None
    if is_unknown(current):
        raise UnknownValue(".".join(walked))
    return current


def read_list(props: Any, *path: str | int) -> list[Any]:
    """A list-valued prop (missing = empty list); an unknown list or element raises UnknownValue."""
    value = read(props, *path)
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    items = list(value)
    for index, item in enumerate(items):
        if is_unknown(item):
            raise UnknownValue(".".join(str(p) for p in (*path, index)))
    return items


def read_map(props: Any, *path: str | int) -> Mapping[str, Any]:
    value = read(props, *path)
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Passed:
    """The resource complies."""


@dataclass(frozen=True)
class NotApplicable:
    """The rule does not apply to this resource (wrong kind, feature not used)."""

    reason: str


@dataclass(frozen=True)
class Violation:
    """One finding. Stack rules name the offending resource's urn; resource rules leave it None."""

    message: str
    urn: str | None = None


PASS = Passed()
Outcome = Passed | NotApplicable | list[Violation]


def verdict(messages: Iterable[str]) -> Outcome:
    """PASS when there is nothing to report, else one violation per message."""
    found = [Violation(message) for message in messages]
    return found if found else PASS


def undecided_message(path: str) -> str:
    return (
        f"could not decide: {path} is unknown at preview, so the rule fails closed; "
        "make the value known before preview or exempt the resource with a reason"
    )


@dataclass(frozen=True)
class StackResource:
    """A resource as a stack rule sees it: the same shape offline and under CrossGuard."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    # Resource options the engine enforces at delete time ({"protect": True, "retainOnDelete": True}).
    options: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know besides the props: the environment and the resource's provider props."""

    environment: str
    resource_type: str = ""
    urn: str = ""
    name: str = ""
    provider_props: Mapping[str, Any] | None = None


@dataclass
class StackView:
    """The resources of one stack with the indexes stack rules correlate by (never by ids)."""

    resources: Sequence[StackResource]
    by_type: dict[str, list[StackResource]] = field(default_factory=dict)
    by_urn: dict[str, StackResource] = field(default_factory=dict)
    # urn -> resources that depend on it or are its children: a bucket's access block points at it.
    attached: dict[str, list[StackResource]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for resource in self.resources:
            self.by_type.setdefault(resource.type, []).append(resource)
            self.by_urn[resource.urn] = resource
        for resource in self.resources:
            targets = set(resource.dependencies)
            if resource.parent:
                targets.add(resource.parent)
            for target in targets:
                self.attached.setdefault(target, []).append(resource)

    def of_type(self, *tokens: str) -> list[StackResource]:
        return [r for token in tokens for r in self.by_type.get(token, [])]

    def attached_to(self, resource: StackResource, *tokens: str) -> list[StackResource]:
        """Resources of the given types that reference `resource` by dependency or parent."""
        return [r for r in self.attached.get(resource.urn, []) if r.type in tokens]

    def referenced_by(self, resource: StackResource, *tokens: str) -> list[StackResource]:
        """Resources of the given types that `resource` depends on."""
        found = (self.by_urn.get(urn) for urn in resource.dependencies)
        return [r for r in found if r is not None and r.type in tokens]


ResourceCheck = Callable[[Mapping[str, Any], RuleContext], Outcome]
StackCheck = Callable[[StackView, RuleContext], Outcome]


@dataclass(frozen=True)
class Rule:
    """A rule's metadata and check; `resource_types` empty means a stack-level rule."""

    id: str
    description: str
    severity: Severity
    remediation: str
    anchors: tuple[str, ...]
    enforcement: DefaultEnforcement
    resource_types: frozenset[str] = frozenset()
    # Rules about every resource of a provider ("aws:") match by prefix instead of listing types.
    type_prefix: str = ""
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    # A stack rule's subjects: the types whose resources it reads and blames. Not used to dispatch
    # (a stack rule sees the whole stack); the coverage table and the anchor test read it.
    stack_types: frozenset[str] = frozenset()

    @property
    def judged_types(self) -> frozenset[str]:
        """The resource types this rule passes judgement on, resource rule or stack rule alike."""
        return self.resource_types | self.stack_types

    def applies_to(self, resource_type: str) -> bool:
        if resource_type in self.resource_types:
            return True
        # Providers are configuration, not deployed resources: "pulumi:providers:aws" never matches.
        return bool(self.type_prefix) and resource_type.startswith(self.type_prefix)

    @property
    def is_stack_rule(self) -> bool:
        return self.stack_check is not None

    def default_level(self, environment: str | None) -> Enforcement:
        """The level the checklist asks for; with no environment known, the strictest (prod)."""
        if self.enforcement == "M":
            return "mandatory"
        if self.enforcement == "A":
            return "advisory"
        return "mandatory" if environment in (None, "prod") else "advisory"


def each(resources: Iterable[StackResource], judge: Callable[[StackResource], Iterable[str]]) -> Outcome:
    """A stack rule's verdict judged resource by resource, so one unknown value blocks only its resource."""
    found: list[Violation] = []
    for resource in resources:
        try:
            messages = list(judge(resource))
        except UnknownValue as unknown:
            messages = [undecided_message(unknown.path)]
        found.extend(Violation(message, resource.urn) for message in messages)
    return found if found else PASS
