"""The checks `slipstack deploy` and `slipstack credentials` make before anything changes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from contracts import delivery
from slipstack.delivery.credentials import StackAccess, check_credentials
from slipstack.delivery.deploy import (
    PackagedModel,
    deployment_fingerprint,
    fingerprint,
    package_of,
    publish_targets,
    storage_urns,
)
from slipstack.delivery.errors import DeliveryInputError

DIGEST = "ab" * 32


def _plan(model_data_url: str) -> dict:
    return {
        "stack": "prod",
        "outputs": {"models": {"m": {"version": "1.0.0", "aws": {
            "artifact_bucket": "m-prod-artifacts", "model_data_url": model_data_url}}}},
        "resources": [{"type": "aws:kms/alias:Alias", "name": "m-kms-alias", "inputs": {"name": "alias/slipstack/m"},
                       "urn": "urn:alias"}],
    }


def test_the_plan_may_point_only_at_what_publishing_the_package_writes(tmp_path: Path) -> None:
    packages = {"m": PackagedModel("m", "1.0.0", tmp_path, DIGEST)}
    good = f"s3://m-prod-artifacts/models/m/{DIGEST}/model.tar.gz"
    (target,) = publish_targets(_plan(good), packages)
    assert (target.bucket, target.kms_key_id, target.model_data_url) == ("m-prod-artifacts", "alias/slipstack/m", good)
    with pytest.raises(DeliveryInputError, match="which no publish step writes") as raised:
        publish_targets(_plan("s3://m-prod-artifacts/models/m/unpackaged-1.0.0/model.tar.gz"), packages)
    assert raised.value.exit_code == 2 and "models.m.aws.model_data_url" in str(raised.value)


def test_the_fingerprint_names_every_artifact(tmp_path: Path) -> None:
    one = {"a": PackagedModel("a", "1", tmp_path, DIGEST), "b": PackagedModel("b", "1", tmp_path, "cd" * 32)}
    other = {**one, "b": PackagedModel("b", "1", tmp_path, "ef" * 32)}
    assert len(fingerprint(one)) == 64 and fingerprint(one) != fingerprint(other)
    assert fingerprint(one) == fingerprint(dict(reversed(list(one.items()))))


def test_storage_first_takes_buckets_and_keys_but_nothing_needing_other_resources() -> None:
    bucket = "urn:pulumi:prod::p::slipstack:aws:ModelArtifactBucket$aws:s3/bucket:Bucket::b"
    policy = "urn:pulumi:prod::p::slipstack:aws:ModelArtifactBucket$aws:s3/bucketPolicy:BucketPolicy::p"
    key = "urn:pulumi:prod::p::slipstack:aws:ModelKmsKey$aws:kms/key:Key::k"
    role = "urn:pulumi:prod::p::slipstack:aws:SageMakerExecutionRole$aws:iam/role:Role::r"
    plan = {"resources": [
        {"urn": bucket, "custom": True, "dependencies": []},
        {"urn": policy, "custom": True, "dependencies": [bucket, role]},
        {"urn": key, "custom": True, "dependencies": []},
        {"urn": role, "custom": True, "dependencies": []},
    ]}
    assert storage_urns(plan) == sorted([bucket, key])


def _kubeconfig(context: str) -> str:
    return f"apiVersion: v1\nkind: Config\ncontexts:\n- name: {context}\n  context: {{cluster: c, user: u}}\n"


def test_missing_settings_are_named_with_where_to_add_them(tmp_path: Path) -> None:
    access = StackAccess("dev", "dev", "dev-cluster", "awskms://alias/slipstack-state-dev?region=eu-west-1")
    report = check_credentials(access, {"HOME": str(tmp_path)}, tmp_path)
    text = " ".join(report.problems)
    assert delivery.AWS_ROLE_ENV in text and delivery.BACKEND_URL_ENV in text
    assert delivery.KUBECONFIG_DATA_ENV in text and "SLIPSTACK_DEV_RUNNER" in text and "'dev-cluster'" in text
    assert delivery.PASSPHRASE_ENV not in text  # the KMS secrets provider needs no passphrase


def test_a_kubeconfig_secret_is_written_private_and_must_hold_the_context(tmp_path: Path) -> None:
    access = StackAccess("prod", "prod", "onprem-prod", None)
    env = {delivery.AWS_ROLE_ENV: "arn:aws:iam::1:role/r", delivery.BACKEND_URL_ENV: "s3://b",
           delivery.PASSPHRASE_ENV: "x", delivery.KUBECONFIG_DATA_ENV: base64.b64encode(
               _kubeconfig("onprem-prod").encode()).decode()}
    report = check_credentials(access, env, tmp_path)
    assert report.problems == [] and report.kubeconfig is not None
    assert report.kubeconfig.stat().st_mode & 0o777 == 0o600
    wrong = {**env, delivery.KUBECONFIG_DATA_ENV: base64.b64encode(_kubeconfig("other").encode()).decode()}
    assert any("'onprem-prod'" in p for p in check_credentials(access, wrong, tmp_path).problems)
    passphrase = check_credentials(access, {k: v for k, v in env.items() if k != delivery.PASSPHRASE_ENV}, tmp_path)
    assert any(delivery.PASSPHRASE_ENV in p for p in passphrase.problems)


def _onprem_plan(fetched_uri: str, source: str = "onprem_store") -> dict:
    store = {"uri": "s3://store/slipstack", "endpoint": "https://s3.internal.example.com", "source": source,
             "private_ca": True}
    fetch = {"name": "fetch-model", "command": ["python", "-m", "model_packaging.fetch", "--uri", fetched_uri,
                                                "--sha256", DIGEST, "--dest", "/mnt/models/m"]}
    deployment = {"kind": "Deployment", "metadata": {"name": "m", "namespace": "m-prod"},
                  "spec": {"template": {"spec": {"initContainers": [fetch], "containers": []}}}}
    return {
        "stack": "prod",
        "outputs": {"models": {"m": {"version": "1.0.0", "onprem": {
            "namespace": "m-prod", "artifact_sha256": DIGEST, "artifact_store": store}}}},
        "resources": [{"type": "kubernetes:apps/v1:Deployment", "name": "m", "inputs": deployment, "urn": "urn:d"}],
    }


def test_an_onprem_fetch_must_be_what_publishing_to_the_store_writes(tmp_path: Path) -> None:
    packages = {"m": PackagedModel("m", "1.0.0", tmp_path, DIGEST)}
    good = f"s3://store/slipstack/models/m/{DIGEST}/model.tar.gz"
    (target,) = publish_targets(_onprem_plan(good), packages)
    assert (target.store, target.bucket, target.prefix, target.endpoint, target.private_ca, target.kms_key_id) == (
        "onprem", "store", "slipstack", "https://s3.internal.example.com", True, None)
    assert target.model_data_url == good
    with pytest.raises(DeliveryInputError, match="Deployment m .*which no publish step writes"):
        publish_targets(_onprem_plan(f"s3://elsewhere/models/m/{DIGEST}/model.tar.gz"), packages)
    # A store the AWS publish writes (source aws) needs no on-prem target, and no AWS model here publishes it.
    with pytest.raises(DeliveryInputError, match="publishes .* to nowhere"):
        publish_targets(_onprem_plan(good, source="aws"), packages)


CANDIDATE_DIGEST = "cd" * 32


def _canary_plan(candidate_uri: str) -> dict:
    plan = _onprem_plan(f"s3://store/slipstack/models/m/{DIGEST}/model.tar.gz")
    fetch = {"name": "fetch-model", "command": ["python", "-m", "model_packaging.fetch", "--uri", candidate_uri,
                                                "--sha256", CANDIDATE_DIGEST, "--dest", "/mnt/models/m"]}
    canary = {"kind": "Deployment", "metadata": {"name": "m-canary", "namespace": "m-prod"},
              "spec": {"template": {"spec": {"initContainers": [fetch], "containers": []}}}}
    plan["resources"].append({"type": "kubernetes:apps/v1:Deployment", "name": "m-canary", "inputs": canary,
                              "urn": "urn:c"})
    return plan


def test_a_canary_candidate_is_published_where_its_pods_fetch_it(tmp_path: Path) -> None:
    packages = {"m": PackagedModel("m", "1.0.0", tmp_path / "1.0.0", DIGEST)}
    candidate = PackagedModel("m", "1.1.0", tmp_path / "1.1.0", CANDIDATE_DIGEST)
    candidates = {CANDIDATE_DIGEST: candidate}
    good = f"s3://store/slipstack/models/m/{CANDIDATE_DIGEST}/model.tar.gz"
    stable_target, candidate_target = publish_targets(_canary_plan(good), packages, candidates)
    assert (stable_target.candidate_version, candidate_target.candidate_version) == (None, "1.1.0")
    assert candidate_target.model_data_url == good and candidate_target.store == "onprem"
    assert package_of(candidate_target, packages, candidates) is candidate
    assert package_of(stable_target, packages, candidates) is packages["m"]
    # Without its package, or fetched from another place, the canary's artifact is refused by name.
    with pytest.raises(DeliveryInputError, match="Deployment m-canary .*which no publish step writes"):
        publish_targets(_canary_plan(good), packages)
    with pytest.raises(DeliveryInputError, match="Deployment m-canary .*which no publish step writes"):
        publish_targets(_canary_plan(good.replace("s3://store/", "s3://other/")), packages, candidates)
    # The recorded fingerprint changes with the candidate, so a rollback re-deploys the canary it had.
    assert deployment_fingerprint(packages, candidates) != deployment_fingerprint(packages, {})
    assert deployment_fingerprint(packages, {}) == fingerprint(packages)


def test_a_stack_with_an_onprem_store_needs_its_access_key_and_ca(tmp_path: Path) -> None:
    access = StackAccess("prod", "prod", None, "awskms://alias/x", onprem_store_endpoint="https://s3.internal",
                         onprem_store_private_ca=True)
    env = {delivery.AWS_ROLE_ENV: "arn:aws:iam::1:role/r", delivery.BACKEND_URL_ENV: "s3://b"}
    text = " ".join(check_credentials(access, env, tmp_path).problems)
    for name in (delivery.ARTIFACT_STORE_ACCESS_KEY_ENV, delivery.ARTIFACT_STORE_SECRET_KEY_ENV,
                 delivery.ARTIFACT_STORE_CA_ENV):
        assert name in text
    ready = {**env, delivery.ARTIFACT_STORE_ACCESS_KEY_ENV: "k", delivery.ARTIFACT_STORE_SECRET_KEY_ENV: "s",
             delivery.ARTIFACT_STORE_CA_ENV: "-----BEGIN CERTIFICATE-----"}
    assert check_credentials(access, ready, tmp_path).problems == []
    public = StackAccess("prod", "prod", None, "awskms://alias/x", onprem_store_endpoint="https://s3.internal")
    assert check_credentials(public, {k: v for k, v in ready.items() if k != delivery.ARTIFACT_STORE_CA_ENV},
                             tmp_path).problems == []


def test_only_a_stack_whose_models_read_the_onprem_store_needs_its_settings(tmp_path: Path, repo_root: Path) -> None:
    import shutil

    from slipstack.delivery.credentials import stack_access

    assert stack_access(repo_root, "prod").onprem_store_endpoint == "https://s3.storage.internal.example.com"
    assert stack_access(repo_root, "staging").onprem_store_endpoint is None  # EKS: the pods read AWS
    # prod with artifact_source 'aws' and only the model that runs on both targets: nothing reads the store.
    project = tmp_path / "project"
    shutil.copytree(repo_root / "stacks", project / "stacks", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copytree(repo_root / "deployments", project / "deployments")
    shutil.copy(repo_root / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "examples").symlink_to(repo_root / "examples")
    stack_file = project / "stacks" / "Pulumi.prod.yaml"
    text = stack_file.read_text().replace("    - deployments/diabetes-progression.yaml\n", "", 1)
    text = text.replace("    cluster: existing\n", "    cluster: existing\n    artifact_source: aws\n"
                        "    aws_s3_cidrs: [52.95.150.0/24]\n    aws_reader_role: onprem-model-reader\n", 1)
    stack_file.write_text(text)
    assert stack_access(project, "prod").onprem_store_endpoint is None
