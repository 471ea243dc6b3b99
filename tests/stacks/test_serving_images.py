"""The serving-image snapshot answers exactly as sagemaker-core does, so plans need not import the SDK."""

from __future__ import annotations

import random
import subprocess
import sys
from importlib.metadata import version

from stacks import serving_images
from stacks.aws_model import serving_image_uri


def test_snapshot_was_taken_from_the_pinned_sdk() -> None:
    assert serving_images.snapshot()["sagemaker_core_version"] == version("sagemaker-core")


def test_snapshot_entries_match_the_sdk() -> None:
    from sagemaker.core import image_uris

    frameworks = serving_images.snapshot()["frameworks"]
    entries = [(fw, key, uri) for fw, entry in frameworks.items() for key, uri in entry["images"].items()]
    # Every version in two regions, plus a seeded sample of the rest: the full comparison takes a minute.
    chosen = [e for e in entries if e[1].split("|")[1] in ("eu-west-1", "us-east-1")]
    chosen += random.Random(20261124).sample(entries, 40)
    for framework, key, uri in chosen:
        container_version, region, processor = key.split("|")
        expected = image_uris.retrieve(
            framework, region=region, version=container_version, image_scope="inference",
            instance_type=serving_images.PROBE_INSTANCE[processor],
        )
        assert uri == expected, key
    for framework, entry in frameworks.items():
        config = image_uris.config_for_framework(framework)
        assert entry["versions"] == list((config.get("inference") or config)["versions"])


def test_resolving_a_known_image_does_not_import_the_sdk() -> None:
    code = (
        "import sys; from stacks.aws_model import serving_image_uri;"
        "print(serving_image_uri('sklearn', '1.9.1', 'eu-west-1', 'ml.m5.large'));"
        "assert 'sagemaker.core' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == serving_image_uri("sklearn", "1.9.1", "eu-west-1", "ml.m5.large")
    assert result.stdout.strip().endswith("/sagemaker-scikit-learn:1.9-0-cpu-py3")
