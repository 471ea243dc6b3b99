"""The coverage table: consistent with the rules, current in docs/, and complete for the shipped plans."""

from pathlib import Path
from typing import Any

import pytest

from policies import coverage
from policies.coverage import MEANINGS, Meaning, problems, render, uncovered


def test_table_is_consistent_with_the_rules() -> None:
    assert problems() == []


def test_docs_table_is_current() -> None:
    assert coverage.DOC.read_text(encoding="utf-8") == render(), "run `python -m policies.coverage`"


def test_check_mode_fails_on_a_stale_doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "policy-coverage.md"
    stale.write_text("# old\n")
    monkeypatch.setattr(coverage, "DOC", stale)
    assert coverage.main(["--check"]) == 1
    assert coverage.main([]) == 0 and coverage.main(["--check"]) == 0


def test_a_meaning_without_rule_or_reason_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    bare = Meaning("SG", frozenset({"aws:ec2/securityGroup:SecurityGroup"}), "made up", ("CKV_AWS_23",), "none")
    monkeypatch.setattr(coverage, "MEANINGS", (*MEANINGS, bare))
    assert coverage.uncovered({"aws:ec2/securityGroup:SecurityGroup"}) == [bare]
    assert "SG 'made up': neither a rule nor a reasoned exemption" in coverage.problems()


@pytest.fixture(scope="module")
def shipped_types(shipped_plans: dict[str, dict[str, Any]]) -> set[str]:
    return {resource["type"] for plan in shipped_plans.values() for resource in plan["resources"]}


def test_every_shipped_type_with_an_anchor_meaning_has_a_rule_or_reasoned_exemption(shipped_types: set[str]) -> None:
    assert [(m.group, m.meaning) for m in uncovered(shipped_types)] == []
    # The table is about these plans: the SG, WAF, Step Functions and Scheduler meanings must be reachable.
    tabled = set().union(*(m.types for m in MEANINGS))
    assert {"aws:ec2/securityGroup:SecurityGroup", "aws:sfn/stateMachine:StateMachine"} <= shipped_types & tabled
