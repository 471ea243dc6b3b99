"""Where a packaged model lives, locally and in the artifact bucket.

`slipstack package` writes here, `slipstack publish` uploads under these keys, the AWS stack points
SageMaker at them and the Kubernetes init container fetches and verifies from them: one definition.
"""

from __future__ import annotations

from pathlib import PurePosixPath

# Local packages: <project>/build/packages/<model>/<version>/ (manifest.json at its root).
LOCAL_PACKAGES_DIR = PurePosixPath("build/packages")
MANIFEST_FILE = "manifest.json"
# Inside a package (and under its bucket prefix): the two serving layouts built from one artifact.
SAGEMAKER_ARCHIVE = "sagemaker/model.tar.gz"
MLSERVER_DIR = "mlserver"


def local_package_dir(model: str, version: str) -> PurePosixPath:
    return LOCAL_PACKAGES_DIR / model / version


def bucket_prefix(model: str, digest: str) -> str:
    """Content-addressed: a key never changes meaning, so a half-finished upload can't become current."""
    return f"models/{model}/{digest}/"


def current_pointer_key(model: str) -> str:
    """Written last by `slipstack publish`, after every part of the artifact is verified."""
    return f"models/{model}/current.json"
