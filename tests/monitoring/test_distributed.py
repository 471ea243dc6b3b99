"""The Dask engine gives the single-process answer, ships only partials, and fails cleanly (issue 10)."""

from __future__ import annotations

import itertools
import json
import os
import pickle
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import cloudpickle
import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster
from moto import mock_aws

from monitoring.distributed import (
    ClusterError,
    ClusterSettings,
    DriftPartitionPartial,
    dask_client,
    drift_partial_on_cluster,
    merge_on_cluster,
    quality_partial_on_cluster,
)
from monitoring.drift import DriftSettings, accumulate, check_drift
from monitoring.errors import InputDataError
from monitoring.profile import ReferenceProfile, build_profile
from monitoring.quality import QualitySettings, check_quality, decide_quality, load_labels
from monitoring.sources import CurrentData
from monitoring.statistics import DataPartial, NumericPartial

ROWS = 6000


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A real two-worker Dask cluster (threads: fast to start; moto's S3 mock reaches its workers)."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster.scheduler_address


def _cluster(address: str) -> ClusterSettings:
    return ClusterSettings(scheduler=address, connect_timeout_s=5)


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(5, 2, rows), "y": rng.exponential(1, rows), "c": rng.choice(["a", "b", "z"], rows)}
    )
    frame.loc[frame.index[::13], "y"] = np.nan
    return frame


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    return build_profile(_frame(3000, seed=1), categorical=["c"])


def _write_partitions(directory: Path, current: pd.DataFrame, parts: int, seed: int) -> None:
    """Uneven Parquet partitions of `current`, plus an empty one and one whose x is all missing."""
    directory.mkdir(parents=True, exist_ok=True)
    cuts = sorted({0, *np.random.default_rng(seed).integers(1, len(current), parts - 1).tolist(), len(current)})
    for index, (start, end) in enumerate(itertools.pairwise(cuts)):
        current.iloc[start:end].to_parquet(directory / f"part-{index:02d}.parquet")
    current.iloc[:0].to_parquet(directory / "part-empty.parquet")
    missing = _frame(200, seed=seed + 100)
    missing["x"] = np.nan
    missing.to_parquet(directory / "part-missing.parquet")


def _assert_same(merged: DataPartial, single: DataPartial) -> None:
    assert merged.rows == single.rows
    for name, one in single.features.items():
        other = merged.features[name]
        assert type(other) is type(one)
        assert np.array_equal(other.counts, one.counts)
        assert other.missing == one.missing
        if isinstance(one, NumericPartial) and isinstance(other, NumericPartial):
            assert other.moments.count == one.moments.count
            assert other.moments.mean == pytest.approx(one.moments.mean, rel=1e-9, abs=1e-12)
            assert other.moments.m2 == pytest.approx(one.moments.m2, rel=1e-9)
            assert (other.minimum, other.maximum) == (one.minimum, one.maximum)


@pytest.mark.parametrize("parts", [1, 2, 7])
def test_dask_merge_equals_single_process(
    tmp_path: Path, scheduler: str, profile: ReferenceProfile, parts: int
) -> None:
    current = _frame(ROWS, seed=parts)
    _write_partitions(tmp_path / "in", current, parts, seed=parts)
    settings = DriftSettings()
    whole = current.iloc[:0]
    for file in sorted((tmp_path / "in").iterdir()):
        whole = pd.concat([whole, pd.read_parquet(file)], ignore_index=True)
    single_source = CurrentData(str(tmp_path / "in"), list(profile.features), chunk_rows=1000)
    single = accumulate(single_source.batches(), profile, settings)
    one_frame = accumulate(iter([("all", whole)]), profile, settings)  # the whole input as one pandas frame
    source = CurrentData(str(tmp_path / "in"), list(profile.features), chunk_rows=1000)
    with dask_client(_cluster(scheduler)) as client:
        merged, run = drift_partial_on_cluster(client, source, profile, settings)
    _assert_same(merged, single)
    _assert_same(merged, one_frame)
    assert source.summary.rows == single_source.summary.rows == ROWS + 200
    assert source.summary.sources == single_source.summary.sources
    assert run.partitions == parts + 2
    # only partials came back: one small DriftPartitionPartial per partition, whatever its row count
    assert run.result_types == {"DriftPartitionPartial"}
    assert run.largest_result_bytes < 16_384
    single_result = check_drift(profile, single, settings)
    dask_result = check_drift(profile, merged, settings)
    assert dask_result.status == single_result.status
    assert [f.feature for f in dask_result.features] == [f.feature for f in single_result.features]
    for ours, theirs in zip(dask_result.features, single_result.features, strict=True):
        assert ours.score == pytest.approx(theirs.score, rel=1e-9, abs=1e-12)


def test_result_size_does_not_grow_with_rows(tmp_path: Path, scheduler: str, profile: ReferenceProfile) -> None:
    _frame(500, seed=3).to_parquet(tmp_path / "small.parquet")
    _frame(60_000, seed=4).to_parquet(tmp_path / "large.parquet")
    sizes = {}
    with dask_client(_cluster(scheduler)) as client:
        for name in ("small", "large"):
            source = CurrentData(str(tmp_path / f"{name}.parquet"), list(profile.features))
            _, run = drift_partial_on_cluster(client, source, profile, DriftSettings())
            sizes[name] = run.largest_result_bytes
    assert abs(sizes["large"] - sizes["small"]) < 512  # 120x the rows, the same few KiB back


