"""Find the packaged artifact of a model, so stacks can point at its content-addressed location."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from contracts.artifact_layout import MANIFEST_FILE, local_package_dir
from deployment_spec import ResolvedSpec


@dataclass(frozen=True)
class ArtifactReference:
    model: str
    version: str
    # sha256 content digest of the packaged artifact; None when it has not been packaged yet, in which
    # case the stacks leave the checksum tag off and the policy pack reports the missing checksum.
    digest: str | None
    manifest_path: Path | None


def resolve_artifact(resolved: ResolvedSpec, project_root: Path) -> ArtifactReference:
    spec = resolved.spec
    manifest_path = project_root / local_package_dir(spec.metadata.name, spec.model.version) / MANIFEST_FILE
    if not manifest_path.is_file():
        return ArtifactReference(spec.metadata.name, spec.model.version, None, None)
    manifest = json.loads(manifest_path.read_text())
    digest = manifest.get("digest")
    return ArtifactReference(
        spec.metadata.name, spec.model.version, digest if isinstance(digest, str) else None, manifest_path
    )
