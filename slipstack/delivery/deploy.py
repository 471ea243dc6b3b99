"""`slipstack deploy` and `slipstack rollback`: one stack from packaged artifacts to a smoke-tested service.

Order, and why:
1. plan offline with the policy pack: a mandatory violation stops the deploy before any call to AWS;
2. every artifact the plan points at must be one this run packaged and will publish (content-addressed
   key = the package's digest), else the program would deploy a model whose data never arrives: the AWS
   Models' ModelDataUrl, and the URI every on-prem init container fetches (read from the manifests);
3. publish to the on-prem store first (it is a prerequisite of the stack, so nothing has changed yet if
   its credentials are wrong), then `pulumi up --target` the artifact buckets and their KMS keys only (the
   first deploy has neither), then `slipstack publish` each package into its bucket: the full `pulumi up`
   then finds every object it names;
4. `pulumi up` with the policy pack, then the smoke test of every target the stack deployed, each with
   the example request packaged with that model;
5. only then record the deployed commit and artifact fingerprint as stack tags: the last good deployment
   `slipstack rollback` returns to.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import delivery
from contracts.artifact_layout import SAGEMAKER_ARCHIVE, artifact_key, local_package_dir
from slipstack.delivery.errors import (
    DeliveryInputError,
    DeployFailedError,
    MissingCredentialsError,
    NothingToRollBackError,
)
from slipstack.delivery.pulumi_cli import PulumiCli

# Custom resources of these components hold what `slipstack publish` needs before the full deploy.
STORAGE_COMPONENTS = ("slipstack:aws:ModelArtifactBucket", "slipstack:aws:ModelKmsKey")


@dataclass(frozen=True)
class PackagedModel:
    model: str
    version: str
    folder: Path
    digest: str


@dataclass(frozen=True)
class PublishTarget:
    model: str
    bucket: str
    kms_key_id: str | None  # None: SSE-S3 (an on-prem store without a KMS)
    model_data_url: str
    # "aws": the model's artifact bucket, created by the stack, written with the deploy role's credentials;
    # "onprem": the stack's on-prem store (a prerequisite), written with the SLIPSTACK_ARTIFACT_STORE_* settings.
    store: str = "aws"
    prefix: str = ""
    endpoint: str | None = None
    private_ca: bool = False
    # None: the model's deployed version; else the version of the canary candidate this target publishes.
    candidate_version: str | None = None


@dataclass
class DeployResult:
    stack: str
    commit: str
    fingerprint: str
    published: list[str] = field(default_factory=list)
    smoke: list[dict[str, Any]] = field(default_factory=list)


def fingerprint(packages: Mapping[str, PackagedModel]) -> str:
    """One 64-character value naming every artifact of a deployment (fits a stack tag for any model count)."""
    lines = "".join(f"{name}={packages[name].digest}\n" for name in sorted(packages))
    return hashlib.sha256(lines.encode()).hexdigest()


def candidate_packages(project_root: Path, plan: Mapping[str, Any],
                       packages: Mapping[str, PackagedModel]) -> dict[str, PackagedModel]:
    """The verified local package of every canary candidate the plan's on-prem pods fetch, by digest.

    A candidate is found by what its Deployment's init container fetches (the digest the stack read from the
    candidate's package), not by re-reading the spec: deploy publishes exactly what the pods will ask for.
    """
    from model_packaging.verify import verify_directory

    found: dict[str, PackagedModel] = {}
    models = (plan.get("outputs") or {}).get("models") or {}
    for name, entry in sorted(models.items()):
        onprem = entry.get("onprem") or {}
        stable = packages[name].digest.removeprefix("sha256:")
        wanted = {sha.removeprefix("sha256:") for _, _, sha in fetched_artifacts(plan, str(onprem.get("namespace")))
                  if onprem} - {stable}
        if not wanted:
            continue
        versions = (project_root / local_package_dir(name, "x")).parent
        for manifest_file in sorted(versions.glob("*/manifest.json")):
            manifest = verify_directory(manifest_file.parent)
            digest = manifest.digest.removeprefix("sha256:")
            if digest in wanted:
                found[digest] = PackagedModel(name, manifest_file.parent.name, manifest_file.parent, manifest.digest)
    return found


def package_of(target: PublishTarget, packages: Mapping[str, PackagedModel],
               candidates: Mapping[str, PackagedModel]) -> PackagedModel:
    if target.candidate_version is None:
        return packages[target.model]
    return next(c for c in candidates.values() if c.model == target.model and c.version == target.candidate_version)


def deployment_fingerprint(packages: Mapping[str, PackagedModel], candidates: Mapping[str, PackagedModel]) -> str:
    """The fingerprint of the deployed versions and, when a canary runs, of its candidates too."""
    named = {**packages, **{f"{c.model} candidate {c.version}": c for c in candidates.values()}}
    return fingerprint(named)


def packaged_models(project_root: Path, plan: Mapping[str, Any]) -> dict[str, PackagedModel]:
    """The verified local package of every model version the plan deploys."""
    from model_packaging.verify import verify_directory

    packages: dict[str, PackagedModel] = {}
    models = (plan.get("outputs") or {}).get("models") or {}
    for name, entry in sorted(models.items()):
        version = str(entry.get("version"))
        folder = project_root / local_package_dir(name, version)
        if not (folder / "manifest.json").is_file():
            raise DeliveryInputError(
                f"{folder}: model {name} {version} is deployed by stack {plan.get('stack')} but not packaged; "
                "run `make prepare` (or `slipstack prepare --stack ...`) before deploying"
            )
        manifest = verify_directory(folder)
        packages[name] = PackagedModel(name, version, folder, manifest.digest)
    return packages


def fetched_artifacts(plan: Mapping[str, Any], namespace: str) -> list[tuple[str, str, str]]:
    """(workload, --uri, --sha256) of every artifact fetch an init container in `namespace` runs."""
    from model_packaging.serving_contract import FETCH_MODULE

    found = []
    for resource in plan.get("resources") or []:
        inputs = resource.get("inputs") or {}
        if not str(resource.get("type", "")).startswith("kubernetes:") or inputs.get("kind") not in (
                "Deployment", "CronJob", "Job", "StatefulSet", "DaemonSet"):
            continue
        metadata = inputs.get("metadata") or {}
        if metadata.get("namespace") != namespace:
            continue
        spec = inputs.get("spec") or {}
        if inputs["kind"] == "CronJob":
            spec = (spec.get("jobTemplate") or {}).get("spec") or {}
        pod = (spec.get("template") or {}).get("spec") or {}
        for container in pod.get("initContainers") or []:
            argv = [*(container.get("command") or []), *(container.get("args") or [])]
            if FETCH_MODULE in argv and "--uri" in argv and "--sha256" in argv:
                found.append((f"{inputs['kind']} {metadata.get('name')}", argv[argv.index("--uri") + 1],
                              argv[argv.index("--sha256") + 1]))
    return found


def publish_targets(plan: Mapping[str, Any], packages: Mapping[str, PackagedModel],
                    candidates: Mapping[str, PackagedModel] | None = None) -> list[PublishTarget]:
    """Where each model's package (and its canary candidate's) goes; refuses a plan whose artifact URL no
    publish step writes. `candidates`: candidate packages by digest (candidate_packages)."""
    candidates = candidates or {}
    aliases = {
        r.get("name"): (r.get("inputs") or {}).get("name")
        for r in plan.get("resources") or []
        if r.get("type") == "aws:kms/alias:Alias"
    }
    stack = plan.get("stack")
    targets = []
    models = (plan.get("outputs") or {}).get("models") or {}
    for name, entry in sorted(models.items()):
        package = packages[name]
        digest = package.digest.removeprefix("sha256:")
        onprem = entry.get("onprem") or {}
        if onprem and onprem.get("artifact_sha256") not in (package.digest, digest):
            raise DeliveryInputError(
                f"stack {stack}: models.{name}.onprem.artifact_sha256 is "
                f"{onprem.get('artifact_sha256')!r} but the package in {package.folder} has digest {package.digest}; "
                "re-run `slipstack plan` after `slipstack package`"
            )
        written: list[str] = []
        aws = entry.get("aws")
        if aws:
            bucket = aws.get("artifact_bucket")
            expected = f"s3://{bucket}/{artifact_key(name, package.digest, SAGEMAKER_ARCHIVE)}"
            if aws.get("model_data_url") != expected:
                raise DeliveryInputError(
                    f"stack {stack}: models.{name}.aws.model_data_url is {aws.get('model_data_url')!r}, "
                    f"which no publish step writes (publishing {package.folder} writes {expected}); package the "
                    "model (`slipstack package --spec ...`) and plan again"
                )
            alias = aliases.get(f"{name}-kms-alias")
            if not alias:
                raise DeliveryInputError(
                    f"stack {stack}: no KMS alias {name}-kms-alias in the plan to encrypt the artifact with"
                )
            targets.append(PublishTarget(name, str(bucket), str(alias), expected))
            written.append(expected)
        if onprem:
            store = onprem.get("artifact_store") or {}
            uri = str(store.get("uri") or "").rstrip("/")
            bucket, _, prefix = uri.removeprefix("s3://").partition("/")
            expected = f"{uri}/{artifact_key(name, package.digest, SAGEMAKER_ARCHIVE)}"
            if store.get("source") != "aws":
                targets.append(PublishTarget(name, bucket, store.get("kms_key_id"), expected, store="onprem",
                                             prefix=prefix, endpoint=store.get("endpoint"),
                                             private_ca=bool(store.get("private_ca"))))
                written.append(expected)
            store_target = next((t for t in reversed(targets) if t.model == name and (
                t.store == "onprem" if store.get("source") != "aws" else t.store == "aws")), None)
            for workload, fetched, sha256 in fetched_artifacts(plan, str(onprem.get("namespace"))):
                candidate = candidates.get(sha256.removeprefix("sha256:"))
                if candidate is not None and candidate.model == name and store_target is not None:
                    # The canary's Deployment: its candidate goes to the same store as the stable package.
                    candidate_url = f"{uri}/{artifact_key(name, candidate.digest, SAGEMAKER_ARCHIVE)}"
                    if fetched == candidate_url and candidate_url not in written:
                        targets.append(dataclasses.replace(store_target, model_data_url=candidate_url,
                                                           candidate_version=candidate.version))
                        written.append(candidate_url)
                    if fetched in written:
                        continue
                if fetched not in written or sha256.removeprefix("sha256:") != digest:
                    raise DeliveryInputError(
                        f"stack {stack}: {workload} (namespace {onprem.get('namespace')}) fetches {fetched} "
                        f"(sha256 {sha256}), which no publish step writes (this deploy publishes "
                        f"{package.folder}, digest {digest}, to {', '.join(written) or 'nowhere'}); package the "
                        "model (and its rollout.candidate: `slipstack prepare` packages both) and plan again"
                    )
    return targets


def storage_urns(plan: Mapping[str, Any]) -> list[str]:
    """Custom resources of the artifact buckets and KMS keys whose dependencies are all in the same set."""
    resources = {r["urn"]: r for r in plan.get("resources") or []}
    chosen = {
        urn for urn, r in resources.items()
        if r.get("custom", True) and any(f"::{c}$" in urn for c in STORAGE_COMPONENTS)
    }
    changed = True
    while changed:  # drop anything needing a resource outside the set (roles, the access-log bucket)
        changed = False
        for urn in sorted(chosen):
            needed = [d for d in resources[urn].get("dependencies") or [] if resources.get(d, {}).get("custom", True)]
            if any(d not in chosen for d in needed):
                chosen.discard(urn)
                changed = True
    return sorted(chosen)


def _plan(project_root: Path, stack: str, out: Path) -> dict[str, Any]:
    from slipstack.commands.policy_command import evaluate_and_report
    from slipstack.plan.runner import find_project, plan_stack

    result = plan_stack(stack, find_project(project_root), out)
    evaluate_and_report(result.out_dir / "plan.json", None, None)  # raises on a mandatory violation (exit 1)
    return result.document


def smoke_stack(outputs: Mapping[str, Any], packages: Mapping[str, PackagedModel], source: str,
                sagemaker_client: Any = None) -> list[dict[str, Any]]:
    """Each model with its own packaged example, against every target the stack deployed it to."""
    from monitoring.errors import SmokeTestError
    from monitoring.smoke import deployed_models, example_from_manifest, run_smoke

    models = deployed_models(outputs, source)
    checks: list[dict[str, Any]] = []
    for name in sorted(models):
        package = packages.get(name)
        if package is None:
            raise DeliveryInputError(f"{source}: model {name} is deployed but has no local package to smoke-test with")
        result = run_smoke(models, example_from_manifest(package.folder / "manifest.json"), only_model=name,
                           sagemaker_client=sagemaker_client)
        checks += [c.model_dump(mode="json") for c in result.checks]
    failed = [f"{c['model']}/{c['target']}: {'; '.join(c['problems'])}" for c in checks if not c["passed"]]
    if failed:
        raise SmokeTestError("smoke test failed: " + " | ".join(failed))
    return checks


def deploy_stack(project_root: Path, stack: str, commit: str, *, expected_fingerprint: str | None = None,
                 publish: Callable[[PackagedModel, PublishTarget], str] | None = None,
                 log: Callable[[str], None] = print) -> DeployResult:
    from slipstack.delivery.credentials import stack_access

    project_root = project_root.resolve()
    access = stack_access(project_root, stack)
    log(f"{stack}: plan and policy verdict")
    plan = _plan(project_root, stack, project_root / "build" / "deploy" / stack)
    packages = packaged_models(project_root, plan)
    candidates = candidate_packages(project_root, plan, packages)
    marks = deployment_fingerprint(packages, candidates)
    if expected_fingerprint is not None and marks != expected_fingerprint:
        raise DeployFailedError(
            f"stack {stack}: the artifacts packaged at {commit[:12]} have fingerprint {marks}, not the recorded "
            f"{expected_fingerprint}: packaging did not reproduce the deployed version, so it is not re-deployed"
        )
    # Candidates first: each publish ends by pointing the model's current.json at what it wrote, and that
    # pointer names the stable version.
    targets = sorted(publish_targets(plan, packages, candidates), key=lambda t: t.candidate_version is None)
    pulumi = PulumiCli(project_root, stack)
    pulumi.select(access.secrets_provider)
    policy_pack = project_root / "policies"
    policy_config = project_root / "policies" / "config" / f"{access.environment}.json"
    result = DeployResult(stack, commit, marks)
    # The on-prem store exists before the stack does: publishing there changes no stack resource.
    for target in [t for t in targets if t.store == "onprem"]:
        uri = (publish or _publish)(package_of(target, packages, candidates), target)
        log(f"{stack}: published {uri} (on-prem store)")
        result.published.append(uri)
    _step_output("up_started", "true")  # from here a failure may leave the stack changed: roll back
    aws_targets = [t for t in targets if t.store == "aws"]
    if aws_targets:
        log(f"{stack}: artifact buckets and keys first ({len(storage_urns(plan))} resources)")
        pulumi.up(policy_pack, policy_config, targets=storage_urns(plan), message=f"storage for {commit[:12]}")
        for target in aws_targets:
            uri = (publish or _publish)(package_of(target, packages, candidates), target)
            log(f"{stack}: published {uri}")
            result.published.append(uri)
    log(f"{stack}: pulumi up")
    pulumi.up(policy_pack, policy_config, message=f"slipstack deploy {commit[:12]}")
    log(f"{stack}: smoke test")
    result.smoke = smoke_stack(pulumi.outputs(), packages, f"stack {stack}")
    pulumi.set_tag(delivery.DEPLOYED_COMMIT_TAG, commit)
    pulumi.set_tag(delivery.DEPLOYED_ARTIFACTS_TAG, marks)
    log(f"{stack}: recorded {commit[:12]} (artifacts {marks[:12]}) as the last good deployment")
    return result


def _step_output(name: str, value: str) -> None:
    """A GitHub Actions step output (the workflow's rollback step reads it); nothing outside Actions."""
    import os

    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(f"{name}={value}\n")


def _publish(package: PackagedModel, target: PublishTarget) -> str:
    import os

    return publish_package(package, target, os.environ)


def store_client(target: PublishTarget, env: Mapping[str, str], scratch: Path) -> Any:
    """The S3 client that writes `target`: the deploy role's for AWS, the on-prem store's own settings otherwise.

    The on-prem store's access key, CA bundle and (when the runner reaches it elsewhere than the pods) address
    come from the SLIPSTACK_ARTIFACT_STORE_* settings (contracts/delivery.py), never from the AWS credentials:
    the deploy role must not be sent to a non-AWS endpoint, nor the store's key to AWS.
    """
    import boto3

    if target.store == "aws" or not target.endpoint:
        return boto3.client("s3")
    key, secret = env.get(delivery.ARTIFACT_STORE_ACCESS_KEY_ENV), env.get(delivery.ARTIFACT_STORE_SECRET_KEY_ENV)
    missing = [n for n, v in ((delivery.ARTIFACT_STORE_ACCESS_KEY_ENV, key),
                              (delivery.ARTIFACT_STORE_SECRET_KEY_ENV, secret)) if not v]
    verify: str | bool = True
    if target.private_ca:
        pem = env.get(delivery.ARTIFACT_STORE_CA_ENV, "")
        if "-----BEGIN CERTIFICATE-----" not in pem:
            missing.append(f"{delivery.ARTIFACT_STORE_CA_ENV} (the PEM CA bundle that signs {target.endpoint})")
        else:
            scratch.mkdir(parents=True, exist_ok=True)
            bundle = scratch / "artifact-store-ca.pem"
            bundle.write_text(pem)
            verify = str(bundle)
    if missing:
        raise MissingCredentialsError(
            f"publishing {target.model} to the on-prem store {target.endpoint} needs " + ", ".join(missing)
            + ": add them as secrets of the stack's GitHub environment (see docs/delivery.md)"
        )
    return boto3.client(
        "s3", endpoint_url=env.get(delivery.ARTIFACT_STORE_ENDPOINT_ENV) or target.endpoint, verify=verify,
        aws_access_key_id=key, aws_secret_access_key=secret,
        region_name=env.get(delivery.ARTIFACT_STORE_REGION_ENV) or "us-east-1",
    )


def publish_package(package: PackagedModel, target: PublishTarget, env: Mapping[str, str]) -> str:
    """Publish one verified package where `target` says (content-addressed keys, pointer last)."""
    import tempfile

    from model_packaging.publish import publish_artifact

    with tempfile.TemporaryDirectory(prefix="slipstack-publish-") as scratch:
        client = store_client(target, env, Path(scratch))
        uri = publish_artifact(package.folder, target.bucket, target.kms_key_id, client=client,
                               prefix=target.prefix).archive_uri
    if uri != target.model_data_url:
        raise DeployFailedError(f"published {uri}, but the stack reads {target.model_data_url}")
    return uri


@dataclass(frozen=True)
class Recorded:
    commit: str
    fingerprint: str


def recorded_deployment(project_root: Path, stack: str) -> Recorded:
    from slipstack.delivery.credentials import stack_access

    access = stack_access(project_root, stack)
    pulumi = PulumiCli(project_root, stack)
    pulumi.select(access.secrets_provider)
    tags = pulumi.tags()
    commit, marks = tags.get(delivery.DEPLOYED_COMMIT_TAG), tags.get(delivery.DEPLOYED_ARTIFACTS_TAG)
    if not commit or not marks:
        raise NothingToRollBackError(
            f"stack {stack}: nothing deployed yet (no {delivery.DEPLOYED_COMMIT_TAG} tag): there is no good "
            "deployment to roll back to; fix forward, or `pulumi destroy` the stack"
        )
    return Recorded(commit, marks)
