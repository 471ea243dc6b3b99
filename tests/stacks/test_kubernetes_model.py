"""The spec-to-Kubernetes translation: bounds per environment, canary weights, outputs, EKS vs on-prem,
and what an unpackaged model turns into."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import type_tokens as t
from contracts.artifact_layout import MANIFEST_FILE, local_package_dir

DIGEST = "sha256:" + "d" * 64
CANDIDATE_DIGEST = "sha256:" + "e" * 64


# The ALB's subnets, which an EKS stack must name (its NetworkPolicies admit them on the serving port).
# A stack-created cluster names its ALB subnets and where the deployment reaches its API from.
EKS_NETWORK = {"eks": {"load_balancer_subnet_cidrs": ["10.0.0.0/24"], "api_reachable_from": "vpc_runner"}}


def program(spec_path: Path, environment: str, project_root: Path, cluster: str = "existing",
            kubernetes: dict[str, Any] | None = None) -> Callable[[], Any]:
    def run() -> dict[str, Any]:
        import pulumi
        import pulumi_kubernetes as k8s

        from deployment_spec import load_spec
        from stacks.config import StackConfig
        from stacks.context import StackContext
        from stacks.kubernetes_model import deploy_model_on_kubernetes

        # An EKS cluster needs a VPC with two private subnets (stacks/eks_cluster.py).
        network = {"vpc_id": "vpc-0123456789abcdef0",
                   "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}
        config = StackConfig(stack=environment, environment=environment, specs=[str(spec_path)],
                             targets=["aws", "onprem"],
                             kubernetes={"cluster": cluster, **(EKS_NETWORK if cluster == "eks" else {}),
                                         **(kubernetes or {})},
                             aws=network if cluster == "eks" else {})
        context = StackContext(config=config, project_root=project_root,
                               account_id=pulumi.Output.from_input("123456789012"), region=config.region)
        resolved = load_spec(spec_path).for_environment(environment)
        return deploy_model_on_kubernetes(resolved, context, k8s.Provider("kubernetes"))

    return run


def package(root: Path, model: str, version: str, digest: str) -> None:
    folder = root / local_package_dir(model, version)
    folder.mkdir(parents=True)
    (folder / MANIFEST_FILE).write_text(json.dumps({"digest": digest}))


@pytest.fixture
def canary_spec(tmp_path: Path, repo_root: Path) -> Path:
    text = (repo_root / "deployments" / "breast-cancer-screening.yaml").read_text()
    # The candidate goes to prod only (dev deploys all at once).
    prod = "  prod:\n    targets: [aws, onprem]\n"
    text = text.replace(prod, prod + "    rollout: {candidate: {version: 1.1.0, artifact: m.joblib}}\n")
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace("../examples", str(repo_root / "examples")))
    package(tmp_path, "breast-cancer-screening", "1.0.0", DIGEST)
    package(tmp_path, "breast-cancer-screening", "1.1.0", CANDIDATE_DIGEST)
    return path


@pytest.mark.parametrize(("environment", "bounds"), [("dev", (1, 3)), ("staging", (2, 3)), ("prod", (2, 6))])
def test_hpa_bounds_follow_the_environment(pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path,
                                           environment: str, bounds: tuple[int, int]) -> None:
    spec = repo_root / "deployments" / "breast-cancer-screening.yaml"
    run = pulumi_run(program(spec, environment, tmp_path), stack=environment)
    hpa = run.one(t.K8S_HPA).inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == bounds
    pdb = run.one(t.K8S_PDB).inputs["spec"]
    assert pdb == ({"minAvailable": 1} if bounds[0] >= 2 else {"maxUnavailable": 1}) | {
        "selector": pdb["selector"], "unhealthyPodEvictionPolicy": "AlwaysAllow"}


def test_outputs_for_smoke_tests(pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path) -> None:
    spec = repo_root / "deployments" / "diabetes-progression.yaml"
    run = pulumi_run(program(spec, "prod", tmp_path), stack="prod")
    assert run.outputs["namespace"] == "diabetes-progression-prod"
    assert run.outputs["model_name"] == "diabetes-progression"
    assert run.outputs["service_url"] == "http://diabetes-progression.diabetes-progression-prod.svc.cluster.local:8080"
    assert run.outputs["ingress_host"] == "progression.models.internal.example.com"
    service = run.one(t.K8S_SERVICE).inputs
    assert service["metadata"]["name"] == "diabetes-progression"
    assert service["spec"]["ports"][0] == {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}


def test_canary_gets_the_spec_share_and_its_own_verified_artifact(
    pulumi_run: Callable[..., Any], canary_spec: Path
) -> None:
    run = pulumi_run(program(canary_spec, "prod", canary_spec.parent), stack="prod")
    deployments = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(t.K8S_DEPLOYMENT)}
    assert set(deployments) == {"breast-cancer-screening", "breast-cancer-screening-canary"}
    canary = deployments["breast-cancer-screening-canary"]
    assert canary["metadata"]["annotations"]["slipstack.dev/artifact-sha256"] == "e" * 64
    init = canary["spec"]["template"]["spec"]["initContainers"][0]["command"]
    assert init[init.index("--sha256") + 1] == CANDIDATE_DIGEST
    assert canary["spec"]["selector"]["matchLabels"]["slipstack.dev/track"] == "canary"
    ingresses = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type(t.K8S_INGRESS)}
    weight = ingresses["breast-cancer-screening-canary"]["metadata"]["annotations"]
    assert weight["nginx.ingress.kubernetes.io/canary-weight"] == "10"
    hpas = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_HPA)}
    # The canary keeps prod's floor of two pods and scales to its share of the stable ceiling.
    canary_hpa = hpas["breast-cancer-screening-canary"]
    assert (canary_hpa["minReplicas"], canary_hpa["maxReplicas"]) == (2, 2)
    assert len(run.of_type(t.K8S_PDB)) == 2


def test_unpackaged_model_fails_visibly_at_the_init_container(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    spec = repo_root / "deployments" / "diabetes-progression.yaml"
    run = pulumi_run(program(spec, "dev", tmp_path), stack="dev")
    deployment = run.one(t.K8S_DEPLOYMENT).inputs
    assert "slipstack.dev/artifact-sha256" not in deployment["metadata"]["annotations"]
    assert "unpackaged" in deployment["metadata"]["annotations"]["slipstack.dev/artifact-status"]
    command = deployment["spec"]["template"]["spec"]["initContainers"][0]["command"]
    assert command[command.index("--sha256") + 1] == "unpackaged-run-slipstack-package"


@pytest.mark.parametrize(("cluster", "secret"), [("existing", True), ("eks", False)])
def test_artifact_store_credentials_on_prem_and_pod_identity_on_eks(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path, cluster: str, secret: bool
) -> None:
    spec = repo_root / "deployments" / "breast-cancer-screening.yaml"
    run = pulumi_run(program(spec, "staging", tmp_path, cluster), stack="staging")
    pod = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    volumes = {v["name"] for v in pod["volumes"]}
    assert ("artifact-store-credentials" in volumes) is secret
    command = pod["initContainers"][0]["command"]
    # On EKS the model shares the cloud stack's artifact bucket (pod identity); an existing (on-prem) cluster reads
    # the stack's own store, which its NetworkPolicy, credentials secret and CA bundle are for.
    store = "s3://slipstack-artifacts/" if cluster == "existing" else "s3://breast-cancer-screening-staging-artifacts-eu-west-1/"
    assert command[command.index("--uri") + 1].startswith(store)
    drift = run.one(t.K8S_CRON_JOB).inputs
    assert drift["spec"]["schedule"] == "0 * * * *"
    job_command = drift["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert job_command[:2] == ["slipstack", "drift"] and "--pushgateway" in job_command


ONPREM_STORE = {
    "artifact_store_uri": "s3://models-onprem/slipstack",
    "artifact_store_endpoint": "https://minio.storage.svc.cluster.local:9000",
    "artifact_store_credentials_secret": "minio-credentials",
    "artifact_store_ca_bundle": {"config_map": "minio-ca", "key": "ca.crt"},
    "pushgateway_url": "http://pushgateway.metrics.svc.cluster.local:9092",
    "deployer_groups": ["{model}-release-managers"],
    "viewer_groups": ["{namespace}-viewers", "auditors"],
}


def env_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["env"]}


def test_server_runs_the_entry_point_with_cache_and_capture_from_the_spec(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    from model_packaging import serving_contract as contract

    spec = repo_root / "deployments" / "breast-cancer-screening.yaml"
    run = pulumi_run(program(spec, "staging", tmp_path), stack="staging")
    pod = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    server = pod["containers"][0]
    assert server["command"] == contract.server_command("/mnt/models/breast-cancer-screening")
    env = env_of(server)
    assert env[contract.CACHE_ENABLED_ENV] == "true"
    assert (env[contract.CACHE_MAX_ENTRIES_ENV], env[contract.CACHE_TTL_SECONDS_ENV]) == ("10000", "300")
    # The server captures into the prefix the drift job reads, with write credentials.
    # An existing cluster: the stack's own store.
    capture = "s3://slipstack-artifacts/capture/breast-cancer-screening/staging"
    assert env[contract.CAPTURE_URI_ENV] == capture
    assert env[contract.CAPTURE_PERCENT_ENV] == "20"
    assert "AWS_SHARED_CREDENTIALS_FILE" in env
    drift = run.one(t.K8S_CRON_JOB).inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert drift["command"][drift["command"].index("--current") + 1] == capture + "/"
    ingress = run.one(t.K8S_INGRESS).inputs
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "8m"
    rule = run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule").inputs
    records = [r["record"] for g in rule["spec"]["groups"] for r in g["rules"] if "record" in r]
    assert "namespace:slipstack_prediction_cache_hit_ratio:rate5m" in records


def test_onprem_store_pushgateway_and_groups_come_from_stack_config(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    from model_packaging import serving_contract as contract

    spec = repo_root / "deployments" / "diabetes-progression.yaml"
    run = pulumi_run(program(spec, "prod", tmp_path, kubernetes=ONPREM_STORE), stack="prod")
    pod = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    assert init["command"][init["command"].index("--uri") + 1].startswith("s3://models-onprem/slipstack/")
    assert env_of(init)["AWS_ENDPOINT_URL_S3"] == "https://minio.storage.svc.cluster.local:9000"
    assert {"name": "artifact-store-credentials", "secret": {"secretName": "minio-credentials", "optional": False,
                                                             "defaultMode": 0o440}} in pod["volumes"]
    # The private store's CA: mounted in every container that reads the store, and boto3's bundle there.
    assert env_of(init)["AWS_CA_BUNDLE"] == "/etc/slipstack/artifact-store-ca/ca.crt"
    ca_volume = {"name": "minio-ca", "optional": False, "defaultMode": 0o444,
                 "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    assert {"name": "artifact-store-ca", "configMap": ca_volume} in pod["volumes"]
    server_env = env_of(pod["containers"][0])
    assert server_env["AWS_CA_BUNDLE"] == env_of(init)["AWS_CA_BUNDLE"]
    assert server_env[contract.CACHE_ENABLED_ENV] == "false"
    # The drift job reads exactly what the server captures, in the on-prem store.
    assert server_env[contract.CAPTURE_URI_ENV] == "s3://models-onprem/slipstack/capture/diabetes-progression/prod"
    drift = run.one(t.K8S_CRON_JOB).inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    command = drift["command"]
    assert command[command.index("--pushgateway") + 1] == "http://pushgateway.metrics.svc.cluster.local:9092"
    assert command[command.index("--current") + 1] == (
        "s3://models-onprem/slipstack/capture/diabetes-progression/prod/")
    assert "--engine" not in command  # no scheduler in the spec: one process
    policies = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_NETWORK_POLICY)}
    _dns, store, push = policies["allow-job-egress"]["egress"]
    assert store["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "storage"}}}]
    assert store["ports"] == [{"protocol": "TCP", "port": 9000}]
    assert push["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "metrics"
    assert push["ports"] == [{"protocol": "TCP", "port": 9092}]
    bindings = {r.inputs["metadata"]["name"]: [s["name"] for s in r.inputs["subjects"]]
                for r in run.of_type(t.K8S_ROLE_BINDING)}
    assert bindings == {"model-deployer": ["diabetes-progression-release-managers"],
                        "model-viewer": ["diabetes-progression-prod-viewers", "auditors"]}


def test_alert_routing_follows_the_spec_notifications(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    spec = repo_root / "deployments" / "breast-cancer-screening.yaml"
    run = pulumi_run(program(spec, "prod", tmp_path, kubernetes={"alertmanager": {
        "smarthost": "smtp.example.com:587", "from_address": "alerts@example.com", "auth_username": "u",
        "auth_password_secret": {"name": "smtp-relay", "key": "password"}, "config_labels": {"alertmanager": "main"}}}),
        stack="prod")
    assert run.outputs["alert_receivers"] == ["email", "sms"]
    config = run.one("kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig").inputs
    assert config["metadata"]["labels"]["alertmanager"] == "main"
    receivers = {r["name"]: r for r in config["spec"]["receivers"]}
    assert receivers["sms"]["webhookConfigs"][0]["urlSecret"] == {"name": "sms-gateway", "key": "url"}
    assert receivers["email"]["emailConfigs"][0]["to"] == "oncall-diagnostics@example.com"
    assert receivers["email"]["emailConfigs"][0]["authPassword"] == {"name": "smtp-relay", "key": "password"}


def test_dask_scheduler_outside_the_cluster_needs_address_ranges(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    from stacks.kubernetes_model import KubernetesTranslationError

    text = (repo_root / "deployments" / "diabetes-progression.yaml").read_text()
    text = text.replace('    schedule: "30 */6 * * *"\n',
                        '    schedule: "30 */6 * * *"\n    dask_scheduler: tls://dask.analytics.example.com:8786\n')
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("../examples", str(repo_root / "examples")))
    with pytest.raises(KubernetesTranslationError, match="dask_scheduler_cidrs") as error:
        pulumi_run(program(spec, "dev", tmp_path), stack="dev")
    assert f"{spec}: monitoring.drift.dask_scheduler" in str(error.value)
    assert error.value.exit_code == 2
    run = pulumi_run(program(spec, "dev", tmp_path, kubernetes={"dask_scheduler_cidrs": ["10.50.0.0/28"]}),
                     stack="dev")
    policies = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_NETWORK_POLICY)}
    assert policies["allow-drift-dask-egress"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.50.0.0/28"}}], "ports": [{"protocol": "TCP", "port": 8786}]}]
    command = run.one(t.K8S_CRON_JOB).inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0][
        "command"]
    assert command[command.index("--scheduler") + 1] == "tls://dask.analytics.example.com:8786"


def test_hourly_drift_cron_job_reads_only_the_recent_capture(shipped_plan: Any) -> None:
    jobs = [
        r["inputs"] for r in shipped_plan("prod")["resources"]
        if r["type"] == "kubernetes:batch/v1:CronJob" and r["inputs"]["metadata"]["name"].endswith("-drift")
    ]
    assert jobs
    for job in jobs:
        container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        argv = [*container.get("command", []), *container.get("args", [])]
        assert argv[argv.index("--current") + 1].endswith("/")
        assert "--since" in argv, argv


def quality_spec(tmp_path: Path, repo_root: Path, labels_uri: str | None) -> Path:
    text = (repo_root / "deployments" / "breast-cancer-screening.yaml").read_text()
    old = "quality: {metric: roc_auc, threshold: 0.95, label_delay_hours: 72}"
    assert old in text
    if labels_uri is not None:
        text = text.replace(old, f"quality: {{metric: roc_auc, threshold: 0.95, label_delay_hours: 72, "
                                 f"labels_uri: '{labels_uri}'}}")
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace("../examples", str(repo_root / "examples")))
    return path


# Sample-size and averaging settings that are nobody's default, so only the spec can have put them in a command.
SPEC_DRIFT = {"method": "ks", "min_window": 57, "missing_rate_min_effect": 0.5}
SPEC_QUALITY = {"metric": "f1", "threshold": 0.8, "classes": ["0", "1"], "positive_label": "0",
                "max_dropped_share": 0.2}


def monitoring_spec(tmp_path: Path, repo_root: Path, drift: dict[str, Any], quality: dict[str, Any]) -> Path:
    """The screening spec with `drift` merged into monitoring.drift and monitoring.quality set to `quality`."""
    import yaml

    text = (repo_root / "deployments" / "breast-cancer-screening.yaml").read_text()
    document = yaml.safe_load(text.replace("../examples", str(repo_root / "examples")))
    document["monitoring"]["drift"].update(drift)
    document["monitoring"]["quality"] = quality
    path = tmp_path / "monitoring-spec.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_quality_cron_job_and_its_alert_exist_together(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    from monitoring.job_command import QUALITY_SCHEDULE

    def alerts(run: Any) -> set[str]:
        rule = run.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule").inputs
        return {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}

    # Without a labels source no job can score the model: no quality alert that could never fire.
    run = pulumi_run(program(quality_spec(tmp_path, repo_root, None), "staging", tmp_path), stack="staging")
    assert "ModelQualityDegraded" not in alerts(run)
    assert [c.inputs["metadata"]["name"] for c in run.of_type(t.K8S_CRON_JOB)] == ["breast-cancer-screening-drift"]

    labels = "s3://breast-cancer-screening-staging-artifacts-eu-west-1/labels/"
    run = pulumi_run(program(quality_spec(tmp_path, repo_root, labels), "staging", tmp_path), stack="staging")
    assert "ModelQualityDegraded" in alerts(run)
    jobs = {c.inputs["metadata"]["name"]: c.inputs for c in run.of_type(t.K8S_CRON_JOB)}
    quality = jobs["breast-cancer-screening-quality"]
    assert quality["spec"]["schedule"] == QUALITY_SCHEDULE
    command = quality["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:2] == ["slipstack", "quality"]
    # The quality job reads the same capture the drift job does (the stack's store on an existing cluster).
    drift = jobs["breast-cancer-screening-drift"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    capture = drift["command"][drift["command"].index("--current") + 1]
    assert capture.endswith("/capture/breast-cancer-screening/staging/")
    for option, value in (("--predictions", capture), ("--labels", labels), ("--metric", "roc_auc"),
                          ("--threshold", "0.95"), ("--task", "classification"), ("--since", "97h")):
        assert command[command.index(option) + 1] == value, option
    assert "--pushgateway" in command and "--no-fail-on-alert" in command
def test_the_cron_jobs_judge_and_score_with_the_specs_settings(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    """The rendered drift and quality CronJob commands, run through the CLI on local captures and pushing to a real
    Pushgateway, honour monitoring.drift.min_window / missing_rate_min_effect and monitoring.quality.classes /
    positive_label / max_dropped_share (values nobody defaults to; the defaults would decide each case otherwise)."""
    from datetime import UTC, datetime

    from contracts import metrics
    from tests.infra.k8s.alert_sources import (
        container_command,
        parse_exposition,
        pushgateway,
        reference_rows,
        run_rendered_job,
        scrape,
    )
    from tests.monitoring.capture_fixtures import capture_line, classifier_reply
    from tests.stacks.test_aws_alarm_publishers import write_capture

    labels_uri = "s3://breast-cancer-screening-staging-artifacts-eu-west-1/labels/"
    spec = monitoring_spec(tmp_path, repo_root, SPEC_DRIFT, {**SPEC_QUALITY, "labels_uri": labels_uri})
    run = pulumi_run(program(spec, "staging", tmp_path), stack="staging")
    jobs = {c.inputs["metadata"]["name"]: container_command(c.inputs) for c in run.of_type(t.K8S_CRON_JOB)}
    model = "breast-cancer-screening"
    drift, quality = jobs[f"{model}-drift"], jobs[f"{model}-quality"]
    for option, value in (("--min-window", str(SPEC_DRIFT["min_window"])),
                          ("--missing-rate-min-effect", f"{SPEC_DRIFT['missing_rate_min_effect']:g}")):
        assert drift[drift.index(option) + 1] == value, option
    for option, value in (("--classes", ",".join(SPEC_QUALITY["classes"])),
                          ("--positive-label", SPEC_QUALITY["positive_label"]),
                          ("--max-dropped-share", f"{SPEC_QUALITY['max_dropped_share']:g}")):
        assert quality[quality.index(option) + 1] == value, option
    manifest = repo_root / local_package_dir(model, "1.0.0") / MANIFEST_FILE
    features = [f["name"] for f in json.loads(manifest.read_text())["signature"]["inputs"]]
    healthy = reference_rows(model)
    minimum = int(SPEC_DRIFT["min_window"])
    now = datetime.now(UTC)

    with pushgateway(tmp_path) as gateway:
        def pushed(name: str) -> dict[tuple[str, str], float]:
            return {(s.name, s.labels.get("status") or s.labels.get("feature") or s.labels.get("metric") or ""): s.value
                    for s in parse_exposition(scrape(f"{gateway}/metrics")) if s.labels.get("model") == model}

        def run_drift(name: str, rows: list[dict[str, float]]) -> dict[tuple[str, str], float]:
            write_capture(tmp_path / name, rows, features, prefix="")
            run_rendered_job(drift, {"--current": f"{tmp_path / name}/", "--profile": str(manifest),
                                     "--pushgateway": gateway}, expect_exit=(0,))
            return pushed(name)

        short = run_drift("short", healthy[: minimum - 1])
        assert short[(metrics.PROM_DRIFT_STATUS, metrics.STATUS_INSUFFICIENT_DATA)] == 1
        assert not any(key[0] == metrics.PROM_DRIFTED_FEATURES for key in short), "no verdict below the minimum"
        enough = run_drift("enough", healthy[:minimum])
        assert enough[(metrics.PROM_DRIFT_STATUS, metrics.STATUS_OK)] == 1
        assert enough[(metrics.PROM_DRIFTED_FEATURES, "")] == 0
        # A third of one feature missing: a rise below the spec's minimum effect (0.5), so no alert.
        gappy = [{**row, "mean_radius": float("nan")} if index % 3 == 0 else row for index, row in enumerate(healthy)]
        missing = run_drift("missing", gappy)
        assert missing[(metrics.PROM_MISSING_RATE, "mean_radius")] > 0.3
        assert missing[(metrics.PROM_DRIFT_STATUS, metrics.STATUS_OK)] == 1

        ids = [f"r{i}" for i in range(40)]

        def run_quality(name: str, predicted: list[int | None], labels: list[int]) -> dict[tuple[str, str], float]:
            replies = [('{"predictions": [null]}', "application/json") if p is None
                       else classifier_reply([p], [0.9 if p else 0.1], "application/json") for p in predicted]
            path = tmp_path / name / "capture" / f"{now:%Y/%m/%d/%H}" / "capture.jsonl"
            path.parent.mkdir(parents=True)
            path.write_text("\n".join(capture_line(f"e{i}", reply, inference_id=request,
                                                   inference_time=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
                                      for i, (request, reply) in enumerate(zip(ids, replies, strict=True))) + "\n")
            label_file = tmp_path / name / "labels.csv"
            label_file.write_text("inference_id,label\n" + "".join(f"{i},{y}\n" for i, y in zip(ids, labels,
                                                                                                strict=True)))
            run_rendered_job(quality, {"--predictions": f"{tmp_path / name / 'capture'}/", "--labels": str(label_file),
                                       "--pushgateway": gateway}, expect_exit=(0,))
            return pushed(name)

        # Every prediction 1, three in four labels agree: f1 of class 1 would be 0.86; of the declared positive, 0.
        scored = run_quality("positive", [1] * 40, [1] * 30 + [0] * 10)
        assert scored[(metrics.PROM_QUALITY, "f1")] == 0.0
        assert scored[(metrics.PROM_QUALITY_STATUS, metrics.STATUS_ALERT)] == 1
        # Right answers; 8 of 40 predictions unusable is the spec's limit (20%), 9 is over it.
        within = run_quality("within", [None] * 8 + [0] * 32, [0] * 40)
        assert within[(metrics.PROM_QUALITY_STATUS, metrics.STATUS_OK)] == 1
        over = run_quality("over", [None] * 9 + [0] * 31, [0] * 40)
        assert over[(metrics.PROM_QUALITY_STATUS, metrics.STATUS_ALERT)] == 1


def test_quota_keeps_headroom_above_the_peak(pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path) -> None:
    spec = repo_root / "deployments" / "diabetes-progression.yaml"
    run = pulumi_run(program(spec, "prod", tmp_path, kubernetes={"quota_headroom_percent": 50}), stack="prod")
    hard = run.one("kubernetes:core/v1:ResourceQuota").inputs["spec"]["hard"]
    deployment = run.one(t.K8S_DEPLOYMENT).inputs
    hpa = run.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs
    peak = hpa["spec"]["maxReplicas"] + 1 + 1  # every replica, one surge, the drift job
    assert int(hard["pods"]) == peak + max(1, -(-peak * 50 // 100))
    memory = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"]
    assert hard["requests.memory"] == f"{int(memory.removesuffix('Mi')) * int(hard['pods'])}Mi"


def test_drift_without_capture_is_refused(pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path) -> None:
    from stacks.kubernetes_model import KubernetesTranslationError

    text = (repo_root / "deployments" / "diabetes-progression.yaml").read_text()
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("capture: {enabled: true, percentage: 20}", "capture: {enabled: false}")
                    .replace("../examples", str(repo_root / "examples")))
    with pytest.raises(Exception, match="monitoring.drift is enabled but monitoring.capture is not") as error:
        pulumi_run(program(spec, "prod", tmp_path), stack="prod")
    assert isinstance(error.value, KubernetesTranslationError) or "KubernetesTranslationError" in repr(error.value)


READS_AWS = {**ONPREM_STORE, "artifact_source": "aws", "aws_s3_cidrs": ["52.95.150.0/24", "3.5.64.0/21"],
             "aws_reader_role": "onprem-model-reader"}


def test_an_onprem_cluster_reading_from_aws_gets_egress_credentials_and_least_privilege(
    pulumi_run: Callable[..., Any], repo_root: Path, tmp_path: Path
) -> None:
    from tests.stacks.iam_evaluation import Request, allowed

    spec = repo_root / "deployments" / "breast-cancer-screening.yaml"
    package(tmp_path, "breast-cancer-screening", "1.0.0", "ab" * 32)
    run = pulumi_run(program(spec, "prod", tmp_path, kubernetes=READS_AWS), stack="prod")
    pod = run.one(t.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    bucket = "breast-cancer-screening-prod-artifacts-eu-west-1"
    key = f"models/breast-cancer-screening/{'ab' * 32}/model.tar.gz"
    assert init["command"][init["command"].index("--uri") + 1] == f"s3://{bucket}/{key}"
    env = env_of(init)
    # AWS S3 itself: no on-prem endpoint or private CA, the bucket's region, the reader's credentials file.
    assert "AWS_ENDPOINT_URL_S3" not in env and "AWS_CA_BUNDLE" not in env
    assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert {"name": "artifact-store-credentials", "secret": {"secretName": "aws-artifact-reader", "optional": False,
                                                             "defaultMode": 0o440}} in pod["volumes"]
    policies = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in run.of_type(t.K8S_NETWORK_POLICY)}
    store = policies["allow-job-egress"]["egress"][1]
    assert store["to"] == [{"ipBlock": {"cidr": "52.95.150.0/24"}}, {"ipBlock": {"cidr": "3.5.64.0/21"}}]
    assert store["ports"] == [{"protocol": "TCP", "port": 443}]
    (reader,) = run.of_type("aws:iam/rolePolicy:RolePolicy")
    assert reader.inputs["role"] == "onprem-model-reader"
    document = [json.loads(reader.inputs["policy"])]
    arn = f"arn:aws:s3:::{bucket}"
    assert allowed(document, Request("s3:GetObject", f"{arn}/{key}"))
    assert allowed(document, Request("s3:PutObject", f"{arn}/capture/breast-cancer-screening/prod/x.jsonl"))
    assert not allowed(document, Request("s3:PutObject", f"{arn}/{key}"))
    assert not allowed(document, Request("s3:GetObject", f"{arn}/models/other-model/{'ab' * 32}/model.tar.gz"))
    kms = Request("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/k", {
        "kms:ResourceAliases": "alias/slipstack/breast-cancer-screening-prod",
        "kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    assert allowed(document, kms)
    assert not allowed(document, Request("kms:Decrypt", kms.resource, {**kms.context, "kms:ViaService": "sns"}))
