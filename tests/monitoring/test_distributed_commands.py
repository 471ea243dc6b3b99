"""`slipstack drift|quality --engine dask`: same JSON as local, clean errors, nothing published on failure."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
import typer
from distributed import LocalCluster
from moto import mock_aws
from typer.testing import CliRunner

from contracts.errors import SlipstackError
from slipstack.commands.monitoring_commands import register


def _invoke(*args: str) -> tuple[int, str, str]:
    """Run like `slipstack.cli.main`: a SlipstackError becomes `error: ...` and its exit code."""
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, SlipstackError):
        return result.exception.exit_code, result.stdout, f"{result.exception.label}: {result.exception}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=20_000), "b": rng.normal(size=20_000)}).to_parquet(tmp_path / "ref.parquet")
    code, _, err = _invoke("profile", str(tmp_path / "ref.parquet"), "-o", str(tmp_path / "profile.json"))
    assert code == 0, err
    (tmp_path / "cur").mkdir()
    for index, rows in enumerate([3000, 10, 7000]):
        pd.DataFrame({"a": rng.normal(0.2, 1, rows), "b": rng.normal(size=rows)}).to_parquet(
            tmp_path / "cur" / f"p{index}.parquet"
        )
    return tmp_path


def _drift(inputs: Path, *extra: str) -> tuple[int, str, str]:
    return _invoke(
        "drift", "--current", str(inputs / "cur"), "--profile", str(inputs / "profile.json"), "--model", "churn",
        "--no-progress", *extra,
    )


def test_dask_engine_gives_the_local_json(inputs: Path, scheduler: str) -> None:
    code_local, out_local, err_local = _drift(inputs)
    code_dask, out_dask, err_dask = _drift(inputs, "--engine", "dask", "--scheduler", scheduler)
    assert code_local == code_dask == 1, (err_local, err_dask)
    assert err_dask == "alert: drift over the alert threshold in 1 feature(s): a"
    local, remote = json.loads(out_local), json.loads(out_dask)
    assert remote["rows"] == local["rows"] == 10_010
    assert remote["input"]["sources"] == local["input"]["sources"]
    for ours, theirs in zip(remote["features"], local["features"], strict=True):
        assert ours["feature"] == theirs["feature"] and ours["status"] == theirs["status"]
        assert ours["score"] == pytest.approx(theirs["score"], rel=1e-9)
        assert ours["mean_current"] == pytest.approx(theirs["mean_current"], rel=1e-9)


def test_unreachable_scheduler_exits_2(inputs: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    code, _, err = _drift(
        inputs, "--engine", "dask", "--scheduler", address, "--connect-timeout", "1",
        "--prometheus-textfile", str(inputs / "m.prom"),
    )
    assert code == 2 and address in err and "cannot reach the Dask scheduler" in err
    assert not (inputs / "m.prom").exists()
    code, _, err = _drift(inputs, "--scheduler", address)
    assert code == 2 and err == "error: --scheduler needs --engine dask"
    code, _, err = _drift(inputs, "--engine", "spark")
    assert code == 2 and "--engine 'spark'" in err


def test_failed_partition_publishes_nothing(inputs: Path, scheduler: str) -> None:
    (inputs / "cur" / "p1.parquet").write_bytes(b"not parquet at all")
    with mock_aws():
        code, out, err = _drift(
            inputs, "--engine", "dask", "--scheduler", scheduler, "--cloudwatch", "--region", "us-east-1",
            "--prometheus-textfile", str(inputs / "m.prom"), "-o", str(inputs / "r.json"),
        )
        published = boto3.client("cloudwatch", region_name="us-east-1").list_metrics()["Metrics"]
    assert code == 2 and "p1.parquet" in err and "not a readable Parquet file" in err
    assert published == [] and not (inputs / "m.prom").exists() and not (inputs / "r.json").exists()
    assert out == ""


def test_complete_dask_run_publishes(inputs: Path, scheduler: str) -> None:
    with mock_aws():
        code, _, _ = _drift(
            inputs, "--engine", "dask", "--scheduler", scheduler, "--cloudwatch", "--region", "us-east-1"
        )
        published = boto3.client("cloudwatch", region_name="us-east-1").list_metrics()["Metrics"]
    assert code == 1 and {m["MetricName"] for m in published} >= {"DriftScoreMax", "DriftedFeatures"}


def test_quality_on_a_local_dask_cluster(tmp_path: Path) -> None:
    """No --scheduler: the command starts (and stops) a LocalCluster of worker processes."""
    (tmp_path / "pred").mkdir()
    pd.DataFrame({"inference_id": ["a", "b"], "prediction": [1, 0]}).to_csv(tmp_path / "pred" / "1.csv", index=False)
    pd.DataFrame({"inference_id": ["c", "d"], "prediction": [1, 1]}).to_csv(tmp_path / "pred" / "2.csv", index=False)
    pd.DataFrame({"inference_id": ["a", "b", "c"], "label": [1, 1, 1]}).to_csv(tmp_path / "l.csv", index=False)
    code, out, err = _invoke(
        "quality", "--predictions", str(tmp_path / "pred"), "--labels", str(tmp_path / "l.csv"),
        "--task", "classification", "--metric", "accuracy", "--threshold", "0.5", "--engine", "dask",
        "--worker-memory", "512MiB",
    )
    assert code == 0, err
    result = json.loads(out)
    assert (result["joined_rows"], result["predictions_without_label"]) == (3, 1)
    assert result["value"] == pytest.approx(2 / 3)
