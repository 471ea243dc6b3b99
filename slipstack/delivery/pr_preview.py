"""`slipstack preview`: everything a pull request's check does, in one command that also runs locally.

1. The head: every stack planned by the head's code; a spec or stack that cannot plan (exit 2) is
   recorded with its message, so the comment says what is wrong and where instead of only a red log.
2. The verdict on the head uses the BASE branch's policy configs: a pull request cannot weaken the
   enforcement it is judged by. Exemptions the head adds (in specs or policy configs) and any change
   under policies/ are listed above the fold and make the verdict "needs approval".
3. The base: checked out in a worktree, packaged and planned by its own code (a base that cannot plan,
   e.g. the first pull request, leaves no plan: the comment then shows the head alone).
4. The diff and the comment, and verdict.json (passed / needs_approval / failed) for the workflow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import delivery
from contracts.errors import SlipstackError

APPROVAL_PATHS = ("policies/",)


@dataclass
class Gate:
    """What decides the check beyond the policy verdict itself."""

    head_errors: dict[str, str] = field(default_factory=dict)
    approvals: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _git(project_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=project_root, capture_output=True, text=True)


def _exempted(policy_file: Path) -> set[tuple[str, str, str]]:
    if not policy_file.is_file():
        return set()
    data = json.loads(policy_file.read_text())
    return {
        (str(e.get("policy")), str(e.get("urn", "")).rsplit("::", 1)[-1], str(e.get("reason", "")))
        for e in data.get("exempted") or []
    }


def _plan_head(project_root: Path, stack: str, out: Path, config: Path | None) -> str | None:
    """Plan one head stack in-process and evaluate it; the error message when it cannot plan."""
    from policies.errors import PolicyVerdictError
    from slipstack.commands.policy_command import evaluate_and_report
    from slipstack.plan.runner import find_project, plan_stack

    try:
        result = plan_stack(stack, find_project(project_root), out)
    except SlipstackError as error:
        return str(error)
    try:
        evaluate_and_report(result.out_dir / "plan.json", config, None)
    except PolicyVerdictError:
        pass  # recorded in policy.json; the comment shows it and the verdict fails
    except SlipstackError as error:
        return str(error)
    return None


def _plan_base(source: Path, stacks: list[str], out: Path, log: Callable[[str], None]) -> None:
    env = {**os.environ, "PYTHONPATH": str(source)}
    slipstack = [sys.executable, "-m", "slipstack"]
    for spec in sorted((source / "deployments").glob("*.yaml")):
        subprocess.run([*slipstack, "package", "--spec", str(spec)], cwd=source, env=env, capture_output=True)
    for stack in stacks:
        if not (source / "stacks" / f"Pulumi.{stack}.yaml").is_file():
            continue
        planned = subprocess.run([*slipstack, "plan", "--stack", stack, "--out", str(out / stack), "--quiet"],
                                 cwd=source, env=env, capture_output=True, text=True)
        if planned.returncode not in (0, 1):
            log(f"warning: the base cannot plan {stack}; the comment shows the head alone")


def run_preview(project_root: Path, base_ref: str | None, stacks: list[str], out: Path,
                comment_dir: Path, title: str | None, log: Callable[[str], None] = print) -> dict[str, Any]:
    from preview.comment import build_preview, render_comment, render_markdown
    from preview.cost import load_price_table
    from preview.plans import read_plan_set
    from slipstack.commands.preview_commands import _write_atomically

    project_root = project_root.resolve()
    out = out if out.is_absolute() else project_root / out
    comment_dir = comment_dir if comment_dir.is_absolute() else project_root / comment_dir
    gate = Gate()
    base_src = out / "base-src"
    base_ok = False
    base_commit = _git(project_root, "rev-parse", "--verify", "-q", f"{base_ref}^{{commit}}").stdout.strip() \
        if base_ref else ""
    stamp = out / "base" / ".commit"
    # The base plans depend only on the base commit: re-planning it for every push to the pull request (or
    # every `make preview`) repeats the same work.
    reuse = bool(base_commit) and stamp.is_file() and stamp.read_text().strip() == base_commit \
        and (base_src / ".git").exists()
    if reuse:
        base_ok = True
    elif base_ref:
        if base_src.exists():
            _git(project_root, "worktree", "remove", "--force", str(base_src))
        added = _git(project_root, "worktree", "add", "--detach", str(base_src), base_ref)
        base_ok = added.returncode == 0
        if not base_ok:
            gate.notes.append(f"The base `{base_ref}` cannot be checked out: the head is judged by its own policy "
                              "configs and shown alone.")
    if base_ok and not reuse:
        for name in (".venv", "examples/artifacts"):
            if (project_root / name).exists() and not (base_src / name).exists():
                (base_src / name).symlink_to((project_root / name).resolve())
    if base_ok and not reuse:
        log(f"planning the base ({base_ref})")
        shutil.rmtree(out / "base", ignore_errors=True)
        _plan_base(base_src, stacks, out / "base", log)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(base_commit + "\n")
    shutil.rmtree(out / "head", ignore_errors=True)  # a stack that no longer plans must not show its old plan
    for stack in stacks:
        environment = _environment(project_root, stack)
        base_config = base_src / "policies" / "config" / f"{environment}.json" if base_ok else None
        config = base_config if base_config is not None and base_config.is_file() else None
        log(f"planning the head: {stack}")
        error = _plan_head(project_root, stack, out / "head" / stack, config)
        if error:
            gate.head_errors[stack] = error
            continue
        if base_ok:
            before = _exempted(out / "base" / stack / "policy.json")
            for policy, name, reason in sorted(_exempted(out / "head" / stack / "policy.json") - before):
                gate.approvals.append(f"{stack}: new exemption of {policy} on {name} ({reason})")
    if base_ok:
        changed = _git(project_root, "diff", "--name-only", f"{base_ref}...HEAD", "--", *APPROVAL_PATHS)
        changed_files = sorted({*changed.stdout.split(), *_worktree_changes(project_root)})
        for path in changed_files:
            gate.approvals.append(f"policy change: `{path}` (the verdict above uses the base branch's policy configs)")
    head_set = read_plan_set(out / "head", required=False)
    preview = build_preview(read_plan_set(out / "base", required=False), head_set, load_price_table(None))
    preview.head_errors, preview.approvals = gate.head_errors, gate.approvals
    preview.notes[:0] = gate.notes
    text = render_comment(preview, title=title)
    _write_atomically(comment_dir / delivery.COMMENT_FILE, text)
    _write_atomically(comment_dir / "preview-full.md", render_markdown(preview, title=title))
    verdict = {
        "status": preview.status,
        "blocking": preview.blocking,
        "needs_approval": gate.approvals,
    }
    _write_atomically(comment_dir / delivery.VERDICT_FILE, json.dumps(verdict, indent=2) + "\n")
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as stream:
            stream.write(f"status={preview.status}\n")
    return verdict


def _worktree_changes(project_root: Path) -> list[str]:
    """Uncommitted edits under the approval paths: `make preview` on a laptop judges them too."""
    listed = _git(project_root, "status", "--porcelain", "--", *APPROVAL_PATHS)
    return [line[3:].strip() for line in listed.stdout.splitlines() if line.strip()]


def _environment(project_root: Path, stack: str) -> str:
    from slipstack.plan.runner import find_project, read_stack_config

    try:
        values = read_stack_config(find_project(project_root), stack)
    except SlipstackError:
        return stack
    return str(values.get("slipstack:environment") or stack)


# What the policy pack runs from: its own package and the shared names it imports (policies/__main__.py puts
# their parent on sys.path).
POLICY_PACK_PACKAGES = ("policies", "contracts")


@dataclass(frozen=True)
class BasePolicyPack:
    pack: Path  # the base's policies/ folder, a CrossGuard pack
    config: Path  # its config for the stack's environment


def export_base_policy_pack(project_root: Path, base_ref: str, environment: str, out: Path) -> BasePolicyPack:
    """The base commit's policy pack and configs as files under `out`, for a real `pulumi preview` to judge by.

    The offline preview judges the head by the base's configs; the cloud preview (pulumi/actions) must too, or a
    pull request that weakens policies/config/<env>.json or a rule would pass its own credentialed check.
    """
    from slipstack.delivery.errors import DeliveryInputError

    commit = _git(project_root, "rev-parse", "--verify", "-q", f"{base_ref}^{{commit}}").stdout.strip()
    if not commit:
        raise DeliveryInputError(f"--base-ref {base_ref!r} is not a commit here (fetch it: actions/checkout with "
                                 "fetch-depth: 0, or `git fetch origin <branch>`)")
    listed = _git(project_root, "ls-tree", "-r", "-z", "--name-only", commit, "--", *POLICY_PACK_PACKAGES)
    paths = [p for p in listed.stdout.split("\0") if p]
    config = f"policies/config/{environment}.json"
    if config not in paths:
        raise DeliveryInputError(f"the base {base_ref} ({commit[:12]}) has no {config}: a new environment's policy "
                                 "config must be merged before a preview can be judged by it")
    shutil.rmtree(out, ignore_errors=True)
    for path in paths:
        content = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=project_root, capture_output=True,
                                 check=True).stdout
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return BasePolicyPack(pack=out / "policies", config=out / config)
