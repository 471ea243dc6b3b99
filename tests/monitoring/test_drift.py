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


# --- the root causes of issue 19, each checked against scipy on generated data ----------------------

from scipy import stats  # noqa: E402

from monitoring.drift import beyond_range_p, contingency_test, missing_rate_test  # noqa: E402
from monitoring.statistics import partial_from_frame  # noqa: E402


def _check(reference: pd.DataFrame, current: pd.DataFrame, categorical: tuple[str, ...] = (), **settings: object):
    profile = build_profile(reference, categorical=list(categorical))
    return check_drift(profile, partial_from_frame(current, profile.layouts()), DriftSettings.model_validate(settings))


def _feature(result, name: str):
    return next(f for f in result.features if f.feature == name)


def test_a_change_confined_to_the_top_percent_is_found() -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"x": rng.normal(size=20_000)})
    current = pd.DataFrame({"x": rng.normal(size=20_000)})
    top = current["x"] > np.quantile(current["x"], 0.99)
    current.loc[top, "x"] *= 3  # only the top 1% moves, and mostly beyond the reference max
    x = _feature(_check(reference, current), "x")
    assert x.status == "alert" and any("out-of-range" in r for r in x.reasons)
    # the range test's count and p-value are exact: scipy's hypergeometric law of "the top k are all current"
    above = int((current["x"] > reference["x"].max()).sum())
    assert x.above_reference_max == above > 0
    assert beyond_range_p(above, 20_000, 20_000) == pytest.approx(stats.hypergeom.pmf(above, 40_000, 20_000, above))


def test_a_unit_bug_far_above_the_reference_max_alerts_where_ks_and_psi_stay_quiet() -> None:
    rng = np.random.default_rng(8)
    reference = pd.DataFrame({"grams": rng.normal(500, 50, 10_000)})
    current = pd.DataFrame({"grams": rng.normal(500, 50, 10_000)})
    current.loc[:19, "grams"] *= 1000  # 0.2% of rows sent in milligrams
    result = _check(reference, current)
    grams = _feature(result, "grams")
    assert grams.status == "alert" and grams.above_reference_max == 20
    ks = next(t for t in grams.tests if t.test == "ks")
    assert ks.p_value > 0.05 and grams.psi < 0.1  # KS and PSI alone miss it, as the issue describes
    assert stats.ks_2samp(reference["grams"], current["grams"]).pvalue > 0.05


def test_infinite_values_are_out_of_range_evidence_not_silently_missing() -> None:
    rng = np.random.default_rng(9)
    reference = pd.DataFrame({"x": rng.normal(size=5_000)})
    current = pd.DataFrame({"x": rng.normal(size=5_000)})
    current.loc[:9, "x"] = np.inf
    x = _feature(_check(reference, current), "x")
    assert x.infinite_values == 10 and x.above_reference_max >= 10 and x.status == "alert"
    assert x.mean_current == pytest.approx(current["x"][np.isfinite(current["x"])].mean())


def test_binary_flag_rate_change_matches_scipy_chi_square() -> None:
    rng = np.random.default_rng(10)
    reference = pd.DataFrame({"flag": (rng.random(20_000) < 0.10).astype(int)})
    current = pd.DataFrame({"flag": (rng.random(5_000) < 0.13).astype(int)})
    flag = _feature(_check(reference, current), "flag")
    table = np.array([np.bincount(reference["flag"], minlength=2), np.bincount(current["flag"], minlength=2)])
    expected = stats.chi2_contingency(table, correction=False)
    chi2 = next(t for t in flag.tests if t.test == "chi2")
    assert chi2.statistic == pytest.approx(expected.statistic) and chi2.p_value == pytest.approx(expected.pvalue)
    assert flag.test == "chi2" and flag.status == "alert"


def test_a_recoded_small_integer_feature_is_seen() -> None:
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"level": rng.choice([0, 1, 2, 3], 10_000, p=[0.4, 0.3, 0.2, 0.1])})
    recoded = rng.choice([0, 1, 2, 3], 10_000, p=[0.4, 0.2, 0.3, 0.1])  # 1 and 2 swapped upstream
    level = _feature(_check(reference, pd.DataFrame({"level": recoded})), "level")
    assert level.status == "alert"
    steady = pd.DataFrame({"level": rng.choice(4, 10_000, p=[0.4, 0.3, 0.2, 0.1])})
    healthy = _feature(_check(reference, steady), "level")
    assert healthy.status == "ok"


