"""`RequestBodyLimit`: an ASGI middleware that answers 413 to a request body over a byte limit.

MLServer 1.7 has no body size setting and uvicorn none either (it only bounds header size), so
without this a client can make the server buffer and JSON-parse any number of bytes before the
signature's row limit ever sees the request. `model_server.start` installs it as the outermost
middleware of MLServer's REST app.

A declared Content-Length over the limit is refused before a single body byte is read. A chunked
body (no Content-Length) is read up to the limit and replayed to the app as one message; one byte
more and it is refused. Bodies within a declared limit pass through untouched, so the common path
costs one header lookup.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MiB"


class RequestBodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int):
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, not {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                declared = value
                break
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await self._reject(send, 400, f"Content-Length {declared.decode(errors='replace')!r} is not a number")
                return
            if size > self.max_bytes:
                await self._reject(send, 413, self._too_large(f"{size:,} bytes"))
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length: a chunked body of unknown size. Read it up to the limit, then replay it.
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.max_bytes:
                await self._reject(send, 413, self._too_large(f"more than {self.max_bytes:,} bytes (chunked)"))
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self, size: str) -> str:
        return (f"request body of {size} exceeds the limit of {self.max_bytes:,} bytes ({_mib(self.max_bytes)}); "
                "split the rows into several smaller requests")

    @staticmethod
    async def _reject(send: Send, status: int, message: str) -> None:
        # MLServer's error shape ({"error": ...}), so clients parse every 4xx the same way. The connection
        # closes afterwards: the unread body must not be taken for the next request.
        body = json.dumps({"error": message}).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})
