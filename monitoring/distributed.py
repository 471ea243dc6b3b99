"""Drift and quality beyond one machine: partials computed on Dask workers, merged on the client.

The input is split into partitions (one per file or S3 object, as `CurrentData.partitions` lists
them). Each Dask task reads one partition with the same readers and the same partial code as the
single-process check (`accumulate_partition`, `quality_partial`) and returns only that partition's
partial statistics: bin counts, missing counts, moments, category counts, confusion or error sums.
The client merges them as they arrive and releases each future at once, so it holds one running
total, never rows, whatever the input size. The merged partial goes through the same
`check_drift` / `decide_quality` as a local run, which is why both engines give the same answer.

Failure handling: an unreachable scheduler, a scheduler without workers, a partition that fails to
parse and a worker that dies all raise `ClusterError` (or the partition's own `InputDataError`)
naming the address or the partition. The caller publishes metrics only after a complete merge, so
an incomplete run publishes nothing.
"""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from monitoring.drift import DriftSettings, InputSummary, accumulate_partition, checked_feature_names
from monitoring.errors import InputDataError, MonitoringError
from monitoring.profile import ReferenceProfile
from monitoring.quality import ClassificationPartial, QualitySettings, RegressionPartial, quality_partial
from monitoring.sources import MALFORMED_EXAMPLES, CurrentData
from monitoring.statistics import DataPartial, empty_partial

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

Result = TypeVar("Result")
Total = TypeVar("Total")


class ClusterError(MonitoringError):
    """The Dask cluster could not run the check to completion: unreachable, no workers, a worker lost."""


@dataclass(frozen=True)
class ClusterSettings:
    """Where partials are computed: an existing scheduler, or a LocalCluster started for the run."""

    scheduler: str | None = None
    # LocalCluster shape when no scheduler is given: two single-threaded worker processes (the
    # partial code itself counts features on two threads), each bounded in memory so a runaway
    # partition kills its worker instead of the machine.
    workers: int = 2
    threads_per_worker: int = 1
    worker_memory: str = "2GiB"
    processes: bool = True
    connect_timeout_s: float = 10.0
    # How often the scheduler reschedules a task whose worker died before it fails the run
    # (LocalCluster only; an external scheduler uses its own `distributed.scheduler.allowed-failures`).
    allowed_failures: int = 2


