"""Start and stop MLServer for a packaged artifact, the way the serving image does.

Settings travel as MLSERVER_* environment variables rather than a settings.json, because the
artifact directory must hold exactly the files its manifest lists (and is read-only in the pod).
The server's working directory is a scratch directory, where MLServer keeps its metrics files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from model_packaging.serving_contract import MAX_REQUEST_BODY_ENV, READINESS_PATH, SERVER_MODULE
from model_server.errors import ServerStartError

# The configuration bench/serving_bench.py measured fastest on 2 cores for 1-row requests: inference
# in the server process (no worker pool hop), ONNX Runtime with one intra-op thread, no adaptive
# batching (it only adds the batch wait when a request is ~0.2 ms of work).
DEFAULT_PARALLEL_WORKERS = 0


@dataclass(frozen=True)
class ServerPorts:
    http: int
    grpc: int
    metrics: int


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_ports(host: str = "127.0.0.1") -> ServerPorts:
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port(host))
    http, grpc, metrics = sorted(ports)
    return ServerPorts(http, grpc, metrics)


def server_environment(ports: ServerPorts, host: str = "127.0.0.1",
                       parallel_workers: int = DEFAULT_PARALLEL_WORKERS, debug: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "MLSERVER_HOST": host,
        "MLSERVER_HTTP_PORT": str(ports.http),
        "MLSERVER_GRPC_PORT": str(ports.grpc),
        "MLSERVER_METRICS_PORT": str(ports.metrics),
        "MLSERVER_PARALLEL_WORKERS": str(parallel_workers),
        "MLSERVER_DEBUG": "true" if debug else "false",
        # The repository root itself, so `slipstack serve` can run from any directory.
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]),
    })
    return env


def start_server(model_directory: Path, ports: ServerPorts, workdir: Path, host: str = "127.0.0.1",
                 parallel_workers: int = DEFAULT_PARALLEL_WORKERS, quiet: bool = True,
                 max_body_bytes: int | None = None, plain_mlserver: bool = False,
                 extra_env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start the serving image's server process (`python -m model_server.start`) on `model_directory`.

    `plain_mlserver` runs `mlserver start` instead (no body limit): only for benchmarking MLServer itself.
    `extra_env` carries the runtime's settings (SLIPSTACK_CACHE_*, SLIPSTACK_CAPTURE_*), as the pod's env does.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "mlserver.log").open("wb") if quiet else None
    env = server_environment(ports, host, parallel_workers)
    if max_body_bytes is not None:
        env[MAX_REQUEST_BODY_ENV] = str(max_body_bytes)
    env.update(extra_env or {})
    command = ([str(Path(sys.executable).with_name("mlserver")), "start"] if plain_mlserver
               else [sys.executable, "-m", SERVER_MODULE])
    return subprocess.Popen(
        [*command, str(model_directory)],
        cwd=workdir,
        env=env,
        stdout=log, stderr=subprocess.STDOUT if quiet else None,
        start_new_session=True,  # its worker processes form one group that stop_server can end
    )


def wait_ready(process: subprocess.Popen[bytes], base_url: str, timeout: float = 60.0, path: str = READINESS_PATH,
               ) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"the model server exited with code {process.returncode} before it became ready "
                                   "(its log above / mlserver.log in the server's working directory says why)")
        try:
            if httpx.get(base_url + path, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ServerStartError(f"the model server did not become ready at {base_url}{path} within {timeout:.0f} s")


def stop_server(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM, wait, then SIGKILL the server's process group: MLServer 1.7 may not exit on SIGTERM."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def listens_on(process: subprocess.Popen[bytes], port: int) -> bool:
    """Whether `process` or one of its children is the one listening on `port`.

    A readiness answer alone does not prove it: another server that took the port between our check and
    MLServer's bind (MLServer then logs the bind error and keeps running) answers the probe just as well.
    """
    import psutil

    try:
        root = psutil.Process(process.pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return False
    for member in tree:
        try:
            connections = member.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in connections):
            return True
    return False
