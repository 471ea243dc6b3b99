"""Model quality straight from SageMaker data capture: the join, the keying of multi-row requests,
bad records, the Dask path, and the scheduled AWS job's exact argv run end to end against moto."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest
import typer
from distributed import LocalCluster
from moto import mock_aws
from sklearn import metrics as skm
from typer.testing import CliRunner

from contracts import metrics as contract
from contracts.errors import SlipstackError
from monitoring.distributed import ClusterSettings, dask_client, quality_partial_on_cluster
from monitoring.errors import CaptureRecordError, InputDataError
from monitoring.job_command import QualityJobSettings, quality_job_command
from monitoring.quality import QualitySettings, check_quality, decide_quality, load_labels
from monitoring.sources import CurrentData
from slipstack.commands.monitoring_commands import register
from tests.monitoring.capture_fixtures import capture_line, classifier_reply, hour_key, write_lines

REPLIES = ("application/json", "text/csv", "v2", "base64")


@dataclass
class Traffic:
    """Captured requests of a binary classifier and what the labels say about each scored row."""

    lines: list[str]
    labels: pd.DataFrame  # keyed '<id>' or '<id>#<row>'
    labels_with_row_column: pd.DataFrame
    scored: pd.DataFrame  # every row that has a label: truth, prediction, score
    ambiguous: int
    unlabelled: int


def _traffic(seed: int = 0, singles: int = 240, pairs: int = 60) -> Traffic:
    rng = np.random.default_rng(seed)
    lines: list[str] = []
    keyed, by_row, scored = [], [], []
    ambiguous = unlabelled = 0

    def request(index: int, rows: int) -> tuple[list[int], list[int], list[float]]:
        truth = rng.integers(0, 2, rows).tolist()
        score = np.clip(np.asarray(truth) * 0.35 + rng.uniform(0, 0.65, rows), 0, 0.999).round(6).tolist()
        predicted = [int(s > 0.5) for s in score]
        accept = REPLIES[index % len(REPLIES)]
        reply = classifier_reply(predicted, score, "text/csv" if accept == "base64" else accept)
        encoding = "BASE64" if accept == "base64" else None
        inference_id = f"order-{index}" if index % 2 else None  # half the callers set an inferenceId
        lines.append(capture_line(f"evt-{index}", reply, inference_id, encoding))
        return truth, predicted, score

    for index in range(singles):
        truth, predicted, score = request(index, 1)
        request_id = f"order-{index}" if index % 2 else f"evt-{index}"
        if index % 8 == 7:  # its label has not arrived yet
            unlabelled += 1
            continue
        keyed.append((request_id, truth[0]))
        scored.append((truth[0], predicted[0], score[0]))
    for number in range(pairs):
        index = singles + number
        truth, predicted, score = request(index, 2)
        request_id = f"order-{index}" if index % 2 else f"evt-{index}"
        if number % 6 == 5:  # labelled by the request id alone: its two rows cannot be told apart
            keyed.append((request_id, truth[0]))
            ambiguous += 2
            continue
        for row in range(2):
            if number % 2:
                keyed.append((f"{request_id}#{row}", truth[row]))
            else:
                by_row.append((request_id, row, truth[row]))
            scored.append((truth[row], predicted[row], score[row]))
    lines.insert(3, "{not json")
    lines.insert(7, capture_line("evt-broken", ('{"error": "model not loaded"}', "application/json")))
    return Traffic(
        lines,
        pd.DataFrame(keyed, columns=["inference_id", "label"]),
        pd.DataFrame(by_row, columns=["inference_id", "row", "label"]),
        pd.DataFrame(scored, columns=["label", "prediction", "score"]),
        ambiguous,
        unlabelled,
    )


def _write(traffic: Traffic, root: Path) -> tuple[Path, Path]:
    half = len(traffic.lines) // 2
    capture = root / "capture" / "screening-prod" / "AllTraffic"
    write_lines(capture / "2025/03/01/09" / "a.jsonl", traffic.lines[:half])
    write_lines(capture / "2025/03/01/10" / "b.jsonl", traffic.lines[half:])
    (root / "labels").mkdir()
    traffic.labels.to_csv(root / "labels" / "keyed.csv", index=False)
    traffic.labels_with_row_column.to_parquet(root / "labels" / "by-row.parquet")
    return root / "capture", root / "labels"


SETTINGS = QualitySettings(task="classification", metric="roc_auc", threshold=0.9, score_column="score")


def test_capture_quality_equals_the_table_path(tmp_path: Path) -> None:
    traffic = _traffic()
    capture, labels_dir = _write(traffic, tmp_path)
    labels = load_labels(CurrentData(str(labels_dir), []).chunks(), SETTINGS)
    source = CurrentData(str(capture), [], view="predictions", chunk_rows=1000)
    result = check_quality(source.chunks(), labels, SETTINGS, source.summary)

    scored = traffic.scored
    assert result.joined_rows == len(scored)
    assert result.predictions_without_label == traffic.unlabelled + traffic.ambiguous
    assert result.ambiguous_rows == traffic.ambiguous == 20
    assert result.malformed_records == 2
    assert "a.jsonl:4: not JSON" in result.malformed_examples[0]
    assert (
        "(eventId evt-broken)" in result.malformed_examples[1]
        and "not one list per output" in (result.malformed_examples[1])
    )
    # Exactly what quality.py computes from a predictions table holding the same joined rows ...
    table = scored.assign(inference_id=[f"r{i}" for i in range(len(scored))])
    table_labels = load_labels(iter([("l", table[["inference_id", "label"]])]), SETTINGS)
    from_table = check_quality(iter([("t", table.drop(columns="label"))]), table_labels, SETTINGS)
    assert result.metrics == from_table.metrics
    # ... and what scikit-learn says.
    assert result.metrics["accuracy"] == pytest.approx(skm.accuracy_score(scored.label, scored.prediction))
    assert result.metrics["f1"] == pytest.approx(skm.f1_score(scored.label, scored.prediction))
    assert result.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(scored.label, scored.score), abs=2e-3)


def test_capture_quality_on_dask_equals_local(tmp_path: Path) -> None:
    traffic = _traffic(seed=3)
    capture, labels_dir = _write(traffic, tmp_path)
    labels = load_labels(CurrentData(str(labels_dir), []).chunks(), SETTINGS)
    local_source = CurrentData(str(capture), [], view="predictions")
    local = check_quality(local_source.chunks(), labels, SETTINGS, local_source.summary)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        dask_client(ClusterSettings(scheduler=cluster.scheduler_address)) as client,
    ):
        source = CurrentData(str(capture), [], view="predictions")
        (total, joined, unlabelled), run = quality_partial_on_cluster(client, source, labels, SETTINGS)
    remote = decide_quality(total, joined, unlabelled, len(labels), SETTINGS, source.summary)
    assert remote == local
    assert run.partitions == 2 and remote.malformed_records == 2


def test_labels_keyed_by_request_only_explain_the_empty_join(tmp_path: Path) -> None:
    reply = classifier_reply([1, 0], [0.8, 0.3], "application/json")
    capture = write_lines(tmp_path / "c" / "2025/03/01/10" / "a.jsonl", [capture_line("e1", reply, "order-1")])
    labels = load_labels(iter([("l", pd.DataFrame({"inference_id": ["order-1"], "label": [1]}))]), SETTINGS)
    with pytest.raises(InputDataError, match=r"2 captured rows belong to multi-row requests.*'<request id>#<row>'"):
        check_quality(CurrentData(str(capture.parent), [], view="predictions").chunks(), labels, SETTINGS)
    bad_rows = pd.DataFrame({"inference_id": ["order-1"], "row": ["first"], "label": [1]})
    with pytest.raises(InputDataError, match="'row' column must hold row indexes"):
        load_labels(iter([("labels.csv", bad_rows)]), SETTINGS)


def _invoke(*args: str) -> tuple[int, str, str]:
    """Run like `slipstack.cli.main`: a SlipstackError becomes `<label>: ...` and its exit code."""
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, SlipstackError):
        return result.exception.exit_code, result.stdout, f"{result.exception.label}: {result.exception}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_detects_capture_and_scores_roc_auc_without_a_score_column(tmp_path: Path) -> None:
    traffic = _traffic(seed=5)
    capture, labels_dir = _write(traffic, tmp_path)
    code, _, err = _invoke(
        "quality", "--predictions", str(capture), "--labels", str(labels_dir), "--task", "classification",
        "--metric", "roc_auc", "--threshold", "0.99", "-o", str(tmp_path / "q.json"),
        "--since", "30m", "--until", "2025-03-01T10:30:00Z",
    )  # fmt: skip
    result = json.loads((tmp_path / "q.json").read_text())
    assert code == 1 and err.startswith("alert: roc_auc is 0.")  # below 0.99: the verdict, after the JSON
    assert err.endswith("worse than the threshold 0.99")
    # Only b.jsonl (hour 10) is in the window: none of a.jsonl's rows or malformed records are read.
    read = result["joined_rows"] + result["predictions_without_label"]
    assert result["malformed_records"] == 0 and 0 < read < len(traffic.scored) + traffic.unlabelled + traffic.ambiguous
    code, _, err = _invoke(
        "quality", "--predictions", str(capture), "--labels", str(labels_dir), "--task", "classification",
        "--metric", "accuracy", "--threshold", "0.5", "--since", "1h", "--until", "2025-03-01T13:00:00Z",
    )  # fmt: skip
    assert code == 2 and "no capture files in the window 2025-03-01T12:00Z to 2025-03-01T13:00Z" in err
    code, _, err = _invoke(
        "quality", "--predictions", str(capture), "--labels", str(labels_dir), "--task", "classification",
        "--metric", "accuracy", "--threshold", "0.5", "--until", "2025-03-01T13:00:00Z",
    )  # fmt: skip
    assert code == 2 and err == "error: --until needs --since: give the window's length, e.g. --since 2h"


def test_cli_names_the_first_record_when_no_reply_is_readable(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "c" / "2025/03/01/10" / "a.jsonl",
        ["{oops", capture_line("e2", ('{"error": "x"}', "application/json"))],
    )
    pd.DataFrame({"inference_id": ["e2"], "label": [1]}).to_csv(tmp_path / "labels.csv", index=False)
    code, _, err = _invoke(
        "quality", "--predictions", str(tmp_path / "c"), "--labels", str(tmp_path / "labels.csv"),
        "--task", "classification", "--metric", "accuracy", "--threshold", "0.5",
    )  # fmt: skip
    assert code == 2
    assert err.startswith("error: no readable capture record in") and "2 malformed, first:" in err
    assert "a.jsonl:1: not JSON" in err
    assert CaptureRecordError.exit_code == 2


# --- the scheduled AWS job, end to end ------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("s3", region_name="eu-west-1")


def _run_slipstack(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> int:
    """The container's entry point, `slipstack.cli.main`, with this argv (in-process, so moto applies)."""
    from slipstack import cli

    assert argv[0] == "slipstack"
    monkeypatch.setattr(sys, "argv", argv)
    try:
        cli.main()
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    else:
        code = 0
    assert code == 0, capsys.readouterr().err
    return code


