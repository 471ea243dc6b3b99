"""`slipstack init`, `package`, `verify`, `publish`, `serve`: start a spec, build, check, ship and run artifacts.

Only typer is imported here; the packaging code, frameworks, boto3 and MLServer load inside the
commands so `slipstack --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from slipstack.commands import environment_option


def _progress_bar(total: int, description: str) -> Any:
    """A byte progress bar on stderr for long transfers (silent when stderr is not a terminal)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    return Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    transient=True, disable=not sys.stderr.isatty(), console=_stderr_console())


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _default_package_dir(spec: Path, project_dir: Path | None, model: str, version: str) -> Path:
    """build/packages/<model>/<version> of the Pulumi project, where `slipstack plan` looks for it.

    The project is --project-dir's, else the spec's (the nearest Pulumi.yaml above it), else the
    working directory's; outside any project the user must say where, or plan would never see it.
    """
    from contracts.artifact_layout import local_package_dir
    from slipstack.plan.runner import PlanError, find_project

    starts = [project_dir] if project_dir is not None else [spec.parent, Path.cwd()]
    for start in starts:
        try:
            return find_project(start).root / local_package_dir(model, version)
        except PlanError:
            continue
    raise PlanError(
        f"{spec}: no Pulumi.yaml above the spec or the working directory, so `slipstack plan` could not find the "
        "package; pass --project-dir (the folder with Pulumi.yaml) or --out"
    )


def package(
    model: Path | None = typer.Argument(None, help="Trained model file; default: model.artifact of the spec."),
    spec: Path = typer.Option(..., "--spec", help="Deployment spec (YAML)."),
    out: Path | None = typer.Option(
        None, "--out", help="Directory to write the artifact to (replaced if it is one); default: the project's "
        "build/packages/<model>/<version>, where `slipstack plan` looks for it."
    ),
    environment: str = environment_option(),
    archive: Path | None = typer.Option(None, "--archive", help="Also write a deterministic .tar or .tar.gz here."),
    quantize: bool | None = typer.Option(
        None, "--quantize/--no-quantize", help="Edge targets: int8 dynamic quantization of the ONNX model, refused "
        "when it does not apply (tree ensembles) or costs more than the tolerance; default: model.quantize."
    ),
    project_dir: Path | None = typer.Option(
        None, "--project-dir", help="The Pulumi project (folder with Pulumi.yaml) whose build/packages to write; "
        "default: the project above the spec, else above the working directory."
    ),
) -> None:
    """Package MODEL for serving: convert, check parity, write the layouts and a manifest with digests."""
    from rich.table import Table

    from contracts.errors import shown_path
    from deployment_spec import load_spec
    from model_packaging.archive import write_archive
    from model_packaging.package import package_model

    console = _stderr_console()
    resolved = load_spec(spec).for_environment(environment)
    if out is None:
        out = _default_package_dir(spec, project_dir, resolved.spec.metadata.name, resolved.spec.model.version)
    with console.status("packaging") as status:
        result = package_model(resolved, out, model_path=model, step=lambda text: status.update(text),
                               quantize=quantize)
    manifest = result.manifest
    table = Table(title=f"{manifest.model.name} {manifest.model.version}", show_header=True)
    table.add_column("file")
    table.add_column("bytes", justify="right")
    table.add_column("sha256")
    for name, entry in sorted(manifest.files.items()):
        table.add_row(name, f"{entry.size:,}", entry.sha256[:16] + "…")
    console.print(table)
    if manifest.parity is not None:
        worst = max(entry["max_abs_diff"] for entry in manifest.parity["outputs"].values())
        console.print(f"parity: {manifest.parity['rows']} reference rows, largest difference {worst:.3g}")
    if manifest.quantization is not None:
        _print_quantization(console, manifest.quantization)
    if archive is not None:
        archive_sha = write_archive(result.out, archive)
        console.print(f"archive: {archive} (sha256 {archive_sha})")
    print(f"packaged {shown_path(result.out)} format={manifest.format} digest={manifest.digest}")


def _print_quantization(console: Any, report: dict[str, Any]) -> None:
    sizes = report["model_bytes"]
    agreement = report["label_agreement"]
    console.print(
        f"quantization: int8 ({', '.join(f'+{n} {op}' for op, n in report['operators_added'].items())}); "
        f"model {sizes['unquantized']:,} -> {sizes['quantized']:,} bytes; {report['metric']} "
        f"{report['metric_unquantized']:.4g} -> {report['metric_quantized']:.4g} "
        f"against the {report['metric_against']} "
        f"(cost {report['metric_cost']:.3g}, tolerance {report['tolerance']['max_metric_cost']})"
        + (f"; labels agree on {agreement:.1%} of {report['rows']} rows" if agreement is not None else "")
        + f"; largest output change {max(report['max_abs_diff'].values(), default=0.0):.3g}"
    )


