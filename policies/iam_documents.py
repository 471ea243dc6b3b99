"""IAM policy documents as rules read them: JSON strings or objects, normalised to statement lists."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts import type_tokens as t
from policies.rule import UnknownValue, is_unknown, read, read_list


@dataclass(frozen=True)
class Statement:
    where: str  # "policy" or "inlinePolicies[0]", for messages
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[str, ...]  # "*" for a public principal, else "AWS:arn", "Service:name", ...
    condition: Mapping[str, Any]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, Sequence) else [value]
    for item in items:
        if is_unknown(item):
            raise UnknownValue(where)
    return tuple(str(item) for item in items)


def _principals(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if is_unknown(value):
        raise UnknownValue(where)
    if isinstance(value, str):
        return ("*",) if value == "*" else (value,)
    if isinstance(value, Mapping):
        found: list[str] = []
        for kind, ids in value.items():
            for principal in _strings(ids, f"{where}.{kind}"):
                found.append("*" if principal == "*" else f"{kind}:{principal}")
        return tuple(found)
    return (str(value),)


def _condition(value: Any, where: str) -> Mapping[str, Any]:
    """A statement's Condition block; one of another shape is kept under "<malformed>" so it still
    counts as present (IAM rejects it anyway) without crashing rules that walk operator blocks."""
    if is_unknown(value):
        raise UnknownValue(where)
    if not value:
        return {}
    return value if isinstance(value, Mapping) else {"<malformed>": value}


def parse_document(document: Any, where: str) -> list[Statement]:
    """Statements of one document; an unknown or unparsable document raises UnknownValue / gives []."""
    if document is None:
        return []
    if is_unknown(document):
        raise UnknownValue(where)
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            # Pulumi's preview may hold a partly unknown interpolated string: undecidable, not empty.
            raise UnknownValue(where) from None
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement", [])
    statements = [raw] if isinstance(raw, Mapping) else list(raw) if isinstance(raw, Sequence) else []
    parsed = []
    for index, statement in enumerate(statements):
        if is_unknown(statement):
            raise UnknownValue(f"{where}.Statement[{index}]")
        if not isinstance(statement, Mapping):
            continue
        spot = f"{where}.Statement[{index}]"
        parsed.append(
            Statement(
                where=spot,
                effect=str(statement.get("Effect", "")),
                actions=_strings(statement.get("Action"), f"{spot}.Action"),
                not_actions=_strings(statement.get("NotAction"), f"{spot}.NotAction"),
                resources=_strings(statement.get("Resource"), f"{spot}.Resource"),
                principals=_principals(statement.get("Principal"), f"{spot}.Principal"),
                condition=_condition(statement.get("Condition"), f"{spot}.Condition"),
            )
        )
    return parsed


# Resource types whose props carry identity policy documents, and where.
IDENTITY_POLICY_TYPES = frozenset({t.IAM_POLICY, t.IAM_ROLE_POLICY, t.IAM_ROLE})


def identity_statements(props: Mapping[str, Any], resource_type: str) -> list[Statement]:
    """Every statement granting permissions: Policy/RolePolicy `policy`, Role `inlinePolicies[].policy`."""
    if resource_type == t.IAM_ROLE:
        statements: list[Statement] = []
        for index, _ in enumerate(read_list(props, "inlinePolicies")):
            statements.extend(
                parse_document(read(props, "inlinePolicies", index, "policy"), f"inlinePolicies[{index}]")
            )
        return statements
    return parse_document(read(props, "policy"), "policy")


def allows(statements: list[Statement]) -> list[Statement]:
    return [s for s in statements if s.effect == "Allow"]


# Cloudsplaining's risk categories (the ones Checkov's CKV_AWS_287/288/289 report), by its property name.
RISK_CATEGORIES = {
    "credentials_exposure": "returns credentials",
    "allows_data_exfiltration_actions": "reads data out",
    "permissions_management_without_constraints": "manages permissions or exposes resources",
}
# Checkov's exclusion too: a registry token cannot be scoped and only lets the holder pull images.
UNSCOPABLE_BY_DESIGN = frozenset({"ecr:getauthorizationtoken"})


def unconstrained_risks(statements: list[Statement]) -> dict[str, list[str]]:
    """category -> actions allowed on every resource without a Condition, as cloudsplaining judges them.

    Cloudsplaining (the library behind Checkov's IAM checks) knows every action's access level and
    resource types from policy_sentry's IAM database, so the pack does not keep its own action lists.
    A statement it cannot analyse is reported as such instead of passing.
    """
    from cloudsplaining.scan.policy_document import PolicyDocument
    from cloudsplaining.shared.exclusions import Exclusions

    found: dict[str, list[str]] = {}
    for statement in statements:
        if statement.effect != "Allow":
            continue
        raw: dict[str, Any] = {"Effect": "Allow", "Resource": list(statement.resources) or ["*"]}
        if statement.actions:
            raw["Action"] = list(statement.actions)
        if statement.not_actions:
            raw["NotAction"] = list(statement.not_actions)
        if statement.condition:
            raw["Condition"] = statement.condition
        try:
            document = PolicyDocument({"Version": "2012-10-17", "Statement": [raw]}, exclusions=Exclusions({}))
            for category in RISK_CATEGORIES:
                actions = [a for a in getattr(document, category) if a.lower() not in UNSCOPABLE_BY_DESIGN]
                if actions:
                    found.setdefault(category, []).extend(f"{statement.where}: {a}" for a in sorted(actions))
        except Exception as error:
            found.setdefault("unanalysable", []).append(f"{statement.where}: {type(error).__name__}")
    return found
