"""What must exist in a cluster before `pulumi up` of a stack, read from its plan, and a check against a cluster.

The list comes from the planned Kubernetes objects themselves, so it cannot drift from them:
- secrets (and the keys read from them) that pods mount or that AlertmanagerConfigs reference, unless an
  object of the plan produces them (a cert-manager Certificate writes its TLS secret);
- ConfigMaps pods mount (the private store's CA bundle);
- CRDs of every kind outside Kubernetes' own API groups, unless a Helm release of the plan installs them;
- controllers: the IngressClass of each Ingress, the cert-manager issuer it names, the Pushgateway Service the
  jobs push to (unless a planned release installs it);
- namespaces, with the labels that NetworkPolicies select them by.

`check_cluster` asks the cluster for each one through kubectl (`get --raw`, the API paths below), with the
stack's kubeconfig context or an explicit `--server`.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from contracts.errors import SlipstackError

# API groups every conformant cluster serves; anything else needs a CRD.
BUILT_IN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
                   "apiextensions.k8s.io", "storage.k8s.io", "coordination.k8s.io", "discovery.k8s.io"}
# Which chart of a planned Helm release installs a CRD group (the stack then provides it).
CHART_CRD_GROUPS = {"kube-prometheus-stack": {"monitoring.coreos.com"},
                    "aws-load-balancer-controller": {"elbv2.k8s.aws"},
                    "cert-manager": {"cert-manager.io", "acme.cert-manager.io"}}


class PreflightError(SlipstackError):
    exit_code = 2


@dataclass(frozen=True)
class Prerequisite:
    kind: str  # Secret, ConfigMap, CustomResourceDefinition, IngressClass, ClusterIssuer, Namespace
    name: str
    namespace: str | None = None
    keys: tuple[str, ...] = ()  # data keys a Secret/ConfigMap must hold
    labels: tuple[tuple[str, str], ...] = ()  # labels a Namespace must carry
    needed_by: tuple[str, ...] = ()

    def api_path(self) -> str:
        core = {"Secret": "secrets", "ConfigMap": "configmaps", "Service": "services"}
        if self.kind in core:
            return f"/api/v1/namespaces/{self.namespace}/{core[self.kind]}/{self.name}"
        if self.kind == "Namespace":
            return f"/api/v1/namespaces/{self.name}"
        if self.kind == "CustomResourceDefinition":
            return f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{self.name}"
        if self.kind == "IngressClass":
            return f"/apis/networking.k8s.io/v1/ingressclasses/{self.name}"
        if self.kind == "ClusterIssuer":
            return f"/apis/cert-manager.io/v1/clusterissuers/{self.name}"
        raise ValueError(self.kind)

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        extra = f" keys {', '.join(self.keys)}" if self.keys else ""
        extra += f" labels {', '.join(f'{k}={v}' for k, v in self.labels)}" if self.labels else ""
        return f"{self.kind} {where}{self.name}{extra}"


@dataclass
class _Collector:
    found: dict[tuple[str, str | None, str], dict[str, Any]] = field(default_factory=dict)

    def add(self, kind: str, name: str, namespace: str | None, needed_by: str, keys: tuple[str, ...] = (),
            labels: dict[str, str] | None = None) -> None:
        entry = self.found.setdefault((kind, namespace, name), {"keys": set(), "labels": {}, "needed_by": set()})
        entry["keys"].update(keys)
        entry["labels"].update(labels or {})
        entry["needed_by"].add(needed_by)

    def result(self) -> list[Prerequisite]:
        return [Prerequisite(kind, name, namespace, tuple(sorted(e["keys"])), tuple(sorted(e["labels"].items())),
                             tuple(sorted(e["needed_by"])))
                for (kind, namespace, name), e in sorted(self.found.items(), key=lambda i: (i[0][0], i[0][1] or "",
                                                                                            i[0][2]))]


def _pod_spec(manifest: dict[str, Any]) -> dict[str, Any] | None:
    spec = manifest.get("spec", {})
    if manifest.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec") if manifest.get("kind") in ("Deployment", "CronJob", "Job") else None


def _secret_refs(value: Any) -> list[tuple[str, str]]:
    """{name, key} selectors anywhere in an AlertmanagerConfig (authPassword, urlSecret, ...)."""
    found = []
    if isinstance(value, dict):
        if set(value) == {"name", "key"} and all(isinstance(v, str) for v in value.values()):
            found.append((value["name"], value["key"]))
        for item in value.values():
            found += _secret_refs(item)
    elif isinstance(value, list):
        for item in value:
            found += _secret_refs(item)
    return found


def prerequisites(plan: dict[str, Any]) -> list[Prerequisite]:
    manifests = [r["inputs"] for r in plan["resources"] if r["type"].startswith("kubernetes:")
                 and isinstance(r["inputs"].get("kind"), str) and r["type"] != "kubernetes:helm.sh/v3:Release"]
    releases = [r["inputs"] for r in plan["resources"] if r["type"] == "kubernetes:helm.sh/v3:Release"]
    provided_groups = {g for r in releases for g in CHART_CRD_GROUPS.get(str(r.get("chart")), set())}
    planned_namespaces = {m["metadata"]["name"] for m in manifests if m["kind"] == "Namespace"}
    planned_namespaces |= {str(r.get("namespace")) for r in releases if r.get("createNamespace")}
    produced_secrets = {(m["metadata"].get("namespace"), m["spec"]["secretName"]) for m in manifests
                        if m["kind"] == "Certificate" and m.get("spec", {}).get("secretName")}
    wanted = _Collector()
    for manifest in manifests:
        metadata = manifest.get("metadata", {})
        namespace = metadata.get("namespace")
        owner = f"{manifest['kind']} {namespace}/{metadata.get('name')}" if namespace else metadata.get("name", "")
        group = manifest["apiVersion"].rpartition("/")[0] if "/" in manifest["apiVersion"] else ""
        if group not in BUILT_IN_GROUPS and group not in provided_groups:
            wanted.add("CustomResourceDefinition", f"{manifest['kind'].lower()}s.{group}", None, owner)
        pod = _pod_spec(manifest)
        if pod is not None:
            keys_by_volume: dict[str, set[str]] = {}
            for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
                for mount in container.get("volumeMounts", []):
                    for var in container.get("env", []):
                        value = str(var.get("value", ""))
                        if value.startswith(mount["mountPath"].rstrip("/") + "/"):
                            keys_by_volume.setdefault(mount["name"], set()).add(value.rsplit("/", 1)[1])
            for volume in pod.get("volumes", []):
                keys = keys_by_volume.get(volume["name"], set())
                if "secret" in volume:
                    wanted.add("Secret", volume["secret"]["secretName"], namespace, owner, tuple(keys))
                elif "configMap" in volume:
                    items = tuple(i["key"] for i in volume["configMap"].get("items", [])) or tuple(keys)
                    wanted.add("ConfigMap", volume["configMap"]["name"], namespace, owner, items)
        for container in (pod or {}).get("containers", []):
            argv = [*container.get("command", []), *container.get("args", [])]
            if "--pushgateway" in argv and not any(r.get("chart") == "prometheus-pushgateway" for r in releases):
                host = urlsplit(argv[argv.index("--pushgateway") + 1]).hostname or ""
                service, _, rest = host.partition(".")
                wanted.add("Service", service, rest.split(".")[0], owner)
        if manifest["kind"] == "Ingress":
            spec = manifest.get("spec", {})
            if spec.get("ingressClassName"):
                wanted.add("IngressClass", spec["ingressClassName"], None, owner)
            issuer = metadata.get("annotations", {}).get("cert-manager.io/cluster-issuer")
            if issuer:
                wanted.add("ClusterIssuer", issuer, None, owner)
            for tls in spec.get("tls", []):
                if tls.get("secretName") and not issuer and (namespace, tls["secretName"]) not in produced_secrets:
                    wanted.add("Secret", tls["secretName"], namespace, owner, ("tls.crt", "tls.key"))
        if manifest["kind"] == "Certificate":
            issuer_ref = manifest.get("spec", {}).get("issuerRef", {})
            if issuer_ref.get("kind", "Issuer") == "ClusterIssuer":
                wanted.add("ClusterIssuer", issuer_ref["name"], None, owner)
        if manifest["kind"] == "AlertmanagerConfig":
            for name, key in _secret_refs(manifest.get("spec", {})):
                wanted.add("Secret", name, namespace, owner, (key,))
        if manifest["kind"] == "NetworkPolicy":
            rules = [*manifest["spec"].get("ingress", []), *manifest["spec"].get("egress", [])]
            for rule in rules:
                for peer in [*rule.get("from", []), *rule.get("to", [])]:
                    labels = peer.get("namespaceSelector", {}).get("matchLabels")
                    peer_namespace = (labels or {}).get("kubernetes.io/metadata.name")
                    if peer_namespace and peer_namespace not in planned_namespaces:
                        wanted.add("Namespace", peer_namespace, None, owner, labels=labels)
    return wanted.result()


@dataclass(frozen=True)
class Finding:
    prerequisite: Prerequisite
    present: bool
    problem: str | None = None  # what is wrong when not present


def _kubectl(path: str, context: str | None, server: str | None) -> tuple[int, str]:
    argv = ["kubectl"]
    if server:
        argv += ["--server", server]
    elif context:
        argv += ["--context", context]
    run = subprocess.run([*argv, "get", "--raw", path], capture_output=True, text=True, timeout=30, check=False)
    return run.returncode, run.stdout if run.returncode == 0 else run.stderr


def check_cluster(items: list[Prerequisite], context: str | None = None, server: str | None = None) -> list[Finding]:
    """Ask the cluster for each prerequisite; a cluster that cannot be reached is a PreflightError (exit 2)."""
    code, answer = _kubectl("/version", context, server)
    if code != 0:
        target = server or f"kubeconfig context {context}"
        raise PreflightError(f"cannot reach the cluster at {target}: {answer.strip()} (check the context with "
                             "`kubectl config get-contexts`, or run preflight without --check to only list)")
    findings = []
    for item in items:
        code, answer = _kubectl(item.api_path(), context, server)
        if code != 0:
            reason = "not found" if "NotFound" in answer or "not found" in answer else answer.strip()
            findings.append(Finding(item, False, reason))
            continue
        document = json.loads(answer)
        if item.keys:
            missing = [k for k in item.keys if k not in (document.get("data") or {})]
            if missing:
                findings.append(Finding(item, False, f"has no key(s) {', '.join(missing)}"))
                continue
        if item.labels:
            labels = document.get("metadata", {}).get("labels") or {}
            wrong = [f"{k}={v}" for k, v in item.labels if labels.get(k) != v]
            if wrong:
                findings.append(Finding(item, False, f"lacks label(s) {', '.join(wrong)}"))
                continue
        findings.append(Finding(item, True))
    return findings