def verify(
    path: Path = typer.Argument(..., help="Packaged artifact: a directory or its .tar/.tar.gz archive."),
    sha256: str | None = typer.Option(None, "--sha256", help="Also require this artifact digest."),
) -> None:
    """Re-hash every file of an artifact against its manifest; fail naming the first mismatch."""
    from model_packaging.verify import verify_artifact

    manifest = verify_artifact(path, sha256)
    print(f"verified {path}: {len(manifest.files)} files, digest {manifest.digest}")


def publish(
    artifact: Path = typer.Argument(..., help="Packaged artifact directory."),
    bucket: str = typer.Option(..., "--bucket", help="The stack's artifact bucket."),
    kms_key_id: str | None = typer.Option(None, "--kms-key-id", help="KMS key (id or ARN) for SSE-KMS."),
    sse_s3: bool = typer.Option(False, "--sse-s3", help="Encrypt with the store's own key (SSE-S3) instead: an "
                                "S3-compatible on-prem store without a KMS."),
    prefix: str = typer.Option("", "--prefix", help="Key prefix in the bucket (an on-prem store's "
                               "s3://bucket/<prefix>); the endpoint comes from AWS_ENDPOINT_URL_S3."),
    part_mib: int = typer.Option(16, "--part-mib", min=5, max=5120, help="Multipart part size in MiB."),
) -> None:
    """Verify, archive and upload an artifact under content-addressed keys; move the pointer last."""
    from model_packaging.errors import PublishError
    from model_packaging.manifest import read_manifest
    from model_packaging.publish import publish_artifact

    if bool(kms_key_id) == sse_s3:
        raise PublishError("give exactly one of --kms-key-id KEY (SSE-KMS; AWS buckets) and --sse-s3 (a store "
                           "without a KMS): an artifact is never uploaded unencrypted")

    total = sum(entry.size for entry in read_manifest(artifact).files.values()) if artifact.is_dir() else 0
    with _progress_bar(total, "uploading") as bar:
        task = bar.add_task("uploading", total=total or None)
        result = publish_artifact(artifact, bucket, kms_key_id, part_bytes=part_mib * 1024 * 1024,
                                  progress=lambda n: bar.advance(task, n), prefix=prefix)
    print(f"published {result.archive_uri}")
    print(f"digest {result.digest}; current pointer s3://{bucket}/{result.pointer_key}")


def serve(
    spec: Path = typer.Argument(..., help="Deployment spec (YAML)."),
    environment: str = environment_option(),
    artifact: Path | None = typer.Option(None, "--artifact", help="Serve this packaged artifact instead of "
                                         "packaging the spec's model."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="HTTP port on 127.0.0.1 (0: any free port; "
                             "the one bound is printed)."),
    cache: bool | None = typer.Option(None, "--cache/--no-cache", help="Prediction cache on or off; default: the "
                                      "spec's serving.cache (size and TTL always come from the spec)."),
    capture: str | None = typer.Option(None, "--capture", help="Write a sample of requests (the spec's "
                                       "monitoring.capture.percentage) as data-capture JSONL to this directory "
                                       "or s3:// prefix, for `slipstack drift --current`."),
) -> None:
    """Run the packaged model locally in MLServer, the server the Kubernetes stack deploys."""
    import json
    import tempfile

    from deployment_spec import load_spec
    from model_packaging.package import package_model
    from model_packaging.serving_contract import (
        CACHE_ENABLED_ENV,
        CACHE_MAX_ENTRIES_ENV,
        CACHE_TTL_SECONDS_ENV,
        CAPTURE_PERCENT_ENV,
        infer_path,
    )
    from model_packaging.verify import verify_directory
    from model_server.errors import PortInUse
    from model_server.launch import ServerPorts, free_port, listens_on, start_server, stop_server, wait_ready

    resolved = load_spec(spec).for_environment(environment)
    # The server runs in its own process group; SIGTERM becomes the same clean stop as Ctrl-C (set before
    # the server starts) so the server never outlives this command.
    import signal

    def _interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    # The port first: a taken port is known in a millisecond, before seconds of packaging.
    if port == 0:
        port = free_port()
    elif not _port_is_free(port):
        raise PortInUse(f"127.0.0.1:{port} is already in use; choose another --port (or --port 0 for any)")
    with tempfile.TemporaryDirectory(prefix="slipstack-serve-") as scratch:
        try:
            if artifact is None:
                artifact = package_model(resolved, Path(scratch) / "artifact").out
            manifest = verify_directory(artifact)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        ports = ServerPorts(port, free_port(), free_port())
        runtime_env = _runtime_environment(resolved.spec, cache, capture)
        process = start_server(artifact, ports, Path(scratch) / "server", quiet=False, extra_env=runtime_env)
        base = f"http://127.0.0.1:{ports.http}"
        try:
            wait_ready(process, base)
            if not listens_on(process, port):
                raise PortInUse(f"127.0.0.1:{port} was taken by another process while the server started, so "
                                "requests would not reach this model; choose another --port (or --port 0 for any)")
            url = base + infer_path(manifest.model.name)
            body = json.dumps(manifest.example["request"])
            # Flushed: whoever reads this through a pipe (a script, a test) needs the URL now, not at exit.
            print(f"serving {manifest.model.name} {manifest.model.version} at {url}  (metrics :{ports.metrics})",
                  flush=True)
            if runtime_env.get(CACHE_ENABLED_ENV) == "true":
                print(f"prediction cache: {runtime_env[CACHE_MAX_ENTRIES_ENV]} entries, "
                      f"{runtime_env[CACHE_TTL_SECONDS_ENV]} s TTL", flush=True)
            if capture:
                print(f"capturing {runtime_env[CAPTURE_PERCENT_ENV]}% of requests to {capture}", flush=True)
            print(f"try:\ncurl -s -H 'Content-Type: application/json' -d '{body}' {url}", flush=True)
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop_server(process)


