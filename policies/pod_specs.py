"""Pod specs and containers of Kubernetes workloads, wherever each kind keeps its pod template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import read, read_list, read_map

WORKLOAD_TYPES = t.K8S_WORKLOADS
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def pod_spec_path(props: Mapping[str, Any]) -> tuple[str, ...]:
    if read(props, "kind") == "CronJob" or read(props, "spec", "jobTemplate") is not None:
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return ("spec", "template", "spec")


def pod_spec(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return read_map(props, *pod_spec_path(props))


def containers(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, container) for every container and init container, e.g. ("containers[0] model", {...})."""
    spec = pod_spec(props)
    found = []
    for kind in CONTAINER_LISTS:
        for index, container in enumerate(read_list(spec, kind)):
            if isinstance(container, Mapping):
                name = container.get("name") or "?"
                found.append((f"{kind}[{index}] {name}", container))
    return found


def is_long_running(props: Mapping[str, Any]) -> bool:
    return read(props, "kind") not in ("Job", "CronJob") and not (read(props, "spec", "jobTemplate") is not None)


def effective(container: Mapping[str, Any], spec: Mapping[str, Any], key: str) -> Any:
    """A security setting as the kubelet applies it: the container's, else the pod's."""
    value = read(container, "securityContext", key)
    return value if value is not None else read(spec, "securityContext", key)


def metadata_text(props: Mapping[str, Any], key: str, default: str = "") -> str:
    """metadata.<key> as a string stack rules can index by; a value of another shape becomes its repr
    (it then matches nothing, which is the truth: such a name names nothing)."""
    value = read(props, "metadata", key)
    if value is None or value == "":
        return default
    return value if isinstance(value, str) else repr(value)


def namespace_of(props: Mapping[str, Any]) -> str:
    return metadata_text(props, "namespace", "default")
