"""SageMaker serving image URIs from sagemaker-core's tables, snapshotted so a plan does not import the SDK.

`sagemaker.core` takes about 1.5 s to import (it loads pandas and every SDK resource), which was the largest
fixed cost of `slipstack plan`. The URIs themselves are pure table lookups, so this module keeps a
snapshot of exactly what `sagemaker.core.image_uris.retrieve` returns for the frameworks Slipstack serves
(every inference container version, region and processor), written by:

    .venv/bin/python -m stacks.serving_images --refresh

A test compares the snapshot with the installed SDK entry by entry, so it cannot drift from the pinned
sagemaker-core. A lookup the snapshot does not hold (a new framework, region or version) asks the SDK.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

from contracts.sagemaker_instances import GPU_FAMILIES, instance_family

SNAPSHOT = Path(__file__).with_name("serving_images.json")
FRAMEWORKS = ("sklearn", "xgboost")
# An instance type per processor, for asking the SDK (it derives the processor from the type).
PROBE_INSTANCE = {"cpu": "ml.m5.large", "gpu": "ml.g5.xlarge"}


def processor_of(instance_type: str) -> str:
    return "gpu" if instance_family(instance_type) in GPU_FAMILIES else "cpu"


@functools.lru_cache(maxsize=1)
def snapshot() -> dict[str, Any]:
    return dict(json.loads(SNAPSHOT.read_text())) if SNAPSHOT.is_file() else {"frameworks": {}}


def container_versions(framework: str) -> list[str] | None:
    """The inference container versions of a framework, or None when the snapshot does not know it."""
    entry = snapshot()["frameworks"].get(framework)
    return list(entry["versions"]) if entry else None


def image_uri(framework: str, container_version: str, region: str, instance_type: str) -> str | None:
    entry = snapshot()["frameworks"].get(framework)
    if not entry:
        return None
    found = entry["images"].get(f"{container_version}|{region}|{processor_of(instance_type)}")
    return str(found) if found else None


def build_snapshot() -> dict[str, Any]:
    """Ask the installed sagemaker-core for every image the snapshot holds."""
    from importlib.metadata import version

    from sagemaker.core import image_uris

    frameworks: dict[str, Any] = {}
    for framework in FRAMEWORKS:
        config = image_uris.config_for_framework(framework)
        inference = config.get("inference") or config
        images: dict[str, str] = {}
        for container_version, details in inference["versions"].items():
            processors = details.get("processors") or ["cpu", "gpu"]
            for region in sorted(details.get("registries", {})):
                for processor in processors:
                    try:
                        uri = image_uris.retrieve(
                            framework, region=region, version=container_version, image_scope="inference",
                            instance_type=PROBE_INSTANCE[processor],
                        )
                    except ValueError:
                        continue  # a combination the SDK itself refuses
                    images[f"{container_version}|{region}|{processor}"] = str(uri)
        frameworks[framework] = {"versions": list(inference["versions"]), "images": images}
    return {"sagemaker_core_version": version("sagemaker-core"), "frameworks": frameworks}


if __name__ == "__main__":
    if sys.argv[1:] != ["--refresh"]:
        sys.exit("usage: python -m stacks.serving_images --refresh")
    SNAPSHOT.write_text(json.dumps(build_snapshot(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")
