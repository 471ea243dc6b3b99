"""The container command of the scheduled drift job, for each engine (what a CronJob or job runs).

A pure function of the job's settings, so the Kubernetes and AWS stacks build the same argv and a
test can run it through the real CLI. Engines:
- ``local``: one process reads the capture prefix in chunks (the default; fine up to ~10^8 rows/h);
- ``dask`` with a scheduler address (``monitoring.drift.dask_scheduler``): the job pod is only the
  client; partials are computed on the cluster's workers and merged in the pod;
- ``dask`` without an address: the pod starts a LocalCluster of ``local_dask_workers`` processes,
  for a job pod with several cores.
Sharded (the AWS stack's SageMaker Processing job): with ``partials_out`` every instance writes only
its shard's partials there; `drift_merge_command` is the final step that merges them, decides and
publishes. `quality_job_command` is the scheduled quality check on delayed labels.

Time window: capture prefixes only grow, so both jobs read only the capture files of the last
`--since` hours (the `yyyy/mm/dd/hh/` partitions, see `monitoring.capture_window`). `since` sets it
explicitly; otherwise, with the job's `schedule` (five-field cron) given, it is the window matching the
schedule: the longest gap between two runs rounded up to hours, plus one hour so every hour partition
is read complete by some run (hourly job: 2h, every 6 hours: 7h, daily: 25h). The quality job adds
`label_delay_hours`, since a prediction can be scored only once its label has arrived (daily with a
72 h delay: 97h). With neither, the whole prefix is read, as before.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts import metrics
from monitoring.capture_window import format_duration, parse_duration, schedule_period, window_for_schedule
from monitoring.errors import InputDataError


def window_hours(since: str | None) -> int:
    """A `--since` value in whole hours (rounded up), 0 for none: what a scheduled job's input must cover."""
    if since is None:
        return 0
    return math.ceil(parse_duration(since, "since") / timedelta(hours=1))


