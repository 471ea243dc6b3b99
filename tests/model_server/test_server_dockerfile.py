"""The serving image's Dockerfile passes Checkov's Dockerfile checks and keeps the serving contract."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from model_packaging import serving_contract

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "model_server" / "Dockerfile"
CHECKOV = REPO / ".venv-scan" / "bin" / "checkov"


@pytest.mark.slow
def test_checkov_dockerfile_checks_pass() -> None:
    if not CHECKOV.exists():
        pytest.fail(".venv-scan/bin/checkov is not installed: run `make setup` (the independent Dockerfile scan)")
    run = subprocess.run([str(CHECKOV), "-f", str(DOCKERFILE), "--framework", "dockerfile", "-o", "json"],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    report = json.loads(run.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = [(c["check_id"], c["check_name"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    # Non-root user, health check, and no `latest` base are the checks this image exists to pass.
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3", "CKV_DOCKER_7"} <= passed


def test_dockerfile_matches_the_serving_contract() -> None:
    text = DOCKERFILE.read_text()
    final_stage = text.split("# --- final stage")[1]
    assert "build-essential" not in final_stage and "apt-get install" not in final_stage
    assert f"USER {serving_contract.RUN_AS_USER}:{serving_contract.RUN_AS_GROUP}" in final_stage
    assert f"MLSERVER_HTTP_PORT={serving_contract.HTTP_PORT}" in final_stage
    assert f"MLSERVER_METRICS_PORT={serving_contract.METRICS_PORT}" in final_stage
    assert serving_contract.READINESS_PATH in final_stage
    assert ":latest" not in text
    assert serving_contract.fetch_command("s3://b/k", "a" * 64, "m")[:3] == ["python", "-m", "model_packaging.fetch"]


def test_image_starts_the_server_with_the_body_limit() -> None:
    final_stage = DOCKERFILE.read_text().split("# --- final stage")[1]
    entrypoint = serving_contract.server_command("/mnt/models/model")[:-1]
    assert f"ENTRYPOINT {json.dumps(entrypoint)}" in final_stage
