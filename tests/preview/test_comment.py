"""The pull-request comment: golden Markdown for the example, the size limit, missing bases and verdicts."""

from __future__ import annotations

import os
import re
from pathlib import Path

from example_plans import MODEL, example_plans, example_verdicts, resource, urn, write_plan_set

from preview.comment import (
    GITHUB_COMMENT_LIMIT,
    MARKER,
    build_preview,
    render_comment,
    render_markdown,
)
from preview.cost import bundled_price_table
from preview.plans import read_plan_set

GOLDEN = Path(__file__).parent / "golden" / "example-comment.md"
# Regenerate deliberately: SLIPSTACK_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/preview/test_comment.py
REGENERATE = os.environ.get("SLIPSTACK_REGENERATE_GOLDEN") == "1"


def _preview(base: Path, head: Path):  # type: ignore[no-untyped-def]
    return build_preview(read_plan_set(base, required=False), read_plan_set(head, required=True), bundled_price_table())


def test_example_comment_matches_golden(example: tuple[Path, Path]) -> None:
    text = render_comment(_preview(*example))
    if REGENERATE:
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "comment changed; if deliberate, regenerate the golden file (see REGENERATE)"


def test_example_comment_says_what_matters(example: tuple[Path, Path]) -> None:
    text = render_comment(_preview(*example))
    assert text.startswith(MARKER + "\n")
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    assert "❌ 1 mandatory" in rows["`staging`"]
    assert "verdict missing" in rows["`dev`"] and "passed" not in rows["`dev`"]
    assert "✅ passed" in rows["`prod`"]
    # prod: ml.c5.xlarge at $0.228/h, 2 -> 3 instances, 730 h: $332.88 -> $499.32.
    assert "$499.32" in rows["`prod`"] and "+$166.44" in rows["`prod`"]
    assert "**Not safe to merge:**" in text
    assert "ghp_plaintextTokenThatMustNotLeak" not in text
    assert "```mermaid\nflowchart LR" in text
    assert "as of 2025-06-01" in text
    # Mandatory violations come before the change lists of their stack.
    staging = text.split("### `staging`")[1].split("### `prod`")[0]
    assert staging.index("Mandatory violations") < staging.index("**Changes:**")


def _huge_plans(tmp_path: Path) -> tuple[Path, Path, int]:
    """Three stacks with 1,500 resources each, all changed, and 60 mandatory violations per stack."""
    base_plans, head_plans, verdicts = {}, {}, {}
    for stack in ("dev", "staging", "prod"):
        base = example_plans("base")[stack]
        head = example_plans("head")[stack]
        violations = []
        for index in range(1500):
            name = f"{MODEL}-queue-{index:04d}-with-a-rather-long-name-to-fill-the-comment"
            inputs = {f"setting{k}": f"value-{k}-{'x' * 40}" for k in range(6)}
            base["resources"].append(resource(stack, "aws:sqs/queue:Queue", name, inputs))
            changed = {key: value.replace("value", "other") for key, value in inputs.items()}
            head["resources"].append(resource(stack, "aws:sqs/queue:Queue", name, changed))
            head["resources"].append(resource(stack, "aws:sns/topic:Topic", f"{name}-new", {"name": name}))
            if index < 60:
                violations.append(
                    {
                        "policy": f"rule-{index % 7}",
                        "enforcement": "mandatory",
                        "urn": urn(stack, "aws:sqs/queue:Queue", name),
                        "type": "aws:sqs/queue:Queue",
                        "message": "queue is not encrypted with a customer-managed KMS key; set kmsMasterKeyId",
                    }
                )
            violations.append(
                {
                    "policy": "advisory-rule",
                    "enforcement": "advisory",
                    "urn": urn(stack, "aws:sqs/queue:Queue", name),
                    "type": "aws:sqs/queue:Queue",
                    "message": "advisory finding " * 5,
                }
            )
        base_plans[stack], head_plans[stack] = base, head
        verdicts[stack] = {"violations": violations, "policies_run": 40, "resources_checked": 3000}
    return write_plan_set(tmp_path / "base", base_plans), write_plan_set(tmp_path / "head", head_plans, verdicts), 60


def test_huge_diff_stays_under_the_limit_with_every_summary_and_mandatory_violation(tmp_path: Path) -> None:
    base, head, mandatory_per_stack = _huge_plans(tmp_path)
    preview = _preview(base, head)
    full = render_markdown(preview)
    assert len(full) > GITHUB_COMMENT_LIMIT  # the test means something only if the full comment overflows
    text = render_comment(preview)
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert "Summarised to fit" in text
    for stack in ("dev", "staging", "prod"):
        row = rf"^\| `{stack}` \| \+150\d ~\d+ -\d+( \(replace \d+\))? \| ❌ 60 mandatory"
        assert re.search(row, text, re.MULTILINE), stack
        section = text.split(f"### `{stack}`")[1].split("### `")[0]
        assert f"**Mandatory violations ({mandatory_per_stack}):**" in section
        for index in range(mandatory_per_stack):
            assert f"{MODEL}-queue-{index:04d}-with-a-rather-long-name-to-fill-the-comment`" in section


def test_thousands_of_mandatory_violations_are_grouped_by_policy(tmp_path: Path) -> None:
    plans = {"prod": example_plans("head")["prod"]}
    violations = [
        {"policy": f"rule-{i % 3}", "enforcement": "mandatory", "urn": urn("prod", "aws:sqs/queue:Queue", f"q{i}"),
         "type": "aws:sqs/queue:Queue", "message": "m" * 200}
        for i in range(3000)
    ]
    head = write_plan_set(tmp_path / "head", plans, {"prod": {"violations": violations}})
    text = render_comment(_preview(tmp_path / "nowhere", head))
    assert len(text) < GITHUB_COMMENT_LIMIT
    assert "| `rule-0` | 1000 |" in text and "| `rule-2` | 1000 |" in text
    assert "❌ 3000 mandatory" in text


def test_missing_base_shows_the_head_alone(tmp_path: Path) -> None:
    head = write_plan_set(tmp_path / "head", example_plans("head"), example_verdicts("head"))
    preview = _preview(tmp_path / "no-base-yet", head)
    text = render_comment(preview)
    assert "No base plan in" in text and "showing the head plan alone" in text
    assert "| `prod` | +12 ~0 -0 |" in text
    assert text.count("| new |") == 3


def test_stack_missing_on_head_is_reported_not_hidden(tmp_path: Path) -> None:
    base = write_plan_set(tmp_path / "base", example_plans("base"), example_verdicts("base"))
    head_plans = example_plans("head")
    del head_plans["prod"]
    head = write_plan_set(tmp_path / "head", head_plans, example_verdicts("head"))
    text = render_comment(_preview(base, head))
    assert "Stack `prod` is planned on the base but not on the head" in text
    assert "| `prod` | stack not in head plans (-12) |" in text


def test_unused_exemptions_are_listed_for_the_reviewer() -> None:
    from preview.comment import _unused_exemptions

    lines = _unused_exemptions([{"policy": "SM-MODEL-NETISO", "source": "config", "resources": ["m-endpoint-modle"]}])
    assert lines[1].startswith("**Unused exemptions (1):** they waive nothing")
    assert "`SM-MODEL-NETISO` (config) for `m-endpoint-modle`" in lines[-1]
    assert _unused_exemptions([]) == []
