"""Drift check calibration: false alarms on healthy data and detection power on small shifts.

Run with plain python from the repo root:  .venv/bin/python bench/drift_calibration_bench.py [--scale 1]

False alarms: a reference of `--reference` rows and current windows of 20 / 100 / 1,000 / 100,000
rows drawn from the same distributions, over many windows. Printed per window size: the share of
checks whose overall status is alert (the family-wise rate the Holm correction bounds at p_value)
and warn-or-alert, the share of features found insufficient_data, and per test the share of
(feature, window) pairs in which that test alone crossed the Holm-corrected level.

Detection power: the share of windows in which a small real change is alerted on, per window size.

`--code DIR` imports `monitoring` from another checkout (e.g. `git worktree add /tmp/before <commit>`),
so the same data can be judged by an earlier version of the check, side by side.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

WINDOWS = (20, 100, 1_000, 100_000)
CATEGORIES_30 = [f"shop{i:02d}" for i in range(30)]
WEIGHTS_30 = 1.0 / np.arange(1, 31) ** 1.5
WEIGHTS_30 /= WEIGHTS_30.sum()
LEVELS = list("abcdefghij")
WEIGHTS_10 = np.array([0.5, 0.2, 0.1, 0.1, 0.05, 0.02, 0.01, 0.01, 0.005, 0.005])


def healthy(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Ten features of the kinds the issue names: smooth, skewed, heavy-tailed, tied, flags, codes."""
    missing = rng.normal(size=rows)
    missing[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "normal": rng.normal(size=rows),
            "lognormal": rng.lognormal(size=rows),
            "pareto": rng.pareto(3.0, rows),
            "rounded": np.round(rng.normal(50, 10, rows)),
            "flag_1pct": (rng.random(rows) < 0.01).astype(np.int64),
            "small_int": rng.poisson(2.0, rows),
            "constant": np.full(rows, 1.0),
            "category_10": rng.choice(LEVELS, rows, p=WEIGHTS_10),
            "category_30": rng.choice(CATEGORIES_30, rows, p=WEIGHTS_30),
            "missing_5pct": missing,
        }
    )


def _shift_mean(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return frame.assign(normal=frame["normal"] + 0.1)  # 0.1 sd


def _raise_flag(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return frame.assign(flag_1pct=(rng.random(len(frame)) < 0.015).astype(np.int64))  # 1% -> 1.5%


def _move_category(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    moved = frame["category_10"].where(rng.random(len(frame)) >= 0.03, "e")  # +3 points to one level
    return frame.assign(category_10=moved)


def _unit_bug(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    values = frame["lognormal"].to_numpy(copy=True)
    values[: max(1, len(values) // 500)] *= 1000  # 0.2% of rows in the wrong unit
    return frame.assign(lognormal=values)


def _more_missing(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    values = frame["missing_5pct"].to_numpy(copy=True)
    values[rng.random(len(values)) < 0.03] = np.nan  # 5% -> ~7.85% missing
    return frame.assign(missing_5pct=values)


SHIFTS: dict[str, tuple[str, Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]]] = {
    "mean +0.1 sd": ("normal", _shift_mean),
    "flag 1% -> 1.5%": ("flag_1pct", _raise_flag),
    "category +3 points": ("category_10", _move_category),
    "0.2% of rows x1000": ("lognormal", _unit_bug),
    "missing 5% -> 7.9%": ("missing_5pct", _more_missing),
}


def _adjusted_test_hits(feature: object, alpha: float) -> set[str]:
    tests = getattr(feature, "tests", None) or []
    return {t.test for t in tests if t.decides and t.p_value_adjusted is not None and t.p_value_adjusted < alpha}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", type=int, default=20_000, help="reference rows")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of windows per size")
    parser.add_argument("--method", default="ks", choices=["ks", "psi", "kl"])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose monitoring package is judged")
    parser.add_argument("--skip-power", action="store_true")
    options = parser.parse_args()
    sys.path.insert(0, str(options.code))

    from monitoring.drift import DriftSettings, check_drift
    from monitoring.profile import build_profile
    from monitoring.statistics import partial_from_frame

    rng = np.random.default_rng(2026)
    reference = healthy(rng, options.reference)
    profile = build_profile(reference, categorical=["category_10", "category_30"])
    layouts = profile.layouts()
    settings = DriftSettings(method=options.method)
    alpha = settings.p_value
    repeats = {20: 400, 100: 400, 1_000: 200, 100_000: 20}
    started = time.perf_counter()
    print(f"code: {options.code}  reference rows: {options.reference:,}  method: {options.method}  p_value: {alpha}")
    print("false alarms on healthy data (10 features per check):")
    for window in WINDOWS:
        runs = max(5, int(repeats[window] * options.scale))
        alerts = warns = 0
        per_test: Counter[str] = Counter()
        per_feature: Counter[str] = Counter()
        insufficient = 0
        for _ in range(runs):
            result = check_drift(profile, partial_from_frame(healthy(rng, window), layouts), settings)
            alerts += result.status == "alert"
            warns += result.status in ("warn", "alert")
            for feature in result.features:
                per_feature[feature.feature] += feature.status == "alert"
                insufficient += feature.status == "insufficient_data"
                per_test.update(_adjusted_test_hits(feature, alpha))
        features = len(profile.features)
        tests = ", ".join(f"{name} {count / (runs * features):.2%}" for name, count in sorted(per_test.items()))
        noisy = ", ".join(f"{name} {count / runs:.1%}" for name, count in per_feature.most_common(3) if count)
        print(
            f"  window {window:>7,} x {runs:>3}: overall alert {alerts / runs:6.1%}, "
            f"warn-or-alert {warns / runs:6.1%}, insufficient_data {insufficient / (runs * features):6.1%} of features"
        )
        print(f"      alerting features: {noisy or 'none'}; per test (share of feature-windows): {tests or 'none'}")

    if not options.skip_power:
        print("detection power (share of windows alerting on the changed feature):")
        for label, (feature_name, change) in SHIFTS.items():
            cells = []
            for window in (1_000, 10_000, 100_000):
                runs = max(5, int((40 if window < 100_000 else 10) * options.scale))
                hits = 0
                for _ in range(runs):
                    current = change(healthy(rng, window), rng)
                    result = check_drift(profile, partial_from_frame(current, layouts), settings)
                    hits += feature_name in result.drifted_features
                cells.append(f"{window:>7,}: {hits / runs:6.1%}")
            print(f"  {label:<20} " + "  ".join(cells))
    print(f"(took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