@contextmanager
def dask_client(settings: ClusterSettings) -> Iterator[Client]:
    """A connected client; a LocalCluster it owns when no scheduler address is given."""
    import dask
    from distributed import Client, LocalCluster

    if settings.scheduler is not None:
        address = settings.scheduler
        try:
            client = Client(address, timeout=f"{settings.connect_timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {address} within {settings.connect_timeout_s:g} s ({error}); "
                "check --scheduler (or monitoring.drift.dask_scheduler), that the scheduler runs and that "
                "this host may connect to it, or drop --scheduler to run on a local cluster"
            ) from None
        try:
            _wait_for_workers(client, address, settings.connect_timeout_s)
            yield client
        finally:
            client.close()
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": settings.allowed_failures}):
        cluster = LocalCluster(
            n_workers=settings.workers,
            threads_per_worker=settings.threads_per_worker,
            processes=settings.processes,
            memory_limit=settings.worker_memory,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _wait_for_workers(client: Client, address: str, timeout_s: float) -> None:
    try:
        client.wait_for_workers(1, timeout=timeout_s)
    except TimeoutError:
        raise ClusterError(
            f"the Dask scheduler at {address} has no workers after {timeout_s:g} s; start workers "
            f"(`dask worker {address}`) or scale the worker deployment up"
        ) from None


@dataclass
class ClusterRun:
    """What came back to the client: evidence that only partials crossed the wire."""

    partitions: int = 0
    result_types: set[str] = field(default_factory=set)
    largest_result_bytes: int = 0
    result_bytes: int = 0


def merge_on_cluster(
    client: Client,
    task: Callable[..., Result],
    partitions: Sequence[str],
    shared: Sequence[Any],
    merge: Callable[[Total, Result], Total],
    initial: Total,
    what: str,
) -> tuple[Total, ClusterRun]:
    """Run `task(partition, *shared)` per partition on the workers; merge results on the client.

    Results are merged in completion order and each future is released as soon as it is merged,
    so the client holds the running total and at most the results that finished meanwhile.
    Any failure cancels the remaining tasks and raises; there is no partial answer.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    run_id = uuid.uuid4().hex[:12]
    scattered = client.scatter(list(shared), broadcast=True, hash=False) if shared else []
    futures = {
        client.submit(task, partition, *scattered, key=f"slipstack-{what}-{run_id}-{index}", pure=False): partition
        for index, partition in enumerate(partitions)
    }
    address = client.scheduler.address if client.scheduler is not None else "the scheduler"
    total, run = initial, ClusterRun(partitions=len(partitions))
    try:
        with client.as_current():  # as_completed looks up the current client, not the futures'
            completed = as_completed(list(futures))
        for future in completed:
            partition = futures.pop(future)
            if future.status == "error":
                error = future.exception()
                if isinstance(error, MonitoringError):
                    message = str(error) if partition in str(error) else f"{partition}: {error}"
                    raise type(error)(message) from None
                if isinstance(error, KilledWorker):
                    raise ClusterError(
                        f"a Dask worker died while computing the {what} partial of {partition} "
                        f"(scheduler {address}); nothing was published. Common causes: the worker ran out of "
                        "memory (raise the worker memory or lower --chunk-rows) or its pod/process was killed; "
                        "rerun the check"
                    ) from None
                raise ClusterError(
                    f"the {what} partial of {partition} failed on the Dask cluster at {address}: "
                    f"{type(error).__name__}: {error}"
                ) from None
            if future.status != "finished":
                raise ClusterError(
                    f"lost the {what} partial of {partition}: the task was {future.status} "
                    f"(connection to the Dask scheduler at {address} lost?); nothing was published, rerun the check"
                )
            result = future.result()
            future.release()
            size = len(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            run.result_types.add(type(result).__name__)
            run.largest_result_bytes = max(run.largest_result_bytes, size)
            run.result_bytes += size
            total = merge(total, result)
    except (OSError, TimeoutError) as error:
        raise ClusterError(
            f"lost the connection to the Dask scheduler at {address} during the {what} check ({error}); "
            "nothing was published, rerun the check"
        ) from None
    finally:
        if futures:
            client.cancel(list(futures), force=True)
    return total, run


# --- drift ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftPartitionPartial:
    """The drift partial of one partition and what reading it found (rows, malformed records)."""

    partition: str
    data: DataPartial
    malformed_records: int = 0
    malformed_examples: tuple[str, ...] = ()


def drift_partition_partial(
    partition: str, profile: ReferenceProfile, settings: DriftSettings, feature_order: list[str], chunk_rows: int
) -> DriftPartitionPartial:
    """Runs on a worker: read one partition in chunks and return its partial, never its rows."""
    source = CurrentData(partition, feature_order, chunk_rows=chunk_rows)
    data = accumulate_partition(source.partition_batches(partition), profile, settings)
    return DriftPartitionPartial(
        partition,
        data,
        source.summary.malformed_records,
        tuple(source.summary.malformed_examples[:MALFORMED_EXAMPLES]),
    )


@dataclass
class _DriftTotal:
    data: DataPartial
    summary: InputSummary


def _merge_drift(total: _DriftTotal, part: DriftPartitionPartial) -> _DriftTotal:
    summary = total.summary
    summary.sources.append(part.partition)
    summary.rows += part.data.rows
    summary.malformed_records += part.malformed_records
    room = MALFORMED_EXAMPLES - len(summary.malformed_examples)
    summary.malformed_examples.extend(part.malformed_examples[:room])
    return _DriftTotal(total.data.merge(part.data), summary)


def drift_partial_on_cluster(
    client: Client, source: CurrentData, profile: ReferenceProfile, settings: DriftSettings
) -> tuple[DataPartial, ClusterRun]:
    """The merged drift partial of every partition of `source`; fills `source.summary`."""
    layouts = profile.layouts(checked_feature_names(profile, settings))
    partitions = source.partitions()
    total, run = merge_on_cluster(
        client,
        drift_partition_partial,
        partitions,
        (profile, settings, source.feature_order, source.chunk_rows),
        _merge_drift,
        _DriftTotal(empty_partial(layouts), source.summary),
        "drift",
    )
    source.summary.sources.sort()
    source.raise_if_unreadable()
    if total.data.rows == 0:
        raise InputDataError("the current data is empty: no rows were read; check the path or the time window")
    return total.data, run


# --- quality -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityPartitionPartial:
    """Confusion or error sums of one partition of predictions, with its join counts."""

    partition: str
    partial: ClassificationPartial | RegressionPartial
    joined: int
    unlabelled: int
    malformed_records: int = 0
    malformed_examples: tuple[str, ...] = ()


def quality_partition_partial(partition: str, labels: pd.Series, settings: QualitySettings) -> QualityPartitionPartial:
    """Runs on a worker: join one partition of predictions (a table or capture JSONL) with the labels."""
    source = CurrentData(partition, [], view="predictions")
    partial, joined, unlabelled = quality_partial(
        (
            (where, frame if not hasattr(frame, "to_pandas") else frame.to_pandas())
            for where, frame in source.partition_batches(partition)
        ),
        labels,
        settings,
    )
    return QualityPartitionPartial(
        partition,
        partial,
        joined,
        unlabelled,
        source.summary.malformed_records,
        tuple(source.summary.malformed_examples[:MALFORMED_EXAMPLES]),
    )


@dataclass
class _QualityTotal:
    partial: ClassificationPartial | RegressionPartial
    joined: int
    unlabelled: int
    summary: InputSummary


def _merge_quality(total: _QualityTotal, part: QualityPartitionPartial) -> _QualityTotal:
    summary = total.summary
    summary.sources.append(part.partition)
    summary.rows += part.joined + part.unlabelled
    summary.malformed_records += part.malformed_records
    room = MALFORMED_EXAMPLES - len(summary.malformed_examples)
    summary.malformed_examples.extend(part.malformed_examples[: max(room, 0)])
    return _QualityTotal(
        total.partial.merge(part.partial),  # type: ignore[arg-type]
        total.joined + part.joined,
        total.unlabelled + part.unlabelled,
        summary,
    )


def quality_partial_on_cluster(
    client: Client, predictions: CurrentData, labels: pd.Series, settings: QualitySettings
) -> tuple[tuple[ClassificationPartial | RegressionPartial, int, int], ClusterRun]:
    """(merged partial, joined rows, predictions without a label) over every partition.

    Fills `predictions.summary` (sources, rows, malformed capture records) like a local read, and
    raises CaptureRecordError when no capture record of any partition could be read.
    """
    initial: ClassificationPartial | RegressionPartial = (
        RegressionPartial() if settings.task == "regression" else ClassificationPartial()
    )
    total, run = merge_on_cluster(
        client,
        quality_partition_partial,
        predictions.partitions(),
        (labels, settings),
        _merge_quality,
        _QualityTotal(initial, 0, 0, predictions.summary),
        "quality",
    )
    predictions.summary.sources.sort()
    predictions.raise_if_unreadable()
    return (total.partial, total.joined, total.unlabelled), run
