"""Drive an artifact's code/inference.py as SageMaker's framework containers do, in a child process.

The child blocks what the container does not have (onnxruntime, the converters, Slipstack), puts the
artifact's code/ folder on the path as the container's PYTHONPATH does, and serves each request through
Multi Model Server's `Service.predict` (the worker-side request path, from PyPI's multi-model-server)
with the sagemaker-inference toolkit's `DefaultHandlerService` and `Transformer` (PyPI's
sagemaker-inference): the same objects the scikit-learn/XGBoost containers run. The answer is decoded
from the worker's reply to the model server frontend: status, content type and body per request.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

from model_packaging.archive import write_archive

CONTAINER_SCRIPT = textwrap.dedent(
    """
    import base64, json, os, struct, sys
    for blocked in ("onnxruntime", "onnx", "skl2onnx", "onnxmltools", "model_packaging", "contracts",
                    "model_server"):
        sys.modules[blocked] = None  # import raises ImportError, as in the framework container
    from mms.service import Service
    from sagemaker_inference.default_handler_service import DefaultHandlerService
    from sagemaker_inference.transformer import Transformer

    def decode(reply):
        # The worker's predict reply (mms.protocol.otf_message_handler.create_predict_response).
        view, pos = bytes(reply), 0
        def integer():
            nonlocal pos
            (value,) = struct.unpack_from("!i", view, pos)
            pos += 4
            return value
        def blob():
            nonlocal pos
            size = integer()
            data = view[pos:pos + size]
            pos += size
            return data
        code, message = integer(), blob().decode()
        answers = []
        while True:
            size = integer()
            if size == -1:
                break
            pos += size  # request id
            content_type = blob().decode()
            status = integer()
            phrase = blob().decode()
            headers = {blob().decode(): blob().decode() for _ in range(integer())}
            answers.append({"status": status, "phrase": phrase, "content_type": content_type,
                            "body": base64.b64encode(blob()).decode(), "worker_code": code, "message": message})
        return answers

    jobs = json.loads(sys.stdin.read())
    results = {}
    for name, job in jobs.items():
        for module in ("inference", "slipstack_inference_contract"):
            sys.modules.pop(module, None)
        code_dir = job["model_dir"] + "/code"
        sys.path.insert(0, code_dir)
        saved = dict(os.environ)
        os.environ.update(job.get("env", {}))
        os.environ["SAGEMAKER_PROGRAM"] = "inference.py"
        handler = DefaultHandlerService(transformer=Transformer())
        service = Service(name, job["model_dir"], None, handler.handle, None, 1)
        try:
            handler.initialize(service.context)
        except Exception as error:
            results[name] = {"model_fn_error": f"{type(error).__name__}: {error}"}
        else:
            answers = []
            for index, request in enumerate(job["requests"]):
                headers = [{"name": k.encode(), "value": v.encode()} for k, v in request["headers"].items()]
                batch = [{"requestId": str(index).encode(), "headers": headers, "parameters": [
                    {"name": "body", "contentType": request["headers"].get("Content-Type", ""),
                     "value": base64.b64decode(request["body"])}]}]
                (answer,) = decode(service.predict(batch))
                answers.append(answer)
            results[name] = {"answers": answers, "onnxruntime_loaded": sys.modules.get("onnxruntime") is not None}
        sys.path.remove(code_dir)
        os.environ.clear()
        os.environ.update(saved)
    print(json.dumps(results))
    """
)


def invocation(body: str | bytes, content_type: str | None = "application/json", accept: str | None = None,
               ) -> dict[str, Any]:
    """One InvokeEndpoint call: its body and the headers SageMaker passes to the container."""
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    raw = body.encode() if isinstance(body, str) else body
    return {"headers": headers, "body": base64.b64encode(raw).decode()}


def serve_in_container(jobs: dict[str, dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """{name: {"answers": [{status, content_type, body (bytes)}...]} or {"model_fn_error": ...}}."""
    completed = subprocess.run(
        [sys.executable, "-I", "-c", CONTAINER_SCRIPT], input=json.dumps(jobs), capture_output=True, text=True,
        cwd=workdir, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results = dict(json.loads(completed.stdout))
    for result in results.values():
        for answer in result.get("answers", []):
            answer["body"] = base64.b64decode(answer["body"])
    return results


def extracted(artifact: Path, workdir: Path, name: str) -> Path:
    """model.tar.gz unpacked the way SageMaker does into /opt/ml/model."""
    archive = workdir / f"{name}.tar.gz"
    write_archive(artifact, archive)
    model_dir = workdir / name / "opt-ml-model"
    model_dir.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(model_dir, filter="data")
    return model_dir


def json_body(answer: dict[str, Any]) -> Any:
    return json.loads(answer["body"])
