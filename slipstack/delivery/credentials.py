"""The first step of every deploy job: are the settings this stack needs there? Name the missing one.

A hosted runner has neither the AWS role, the state backend nor the kubeconfig of an on-prem cluster;
without this check the run would fail minutes later inside `pulumi up` with a provider's message. Each
problem names the setting to add and where (GitHub environment variable or secret, or runner label).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contracts import delivery
from slipstack.delivery.errors import MissingCredentialsError


@dataclass(frozen=True)
class StackAccess:
    """What the stack's settings say it needs to reach."""

    stack: str
    environment: str
    kube_context: str | None  # an existing cluster reached through a kubeconfig context
    secrets_provider: str | None
    # The on-prem store `slipstack deploy` publishes to (an S3-compatible endpoint), and whether a private CA
    # signs it; None when the stack's on-prem pods read no such store.
    onprem_store_endpoint: str | None = None
    onprem_store_private_ca: bool = False

    @property
    def uses_passphrase(self) -> bool:
        return self.secrets_provider in (None, "passphrase") or str(self.secrets_provider).startswith("passphrase")


@dataclass
class CredentialReport:
    problems: list[str] = field(default_factory=list)
    kubeconfig: Path | None = None


def stack_access(project_root: Path, stack: str) -> StackAccess:
    from slipstack.plan.runner import find_project, read_stack_config
    from stacks.config import stack_config_from_values

    project = find_project(project_root)
    config = stack_config_from_values(stack, read_stack_config(project, stack), str(project.stack_file(stack)))
    raw: Any = yaml.safe_load(project.stack_file(stack).read_text()) or {}
    provider = raw.get(delivery.SECRETS_PROVIDER_KEY) if isinstance(raw, dict) else None
    kube = config.kubernetes
    existing = "onprem" in config.targets and kube.cluster == "existing"
    context = kube.context if existing else None
    # With artifact_source 'aws' a model that runs on both targets reads AWS; on-prem-only models still read the
    # store. Only a stack with a model reading an S3-compatible store publishes there.
    endpoint = kube.artifact_store_endpoint if existing and _reads_onprem_store(config, project.root) else None
    return StackAccess(stack, config.environment, context, str(provider) if provider else None,
                       onprem_store_endpoint=endpoint,
                       onprem_store_private_ca=bool(endpoint and kube.artifact_store_ca_bundle))


def _reads_onprem_store(config: Any, project_root: Path) -> bool:
    from contracts.errors import SlipstackError
    from stacks.composition import load_stack_specs, placement

    try:
        specs = load_stack_specs(config, project_root)
        return any(
            "onprem" in placement(item, config)
            and not (config.kubernetes.artifact_source == "aws" and "aws" in item.spec.targets)
            for item in specs
        )
    except SlipstackError:
        return True  # the plan reports the broken spec; ask for every setting the stack may need


def _contexts(kubeconfig: Path) -> set[str]:
    try:
        data: Any = yaml.safe_load(kubeconfig.read_text())
    except (OSError, yaml.YAMLError):
        return set()
    contexts = data.get("contexts") if isinstance(data, dict) else None
    return {str(c.get("name")) for c in contexts or [] if isinstance(c, dict)}


def check_credentials(access: StackAccess, env: Mapping[str, str], workdir: Path) -> CredentialReport:
    """Every missing setting, each with the name to add; writes the kubeconfig from its secret if given."""
    report = CredentialReport()
    where = f"the GitHub environment of stack {access.stack!r} ({access.environment})"
    aws_ready = env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_WEB_IDENTITY_TOKEN_FILE") or env.get("AWS_PROFILE")
    if not env.get(delivery.AWS_ROLE_ENV) and not aws_ready:
        report.problems.append(
            f"{delivery.AWS_ROLE_ENV} is not set: add the variable {delivery.AWS_ROLE_ENV} (the ARN of the OIDC "
            f"deploy role this environment may assume) to {where}"
        )
    if not env.get(delivery.BACKEND_URL_ENV) and not env.get("PULUMI_ACCESS_TOKEN"):
        report.problems.append(
            f"{delivery.BACKEND_URL_ENV} is not set: add the variable {delivery.BACKEND_URL_ENV} (e.g. "
            f"s3://state-bucket/slipstack) to {where}, or the secret PULUMI_ACCESS_TOKEN for Pulumi Cloud"
        )
    if access.uses_passphrase and not env.get(delivery.PASSPHRASE_ENV):
        report.problems.append(
            f"stack {access.stack!r} encrypts its secrets with a passphrase but {delivery.PASSPHRASE_ENV} is not set: "
            f"add the secret {delivery.PASSPHRASE_ENV} to {where}, or set `{delivery.SECRETS_PROVIDER_KEY}: "
            f"awskms://alias/...` in stacks/Pulumi.{access.stack}.yaml"
        )
    if access.onprem_store_endpoint:
        needed = [delivery.ARTIFACT_STORE_ACCESS_KEY_ENV, delivery.ARTIFACT_STORE_SECRET_KEY_ENV]
        if access.onprem_store_private_ca:
            needed.append(delivery.ARTIFACT_STORE_CA_ENV)
        missing = [name for name in needed if not env.get(name)]
        if missing:
            report.problems.append(
                f"stack {access.stack!r} publishes artifacts to the on-prem store {access.onprem_store_endpoint}, "
                f"but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: add the secret(s) to "
                f"{where} (an access key that may write the store's models/ prefix"
                + ("; the PEM CA bundle that signs the store's certificate" if access.onprem_store_private_ca
                   else "") + ")"
            )
    if access.kube_context:
        report.kubeconfig = _kubeconfig(access, env, workdir, where, report.problems)
    return report


def _kubeconfig(access: StackAccess, env: Mapping[str, str], workdir: Path, where: str,
                problems: list[str]) -> Path | None:
    context = access.kube_context
    data = env.get(delivery.KUBECONFIG_DATA_ENV)
    if data:
        try:
            text = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"the secret {delivery.KUBECONFIG_DATA_ENV} is not base64 (use `base64 -w0 kubeconfig`)")
            return None
        path = workdir / f"kubeconfig-{access.stack}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_bytes(text)
        candidates = [path]
    else:
        candidates = [Path(p) for p in env.get("KUBECONFIG", "").split(os.pathsep) if p] or [
            Path(env.get("HOME", "~")).expanduser() / ".kube" / "config"
        ]
    if any(context in _contexts(p) for p in candidates):
        return candidates[0]
    runner = delivery.runner_variable(access.stack)
    problems.append(
        f"stack {access.stack!r} deploys to the Kubernetes context {context!r}, which no kubeconfig here has "
        f"(looked in {', '.join(str(p) for p in candidates)}): add the secret {delivery.KUBECONFIG_DATA_ENV} "
        f"(base64 of a kubeconfig with that context) to {where}, or set the repository variable {runner} to the "
        "label of a self-hosted runner that reaches the cluster"
    )
    return None


def require_credentials(project_root: Path, stack: str, env: Mapping[str, str], workdir: Path) -> CredentialReport:
    report = check_credentials(stack_access(project_root, stack), env, workdir)
    if report.problems:
        raise MissingCredentialsError(f"stack {stack}: " + "; ".join(report.problems))
    return report
