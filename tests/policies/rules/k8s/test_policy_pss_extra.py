"""Cases for K8S-PSS-EXTRA."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided, workload

from policies.rules.k8s.pss_extra import RULE

CASES = [
    (
        "pass",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload(
            {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}, "procMount": "Default"}},
            pod={
                "volumes": [{"name": "m", "emptyDir": {}}, {"name": "s", "secret": {"secretName": "x"}}],
                "securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65000"}]},
            },
        ),
        [],
    ),
    (
        "apparmor unconfined",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}),
        ["containers[0] model: appArmorProfile.type is Unconfined"],
    ),
    (
        "selinux",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload(pod={"securityContext": {"seLinuxOptions": {"type": "spc_t", "user": "root"}}}),
        [
            "pod securityContext: seLinuxOptions.type 'spc_t' is not a container type",
            "pod securityContext: seLinuxOptions.user may not be set",
        ],
    ),
    (
        "unmasked proc",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload({"securityContext": {"procMount": "Unmasked"}}),
        ["containers[0] model: procMount is 'Unmasked', must be Default"],
    ),
    (
        "unsafe sysctl",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload(pod={"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}),
        ["securityContext.sysctls[0] 'kernel.msgmax' is not a safe sysctl"],
    ),
    (
        "nfs volume",
        "prod",
        "kubernetes:batch/v1:CronJob",
        workload(pod={"volumes": [{"name": "n", "nfs": {"server": "x", "path": "/"}}]}, kind="CronJob"),
        ["volumes[0] uses nfs, which the restricted standard does not allow"],
    ),
    ("missing", "prod", "kubernetes:apps/v1:Deployment", workload(), []),
    (
        "unknown",
        "prod",
        "kubernetes:apps/v1:Deployment",
        workload({"securityContext": {"procMount": UNKNOWN}}),
        [undecided("procMount")],
    ),
]


CASES += [
    (
        "host process",
        "prod",
        None,
        workload({"securityContext": {"windowsOptions": {"hostProcess": True}}}),
        ["containers[0] model: windowsOptions.hostProcess is true (a HostProcess container is the node)"],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