def _valid_duration(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_duration(value, "since")
        except InputDataError as error:
            raise ValueError(str(error)) from None
    return value


def _valid_schedule(value: str | None) -> str | None:
    if value is not None:
        try:
            schedule_period(value)
        except InputDataError as error:
            raise ValueError(str(error)) from None
    return value


class DriftJobSettings(BaseModel):
    """Everything the drift job's command line carries; the stacks fill it from the spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="model name: the metrics' model dimension/label")
    environment: str = Field(description="spec environment whose overrides apply")
    current: str = Field(description="capture data: s3://bucket/prefix/ or a path mounted in the pod")
    profile: str = Field(description="reference profile JSON or the packaged manifest.json, as seen in the pod")
    method: Literal["psi", "ks", "kl"] = "ks"
    warn_threshold: float = 0.1
    alert_threshold: float = 0.2
    p_value: float = 0.05
    features: tuple[str, ...] = ()
    min_window: int | None = Field(default=None, ge=2, description="monitoring.drift.min_window (None: default)")
    missing_rate_min_effect: float | None = Field(
        default=None, ge=0, le=1, description="monitoring.drift.missing_rate_min_effect (None: default)"
    )
    engine: Literal["local", "dask"] = "local"
    dask_scheduler: str | None = Field(default=None, description="tcp://host:8786; only with engine dask")
    local_dask_workers: int = Field(default=2, ge=1, le=64, description="LocalCluster workers without a scheduler")
    worker_memory: str = Field(default="2GiB", description="memory limit per LocalCluster worker")
    connect_timeout_s: float = Field(default=30.0, gt=0, description="wait for the scheduler and a first worker")
    pushgateway: str | None = Field(default=None, description="Prometheus Pushgateway URL (Kubernetes)")
    cloudwatch: bool = Field(default=False, description="publish to CloudWatch (AWS)")
    region: str | None = None
    prometheus_textfile: str | None = None
    partials_out: str | None = Field(
        default=None, description="shard mode: write this shard's partials here (directory or s3:// prefix)"
    )
    schedule: str | None = Field(
        default=None, description="the job's five-field cron schedule; sets the default capture window"
    )
    since: str | None = Field(
        default=None, description="capture window, e.g. '2h' (default: the window matching `schedule`)"
    )
    fail_on_alert: bool = Field(
        default=True, description="exit 1 on a drift alert; False for scheduled jobs, whose alert travels by metrics"
    )

    _since = field_validator("since")(_valid_duration)
    _schedule = field_validator("schedule")(_valid_schedule)

    def capture_window(self) -> str | None:
        """The `--since` value the job passes: explicit, else matching the schedule, else None (all)."""
        if self.since is not None:
            return self.since
        return format_duration(window_for_schedule(self.schedule)) if self.schedule else None

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> DriftJobSettings:
        if self.dask_scheduler is not None and self.engine != "dask":
            raise ValueError("dask_scheduler is set but engine is 'local'; use engine 'dask'")
        publishes = self.cloudwatch or self.pushgateway is not None or self.prometheus_textfile is not None
        if self.partials_out is not None and publishes:
            raise ValueError("a shard (partials_out) publishes nothing; publish from the merge step")
        return self


def _drift_window_options(settings: DriftJobSettings) -> list[str]:
    """The sample-size options, only when set, so jobs planned before they existed are unchanged."""
    argv: list[str] = []
    if settings.min_window is not None:
        argv += ["--min-window", str(settings.min_window)]
    if settings.missing_rate_min_effect is not None:
        argv += ["--missing-rate-min-effect", f"{settings.missing_rate_min_effect:g}"]
    return argv


def drift_job_command(settings: DriftJobSettings) -> list[str]:
    """The argv of the drift job container (``slipstack drift ...``)."""
    argv = [
        "slipstack", "drift",
        "--current", settings.current,
        "--profile", settings.profile,
        "--model", settings.model,
        "--env", settings.environment,
        "--method", settings.method,
        "--warn-threshold", f"{settings.warn_threshold:g}",
        "--alert-threshold", f"{settings.alert_threshold:g}",
        "--p-value", f"{settings.p_value:g}",
        "--no-progress",
    ]  # fmt: skip
    if settings.features:
        argv += ["--features", ",".join(settings.features)]
    argv += _drift_window_options(settings)
    window = settings.capture_window()
    if window is not None:
        argv += ["--since", window]
    if settings.engine == "dask":
        argv += ["--engine", "dask", "--connect-timeout", f"{settings.connect_timeout_s:g}"]
        if settings.dask_scheduler is not None:
            argv += ["--scheduler", settings.dask_scheduler]
        else:
            argv += ["--workers", str(settings.local_dask_workers), "--worker-memory", settings.worker_memory]
    if settings.pushgateway is not None:
        argv += ["--pushgateway", settings.pushgateway]
    if settings.cloudwatch:
        argv += [metrics.CLOUDWATCH_PUBLISH_FLAG] + (["--region", settings.region] if settings.region else [])
    if settings.prometheus_textfile is not None:
        argv += ["--prometheus-textfile", settings.prometheus_textfile]
    if settings.partials_out is not None:
        argv += ["--partials-out", settings.partials_out]
    elif not settings.fail_on_alert:
        # A Job that fails on drift is retried (backoffLimit) and raises a job-failure alert on top of the
        # drift alert; it fails only when it could not run (exit 2: bad input, unreachable store).
        argv.append("--no-fail-on-alert")
    return argv


def drift_merge_command(
    settings: DriftJobSettings,
    partials: str,
    output: str | None = None,
    report: str | None = None,
    fail_on_alert: bool = True,
) -> list[str]:
    """The argv of the final step of a sharded run (``slipstack drift merge ...``).

    Method, thresholds and features come from the same settings as the shards', so both steps agree;
    `current`, the engine and `partials_out` belong to the shards and are not repeated here.
    """
    argv = [
        "slipstack", "drift", "merge",
        "--partials", partials,
        "--profile", settings.profile,
        "--model", settings.model,
        "--env", settings.environment,
        "--method", settings.method,
        "--warn-threshold", f"{settings.warn_threshold:g}",
        "--alert-threshold", f"{settings.alert_threshold:g}",
        "--p-value", f"{settings.p_value:g}",
    ]  # fmt: skip
    if settings.features:
        argv += ["--features", ",".join(settings.features)]
    argv += _drift_window_options(settings)
    if output is not None:
        argv += ["--output", output]
    if report is not None:
        argv += ["--report", report]
    if not fail_on_alert:  # a scheduled job: the alarm on the published metrics does the alerting
        argv.append("--no-fail-on-alert")
    if settings.pushgateway is not None:
        argv += ["--pushgateway", settings.pushgateway]
    if settings.cloudwatch:
        argv += [metrics.CLOUDWATCH_PUBLISH_FLAG] + (["--region", settings.region] if settings.region else [])
    if settings.prometheus_textfile is not None:
        argv += ["--prometheus-textfile", settings.prometheus_textfile]
    return argv


# Labels arrive label_delay_hours late: both stacks check quality once a day, at 03:00 UTC.
QUALITY_SCHEDULE = "0 3 * * *"


class QualityJobSettings(BaseModel):
    """Everything the scheduled quality job's command line carries; the stacks fill it from the spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="model name: the metrics' model dimension/label")
    environment: str = Field(description="spec environment whose overrides apply")
    predictions: str = Field(description="predictions with request ids (file, directory or s3:// prefix)")
    labels: str = Field(description="delayed labels with request ids (file, directory or s3:// prefix)")
    task: Literal["classification", "regression"]
    metric: Literal["accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2"]
    threshold: float
    classes: tuple[str, ...] = Field(default=(), description="monitoring.quality.classes (empty: observed)")
    positive_label: str | None = Field(default=None, description="monitoring.quality.positive_label")
    max_dropped_share: float | None = Field(
        default=None, ge=0, le=1, description="monitoring.quality.max_dropped_share (None: default)"
    )
    output: str | None = Field(default=None, description="write the JSON result here")
    cloudwatch: bool = Field(default=False, description="publish to CloudWatch (AWS)")
    region: str | None = None
    pushgateway: str | None = Field(default=None, description="Prometheus Pushgateway URL (Kubernetes)")
    fail_on_alert: bool = Field(default=True, description="exit 1 below the threshold (False: alarms alert)")
    schedule: str | None = Field(
        default=None, description="the job's five-field cron schedule; sets the default capture window"
    )
    label_delay_hours: int = Field(
        default=0, ge=0, le=720, description="monitoring.quality.label_delay_hours: widens the default window"
    )
    since: str | None = Field(
        default=None,
        description="capture window of the predictions, e.g. '97h' (default: schedule window + label delay)",
    )

    _since = field_validator("since")(_valid_duration)
    _schedule = field_validator("schedule")(_valid_schedule)

    def capture_window(self) -> str | None:
        """The `--since` value the job passes: explicit, else schedule window + label delay, else None."""
        if self.since is not None:
            return self.since
        if self.schedule is None:
            return None
        return format_duration(window_for_schedule(self.schedule, timedelta(hours=self.label_delay_hours)))


def quality_job_command(settings: QualityJobSettings) -> list[str]:
    """The argv of the scheduled quality job (``slipstack quality ...``)."""
    argv = [
        "slipstack", "quality",
        "--predictions", settings.predictions,
        "--labels", settings.labels,
        "--model", settings.model,
        "--env", settings.environment,
        "--task", settings.task,
        "--metric", settings.metric,
        "--threshold", f"{settings.threshold:g}",
    ]  # fmt: skip
    if settings.classes:
        argv += ["--classes", ",".join(settings.classes)]
    if settings.positive_label is not None:
        argv += ["--positive-label", settings.positive_label]
    if settings.max_dropped_share is not None:
        argv += ["--max-dropped-share", f"{settings.max_dropped_share:g}"]
    window = settings.capture_window()
    if window is not None:
        argv += ["--since", window]
    if settings.output is not None:
        argv += ["--output", settings.output]
    if not settings.fail_on_alert:
        argv.append("--no-fail-on-alert")
    if settings.pushgateway is not None:
        argv += ["--pushgateway", settings.pushgateway]
    if settings.cloudwatch:
        argv += [metrics.CLOUDWATCH_PUBLISH_FLAG] + (["--region", settings.region] if settings.region else [])
    return argv
