"""The model-server image every Kubernetes container and job of a model runs, always by digest.

A spec names the image by repository and tag (`serving.image`); tags in the declared repository are
immutable (ECR: the stack's repositories are IMMUTABLE; GHCR: the image workflow tags each build with its
commit SHA and never pushes a tag twice). The digest is either pinned in the spec (`digest:`, which
`slipstack image-pin` writes after a push) or, when not, asked of the registry at preview/up time with a
typed data source, so no file carries a digest that no registry reported:

- an ECR repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`): `aws.ecr.get_image` (the deploy
  role reads it);
- any other registry (GHCR, a data centre's Harbor): `docker.get_registry_image` (registry credentials, if
  the repository is private, are the docker provider's `registryAuth`).

The result is `repository:tag@sha256:...` in every container and init container; a tag that was never
pushed fails the preview, before anything changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

_ECR = re.compile(r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<name>.+)$")


@dataclass(frozen=True)
class ServerImage:
    repository: str
    tag: str
    digest: pulumi.Input[str]  # pinned in the spec, or the registry's answer for the tag
    resolved_from_registry: bool


def resolve_server_image(repository: str, tag: str, pinned_digest: str | None) -> ServerImage:
    """The image by digest: the spec's pin, else the digest the registry reports for the tag."""
    if pinned_digest:
        return ServerImage(repository, tag, pinned_digest, resolved_from_registry=False)
    ecr = _ECR.match(repository)
    if ecr:
        import pulumi_aws as aws

        digest = aws.ecr.get_image_output(
            repository_name=ecr["name"], image_tag=tag, registry_id=ecr["account"],
            region=ecr["region"],
        ).image_digest
    else:
        import pulumi_docker as docker

        digest = docker.get_registry_image_output(name=f"{repository}:{tag}").sha256_digest
    return ServerImage(repository, tag, digest, resolved_from_registry=True)
