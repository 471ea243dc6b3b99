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
import os
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
    # The runtime's own answer to a plain V2 request (no `parameters`): (status, body), a 200's body without the
    # id (the front door splices the caller's in, and stores it as it is). MLServer's REST stack (pydantic
    # request and response models, dataplane) is skipped; the checks are the same contract.
    answer: Callable[[dict[str, Any], str | None], tuple[int, bytes]] | None = None
    # Whether `answered` wants hits (request capture is on): a hit's body is decoded only for it.
    captures: bool = True


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
        self._matches: dict[str, dict[str, Any]] = {}

    def _routed(self, scope: Scope) -> None:
        if self.router is None:
            return
        # The infer paths are fixed strings, so their match is worked out once per path and reused.
        path = scope.get("path", "")
        child = self._matches.get(path)
        if child is None:
            from starlette.routing import Match

            for route in self.router.routes:
                match, found = route.matches(scope)
                if match == Match.FULL:
                    child = found
                    break
            else:
                return
            if len(self._matches) < 1024:
                self._matches[path] = child
        scope.update(child)
        scope["path_params"] = dict(child.get("path_params", {}))
        scope["router"] = self.router

    async def _respond(self, scope: Scope, send: Send, status: int, answer: bytes) -> None:
        self._routed(scope)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front_door = _FRONT_DOORS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if front_door is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        cache = front_door.cache
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away
        body = message.get("body", b"")
        if message.get("more_body", False):
            chunks = [body]
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
        raw_key = None
        if cache is not None:
            # First by the bytes as sent, before any decode: only bodies without an id are stored so (equal bytes,
            # equal request, no id), so a hit needs nothing but a fresh id spliced in.
            raw_key = cache.body_key(scope["path"], body, form="raw")
            payload = cache.get_bytes(raw_key, counted=False)
            if payload is not None:
                cache.count_hit()
                front_door.counted(True)
                new_id = _new_id()
                await self._respond(scope, send, 200, _with_id(payload, new_id))
                if front_door.captures:
                    hit, _ = _without_id(body)
                    if hit is not None:
                        front_door.answered(hit, new_id, payload)
                return
        request, request_id = _without_id(body)
        if request is None and front_door.answer is not None:
            rejection = _undecodable(body)
            if rejection is not None:  # not UTF-8, not JSON: the contract's message, as the SageMaker handler's
                await self._respond(scope, send, rejection.status_code, _dumps({"error": rejection.message}))
                return
        sent_id = request_id is not None
        if request is not None and request_id is None:
            # As MLServer does: a request without an id gets one, returned in the answer and written to the
            # capture record, so the caller can file delayed labels under it for the quality job.
            request_id = _new_id()
        key = None
        if request is not None and cache is not None:
            # Then keyed on the request without its id: callers that number their requests still share answers.
            key = cache.body_key(scope["path"], _canonical(request))
            payload = cache.get_bytes(key)
            front_door.counted(payload is not None)
            if payload is not None:
                await self._respond(scope, send, 200, _with_id(payload, request_id))
                if not sent_id:
                    cache.put_bytes(raw_key, payload)  # the next identical body is a hit before the decode
                if front_door.captures:
                    front_door.answered(request, request_id, payload)
                return
            if not sent_id:
                key = raw_key  # stored once, where an identical body looks first
        if request is not None and front_door.answer is not None and _plain(request):
            status, answer = front_door.answer(request, request_id)
            await self._respond(scope, send, status, _with_id(answer, request_id) if status == 200 else answer)
            if status == 200 and key is not None:
                cache.put_bytes(key, answer)
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
                        cache.put_bytes(key, stored)
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


def _new_id() -> str:
    """A random (version 4) UUID as MLServer gives requests without an id; built from the bytes directly, at
    less than half the cost of str(uuid.uuid4()), which showed in the profile of every request."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


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


def _undecodable(body: bytes) -> Any:
    """The contract's ClientError for a body that is not UTF-8 JSON at all, else None (orjson refused what json
    accepts, e.g. NaN or a 100-digit integer: MLServer judges those)."""
    from model_packaging.inference_contract import ClientError, parse_json

    try:
        parse_json(body)
    except ClientError as error:
        return error
    return None


def _plain(request: dict[str, Any]) -> bool:
    """A V2 request without extension parameters (MLServer's codecs handle those)."""
    if "parameters" in request:
        return False
    inputs = request.get("inputs")
    if type(inputs) is list:
        for tensor in inputs:  # a loop, not any(genexpr): this runs on every request
            if type(tensor) is dict and "parameters" in tensor:
                return False
    return True


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
