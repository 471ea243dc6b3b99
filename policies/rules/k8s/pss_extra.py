"""K8S-PSS-EXTRA: the Pod Security Standards controls the other rules do not cover, judged at preview
(admission would reject them only at deploy time): HostProcess, AppArmor, SELinux, /proc mount, sysctls,
volume types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.pod_specs import WORKLOAD_TYPES, containers, pod_spec
from policies.rule import Outcome, Rule, RuleContext, read, read_list, read_map, verdict

# PSS baseline: the sysctls known to be namespaced and safe.
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
# PSS restricted: the only volume sources a pod may use.
ALLOWED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
SELINUX_TYPES = frozenset({"container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _context_problems(where: str, security: Mapping[str, Any]) -> list[str]:
    problems = []
    if read(security, "appArmorProfile", "type") == "Unconfined":
        problems.append(f"{where}: appArmorProfile.type is Unconfined")
    selinux = read_map(security, "seLinuxOptions")
    kind = read(security, "seLinuxOptions", "type")
    if kind is not None and not (isinstance(kind, str) and kind in SELINUX_TYPES):
        problems.append(f"{where}: seLinuxOptions.type {kind!r} is not a container type")
    for key in ("user", "role"):
        if selinux.get(key):
            problems.append(f"{where}: seLinuxOptions.{key} may not be set")
    if read(security, "windowsOptions", "hostProcess") is True:
        problems.append(f"{where}: windowsOptions.hostProcess is true (a HostProcess container is the node)")
    mount = read(security, "procMount")
    if mount is not None and mount != "Default":
        problems.append(f"{where}: procMount is {mount!r}, must be Default")
    return problems


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    spec = pod_spec(props)
    problems = _context_problems("pod securityContext", read_map(spec, "securityContext"))
    for label, container in containers(props):
        problems += _context_problems(label, read_map(container, "securityContext"))
    for index, _ in enumerate(read_list(spec, "securityContext", "sysctls")):
        name = read(spec, "securityContext", "sysctls", index, "name")
        if not (isinstance(name, str) and name in SAFE_SYSCTLS):
            problems.append(f"securityContext.sysctls[{index}] {name!r} is not a safe sysctl")
    for index, _ in enumerate(read_list(spec, "volumes")):
        volume = read_map(spec, "volumes", index)
        kinds = sorted(str(k) for k in volume if k != "name")
        for kind in kinds:
            if kind not in ALLOWED_VOLUMES:
                problems.append(f"volumes[{index}] uses {kind}, which the restricted standard does not allow")
    template = (
        ("spec", "jobTemplate", "spec", "template")
        if read(props, "spec", "jobTemplate") is not None
        else ("spec", "template")
    )
    for key, value in read_map(props, *template, "metadata", "annotations").items():
        if str(key).startswith(APPARMOR_ANNOTATION) and value == "unconfined":
            problems.append(f"annotation {key} is unconfined")
    return verdict(problems)


RULE = Rule(
    id="K8S-PSS-EXTRA",
    description=(
        "Pods use no HostProcess, unconfined AppArmor, custom SELinux, unmasked /proc, unsafe sysctls "
        "or disallowed volume types."
    ),
    severity="high",
    remediation="Drop the setting; use only the volume types of the restricted Pod Security Standard.",
    anchors=(
        "PSS-B HostProcess",
        "PSS-B AppArmor",
        "PSS-B SELinux",
        "PSS-B /proc Mount Type",
        "PSS-B Sysctls",
        "PSS-R Volume Types",
    ),
    enforcement="M",
    resource_types=WORKLOAD_TYPES,
    check=check,
)
