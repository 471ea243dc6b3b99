from __future__ import annotations

from pathlib import Path

import boto3
import numpy as np
import pandas as pd
from moto import mock_aws

from contracts import metrics
from monitoring.drift import DriftSettings, check_drift
from monitoring.profile import build_profile
from monitoring.publish import (
    MetricTarget,
    drift_metric_data,
    prometheus_registry,
    publish_cloudwatch,
    write_textfile,
)
from monitoring.statistics import partial_from_frame


def _result():
    rng = np.random.default_rng(0)
    profile = build_profile(pd.DataFrame({"x": rng.normal(size=5000), "y": rng.normal(size=5000)}))
    current = pd.DataFrame({"x": rng.normal(1, 1, 5000), "y": rng.normal(size=5000)})
    return check_drift(profile, partial_from_frame(current, profile.layouts()), DriftSettings())


@mock_aws
def test_cloudwatch_metrics_land_in_the_alarmed_namespace() -> None:
    client = boto3.client("cloudwatch", region_name="eu-west-1")
    result = _result()
    sent = publish_cloudwatch(drift_metric_data(result, MetricTarget("churn", "prod")), client=client)
    assert sent == 6  # DriftScoreMax, DriftedFeatures, MissingRateMax, DriftRows and the two features
    listed = client.list_metrics(Namespace=metrics.CLOUDWATCH_NAMESPACE, MetricName=metrics.DRIFTED_FEATURES)
    dims = {d["Name"]: d["Value"] for d in listed["Metrics"][0]["Dimensions"]}
    assert dims == {metrics.DIMENSION_MODEL: "churn", metrics.DIMENSION_ENVIRONMENT: "prod"}
    stats = client.get_metric_statistics(
        Namespace=metrics.CLOUDWATCH_NAMESPACE,
        MetricName=metrics.DRIFTED_FEATURES,
        Dimensions=listed["Metrics"][0]["Dimensions"],
        StartTime="2000-01-01",
        EndTime="2100-01-01",
        Period=60,
        Statistics=["Maximum"],
    )
    assert stats["Datapoints"][0]["Maximum"] == 1.0
    per_feature = client.list_metrics(
        Namespace=metrics.CLOUDWATCH_NAMESPACE, Dimensions=[{"Name": metrics.DIMENSION_FEATURE, "Value": "x"}]
    )
    assert per_feature["Metrics"][0]["MetricName"] == metrics.DRIFT_SCORE_MAX


def test_prometheus_textfile(tmp_path: Path) -> None:
    path = tmp_path / "collector" / "slipstack.prom"
    write_textfile(prometheus_registry(MetricTarget("churn", "prod"), drift=_result()), path)
    text = path.read_text()
    assert f'{metrics.PROM_DRIFTED_FEATURES}{{environment="prod",model="churn"}} 1.0' in text
    assert f'{metrics.PROM_DRIFT_SCORE}{{environment="prod",feature="x",method="ks",model="churn"}}' in text
    assert metrics.PROM_DRIFT_LAST_RUN in text and metrics.PROM_MISSING_RATE in text
    assert [p.name for p in path.parent.iterdir()] == ["slipstack.prom"]


def _samples(registry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(generate_latest(registry).decode()) for s in f.samples}


