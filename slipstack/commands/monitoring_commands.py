"""`slipstack profile`, `slipstack drift`, `slipstack quality`, `slipstack smoke`: the monitoring jobs.

Only typer is imported here; pandas, pyarrow, boto3 and the monitoring package load inside the
commands so `slipstack --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from slipstack.commands import environment_option


def _write_json(data: Any, output: Path | None) -> None:
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    import os
    import tempfile

    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _resolved_spec(spec: Path | None, environment: str) -> Any:
    if spec is None:
        return None
    from deployment_spec import load_spec

    return load_spec(spec).for_environment(environment)


def _profile_for(profile: Path | None, resolved: Any) -> Any:
    """--profile (a profile JSON or manifest.json), else the packaged manifest, else the spec's sample."""
    from monitoring.errors import ProfileError
    from monitoring.profile import build_profile, load_profile

    if profile is not None:
        return load_profile(profile)
    if resolved is None:
        raise ProfileError("no reference profile: pass --profile PROFILE_OR_MANIFEST.json or --spec SPEC")
    model = resolved.spec.model
    if not model.artifact.startswith("s3://"):
        artifact = resolved.resolve_path(model.artifact)
        for candidate in (artifact / "manifest.json", artifact.parent / "manifest.json"):
            if candidate.is_file():
                return load_profile(candidate)
    if model.reference_sample:
        import pandas as pd

        from monitoring.sources import CurrentData

        sample = resolved.resolve_path(model.reference_sample)
        frames = [f for _, f in CurrentData(str(sample), []).chunks()]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        inputs = [f.name for f in model.signature.inputs]
        if all(name in frame.columns for name in inputs):
            frame = frame[inputs]  # the label column, if any, is not a model input
        categorical = [f.name for f in model.signature.inputs if f.categorical]
        return build_profile(frame, categorical=categorical)
    raise ProfileError(
        f"{resolved.source}: no manifest.json next to model.artifact and no model.reference_sample; "
        "package the model first or pass --profile"
    )


def _progress(enabled: bool) -> Any:
    """A rows-read counter on stderr for long reads (quiet when stderr is not a terminal)."""
    if not enabled or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True, console=Console(stderr=True))
    task = progress.add_task("reading", total=None)
    rows = [0]

    def advance(count: int) -> None:
        rows[0] += count
        progress.update(task, description=f"read {rows[0]:,} rows")

    return progress, advance


def _publish(
    kind: str,
    result: Any,
    model: str,
    environment: str,
    cloudwatch: bool,
    region: str | None,
    textfile: Path | None,
    pushgateway: str | None,
) -> None:
    """Publish a complete run; `result` None: the run's window held no rows (status no_data, no verdict)."""
    from monitoring import publish

    target = publish.MetricTarget(model=model, environment=environment)
    if cloudwatch:
        if result is None:
            data = publish.drift_no_data_metric_data(target) if kind == "drift" else []
        elif kind == "drift":
            data = publish.drift_metric_data(result, target)
        else:
            data = publish.quality_metric_data(result, target)
        if data:
            publish.publish_cloudwatch(data, region=region)
    if textfile is not None or pushgateway is not None:
        if result is None:
            registry = publish.prometheus_registry(target, no_data=kind)
        elif kind == "drift":
            registry = publish.prometheus_registry(target, drift=result)
        else:
            registry = publish.prometheus_registry(target, quality=result)
        if textfile is not None:
            publish.write_textfile(registry, textfile)
        if pushgateway is not None:
            publish.push_gateway(registry, pushgateway, target, check=kind)


def _publish_no_data(kind: str, where: str, *publishing: Any) -> None:
    """A scheduled run whose window held no rows (no traffic): a completed run without a verdict, exit 0."""
    print(f"{kind}: no rows in the window of {where} (no traffic): published status no_data, no verdict",
          file=sys.stderr)
    _publish(kind, None, *publishing)


def _cluster_settings(
    engine: str, scheduler: str | None, workers: int, worker_memory: str, connect_timeout: float
) -> Any:
    """The Dask cluster to use, or None for the single-process engine."""
    from monitoring.errors import InputDataError

    if engine not in ("local", "dask"):
        raise InputDataError(f"--engine {engine!r}: use local (one process) or dask")
    if engine == "local":
        if scheduler is not None:
            raise InputDataError("--scheduler needs --engine dask")
        return None
    from monitoring.distributed import ClusterSettings

    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
        raise InputDataError(f"--scheduler {scheduler!r}: give the scheduler address like tcp://dask-scheduler:8786")
    return ClusterSettings(
        scheduler=scheduler, workers=workers, worker_memory=worker_memory, connect_timeout_s=connect_timeout
    )


