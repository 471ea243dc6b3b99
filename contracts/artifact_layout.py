"""Where a packaged model lives, locally and in the artifact bucket.

`slipstack package` writes here, `slipstack publish` uploads under these keys, the AWS stack points
SageMaker at them and the Kubernetes init container fetches and verifies from them: one definition.
One deterministic archive serves both runtimes: the model file and `code/` at its root for the
SageMaker framework containers, `model-settings.json` beside them for MLServer.
"""

from __future__ import annotations

from pathlib import PurePosixPath

# Local packages: <project>/build/packages/<model>/<version>/ (manifest.json at its root).
LOCAL_PACKAGES_DIR = PurePosixPath("build/packages")
MANIFEST_FILE = "manifest.json"
ARCHIVE_FILE = "model.tar.gz"
# The archive SageMaker's ModelDataUrl points at (the same one the init container fetches).
SAGEMAKER_ARCHIVE = ARCHIVE_FILE
ARTIFACT_KEY_PREFIX = "models"
CURRENT_POINTER_FILE = "current.json"


def local_package_dir(model: str, version: str) -> PurePosixPath:
    return LOCAL_PACKAGES_DIR / model / version


def bucket_prefix(model: str, digest: str) -> str:
    """Content-addressed: a key never changes meaning, so a half-finished upload can't become current."""
    return f"{ARTIFACT_KEY_PREFIX}/{model}/{digest}/"


def artifact_key(model: str, digest: str, file_name: str = ARCHIVE_FILE) -> str:
    return bucket_prefix(model, digest) + file_name


def current_pointer_key(model: str) -> str:
    """Written last by `slipstack publish`, after every part of the artifact is verified."""
    return f"{ARTIFACT_KEY_PREFIX}/{model}/{CURRENT_POINTER_FILE}"
