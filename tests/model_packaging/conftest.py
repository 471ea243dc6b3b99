"""Fixtures: specs derived from the shipped examples, with absolute paths, and packaged artifacts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOYMENTS = REPO / "deployments"
EXAMPLES = REPO / "examples" / "artifacts"


def _ensure_examples() -> None:
    if not (EXAMPLES / "diabetes-progression" / "model.joblib").is_file():
        pytest.fail("example models missing: run `.venv/bin/python examples/train.py` first")


SpecWriter = Callable[..., Path]


@pytest.fixture
def write_spec(tmp_path: Path) -> SpecWriter:
    """Write a copy of a shipped spec with absolute paths and `model` fields overridden."""
    _ensure_examples()

    def write(example: str = "diabetes-progression", name: str = "spec.yaml", **model: Any) -> Path:
        source = DEPLOYMENTS / f"{example}.yaml"
        data = yaml.safe_load(source.read_text())
        section = copy.deepcopy(data["model"])
        for key in ("artifact", "reference_sample"):
            if section.get(key):
                section[key] = str((source.parent / section[key]).resolve())
        for key, value in model.items():
            if value is None:
                section.pop(key, None)
            else:
                section[key] = value
        data["model"] = section
        if "signature" in model:  # drift features and quality metrics name the old signature's columns
            data["monitoring"]["drift"].pop("features", None)
            data["monitoring"].pop("quality", None)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write


def resolved(path: Path) -> Any:
    from deployment_spec import load_spec

    return load_spec(path).for_environment("dev")


@pytest.fixture
def resolve() -> Callable[[Path], Any]:
    """Load a spec file and resolve its dev environment."""
    return resolved


@pytest.fixture(scope="session")
def diabetes_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The diabetes example packaged once per session (ONNX, ~0.2 s)."""
    _ensure_examples()
    from model_packaging.package import package_model

    out = tmp_path_factory.mktemp("diabetes") / "artifact"
    package_model(resolved(DEPLOYMENTS / "diabetes-progression.yaml"), out)
    return out