def _quality_metric(name: str, model: str) -> float:
    cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
    listed = cloudwatch.list_metrics(Namespace=contract.CLOUDWATCH_NAMESPACE, MetricName=name)["Metrics"]
    assert [{d["Name"]: d["Value"] for d in m["Dimensions"]} for m in listed] == [
        {contract.DIMENSION_MODEL: model, contract.DIMENSION_ENVIRONMENT: "prod"}
    ]
    now = datetime.now(UTC)
    stats = cloudwatch.get_metric_statistics(
        Namespace=contract.CLOUDWATCH_NAMESPACE,
        MetricName=name,
        Dimensions=listed[0]["Dimensions"],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=3600,
        Statistics=["Maximum"],
    )
    (point,) = stats["Datapoints"]
    return float(point["Maximum"])


def _upload(s3: Any, bucket: str, prefix: str, local: Path) -> None:
    for file in sorted(p for p in local.rglob("*") if p.is_file()):
        s3.upload_file(str(file), bucket, prefix + file.relative_to(local).as_posix())


def _download_prefix(s3: Any, uri: str, local: Path) -> None:
    """What SageMaker Processing does with an S3Prefix input: copy every object below it, keeping the layout."""
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            target = local / item["Key"][len(prefix) :].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))


def test_the_aws_quality_jobs_argv_publishes_the_metric(
    aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.aws.model_quality_job import ModelQualityJobArgs, quality_steps

    traffic = _traffic(seed=11)
    capture, labels_dir = _write(traffic, tmp_path / "data")
    aws.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    _upload(aws, "artifacts", "data-capture/", capture)
    _upload(aws, "artifacts", "labels/screening/", labels_dir)
    args = ModelQualityJobArgs(
        model="breast-cancer-screening", environment="prod", name_prefix="bcs-prod", account_id="123456789012",
        region="eu-west-1", image_uri="img", image_repository_arn="arn:aws:ecr:eu-west-1:123456789012:repository/x",
        kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k", topic_arn="arn:aws:sns:eu-west-1:123456789012:t",
        bucket_name="artifacts", predictions_prefix="data-capture/", labels_uri="s3://artifacts/labels/screening/",
        task="classification", metric="roc_auc", threshold=0.95, schedule_expression="cron(0 3 * * ? *)",
    )  # fmt: skip
    (step,) = quality_steps(args)
    # The Processing job: inputs copied from S3 to their container paths, the result path created.
    argv = list(step.container_argv)
    for processing_input in step.inputs:
        local = tmp_path / "container" / processing_input.name
        _download_prefix(aws, processing_input.s3_uri, local)
        argv = [str(local) if a == processing_input.local_path else a for a in argv]
    result_dir = tmp_path / "container" / "result"
    argv = [a.replace(step.outputs[0].local_path, str(result_dir)) for a in argv]
    assert "--cloudwatch" in argv and "--no-fail-on-alert" in argv

    _run_slipstack(argv, monkeypatch, capsys)

    result = json.loads((result_dir / "quality.json").read_text())
    expected = skm.roc_auc_score(traffic.scored.label, traffic.scored.score)
    assert result["joined_rows"] == len(traffic.scored) and result["malformed_records"] == 2
    assert result["metrics"]["roc_auc"] == pytest.approx(expected, abs=2e-3)
    assert _quality_metric("QualityRocAuc", "breast-cancer-screening") == pytest.approx(result["metrics"]["roc_auc"])
    assert "skipped 2 capture records" in capsys.readouterr().err


def test_job_command_reads_s3_capture_directly_within_its_window(
    aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.create_bucket(Bucket="capture", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    now = datetime.now(UTC)
    good = classifier_reply([1, 0], [0.9, 0.2], "application/json")
    wrong = classifier_reply([0], [0.1], "text/csv")
    prefix = "dc/churn-prod/AllTraffic/"
    # Inside a daily job's window (25 h, no label delay): scored. Older: a wrong prediction never read.
    aws.put_object(Bucket="capture", Key=prefix + hour_key(now - timedelta(hours=3)), Body=capture_line("e1", good))
    aws.put_object(Bucket="capture", Key=prefix + hour_key(now - timedelta(days=3)), Body=capture_line("e2", wrong))
    labels = "inference_id,label\ne1#0,1\ne1#1,0\ne2,1\n"
    aws.put_object(Bucket="capture", Key="labels/2025.csv", Body=labels.encode())
    settings = QualityJobSettings(
        model="churn", environment="prod", predictions="s3://capture/dc/", labels="s3://capture/labels/",
        task="classification", metric="accuracy", threshold=0.9, cloudwatch=True, region="eu-west-1",
        fail_on_alert=False, schedule="0 3 * * *", output=str(tmp_path / "q.json"),
    )  # fmt: skip
    argv = quality_job_command(settings)
    assert argv[argv.index("--since") + 1] == "25h"
    _run_slipstack(argv, monkeypatch, capsys)
    result = json.loads((tmp_path / "q.json").read_text())
    assert (result["joined_rows"], result["metrics"]["accuracy"]) == (2, 1.0)
    assert _quality_metric("QualityAccuracy", "churn") == 1.0
