"""The Pulumi CLI as the delivery commands drive it: one subprocess per call, output parsed as JSON.

Deploys run the real program under the real engine (`pulumi up`), with the policy pack, so the verdict
that gates a merge is the one that gates the deploy. Nothing here talks to a backend directly.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstack.delivery.errors import DeliveryInputError, DeployFailedError

PULUMI = os.environ.get("SLIPSTACK_PULUMI", "pulumi")


@dataclass(frozen=True)
class PulumiCli:
    project_root: Path
    stack: str

    def _run(self, args: Sequence[str], *, capture: bool = False, timeout: float = 3600) -> str:
        command = [PULUMI, *args, "--stack", self.stack, "--non-interactive"]
        try:
            completed = subprocess.run(
                command, cwd=self.project_root, text=True, timeout=timeout,
                stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None,
            )
        except FileNotFoundError:
            raise DeliveryInputError(
                f"the Pulumi CLI ({PULUMI}) is not installed; install the version requirements.txt pins for "
                "the SDK (the workflows do it with pulumi/actions `pulumi-version`)"
            ) from None
        except subprocess.TimeoutExpired:
            raise DeployFailedError(f"`{' '.join(command)}` did not finish in {timeout:.0f} s") from None
        if completed.returncode != 0:
            detail = (completed.stderr or "").strip().splitlines()[-5:] if capture else []
            raise DeployFailedError(
                f"`{' '.join(command)}` failed with exit code {completed.returncode}"
                + (": " + " | ".join(detail) if detail else "")
            )
        return completed.stdout or ""

    def select(self, secrets_provider: str | None) -> None:
        """Select the stack, creating it (with its secrets provider) on the first deploy."""
        args = ["stack", "select", "--create"]
        if secrets_provider:
            args += ["--secrets-provider", secrets_provider]
        self._run(args)

    def up(self, policy_pack: Path, policy_config: Path, targets: Sequence[str] = (), message: str = "") -> None:
        args = ["up", "--yes", "--skip-preview", "--policy-pack", str(policy_pack),
                "--policy-pack-config", str(policy_config)]
        for urn in targets:
            args += ["--target", urn]
        if message:
            args += ["--message", message]
        self._run(args)

    def outputs(self) -> dict[str, Any]:
        text = self._run(["stack", "output", "--json", "--show-secrets"], capture=True, timeout=300)
        try:
            value = json.loads(text or "{}")
        except json.JSONDecodeError as error:
            raise DeployFailedError(f"`pulumi stack output --json` printed no JSON ({error})") from None
        return value if isinstance(value, dict) else {}

    def tags(self) -> dict[str, str]:
        text = self._run(["stack", "tag", "ls", "--json"], capture=True, timeout=300)
        try:
            value = json.loads(text or "{}")
        except json.JSONDecodeError as error:
            raise DeployFailedError(f"`pulumi stack tag ls --json` printed no JSON ({error})") from None
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def set_tag(self, name: str, value: str) -> None:
        self._run(["stack", "tag", "set", name, value], timeout=300)
