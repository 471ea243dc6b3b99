"""The artifact manifest: what an artifact holds, and the content digest that proves it untampered.

The digest is the sha256 of the manifest's canonical JSON without the `digest` key. That JSON lists
every file's sha256 and size, so the digest covers every byte of the artifact and every manifest
field (signature, reference profile, example) while staying independent of how the files are
shipped (a directory, a tar, a tar.gz): the same model always gets the same digest.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model_packaging.errors import IntegrityError, PackagingError

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
# 1 MiB reads keep memory flat for any file size and are large enough to run at disk speed.
CHUNK_BYTES = 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex sha256 of the file's bytes.")
    size: int = Field(ge=0, description="Size in bytes.")


class ModelIdentity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="metadata.name of the spec.")
    version: str = Field(description="model.version of the spec.")
    framework: str = Field(description="Training framework (sklearn, xgboost, onnx).")
    framework_version: str = Field(description="Framework version from the spec.")
    task: str = Field(description="classification or regression.")


class Manifest(BaseModel):
    """manifest.json at the root of every packaged artifact."""

    model_config = ConfigDict(extra="forbid")

    manifest_version: int = Field(default=MANIFEST_VERSION, description="Format version of this manifest.")
    model: ModelIdentity
    format: str = Field(description="Serving format: 'onnx' or the native framework name.")
    model_file: str = Field(description="Relative path of the serving-format model file (MLServer loads it).")
    native_model_file: str | None = Field(
        default=None,
        description="Relative path of the model in its training framework's own format, which code/inference.py "
        "loads in the SageMaker framework containers (they ship that framework, not onnxruntime). Equal to "
        "model_file when serving natively; None for a model trained as ONNX.",
    )
    library_versions: dict[str, str] = Field(description="Versions of the libraries that built and serve the model.")
    signature: dict[str, Any] = Field(description="Input columns and outputs, as in the spec.")
    runtime: dict[str, Any] = Field(
        default_factory=dict, description="How the runtime maps the model's raw outputs to the signature's outputs."
    )
    parity: dict[str, Any] | None = Field(default=None, description="Converted-vs-original comparison, if converted.")
    quantization: dict[str, Any] | None = Field(
        default=None,
        description="For an int8-quantized model: the operators quantized and the accuracy cost measured on the "
        "reference sample against the unquantized model (metric, label agreement, largest differences, tolerance).",
    )
    reference_profile: dict[str, Any] | None = Field(description="Reference profile (drift baseline).")
    example: dict[str, Any] = Field(description="{'request': V2 request for one reference row, 'expected_outputs'}.")
    files: dict[str, FileEntry] = Field(description="Every file of the artifact except manifest.json.")
    digest: str = Field(default="", description="sha256 of this manifest's canonical JSON without 'digest'.")

    def body(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data.pop("digest", None)
        # Absent rather than null when unset, so artifacts packaged before the field existed keep their digest.
        if data.get("native_model_file") is None:
            data.pop("native_model_file", None)
        if data.get("quantization") is None:
            data.pop("quantization", None)
        return data

    def compute_digest(self) -> str:
        return content_digest(self.body())

    def sealed(self) -> Manifest:
        return self.model_copy(update={"digest": self.compute_digest()})

    def to_json(self) -> str:
        data = {**self.body(), "digest": self.digest}
        return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def content_digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def normalise_digest(value: str) -> str:
    """Accept 'sha256:<hex>' or '<hex>'; return the bare lowercase hex."""
    text = value.strip().lower().removeprefix("sha256:")
    if not _DIGEST.fullmatch(text):
        raise PackagingError(f"'{value}' is not a sha256 digest (64 hex characters, optionally prefixed 'sha256:')")
    return text


def hash_file(path: Path, progress: Callable[[int], None] | None = None) -> FileEntry:
    """Stream a file through sha256 (never a whole-file read)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return FileEntry(sha256=digest.hexdigest(), size=size)


def parse_manifest(text: str | bytes, where: str) -> Manifest:
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IntegrityError(f"{where}: manifest.json is not valid JSON ({error}); re-package or re-fetch") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise IntegrityError(
            f"{where}: manifest.json field '{field}': {first['msg']} ({error.error_count()} problem(s)); "
            "the file was not written by `slipstack package` or was altered"
        ) from None


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise IntegrityError(
            f"{directory}: no manifest.json; this is not a packaged artifact (run `slipstack package`)"
        )
    return parse_manifest(path.read_bytes(), str(path))
