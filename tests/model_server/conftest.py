"""A packaged example artifact and the serving image, each built once per session, for the server tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.model_server.image_environment import Image, build_image

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def served_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / "examples/artifacts/diabetes-progression/model.joblib").is_file():
        pytest.fail("example models missing: run `.venv/bin/python examples/train.py` first")
    from deployment_spec import load_spec
    from model_packaging.package import package_model

    out = tmp_path_factory.mktemp("served") / "diabetes-progression"
    package_model(load_spec(REPO / "deployments/diabetes-progression.yaml").for_environment("dev"), out)
    return out


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """The image model_server/Dockerfile builds (tests/model_server/image_environment.py)."""
    if os.geteuid() != 0:
        pytest.fail("the image test mounts a private root file system: run the tests as root (CI does)")
    return build_image(tmp_path_factory.mktemp("image"))
