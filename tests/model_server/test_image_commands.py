"""Every command the shipped stacks give the serving image exists in it and does its job there.

The commands, args, env, volumes and users come from the planned stacks (the same plan `slipstack plan`
writes: Deployments, CronJobs, and the SageMaker Processing jobs of the Step Functions definitions that
run our image); the image is the one model_server/Dockerfile builds (tests/model_server/image_environment.py
interprets the Dockerfile). Each pod runs as its manifest says: its init containers, then its containers, as
runAsUser/runAsGroup with fsGroup, read-only root except the mounted emptyDirs, on the example models.

What stands in for the cluster (the only values the test changes, each checked against the stack first):
- S3 and the on-prem store: a moto server on 127.0.0.1; the pod's AWS_ENDPOINT_URL_S3 (or, for pods that
  read AWS S3, an added one) points at it. The artifact is published there with `slipstack publish`.
- the credentials secret: a credentials file for the stand-in, under the key the pod's env names; on EKS the
  pod identity webhook's env and token file, exchanged at the stand-in's STS.
- the Pushgateway: prometheus-pushgateway on 127.0.0.1, replacing the `--pushgateway` URL.
- ports: MLServer's three ports move to free ones (the machine is shared); probes follow the names.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from model_server.launch import free_port
from tests.model_server.image_environment import Image, Mount

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod")
WORKLOAD_KINDS = ("Deployment", "CronJob", "Job")
PORT_ENV = ("MLSERVER_HTTP_PORT", "MLSERVER_GRPC_PORT", "MLSERVER_METRICS_PORT")
PUSHGATEWAY = shutil.which("prometheus-pushgateway")
# What the moto stand-in accepts; nothing real.
STANDIN_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "eu-west-1"


# --- the stacks' workloads -------------------------------------------------------------------------------


def workloads(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["inputs"] for r in plan["resources"]
            if r["type"].startswith("kubernetes:") and r["inputs"].get("kind") in WORKLOAD_KINDS]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def processing_jobs(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The Processing job parameters of every state machine whose task runs an image (SageMaker jobs)."""
    jobs = []
    for resource in plan["resources"]:
        if resource["type"] != "aws:sfn/stateMachine:StateMachine":
            continue
        for state in json.loads(resource["inputs"]["definition"])["States"].values():
            if state.get("Resource", "").startswith("arn:aws:states:::sagemaker:createProcessingJob"):
                jobs.append(state["Parameters"])
    return jobs


def argv_of(container: dict[str, Any]) -> list[str]:
    # An empty command means the image's ENTRYPOINT; every stack container names its command.
    assert container.get("command"), f"container {container['name']} relies on the image ENTRYPOINT"
    return [*container["command"], *container.get("args", [])]


# --- the image (tests/model_server/conftest.py builds it once per session) ------------------------------


def _probe(image: Image, scratch: Path, argv: list[str]) -> tuple[int, str]:
    run = image.run(argv, scratch=scratch, mounts=[], workdir="/tmp")
    assert isinstance(run, subprocess.CompletedProcess)
    return run.returncode, run.stdout + run.stderr


def command_exists(image: Image, scratch: Path, argv: list[str]) -> tuple[bool, str]:
    """Whether the image provides argv's program: the executable, `python -m` module or CLI subcommand."""
    if argv[:2] == ["python", "-m"]:
        code, out = _probe(image, scratch, ["python", "-c", f"import importlib.util,sys; "
                                            f"sys.exit(importlib.util.find_spec({argv[2]!r}) is None)"])
        return code == 0, out
    if argv[0] == "slipstack":
        path = [argv[1]] + ([argv[2]] if len(argv) > 2 and not argv[2].startswith("-") else [])
        code, out = _probe(image, scratch, ["slipstack", *path, "--help"])
        return code == 0, out
    # The root borrows this machine's /usr, which has programs the slim base image lacks: only what the image
    # installed into /opt/venv counts.
    code, out = _probe(image, scratch, ["sh", "-c", f"command -v {argv[0]}"])
    return code == 0 and out.strip().startswith("/opt/venv/bin/"), out


