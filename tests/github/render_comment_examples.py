"""Render the pull-request comments of four realistic changes into docs/comments/ (run by hand).

    .venv/bin/python tests/github/render_comment_examples.py

Each change is committed on a branch of a fresh clone and previewed exactly as the pull-request workflow
does (`make prepare`, then `slipstack preview --base-ref origin/main`); tests/github/test_comment_examples.py
checks that each rendered comment shows its decisive line on its first screen.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = "deployments/breast-cancer-screening.yaml"

CHANGES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "version-bump-and-instance-type": (
        "breast-cancer-screening 1.0.0 -> 1.1.0, prod on ml.c5.2xlarge",
        {SPEC: ("  version: 1.0.0", "  version: 1.1.0")},
    ),
    "security-weakened-with-exemption": (
        "network isolation off in every environment, with an exemption",
        {SPEC: ("  network_isolation: true", "  network_isolation: false\n  exemptions:\n"
                "    - {rule: SM-MODEL-NETISO, resource: breast-cancer-screening, "
                "reason: the container downloads its tokenizer at start}")},
    ),
    "new-environment-override": (
        "staging captures every request (a new staging override)",
        {SPEC: ("  staging:\n    targets: [aws, onprem]\n",
                "  staging:\n    targets: [aws, onprem]\n    monitoring:\n      capture: {percentage: 100}\n")},
    ),
    "model-removed-from-prod": (
        "breast-cancer-screening no longer deployed to prod",
        {"stacks/Pulumi.prod.yaml": ("    - deployments/breast-cancer-screening.yaml\n", "")},
    ),
}
EXTRA = {"version-bump-and-instance-type": {
    SPEC: ("      instance_type: ml.c5.xlarge", "      instance_type: ml.c5.2xlarge")}}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{cwd / '.venv' / 'bin'}:/usr/bin:/bin", "PYTHONPATH": str(cwd), "HOME": str(cwd.parent)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def main() -> None:
    out = REPO / "docs" / "comments"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        clone = Path(scratch) / "repo"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        for args in (["checkout", "-q", "-B", "main"], ["config", "user.email", "docs@example.com"],
                     ["config", "user.name", "docs"], ["update-ref", "refs/remotes/origin/main", "HEAD"]):
            subprocess.run(["git", *args], cwd=clone, check=True)
        (clone / ".venv").symlink_to((REPO / ".venv").resolve())
        for name, (title, edits) in CHANGES.items():
            subprocess.run(["git", "checkout", "-q", "-B", name, "main"], cwd=clone, check=True)
            for path, (old, new) in [*edits.items(), *EXTRA.get(name, {}).items()]:
                file = clone / path
                text = file.read_text()
                assert old in text, (name, path, old)
                file.write_text(text.replace(old, new, 1))
            subprocess.run(["git", "commit", "-q", "-am", title], cwd=clone, check=True)
            _run(["make", "prepare"], clone)
            result = _run([sys.executable, "-m", "slipstack", "preview", "--base-ref", "origin/main",
                           "--title", title], clone)
            comment = (clone / "build" / "comment" / "comment.md").read_text()
            (out / f"{name}.md").write_text(comment)
            print(f"{name}: exit {result.returncode}, {len(comment):,} characters")


if __name__ == "__main__":
    main()
