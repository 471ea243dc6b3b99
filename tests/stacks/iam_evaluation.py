"""A small evaluator of identity-based IAM policy documents, for tests that ask "may this role do that?".

It follows AWS's evaluation logic for one principal's identity policies: an explicit Deny wins, else an
Allow whose Action, Resource and Condition all match, else the implicit deny. Action and Resource use
IAM's wildcards (`*`, `?`, case-insensitive actions); conditions support the operators the stacks write
(StringEquals, StringLike, ArnEquals, ArnLike, Bool, each with IfExists, and ForAnyValue:). An operator it does not know
fails the test instead of passing silently (moto's evaluator, for one, ignores StringLike).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    # ForAnyValue: a multi-valued key (kms:ResourceAliases) matches if any of its values does; the context holds one
    # value per key here, so it is that value; a missing key never matches.
    if operator.startswith("ForAnyValue:"):
        return key in context and _condition_holds(operator.removeprefix("ForAnyValue:"), key, expected, context)
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if key not in context:
        return if_exists
    actual = context[key]
    values = [str(v) for v in _as_list(expected)]
    if base in ("StringEquals", "ArnEquals"):
        return actual in values
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, v) for v in values)
    if base == "Bool":
        return actual.lower() in (v.lower() for v in values)
    raise AssertionError(f"condition operator {operator} is not supported by this evaluator")


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotAction" in statement:
        if any(_glob(a, request.action, case_sensitive=False) for a in _as_list(statement["NotAction"])):
            return False
    elif not any(_glob(a, request.action, case_sensitive=False) for a in _as_list(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(_glob(r, request.resource, case_sensitive=True) for r in _as_list(statement["NotResource"])):
            return False
    elif not any(_glob(r, request.resource, case_sensitive=True) for r in _as_list(statement.get("Resource"))):
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        for key, expected in conditions.items():
            if not _condition_holds(operator, key, expected, request.context):
                return False
    return True


def statements(documents: Iterable[Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for document in documents:
        parsed = json.loads(document) if isinstance(document, str) else document
        found += _as_list(parsed["Statement"])
    return found


def allowed(documents: Iterable[Any], request: Request) -> bool:
    found = statements(documents)
    if any(s["Effect"] == "Deny" and _matches(s, request) for s in found):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, request) for s in found)


def allowing_statements(documents: Iterable[Any], request: Request) -> list[Mapping[str, Any]]:
    return [s for s in statements(documents) if s["Effect"] == "Allow" and _matches(s, request)]
