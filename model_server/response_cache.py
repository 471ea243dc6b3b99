"""`CachedResponses`: the prediction cache at the server's front door, so a hit skips decode and model.

Behind MLServer's REST app, a repeated request used to pay everything a new one pays (JSON decode, pydantic
request and response models, signature checks, encode) and save only the model call: the cache gave 0.95x.
This ASGI middleware sits just inside the body limit and answers a repeated inference request with the
stored response body before MLServer parses anything: the body is decoded once with orjson (no pydantic,
no signature checks, no model, no encode) and keyed without its `id`, so callers that number their
requests still share answers; each caller gets its own id back, spliced into the stored bytes.

A model's runtime turns it on for its infer path (`register`) when the prediction cache is enabled, counts
each look-up in its hit/miss metrics, and offers answered hits to request capture as it does misses (the
drift sample must see repeated inputs too). Only 200 answers are stored; anything the middleware cannot
judge (not a JSON object, a bad id) goes to MLServer, which answers the contract's error.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class FrontDoor:
    """One model's cache, how its runtime counts a look-up (True: a hit) and what it does on a hit."""

    cache: Any  # model_server.prediction_cache.PredictionCache
    counted: Callable[[bool], None]
    answered: Callable[[dict[str, Any], str | None, bytes], None]  # (request without id, id, stored answer)
    # The runtime's own answer to a plain V2 request (no `parameters`): (status, body). MLServer's REST
    # stack (pydantic request and response models, dataplane) is skipped; the checks are the same contract.
    answer: Callable[[dict[str, Any], str | None], tuple[int, bytes]] | None = None


_FRONT_DOORS: dict[str, FrontDoor] = {}
# Set by model_server.start when it installs the middleware in this process. A runtime in an MLServer
# inference worker process (parallel_workers > 0) does not see it and keeps its own matrix-keyed cache.
installed = False


def register(path: str, front_door: FrontDoor) -> None:
    _FRONT_DOORS[path] = front_door


def unregister(path: str) -> None:
    _FRONT_DOORS.pop(path, None)


class CachedResponses:
    def __init__(self, app: ASGIApp, router: Any = None):
        self.app = app
        # The app's router: a hit marks its route in the scope as routing would, so request metrics that only
        # count routed requests (MLServer's starlette_exporter middleware) count hits too.
        self.router = router

    def _routed(self, scope: Scope) -> None:
        if self.router is None:
            return
        from starlette.routing import Match

        for route in self.router.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                scope.update(child)
                scope["router"] = self.router
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front_door = _FRONT_DOORS.get(scope.get("path", "")) if scope["type"] == "http" else None
        cache = front_door.cache if front_door is not None else None
        if front_door is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        request, request_id = _without_id(body)
        if request is not None and request_id is None:
            # As MLServer does: a request without an id gets one, returned in the answer and written to the
            # capture record, so the caller can file delayed labels under it for the quality job.
            import uuid

            request_id = str(uuid.uuid4())
        key = None
        if request is not None and cache is not None:
            # Keyed on the request without its id: callers that number their requests still share answers.
            key = front_door.cache.body_key(scope["path"], _canonical(request))
            payload = front_door.cache.get_bytes(key)
            front_door.counted(payload is not None)
            if payload is not None:
                self._routed(scope)
                answer = _with_id(payload, request_id)
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
                await send({"type": "http.response.body", "body": answer})
                front_door.answered(request, request_id, payload)
                return
        if request is not None and front_door.answer is not None and _plain(request):
            self._routed(scope)
            status, answer = front_door.answer(request, request_id)
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
            await send({"type": "http.response.body", "body": answer})
            if status == 200 and key is not None:
                stored = _stored(answer)
                if stored is not None:
                    front_door.cache.put_bytes(key, stored)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 0
        parts: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status == 200 and key is not None:
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    stored = _stored(b"".join(parts))
                    if stored is not None:
                        front_door.cache.put_bytes(key, stored)
            await send(message)

        await self.app(scope, replay, keep)


try:  # MLServer's own JSON library: several times faster than json on the hit path
    import orjson

    def _loads(data: bytes) -> Any:
        return orjson.loads(data)

    def _canonical(request: dict[str, Any]) -> bytes:
        return bytes(orjson.dumps(request, option=orjson.OPT_SORT_KEYS))

    def _dumps(value: Any) -> bytes:
        return bytes(orjson.dumps(value))
except ImportError:  # pragma: no cover - MLServer depends on orjson
    def _loads(data: bytes) -> Any:
        return json.loads(data)

    def _canonical(request: dict[str, Any]) -> bytes:
        return json.dumps(request, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()

    def _dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()


def _without_id(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(the request without its id, the id); (None, None) when the app must judge the request itself."""
    from model_packaging.inference_contract import ClientError, check_id

    try:
        request = _loads(body)
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        return None, None
    if not isinstance(request, dict):
        return None, None
    try:
        request_id = check_id(request.pop("id", None))
    except ClientError:
        return None, None  # the app answers the contract's 400
    return request, request_id


def _plain(request: dict[str, Any]) -> bool:
    """A V2 request without extension parameters (MLServer's codecs handle those)."""
    if "parameters" in request:
        return False
    inputs = request.get("inputs")
    return not isinstance(inputs, list) or not any(isinstance(t, dict) and "parameters" in t for t in inputs)


def _with_id(payload: bytes, request_id: str | None) -> bytes:
    if request_id is None:
        return payload
    # The id passed the contract's check (visible ASCII, no quotes): safe to splice in as a JSON string.
    return b'{"id":"' + request_id.encode() + b'",' + payload[1:]


def _stored(response: bytes) -> bytes | None:
    """The answer as stored: without the request's id (every caller gets its own back)."""
    try:
        answer = _loads(response)
    except ValueError:
        return None
    if not isinstance(answer, dict) or not answer.get("outputs"):
        return None
    answer.pop("id", None)
    return _dumps(answer)