@pytest.mark.parametrize("stack", STACKS)
def test_every_command_of_the_stack_exists_in_the_image(
    stack: str, shipped_plan: Callable[[str], dict[str, Any]], image: Image, tmp_path: Path
) -> None:
    plan = shipped_plan(stack)
    commands = {tuple(argv_of(c)[:3]) for w in workloads(plan) for c in containers(w)}
    commands |= {tuple(job["AppSpecification"]["ContainerEntrypoint"][:3]) for job in processing_jobs(plan)}
    assert commands, f"stack {stack} runs no command in the image"
    missing = {}
    for argv in sorted(commands):
        ok, output = command_exists(image, tmp_path, list(argv))
        if not ok:
            missing[" ".join(argv)] = output[-500:]
    assert missing == {}


def test_a_command_the_image_lacks_is_detected(image: Image, tmp_path: Path) -> None:
    assert command_exists(image, tmp_path, ["slipstack", "drift", "--current", "x"])[0]
    assert command_exists(image, tmp_path, ["python", "-m", "model_packaging.fetch"])[0]
    assert not command_exists(image, tmp_path, ["slipstack", "no-such-command"])[0]
    assert not command_exists(image, tmp_path, ["python", "-m", "model_server.no_such_module"])[0]
    assert not command_exists(image, tmp_path, ["kubectl", "version"])[0]


def test_the_image_runs_as_its_user_with_a_read_only_root(image: Image, tmp_path: Path) -> None:
    code, out = _probe(image, tmp_path, ["sh", "-c", "id -u; id -g; touch /opt/venv/x || echo venv-ro; "
                                                     "touch /tmp/x || echo root-ro"])
    assert code == 0
    assert out.split()[:2] == ["10001", "10001"]
    assert "venv-ro" in out and "root-ro" in out


# --- stand-ins for what the cluster provides --------------------------------------------------------------


@dataclass(frozen=True)
class S3StandIn:
    """moto's S3/STS/KMS on 127.0.0.1, over HTTP and over HTTPS with a certificate of a private CA."""

    http: str
    https: str
    ca_pem: str


def _private_ca() -> tuple[str, str, str]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it (PEM: ca, cert, key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "slipstack test store CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return ca.public_bytes(pem).decode(), cert.public_bytes(pem).decode(), key_pem


@pytest.fixture(scope="module")
def s3_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3StandIn]:
    """One moto backend behind two listeners: HTTP (AWS S3 as pods without a CA bundle see it) and HTTPS signed by
    a private CA (the on-prem store: only a container given that CA bundle can verify it)."""
    import ssl
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    ca_pem, cert_pem, key_pem = _private_ca()
    folder = tmp_path_factory.mktemp("store-tls")
    (folder / "cert.pem").write_text(cert_pem)
    (folder / "key.pem").write_text(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    app = DomainDispatcherApplication(create_backend_app)
    servers = [make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler),
               make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler,
                           ssl_context=context)]
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    try:
        yield S3StandIn(http=f"http://127.0.0.1:{servers[0].server_port}",
                        https=f"https://127.0.0.1:{servers[1].server_port}", ca_pem=ca_pem)
    finally:
        for server in servers:
            server.shutdown()


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PUSHGATEWAY is None:
        pytest.fail("prometheus-pushgateway is not installed: `make system-deps` (.ci/debian-packages)")
    port = free_port()
    process = subprocess.Popen([PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/-/ready", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _s3(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", region_name=REGION, endpoint_url=endpoint, **STANDIN_KEYS)


def _bucket(endpoint: str, name: str) -> None:
    client = _s3(endpoint)
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})


