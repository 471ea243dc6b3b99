"""Every rule's anchors are real: Checkov ids exist in the installed Checkov and apply to the rule's
resource types; named rules of other sets are in the table that says where each name was read."""

import json
import subprocess
from functools import cache
from pathlib import Path

import pytest

from policies.anchors import NAMED_RULES, anchor_kind, checkov_types
from policies.catalog import all_rules
from policies.rule import Rule

REPO = Path(__file__).resolve().parents[2]
SCAN_PYTHON = REPO / ".venv-scan" / "bin" / "python"
REGISTRY_SCRIPT = Path(__file__).with_name("checkov_registry.py")


@cache
def checkov_registry() -> dict[str, list[str]]:
    if not SCAN_PYTHON.exists():
        pytest.fail(f"Checkov is missing at {SCAN_PYTHON}: `make setup` builds .venv-scan from requirements-scan.txt")
    done = subprocess.run(
        [str(SCAN_PYTHON), str(REGISTRY_SCRIPT)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_anchor_ids_are_well_formed_and_named_rules_are_in_the_table(rule: Rule) -> None:
    assert [a for a in rule.anchors if anchor_kind(a) == "invalid"] == []


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_checkov_anchors_exist_and_apply_to_the_rules_types(rule: Rule) -> None:
    registry = checkov_registry()
    ours = set().union(*(checkov_types(token) for token in rule.judged_types))
    problems = []
    for anchor in (a for a in rule.anchors if anchor_kind(a) == "checkov"):
        if anchor not in registry:
            problems.append(f"{anchor} is not a check of the installed Checkov")
        elif not ours & set(registry[anchor]):
            problems.append(f"{anchor} applies to {registry[anchor]}, none of them {sorted(ours)}")
    assert problems == []


def test_every_judged_type_has_a_checkov_equivalent() -> None:
    """Else the applicability check above would pass vacuously for an anchored rule."""
    missing = {
        (rule.id, token)
        for rule in RULES
        if any(anchor_kind(a) == "checkov" for a in rule.anchors)
        for token in rule.judged_types
        if not checkov_types(token)
    }
    assert missing == set()


def test_the_table_is_used_and_says_where_each_name_was_read() -> None:
    used = {a for rule in RULES for a in rule.anchors}
    from policies.coverage import MEANINGS

    used |= {a for meaning in MEANINGS for a in meaning.anchors}
    assert sorted(set(NAMED_RULES) - used) == []
    assert all(entry.source.strip() for entry in NAMED_RULES.values())


def test_a_wrong_anchor_is_caught() -> None:
    registry = checkov_registry()
    assert "CKV_AWS_99999" not in registry
    assert anchor_kind("CN ELB") == "invalid" and anchor_kind("cdk-nag AwsSolutions-ELB99") == "invalid"
    # CKV_K8S_155 (webhook configurations) is a ClusterRole check: it does not apply to a Role.
    assert not checkov_types("kubernetes:rbac.authorization.k8s.io/v1:Role") & set(registry["CKV_K8S_155"])
