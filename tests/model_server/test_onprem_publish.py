"""What `slipstack deploy` publishes to the on-prem store is exactly what the on-prem pods fetch.

The hybrid prod stack: its on-prem pods read the data centre's S3-compatible store (`kubernetes.artifact_store_*`).
The store is a moto server in its own process (its own backend: nothing the AWS side holds is visible there), over
HTTPS with a certificate of a private CA. Deploy's own publish step (`publish_targets` + `publish_package`, with
the SLIPSTACK_ARTIFACT_STORE_* settings a workflow gives it) writes the packages; then every init container of
every on-prem workload of the plan runs in the image as its manifest says (command, env, CA bundle and credentials
volumes; tests/model_server/test_image_commands.py) and must fetch and verify that object. Before the publish, the
same fetch fails: the pods read the on-prem store, not something the test put elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts import delivery
from model_server.launch import free_port
from slipstack.delivery.deploy import packaged_models, publish_package, publish_targets
from slipstack.delivery.errors import MissingCredentialsError
from tests.model_server.image_environment import Image
from tests.model_server.test_image_commands import (
    STANDIN_KEYS,
    Pod,
    S3StandIn,
    _model_of,
    _private_ca,
    _service_account,
    argv_of,
    pod_spec,
    workloads,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MOTO_SERVER = REPO / ".venv" / "bin" / "moto_server"


@pytest.fixture(scope="module")
def onprem_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3StandIn]:
    """A second S3 (moto, own process) on HTTPS signed by a private CA: the data centre's store."""
    import boto3

    ca_pem, cert_pem, key_pem = _private_ca()
    folder = tmp_path_factory.mktemp("onprem-store")
    (folder / "cert.pem").write_text(cert_pem)
    (folder / "key.pem").write_text(key_pem)
    (folder / "ca.pem").write_text(ca_pem)
    port = free_port()
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port), "-c", str(folder / "cert.pem"),
         "-k", str(folder / "key.pem")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"https://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=url, verify=str(folder / "ca.pem"), region_name="us-east-1",
                          **STANDIN_KEYS)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "moto_server exited"
            with contextlib.suppress(Exception):
                client.list_buckets()
                break
            assert time.monotonic() < deadline, "moto_server never answered"
            time.sleep(0.2)
        # The store and its bucket exist before the stack (a prerequisite); the pods never reach a plain listener.
        yield S3StandIn(http="http://127.0.0.1:9", https=url, ca_pem=ca_pem)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _store_env(store: S3StandIn, folder: Path) -> dict[str, str]:
    """The settings the deploy workflow's prod job passes (secrets and variables of the environment)."""
    return {
        delivery.ARTIFACT_STORE_ACCESS_KEY_ENV: STANDIN_KEYS["aws_access_key_id"],
        delivery.ARTIFACT_STORE_SECRET_KEY_ENV: STANDIN_KEYS["aws_secret_access_key"],
        delivery.ARTIFACT_STORE_CA_ENV: store.ca_pem,
        # The runner reaches the store at the stand-in's address, not at the stack's host name.
        delivery.ARTIFACT_STORE_ENDPOINT_ENV: store.https,
    }


def _onprem_workloads(plan: dict[str, Any]) -> list[dict[str, Any]]:
    namespaces = {m["onprem"]["namespace"] for m in plan["outputs"]["models"].values() if "onprem" in m}
    return [w for w in workloads(plan) if w["metadata"]["namespace"] in namespaces]


def test_deploy_publishes_to_the_onprem_store_what_every_onprem_pod_fetches(
    shipped_plan: Callable[[str], dict[str, Any]], image: Image, onprem_store: S3StandIn, tmp_path: Path,
) -> None:
    import boto3

    plan = shipped_plan("prod")
    packages = packaged_models(REPO, plan)
    targets = [t for t in publish_targets(plan, packages) if t.store == "onprem"]
    # prod is hybrid: both models (one of them also on AWS) are published to the on-prem store.
    assert {t.model for t in targets} == set(packages) == {"breast-cancer-screening", "diabetes-progression"}
    env = _store_env(onprem_store, tmp_path)
    bucket = {t.bucket for t in targets}
    assert len(bucket) == 1
    s3 = boto3.client("s3", endpoint_url=onprem_store.https, verify=str(_ca_file(tmp_path, onprem_store)),
                      region_name="us-east-1", **STANDIN_KEYS)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket.pop())

    pods = []
    for index, workload in enumerate(_onprem_workloads(plan)):
        spec = pod_spec(workload)
        pod = Pod(image, workload, _service_account(plan, workload["metadata"]["namespace"],
                                                    spec["serviceAccountName"]),
                  tmp_path / f"pod-{index}", onprem_store, None)
        fetch = next(c for c in spec["initContainers"] if "model_packaging.fetch" in argv_of(c))
        assert "AWS_CA_BUNDLE" in pod.env(fetch), f"{workload['metadata']['name']}: no CA bundle for the store"
        pods.append((workload, pod, fetch))
    assert {_model_of(w) for w, _, _ in pods} == set(packages)

    # Nothing published yet: the init container cannot start the server.
    unpublished = pods[0][1].start(pods[0][2], popen=False)
    said = unpublished.stdout + unpublished.stderr
    assert unpublished.returncode != 0 and ("Not Found" in said or "NoSuchKey" in said), said

    published = {publish_package(packages[t.model], t, env) for t in targets}
    assert published == {t.model_data_url for t in targets}

    for workload, pod, fetch in pods:
        model = _model_of(workload)
        argv = argv_of(fetch)
        uri, sha256 = argv[argv.index("--uri") + 1], argv[argv.index("--sha256") + 1]
        assert uri in published, f"{workload['metadata']['name']} fetches {uri}; deploy published {published}"
        pod.run_init_containers()
        dest = argv[argv.index("--dest") + 1]
        models_mount = next(m for m in fetch["volumeMounts"] if dest.startswith(m["mountPath"]))
        fetched = pod.volumes[models_mount["name"]][0] / Path(dest).relative_to(models_mount["mountPath"])
        manifest = json.loads((fetched / "manifest.json").read_text())
        assert manifest["digest"].removeprefix("sha256:") == sha256 == packages[model].digest.removeprefix("sha256:")