def test_constant_feature_gaining_a_value_alerts_with_fishers_exact_test() -> None:
    reference = pd.DataFrame({"version": np.full(5_000, 3.0)})
    steady = _feature(_check(reference, pd.DataFrame({"version": np.full(2_000, 3.0)})), "version")
    assert steady.status == "ok" and steady.p_value == 1.0
    current = pd.DataFrame({"version": np.r_[np.full(1_980, 3.0), np.full(20, 4.0)]})
    version = _feature(_check(reference, current), "version")
    assert version.status == "alert" and version.unseen_categories == 20
    chi2 = next(t for t in version.tests if t.test == "chi2")
    table = np.array([[5_000, 0], [1_980, 20]])
    assert chi2.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    # three new values expect fewer than 5 in a cell: Fisher's exact test instead of chi-square
    few = pd.DataFrame({"version": np.r_[np.full(1_997, 3.0), np.full(3, 4.0)]})
    version = _feature(_check(reference, few), "version")
    chi2 = next(t for t in version.tests if t.test == "chi2")
    assert "Fisher" in chi2.detail
    assert chi2.p_value == pytest.approx(stats.fisher_exact([[3, 1_997], [0, 5_000]]).pvalue)


def test_rare_flag_pooling_keeps_small_windows_honest_and_finds_a_real_rise() -> None:
    rng = np.random.default_rng(12)
    reference = pd.DataFrame({"rare": (rng.random(50_000) < 0.005).astype(int)})
    alarms = sum(
        _feature(_check(reference, pd.DataFrame({"rare": (rng.random(200) < 0.005).astype(int)})), "rare").status
        == "alert"
        for _ in range(200)
    )
    assert alarms <= 12  # ~5% family-wise; an unpooled chi-square on expected counts of 1 alarms far more often
    risen = pd.DataFrame({"rare": np.r_[np.ones(10, int), np.zeros(190, int)]})  # 5% instead of 0.5%
    rare = _feature(_check(reference, risen), "rare")
    reference_ones = int(reference["rare"].sum())
    fisher = stats.fisher_exact([[10, 190], [reference_ones, 50_000 - reference_ones]]).pvalue
    assert rare.status == "alert"
    assert next(t for t in rare.tests if t.test == "chi2").p_value == pytest.approx(fisher)


def test_categorical_small_counts_do_not_cry_wolf_where_plain_chi_square_does() -> None:
    rng = np.random.default_rng(13)
    categories = [f"c{i}" for i in range(30)]
    weights = 1.0 / np.arange(1, 31) ** 1.5
    weights /= weights.sum()
    reference = pd.DataFrame({"shop": rng.choice(categories, 20_000, p=weights)})
    profile = build_profile(reference)
    settings = DriftSettings()
    ours = plain = 0
    for _ in range(200):
        current = pd.DataFrame({"shop": rng.choice(categories, 60, p=weights)})
        result = check_drift(profile, partial_from_frame(current, profile.layouts()), settings)
        ours += result.status == "alert"
        feature = profile.features["shop"]
        counts = partial_from_frame(current, profile.layouts()).features["shop"].counts
        table = np.array([feature.counts, counts])
        table = table[:, table.sum(axis=0) > 0]
        plain += stats.chi2_contingency(table, correction=False).pvalue < 0.05
    assert ours <= 14 < plain  # the root cause: expected counts far below 5 make the plain test alarm


def test_contingency_test_matches_scipy_when_every_cell_is_large() -> None:
    reference, current = np.array([500.0, 300.0, 200.0]), np.array([260.0, 140.0, 100.0])
    statistic, p, how = contingency_test(reference, current)
    expected = stats.chi2_contingency(np.vstack([reference, current]), correction=False)
    assert (statistic, p) == (pytest.approx(expected.statistic), pytest.approx(expected.pvalue))
    assert how == "chi-square over 3 cells"


def test_a_significant_missing_rate_rise_alerts_and_small_effects_do_not() -> None:
    rng = np.random.default_rng(14)
    reference = pd.DataFrame({"x": rng.normal(size=20_000)})
    current = pd.DataFrame({"x": rng.normal(size=5_000)})
    current.loc[:149, "x"] = np.nan  # 0% -> 3%: far below the old fixed 10% rise, hugely significant
    x = _feature(_check(reference, current), "x")
    assert x.status == "alert" and any("missing rate" in r for r in x.reasons)
    small = pd.DataFrame({"x": rng.normal(size=100_000)})
    small.loc[:499, "x"] = np.nan  # 0.5%: significant, but below the default minimum effect of 1 point
    assert _feature(_check(reference, small), "x").status == "ok"
    assert _feature(_check(reference, small, missing_rate_min_effect=0.001), "x").status == "alert"
    # the z-test agrees with scipy's Fisher exact test on the same counts at these sizes
    p = missing_rate_test(0, 20_000, 150, 5_000)
    assert p < 1e-30 and stats.fisher_exact([[150, 4_850], [0, 20_000]], alternative="greater").pvalue < 1e-30


