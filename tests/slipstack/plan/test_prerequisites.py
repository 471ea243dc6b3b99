"""`slipstack preflight`: the prerequisites come from the plan, and kubectl against an API server finds the gaps.

The cluster is a small HTTP server on 127.0.0.1 answering the Kubernetes API paths kubectl asks for (`get
--raw`), holding some of the objects; kubectl itself, a client we did not write, does the asking.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from slipstack.plan.prerequisites import Prerequisite, prerequisites
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl missing: make system-deps")


def preflight(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-c", "from slipstack.cli import main; main()", "preflight", "--stack",
                           "dev", "--project-dir", str(REPO_ROOT), *args], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def _not_found(path: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
            "message": f"{path} not found"}


@pytest.fixture
def api_server() -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    objects: dict[str, dict[str, Any]] = {"/version": {"major": "1", "minor": "31", "gitVersion": "v1.31.0"}}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = objects.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body if body is not None else _not_found(self.path)).encode())

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", objects
    finally:
        server.shutdown()


def test_dev_prerequisites_name_every_secret_crd_controller_and_namespace(
    shipped_plan: Callable[[str], dict[str, Any]],
) -> None:
    items = {(i.kind, i.namespace, i.name): i for i in prerequisites(shipped_plan("dev"))}
    credentials = items[("Secret", "breast-cancer-screening-dev", "artifact-store-credentials")]
    assert credentials.keys == ("credentials",)
    assert items[("Secret", "breast-cancer-screening-dev", "smtp-relay")].keys == ("password",)
    assert items[("ConfigMap", "diabetes-progression-dev", "internal-ca")].keys == ("ca.crt",)
    crds = {name for kind, _, name in items if kind == "CustomResourceDefinition"}
    assert crds == {"servicemonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com",
                    "alertmanagerconfigs.monitoring.coreos.com", "certificates.cert-manager.io"}
    assert ("IngressClass", None, "nginx") in items
    assert ("Service", "monitoring", "prometheus-pushgateway") in items
    assert items[("Namespace", None, "ingress-nginx")].labels == (("kubernetes.io/metadata.name", "ingress-nginx"),)


def test_staging_needs_only_what_the_stack_does_not_install(shipped_plan: Callable[[str], dict[str, Any]]) -> None:
    kinds = {(i.kind, i.name) for i in prerequisites(shipped_plan("staging"))}
    # The stack installs the operator, the Pushgateway and the load balancer controller (their CRDs included).
    assert not [k for k in kinds if k[0] in ("CustomResourceDefinition", "IngressClass", "Service")]
    assert ("Secret", "sms-gateway") in kinds


def test_preflight_check_reports_what_the_cluster_lacks(api_server: tuple[str, dict[str, Any]]) -> None:
    url, objects = api_server
    listed = preflight()
    assert listed.returncode == 0, listed.stderr
    assert "Secret breast-cancer-screening-dev/artifact-store-credentials keys credentials" in listed.stdout
    checked = preflight("--check", "--server", url)
    assert checked.returncode == 1, checked.stderr
    assert "artifact-store-credentials keys credentials: MISSING: not found" in checked.stdout
    # Put everything in the cluster, with one secret lacking its key and one namespace lacking its label.
    from slipstack.plan.runner import find_project, plan_stack

    plan = plan_stack("dev", find_project(REPO_ROOT), None).document
    items: list[Prerequisite] = prerequisites(plan)
    for item in items:
        objects[item.api_path()] = {"metadata": {"name": item.name, "labels": dict(item.labels)},
                                    "data": dict.fromkeys(item.keys, "eA==")}
    for smtp in (i for i in items if i.name == "smtp-relay"):
        objects[smtp.api_path()]["data"] = {"user": "eA=="}
    monitoring = next(i for i in items if i.kind == "Namespace" and i.name == "monitoring")
    objects[monitoring.api_path()]["metadata"]["labels"] = {}
    checked = preflight("--check", "--server", url)
    assert checked.returncode == 1, checked.stderr
    missing = [line for line in checked.stdout.splitlines() if "MISSING" in line]
    assert len(missing) == 3, checked.stdout  # smtp-relay in both namespaces, the monitoring namespace's label
    assert all("has no key(s) password" in line for line in missing if "smtp-relay" in line)
    assert any("lacks label(s) kubernetes.io/metadata.name=monitoring" in line for line in missing)


def test_an_unreachable_cluster_is_bad_input() -> None:
    result = preflight("--check", "--server", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "error: cannot reach the cluster" in result.stderr
