"""What a newcomer meets first: one default environment, serve's port, package's project root."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main

from model_server.launch import free_port, listens_on
from slipstack.cli import _register, app
from slipstack.commands import DEFAULT_ENVIRONMENT

REPO = Path(__file__).resolve().parents[3]
SLIPSTACK = [sys.executable, "-m", "slipstack"]


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every (sub)command of the app; typer vendors click, so groups are told by their `commands`."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if hasattr(command, "commands"):
            found.update(_commands(command, f"{prefix}{name} "))
    return found


def test_every_command_that_reads_a_spec_defaults_to_one_environment() -> None:
    _register()
    commands = _commands(typer.main.get_command(app))
    with_environment = {}
    for name, command in commands.items():
        for param in command.params:
            if param.param_type_name == "option" and {"--environment", "--env"} & set(param.opts):
                with_environment[name] = param
    # Read from the app itself, so a command added later with its own default fails here.
    assert {"package", "serve", "drift", "drift merge", "quality"} <= set(with_environment)
    for name, param in with_environment.items():
        assert param.default == DEFAULT_ENVIRONMENT, name
        assert {"--environment", "--env", "-e"} <= set(param.opts), name
        assert f"default {DEFAULT_ENVIRONMENT}" in (param.help or ""), name


def test_serve_refuses_a_taken_port_before_it_packages_anything(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run([*SLIPSTACK, "serve", str(REPO / "deployments/breast-cancer-screening.yaml"),
                                 "--port", str(port)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"127.0.0.1:{port} is already in use; choose another --port (or --port 0 for any)" in result.stderr
    assert "serving" not in result.stdout
    assert time.monotonic() - started < 20  # no packaging happened first


def test_listens_on_tells_the_server_from_another_process_on_its_port() -> None:
    port = free_port()
    other = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        deadline = time.monotonic() + 20
        while not listens_on(other, port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert listens_on(other, port)
        assert not listens_on(bystander, port)
    finally:
        for process in (other, bystander):
            process.kill()
            process.wait()
    assert not listens_on(other, port)  # a process that is gone listens on nothing


def test_package_outside_any_project_asks_for_the_project(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    text = (REPO / "deployments/breast-cancer-screening.yaml").read_text()
    spec.write_text(text.replace("../examples/", f"{REPO}/examples/"))
    if not (REPO / "examples/artifacts/breast-cancer-screening/model.joblib").is_file():
        pytest.fail("example models missing: run `.venv/bin/python examples/train.py` first")
    result = subprocess.run([*SLIPSTACK, "package", "--spec", str(spec)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no Pulumi.yaml above the spec or the working directory" in result.stderr
    assert "pass --project-dir" in result.stderr
    assert not (tmp_path / "build").exists()

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([*SLIPSTACK, "package", "--spec", str(spec), "--project-dir", str(project)],
                            capture_output=True, text=True, cwd=elsewhere, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    written = project / "build/packages/breast-cancer-screening/1.0.0"
    assert (written / "manifest.json").is_file()
    # Said where it wrote, as an absolute path since it is not below the working directory.
    assert f"packaged {written} " in result.stdout


def test_a_detected_drift_prints_as_an_alert_not_an_error(tmp_path: Path, packaged_examples: dict[str, Path]) -> None:
    import pandas as pd

    package = packaged_examples["breast-cancer-screening@1.0.0"]
    reference = pd.read_csv(REPO / "examples/artifacts/breast-cancer-screening/reference.csv")
    shifted = reference.drop(columns="target")
    shifted["mean_radius"] = shifted["mean_radius"] * 3  # a unit bug: every value far beyond the reference
    current = tmp_path / "current.csv"
    shifted.to_csv(current, index=False)
    result = subprocess.run([*SLIPSTACK, "drift", "--current", str(current), "--method", "ks",
                             "--profile", str(package / "manifest.json"), "--output", str(tmp_path / "drift.json")],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("alert: ") and "mean_radius" in result.stderr
    assert "error:" not in result.stderr


def test_profile_says_what_it_profiled_and_leaves_the_label_out(tmp_path: Path) -> None:
    import json

    sample = REPO / "examples/artifacts/breast-cancer-screening/reference.csv"
    rows = len(sample.read_text().splitlines()) - 1
    out = tmp_path / "profile.json"
    result = subprocess.run([*SLIPSTACK, "profile", str(sample), "-o", str(out), "--spec",
                             str(REPO / "deployments/breast-cancer-screening.yaml")],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"profiled {rows:,} rows of examples/artifacts/breast-cancer-screening/"
                                    "reference.csv: 30 numeric (mean_radius, ")
    assert f"label column 'target' left out; wrote {out}" in result.stderr
    features = json.loads(out.read_text())["features"]
    assert "target" not in features and len(features) == 30

    wrong = subprocess.run([*SLIPSTACK, "profile", str(sample), "-o", str(tmp_path / "other.json"),
                            "--label-column", "diagnosis"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "no column 'diagnosis' to leave out as the label" in wrong.stderr
    assert not (tmp_path / "other.json").exists()
