"""Meta-test: every rule file has a test file that actually tests it; the shipped configs match the catalog."""

import json
from pathlib import Path

from policies.catalog import all_rules, rules_by_module
from policies.config import CONFIG_DIR, ENVIRONMENTS, render_pack_config

TESTS = Path(__file__).parent / "rules"


def test_every_rule_file_has_tests() -> None:
    missing = []
    for module in rules_by_module():
        group, name = module.split(".")
        test_file = TESTS / group / f"test_policy_{name}.py"
        text = test_file.read_text() if test_file.exists() else ""
        if f"from policies.rules.{group}.{name} import RULE" not in text or "def test_" not in text:
            missing.append(f"{group}/{name}.py -> {test_file.relative_to(TESTS.parent)}")
    assert missing == []


def test_rule_metadata_is_complete() -> None:
    for rule in all_rules():
        assert rule.id and rule.id == rule.id.upper(), rule
        assert rule.description and rule.remediation and rule.anchors, rule.id
        assert rule.is_stack_rule != bool(rule.resource_types or rule.type_prefix), rule.id


def test_shipped_configs_match_catalog() -> None:
    for environment in ENVIRONMENTS:
        shipped = json.loads((CONFIG_DIR / f"{environment}.json").read_text())
        # Levels follow the catalog exactly; reasoned exemptions are the only hand-written part.
        for settings in shipped.values():
            if isinstance(settings, dict):
                settings.pop("exemptions", None)
        assert shipped == render_pack_config(all_rules(), environment), environment


def test_mp_rules_mandatory_only_in_prod() -> None:
    prod = json.loads((CONFIG_DIR / "prod.json").read_text())
    dev = json.loads((CONFIG_DIR / "dev.json").read_text())
    netiso = "SM-MODEL-NETISO"
    assert (prod[netiso]["enforcementLevel"], dev[netiso]["enforcementLevel"]) == ("mandatory", "advisory")
    assert dev["S3-PAB"]["enforcementLevel"] == "mandatory"