def _runtime_environment(spec: Any, cache: bool | None, capture: str | None) -> dict[str, str]:
    """The runtime's SLIPSTACK_CACHE_* / SLIPSTACK_CAPTURE_* variables from the resolved spec and the options."""
    from model_server.prediction_cache import CacheSettings, CacheSettingsError
    from model_server.request_capture import CaptureSettings

    configured = spec.serving.cache
    enabled = configured.enabled if cache is None else cache
    if enabled and not spec.model.deterministic:
        raise CacheSettingsError("--cache: the spec marks the model non-deterministic (model.deterministic: "
                                   "false), so a cached answer could differ from the model's; drop --cache")
    env = CacheSettings(enabled=enabled, max_entries=configured.max_entries,
                        ttl_seconds=configured.ttl_seconds).environment()
    if capture:
        target = capture if capture.startswith("s3://") else str(Path(capture).resolve())
        env.update(CaptureSettings(uri=target, percent=spec.monitoring.capture.percentage,
                                   flush_seconds=5).environment())
    return env


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def init(
    model: Path = typer.Option(..., "--model", help="Trained model file (joblib, .ubj/.json, .txt, .pt, .onnx)."),
    sample: Path = typer.Option(..., "--sample", help="CSV or Parquet sample of training inputs (the reference)."),
    owner: str = typer.Option(..., "--owner", help="E-mail of the team or person accountable for the model."),
    cost_centre: str = typer.Option(..., "--cost-centre", help="Cost centre written into every resource's tags."),
    data_classification: str = typer.Option(
        ..., "--data-classification", help="public, internal, confidential or restricted."),
    email: str = typer.Option(..., "--email", help="Where alerts go (monitoring.notifications.emails)."),
    name: str | None = typer.Option(None, "--name", help="Model name (a DNS label); default: from the model file."),
    label: str | None = typer.Option(None, "--label", help="Label column of the sample (default: target/label/y)."),
    out: Path | None = typer.Option(None, "--out", help="Spec file to write; default: deployments/<name>.yaml."),
) -> None:
    """Write a starter spec: framework, task and signature inferred from MODEL and SAMPLE and checked."""
    import re

    from model_packaging.starter_spec import StarterIdentity, write_starter_spec

    if name is None:
        stem = model.parent.name if model.stem in ("model", "") else model.stem
        name = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")[:40] or "model"
    if out is None:
        out = Path("deployments") / f"{name}.yaml"
    identity = StarterIdentity(name=name, owner=owner, cost_centre=cost_centre,
                               data_classification=data_classification, email=email)
    written = write_starter_spec(out, model, sample, identity, label)
    _stderr_console().print(f"wrote {written}: review it, then `slipstack package --spec {written}`")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("package")(package)
    app.command("verify")(verify)
    app.command("publish")(publish)
    app.command("serve")(serve)
