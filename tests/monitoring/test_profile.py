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


def test_low_cardinality_numerics_keep_exact_value_counts() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "flag": (rng.random(5000) < 0.01).astype(int),
            "const": np.full(5000, 7.0),
            "level": rng.integers(0, 5, 5000),
            "amount": rng.normal(100, 10, 5000),
        }
    )
    profile = build_profile(frame)
    flag, const, level, amount = (profile.features[n] for n in ("flag", "const", "level", "amount"))
    assert isinstance(flag, NumericFeatureProfile) and flag.values == [0.0, 1.0]
    assert flag.counts == [int((frame.flag == 0).sum()), int(frame.flag.sum()), 0]  # last cell: other values
    assert isinstance(const, NumericFeatureProfile) and const.values == [7.0] and const.counts == [5000, 0]
    assert isinstance(level, NumericFeatureProfile) and level.values == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert isinstance(amount, NumericFeatureProfile) and amount.values is None
    assert profile.discrete_values == 32


def test_continuous_bins_span_the_reference_range_with_tail_resolution() -> None:
    values = np.random.default_rng(2).normal(size=20_000)
    amount = build_profile(pd.DataFrame({"x": values})).features["x"]
    assert isinstance(amount, NumericFeatureProfile)
    assert amount.edges[0] == values.min() and amount.edges[-1] == np.nextafter(values.max(), np.inf)
    assert amount.counts[0] == 0 and amount.counts[-1] == 0  # the bins beyond the reference range
    top = [e for e in amount.edges if e >= np.quantile(values, 0.99)]
    assert len(top) >= 5  # the top 1% is split, so a change inside it moves mass between bins
    assert amount.kurtosis == pytest.approx(3.0, abs=0.2)


def test_small_continuous_samples_are_not_mistaken_for_codes() -> None:
    values = np.random.default_rng(3).normal(size=30)
    feature = build_profile(pd.DataFrame({"x": values})).features["x"]
    assert isinstance(feature, NumericFeatureProfile) and feature.values is None


def test_infinite_reference_values_count_as_missing() -> None:
    feature = build_profile(pd.DataFrame({"x": [1.0, 2.0, np.inf, -np.inf, 3.0] * 20})).features["x"]
    assert isinstance(feature, NumericFeatureProfile)
    assert (feature.count, feature.missing, feature.max) == (60, 40, 3.0)


def test_label_form_is_fixed_at_profile_time() -> None:
    profile = build_profile(
        pd.DataFrame({"code": [1, 2, 2, 3] * 10, "zip": ["007", "010", "007", "1"] * 10}), categorical=["code"]
    )
    code, zip_code = profile.features["code"], profile.features["zip"]
    assert isinstance(code, CategoricalFeatureProfile) and code.label_form == "number"
    assert code.categories == ["2", "1", "3"]
    assert isinstance(zip_code, CategoricalFeatureProfile) and zip_code.label_form == "text"
    assert zip_code.categories == ["007", "010", "1"]


def test_old_profiles_ask_to_be_rebuilt(tmp_path: Path) -> None:
    data = build_profile(_reference()).model_dump(mode="json")
    data["profile_version"] = 1
    old = tmp_path / "manifest.json"
    old.write_text(json.dumps({"reference_profile": data}))
    with pytest.raises(ProfileError, match=r"profile_version 1 was written by an older slipstack") as raised:
        load_profile(old)
    assert "rebuild it with `slipstack profile" in str(raised.value) and raised.value.exit_code == 2
