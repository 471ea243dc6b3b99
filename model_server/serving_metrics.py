"""The runtime's Prometheus metrics: prediction cache and request capture, next to MLServer's own.

MLServer's metrics server renders prometheus_client's default registry (one server process,
`parallel_workers: 0`, the configuration Slipstack ships) or, with worker processes, the
multiprocess files of every worker. Metrics are created lazily, once per process, after MLServer
has chosen between the two: a Counter or Gauge created then lands in whichever of them the metrics
endpoint reads. Labels follow MLServer's own (`model_name`, `model_version`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from contracts import metrics as names

LABELS = ("model_name", "model_version")


@dataclass(frozen=True)
class ServingMetrics:
    cache_hits: Any
    cache_misses: Any
    cache_corrupt: Any
    cache_hit_rate: Any
    cache_entries: Any
    capture_records: Any
    capture_failures: Any
    capture_dropped: Any


_lock = threading.Lock()
_metrics: ServingMetrics | None = None


def _counter_name(name: str) -> str:
    # prometheus_client appends _total itself; the contract names carry it as Prometheus shows them.
    return name.removesuffix("_total")


def serving_metrics(registry: Any = None) -> ServingMetrics:
    """The process's metrics (created on first use in prometheus_client's default registry)."""
    global _metrics
    from prometheus_client import REGISTRY, Counter, Gauge

    with _lock:
        if _metrics is not None and registry is None:
            return _metrics
        target = REGISTRY if registry is None else registry
        created = ServingMetrics(
            cache_hits=Counter(_counter_name(names.PROM_CACHE_HITS), "Predictions answered from the cache.",
                               LABELS, registry=target),
            cache_misses=Counter(_counter_name(names.PROM_CACHE_MISSES), "Cache look-ups the model answered.",
                                 LABELS, registry=target),
            cache_corrupt=Counter(_counter_name(names.PROM_CACHE_CORRUPT),
                                  "Cache entries dropped because their integrity check failed.", LABELS,
                                  registry=target),
            cache_hit_rate=Gauge(names.PROM_CACHE_HIT_RATE, "Cache hits / look-ups since the server started.",
                                 LABELS, registry=target, multiprocess_mode="liveall"),
            cache_entries=Gauge(names.PROM_CACHE_ENTRIES, "Entries in the prediction cache.", LABELS,
                                registry=target, multiprocess_mode="livesum"),
            capture_records=Counter(_counter_name(names.PROM_CAPTURE_RECORDS),
                                    "Captured requests written to the capture destination.", LABELS,
                                    registry=target),
            capture_failures=Counter(_counter_name(names.PROM_CAPTURE_FAILURES),
                                     "Capture writes that failed (predictions were answered regardless).", LABELS,
                                     registry=target),
            capture_dropped=Counter(_counter_name(names.PROM_CAPTURE_DROPPED),
                                    "Captured requests dropped: buffer full or write failed.", LABELS,
                                    registry=target),
        )
        if registry is None:
            _metrics = created
        return created


def install_latency_buckets(app: Any, buckets: tuple[float, ...] = names.LATENCY_BUCKETS_SECONDS) -> None:
    """Give MLServer's request-duration histogram the contract's buckets (before the server starts).

    MLServer adds starlette_exporter's PrometheusMiddleware with prometheus_client's default buckets
    (0.1 then 0.25 s): a 200 ms p99 threshold would sit inside a bucket, where `histogram_quantile`
    interpolates, and the alert would fire on requests inside the SLO. MLServer 1.7 has no setting for
    the buckets, so the registered middleware's arguments are replaced while the app is unstarted;
    a future MLServer that registers it differently fails the server's start, loudly.
    """
    from starlette.middleware import Middleware
    from starlette_exporter import PrometheusMiddleware

    for index, middleware in enumerate(app.user_middleware):
        if middleware.cls is PrometheusMiddleware:
            app.user_middleware[index] = Middleware(
                PrometheusMiddleware, *middleware.args, **{**middleware.kwargs, "buckets": list(buckets)}
            )
            return
    raise RuntimeError(
        "MLServer's REST app has no PrometheusMiddleware registered: the latency buckets the p99 alert relies "
        "on cannot be installed (model_server/serving_metrics.py was written for MLServer 1.7)"
    )
