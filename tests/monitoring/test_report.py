from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from monitoring.drift import DriftSettings, check_drift
from monitoring.profile import build_profile
from monitoring.report import write_report
from monitoring.statistics import partial_from_frame


def test_report_is_self_contained_and_ranked(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    profile = build_profile(
        pd.DataFrame(
            {"calm": rng.normal(size=4000), "moved": rng.normal(size=4000), "c": rng.choice(["<a>", "b"], 4000)}
        )
    )
    current = pd.DataFrame(
        {"calm": rng.normal(size=4000), "moved": rng.normal(2, 1, 4000), "c": rng.choice(["<a>", "b"], 4000)}
    )
    result = check_drift(profile, partial_from_frame(current, profile.layouts()), DriftSettings(method="psi"))
    path = tmp_path / "report.html"
    write_report(result, path, title="Drift: churn")
    text = path.read_text()
    assert text.count("<svg") == 3 and "<script" not in text and "http" not in text
    assert text.index('href="#f-moved"') < text.index('href="#f-calm"')
    assert "&lt;a&gt;" in text and "<a>" not in text.replace("<a href", "")
