"""The checks of a stack file and the specs it deploys that need no engine: run by `slipstack validate` and
`slipstack plan` before anything is declared, so each problem reads `file:line: key: what is wrong (the fix)`.

The program keeps its own refusals of the same combinations (it also runs under `pulumi up`, where nobody
ran `validate`); this module is where they are found first, at the lines that cause them:
- the stack settings themselves (`StackConfig`: the EKS API's reachability and access CIDRs, ALB
  authentication and its secret setting, the monitoring image by digest, ...);
- placement: a spec's targets against the stack's, restricted models on an EKS cluster, one name per stack;
- the entry of models on the stack's EKS cluster: the VPC and subnets it needs, an ACM certificate per host,
  and no confidential or restricted model on an internet-facing ALB without a WAF or authentication;
- S3 inputs the AWS jobs read (the quality job's labels).
Spec-only rules (rollout step sizes against every environment's instance counts, VPC egress paths of the
jobs) are the spec loader's cross-checks and run for every spec `validate` is given.
Standard library, pydantic and the spec loader only: no Pulumi.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.errors import shown_path
from deployment_spec import LoadedSpec, SpecError, load_spec
from deployment_spec.loader import Loc, read_yaml_with_lines
from stacks.config import (
    NAMESPACE,
    SECRET_KEYS,
    StackConfig,
    StackConfigError,
    stack_config_from_values,
)

# Data classes that may not meet the internet unprotected (a WAF or authentication at the ALB).
PROTECTED_CLASSES = ("confidential", "restricted")


@dataclass(frozen=True)
class StackFile:
    """A `Pulumi.<stack>.yaml` as read: its config values (secret settings as a marker) and their lines."""

    path: Path
    stack: str
    values: dict[str, Any]
    lines: Mapping[Loc, int]
    problems: tuple[str, ...] = ()

    def line(self, key: str, *path: str | int) -> int:
        """The line of `config.<key>.<path...>`, else of its nearest written parent (0: not in the file)."""
        loc: Loc = ("config", key, *path)
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 0

    def at(self, key: str, *path: str | int) -> str:
        return f"{shown_path(self.path)}:{self.line(key, *path)}"


# A secret setting is present in the values as this marker: its value is never decrypted here.
SECRET_PRESENT = "[secret setting]"


def read_stack_file(path: Path, stack: str) -> StackFile:
    """Read a stack file. Secret settings must be encrypted (`secure:`); other secure keys cannot be read."""
    data, lines = read_yaml_with_lines(path)
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(data.get("config", {}), dict):
        return StackFile(path, stack, {}, lines, (f"{path}:1: config: expected a mapping of config keys to values",))
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in (data.get("config") or {}).items():
        line = lines.get(("config", key), 0)
        # A key may be written as `{value: ...}` (Pulumi's long form) or carry `{secure: ...}`.
        if isinstance(value, dict) and set(value) == {"value"}:
            value = value["value"]
        secret_setting = key.startswith(f"{NAMESPACE}:") and key.partition(":")[2] in SECRET_KEYS
        if isinstance(value, dict) and "secure" in value:
            if not secret_setting:
                problems.append(f"{path}:{line}: {key}: secret config cannot be decrypted offline (keep secrets out "
                                "of plan inputs)")
                continue
            value = SECRET_PRESENT
        elif secret_setting:
            problems.append(f"{path}:{line}: {key}: a secret setting in plain text: remove it and set it encrypted "
                            f"(pulumi config set --secret {key} --stack {stack})")
            continue
        values[key] = value
    return StackFile(path, stack, values, lines, tuple(problems))


def stack_config(stack_file: StackFile) -> StackConfig:
    """The StackConfig of a read stack file; every problem at its line (StackConfigError)."""
    if stack_file.problems:
        raise StackConfigError("\n".join(stack_file.problems))
    return stack_config_from_values(stack_file.stack, stack_file.values, shown_path(stack_file.path), stack_file.line)


def _spec_line(loaded: LoadedSpec, environment: str, *path: str) -> int:
    """The line that sets `path` for `environment`: the overlay's when it sets it, else the base's."""
    for prefix in (("environments", environment), ()):
        loc: Loc = (*prefix, *path)
        for end in range(len(loc), len(prefix), -1):
            if loc[:end] in loaded.lines:
                return loaded.lines[loc[:end]]
    return 0


def check_stack(
    project_root: Path, stack_file: StackFile, load: Callable[[Path], LoadedSpec] = load_spec
) -> list[str]:
    """Every problem of the stack file and of the specs it deploys, as `file:line: key: message` lines.

    `load` reads a spec (`slipstack plan` passes the composition's cached loader: each file is parsed once).
    """
    try:
        config = stack_config(stack_file)
    except StackConfigError as error:
        return str(error).splitlines()
    problems: list[str] = []
    loaded: list[LoadedSpec] = []
    for relative in config.specs:
        try:
            loaded.append(load(project_root / relative))
        except SpecError as error:
            problems += [str(problem) for problem in error.problems]
    environment = config.environment
    names: dict[str, Path] = {}
    eks_models = []
    for spec_file in loaded:
        try:
            resolved = spec_file.for_environment(environment)
        except SpecError as error:
            problems += [str(problem) for problem in error.problems]
            continue
        spec = resolved.spec

        def at(*path: str, _file: LoadedSpec = spec_file) -> str:
            return f"{shown_path(_file.source)}:{_spec_line(_file, environment, *path)}"

        if resolved.name in names:
            problems.append(f"{at('metadata', 'name')}: metadata.name: model '{resolved.name}' is also deployed "
                            f"by {shown_path(names[resolved.name])} in stack '{config.stack}' (model names must be "
                            "unique within a stack)")
        names.setdefault(resolved.name, resolved.source)
        missing = [target for target in spec.targets if target not in config.targets]
        if missing:
            problems.append(
                f"{at('targets')}: targets: model '{resolved.name}' deploys to {', '.join(missing)} in {environment}, "
                f"but stack '{config.stack}' provides only {', '.join(config.targets)} "
                f"({stack_file.at(f'{NAMESPACE}:targets')}: add the target, or change "
                f"environments.{environment}.targets in the spec)"
            )
        on_eks = "onprem" in spec.targets and config.kubernetes.cluster == "eks"
        if on_eks and spec.metadata.data_classification == "restricted":
            problems.append(
                f"{at('metadata', 'data_classification')}: metadata.data_classification: model '{resolved.name}' is "
                f"restricted, but the Kubernetes target of stack '{config.stack}' is an EKS cluster in AWS (restricted "
                "models run only on an existing on-prem cluster: remove the spec from this stack)"
            )
            continue
        if on_eks:
            eks_models.append((resolved, at))
        quality = spec.monitoring.quality
        if ("aws" in spec.targets and quality is not None and quality.labels_uri and spec.monitoring.capture.enabled
                and not str(quality.labels_uri).startswith("s3://")):
            problems.append(f"{at('monitoring', 'quality', 'labels_uri')}: monitoring.quality.labels_uri: "
                            f"'{quality.labels_uri}' is not an s3:// URI (the AWS quality job reads its labels "
                            "from S3)")
    if eks_models:
        problems += _eks_entry_problems(config, stack_file, eks_models)
    return problems


def _eks_entry_problems(config: StackConfig, stack_file: StackFile, models: list[Any]) -> list[str]:
    problems: list[str] = []
    aws_key = f"{NAMESPACE}:aws"
    if not config.aws.vpc_id or len(config.aws.private_subnet_ids) < 2:
        problems.append(f"{stack_file.at(aws_key)}: {aws_key}: an EKS cluster needs vpc_id and at least two "
                        f"private_subnet_ids (add them, or set {NAMESPACE}:kubernetes.cluster: existing)")
    settings = config.aws.load_balancer
    public = bool(config.aws.public_subnet_ids) and not settings.internal
    for resolved, at in models:
        spec = resolved.spec
        tls = spec.security.tls
        if tls is None or tls.acm_certificate_arn is None:
            problems.append(
                f"{at('security', 'tls')}: security.tls.acm_certificate_arn: a model on the stack's EKS cluster is "
                "served through the HTTPS load balancer and needs an ACM certificate for its host (add tls.host and "
                "tls.acm_certificate_arn)"
            )
        classification = spec.metadata.data_classification
        if public and not settings.waf and settings.authentication is None and classification in PROTECTED_CLASSES:
            waf_at = stack_file.at(aws_key, "load_balancer", "waf")
            problems.append(
                f"{at('metadata', 'data_classification')}: metadata.data_classification: a {classification} model "
                f"may not be served on an internet-facing load balancer without a WAF or authentication ({waf_at}: "
                f"{aws_key}.load_balancer.waf is false: set it true, add load_balancer.authentication (oidc or "
                "cognito), or serve from an internal ALB with load_balancer.internal: true)"
            )
    return problems
