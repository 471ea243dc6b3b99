"""Every rule of the pack, found by walking policies/rules/{aws,k8s,stack} (one `RULE` per module)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from policies.rule import Rule

GROUPS = ("aws", "k8s", "stack")


@cache
def rules_by_module() -> dict[str, Rule]:
    """module name (e.g. "aws.sm_model_netiso") -> its RULE, in a stable order."""
    found: dict[str, Rule] = {}
    for group in GROUPS:
        package = importlib.import_module(f"policies.rules.{group}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            module = importlib.import_module(f"policies.rules.{group}.{info.name}")
            rule = getattr(module, "RULE", None)
            if not isinstance(rule, Rule):
                raise TypeError(f"policies/rules/{group}/{info.name}.py defines no RULE = Rule(...)")
            found[f"{group}.{info.name}"] = rule
    ids = [rule.id for rule in found.values()]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TypeError(f"duplicate rule ids in policies/rules: {duplicates}")
    return found


@cache
def all_rules() -> tuple[Rule, ...]:
    return tuple(rules_by_module().values())


def rule_ids() -> list[str]:
    return [rule.id for rule in all_rules()]


def rule_by_id(rule_id: str) -> Rule:
    for rule in all_rules():
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)


def rule_group(rule: Rule) -> str:
    for module, candidate in rules_by_module().items():
        if candidate is rule:
            return module.split(".")[0]
    raise KeyError(rule.id)
