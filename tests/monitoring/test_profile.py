from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring.errors import ProfileError
from monitoring.profile import (
    CategoricalFeatureProfile,
    NumericFeatureProfile,
    ReferenceProfile,
    build_profile,
    load_profile,
)


def _reference() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.normal(40, 10, 5000),
            "plan": rng.choice(["free", "pro"], 5000),
            "zip": rng.integers(0, 5, 5000),
        }
    )


def test_profile_is_compact_versioned_and_round_trips() -> None:
    profile = build_profile(_reference(), categorical=["zip"])
    data = profile.model_dump(mode="json")
    text = json.dumps(data)
    assert data["profile_version"] == 2
    assert len(text) < 10_000
    assert ReferenceProfile.model_validate(json.loads(text)) == profile
    age = profile.features["age"]
    assert isinstance(age, NumericFeatureProfile)
    assert len(age.counts) == len(age.edges) + 1 and sum(age.counts) == 5000
    assert age.mean == pytest.approx(40, abs=0.5) and age.std == pytest.approx(10, rel=0.05)
    assert isinstance(profile.features["plan"], CategoricalFeatureProfile)
    zip_code = profile.features["zip"]
    assert isinstance(zip_code, CategoricalFeatureProfile)
    assert sorted(zip_code.categories) == ["0", "1", "2", "3", "4"]


def test_missing_values_are_counted() -> None:
    frame = _reference()
    frame.loc[:999, "age"] = np.nan
    age = build_profile(frame).features["age"]
    assert age.missing == 1000 and age.missing_rate == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame(), {}, "empty"),
        (pd.DataFrame({"a": [np.nan, np.nan]}), {}, "'a' is all missing"),
        (pd.DataFrame({"a": [1.0]}), {"categorical": ["b"]}, "['b'] are not in"),
        (pd.DataFrame({"t": pd.to_datetime(["2024-01-01"])}), {}, "'t' has type"),
    ],
)
def test_bad_reference_samples_are_named(frame: pd.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_profile(frame, **kwargs)


def test_load_profile_from_manifest_and_profile_file(tmp_path: Path) -> None:
    profile = build_profile(_reference())
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"files": [], "reference_profile": profile.model_dump(mode="json")}))
    plain = tmp_path / "profile.json"
    plain.write_text(json.dumps(profile.model_dump(mode="json")))
    assert load_profile(manifest) == profile == load_profile(plain)


def test_load_profile_rejects_unknown_version_and_other_json(tmp_path: Path) -> None:
    data = build_profile(_reference()).model_dump(mode="json")
    data["profile_version"] = 99
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data))
    with pytest.raises(ProfileError, match="profile_version 99 is not supported"):
        load_profile(newer)
    other = tmp_path / "manifest.json"
    other.write_text(json.dumps({"files": []}))
    with pytest.raises(ProfileError, match="reference_profile"):
        load_profile(other)
    with pytest.raises(ProfileError, match="no such file"):
        load_profile(tmp_path / "absent.json")
