"""The Pulumi program's process settings."""

from __future__ import annotations

import gc

from stacks.program import DECLARATION_GC_THRESHOLDS, collect_rarely


def test_collect_rarely_raises_the_thresholds_and_freezes_what_exists() -> None:
    before = gc.get_threshold()
    try:
        collect_rarely()
        assert gc.get_threshold() == DECLARATION_GC_THRESHOLDS
        assert gc.get_freeze_count() > 0  # the imported SDKs are out of the collector's way
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