def publish(endpoint: str, artifact: Path, uri: str) -> None:
    """Publish the packaged artifact with `slipstack publish` (what the pipeline runs) to the bucket the pod reads."""
    import boto3

    bucket = uri.removeprefix("s3://").split("/", 1)[0]
    _bucket(endpoint, bucket)
    key = boto3.client("kms", region_name=REGION, endpoint_url=endpoint, **STANDIN_KEYS).create_key()
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION,
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PYTHONPATH": str(REPO)}
    run = subprocess.run([str(REPO / ".venv/bin/slipstack"), "publish", str(artifact), "--bucket", bucket,
                          "--kms-key-id", key["KeyMetadata"]["KeyId"]], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert uri in run.stdout, f"the pod fetches {uri}, `slipstack publish` wrote:\n{run.stdout}"


# --- running a pod -----------------------------------------------------------------------------------------


class Pod:
    """One pod of a workload: its volumes on this machine, its containers run in the image."""

    def __init__(self, image: Image, workload: dict[str, Any], service_account: dict[str, Any] | None,
                 scratch: Path, s3: S3StandIn, pushgateway: str | None):
        self.image, self.workload, self.scratch, self.s3, self.pushgateway = image, workload, scratch, s3, pushgateway
        self.spec = pod_spec(workload)
        security = self.spec.get("securityContext", {})
        self.fs_group = security.get("fsGroup")
        self.service_account = service_account
        self.volumes: dict[str, tuple[Path, bool]] = {}
        self.ports: dict[str, int] = {}
        for volume in self.spec.get("volumes", []):
            self.volumes[volume["name"]] = self._volume(volume)

    def _volume(self, volume: dict[str, Any]) -> tuple[Path, bool]:
        path = self.scratch / "volumes" / volume["name"]
        path.mkdir(parents=True)
        group = self.fs_group or 0
        if "emptyDir" in volume:
            # kubelet: an emptyDir owned by fsGroup, group-writable, setgid.
            os.chown(path, 0, group)
            path.chmod(0o2777 if self.fs_group is None else 0o2775)
            return path, False
        if "secret" in volume:
            secret = volume["secret"]
            assert not secret.get("optional"), (
                f"volume {volume['name']}: secret {secret['secretName']} is mounted optional, so a missing secret "
                "shows only as a failed download"
            )
            for key, text in self.secret_files(secret["secretName"]).items():
                (path / key).write_text(text)
                os.chown(path / key, 0, group)
                (path / key).chmod(secret.get("defaultMode", 0o644))
            os.chown(path, 0, group)
            return path, True
        if "configMap" in volume:
            config_map = volume["configMap"]
            assert not config_map.get("optional"), f"volume {volume['name']}: ConfigMap mounted optional"
            for item in config_map.get("items", []):
                # The only ConfigMap the stacks mount is the store's CA bundle.
                (path / item["path"]).write_text(self.s3.ca_pem)
                (path / item["path"]).chmod(config_map.get("defaultMode", 0o644))
            return path, True
        raise AssertionError(f"volume kind of {volume} is not modelled by this test")

    def secret_files(self, name: str) -> dict[str, str]:
        for container in containers(self.workload):
            for var in container.get("env", []):
                if var["name"] == "AWS_SHARED_CREDENTIALS_FILE":
                    key = Path(var["value"]).name
                    lines = "".join(f"{k} = {v}\n" for k, v in STANDIN_KEYS.items())
                    return {key: "[default]\n" + lines}
        raise AssertionError(f"secret {name}: no container says which key it reads")

    def env(self, container: dict[str, Any]) -> dict[str, str]:
        env: dict[str, str] = {}
        for var in container.get("env", []):
            assert "value" in var, f"{container['name']}: env {var['name']} is not a plain value: {var}"
            env[var["name"]] = var["value"]
        for name in PORT_ENV:
            if name in env:
                self.ports.setdefault(name, free_port())
                env[name] = str(self.ports[name])
        # A container given a CA bundle reaches the private-CA listener (the on-prem store); without one, the store
        # must be one whose certificate the public roots verify, which the plain listener stands in for.
        env["AWS_ENDPOINT_URL_S3"] = self.s3.https if "AWS_CA_BUNDLE" in env else self.s3.http
        env.setdefault("AWS_DEFAULT_REGION", REGION)
        annotations = (self.service_account or {}).get("metadata", {}).get("annotations", {})
        role = annotations.get("eks.amazonaws.com/role-arn")
        if role is not None and "AWS_SHARED_CREDENTIALS_FILE" not in env:
            # What the EKS pod identity webhook injects; STS is the stand-in's.
            env.update({"AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks.amazonaws.com/"
                        "serviceaccount/token", "AWS_ENDPOINT_URL_STS": self.s3.http, "AWS_REGION": REGION})
        return env

    def mounts(self, container: dict[str, Any]) -> list[Mount]:
        mounts = []
        for mount in container.get("volumeMounts", []):
            host, read_only = self.volumes[mount["name"]]
            mounts.append(Mount(host, mount["mountPath"], read_only or bool(mount.get("readOnly"))))
        if "AWS_ROLE_ARN" in self.env(container):
            token = self.scratch / "volumes" / "aws-iam-token"
            token.mkdir(exist_ok=True)
            (token / "token").write_text("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")
            (token / "token").chmod(0o644)
            mounts.append(Mount(token, "/var/run/secrets/eks.amazonaws.com/serviceaccount", True))
        return mounts

    def argv(self, container: dict[str, Any]) -> list[str]:
        argv = argv_of(container)
        if "--pushgateway" in argv:
            assert self.pushgateway is not None
            argv[argv.index("--pushgateway") + 1] = self.pushgateway
        return argv

    def start(self, container: dict[str, Any], *, popen: bool, log: Path | None = None) -> Any:
        security = {**self.spec.get("securityContext", {}), **container.get("securityContext", {})}
        user = (security["runAsUser"], security.get("runAsGroup", security["runAsUser"]))
        assert security.get("runAsNonRoot") and user[0] != 0, f"{container['name']} may run as root"
        stdout = log.open("w") if log is not None else subprocess.PIPE
        return self.image.run(
            self.argv(container), scratch=self.scratch, mounts=self.mounts(container), env=self.env(container),
            workdir=container.get("workingDir"), read_only_root=bool(security.get("readOnlyRootFilesystem")),
            user=user, groups=[self.fs_group] if self.fs_group is not None else [], popen=popen, stdout=stdout,
        )

    def run_init_containers(self) -> None:
        for container in self.spec.get("initContainers", []):
            run = self.start(container, popen=False)
            assert run.returncode == 0, f"init container {container['name']} failed:\n{run.stdout}\n{run.stderr}"


def assert_fetch_needs_the_ca_bundle(pod: Pod, fetch: dict[str, Any]) -> None:
    """The CA bundle is what makes the private store verifiable: without it the same fetch fails, and says why."""
    env = pod.env(fetch)
    if "AWS_CA_BUNDLE" not in env:
        return
    bare = {**fetch, "env": [v for v in fetch["env"] if v["name"] != "AWS_CA_BUNDLE"]}
    original = pod.env
    pod.env = lambda container: {**original(container), "AWS_ENDPOINT_URL_S3": pod.s3.https}  # type: ignore[method-assign]
    try:
        run = pod.start(bare, popen=False)
    finally:
        pod.env = original  # type: ignore[method-assign]
    assert run.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in run.stdout + run.stderr or "certificate" in (run.stdout + run.stderr)


def _reference_rows(model: str) -> list[dict[str, str]]:
    with (REPO / "examples" / "artifacts" / model / "reference.csv").open() as handle:
        return list(csv.DictReader(handle))


def _requests(manifest: dict[str, Any], model: str, count: int) -> list[dict[str, Any]]:
    """V2 requests built from the example request, one reference row each."""
    template = manifest["example"]["request"]
    bodies = []
    for row in _reference_rows(model)[:count]:
        body = json.loads(json.dumps(template))
        for tensor in body["inputs"]:
            value = float(row[tensor["name"]])
            tensor["data"] = [int(value) if tensor["datatype"].startswith("INT") else value]
        bodies.append(body)
    return bodies


def serve(pod: Pod, container: dict[str, Any], model: str, manifest: dict[str, Any], requests: int) -> None:
    """Start the server container, wait for its readiness probe, send requests with httpx, stop it by SIGTERM."""
    log = pod.scratch / f"{container['name']}.log"
    process = pod.start(container, popen=True, log=log)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    by_number = {"8080": "MLSERVER_HTTP_PORT", "8082": "MLSERVER_METRICS_PORT"}
    probe = container["readinessProbe"]["httpGet"]
    port_value = probe["port"]
    number = str(ports[port_value]) if isinstance(port_value, str) else str(port_value)
    port = pod.ports[by_number[number]]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, f"server exited {process.returncode}:\n{log.read_text()[-4000:]}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + probe["path"], timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"server never ready:\n{log.read_text()[-4000:]}"
            time.sleep(0.5)
        from model_packaging.serving_contract import infer_path

        for body in _requests(manifest, model, requests):
            answer = httpx.post(base + infer_path(model), json=body, timeout=30)
            assert answer.status_code == 200, answer.text
            assert answer.json()["outputs"], answer.text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode in (0, -signal.SIGTERM), f"server exit {process.returncode}:\n{log.read_text()[-3000:]}"


def _captured(s3: str, uri: str) -> list[str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    pages = _s3(s3).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/")
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _service_account(plan: dict[str, Any], namespace: str, name: str) -> dict[str, Any] | None:
    for resource in plan["resources"]:
        inputs = resource["inputs"]
        if (inputs.get("kind") == "ServiceAccount" and inputs["metadata"].get("namespace") == namespace
                and inputs["metadata"].get("name") == name):
            return inputs
    return None


def _model_of(workload: dict[str, Any]) -> str:
    return workload["metadata"]["labels"]["app.kubernetes.io/name"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_pods_fetch_serve_and_check_drift_in_the_image(
    stack: str, shipped_plan: Callable[[str], dict[str, Any]], packaged_examples: dict[str, Path], image: Image,
    s3_standin: S3StandIn, pushgateway: str, tmp_path: Path,
) -> None:
    plan = shipped_plan(stack)
    deployments = [w for w in workloads(plan) if w["kind"] == "Deployment"]
    cron_jobs = [w for w in workloads(plan) if w["kind"] == "CronJob"]
    assert deployments, f"stack {stack} deploys no server"
    served: set[str] = set()
    for index, workload in enumerate([*deployments, *cron_jobs]):
        model = _model_of(workload)
        version = workload["metadata"]["labels"]["slipstack.dev/model-version"]
        artifact = packaged_examples[f"{model}@{version}"]
        manifest = json.loads((artifact / "manifest.json").read_text())
        namespace = workload["metadata"]["namespace"]
        spec = pod_spec(workload)
        pod = Pod(image, workload, _service_account(plan, namespace, spec.get("serviceAccountName", "default")),
                  tmp_path / f"pod-{index}", s3_standin, pushgateway)
        fetch = next(c for c in spec["initContainers"] if "model_packaging.fetch" in argv_of(c))
        uri = argv_of(fetch)[argv_of(fetch).index("--uri") + 1]
        publish(s3_standin.http, artifact, uri)
        if workload["kind"] == "CronJob":
            capture = spec["containers"][0]
            # The data the drift job reads is what the server captured: the server must have run first.
            current = argv_of(capture)[argv_of(capture).index("--current") + 1]
            assert model in served and _captured(s3_standin.http, current), f"{model}: nothing captured at {current}"
        if index == 0:
            assert_fetch_needs_the_ca_bundle(pod, fetch)
        pod.run_init_containers()
        for container in spec["containers"]:
            if workload["kind"] == "Deployment":
                env = {v["name"]: v.get("value") for v in container.get("env", [])}
                capture_uri = env.get("SLIPSTACK_CAPTURE_URI")
                if capture_uri:
                    _bucket(s3_standin.http, capture_uri.removeprefix("s3://").split("/")[0])
                serve(pod, container, model, manifest, requests=40)
                if capture_uri:
                    assert _captured(s3_standin.http, capture_uri), f"{model}: the server captured nothing"
                served.add(model)
            else:
                run = pod.start(container, popen=False)
                assert run.returncode == 0, f"{workload['metadata']['name']}: exit {run.returncode}\n" \
                    f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
                metrics = httpx.get(pushgateway + "/metrics", timeout=5).text
                assert f'model="{model}"' in metrics, f"{model}: nothing pushed to the Pushgateway"


# --- SageMaker Processing jobs that run the image ----------------------------------------------------------


def _capture_lines(model: str, rows: int) -> list[str]:
    """SageMaker data-capture records of the example rows (CSV in, as the endpoint's inference.py accepts)."""
    from tests.monitoring.capture_fixtures import capture_line

    with (REPO / "examples" / "artifacts" / model / "reference.csv").open() as handle:
        reader = csv.DictReader(handle)
        features = [name for name in reader.fieldnames or [] if name != "target"]
        lines = []
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for index, row in enumerate(reader):
            if index == rows:
                break
            lines.append(capture_line(f"e{index}", ('{"predictions": [0]}', "application/json"),
                                      inference_time=now, input_csv=",".join(row[f] for f in features)))
    return lines


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_sagemaker_drift_jobs_run_in_the_image(
    stack: str, shipped_plan: Callable[[str], dict[str, Any]], packaged_examples: dict[str, Path], image: Image,
    s3_standin: S3StandIn, tmp_path: Path,
) -> None:
    """Each Processing step as SageMaker runs it: inputs downloaded to their LocalPath, outputs collected from theirs,
    the image's USER, the job's Environment; CloudWatch is the stand-in's."""
    plan = shipped_plan(stack)
    jobs = processing_jobs(plan)
    assert jobs, f"stack {stack} schedules no Processing job"
    s3 = _s3(s3_standin.http)
    produced: dict[str, Path] = {}  # output name -> local folder of the step that wrote it
    for index, job in enumerate(jobs):
        argv = job["AppSpecification"]["ContainerEntrypoint"]
        model = argv[argv.index("--model") + 1]
        artifact = next(v for k, v in packaged_examples.items() if k.startswith(model + "@"))
        mounts = []
        for item in job.get("ProcessingInputs", []):
            local = tmp_path / f"job-{index}" / item["InputName"]
            local.mkdir(parents=True)
            uri = item["S3Input"].get("S3Uri")
            if item["InputName"] == "capture":
                # No SageMaker endpoint here: the capture prefix holds records in its data-capture format.
                hour = time.strftime("%Y/%m/%d/%H", time.gmtime())
                (local / hour).mkdir(parents=True)
                (local / hour / "capture.jsonl").write_text("\n".join(_capture_lines(model, 200)) + "\n")
            elif item["InputName"] == "profile":
                publish(s3_standin.http, artifact, uri.rsplit("/", 1)[0] + "/model.tar.gz")
                bucket, _, key = uri.removeprefix("s3://").partition("/")
                s3.download_file(bucket, key, str(local / key.rsplit("/", 1)[1]))
            elif item["InputName"] in produced:  # an earlier step's output (S3Uri.$ is the execution's prefix)
                shutil.copytree(produced[item["InputName"]], local, dirs_exist_ok=True)
            else:
                raise AssertionError(f"input {item['InputName']} of {argv[:3]} is not modelled by this test")
            for path in [local, *local.rglob("*")]:  # SageMaker hands the inputs to the container's user
                os.chown(path, 10001, 10001)
            mounts.append(Mount(local, item["S3Input"]["LocalPath"], True))
        for output in job.get("ProcessingOutputConfig", {}).get("Outputs", []):
            local = tmp_path / f"job-{index}" / f"out-{output['OutputName']}"
            local.mkdir(parents=True)
            os.chown(local, 10001, 10001)
            produced[output["OutputName"]] = local
            mounts.append(Mount(local, output["S3Output"]["LocalPath"], False))
        env = {**job.get("Environment", {}), "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_ENDPOINT_URL": s3_standin.http, "HOME": "/tmp"}
        scratch = tmp_path / f"job-{index}" / "tmp"
        scratch.mkdir()
        os.chown(scratch, 10001, 10001)
        mounts.append(Mount(scratch, "/tmp", False))
        run = image.run(argv, scratch=tmp_path / f"job-{index}", mounts=mounts, env=env, read_only_root=False)
        assert run.returncode == 0, f"{' '.join(argv[:3])}: exit {run.returncode}\n{run.stdout[-3000:]}\n" \
            f"{run.stderr[-3000:]}"
        for output in job.get("ProcessingOutputConfig", {}).get("Outputs", []):
            assert any(produced[output["OutputName"]].rglob("*")), f"{argv[:3]} wrote nothing to {output}"
    metrics = boto3_cloudwatch(s3_standin.http).list_metrics()["Metrics"]
    assert metrics, "the merge step published no CloudWatch metric"


def boto3_cloudwatch(endpoint: str) -> Any:
    import boto3

    return boto3.client("cloudwatch", region_name=REGION, endpoint_url=endpoint, **STANDIN_KEYS)
