"""The drift job's argv per engine, and that the real CLI accepts and runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from distributed import LocalCluster
from pydantic import ValidationError
from typer.testing import CliRunner

from contracts.errors import SlipstackError
from deployment_spec.model import Drift
from monitoring.job_command import DriftJobSettings, QualityJobSettings, drift_job_command, quality_job_command
from slipstack.commands.monitoring_commands import register
from tests.monitoring.capture_fixtures import capture_line, hour_key, write_lines

BASE: dict[str, Any] = {
    "model": "churn",
    "environment": "prod",
    "current": "s3://b/capture/churn/prod/",
    "profile": "/models/m.json",
}


def test_local_engine_command() -> None:
    argv = drift_job_command(DriftJobSettings(**BASE, features=("a", "b"), pushgateway="http://pgw:9091"))
    assert argv == [
        "slipstack", "drift", "--current", "s3://b/capture/churn/prod/", "--profile", "/models/m.json",
        "--model", "churn", "--env", "prod", "--method", "ks", "--warn-threshold", "0.1",
        "--alert-threshold", "0.2", "--p-value", "0.05", "--no-progress", "--features", "a,b",
        "--pushgateway", "http://pgw:9091",
    ]  # fmt: skip


def test_dask_engine_commands() -> None:
    remote = drift_job_command(DriftJobSettings(**BASE, engine="dask", dask_scheduler="tcp://dask:8786"))
    assert remote[-6:] == ["--engine", "dask", "--connect-timeout", "30", "--scheduler", "tcp://dask:8786"]
    local = drift_job_command(
        DriftJobSettings(**BASE, engine="dask", local_dask_workers=4, cloudwatch=True, region="eu-west-1")
    )
    assert local[-11:] == [
        "--engine", "dask", "--connect-timeout", "30", "--workers", "4", "--worker-memory", "2GiB",
        "--cloudwatch", "--region", "eu-west-1",
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="use engine 'dask'"):
        DriftJobSettings(**BASE, dask_scheduler="tcp://dask:8786")


def test_spec_field_validates_the_address() -> None:
    assert Drift(dask_scheduler="tcp://dask-scheduler.monitoring.svc:8786").dask_scheduler
    assert Drift().dask_scheduler is None
    for bad in ("dask:8786", "http://dask:8786", "tcp://dask", "tcp://-x:1"):
        with pytest.raises(ValidationError):
            Drift(dask_scheduler=bad)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_generated_command_runs_through_the_cli(tmp_path: Path, scheduler: str) -> None:
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=5000)}).to_parquet(tmp_path / "ref.parquet")
    pd.DataFrame({"a": rng.normal(size=5000)}).to_parquet(tmp_path / "cur.parquet")
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    assert runner.invoke(app, ["profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "p.json")]).exit_code == 0
    settings = DriftJobSettings(
        **{**BASE, "current": str(tmp_path / "cur.parquet"), "profile": str(tmp_path / "p.json")},
        engine="dask",
        dask_scheduler=scheduler,
        prometheus_textfile=str(tmp_path / "drift.prom"),
    )
    argv = drift_job_command(settings)
    assert argv[:2] == ["slipstack", "drift"]
    result = runner.invoke(app, argv[1:])
    if isinstance(result.exception, SlipstackError):
        pytest.fail(str(result.exception))
    assert result.exit_code == 0, result.output
    assert 'slipstack_drifted_features{environment="prod",model="churn"} 0.0' in (tmp_path / "drift.prom").read_text()


def test_capture_window_follows_the_schedule() -> None:
    hourly = drift_job_command(DriftJobSettings(**BASE, schedule="0 * * * *"))
    assert hourly[hourly.index("--since") : hourly.index("--since") + 2] == ["--since", "2h"]
    assert "--since" not in drift_job_command(DriftJobSettings(**BASE))  # no schedule: the whole prefix
    explicit = drift_job_command(DriftJobSettings(**BASE, schedule="0 * * * *", since="6h"))
    assert explicit[explicit.index("--since") + 1] == "6h"
    quality = QualityJobSettings(
        model="m", environment="prod", predictions="s3://b/dc/", labels="s3://b/labels/", task="regression",
        metric="rmse", threshold=3.0, schedule="0 3 * * *", label_delay_hours=72,
    )  # fmt: skip
    argv = quality_job_command(quality)
    assert argv[argv.index("--since") + 1] == "97h"  # a day between runs + 1 h + the 72 h label delay
    with pytest.raises(ValidationError, match="give a duration like 2h"):
        DriftJobSettings(**BASE, since="2 hours")
    with pytest.raises(ValidationError, match="five-field cron"):
        QualityJobSettings(**{**quality.model_dump(), "schedule": "hourly"})


def test_windowed_drift_command_runs_through_the_cli(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pd.DataFrame({"a": rng.normal(size=5000), "b": rng.normal(size=5000)}).to_parquet(tmp_path / "ref.parquet")
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    assert runner.invoke(app, ["profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "p.json")]).exit_code == 0
    now = datetime.now(UTC)

    def capture(hour: datetime, shift: float) -> None:
        # each record its own rows: three copies of the same 400 would not be a sample of 1,200
        def rows() -> str:
            return "\n".join(f"{a:.4f},{b:.4f}" for a, b in rng.normal(shift, 1, (400, 2)))

        lines = [capture_line(f"e{i}", ("1", "text/csv"), input_csv=rows()) for i in range(3)]
        write_lines(tmp_path / "capture" / "ep" / "AllTraffic" / hour_key(hour), lines)

    capture(now, 0.0)  # this hour: no drift
    capture(now - timedelta(hours=30), 3.0)  # a day ago, outside an hourly job's 2 h window: badly drifted
    settings = DriftJobSettings(
        **{**BASE, "current": str(tmp_path / "capture"), "profile": str(tmp_path / "p.json")},
        method="psi", schedule="0 * * * *", prometheus_textfile=str(tmp_path / "drift.prom"),
    )  # fmt: skip
    argv = drift_job_command(settings)
    result = runner.invoke(app, argv[1:])
    if isinstance(result.exception, SlipstackError):
        pytest.fail(str(result.exception))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 1200
    assert 'slipstack_drifted_features{environment="prod",model="churn"} 0.0' in (tmp_path / "drift.prom").read_text()


def test_a_shard_with_no_file_in_the_window_writes_empty_partials(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000)}).to_parquet(tmp_path / "ref.parquet")
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    assert runner.invoke(app, ["profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "p.json")]).exit_code == 0
    old = datetime.now(UTC) - timedelta(days=2)
    write_lines(tmp_path / "shard" / "ep" / "v" / hour_key(old), [capture_line("e1", ("1", "text/csv"))])
    settings = DriftJobSettings(
        **{**BASE, "current": str(tmp_path / "shard"), "profile": str(tmp_path / "p.json")},
        schedule="0 * * * *", partials_out=str(tmp_path / "partials"),
    )  # fmt: skip
    result = runner.invoke(app, [*drift_job_command(settings)[1:], "--shard-index", "2", "--shard-count", "3"])
    assert result.exit_code == 0, result.output
    shard = json.loads((tmp_path / "partials" / "shard-2-of-3.json").read_text())
    assert shard["partial"]["rows"] == 0


def test_sample_size_and_class_settings_reach_the_cli(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pd.DataFrame({"a": rng.normal(size=5000), "b": rng.normal(size=5000)}).to_parquet(tmp_path / "ref.parquet")
    pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)}).to_parquet(tmp_path / "cur.parquet")
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    assert runner.invoke(app, ["profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "p.json")]).exit_code == 0
    drift = DriftJobSettings(
        **{**BASE, "current": str(tmp_path / "cur.parquet"), "profile": str(tmp_path / "p.json")},
        min_window=1000, missing_rate_min_effect=0.02,
    )  # fmt: skip
    argv = drift_job_command(drift)
    assert argv[argv.index("--min-window") + 1] == "1000" and "--missing-rate-min-effect" in argv
    assert "--min-window" not in drift_job_command(DriftJobSettings(**BASE))  # unset: jobs as planned before
    result = runner.invoke(app, argv[1:])
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["status"] == "insufficient_data" and output["settings"]["min_rows"] == 1000
    assert output["settings"]["missing_rate_min_effect"] == 0.02
    quality = quality_job_command(
        QualityJobSettings(
            model="m", environment="prod", predictions="p", labels="l", task="classification", metric="recall",
            threshold=0.5, classes=("benign", "malignant"), positive_label="malignant", max_dropped_share=0.1,
        )
    )  # fmt: skip
    assert quality[quality.index("--classes") + 1] == "benign,malignant"
    assert quality[quality.index("--positive-label") + 1] == "malignant"
    assert quality[quality.index("--max-dropped-share") + 1] == "0.1"
def test_a_scheduled_drift_job_succeeds_on_drift_and_fails_only_when_it_cannot_run() -> None:
    from monitoring.job_command import DriftJobSettings, drift_job_command

    base = {"model": "m", "environment": "prod", "current": "s3://b/capture/m/prod/", "profile": "/p.json"}
    assert "--no-fail-on-alert" in drift_job_command(DriftJobSettings(**base, fail_on_alert=False))
    assert "--no-fail-on-alert" not in drift_job_command(DriftJobSettings(**base))
    # A shard gives no verdict, so it has no alert to fail on.
    shard = DriftJobSettings(**base, fail_on_alert=False, partials_out="/out")
    assert "--no-fail-on-alert" not in drift_job_command(shard)
