"""Stack configuration: shipped stacks resolve to the right targets; bad config names the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from slipstack.plan.runner import find_project, read_stack_config
from stacks.composition import PlacementError, load_stack_specs, placement
from stacks.config import StackConfigError, stack_config_from_values


def shipped(stack: str, repo_root: Path):
    project = find_project(repo_root)
    return stack_config_from_values(stack, read_stack_config(project, stack), stack)


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", {"breast-cancer-screening": ["onprem"], "diabetes-progression": ["onprem"]}),
        ("staging", {"breast-cancer-screening": ["aws", "onprem"]}),
        ("prod", {"breast-cancer-screening": ["aws", "onprem"], "diabetes-progression": ["onprem"]}),
    ],
)
def test_shipped_stacks_place_models_on_the_right_targets(
    repo_root: Path, stack: str, expected: dict[str, list[str]]
) -> None:
    config = shipped(stack, repo_root)
    assert config.environment == stack
    placed = {spec.name: placement(spec, config) for spec in load_stack_specs(config, repo_root)}
    assert placed == expected


def test_prod_is_hybrid(repo_root: Path) -> None:
    assert shipped("prod", repo_root).targets == ["aws", "onprem"]


def test_model_asking_for_a_target_the_stack_lacks(repo_root: Path) -> None:
    config = stack_config_from_values(
        "dev",
        {"slipstack:environment": "prod", "slipstack:targets": ["onprem"],
         "slipstack:specs": ["deployments/breast-cancer-screening.yaml"]},
    )
    [spec] = load_stack_specs(config, repo_root)
    with pytest.raises(PlacementError, match="deploys to aws in prod, but stack 'dev' provides only onprem"):
        placement(spec, config)


def test_restricted_model_never_lands_on_eks(repo_root: Path) -> None:
    config = stack_config_from_values(
        "staging",
        {"slipstack:environment": "staging", "slipstack:targets": ["aws", "onprem"],
         "slipstack:specs": ["deployments/diabetes-progression.yaml"],
         "slipstack:kubernetes": {"cluster": "eks", "eks": {"api_reachable_from": "vpc_runner",
                                                            "load_balancer_subnet_cidrs": ["10.0.0.0/24"]}}},
    )
    [spec] = load_stack_specs(config, repo_root)
    with pytest.raises(PlacementError, match="is restricted, but the Kubernetes target"):
        placement(spec, config)


def test_same_model_twice_in_one_stack(repo_root: Path) -> None:
    config = stack_config_from_values(
        "dev",
        {"slipstack:environment": "dev", "slipstack:targets": ["onprem"],
         "slipstack:specs": ["deployments/diabetes-progression.yaml",
                             "deployments/../deployments/diabetes-progression.yaml"]},
    )
    with pytest.raises(PlacementError, match="model names must be unique within a stack"):
        load_stack_specs(config, repo_root)


def test_unknown_key_and_bad_values_are_all_reported() -> None:
    with pytest.raises(StackConfigError) as caught:
        stack_config_from_values(
            "x", {"slipstack:enviroment": "dev", "slipstack:targets": ["gcp"], "aws:region": "mars"}, "Pulumi.x.yaml"
        )
    message = str(caught.value)
    assert "Pulumi.x.yaml: slipstack:enviroment: unknown key (did you mean 'slipstack:environment'?" in message
    assert "slipstack:environment: required key is missing" in message
    assert "slipstack:specs: required key is missing" in message
    assert "slipstack:targets.0: Input should be 'aws' or 'onprem'" in message
    assert "aws:region" in message


def _eks(**eks: object) -> dict[str, object]:
    return {"slipstack:environment": "staging", "slipstack:targets": ["aws", "onprem"],
            "slipstack:specs": ["deployments/breast-cancer-screening.yaml"],
            "slipstack:kubernetes": {"cluster": "eks", "eks": {"load_balancer_subnet_cidrs": ["10.0.0.0/24"], **eks}}}


@pytest.mark.parametrize(("eks", "message"), [
    ({}, "eks.api_reachable_from: say where the deployment reaches the EKS API from"),
    ({"api_reachable_from": "public_cidrs"}, "needs public_access_cidrs"),
    ({"api_reachable_from": "public_cidrs", "public_access_cidrs": ["0.0.0.0/0"]}, "is not a narrow public range"),
    ({"api_reachable_from": "public_cidrs", "public_access_cidrs": ["10.1.0.0/24"]}, "is not a narrow public range"),
    ({"api_reachable_from": "vpc_runner", "public_access_cidrs": ["52.18.4.0/28"]}, "drop public_access_cidrs"),
])
def test_the_eks_api_must_be_reachable_from_where_the_stack_deploys(eks: dict[str, object], message: str) -> None:
    with pytest.raises(StackConfigError, match=message):
        stack_config_from_values("staging", _eks(**eks), "stacks/Pulumi.staging.yaml")


def test_allow_listed_runner_cidrs_or_a_runner_in_the_vpc_are_accepted() -> None:
    public = stack_config_from_values(
        "staging", _eks(api_reachable_from="public_cidrs", public_access_cidrs=["52.18.4.0/28"]))
    assert public.kubernetes.eks.public_access_cidrs == ["52.18.4.0/28"]
    private = stack_config_from_values("staging", _eks(api_reachable_from="vpc_runner"))
    assert private.kubernetes.eks.public_access_cidrs == []
BASE = {"slipstack:environment": "dev", "slipstack:specs": ["deployments/x.yaml"], "slipstack:targets": ["onprem"]}


@pytest.mark.parametrize(
    ("kubernetes", "message"),
    [
        ({"artifact_store_endpoint": "https://minio.minio.svc.cluster.local:9000"},
         "in-cluster name, which no public CA signs: set artifact_store_ca_bundle"),
        ({"artifact_store_endpoint": "https://s3.storage.internal.example.com"},
         "has no CA bundle: set artifact_store_ca_bundle.*or artifact_store_public_ca: true"),
        ({"minimum_version": "1.26"}, "minimum_version 1.26 is older than .*1.27.*preStop.sleep.*needs 1.30"),
        ({"cluster": "eks", "eks": {"kubernetes_version": "1.25", "load_balancer_subnet_cidrs": ["10.0.0.0/24"],
                                    "api_reachable_from": "vpc_runner"}},
         "eks.kubernetes_version 1.25 is older"),
        ({"cluster": "eks", "eks": {"api_reachable_from": "vpc_runner"}}, "eks.load_balancer_subnet_cidrs is empty"),
    ],
)
def test_a_cluster_setting_that_cannot_work_is_a_config_error(kubernetes: dict, message: str) -> None:
    with pytest.raises(StackConfigError, match=message) as error:
        stack_config_from_values("dev", {**BASE, "slipstack:kubernetes": kubernetes}, "Pulumi.dev.yaml")
    assert error.value.exit_code == 2
    assert "Pulumi.dev.yaml: slipstack:kubernetes" in str(error.value)


def test_a_private_store_with_its_ca_or_a_public_ca_is_accepted() -> None:
    private = {"artifact_store_endpoint": "https://minio.minio.svc:9000",
               "artifact_store_ca_bundle": {"config_map": "internal-ca"}}
    public = {"artifact_store_endpoint": "https://objects.example.com", "artifact_store_public_ca": True}
    for kubernetes in (private, public):
        stack_config_from_values("dev", {**BASE, "slipstack:kubernetes": kubernetes})


ONPREM_READS_AWS = {"cluster": "existing", "context": "onprem-prod", "artifact_source": "aws",
                    "aws_s3_cidrs": ["52.95.150.0/24"], "aws_reader_role": "onprem-model-reader"}


@pytest.mark.parametrize(("change", "targets", "expected"), [
    ({}, ["aws", "onprem"], None),
    ({"aws_s3_cidrs": []}, ["aws", "onprem"], r"slipstack:kubernetes.aws_s3_cidrs \(the ranges"),
    ({"aws_reader_role": None}, ["aws", "onprem"], r"slipstack:kubernetes.aws_reader_role \(the name"),
    ({"aws_s3_cidrs": [], "aws_reader_role": None}, ["aws", "onprem"], r"aws_s3_cidrs \(.*; .*aws_reader_role"),
    ({}, ["onprem"], "needs both targets"),
    ({"cluster": "eks", "eks": {"api_reachable_from": "vpc_runner", "load_balancer_subnet_cidrs": ["10.0.0.0/24"]}},
     ["aws", "onprem"], "already reads the AWS bucket through its pod role"),
    ({"aws_s3_cidrs": ["s3.amazonaws.com"]}, ["aws", "onprem"], "is not a CIDR range"),
])
def test_an_onprem_cluster_reading_from_aws_needs_every_piece(change: dict, targets: list[str],
                                                              expected: str | None) -> None:
    values = {"slipstack:environment": "prod", "slipstack:targets": targets,
              "slipstack:specs": ["deployments/breast-cancer-screening.yaml"],
              "slipstack:kubernetes": {**ONPREM_READS_AWS, **change}}
    if expected is None:
        assert stack_config_from_values("prod", values, "Pulumi.prod.yaml").kubernetes.artifact_source == "aws"
        return
    with pytest.raises(StackConfigError, match=expected) as raised:
        stack_config_from_values("prod", values, "Pulumi.prod.yaml")
    assert str(raised.value).startswith("Pulumi.prod.yaml: ")
