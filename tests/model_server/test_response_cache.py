"""The front-door cache: a hit is answered before the app (MLServer) sees the request at all."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from model_server import response_cache
from model_server.prediction_cache import CacheSettings, PredictionCache

PATH = "/v2/models/m/infer"


class CountingApp:
    """Stands in for MLServer's REST app: answers with the request's id and a fixed output, counting calls."""

    def __init__(self, status: int = 200):
        self.calls = 0
        self.status = status

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        try:
            request = json.loads((await receive())["body"])
        except ValueError:
            request = {}
        request = request if isinstance(request, dict) else {}
        body = json.dumps({"model_name": "m", "id": request.get("id", "generated-uuid"),
                           "outputs": [{"name": "y", "shape": [1], "datatype": "FP64", "data": [self.calls]}]})
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": body.encode()})


def call(app: Any, body: bytes) -> tuple[int, dict[str, Any]]:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": "POST", "path": PATH}, receive, send))
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


def front(app: Any) -> tuple[Any, list[bool], list[Any]]:
    cache = PredictionCache(CacheSettings(enabled=True), "1.0.0", "d" * 64, ["a"])
    looked_up: list[bool] = []
    answered: list[Any] = []
    response_cache.register(PATH, response_cache.FrontDoor(cache, looked_up.append,
                                                           lambda *args: answered.append(args)))
    return response_cache.CachedResponses(app), looked_up, answered


def test_a_repeat_skips_the_app_and_gets_its_own_id() -> None:
    inner = CountingApp()
    app, looked_up, answered = front(inner)
    try:
        request = {"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]}]}
        first = call(app, json.dumps({**request, "id": "r-1"}).encode())
        second = call(app, json.dumps({"id": "r-2", **request}, indent=2).encode())
        anonymous = call(app, json.dumps(request).encode())
        assert inner.calls == 1 and looked_up == [False, True, True]
        assert first[1]["id"] == "r-1" and second[1]["id"] == "r-2"
        # A request without an id gets one, as MLServer gives it: the caller files delayed labels under it.
        generated = anonymous[1]["id"]
        assert len(generated) == 36 and generated not in ("r-1", "r-2")
        assert first[1]["outputs"] == second[1]["outputs"] == anonymous[1]["outputs"]
        assert [(req, rid) for req, rid, _ in answered] == [(request, "r-2"), (request, generated)]
        call(app, json.dumps({**request, "outputs": [{"name": "y"}]}).encode())  # another request: a miss
        assert inner.calls == 2
    finally:
        response_cache.unregister(PATH)


def test_errors_and_requests_it_cannot_judge_go_to_the_app_every_time() -> None:
    inner = CountingApp(status=400)
    app, looked_up, _ = front(inner)
    try:
        body = json.dumps({"inputs": [], "id": "x"}).encode()
        assert call(app, body)[0] == 400 and call(app, body)[0] == 400
        for unjudged in (b"not json", b"[1]", json.dumps({"inputs": [], "id": "bad id\r\n"}).encode()):
            call(app, unjudged)
        assert inner.calls == 5 and looked_up == [False, False]
    finally:
        response_cache.unregister(PATH)


def test_identical_bodies_without_an_id_hit_by_their_bytes_and_each_request_counts_once() -> None:
    inner = CountingApp()
    app, looked_up, answered = front(inner)
    cache = response_cache._FRONT_DOORS[PATH].cache
    try:
        request = {"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [2.0]}]}
        body = json.dumps(request).encode()
        answers = [call(app, body) for _ in range(3)]
        assert inner.calls == 1 and looked_up == [False, True, True]
        stats = cache.stats()
        assert (stats.hits, stats.misses, stats.entries) == (2, 1, 1)  # one look-up counted per request, one entry
        ids = [answer["id"] for _, answer in answers]
        assert len(set(ids)) == 3  # each caller its own generated id, a version 4 UUID as MLServer's
        assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids[1:])
        assert all(answer["outputs"] == answers[0][1]["outputs"] for _, answer in answers)
        # Hits by bytes are offered to capture like any other: the request decoded, with the id it was given.
        assert [(req, rid) for req, rid, _ in answered] == [(request, ids[1]), (request, ids[2])]
        # An answer to a body without an id is stored once, under its bytes: other spacing is another body (a
        # miss, never a wrong answer), looked up once more in the canonical form numbered requests share.
        assert call(app, json.dumps(request, indent=1).encode())[0] == 200
        assert inner.calls == 2 and looked_up[-1] is False and cache.stats().misses == 2
    finally:
        response_cache.unregister(PATH)
