"""The CLI glue: exit codes, `error:` messages, outputs written only for complete runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from contracts.errors import SlipstackError
from slipstack.commands.monitoring_commands import register


def _invoke(*args: str) -> tuple[int, str, str]:
    """Run like `slipstack.cli.main`: a SlipstackError becomes `error: ...` and its exit code."""
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, SlipstackError):
        return result.exception.exit_code, result.stdout, f"{result.exception.label}: {result.exception}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=20_000), "b": rng.normal(size=20_000)}).to_parquet(tmp_path / "ref.parquet")
    code, _, err = _invoke("profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "profile.json"))
    assert code == 0, err
    return tmp_path / "profile.json"


def test_drift_alert_exits_1_after_writing_outputs(tmp_path: Path, profile_path: Path) -> None:
    rng = np.random.default_rng(1)
    pd.DataFrame({"a": rng.normal(0.2, 1, 20_000), "b": rng.normal(size=20_000)}).to_csv(
        tmp_path / "cur.csv", index=False
    )
    code, _, err = _invoke(
        "drift",
        "--current",
        str(tmp_path / "cur.csv"),
        "--profile",
        str(profile_path),
        "-o",
        str(tmp_path / "r.json"),
        "--report",
        str(tmp_path / "r.html"),
        "--prometheus-textfile",
        str(tmp_path / "m.prom"),
        "--model",
        "churn",
    )
    assert code == 1 and err == "alert: drift over the alert threshold in 1 feature(s): a"
    assert json.loads((tmp_path / "r.json").read_text())["drifted_features"] == ["a"]
    assert (tmp_path / "r.html").exists() and 'model="churn"' in (tmp_path / "m.prom").read_text()


def test_no_drift_exits_0(tmp_path: Path, profile_path: Path) -> None:
    rng = np.random.default_rng(2)
    pd.DataFrame({"a": rng.normal(size=5000), "b": rng.normal(size=5000)}).to_parquet(tmp_path / "cur.parquet")
    code, out, _ = _invoke(
        "drift", "--current", str(tmp_path / "cur.parquet"), "--profile", str(profile_path), "--method", "psi"
    )
    assert code == 0 and json.loads(out)["status"] == "ok"


def test_bad_input_exits_2_without_outputs(tmp_path: Path, profile_path: Path) -> None:
    pd.DataFrame({"a": [1.0], "c": [2.0]}).to_csv(tmp_path / "cur.csv", index=False)
    code, _, err = _invoke(
        "drift", "--current", str(tmp_path / "cur.csv"), "--profile", str(profile_path), "-o", str(tmp_path / "r.json")
    )
    assert code == 2 and "lacks profiled column(s) ['b']" in err and "cur.csv" in err
    assert not (tmp_path / "r.json").exists()
    code, _, err = _invoke(
        "drift", "--current", str(tmp_path / "cur.csv"), "--profile", str(profile_path), "--method", "chi"
    )
    assert code == 2 and err.startswith("error: drift option method")


def test_quality_and_smoke_commands(tmp_path: Path) -> None:
    pd.DataFrame({"inference_id": ["a", "b", "c"], "prediction": [1, 0, 1]}).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"inference_id": ["a", "b", "c"], "label": [1, 1, 1]}).to_csv(tmp_path / "l.csv", index=False)
    code, out, err = _invoke(
        "quality",
        "--predictions",
        str(tmp_path / "p.csv"),
        "--labels",
        str(tmp_path / "l.csv"),
        "--task",
        "classification",
        "--metric",
        "accuracy",
        "--threshold",
        "0.9",
    )
    assert code == 1 and "accuracy is 0.6667" in err
    assert json.loads(out)["joined_rows"] == 3
    (tmp_path / "outputs.json").write_text(json.dumps({"models": {"churn": {}}}))
    (tmp_path / "manifest.json").write_text(json.dumps({"files": []}))
    code, _, err = _invoke(
        "smoke", "--outputs", str(tmp_path / "outputs.json"), "--manifest", str(tmp_path / "manifest.json")
    )
    assert code == 2 and "no 'example' key" in err
