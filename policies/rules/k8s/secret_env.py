"""K8S-SECRET-ENV: secrets reach containers as files, not environment variables.

The environment leaks into logs, crash dumps and every child process; a mounted file does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.pod_specs import WORKLOAD_TYPES, containers
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for label, container in containers(props):
        for index, _ in enumerate(read_list(container, "env")):
            if read(container, "env", index, "valueFrom", "secretKeyRef") is not None:
                name = read(container, "env", index, "name")
                problems.append(f"{label}: env[{index}] {name} comes from a secret; mount the secret as a file")
        for index, _ in enumerate(read_list(container, "envFrom")):
            if read(container, "envFrom", index, "secretRef") is not None:
                problems.append(f"{label}: envFrom[{index}] loads a whole secret into the environment")
    return verdict(problems)


RULE = Rule(
    id="K8S-SECRET-ENV",
    description="Containers read secrets from mounted files, never from env or envFrom.",
    severity="medium",
    remediation="Mount the secret as a read-only volume and point the process at the file.",
    anchors=("CKV_K8S_35", "Polaris sensitiveContainerEnvVar"),
    enforcement="M",
    resource_types=WORKLOAD_TYPES,
    check=check,
)
