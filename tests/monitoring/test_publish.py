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