def test_an_all_missing_feature_alerts_instead_of_failing_the_check() -> None:
    result = _check(_normal(1_000, 1), _normal(200, 2).assign(f1=np.nan))
    f1 = _feature(result, "f1")
    assert result.status == "alert" and f1.status == "alert" and "all 200 values are missing" in f1.reasons[0]


def test_tiny_windows_are_insufficient_data_never_an_alert() -> None:
    result = _check(_normal(10_000, 1), _normal(5, 2))
    assert result.status == "insufficient_data"
    assert sorted(result.insufficient_features) == [f"f{i}" for i in range(6)] and result.drifted_features == []
    assert all(f.score == 0.0 for f in result.features) and result.score_max == 0.0
    # a shift that 5 rows cannot prove stays insufficient too: KS on 5 rows gives no verdict
    shifted = _check(_normal(10_000, 1), _normal(5, 2, {"f0": 1.0}))
    assert _feature(shifted, "f0").status == "insufficient_data"
    # the window minimum is a setting (monitoring.drift.min_window)
    assert _check(_normal(10_000, 1), _normal(5, 2), min_rows=5).status in ("ok", "warn")


def test_psi_on_a_small_window_is_refused_or_its_threshold_raised() -> None:
    rng = np.random.default_rng(15)
    reference = _normal(20_000, 1)
    alarms = 0
    for seed in range(50):
        result = _check(reference, _normal(60, 100 + seed), method="psi")
        alarms += result.status == "alert"
        # 60 rows: noise alone reaches the alert threshold, so PSI gives no verdict
        assert all(any("from noise alone" in r for r in f.reasons) for f in result.features)
        assert all(f.status != "alert" for f in result.features)
    assert alarms == 0
    medium = _check(reference, _normal(2_000, 3), method="psi")
    assert medium.status in ("ok", "warn") and not medium.insufficient_features
    moved = _check(reference, _normal(2_000, 4, {"f2": 1.0}), method="psi")
    assert moved.drifted_features == ["f2"]
    del rng


def test_binned_ks_tracks_scipy_exact_ks() -> None:
    rng = np.random.default_rng(16)
    reference = rng.normal(size=10_000)
    for shift, verdict in ((0.0, False), (0.15, True)):
        current = rng.normal(shift, 1, 5_000)
        result = _check(pd.DataFrame({"x": reference}), pd.DataFrame({"x": current}))
        x = _feature(result, "x")
        exact = stats.ks_2samp(reference, current)
        assert x.ks_statistic <= exact.statistic + 1e-12 and x.ks_statistic == pytest.approx(exact.statistic, abs=0.01)
        ks_weight = next(t.weight for t in x.tests if t.test == "ks")
        assert (x.status == "alert") == verdict == (exact.pvalue < 0.05 * ks_weight)


def test_one_holm_family_keeps_healthy_false_alarms_near_the_level() -> None:
    rng = np.random.default_rng(17)
    frame = lambda n: pd.DataFrame(  # noqa: E731
        {
            "normal": rng.normal(size=n),
            "skewed": rng.lognormal(size=n),
            "flag": (rng.random(n) < 0.02).astype(int),
            "count": rng.poisson(2, n),
            "shop": rng.choice(list("abcdefgh"), n, p=[0.4, 0.2, 0.1, 0.1, 0.1, 0.05, 0.03, 0.02]),
        }
    )
    profile = build_profile(frame(20_000))
    alarms = sum(
        check_drift(profile, partial_from_frame(frame(1_000), profile.layouts()), DriftSettings()).status == "alert"
        for _ in range(100)
    )
    assert alarms <= 10


def test_weighted_holm_reduces_to_holm_and_spends_one_unit_per_feature() -> None:
    from monitoring.drift import _holm

    p = [0.01, 0.04, 0.03, 0.005]
    # ordinary Holm (sorted p times 4, 3, 2, 1, made monotone), worked out by hand
    assert _holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert _holm(p, [1.0] * 4) == _holm(p)
    # weighted: p_i is compared with level * w_i / (weights not yet rejected)
    assert _holm([0.01, 0.03]) == pytest.approx([0.02, 0.03])
    assert _holm([0.01, 0.03], [1.5, 0.5]) == pytest.approx([0.01 * 2 / 1.5, 0.03])
    assert _holm([0.01, 0.03], [0.5, 1.5]) == pytest.approx([0.04, 0.04])
