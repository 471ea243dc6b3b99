"""The rendered comments in docs/comments/ show what decides each change on their first screen.

Regenerate them with `.venv/bin/python tests/github/render_comment_examples.py` (a fresh clone, each change
committed on a branch and previewed as the pull-request workflow does).
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "comments"
CHANGES = runpy.run_path(str(Path(__file__).with_name("render_comment_examples.py")))["CHANGES"]
FIRST_SCREEN = 25  # lines a reviewer sees before scrolling or expanding anything

DECISIVE = {
    "version-bump-and-instance-type": [
        "`productionVariants[0].instanceType`: `ml.c5.xlarge` → `ml.c5.2xlarge`",
        "replaces `breast-cancer-screening-endpoint-model` (Model): `primaryContainer.modelDataUrl`",
        "`prod`: 42 resource(s) change tags or labels only",
    ],
    "security-weakened-with-exemption": [
        "**Needs approval:**",
        "new exemption of SM-MODEL-NETISO",
        "`enableNetworkIsolation`: `true` → `false`",
    ],
    "new-environment-override": [
        "`staging` replaces `breast-cancer-screening-endpoint-config`",
        "`dataCaptureConfig.initialSamplingPercentage`: `20` → `100`",
    ],
    "model-removed-from-prod": [
        "**Not safe to merge:** prod: deletes or replaces 8 protected stateful resource(s)",
        "`breast-cancer-screening-kms-key` (Key, deleted, protected)",
        "| `prod` | +0 ~0 -98 |",
    ],
}


def test_every_change_is_rendered() -> None:
    assert set(DECISIVE) == set(CHANGES) == {p.stem for p in DOCS.glob("*.md")}


@pytest.mark.parametrize("name", sorted(DECISIVE))
def test_the_decisive_lines_are_on_the_first_screen(name: str) -> None:
    text = (DOCS / f"{name}.md").read_text()
    first = "\n".join(text.splitlines()[:FIRST_SCREEN])
    for line in DECISIVE[name]:
        assert line in first, f"{name}: {line!r} is not in the first {FIRST_SCREEN} lines"