def test_s3_prefix_partitions(scheduler: str, profile: ReferenceProfile, tmp_path: Path) -> None:
    current = _frame(3000, seed=9)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="capture")
        for index in range(3):
            path = tmp_path / f"p{index}.parquet"
            current.iloc[index * 1000 : (index + 1) * 1000].to_parquet(path)
            s3.upload_file(str(path), "capture", f"model/prod/p{index}.parquet")
        source = CurrentData("s3://capture/model/prod/", list(profile.features), s3_client=s3)
        with dask_client(_cluster(scheduler)) as client:
            merged, run = drift_partial_on_cluster(client, source, profile, DriftSettings())
    _assert_same(merged, accumulate(iter([("all", current)]), profile, DriftSettings()))
    assert run.partitions == 3 and source.summary.sources[0] == "s3://capture/model/prod/p0.parquet"


def test_bad_partition_is_named(tmp_path: Path, scheduler: str, profile: ReferenceProfile) -> None:
    _frame(1000, seed=5).to_parquet(tmp_path / "good.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    with dask_client(_cluster(scheduler)) as client, pytest.raises(InputDataError) as error:
        drift_partial_on_cluster(
            client, CurrentData(str(tmp_path), list(profile.features)), profile, DriftSettings()
        )
    assert "broken.parquet" in str(error.value) and "not a readable Parquet file" in str(error.value)
    pd.DataFrame({"x": [1.0], "c": ["a"]}).to_parquet(tmp_path / "broken.parquet")
    with dask_client(_cluster(scheduler)) as client, pytest.raises(InputDataError) as error:
        drift_partial_on_cluster(
            client, CurrentData(str(tmp_path), list(profile.features)), profile, DriftSettings()
        )
    assert "broken.parquet" in str(error.value) and "lacks profiled column(s) ['y']" in str(error.value)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_scheduler_names_the_address() -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(ClusterError) as error, dask_client(ClusterSettings(scheduler=address, connect_timeout_s=1)):
        pass
    assert address in str(error.value) and "cannot reach the Dask scheduler" in str(error.value)
    assert error.value.exit_code == 2


def _die_on_poison(partition: str) -> int:
    if partition == "poison":
        os._exit(1)  # the worker process dies mid-task, as an OOM kill would
    return 1


def test_lost_worker_fails_the_run() -> None:
    # the task function must reach worker processes by value: this test module is not importable there
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    settings = ClusterSettings(workers=2, processes=True, allowed_failures=0, worker_memory="512MiB")
    try:
        with dask_client(settings) as client, pytest.raises(ClusterError) as error:
            merge_on_cluster(client, _die_on_poison, ["ok-1", "poison", "ok-2"], (), lambda t, r: t + r, 0, "drift")
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    # the scheduler cannot tell the poison task from others that shared the dying worker: any may be named
    message = str(error.value)
    assert "a Dask worker died while computing the drift partial of" in message and "nothing was published" in message
    assert any(name in message for name in ("ok-1", "poison", "ok-2"))


def test_quality_on_cluster_equals_local(tmp_path: Path, scheduler: str) -> None:
    rng = np.random.default_rng(7)
    ids = [f"r{i}" for i in range(3000)]
    truth = rng.integers(0, 2, 3000)
    predictions = pd.DataFrame(
        {
            "inference_id": ids,
            "prediction": np.where(rng.random(3000) < 0.8, truth, 1 - truth),
            "score": rng.random(3000),
        }
    )
    (tmp_path / "pred").mkdir()
    for index, (start, end) in enumerate([(0, 100), (100, 2500), (2500, 2500), (2500, 3000)]):
        predictions.iloc[start:end].to_parquet(tmp_path / "pred" / f"p{index}.parquet")
    pd.DataFrame({"inference_id": ids[:2800], "label": truth[:2800]}).to_csv(tmp_path / "labels.csv", index=False)
    settings = QualitySettings(task="classification", metric="f1", threshold=0.5, score_column="score")
    labels = load_labels(CurrentData(str(tmp_path / "labels.csv"), []).chunks(), settings)
    local = check_quality(CurrentData(str(tmp_path / "pred"), []).chunks(), labels, settings)
    with dask_client(_cluster(scheduler)) as client:
        (total, joined, unlabelled), run = quality_partial_on_cluster(
            client, CurrentData(str(tmp_path / "pred"), []), labels, settings
        )
    remote = decide_quality(total, joined, unlabelled, len(labels), settings)
    assert (remote.joined_rows, remote.predictions_without_label) == (2800, 200)
    assert remote.metrics == pytest.approx(local.metrics, rel=1e-12)
    assert run.result_types == {"QualityPartitionPartial"} and run.largest_result_bytes < 65_536


def test_partition_partial_pickles_small(profile: ReferenceProfile) -> None:
    partial = DriftPartitionPartial("p", accumulate(iter([("p", _frame(50_000, 2))]), profile, DriftSettings()))
    assert len(pickle.dumps(partial)) < 16_384
    assert json.dumps(partial.partition)  # names travel as plain strings
