"""The server's latency histogram gets the contract's buckets, so the spec's p99 thresholds are bucket bounds."""

from __future__ import annotations

import pytest

from contracts.metrics import LATENCY_BUCKETS_SECONDS, LATENCY_THRESHOLDS_MS
from model_server.serving_metrics import install_latency_buckets


def test_the_registered_prometheus_middleware_gets_the_contract_buckets_and_keeps_its_other_arguments() -> None:
    from fastapi import FastAPI
    from starlette_exporter import PrometheusMiddleware

    app = FastAPI()
    app.add_middleware(PrometheusMiddleware, app_name="mlserver", prefix="rest_server", skip_paths=["/metrics"])
    install_latency_buckets(app)
    (middleware,) = app.user_middleware
    assert middleware.cls is PrometheusMiddleware
    assert middleware.kwargs == {"app_name": "mlserver", "prefix": "rest_server", "skip_paths": ["/metrics"],
                                 "buckets": list(LATENCY_BUCKETS_SECONDS)}


def test_an_app_without_the_middleware_fails_loudly() -> None:
    from fastapi import FastAPI

    with pytest.raises(RuntimeError, match="no PrometheusMiddleware"):
        install_latency_buckets(FastAPI())


def test_every_allowed_threshold_is_a_bucket_bound() -> None:
    assert [ms / 1000 for ms in LATENCY_THRESHOLDS_MS] == list(LATENCY_BUCKETS_SECONDS)
    assert 200 in LATENCY_THRESHOLDS_MS and 250 in LATENCY_THRESHOLDS_MS  # the shipped specs' thresholds