def _drift_settings(
    resolved: Any,
    method: str | None,
    warn_threshold: float | None,
    alert_threshold: float | None,
    p_value: float | None,
    features: str | None,
    allow_extra_columns: bool,
    min_window: int | None = None,
    missing_rate_min_effect: float | None = None,
) -> Any:
    """DriftSettings from the spec's monitoring.drift, overridden by the options given."""
    from pydantic import ValidationError

    from monitoring.drift import DriftSettings
    from monitoring.errors import InputDataError

    values: dict[str, Any] = {}
    if resolved is not None:
        drift = resolved.spec.monitoring.drift
        values = {
            "method": drift.method,
            "warn_threshold": drift.warn_threshold,
            "alert_threshold": drift.alert_threshold,
            "p_value": drift.p_value,
            "features": tuple(drift.features),
            "min_rows": drift.min_window,
            "missing_rate_min_effect": drift.missing_rate_min_effect,
        }
    overrides = {
        "method": method,
        "warn_threshold": warn_threshold,
        "alert_threshold": alert_threshold,
        "p_value": p_value,
        "features": tuple(f.strip() for f in features.split(",") if f.strip()) if features else None,
        "min_rows": min_window,
        "missing_rate_min_effect": missing_rate_min_effect,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["allow_extra_columns"] = allow_extra_columns
    try:
        return DriftSettings.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        raise InputDataError(f"drift option {first['loc'][0]}: {first['msg']}") from None


def _capture_window(since: str | None, until: str | None) -> Any:
    """The CaptureWindow of --since/--until, or None to read the whole location."""
    from monitoring.capture_window import CaptureWindow, parse_duration, parse_instant
    from monitoring.errors import InputDataError

    if since is None:
        if until is not None:
            raise InputDataError("--until needs --since: give the window's length, e.g. --since 2h")
        return None
    return CaptureWindow.ending_now(parse_duration(since), parse_instant(until) if until is not None else None)


def _window_is_empty(source: Any) -> bool:
    """A shard whose capture files all lie outside the time window: it merges as the identity."""
    from monitoring.errors import EmptyWindowError

    if source.window is None:
        return False
    try:
        source.partitions()
    except EmptyWindowError:
        return True
    return False


SINCE_HELP = (
    "Read only capture files of the yyyy/mm/dd/hh/ hour partitions overlapping the last DURATION (e.g. 2h, 24h, "
    "7d; UTC, widened to whole hours). For capture directories and s3:// prefixes; default: everything."
)
UNTIL_HELP = "End of the --since window (ISO 8601, UTC if no offset; default: now), e.g. to rerun a missed hour."


def _is_empty_directory(location: str) -> bool:
    """A local directory holding no data file at all (an empty shard), as opposed to a wrong path."""
    if location.startswith("s3://"):
        return False
    path = Path(location)
    return path.is_dir() and not any(p.is_file() for p in path.rglob("*"))


def _drift_outputs(
    result: Any,
    output: Path | None,
    report: Path | None,
    model_name: str,
    environment: str,
    cloudwatch: bool,
    region: str | None,
    prometheus_textfile: Path | None,
    pushgateway: str | None,
    fail_on_alert: bool = True,
) -> None:
    """What a complete drift check produces: JSON, report, published metrics, the verdict's exit code."""
    from monitoring.errors import DriftAlertError

    _write_json(result.model_dump(mode="json"), output)
    if report is not None:
        from monitoring.report import write_report

        write_report(result, report, title=f"Drift: {model_name} ({environment})")
    _publish("drift", result, model_name, environment, cloudwatch, region, prometheus_textfile, pushgateway)
    if result.input.malformed_records:
        print(
            f"warning: skipped {result.input.malformed_records} malformed capture records, first: "
            f"{result.input.malformed_examples[0]}",
            file=sys.stderr,
        )
    if result.insufficient_features:
        print(
            f"note: {len(result.insufficient_features)} feature(s) had too little data in this window to test "
            f"(status insufficient_data, never an alert): {', '.join(result.insufficient_features)}",
            file=sys.stderr,
        )
    if result.status == "alert" and fail_on_alert:
        raise DriftAlertError(
            f"drift over the alert threshold in {len(result.drifted_features)} feature(s): "
            f"{', '.join(result.drifted_features)}"
        )


MIN_WINDOW_HELP = "Present values a distribution test needs; fewer: insufficient_data (overrides the spec)."
MISSING_EFFECT_HELP = "Smallest missing-rate rise that alerts, e.g. 0.01 (overrides the spec)."
CLASSES_HELP = "Comma-separated declared classes: two mean binary metrics, more macro (overrides the spec)."
ENGINE_HELP = "local (one process, chunked) or dask (partials on a Dask cluster, merged here)."
SCHEDULER_HELP = "Dask scheduler address (tcp://host:8786); without it --engine dask starts a LocalCluster."


def register(app: typer.Typer) -> None:
    @app.command("profile")
    def profile_command(
        sample: Path = typer.Argument(..., help="CSV or Parquet reference sample (the model's inputs)."),
        output: Path = typer.Option(..., "--output", "-o", help="Where to write the profile JSON."),
        categorical: str = typer.Option("", help="Comma-separated columns to profile as categories."),
        label_column: str | None = typer.Option(
            None, "--label-column", help="A column of the sample that is the label, not an input: left out of the "
            "profile (default: the spec's model.label_column)."
        ),
        spec: Path | None = typer.Option(None, help="Deployment spec: its model.label_column is left out."),
        env: str = environment_option(),
    ) -> None:
        """Build a reference profile from a sample (packaging does this for you); prints what it profiled."""
        import pandas as pd

        from contracts.errors import shown_path
        from monitoring.errors import InputDataError
        from monitoring.profile import build_profile
        from monitoring.sources import CurrentData

        if label_column is None and spec is not None:
            label_column = _resolved_spec(spec, env).spec.model.label_column
        frames = [f for _, f in CurrentData(str(sample), []).chunks()]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if label_column is not None:
            if label_column not in frame.columns:
                raise InputDataError(
                    f"{shown_path(sample)}: no column '{label_column}' to leave out as the label "
                    f"(columns: {', '.join(map(str, frame.columns))}); fix --label-column or model.label_column"
                )
            frame = frame.drop(columns=label_column)
        names = [c.strip() for c in categorical.split(",") if c.strip()]
        profile = build_profile(frame, categorical=names)
        _write_json(profile.model_dump(mode="json"), output)
        kinds: dict[str, list[str]] = {}
        for name, feature in profile.features.items():
            kinds.setdefault(str(getattr(feature, "kind", type(feature).__name__)), []).append(name)
        summary = "; ".join(f"{len(found)} {kind} ({', '.join(found[:6])}{', ...' if len(found) > 6 else ''})"
                            for kind, found in sorted(kinds.items()))
        left_out = f"; label column '{label_column}' left out" if label_column is not None else ""
        print(f"profiled {profile.row_count:,} rows of {shown_path(sample)}: {summary}{left_out}; "
              f"wrote {shown_path(output)}", file=sys.stderr)

    drift_app = typer.Typer(
        invoke_without_command=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        help="Check current data for drift against the reference profile; exit 1 on an alert.",
    )
    app.add_typer(drift_app, name="drift")

    @drift_app.callback()
    def drift_command(
        ctx: typer.Context,
        current: str | None = typer.Option(
            None, help="CSV/Parquet file, capture JSONL directory, or s3://bucket/prefix (required unless merging)."
        ),
        spec: Path | None = typer.Option(None, help="Deployment spec: thresholds, features, model name."),
        env: str = environment_option(),
        profile: Path | None = typer.Option(None, help="Reference profile JSON or the artifact's manifest.json."),
        method: str | None = typer.Option(None, help="psi, ks or kl (overrides the spec)."),
        warn_threshold: float | None = typer.Option(None, help="PSI/KL warn score (overrides the spec)."),
        alert_threshold: float | None = typer.Option(None, help="PSI/KL alert score (overrides the spec)."),
        p_value: float | None = typer.Option(None, help="KS family-wise significance (overrides the spec)."),
        features: str | None = typer.Option(None, help="Comma-separated features to check (default: all)."),
        min_window: int | None = typer.Option(None, help=MIN_WINDOW_HELP),
        missing_rate_min_effect: float | None = typer.Option(None, help=MISSING_EFFECT_HELP),
        allow_extra_columns: bool = typer.Option(False, help="Ignore current columns the profile lacks."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON result here, not stdout."),
        report: Path | None = typer.Option(None, help="Write a self-contained HTML report here."),
        model: str | None = typer.Option(None, help="Model name for metrics (default: the spec's metadata.name)."),
        cloudwatch: bool = typer.Option(False, help="Publish to CloudWatch (namespace the AWS alarms watch)."),
        region: str | None = typer.Option(None, help="AWS region for CloudWatch and S3."),
        prometheus_textfile: Path | None = typer.Option(None, help="Write Prometheus metrics for node-exporter."),
        pushgateway: str | None = typer.Option(None, help="Push Prometheus metrics to this Pushgateway URL."),
        chunk_rows: int = typer.Option(262_144, min=1000, help="Rows held in memory at a time."),
        progress: bool = typer.Option(True, help="Show rows read on stderr (terminals only)."),
        engine: str = typer.Option("local", help=ENGINE_HELP),
        scheduler: str | None = typer.Option(None, help=SCHEDULER_HELP),
        workers: int = typer.Option(2, min=1, help="Workers of the LocalCluster (--engine dask, no --scheduler)."),
        worker_memory: str = typer.Option("2GiB", help="Memory limit per LocalCluster worker."),
        connect_timeout: float = typer.Option(10.0, min=0.1, help="Seconds to wait for the scheduler and a worker."),
        partials_out: str | None = typer.Option(
            None,
            help="Shard mode: write only this shard's partial statistics (versioned JSON) to this file, directory "
            "or s3:// prefix; no verdict, nothing published. Merge the shards with `slipstack drift merge`.",
        ),
        shard_index: int | None = typer.Option(
            None, min=1, help="This shard's number, 1-based (default: from SageMaker's host list, else 1)."
        ),
        shard_count: int | None = typer.Option(
            None, min=1, help="How many shards the run has (default: SageMaker's host count, else 1)."
        ),
        since: str | None = typer.Option(None, metavar="DURATION", help=SINCE_HELP),
        until: str | None = typer.Option(None, metavar="TIME", help=UNTIL_HELP),
        fail_on_alert: bool = typer.Option(
            True, help="Exit 1 on a drift alert; scheduled jobs pass --no-fail-on-alert and alert on the metrics."
        ),
    ) -> None:
        """Check current data for drift against the reference profile; exit 1 on an alert.

        With --partials-out, compute only this shard's partials; `slipstack drift merge` then gives
        the verdict of all shards together.
        """
        if ctx.invoked_subcommand is not None:
            return
        from monitoring.drift import accumulate, accumulate_partition, check_drift
        from monitoring.errors import InputDataError
        from monitoring.sources import CurrentData

        if current is None:
            raise InputDataError("missing option --current: pass the data to check (a file, directory or s3:// prefix)")
        if partials_out is not None:
            publishing = {
                "--output": output, "--report": report, "--cloudwatch": cloudwatch or None,
                "--prometheus-textfile": prometheus_textfile, "--pushgateway": pushgateway,
            }
            given = [name for name, value in publishing.items() if value is not None]
            if given:
                raise InputDataError(
                    f"--partials-out computes one shard's partials only, so {', '.join(given)} cannot apply; "
                    "pass them to `slipstack drift merge`"
                )
        resolved = _resolved_spec(spec, env)
        reference = _profile_for(profile, resolved)
        settings = _drift_settings(
            resolved, method, warn_threshold, alert_threshold, p_value, features, allow_extra_columns,
            min_window, missing_rate_min_effect,
        )

        cluster = _cluster_settings(engine, scheduler, workers, worker_memory, connect_timeout)
        window = _capture_window(since, until)
        if partials_out is not None:
            from monitoring.partials import detect_shard, shard_destination, shard_document, write_shard

            shard = detect_shard(shard_index, shard_count)
            source = CurrentData(current, list(reference.features), chunk_rows=chunk_rows, window=window)
            if cluster is not None:
                from monitoring.distributed import dask_client, drift_partial_on_cluster

                with dask_client(cluster) as client:
                    partial, _ = drift_partial_on_cluster(client, source, reference, settings)
            elif _is_empty_directory(current) or _window_is_empty(source):
                # ShardedByS3Key hands an instance no objects when there are fewer objects than
                # instances: its shard is empty, which merges as the identity.
                from monitoring.drift import checked_feature_names
                from monitoring.statistics import empty_partial

                partial = empty_partial(reference.layouts(checked_feature_names(reference, settings)))
            else:
                partial = accumulate_partition(source.batches(), reference, settings)
            destination = write_shard(
                shard_document(partial, shard, reference, source.summary), shard_destination(partials_out, shard)
            )
            print(
                f"wrote the partials of shard {shard.index} of {shard.count} ({partial.rows:,} rows) to {destination}",
                file=sys.stderr,
            )
            return
        model_name = model or (resolved.name if resolved is not None else "model")
        publishes = cloudwatch or prometheus_textfile is not None or pushgateway is not None
        if publishes and window is not None:
            probe = CurrentData(current, list(reference.features), chunk_rows=chunk_rows, window=window)
            if _window_is_empty(probe):
                # A scheduled run over a quiet window: say so where the alerts look, instead of failing
                # (a failed run pages) or publishing nothing (the staleness alert would fire).
                _publish_no_data("drift", f"{current} (--since {since})", model_name, env, cloudwatch, region,
                                 prometheus_textfile, pushgateway)
                return
        if cluster is not None:
            from monitoring.distributed import dask_client, drift_partial_on_cluster

            source = CurrentData(current, list(reference.features), chunk_rows=chunk_rows, window=window)
            with dask_client(cluster) as client:
                partial, _ = drift_partial_on_cluster(client, source, reference, settings)
        else:
            bar, advance = _progress(progress)
            source = CurrentData(
                current, list(reference.features), chunk_rows=chunk_rows, on_rows=advance, window=window
            )
            if bar is not None:
                bar.start()
            try:
                partial = accumulate(source.batches(), reference, settings)
            finally:
                if bar is not None:
                    bar.stop()
        result = check_drift(reference, partial, settings, source.summary)
        _drift_outputs(
            result, output, report, model_name, env, cloudwatch, region, prometheus_textfile, pushgateway, fail_on_alert
        )

    @drift_app.command("merge")
    def drift_merge_command(
        partials: str = typer.Option(
            ..., help="Directory, file or s3:// prefix holding every shard's partials (their --partials-out)."
        ),
        spec: Path | None = typer.Option(None, help="Deployment spec: thresholds, features, model name."),
        env: str = environment_option(),
        profile: Path | None = typer.Option(None, help="Reference profile JSON or the artifact's manifest.json."),
        method: str | None = typer.Option(None, help="psi, ks or kl (overrides the spec)."),
        warn_threshold: float | None = typer.Option(None, help="PSI/KL warn score (overrides the spec)."),
        alert_threshold: float | None = typer.Option(None, help="PSI/KL alert score (overrides the spec)."),
        p_value: float | None = typer.Option(None, help="KS family-wise significance (overrides the spec)."),
        features: str | None = typer.Option(None, help="Comma-separated features (the same as the shards')."),
        min_window: int | None = typer.Option(None, help=MIN_WINDOW_HELP),
        missing_rate_min_effect: float | None = typer.Option(None, help=MISSING_EFFECT_HELP),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON result here, not stdout."),
        report: Path | None = typer.Option(None, help="Write a self-contained HTML report here."),
        model: str | None = typer.Option(None, help="Model name for metrics (default: the spec's metadata.name)."),
        cloudwatch: bool = typer.Option(False, help="Publish to CloudWatch (namespace the AWS alarms watch)."),
        region: str | None = typer.Option(None, help="AWS region for CloudWatch and S3."),
        prometheus_textfile: Path | None = typer.Option(None, help="Write Prometheus metrics for node-exporter."),
        pushgateway: str | None = typer.Option(None, help="Push Prometheus metrics to this Pushgateway URL."),
        fail_on_alert: bool = typer.Option(
            True, help="Exit 1 on a drift alert; scheduled jobs pass --no-fail-on-alert and alarm on the metrics."
        ),
    ) -> None:
        """Merge every shard's partials, then give exactly the verdict and outputs of a single run."""
        from monitoring.drift import check_drift, checked_feature_names
        from monitoring.errors import CaptureRecordError, InputDataError
        from monitoring.partials import merge_shards, read_shards
        from monitoring.statistics import empty_partial

        resolved = _resolved_spec(spec, env)
        reference = _profile_for(profile, resolved)
        settings = _drift_settings(
            resolved, method, warn_threshold, alert_threshold, p_value, features, False,
            min_window, missing_rate_min_effect,
        )
        layouts = reference.layouts(checked_feature_names(reference, settings))
        s3_client = None
        if partials.startswith("s3://") and region is not None:
            import boto3

            s3_client = boto3.client("s3", region_name=region)
        shards = read_shards(partials, reference, layouts, s3_client)
        partial, summary = merge_shards(shards, empty_partial(layouts))
        if partial.rows == 0 and summary.malformed_records:
            raise CaptureRecordError(
                f"no readable capture record in any of the {len(shards)} shard(s): {summary.malformed_records} "
                f"malformed, first: {summary.malformed_examples[0]}"
            )
        model_name = model or (resolved.name if resolved is not None else "model")
        if partial.rows == 0 and (cloudwatch or prometheus_textfile is not None or pushgateway is not None):
            # Every shard was complete and empty: the scheduled window had no traffic. A completed run without
            # a verdict, published as such (failing here would page through the executions-failed alarm).
            _publish_no_data("drift", f"the {len(shards)} shard(s) under {partials}", model_name, env, cloudwatch,
                             region, prometheus_textfile, pushgateway)
            return
        if partial.rows == 0:
            raise InputDataError(
                f"the current data is empty: the {len(shards)} shard(s) under {partials} read no rows; "
                "check the capture prefix or the time window"
            )
        result = check_drift(reference, partial, settings, summary)
        _drift_outputs(
            result, output, report, model_name, env, cloudwatch, region, prometheus_textfile, pushgateway, fail_on_alert
        )

    @app.command("quality")
    def quality_command(
        predictions: str = typer.Option(
            ...,
            help="Predictions: a CSV/Parquet table (id, prediction, score columns), or SageMaker data-capture JSONL "
            "(a capture directory or s3:// prefix; the replies are parsed, the request id is inferenceId or eventId).",
        ),
        labels: str = typer.Option(..., help="Delayed labels (CSV/Parquet file, directory or s3:// prefix)."),
        spec: Path | None = typer.Option(None, help="Deployment spec: task, metric, threshold, model name."),
        env: str = environment_option(),
        task: str | None = typer.Option(None, help="classification or regression (overrides the spec)."),
        metric: str | None = typer.Option(None, help="accuracy, precision, recall, f1, roc_auc, mae, rmse, r2."),
        threshold: float | None = typer.Option(None, help="Alert threshold (overrides the spec)."),
        id_column: str = typer.Option("inference_id", help="Request id column in both tables."),
        prediction_column: str = typer.Option("prediction", help="Prediction column (tables; not capture)."),
        score_column: str | None = typer.Option(
            None,
            help="Positive-class probability column (roc_auc) of a predictions table; captured replies of a binary "
            "classifier give theirs (the second probability).",
        ),
        label_column: str = typer.Option("label", help="Label column."),
        row_column: str = typer.Option(
            "row", help="Labels: row index within a multi-row captured request (else key labels '<id>#<row>')."
        ),
        positive_label: str | None = typer.Option(None, help="Positive class of a binary classifier (default 1)."),
        classes: str | None = typer.Option(None, help=CLASSES_HELP),
        max_dropped_share: float | None = typer.Option(
            None, help="Largest share of missing/NaN predictions before an alert (overrides the spec; default 0.05)."
        ),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON result here."),
        model: str | None = typer.Option(None, help="Model name for metrics (default: the spec's)."),
        cloudwatch: bool = typer.Option(False, help="Publish to CloudWatch."),
        region: str | None = typer.Option(None, help="AWS region."),
        prometheus_textfile: Path | None = typer.Option(None, help="Write Prometheus metrics for node-exporter."),
        pushgateway: str | None = typer.Option(None, help="Push Prometheus metrics to this Pushgateway URL."),
        engine: str = typer.Option("local", help=ENGINE_HELP),
        scheduler: str | None = typer.Option(None, help=SCHEDULER_HELP),
        workers: int = typer.Option(2, min=1, help="Workers of the LocalCluster (--engine dask, no --scheduler)."),
        worker_memory: str = typer.Option("2GiB", help="Memory limit per LocalCluster worker."),
        connect_timeout: float = typer.Option(10.0, min=0.1, help="Seconds to wait for the scheduler and a worker."),
        fail_on_alert: bool = typer.Option(
            True, help="Exit 1 below the threshold; scheduled jobs pass --no-fail-on-alert and alarm on the metrics."
        ),
        since: str | None = typer.Option(None, metavar="DURATION", help=SINCE_HELP + " Applies to --predictions."),
        until: str | None = typer.Option(None, metavar="TIME", help=UNTIL_HELP),
    ) -> None:
        """Join predictions with delayed labels by request id, score the model; exit 1 when below threshold."""
        from pydantic import ValidationError

        from monitoring.errors import InputDataError, QualityAlertError
        from monitoring.quality import QualitySettings, check_quality, load_labels, prediction_keys
        from monitoring.sources import CurrentData

        resolved = _resolved_spec(spec, env)
        values: dict[str, Any] = {}
        if resolved is not None:
            values["task"] = resolved.spec.model.task
            spec_quality = resolved.spec.monitoring.quality
            if spec_quality is not None:
                values["metric"] = spec_quality.metric
                values["threshold"] = spec_quality.threshold
                values["classes"] = tuple(spec_quality.classes)
                values["max_dropped_share"] = spec_quality.max_dropped_share
                if spec_quality.positive_label is not None and positive_label is None:
                    positive_label = spec_quality.positive_label
        overrides = {
            "task": task,
            "metric": metric,
            "threshold": threshold,
            "classes": tuple(c.strip() for c in classes.split(",") if c.strip()) if classes else None,
            "max_dropped_share": max_dropped_share,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values.update(
            id_column=id_column,
            prediction_column=prediction_column,
            score_column=score_column,
            label_column=label_column,
            positive_label=positive_label,
            row_column=row_column,
        )
        try:
            settings = QualitySettings.model_validate(values)
        except ValidationError as error:
            field = error.errors()[0]["loc"][0]
            raise InputDataError(
                f"quality option {field}: {error.errors()[0]['msg']} "
                f"(set it in monitoring.quality or pass --{str(field).replace('_', '-')})"
            ) from None
        cluster = _cluster_settings(engine, scheduler, workers, worker_memory, connect_timeout)
        source = CurrentData(predictions, [], view="predictions", window=_capture_window(since, until))
        model_name = model or (resolved.name if resolved is not None else "model")
        if (cloudwatch or prometheus_textfile is not None or pushgateway is not None) and _window_is_empty(source):
            _publish_no_data("quality", f"{predictions} (--since {since})", model_name, env, cloudwatch, region,
                             prometheus_textfile, pushgateway)
            return
        if source.is_capture() and settings.task == "classification" and settings.score_column is None:
            # Captured replies carry a binary classifier's probabilities: roc_auc works without a column name.
            settings = settings.model_copy(update={"score_column": "score"})
        # Locally, only the labels of the window's predictions are kept (a first pass collects their keys), so
        # a long label history costs reading time, not memory; a cluster gets every label (its workers join).
        # (Read through a source of its own: `source.summary` counts the scored pass only.)
        keys_source = CurrentData(predictions, [], view="predictions", window=_capture_window(since, until))
        wanted = prediction_keys(keys_source.chunks(), settings) if cluster is None else None
        label_series = load_labels(CurrentData(labels, []).chunks(), settings, wanted)
        from monitoring.errors import NoLabelledPredictionsError

        try:
            if cluster is not None:
                from monitoring.distributed import dask_client, quality_partial_on_cluster
                from monitoring.quality import decide_quality

                with dask_client(cluster) as client:
                    (total, joined, unlabelled), _ = quality_partial_on_cluster(
                        client, source, label_series, settings)
                result = decide_quality(total, joined, unlabelled, len(label_series), settings, source.summary)
            else:
                result = check_quality(source.chunks(), label_series, settings, source.summary)
        except NoLabelledPredictionsError as error:
            if not (cloudwatch or prometheus_textfile is not None or pushgateway is not None):
                raise
            # A scheduled run before the labels arrived: a completed run without a verdict, not a failure
            # (a failed run pages through the executions-failed alarm).
            print(f"quality: {error}", file=sys.stderr)
            _publish("quality", None, model_name, env, cloudwatch, region, prometheus_textfile, pushgateway)
            return
        _write_json(result.model_dump(mode="json"), output)
        if result.malformed_records:
            print(
                f"warning: skipped {result.malformed_records} capture records whose reply could not be read, first: "
                f"{result.malformed_examples[0]}",
                file=sys.stderr,
            )
        if result.ambiguous_rows:
            print(
                f"warning: {result.ambiguous_rows} rows of multi-row requests were not scored: their labels name "
                f"only the request; key them '<request id>#<row>' or add a '{row_column}' column",
                file=sys.stderr,
            )
        _publish("quality", result, model_name, env, cloudwatch, region, prometheus_textfile, pushgateway)
        if result.status == "alert" and fail_on_alert:
            raise QualityAlertError("; ".join(result.reasons))

    @app.command("smoke")
    def smoke_command(
        stack: str | None = typer.Option(None, help="Pulumi stack whose outputs list the endpoints."),
        outputs: Path | None = typer.Option(None, help="Stack outputs JSON (instead of `pulumi stack output`)."),
        manifest: Path | None = typer.Option(None, help="Packaged artifact manifest.json holding the example."),
        request: Path | None = typer.Option(None, help="V2 inference request JSON (with --expected)."),
        expected: Path | None = typer.Option(None, help="Expected outputs JSON (a list, or a V2 response)."),
        model: str | None = typer.Option(None, help="Only this model of the stack."),
        target: str = typer.Option("all", help="aws, onprem or all."),
        timeout: float = typer.Option(30.0, help="Seconds per request."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON result here."),
    ) -> None:
        """Invoke the deployed endpoint(s) with the packaged example; exit 1 if any answer is wrong."""
        import subprocess

        from monitoring.errors import InputDataError, SmokeTestError
        from monitoring.smoke import deployed_models, example_from_files, example_from_manifest, run_smoke

        if outputs is not None:
            try:
                stack_outputs = json.loads(outputs.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise InputDataError(f"{outputs}: not a readable stack outputs JSON ({error})") from None
            source = str(outputs)
        elif stack is not None:
            try:
                completed = subprocess.run(
                    ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=120,
                )
                stack_outputs = json.loads(completed.stdout)
            except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as error:
                raise InputDataError(
                    f"cannot read outputs of stack {stack!r} with the pulumi CLI ({error}); pass --outputs FILE"
                ) from None
            source = f"stack {stack}"
        else:
            raise InputDataError("pass --stack NAME or --outputs FILE")
        if target not in ("aws", "onprem", "all"):
            raise InputDataError(f"--target {target!r}: use aws, onprem or all")
        targets: Any = ("aws", "onprem") if target == "all" else (target,)
        if request is not None and expected is not None:
            example = example_from_files(request, expected)
        elif manifest is not None:
            example = example_from_manifest(manifest)
        elif request is None and expected is None and target == "all":
            # No example given: each model with the example packaged with the version the stack deployed
            # (build/packages/<model>/<version>/manifest.json), on every target it was deployed to.
            from slipstack.delivery.deploy import PackagedModel, smoke_stack
            from slipstack.plan.runner import find_project

            root = find_project(Path(".")).root
            packages = {}
            for name, entry in deployed_models(stack_outputs, source).items():
                folder = root / "build" / "packages" / name / str(entry.get("version"))
                if model is None or name == model:
                    packages[name] = PackagedModel(name, str(entry.get("version")), folder, "")
            for name, package in packages.items():
                if not (package.folder / "manifest.json").is_file():
                    raise InputDataError(f"{package.folder}: no packaged {name} {package.version} to take the "
                                         "example request from; run `make prepare` (or pass --manifest)")
            shown = {k: v for k, v in stack_outputs.items() if k != "models"}
            checks = smoke_stack({**shown, "models": {k: v for k, v in stack_outputs["models"].items()
                                                      if k in packages}}, packages, source)
            _write_json({"passed": True, "checks": checks}, output)
            return
        else:
            raise InputDataError("pass --manifest MANIFEST.json or both --request and --expected")
        result = run_smoke(
            deployed_models(stack_outputs, source), example, targets=targets, only_model=model, timeout=timeout
        )
        _write_json(result.model_dump(mode="json"), output)
        if not result.passed:
            failed = [f"{c.model}/{c.target}: {'; '.join(c.problems)}" for c in result.checks if not c.passed]
            raise SmokeTestError("smoke test failed: " + " | ".join(failed))
