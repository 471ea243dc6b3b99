"""Shared fixtures. `pulumi_run` is the one recording Pulumi mock every component and stack test uses.

It runs a function (a component construction, or the whole program) under the SDK's mock engine with
the same recording monitor and plausible outputs that `slipstack plan` uses, and returns every
registered resource with the inputs the engine received (camelCase, as a policy sees them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


class RecordedRun:
    """What one program run registered, with small lookups for assertions."""

    def __init__(self, resources: list[Any], outputs: dict[str, Any]):
        self.resources = resources
        self.outputs = outputs

    def of_type(self, type_token: str) -> list[Any]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> Any:
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Any:
        found = [r for r in self.resources if r.name == name]
        assert found, f"no resource named {name}; have {sorted(r.name for r in self.resources)}"
        return found[0]

    def types(self) -> set[str]:
        return {r.type for r in self.resources}


@pytest.fixture
def pulumi_run() -> Callable[..., RecordedRun]:
    from slipstack.plan.engine import run_program

    def run(
        program: Callable[[], Mapping[str, Any] | None],
        *,
        stack: str = "test",
        config: Mapping[str, str] | None = None,
    ) -> RecordedRun:
        result = run_program(program, project="slipstack", stack=stack, config=dict(config or {}))
        return RecordedRun(result.resources, result.outputs)

    return run


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session", autouse=True)
def packaged_examples() -> dict[str, Path]:
    """The shipped specs' models, trained and packaged where `slipstack plan` looks for them (as `make demo` does).

    Every test that plans a shipped stack relies on it (an unpackaged model is, rightly, a policy violation),
    so it runs once per session for all tests. Packaging is deterministic: an existing package is reused.
    """
    import subprocess
    import sys

    from contracts.artifact_layout import MANIFEST_FILE, local_package_dir
    from deployment_spec import load_spec
    from model_packaging.package import package_model

    packages: dict[str, Path] = {}
    for spec_file in sorted((REPO_ROOT / "deployments").glob("*.yaml")):
        loaded = load_spec(spec_file)
        for environment in loaded.declared_environments or ("dev",):
            resolved = loaded.for_environment(environment)
            model = resolved.spec.model
            out = REPO_ROOT / local_package_dir(resolved.name, model.version)
            if not (out / MANIFEST_FILE).is_file():
                if not resolved.resolve_path(model.artifact).is_file():
                    subprocess.run([sys.executable, str(REPO_ROOT / "examples" / "train.py")], check=True)
                package_model(resolved, out)
            packages[f"{resolved.name}@{model.version}"] = out
    return packages


@pytest.fixture(scope="session")
def shipped_plan(
    tmp_path_factory: pytest.TempPathFactory, packaged_examples: dict[str, Path]
) -> Callable[[str], dict[str, Any]]:
    """The plan document of a shipped stack (dev, staging, prod), planned once per test session."""
    from slipstack.plan.runner import find_project, plan_stack

    cache: dict[str, dict[str, Any]] = {}

    def plan(stack: str) -> dict[str, Any]:
        if stack not in cache:
            out = tmp_path_factory.mktemp(f"plan-{stack}")
            planned = plan_stack(stack, find_project(REPO_ROOT), out / stack)
            cache[stack] = planned.document
            _ANSWERS[stack] = planned.answers
        return cache[stack]

    return plan


_ANSWERS: dict[str, dict[str, dict[str, Any]]] = {}


@pytest.fixture(scope="session")
def shipped_plan_answers(shipped_plan: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, dict[str, Any]]]:
    """URN -> the id and outputs the mock engine answered, for a shipped stack's plan (planned once)."""

    def answers(stack: str) -> dict[str, dict[str, Any]]:
        shipped_plan(stack)
        return _ANSWERS[stack]

    return answers
