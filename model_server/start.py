"""`python -m model_server.start MODEL_DIR`: MLServer's `mlserver start`, with a request body limit.

It does what `mlserver start` does (settings from MLSERVER_* variables and the folder's
model-settings.json, uvloop, one MLServer) and, before the servers start, installs
`RequestBodyLimit` as the outermost middleware of MLServer's REST app. MLServer 1.7 offers no
setting or plug-in point for this (its uvicorn config takes no app wrapper, and a runtime only sees
its own requests after the body is parsed), so the app is reached through the server object; that
attribute is checked, and a future MLServer without it makes the server fail at start, loudly,
instead of serving without a limit. The limit comes from SLIPSTACK_MAX_REQUEST_BODY_BYTES (default
`serving_contract.MAX_REQUEST_BODY_BYTES`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from model_packaging.serving_contract import MAX_REQUEST_BODY_BYTES, MAX_REQUEST_BODY_ENV
from model_server import response_cache
from model_server.body_limit import RequestBodyLimit
from model_server.response_cache import CachedResponses


def body_limit_from_environment(environ: dict[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get(MAX_REQUEST_BODY_ENV, "").strip()
    if not raw:
        return MAX_REQUEST_BODY_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"error: {MAX_REQUEST_BODY_ENV}={raw!r} is not a positive number of bytes")
    return int(raw)


def install_body_limit(server: Any, max_bytes: int) -> None:
    """Put the limit in front of MLServer's REST app (before it starts, while middleware can still be added)."""
    from fastapi import FastAPI

    app = getattr(getattr(server, "_rest_server", None), "_app", None)
    if not isinstance(app, FastAPI):
        raise RuntimeError(
            "this MLServer version does not expose its REST app as server._rest_server._app; the request body "
            "limit cannot be installed (model_server/start.py was written for MLServer 1.7)"
        )
    app.add_middleware(RequestBodyLimit, max_bytes=max_bytes)
    # The p99 latency alert needs its threshold on a bucket boundary (issue #16).
    from model_server.serving_metrics import install_latency_buckets

    install_latency_buckets(app)
    # The front-door cache goes inside the limit (it never buffers a body the limit refuses) and inside
    # MLServer's Prometheus middleware, so rest_server_requests_total and the request-duration histogram the
    # alerts read count cache hits like every other answer.
    from starlette.middleware import Middleware

    stack = app.user_middleware
    position = next((i + 1 for i, m in enumerate(stack) if getattr(m.cls, "__name__", "") == "PrometheusMiddleware"),
                    1)
    stack.insert(position, Middleware(CachedResponses, router=app.router))
    response_cache.installed = True
    install_validation_errors(app)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """FastAPI's request validation errors as one line: where and what, never the value sent."""
    parts = []
    for error in errors[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return (f"not a valid V2 inference request: {'; '.join(parts)}{more}; send "
            '{"inputs": [{"name", "shape", "datatype", "data"}]}')


def install_validation_errors(app: Any) -> None:
    """MLServer answers a body FastAPI cannot parse with FastAPI's 422 shape ({"detail": [...]}), which echoes
    the whole request back (up to the body limit) and differs from every other 4xx. Map it to the one V2 error
    shape of the inference contract, as a 400 like every other malformed request."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from model_packaging.inference_contract import ClientError, check_v2_body, error_body

    async def handle(_request: Any, exc: RequestValidationError) -> JSONResponse:
        # Word it as the shared contract does (the SageMaker handler's message for the same body); FastAPI's
        # own account, minus the values, only when the contract finds nothing wrong.
        message = validation_message(list(exc.errors()))
        try:
            # FastAPI keeps what it parsed (or the raw text it could not parse); the stream is already read.
            check_v2_body(exc.body)
        except ClientError as error:
            message = error.message
        return JSONResponse(status_code=400, content=error_body(message))

    app.add_exception_handler(RequestValidationError, handle)

    async def http_error(_request: Any, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own 404/405 ({"detail": ...}) in the same V2 error shape as every other 4xx.
        return JSONResponse(status_code=exc.status_code, content=error_body(str(exc.detail)),
                            headers=getattr(exc, "headers", None))

    app.add_exception_handler(StarletteHTTPException, http_error)


async def serve(folder: str, max_bytes: int) -> None:
    from mlserver import MLServer
    from mlserver.cli.serve import load_settings

    settings, models_settings = await load_settings(folder)
    server = MLServer(settings)
    install_body_limit(server, max_bytes)
    await server.start(models_settings)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m model_server.start MODEL_DIR")
    from mlserver.logging import configure_logger
    from mlserver.utils import install_uvloop_event_loop

    max_bytes = body_limit_from_environment()
    configure_logger()
    install_uvloop_event_loop()
    asyncio.run(serve(args[0], max_bytes))


if __name__ == "__main__":
    main()