def test_every_run_publishes_its_status_and_time_a_verdict_only_when_judged() -> None:
    target = MetricTarget("churn", "prod")
    judged = _samples(prometheus_registry(target, drift=_result()))
    names = {name for name, _ in judged}
    assert {metrics.PROM_DRIFTED_FEATURES, metrics.PROM_DRIFT_LAST_RUN, metrics.PROM_DRIFT_STATUS,
            metrics.PROM_DRIFT_ROWS} <= names
    labels = (("environment", "prod"), ("model", "churn"))
    assert judged[(metrics.PROM_DRIFT_STATUS, tuple(sorted((*labels, ("status", "alert")))))] == 1
    assert judged[(metrics.PROM_DRIFT_STATUS, tuple(sorted((*labels, ("status", "ok")))))] == 0

    quiet = _samples(prometheus_registry(target, no_data="drift"))
    assert {name for name, _ in quiet} == {metrics.PROM_DRIFT_LAST_RUN, metrics.PROM_DRIFT_STATUS,
                                           metrics.PROM_DRIFT_ROWS}
    assert quiet[(metrics.PROM_DRIFT_STATUS, tuple(sorted((*labels, ("status", metrics.STATUS_NO_DATA)))))] == 1
    assert quiet[(metrics.PROM_DRIFT_LAST_RUN, labels)] > 0

    # A result the statistics call too small to test (#19's status) publishes no verdict either.
    small = _result().model_copy(update={"status": metrics.STATUS_INSUFFICIENT_DATA})
    published = _samples(prometheus_registry(target, drift=small))
    assert metrics.PROM_DRIFTED_FEATURES not in {name for name, _ in published}
    assert published[(metrics.PROM_DRIFT_STATUS,
                      tuple(sorted((*labels, ("status", metrics.STATUS_INSUFFICIENT_DATA)))))] == 1
    assert [d["MetricName"] for d in drift_metric_data(small, target)] == [metrics.DRIFT_ROWS]


def test_a_scheduled_drift_run_over_a_quiet_window_publishes_no_data_and_exits_0(tmp_path: Path) -> None:
    import subprocess
    import sys

    rng = np.random.default_rng(1)
    profile_path = tmp_path / "profile.json"
    profile_path.write_text(build_profile(pd.DataFrame({"x": rng.normal(size=500)})).model_dump_json())
    old = tmp_path / "capture" / "2020" / "01" / "01" / "00"
    old.mkdir(parents=True)
    (old / "capture.jsonl").write_text("")
    textfile = tmp_path / "drift.prom"
    finished = subprocess.run(
        [sys.executable, "-m", "slipstack", "drift", "--current", f"{tmp_path / 'capture'}/", "--profile",
         str(profile_path), "--model", "churn", "--env", "prod", "--since", "2h", "--no-progress",
         "--prometheus-textfile", str(textfile)], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert "no rows in the window" in finished.stderr
    text = textfile.read_text()
    assert f'{metrics.PROM_DRIFT_STATUS}{{environment="prod",model="churn",status="no_data"}} 1.0' in text
    assert metrics.PROM_DRIFTED_FEATURES not in text
    # Without a publishing target it is still the user's mistake to point at an empty window: exit 2.
    unpublished = subprocess.run(
        [sys.executable, "-m", "slipstack", "drift", "--current", f"{tmp_path / 'capture'}/", "--profile",
         str(profile_path), "--since", "2h", "--no-progress"], capture_output=True, text=True)
    assert unpublished.returncode == 2, unpublished.stderr


def test_a_scheduled_quality_run_before_the_labels_arrive_publishes_no_data_and_exits_0(tmp_path: Path) -> None:
    import subprocess
    import sys

    predictions = tmp_path / "predictions.csv"
    predictions.write_text("inference_id,prediction\na,1\nb,0\n")
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,label\nx,1\n")  # labels of other requests: none of these is labelled yet
    textfile = tmp_path / "quality.prom"
    base = [sys.executable, "-m", "slipstack", "quality", "--predictions", str(predictions), "--labels", str(labels),
            "--task", "classification", "--metric", "accuracy", "--threshold", "0.9", "--model", "churn",
            "--env", "prod"]
    finished = subprocess.run([*base, "--prometheus-textfile", str(textfile)], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    text = textfile.read_text()
    assert f'{metrics.PROM_QUALITY_STATUS}{{environment="prod",model="churn",status="no_data"}} 1.0' in text
    assert f"{metrics.PROM_QUALITY}{{" not in text
    # Run by hand without publishing, the same input is still reported as bad input.
    assert subprocess.run(base, capture_output=True, text=True).returncode == 2
