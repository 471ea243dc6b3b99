"""`slipstack validate` refuses mode settings AWS or Kubernetes would refuse, at the file and line to change."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deployment_spec import SpecError, load_spec

SPEC = Path(__file__).resolve().parent.parent / "stacks" / "specs" / "aws-online.yaml"


def write(tmp_path: Path, **sections: object) -> tuple[Path, list[str]]:
    document = yaml.safe_load(SPEC.read_text())
    document.update(sections)
    document["environments"] = {}
    path = tmp_path / "spec.yaml"
    text = yaml.safe_dump(document, sort_keys=False)
    path.write_text(text)
    return path, text.splitlines()


def problems(path: Path, environment: str = "dev") -> list[str]:
    try:
        load_spec(path).for_environment(environment)
    except SpecError as error:
        return [str(p) for p in error.problems]
    return []


def line_of(lines: list[str], needle: str) -> int:
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def test_serverless_refuses_network_isolation_at_its_line(tmp_path: Path) -> None:
    path, lines = write(
        tmp_path, serving={"mode": "serverless"}, rollout={"strategy": "all_at_once"},
        monitoring={"capture": {"enabled": False}}, security={"network_isolation": True},
    )
    (found,) = problems(path)
    assert found.startswith(f"{path}:{line_of(lines, 'network_isolation')}: security.network_isolation: ")
    assert "serverless endpoints cannot run with network isolation" in found


def test_serverless_without_isolation_vpc_or_capture_is_valid(tmp_path: Path) -> None:
    path, _ = write(
        tmp_path, serving={"mode": "serverless"}, rollout={"strategy": "all_at_once"},
        monitoring={"capture": {"enabled": False}}, security={"network_isolation": False},
    )
    assert problems(path) == []


BATCH = {"mode": "batch", "batch": {"schedule": "0 2 * * *", "input_uri": "s3://in/x/", "output_uri": "s3://o/x/"}}


@pytest.mark.parametrize(
    ("schedule", "targets", "message"),
    [
        ("0 2 1 * 1", ["aws"], "restricts both day-of-month and day-of-week"),
        ("0 2 * * 5#3", ["onprem"], "uses L, W or #, which Kubernetes CronJobs do not run"),
        ("0 2 L * *", ["onprem"], "uses L, W or #, which Kubernetes CronJobs do not run"),
        ("0 2 * * 9", ["aws"], "day-of-week value 9 is outside 0-7"),
    ],
)
def test_a_schedule_the_target_cannot_run_is_an_error_at_its_line(
    tmp_path: Path, schedule: str, targets: list[str], message: str
) -> None:
    batch = {**BATCH, "batch": {**BATCH["batch"], "schedule": schedule}}  # type: ignore[dict-item]
    if targets == ["onprem"]:
        batch["batch"] = {**batch["batch"], "input_uri": "pvc://data/in", "output_uri": "pvc://data/out"}
    path, lines = write(tmp_path, serving=batch, rollout={"strategy": "all_at_once"},
                        monitoring={"capture": {"enabled": False}}, targets=targets)
    found = problems(path)
    assert any(
        p.startswith(f"{path}:{line_of(lines, 'schedule:')}: serving.batch.schedule: ") and message in p
        for p in found
    ), found


def test_eventbridge_only_forms_are_valid_on_aws(tmp_path: Path) -> None:
    batch = {**BATCH, "batch": {**BATCH["batch"], "schedule": "0 2 * * 5#3"}}  # type: ignore[dict-item]
    path, _ = write(tmp_path, serving=batch, rollout={"strategy": "all_at_once"},
                    monitoring={"capture": {"enabled": False}})
    assert problems(path) == []


def test_slipstack_validate_refuses_the_shipped_examples_made_unrunnable(tmp_path: Path) -> None:
    """As a user runs it: every problem at its file:line, exit 2, no traceback, from the shipped mode examples."""
    import subprocess
    import sys

    deployments = Path(__file__).resolve().parents[2] / "deployments"
    serverless = tmp_path / "serverless.yaml"
    text = (deployments / "screening-serverless.yaml").read_text()
    serverless.write_text(text.replace("network_isolation: false", "network_isolation: true"))
    batch = tmp_path / "batch.yaml"
    text = (deployments / "screening-batch.yaml").read_text()
    batch.write_text(text.replace('schedule: "0 2 * * MON-FRI"', 'schedule: "0 2 1 * MON-FRI"'))
    done = subprocess.run([sys.executable, "-m", "slipstack", "validate", str(serverless), str(batch)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    isolation_line = line_of(serverless.read_text().splitlines(), "network_isolation:")
    schedule_line = line_of(batch.read_text().splitlines(), "schedule:")
    assert f"{serverless}:{isolation_line}: security.network_isolation: serverless endpoints cannot run" in done.stderr
    assert f"{batch}:{schedule_line}: serving.batch.schedule: '0 2 1 * MON-FRI' restricts both" in done.stderr
