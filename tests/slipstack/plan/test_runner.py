"""The offline plan: its JSON shape, reproducibility, rendered manifests, and clean failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployment_spec import SpecError
from slipstack.plan.runner import PLAN_FORMAT_VERSION, PlanError, find_project, plan_stack

RESOURCE_KEYS = {"urn", "type", "name", "parent", "inputs", "dependencies", "custom", "provider"}


def test_plan_json_shape(shipped_plan: Any) -> None:
    document = shipped_plan("prod")
    assert document["format_version"] == PLAN_FORMAT_VERSION
    assert (document["project"], document["stack"], document["environment"]) == ("slipstack", "prod", "prod")
    assert document["targets"] == ["aws", "onprem"]
    assert document["resources"]
    for resource in document["resources"]:
        # `options` (protect, retainOnDelete) appears only on resources that set one
        assert set(resource) - {"options"} == RESOURCE_KEYS
        assert resource["urn"].startswith("urn:pulumi:prod::slipstack::")
        assert isinstance(resource["inputs"], dict)
    models = document["outputs"]["models"]
    assert set(models) == {"breast-cancer-screening", "diabetes-progression"}
    assert models["diabetes-progression"]["targets"] == ["onprem"]


def test_inputs_use_engine_camel_case_names(shipped_plan: Any) -> None:
    keys = next(r for r in shipped_plan("prod")["resources"] if r["type"] == "aws:kms/key:Key")["inputs"]
    assert keys["enableKeyRotation"] is True
    assert "enable_key_rotation" not in keys


def test_children_record_parent_and_dependencies(shipped_plan: Any) -> None:
    resources = shipped_plan("prod")["resources"]
    by_urn = {r["urn"]: r for r in resources}
    alias = next(r for r in resources if r["type"] == "aws:kms/alias:Alias")
    assert by_urn[alias["parent"]]["custom"] is False  # a component
    assert any(by_urn[d]["type"] == "aws:kms/key:Key" for d in alias["dependencies"])


def test_outputs_are_plausible(shipped_plan: Any) -> None:
    aws = shipped_plan("prod")["outputs"]["models"]["breast-cancer-screening"]["aws"]
    assert aws["kms_key_arn"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")


def test_two_plans_are_identical(repo_root: Path, tmp_path: Path) -> None:
    project = find_project(repo_root)
    first = plan_stack("dev", project, tmp_path / "a")
    second = plan_stack("dev", project, tmp_path / "b")
    assert (tmp_path / "a" / "plan.json").read_bytes() == (tmp_path / "b" / "plan.json").read_bytes()
    assert first.document == second.document
    assert sorted(p.name for p in (tmp_path / "a" / "k8s").iterdir()) == sorted(
        p.name for p in (tmp_path / "b" / "k8s").iterdir()
    )


def test_kubernetes_manifests_are_rendered_in_apply_order(repo_root: Path, tmp_path: Path) -> None:
    plan_stack("dev", find_project(repo_root), tmp_path / "dev")
    files = sorted((tmp_path / "dev" / "k8s").iterdir())
    assert files, "the dev stack has an onprem target: it must render manifests"
    documents = [yaml.safe_load(f.read_text()) for f in files]
    assert documents[0]["kind"] == "Namespace"
    for document in documents:
        assert list(document)[:2] == ["apiVersion", "kind"]
        assert document["metadata"]["name"]


def test_placement_error_leaves_no_output_folder(repo_root: Path, tmp_path: Path) -> None:
    stacks = tmp_path / "project" / "stacks"
    stacks.mkdir(parents=True)
    (tmp_path / "project" / "Pulumi.yaml").write_text("name: slipstack\nruntime: python\nstackConfigDir: stacks\n")
    spec = (repo_root / "deployments" / "breast-cancer-screening.yaml").read_text()
    (tmp_path / "project" / "model.yaml").write_text(spec.replace("../examples", str(repo_root / "examples")))
    (stacks / "Pulumi.cloud.yaml").write_text(
        "config:\n  slipstack:environment: staging\n  slipstack:targets: [aws]\n  slipstack:specs: [model.yaml]\n"
    )
    with pytest.raises(Exception, match="provides only aws"):
        plan_stack("cloud", find_project(tmp_path / "project"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_stack_suggests(repo_root: Path) -> None:
    with pytest.raises(PlanError, match="unknown stack 'prd'.*did you mean 'prod'"):
        plan_stack("prd", find_project(repo_root))


def test_invalid_spec_fails_before_the_engine_and_keeps_the_previous_plan(tmp_path: Path, repo_root: Path) -> None:
    project_dir = tmp_path / "project"
    (project_dir / "stacks").mkdir(parents=True)
    (project_dir / "Pulumi.yaml").write_text("name: slipstack\nstackConfigDir: stacks\n")
    (project_dir / "bad.yaml").write_text("apiVersion: slipstack/v1\nkind: ModelDeployment\n")
    (project_dir / "stacks" / "Pulumi.dev.yaml").write_text(
        "config:\n  slipstack:environment: dev\n  slipstack:targets: [onprem]\n  slipstack:specs: [bad.yaml]\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text(json.dumps({"previous": True}))
    with pytest.raises(SpecError, match="metadata: required field is missing"):
        plan_stack("dev", find_project(project_dir), out)
    assert json.loads((out / "plan.json").read_text()) == {"previous": True}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_no_project_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no Pulumi.yaml"):
        find_project(tmp_path)


def test_secret_config_cannot_be_planned(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: slipstack\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  slipstack:token:\n    secure: AAAB\n")
    with pytest.raises(PlanError, match="secret config cannot be decrypted offline"):
        plan_stack("dev", find_project(tmp_path))
