"""ModelServerRepository: scan on push, immutable tags, its own KMS key; images named by digest only."""

from __future__ import annotations

from typing import Any

import pytest

from infra.aws.model_server_repository import image_reference


def declare() -> Any:
    from infra.aws.model_server_repository import ModelServerRepository, ModelServerRepositoryArgs

    def program() -> None:
        ModelServerRepository("images", ModelServerRepositoryArgs(
            repository_name="slipstack/test/model-server", account_id="123456789012", region="eu-west-1",
            key_alias="slipstack/test-images", tags={"team": "ml"}))

    return program


def test_repository_is_scanned_immutable_and_encrypted_with_its_own_key(pulumi_run: Any) -> None:
    run = pulumi_run(declare())
    repository = run.one("aws:ecr/repository:Repository").inputs
    key = run.one("aws:kms/key:Key")
    assert repository["name"] == "slipstack/test/model-server"
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}]
    assert key.inputs["enableKeyRotation"] is True
    assert repository["forceDelete"] is False


def test_images_are_referenced_by_digest() -> None:
    url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipstack/test/model-server"
    assert image_reference(url, "sha256:" + "a" * 64) == f"{url}@sha256:{'a' * 64}"
    with pytest.raises(ValueError, match="is not sha256:<64 hex digits>"):
        image_reference(url, "0.1.0")
