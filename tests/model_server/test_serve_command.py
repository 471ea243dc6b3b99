"""`slipstack serve` as a user runs it: a subprocess on the example spec, driven over HTTP, stopped by SIGTERM."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from model_server.launch import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "deployments" / "breast-cancer-screening.yaml"
CURL = re.compile(r"^curl .* -d '(?P<body>\{.*\})' (?P<url>http://127\.0\.0\.1:\d+/\S+)$", re.MULTILINE)


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc), so the test can prove none outlives the command."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                children = [int(c) for c in (task / "children").read_text().split()]
                pending.extend(c for c in children if c not in found)
                found.update(children)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_answers_the_printed_request_rejects_bad_ones_and_stops_cleanly(tmp_path: Path) -> None:
    if not (REPO / "examples/artifacts/breast-cancer-screening/model.joblib").is_file():
        pytest.fail("example models missing: run `.venv/bin/python examples/train.py` first")
    port = free_port()
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        command = subprocess.Popen([sys.executable, "-m", "slipstack", "serve", str(SPEC), "--port", str(port)],
                                   cwd=tmp_path, stdout=out, stderr=err, start_new_session=True)
    server_pids: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        match = None
        while match is None and time.monotonic() < deadline:
            assert command.poll() is None, f"slipstack serve exited early:\n{stderr.read_text()[-3000:]}"
            match = CURL.search(stdout.read_text(errors="replace"))
            time.sleep(0.2)
        assert match is not None, f"no example request printed:\n{stdout.read_text()[-2000:]}"
        # The spec's serving.cache reached the server (breast-cancer-screening.yaml enables it).
        assert "prediction cache: 10000 entries, 300 s TTL" in stdout.read_text()
        server_pids = _descendants(command.pid)
        assert server_pids, "slipstack serve runs the model server as a child process"
        url, request = match["url"], json.loads(match["body"])
        assert url == f"http://127.0.0.1:{port}/v2/models/breast-cancer-screening/infer"

        answer = httpx.post(url, json=request, timeout=10)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [o["name"] for o in body["outputs"]] == ["label", "probabilities"]
        label, probabilities = body["outputs"]
        assert label["datatype"] == "INT64" and label["shape"] == [1] and label["data"][0] in (0, 1)
        assert probabilities["shape"] == [1, 2] and abs(sum(probabilities["data"]) - 1) < 1e-5

        wrong_shape = copy.deepcopy(request)
        wrong_shape["inputs"][3]["shape"] = [1, 2]
        wrong_type = copy.deepcopy(request)
        wrong_type["inputs"][0]["data"] = ["twelve"]
        nan = copy.deepcopy(request)
        nan["inputs"][1]["data"] = ["NaN"]
        for bad, message in ((wrong_shape, "input 'mean_area' has shape [1, 2]"),
                             (wrong_type, "input 'mean_radius' row 0: 'twelve' is not a number"),
                             (nan, "input 'mean_texture' row 0")):
            rejected = httpx.post(url, json=bad, timeout=10)
            assert 400 <= rejected.status_code < 500, rejected.text
            assert message in rejected.json()["error"]
        assert httpx.post(url, json=request, timeout=10).json()["outputs"] == body["outputs"]
    finally:
        if command.poll() is None:
            command.send_signal(signal.SIGTERM)
            try:
                command.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(command.pid, signal.SIGKILL)
                command.wait(timeout=5)
        leftovers = {pid for pid in server_pids if _alive(pid)}
        for pid in leftovers:  # the server leads its own process group (start_new_session)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    assert command.returncode == 0, stderr.read_text()[-2000:]
    assert leftovers == set(), f"server processes {leftovers} outlived `slipstack serve`"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v2/health/live", timeout=2)
