"""The model-server image runs by digest everywhere, and no shipped file carries a digest no registry reported.

- every container, init container and SageMaker job of every shipped plan names its image `...@sha256:...`;
- the digest of an unpinned tag comes from the registry through the typed data source's invoke (the answer the
  engine gives is what the manifests carry, under the mock engine as under `pulumi up`), never from the program;
- a digest in deployments/ or stacks/ is accepted only where the image workflow writes one: next to a `tag:`
  that is a commit of this repository (image.yml tags each build with its commit and `slipstack image-pin` writes
  that pair); a made-up `sha256:4f1c...` beside `tag: 0.1.0` fails.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from slipstack.plan.engine import PlausibleOutputs, run_program

REPO = Path(__file__).resolve().parents[2]
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
IMAGE_BY_DIGEST = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
SHIPPED = ("deployments", "stacks")


def _images(value: Any, found: list[str]) -> list[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("image", "ImageUri") and isinstance(item, str):
                found.append(item)
            else:
                _images(item, found)
    elif isinstance(value, list):
        for item in value:
            _images(item, found)
    return found


def images_of(plan: dict[str, Any]) -> list[str]:
    """Every image a workload or job of the plan runs (Kubernetes pod specs, Step Functions Processing jobs)."""
    found: list[str] = []
    for resource in plan["resources"]:
        inputs = resource["inputs"]
        if resource["type"].startswith("kubernetes:"):
            _images(inputs, found)
        elif resource["type"] == "aws:sfn/stateMachine:StateMachine":
            _images(json.loads(inputs["definition"]), found)
    return found


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_image_of_the_shipped_stacks_runs_by_digest(
    stack: str, shipped_plan: Callable[[str], dict[str, Any]]
) -> None:
    images = images_of(shipped_plan(stack))
    assert images, f"stack {stack} runs no image"
    assert [i for i in images if not IMAGE_BY_DIGEST.match(i)] == []


class RegistryAnswers(PlausibleOutputs):
    """The plan's mocks, recording each registry invoke and answering with a digest the program cannot guess."""

    def __init__(self) -> None:
        super().__init__()
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token in ("docker:index/getRegistryImage:getRegistryImage", "aws:ecr/getImage:getImage"):
            self.invokes.append((args.token, dict(args.args)))
            digest = "sha256:" + hashlib.sha256(f"registry answer {len(self.invokes)}".encode()).hexdigest()
            return {**dict(args.args), "sha256Digest": digest, "imageDigest": digest, "id": digest}
        return super().call(args)


def _run_spec(spec: Path, tmp_path: Path, image: dict[str, str]) -> tuple[Any, RegistryAnswers]:
    import pulumi_kubernetes as k8s

    from deployment_spec import load_spec
    from stacks.config import StackConfig
    from stacks.context import StackContext
    from stacks.kubernetes_model import deploy_model_on_kubernetes

    text = spec.read_text().replace("      image:\n        repository: ghcr.io/slipstack/model-server\n"
                                    "        tag: 0.1.0\n",
                                    "      image:\n" + "".join(f"        {k}: {v}\n" for k, v in image.items()))
    changed = tmp_path / spec.name
    changed.write_text(text.replace("../examples/", f"{REPO}/examples/"))
    mocks = RegistryAnswers()

    def program() -> dict[str, Any]:
        config = StackConfig(stack="prod", environment="prod", specs=[str(changed)], targets=["aws", "onprem"])
        context = StackContext(config=config, project_root=tmp_path,
                               account_id=pulumi.Output.from_input("123456789012"), region=config.region)
        return deploy_model_on_kubernetes(load_spec(changed).for_environment("prod"), context,
                                          k8s.Provider("kubernetes"))

    return run_program(program, project="slipstack", stack="prod", config={}, mocks=mocks), mocks


