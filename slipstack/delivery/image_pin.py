"""Pin the model-server image the specs deploy to the digest the registry reported for the pushed build.

The image workflow builds model_server/Dockerfile, scans it, pushes it and runs `slipstack image-pin`
with the digest `docker push` printed; the edited specs go to a pull request, so the digest every prod
overlay carries is one a real push produced, reviewed like any other change. Only the `tag:` and
`digest:` lines of `image:` blocks naming the repository change; comments and layout stay.
"""

from __future__ import annotations

import re
from pathlib import Path

from slipstack.delivery.errors import DeliveryInputError

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>repository|tag|digest):\s*(?P<value>\S+)\s*$")


def pin_image(spec: Path, repository: str, tag: str, digest: str) -> int:
    """Rewrite the image blocks of `spec` naming `repository`; the number of blocks changed."""
    if not DIGEST.match(digest):
        raise DeliveryInputError(f"--digest {digest!r}: expected sha256: and 64 hex digits (what `docker push` prints)")
    lines = spec.read_text().splitlines(keepends=True)
    changed = 0
    index = 0
    while index < len(lines):
        match = _KEY.match(lines[index].rstrip("\n"))
        if match and match["key"] == "repository" and match["value"] == repository:
            indent = match["indent"]
            block = index + 1
            seen: set[str] = set()
            while block < len(lines):
                item = _KEY.match(lines[block].rstrip("\n"))
                if not item or item["indent"] != indent:
                    break
                value = tag if item["key"] == "tag" else digest if item["key"] == "digest" else item["value"]
                lines[block] = f"{indent}{item['key']}: {value}\n"
                seen.add(item["key"])
                block += 1
            for key, value in (("tag", tag), ("digest", digest)):
                if key not in seen:
                    lines.insert(block, f"{indent}{key}: {value}\n")
                    block += 1
            changed += 1
            index = block
            continue
        index += 1
    if changed:
        temporary = spec.with_name(f".{spec.name}.tmp")
        temporary.write_text("".join(lines))
        temporary.replace(spec)
    return changed
