from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.drift import DriftSettings, accumulate, check_drift
from monitoring.errors import InputDataError
from monitoring.profile import build_profile


def _normal(rows: int, seed: int, shift: dict[str, float] | None = None, columns: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shift = shift or {}
    return pd.DataFrame({f"f{i}": rng.normal(shift.get(f"f{i}", 0.0), 1.0, rows) for i in range(columns)})


def _run(reference: pd.DataFrame, current: pd.DataFrame, **settings: object):
    profile = build_profile(reference)
    chosen = DriftSettings.model_validate(settings)
    chunks = iter([("current", current.iloc[i : i + 20_000]) for i in range(0, max(len(current), 1), 20_000)])
    return check_drift(profile, accumulate(chunks, profile, chosen), chosen)


def test_ks_flags_exactly_the_shifted_features() -> None:
    result = _run(_normal(100_000, 1), _normal(100_000, 2, {"f0": 0.1, "f3": 0.1}))
    assert result.status == "alert"
    assert sorted(result.drifted_features) == ["f0", "f3"]
    assert [f.feature for f in result.features[:2]] == sorted(
        ["f0", "f3"], key=lambda n: -next(f.score for f in result.features if f.feature == n)
    )
    shifted = next(f for f in result.features if f.feature == "f0")
    assert shifted.mean_shift_sd == pytest.approx(0.1, abs=0.02)


def test_no_drift_on_same_distribution() -> None:
    result = _run(_normal(50_000, 1), _normal(50_000, 5))
    assert result.status in ("ok", "warn") and result.drifted_features == []


def test_psi_thresholds_warn_and_alert() -> None:
    current = _normal(50_000, 2, {"f1": 0.4, "f2": 1.0})
    result = _run(_normal(50_000, 1), current, method="psi")
    by_name = {f.feature: f for f in result.features}
    assert by_name["f1"].status == "warn" and 0.1 <= by_name["f1"].psi < 0.2
    assert by_name["f2"].status == "alert" and by_name["f2"].score == by_name["f2"].psi
    assert result.drifted_features == ["f2"]


def test_rising_missing_rate_alerts() -> None:
    current = _normal(20_000, 2)
    current.loc[:5_000, "f4"] = np.nan
    result = _run(_normal(20_000, 1), current, method="psi")
    f4 = next(f for f in result.features if f.feature == "f4")
    assert f4.status == "alert" and "missing rate" in f4.reasons[-1]
    assert result.missing_rate_max == pytest.approx(5001 / 20_000)


def test_categorical_drift_uses_chi2() -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"c": rng.choice(["a", "b", "c"], 10_000, p=[0.5, 0.3, 0.2])})
    current = pd.DataFrame({"c": rng.choice(["a", "b", "c", "d"], 10_000, p=[0.3, 0.3, 0.2, 0.2])})
    result = _run(reference, current)
    feature = result.features[0]
    assert feature.kind == "categorical" and feature.status == "alert"
    assert feature.unseen_categories > 0 and feature.unseen_examples == ["d"]


@pytest.mark.parametrize(
    ("current", "message"),
    [
        (_normal(10, 0, columns=5), r"lacks profiled column\(s\) \['f5'\]"),
        (_normal(10, 0, columns=7), r"column\(s\) \['f6'\] that the reference profile does not know"),
        (_normal(10, 0).assign(f2=["x"] * 10), "column 'f2' should be numeric"),
        (_normal(0, 0), "the current data is empty"),
    ],
)
def test_bad_current_data_names_the_problem(current: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputDataError, match=message) as raised:
        _run(_normal(1000, 1), current)
    assert raised.value.exit_code == 2


def test_extra_columns_allowed_when_asked() -> None:
    result = _run(_normal(1000, 1), _normal(1000, 2, columns=7), allow_extra_columns=True)
    assert len(result.features) == 6
