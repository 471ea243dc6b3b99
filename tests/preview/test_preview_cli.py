"""`slipstack diff` and `slipstack comment` as a user runs them: exit codes, messages, the documented flow."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from example_plans import example_plans, example_verdicts, write_plan_set

REPO = Path(__file__).resolve().parents[2]
SLIPSTACK = [sys.executable, "-m", "slipstack"]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SLIPSTACK, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_diff_prints_tables_and_writes_markdown(example: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = example
    result = run("diff", "--base", str(base), "--head", str(head), "--markdown", str(tmp_path / "diff.md"))
    assert result.returncode == 0, result.stderr
    # +added ~updated +-replaced -deleted: the model and its endpoint configuration are replaced, not tweaked
    assert "prod: +0 ~1 +-3 -0" in result.stdout and "staging: +1 ~1 +-2 -1" in result.stdout
    assert "forces replacement" in result.stdout and "delete" in result.stdout
    # not a terminal: nothing is cut to 80 columns
    assert "…" not in result.stdout
    assert "ghp_plaintextTokenThatMustNotLeak" not in result.stdout
    assert (tmp_path / "diff.md").read_text().startswith("<!-- slipstack-preview -->")


def test_comment_fails_the_check_on_mandatory_violations_after_writing(example: tuple[Path, Path], tmp_path: Path):
    base, head = example
    out = tmp_path / "comment.md"
    result = run("comment", "--base", str(base), "--head", str(head), "--out", str(out), "--fail-on-mandatory")
    assert result.returncode == 1
    assert "error: not safe to merge: dev: no policy verdict" in result.stderr
    assert "staging: 1 mandatory policy violation(s)" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.read_text().startswith("<!-- slipstack-preview -->")
    # Without the flag the comment is written and the command succeeds.
    assert run("comment", "--base", str(base), "--head", str(head), "--out", str(out)).returncode == 0


def test_first_pull_request_without_base_shows_head_alone(tmp_path: Path) -> None:
    head = write_plan_set(tmp_path / "head", example_plans("head"), example_verdicts("head"))
    out = tmp_path / "comment.md"
    result = run("comment", "--base", str(tmp_path / "missing"), "--head", str(head), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "note: No base plan in" in result.stderr
    assert "showing the head plan alone" in out.read_text()


def _write(tmp_path: Path, side: str, mutate) -> Path:  # type: ignore[no-untyped-def]
    plans = example_plans(side)
    for document in plans.values():
        mutate(document)
    return write_plan_set(tmp_path / side, plans)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(project="other-project"), r"project 'slipstack' but head plans .* 'other-project'"),
        (lambda d: d.update(format_version=2), r"format_version: 2 is not supported .* re-plan"),
    ],
    ids=["different-projects", "unsupported-format"],
)
def test_incomparable_plans_exit_2_with_a_clear_message(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    base = _write(tmp_path, "base", lambda d: None)
    head = _write(tmp_path, "head", mutate)
    out = tmp_path / "out" / "comment.md"
    for command in (["diff"], ["comment", "--out", str(out)]):
        result = run(*command, "--base", str(base), "--head", str(head))
        assert result.returncode == 2, result.stderr
        assert re.search(message, result.stderr), result.stderr
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert not out.parent.exists() or not any(out.parent.iterdir())  # nothing half-written


def test_different_format_versions_between_base_and_head(tmp_path: Path) -> None:
    # Both sides readable, but from different plan formats: compare like with like.
    base = _write(tmp_path, "base", lambda d: None)
    head = _write(tmp_path, "head", lambda d: None)
    from preview.plans import PlanSet, check_comparable, read_plan_set

    base_set, head_set = read_plan_set(base, required=True), read_plan_set(head, required=True)
    plan = next(iter(head_set.stacks.values()))
    plan.document["format_version"] = 0
    from preview.errors import PreviewError

    with pytest.raises(PreviewError, match="use plan format 1 but head plans .* use 0"):
        check_comparable(base_set, PlanSet(root=head, stacks={plan.stack: plan}))


def test_missing_head_and_broken_json_exit_2(tmp_path: Path) -> None:
    result = run("diff", "--base", str(tmp_path), "--head", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "no plan.json here or in its sub-folders" in result.stderr
    (tmp_path / "head" / "dev").mkdir(parents=True)
    (tmp_path / "head" / "dev" / "plan.json").write_text('{"format_version": 1,')
    result = run("diff", "--base", str(tmp_path / "x"), "--head", str(tmp_path / "head"))
    assert result.returncode == 2 and re.search(r"plan.json:1:\d+: not valid JSON", result.stderr)
    assert "Traceback" not in result.stderr


def _documented_flow() -> list[str]:
    """The commands in docs/delivery.md's "The flow on your machine" block, in order."""
    text = (REPO / "docs" / "delivery.md").read_text()
    block = text.split("<!-- flow: tested by tests/preview/test_preview_cli.py -->")[1].split("```sh\n")[1]
    block = block.split("```")[0]
    return [line for line in block.splitlines() if line.startswith("slipstack ")]


def test_documented_flow_runs_against_the_example(tmp_path: Path) -> None:
    commands = _documented_flow()
    assert [c.split()[1] for c in commands] == ["plan", "policy", "plan", "policy", "diff", "comment"]
    for command in commands:
        args = command.split()[1:]
        args = [arg.replace("build/preview", str(tmp_path)) for arg in args]
        result = run(*args)
        # plan and policy exit 1 on a mandatory violation (the verdict), never 2 (bad input).
        allowed = {0, 1} if args[0] in ("plan", "policy") else {0}
        assert result.returncode in allowed, f"{command}\n{result.stderr}"
    comment = (tmp_path / "comment.md").read_text()
    assert comment.startswith("<!-- slipstack-preview -->")
    verdict = json.loads((tmp_path / "head" / "dev" / "policy.json").read_text())
    mandatory = [v for v in verdict["violations"] if v["enforcement"] == "mandatory"]
    row = next(line for line in comment.splitlines() if line.startswith("| `dev` |"))
    assert "no changes" in row
    assert (f"❌ {len(mandatory)} mandatory" in row) if mandatory else ("✅ passed" in row)