def _ca_file(folder: Path, store: S3StandIn) -> Path:
    path = folder / "runner-ca.pem"
    path.write_text(store.ca_pem)
    return path


def test_publishing_to_the_onprem_store_without_its_settings_names_them(
    shipped_plan: Callable[[str], dict[str, Any]], onprem_store: S3StandIn, tmp_path: Path,
) -> None:
    plan = shipped_plan("prod")
    packages = packaged_models(REPO, plan)
    target = next(t for t in publish_targets(plan, packages) if t.store == "onprem")
    with pytest.raises(MissingCredentialsError) as raised:
        publish_package(packages[target.model], target, {delivery.ARTIFACT_STORE_ENDPOINT_ENV: onprem_store.https})
    message = str(raised.value)
    for name in (delivery.ARTIFACT_STORE_ACCESS_KEY_ENV, delivery.ARTIFACT_STORE_SECRET_KEY_ENV,
                 delivery.ARTIFACT_STORE_CA_ENV):
        assert name in message
    # The private CA is what makes the store verifiable: the runner's default roots refuse it.
    env = {**_store_env(onprem_store, tmp_path), delivery.ARTIFACT_STORE_CA_ENV: ""}
    with pytest.raises(MissingCredentialsError, match=delivery.ARTIFACT_STORE_CA_ENV):
        publish_package(packages[target.model], target, env)


# --- artifact_source 'aws': the on-prem pods read the model's AWS bucket as the reader role -----------------------


def documented_credentials_file(account: str, role: str, key_id: str, secret: str) -> str:
    """The Secret's `credentials` file exactly as docs/kubernetes.md shows it, with its placeholders filled in."""
    text = (REPO / "docs" / "kubernetes.md").read_text()
    section = text[text.index("### On-prem pods reading from AWS"):]
    block = section[section.index("```ini") + len("```ini"):]
    block = block[:block.index("```")]
    lines = [line.strip() for line in block.strip().splitlines()]
    filled = "\n".join(lines).replace("<the user's key id>", key_id).replace("<its secret>", secret)
    filled = filled.replace("<account>", account).replace("<aws_reader_role>", role)
    assert "<" not in filled, f"an unfilled placeholder in the documented credentials file:\n{filled}"
    return filled + "\n"


class ReaderPod(Pod):
    """A pod whose credentials Secret is the documented reader file; STS is the AWS stand-in's."""

    def __init__(self, *args: Any, credentials: str) -> None:
        self.credentials = credentials
        super().__init__(*args)

    def secret_files(self, name: str) -> dict[str, str]:
        return {"credentials": self.credentials}

    def env(self, container: dict[str, Any]) -> dict[str, str]:
        return {**super().env(container), "AWS_ENDPOINT_URL_STS": self.s3.http}


def test_an_onprem_pod_reading_from_aws_fetches_as_the_reader_role(
    repo_root: Path, packaged_examples: dict[str, Path], image: Image, tmp_path: Path,
    pulumi_run: Callable[..., Any],
) -> None:
    from moto.server import ThreadedMotoServer
    from moto.sts.models import sts_backends

    from contracts import type_tokens as t
    from tests.model_server.test_image_commands import publish
    from tests.stacks.test_kubernetes_model import READS_AWS, program

    run = pulumi_run(program(repo_root / "deployments" / "breast-cancer-screening.yaml", "prod", repo_root,
                             kubernetes=READS_AWS), stack="prod")
    workload = run.one(t.K8S_DEPLOYMENT).inputs
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        aws = S3StandIn(http=f"http://127.0.0.1:{port}", https="https://127.0.0.1:9", ca_pem="")
        role = f"arn:aws:iam::123456789012:role/{READS_AWS['aws_reader_role']}"
        credentials = documented_credentials_file("123456789012", READS_AWS["aws_reader_role"],
                                                  STANDIN_KEYS["aws_access_key_id"],
                                                  STANDIN_KEYS["aws_secret_access_key"])
        pod = ReaderPod(image, workload, None, tmp_path / "pod", aws, None, credentials=credentials)
        fetch = pod.spec["initContainers"][0]
        argv = argv_of(fetch)
        uri = argv[argv.index("--uri") + 1]
        assert uri.startswith("s3://breast-cancer-screening-prod-artifacts-eu-west-1/models/")
        publish(aws.http, packaged_examples["breast-cancer-screening@1.0.0"], uri)  # what the AWS publish writes
        before = len(sts_backends["123456789012"]["aws"].assumed_roles)
        pod.run_init_containers()
        assumed = sts_backends["123456789012"]["aws"].assumed_roles[before:]
        # The fetch went through the role the stack grants (the credentials file's role_arn), not the user's key.
        assert [r.role_arn for r in assumed] == [role]
    finally:
        server.stop()
