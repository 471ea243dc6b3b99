"""K8S-IMAGE-PIN: images name a tag other than latest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.pod_specs import containers
from policies.rule import Outcome, Rule, RuleContext, read, verdict


def image_tag(image: str) -> str | None:
    """ "repo:5000/app:1.2@sha256:..." -> "1.2"; None when there is no tag."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    problems = []
    for label, container in containers(props):
        image = read(container, "image")
        if not isinstance(image, str) or not image:
            problems.append(f"{label}: image is not set")
        elif "@sha256:" in image:
            continue  # a digest pins harder than any tag
        elif image_tag(image) in (None, "latest"):
            problems.append(f"{label}: image {image} has no tag or uses latest")
    return verdict(problems)


RULE = Rule(
    id="K8S-IMAGE-PIN",
    description="Container images are pinned to a tag other than latest.",
    severity="high",
    remediation="Use the image tag (or digest) that `slipstack package` printed.",
    anchors=("CKV_K8S_14",),
    enforcement="M",
    resource_types=frozenset(t.K8S_WORKLOADS),
    check=check,
)
