"""Sharded drift: `drift --partials-out` per shard + `drift merge` equals one run; bad shards fail cleanly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pytest
import typer
from moto import mock_aws
from typer.testing import CliRunner

from contracts import metrics
from contracts.errors import SlipstackError
from monitoring.drift import DriftSettings, accumulate
from monitoring.errors import InputDataError
from monitoring.job_command import (
    DriftJobSettings,
    QualityJobSettings,
    drift_job_command,
    drift_merge_command,
    quality_job_command,
)
from monitoring.partials import (
    ShardIdentity,
    detect_shard,
    merge_shards,
    partial_from_json,
    partial_to_json,
    read_shards,
)
from monitoring.profile import load_profile
from monitoring.sources import CurrentData
from monitoring.statistics import CategoricalPartial, DataPartial, NumericPartial, empty_partial
from slipstack.commands.monitoring_commands import register

# Uneven partition sizes, one empty file and one whose numeric values are all missing.
SIZES = (4000, 0, 1, 2500, 777, 3100, 1200)


def _invoke(*args: str) -> tuple[int, str, str]:
    """Run like `slipstack.cli.main`: a SlipstackError becomes `error: ...` and its exit code."""
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, SlipstackError):
        return result.exception.exit_code, result.stdout, f"error: {result.exception}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shards")
    rng = np.random.default_rng(7)
    n = 20_000
    pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.exponential(size=n),
            "c": rng.choice(["x", "y", "z"], size=n),
            "k": rng.integers(0, 4, size=n),  # counted value by value (a discrete feature)
        }
    ).to_parquet(root / "ref.parquet")
    code, _, err = _invoke("profile", str(root / "ref.parquet"), "-o", str(root / "profile.json"), "--categorical", "c")
    assert code == 0, err
    (root / "cur").mkdir()
    for index, rows in enumerate(SIZES):
        frame = pd.DataFrame(
            {
                "a": rng.normal(0.3, 1.0, rows),
                "b": rng.exponential(size=rows),
                "c": rng.choice(["x", "y", "z", "new"], size=rows, p=[0.3, 0.3, 0.3, 0.1]),
                "k": rng.integers(0, 5, size=rows),
            }
        )
        if index == 3:
            frame.loc[frame.index[:7], "a"] = np.inf  # infinities: counted beyond the range, not in moments
        if index == 4:
            frame["b"] = np.nan  # a partition whose values are all missing
        frame.loc[frame.index % 97 == 0, "a"] = np.nan
        frame.to_parquet(root / "cur" / f"part-{index}.parquet")
    return root


def _files(data: Path) -> list[Path]:
    return sorted((data / "cur").glob("*.parquet"))


def _assert_partials_equal(merged: DataPartial, single: DataPartial) -> None:
    assert merged.rows == single.rows
    assert merged.features.keys() == single.features.keys()
    for name, mine in merged.features.items():
        theirs = single.features[name]
        assert np.array_equal(mine.counts, theirs.counts), name
        assert mine.missing == theirs.missing, name
        if isinstance(mine, NumericPartial):
            assert isinstance(theirs, NumericPartial)
            assert mine.moments.count == theirs.moments.count
            assert mine.moments.mean == pytest.approx(theirs.moments.mean, abs=1e-9, rel=1e-9)
            assert mine.moments.m2 == pytest.approx(theirs.moments.m2, rel=1e-9)
            assert (mine.minimum, mine.maximum) == (theirs.minimum, theirs.maximum)
            assert mine.infinite == theirs.infinite
        else:
            assert mine.unseen == theirs.unseen  # type: ignore[union-attr]


def test_json_form_round_trips_exactly(data: Path) -> None:
    profile = load_profile(data / "profile.json")
    single = accumulate(CurrentData(str(data / "cur"), []).batches(), profile, DriftSettings())
    empty = empty_partial(profile.layouts())
    for partial in (single, empty):
        text = json.dumps(partial_to_json(partial), allow_nan=False)
        back = partial_from_json(json.loads(text))
        assert back.rows == partial.rows
        for name, feature in partial.features.items():
            restored = back.features[name]
            assert np.array_equal(restored.counts, feature.counts)
            if isinstance(feature, NumericPartial):
                assert isinstance(restored, NumericPartial)
                # exact, not approximate: repr round-trips a float64
                assert (restored.moments, restored.minimum, restored.maximum, restored.infinite) == (
                    feature.moments, feature.minimum, feature.maximum, feature.infinite)
            else:
                assert isinstance(restored, CategoricalPartial)
                assert (restored.unseen, restored.missing, restored.unseen_examples) == (
                    feature.unseen, feature.missing, feature.unseen_examples)
    assert empty.features["a"].minimum == float("inf")  # type: ignore[union-attr]
    assert single.features["a"].infinite == 6  # type: ignore[union-attr]  # row 0 of the 7 is then made NaN
    assert profile.features["k"].values == [0.0, 1.0, 2.0, 3.0]  # type: ignore[union-attr]


@pytest.mark.parametrize("shards", [1, 2, 7, 9])
def test_shards_then_merge_equal_a_single_run(data: Path, tmp_path: Path, shards: int) -> None:
    files = _files(data)
    partials = tmp_path / "partials"
    for index in range(1, shards + 1):
        # Like ShardedByS3Key: each instance's input directory holds its share of the objects
        # (9 shards > 7 files: two instances get an empty directory).
        shard_dir = tmp_path / f"input-{index}"
        shard_dir.mkdir()
        for file in files[index - 1 :: shards]:
            (shard_dir / file.name).write_bytes(file.read_bytes())
        code, _, err = _invoke(
            "drift", "--current", str(shard_dir), "--profile", str(data / "profile.json"), "--method", "psi",
            "--no-progress", "--partials-out", str(partials), "--shard-index", str(index),
            "--shard-count", str(shards),
        )
        assert code == 0, err
    assert sorted(p.name for p in partials.iterdir()) == sorted(ShardIdentity(i, shards).file_name
                                                               for i in range(1, shards + 1))

    code, merged_out, err = _invoke(
        "drift", "merge", "--partials", str(partials), "--profile", str(data / "profile.json"), "--method", "psi",
    )
    single_code, single_out, _ = _invoke(
        "drift", "--current", str(data / "cur"), "--profile", str(data / "profile.json"), "--method", "psi",
        "--no-progress",
    )
    assert code == single_code, err
    merged, single = json.loads(merged_out), json.loads(single_out)
    assert merged["rows"] == single["rows"] == sum(SIZES)
    assert (merged["status"], merged["drifted_features"], merged["warned_features"]) == (
        single["status"], single["drifted_features"], single["warned_features"])
    assert sorted(Path(s).name for s in merged["input"]["sources"]) == sorted(
        Path(s).name for s in single["input"]["sources"])
    for mine, theirs in zip(merged["features"], single["features"], strict=True):
        assert mine["feature"] == theirs["feature"] and mine["rows"] == theirs["rows"]
        assert mine["missing_rate_current"] == theirs["missing_rate_current"]
        assert mine["psi"] == pytest.approx(theirs["psi"], abs=1e-12)
        for key in ("mean_current", "std_current"):
            if theirs[key] is not None:
                assert mine[key] == pytest.approx(theirs[key], abs=1e-9)

    # The partials themselves: counts exact, moments to 1e-9.
    profile = load_profile(data / "profile.json")
    layouts = profile.layouts()
    total, _ = merge_shards(read_shards(str(partials), profile, layouts), empty_partial(layouts))
    _assert_partials_equal(total, accumulate(CurrentData(str(data / "cur"), []).batches(), profile, DriftSettings()))


def _shards_to_s3(data: Path, prefix: str, indices: list[int], count: int) -> None:
    files = _files(data)
    for index in indices:
        part = files[index - 1 :: count]
        shard_dir = data / f"s3-shard-{prefix.rsplit('/', 2)[-2]}-{index}"
        shard_dir.mkdir(exist_ok=True)
        for file in part:
            (shard_dir / file.name).write_bytes(file.read_bytes())
        code, _, err = _invoke(
            "drift", "--current", str(shard_dir), "--profile", str(data / "profile.json"), "--no-progress",
            "--partials-out", prefix, "--shard-index", str(index), "--shard-count", str(count),
        )
        assert code == 0, err


@mock_aws
def test_s3_shards_merge_and_publish_once(data: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="art")
    _shards_to_s3(data, "s3://art/drift-partials/run-1/", [1, 2, 3], 3)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="art", Prefix="drift-partials/")["Contents"]]
    assert keys == [f"drift-partials/run-1/shard-{i}-of-3.json" for i in (1, 2, 3)]
    settings = DriftJobSettings(model="churn", environment="prod", current="unused",
                                profile=str(data / "profile.json"), cloudwatch=True, region="us-east-1")
    argv = drift_merge_command(settings, "s3://art/drift-partials/run-1/", output=str(data / "merged.json"))
    assert argv[:3] == ["slipstack", "drift", "merge"]
    code, _, err = _invoke(*argv[1:])
    assert code in (0, 1), err  # 1 when the shifted feature alerts: a verdict, after publishing
    names = {m["MetricName"] for m in boto3.client("cloudwatch", region_name="us-east-1")
             .list_metrics(Namespace=metrics.CLOUDWATCH_NAMESPACE)["Metrics"]}
    assert {metrics.DRIFTED_FEATURES, metrics.DRIFT_SCORE_MAX} <= names
    assert json.loads((data / "merged.json").read_text())["rows"] == sum(SIZES)


@mock_aws
def test_missing_shard_is_named_and_nothing_is_published(data: Path) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="art")
    _shards_to_s3(data, "s3://art/drift-partials/run-2/", [1, 3], 3)
    code, out, err = _invoke(
        "drift", "merge", "--partials", "s3://art/drift-partials/run-2/", "--profile", str(data / "profile.json"),
        "--cloudwatch", "--region", "us-east-1",
    )
    assert code == 2 and out == ""
    assert "shard(s) [2] of 3 are missing" in err and "shard-2-of-3.json" in err
    published = boto3.client("cloudwatch", region_name="us-east-1").list_metrics(Namespace=metrics.CLOUDWATCH_NAMESPACE)
    assert published["Metrics"] == []


def test_corrupt_or_foreign_shard_is_named(data: Path, tmp_path: Path) -> None:
    partials = tmp_path / "p"
    for index in (1, 2):
        code, _, err = _invoke(
            "drift", "--current", str(_files(data)[index]), "--profile", str(data / "profile.json"),
            "--no-progress", "--partials-out", str(partials), "--shard-index", str(index), "--shard-count", "2",
        )
        assert code == 0, err
    second = partials / "shard-2-of-2.json"
    good = second.read_text()
    second.write_text(good[: len(good) // 2])  # an upload cut short
    code, out, err = _invoke("drift", "merge", "--partials", str(partials), "--profile", str(data / "profile.json"))
    assert code == 2 and out == ""
    assert str(second) in err and "corrupt shard partials file" in err

    document = json.loads(good)
    document["partial"]["features"]["a"]["counts"][0] = -3
    second.write_text(json.dumps(document))
    code, _, err = _invoke("drift", "merge", "--partials", str(partials), "--profile", str(data / "profile.json"))
    assert code == 2 and str(second) in err and "counts[0]" in err

    document = json.loads(good)
    document["profile_sha256"] = "0" * 64
    second.write_text(json.dumps(document))
    code, _, err = _invoke("drift", "merge", "--partials", str(partials), "--profile", str(data / "profile.json"))
    assert code == 2 and "different reference profile" in err

    code, _, err = _invoke("drift", "merge", "--partials", str(tmp_path / "nowhere"),
                           "--profile", str(data / "profile.json"))
    assert code == 2 and "no such file or directory" in err


def test_a_shard_publishes_nothing(data: Path, tmp_path: Path) -> None:
    code, _, err = _invoke(
        "drift", "--current", str(data / "cur"), "--profile", str(data / "profile.json"), "--no-progress",
        "--partials-out", str(tmp_path / "p"), "--cloudwatch",
    )
    assert code == 2 and "--cloudwatch" in err and "slipstack drift merge" in err
    assert not (tmp_path / "p").exists()


def test_shard_identity_from_sagemaker_resource_config(tmp_path: Path) -> None:
    config = tmp_path / "resourceconfig.json"
    hosts = [f"algo-{i}" for i in range(1, 12)]
    config.write_text(json.dumps({"current_host": "algo-10", "hosts": list(reversed(hosts))}))
    assert detect_shard(None, None, config) == ShardIdentity(10, 11)
    assert detect_shard(None, None, tmp_path / "absent.json") == ShardIdentity(1, 1)
    assert detect_shard(2, 4, config) == ShardIdentity(2, 4)
    with pytest.raises(InputDataError, match="go together"):
        detect_shard(2, None, config)
    config.write_text("{}")
    with pytest.raises(InputDataError, match="--shard-index"):
        detect_shard(None, None, config)


def test_job_commands_for_shards_merge_and_quality() -> None:
    base: dict[str, Any] = {"model": "m", "environment": "prod", "current": "/opt/ml/processing/input/capture",
                            "profile": "/opt/ml/processing/input/profile/manifest.json", "features": ("a",)}
    shard = drift_job_command(DriftJobSettings(**base, partials_out="/opt/ml/processing/output/partials"))
    assert shard[-2:] == ["--partials-out", "/opt/ml/processing/output/partials"]
    with pytest.raises(ValueError, match="publishes nothing"):
        DriftJobSettings(**base, partials_out="/x", cloudwatch=True)
    merge = drift_merge_command(DriftJobSettings(**base, cloudwatch=True, region="eu-west-1"), "/p")
    assert merge[:5] == ["slipstack", "drift", "merge", "--partials", "/p"]
    assert merge[-5:] == ["--features", "a", "--cloudwatch", "--region", "eu-west-1"]
    quality = quality_job_command(QualityJobSettings(
        model="m", environment="prod", predictions="/in/p", labels="/in/l", task="classification",
        metric="roc_auc", threshold=0.95, cloudwatch=True))
    assert quality == ["slipstack", "quality", "--predictions", "/in/p", "--labels", "/in/l", "--model", "m",
                       "--env", "prod", "--task", "classification", "--metric", "roc_auc", "--threshold", "0.95",
                       "--cloudwatch"]


def test_quality_job_command_runs_through_the_cli(tmp_path: Path) -> None:
    ids = [f"r{i}" for i in range(200)]
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 200)
    pd.DataFrame({"inference_id": ids, "prediction": truth, "score": truth * 0.8 + 0.1}).to_csv(
        tmp_path / "pred.csv", index=False)
    pd.DataFrame({"inference_id": ids, "label": truth}).to_csv(tmp_path / "labels.csv", index=False)
    argv = quality_job_command(QualityJobSettings(
        model="m", environment="prod", predictions=str(tmp_path / "pred.csv"), labels=str(tmp_path / "labels.csv"),
        task="classification", metric="accuracy", threshold=0.9, output=str(tmp_path / "q.json")))
    code, _, err = _invoke(*argv[1:])
    assert code == 0, err
    assert json.loads((tmp_path / "q.json").read_text())["metrics"]["accuracy"] == 1.0