@pytest.mark.parametrize(("image", "token", "asked"), [
    ({"repository": "ghcr.io/acme/model-server", "tag": "3f2a9c1"}, "docker:index/getRegistryImage:getRegistryImage",
     {"name": "ghcr.io/acme/model-server:3f2a9c1"}),
    ({"repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipstack/model-server", "tag": "1.4.0"},
     "aws:ecr/getImage:getImage",
     {"repositoryName": "slipstack/model-server", "imageTag": "1.4.0", "registryId": "123456789012",
      "region": "eu-west-1"}),
])
def test_an_unpinned_tag_runs_by_the_digest_the_registry_answers(
    repo_root: Path, tmp_path: Path, image: dict[str, str], token: str, asked: dict[str, str]
) -> None:
    run, mocks = _run_spec(repo_root / "deployments" / "diabetes-progression.yaml", tmp_path, image)
    assert [(t, {k: a.get(k) for k in asked}) for t, a in mocks.invokes] == [(token, asked)]
    answered = "sha256:" + hashlib.sha256(b"registry answer 1").hexdigest()
    expected = f"{image['repository']}:{image['tag']}@{answered}"
    images = _images([r.inputs for r in run.resources if r.type.startswith("kubernetes:")], [])
    assert images and set(images) == {expected}
    assert run.outputs["image"] == expected


def test_a_pinned_digest_is_used_as_pinned_and_the_registry_is_not_asked(repo_root: Path, tmp_path: Path) -> None:
    pinned = "sha256:" + "d" * 64
    run, mocks = _run_spec(repo_root / "deployments" / "diabetes-progression.yaml", tmp_path,
                           {"repository": "ghcr.io/acme/model-server", "tag": "3f2a9c1", "digest": pinned})
    assert mocks.invokes == []
    assert set(_images([r.inputs for r in run.resources if r.type.startswith("kubernetes:")], [])) == {
        f"ghcr.io/acme/model-server:3f2a9c1@{pinned}"}


def _is_commit(name: str) -> bool:
    if not re.fullmatch(r"[0-9a-f]{40}", name):
        return False
    found = subprocess.run(["git", "cat-file", "-e", f"{name}^{{commit}}"], cwd=REPO, capture_output=True)
    return found.returncode == 0


def unreported_digests(root: Path) -> list[str]:
    """Digests in shipped files that the image workflow did not write (file:line: the digest, its tag)."""
    problems = []
    for folder in SHIPPED:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
                continue
            lines = path.read_text().splitlines()
            for number, line in enumerate(lines, start=1):
                for digest in DIGEST.findall(line):
                    # image-pin writes `tag: <commit>` and `digest: <digest>` side by side in one image block.
                    block = lines[max(0, number - 4):number + 3]
                    tags = [m.group(1) for text in block if (m := re.match(r"\s*tag:\s*(\S+)\s*$", text))]
                    if not any(_is_commit(tag) for tag in tags):
                        problems.append(f"{path.relative_to(root)}:{number}: {digest} (tag {tags or 'none'})")
    return problems


def test_no_shipped_file_carries_a_digest_no_registry_reported(tmp_path: Path) -> None:
    assert unreported_digests(REPO) == []
    # The check itself: the digest this repository once shipped, made up beside a version tag, is caught; the pair
    # `slipstack image-pin` writes for a build of a commit of this repository is not.
    (tmp_path / "deployments").mkdir()
    (tmp_path / "stacks").mkdir()
    made_up = "sha256:4f1c0a3e9b8d7c6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29"
    (tmp_path / "deployments" / "a.yaml").write_text(
        f"serving:\n  image:\n    repository: ghcr.io/slipstack/model-server\n    tag: 0.1.0\n    digest: {made_up}\n")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()
    (tmp_path / "stacks" / "b.yaml").write_text(
        f"image:\n  repository: ghcr.io/slipstack/model-server\n  tag: {head}\n  digest: sha256:{'e' * 64}\n")
    assert unreported_digests(tmp_path) == [f"deployments/a.yaml:5: {made_up} (tag ['0.1.0'])"]
