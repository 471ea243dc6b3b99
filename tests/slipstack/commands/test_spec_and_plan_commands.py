"""The CLI as a user runs it: exit codes, messages on stderr, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SLIPSTACK = [sys.executable, "-m", "slipstack"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SLIPSTACK, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("validate", "schema", "plan"):
        assert command in result.stdout


def test_validate_accepts_the_shipped_specs(repo_root: Path) -> None:
    result = run("validate", str(repo_root / "deployments"))
    assert result.returncode == 0, result.stderr
    assert "ok  " in result.stdout
    assert "breast-cancer-screening 1.0.0 (dev: onprem; staging: aws, onprem; prod: aws, onprem)" in result.stdout


def test_validate_reports_every_problem_with_exit_2(tmp_path: Path, repo_root: Path) -> None:
    text = (repo_root / "deployments" / "diabetes-progression.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("task: regression", "task: regresion").replace("targets: [onprem]", "targets: [aws]"))
    missing = tmp_path / "missing.yaml"
    result = run("validate", str(bad), str(missing))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:14: model.task: Input should be 'classification' or 'regression' (got 'regresion')" in result.stderr
    assert f"{missing}:0: (file): file not found" in result.stderr
    assert "2 problem(s) in 2 spec file(s)" in result.stderr


def test_validate_cross_field_problem_names_the_line(tmp_path: Path, repo_root: Path) -> None:
    text = (repo_root / "deployments" / "diabetes-progression.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("targets: [onprem]", "targets: [aws, onprem]"))
    result = run("validate", str(bad))
    assert result.returncode == 2
    assert "targets: a model with data_classification 'restricted' may not deploy to 'aws'" in result.stderr


def test_validate_empty_folder(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path))
    assert result.returncode == 2
    assert "no spec files found" in result.stderr


def test_schema_prints_json_schema() -> None:
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Slipstack slipstack/v1 ModelDeployment"
    assert "additionalProperties" in schema["$defs"]["Serving"]


def test_plan_writes_plan_and_summary(tmp_path: Path, repo_root: Path) -> None:
    result = run("plan", "--stack", "dev", "--out", str(tmp_path / "dev"), cwd=repo_root)
    assert result.returncode == 0, result.stderr
    assert "resources" in result.stdout
    assert str(tmp_path / "dev") in result.stdout.replace("\n", "")
    document = json.loads((tmp_path / "dev" / "plan.json").read_text())
    assert document["stack"] == "dev"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--stack", "qa"), "unknown stack 'qa'"),
        (("plan",), "Missing option '--stack'"),
    ],
)
def test_plan_bad_input_exits_2(repo_root: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=repo_root)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
