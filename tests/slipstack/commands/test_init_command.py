"""`slipstack init --model FILE --sample FILE`: a starter spec inferred from the model, that packages as is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import joblib
import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples" / "artifacts"
IDENTITY = ["--owner", "ml@example.com", "--cost-centre", "CC-1", "--data-classification", "internal",
            "--email", "oncall@example.com"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slipstack", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize(("example", "task", "outputs"), [
    ("breast-cancer-screening", "classification", [{"name": "label", "dtype": "int64"},
                                                    {"name": "probabilities", "dtype": "float32", "shape": [2]}]),
    ("diabetes-progression", "regression", [{"name": "prediction", "dtype": "float64"}]),
])
def test_init_infers_the_signature_and_the_spec_packages(example: str, task: str, outputs: list, tmp_path: Path,
                                                         ) -> None:
    model, sample = EXAMPLES / example / "model.joblib", EXAMPLES / example / "reference.csv"
    result = run("init", "--model", str(model), "--sample", str(sample), "--name", example, *IDENTITY,
                 "--out", "spec.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "spec.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    spec = yaml.safe_load(text)
    columns = [c for c in pd.read_csv(sample).columns if c != "target"]
    assert spec["model"]["framework"] == "sklearn" and spec["model"]["task"] == task
    assert spec["model"]["label_column"] == "target"
    assert spec["model"]["signature"]["inputs"] == [{"name": c, "dtype": "float64"} for c in columns]
    assert spec["model"]["signature"]["outputs"] == outputs
    packaged = run("package", "--spec", "spec.yaml", "--out", "artifact", cwd=tmp_path)
    assert packaged.returncode == 0, packaged.stderr
    assert (tmp_path / "artifact" / "manifest.json").is_file()


def test_an_unsupported_model_object_or_a_sample_that_does_not_fit_is_exit_2(tmp_path: Path) -> None:
    joblib.dump({"weights": [1, 2, 3]}, tmp_path / "model.joblib")
    sample = EXAMPLES / "diabetes-progression" / "reference.csv"
    result = run("init", "--model", "model.joblib", "--sample", str(sample), *IDENTITY, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "model.joblib: holds a builtins.dict, which Slipstack cannot package" in result.stderr
    # The screening forest was trained on named columns the diabetes sample does not have.
    model = EXAMPLES / "breast-cancer-screening" / "model.joblib"
    result = run("init", "--model", str(model), "--sample", str(sample), *IDENTITY, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "reference.csv: lacks column(s) ['mean_radius'" in result.stderr
    assert not (tmp_path / "deployments").exists()
