"""Train the example models from data sets that scikit-learn ships, and keep reference samples.

Two models, so the demo covers both tasks and both kinds of placement:
- breast-cancer-screening: a 100-tree random forest classifier (confidential data; cloud and on-prem);
- diabetes-progression: a gradient-boosting regressor (restricted data; on-prem only).

Each lands in examples/artifacts/<model>/ as model.joblib and reference.csv (held-out rows with the
label: the drift and quality baseline, and the source of the packaged example request).
Training is seeded, so every run gives the same models and the same files.

    python examples/train.py [--out DIR]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

SEED = 20261124
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def snake_case(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _write(model: object, frame: object, out: Path) -> None:
    import joblib
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / "model.joblib")
    frame.to_csv(out / "reference.csv", index=False)


def train_breast_cancer(out: Path) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer(as_frame=True)
    features = data.data.rename(columns=snake_case)
    x_train, x_ref, y_train, y_ref = train_test_split(
        features, data.target, test_size=0.4, random_state=SEED, stratify=data.target
    )
    model = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=SEED, n_jobs=1)
    model.fit(x_train, y_train)
    reference = x_ref.assign(target=y_ref.to_numpy())
    _write(model, reference, out)
    print(f"breast-cancer-screening: accuracy {model.score(x_ref, y_ref):.3f} on {len(x_ref)} held-out rows")


def train_diabetes(out: Path) -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import train_test_split

    data = load_diabetes(as_frame=True)
    features = data.data.rename(columns=snake_case)
    x_train, x_ref, y_train, y_ref = train_test_split(features, data.target, test_size=0.4, random_state=SEED)
    model = GradientBoostingRegressor(n_estimators=150, max_depth=3, random_state=SEED)
    model.fit(x_train, y_train)
    reference = x_ref.assign(target=y_ref.to_numpy())
    _write(model, reference, out)
    print(f"diabetes-progression: R2 {model.score(x_ref, y_ref):.3f} on {len(x_ref)} held-out rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ARTIFACTS, help="where the artifacts go")
    args = parser.parse_args()
    train_breast_cancer(args.out / "breast-cancer-screening")
    train_diabetes(args.out / "diabetes-progression")
    print(f"artifacts written to {args.out}")


if __name__ == "__main__":
    main()
