"""docs/bring-your-own-model.md, run as a newcomer runs it: its shell blocks, in order, on a fresh copy
of the repository, with a model that is not one of the examples. The blocks are read from the page."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "bring-your-own-model.md"


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", PAGE.read_text(), re.S)


def fresh_copy(destination: Path) -> Path:
    """The repository's files as a clone has them (tracked, or new and not ignored), nothing built."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(cwd), "COLUMNS": "80"}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_copy(tmp_path_factory.mktemp("byom"))


def test_the_page_plans_a_new_prod_stack_with_no_mandatory_violation(project: Path) -> None:
    blocks = shell_blocks()
    assert len(blocks) == 4, "the test follows the page's four steps; update both together"
    *prepare, package_and_plan = blocks
    for block in prepare:
        done = bash(block, project)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    # Planned before packaging: the plan names the model and the exact command that fixes it.
    early = bash("slipstack plan --stack iris-prod", project)
    assert early.returncode == 1
    assert ("not packaged: iris-species 1.0.0 (no build/packages/iris-species/1.0.0/manifest.json); its resources "
            "carry no artifact checksum. Run: slipstack package --spec deployments/iris-species.yaml") in early.stderr

    done = bash(package_and_plan, project)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "packaged build/packages/iris-species/1.0.0 " in done.stdout
    verdict = json.loads((project / "build/plan/iris-prod/policy.json").read_text())
    assert [v for v in verdict["violations"] if v["enforcement"] == "mandatory"] == []
    # Slipstack's own access-log bucket passes a stack nobody wrote a policy config for.
    assert [(e["policy"], e["source"]) for e in verdict["exempted"]] == [("S3-SSE-KMS", "framework")]
    assert verdict["unused_exemptions"] == []


def test_an_exemption_named_as_the_report_prints_it(project: Path) -> None:
    spec = project / "deployments" / "iris-species.yaml"
    if not (project / "build/packages/iris-species/1.0.0/manifest.json").is_file():
        pytest.fail("runs after the page's test, which packages the model")
    original = spec.read_text()

    def with_exemptions(*entries: str) -> None:
        spec.write_text(original.replace("security:\n", "security:\n  network_isolation: false\n  exemptions:\n"
                                         + "".join(f"    - {entry}\n" for entry in entries)))

    try:
        with_exemptions("{rule: SM-MODEL-NETIS0, resource: iris-species-endpoint-model, reason: needs PyPI at load}")
        typo = bash("slipstack validate deployments/iris-species.yaml", project)
        assert typo.returncode == 2
        assert ("security.exemptions[0].rule: no policy rule 'SM-MODEL-NETIS0' (did you mean 'SM-MODEL-NETISO'?)"
                in typo.stderr)

        # The name the policy table prints for the SageMaker model waives its network-isolation finding.
        with_exemptions("{rule: SM-MODEL-NETISO, resource: iris-species-endpoint-model, reason: needs PyPI at load}")
        waived = bash("slipstack plan --stack iris-prod", project)
        assert waived.returncode == 0, waived.stdout[-2000:] + waived.stderr[-2000:]
        verdict = json.loads((project / "build/plan/iris-prod/policy.json").read_text())
        assert ("SM-MODEL-NETISO", "resource", "needs PyPI at load") in {
            (e["policy"], e["source"], e["reason"]) for e in verdict["exempted"]}

        # A misspelt resource matches nothing: the finding stays mandatory and the exemption is reported.
        with_exemptions("{rule: SM-MODEL-NETISO, resource: iris-species-endpoint-modle, reason: needs PyPI at load}")
        missed = bash("slipstack plan --stack iris-prod", project)
        assert missed.returncode == 1
        assert ("unused exemption: deployments/iris-species.yaml: security.exemptions[0] (SM-MODEL-NETISO on "
                "'iris-species-endpoint-modle') waived nothing in stack iris-prod") in " ".join(missed.stderr.split())
        assert "MANDATORY SM-MODEL-NETISO  iris-species-endpoint-model" in missed.stdout
    finally:
        spec.write_text(original)
