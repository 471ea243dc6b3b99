"""How `slipstack plan` grows with the number of specs, next to a bare Pulumi program doing the same.

For N = 1, 10, 100 generated specs (copies of the example spec under new names) in one hybrid stack:
- slipstack: `slipstack plan --stack bench -q --no-policy` as a whole process: spec loading, composition,
  components, the mock engine, writing plan.json and manifests (the policy pack's time is measured by
  bench/policy_bench.py; the bare program has no policy step either);
- bare: bench/bare_plan_program.py, which declares exactly the custom resources of that plan with the
  typed SDK classes, same names and inputs (it checks they match), under the same mock engine, as a
  whole process, writing the same plan.json and manifests; with `--components` it also declares the
  plan's component resources with every resource under the same parent (the same resource graph, so the
  ratio is then only what Slipstack's own code adds: spec loading, translation, output wiring).
The ratio slipstack/bare is the framework's overhead (target: under 1.3x).

Slipstack's program sets the garbage collector for a heap that is nearly all live (stacks.program.
collect_rarely); a bare program runs with Python's defaults. `--collect-rarely` gives the bare program the
same setting, which takes the collector out of the comparison (with `--components` too, the two
programs differ only in Slipstack's own code).

    .venv/bin/python bench/plan_bench.py [--sizes 1 10 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BARE_PROGRAM = Path(__file__).resolve().parent / "bare_plan_program.py"


def make_project(root: Path, count: int) -> None:
    template = (REPO / "deployments" / "breast-cancer-screening.yaml").read_text()
    template = template.replace("../examples/", f"{REPO}/examples/")
    (root / "deployments").mkdir(parents=True)
    (root / "stacks").mkdir()
    (root / "Pulumi.yaml").write_text("name: slipstack\nruntime: python\nstackConfigDir: stacks\n")
    names = []
    for index in range(count):
        name = f"model-{index:03d}"
        text = re.sub(r"name: breast-cancer-screening", f"name: {name}", template, count=1)
        (root / "deployments" / f"{name}.yaml").write_text(text)
        names.append(f"deployments/{name}.yaml")
    (root / "stacks" / "Pulumi.bench.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  slipstack:environment: prod\n  slipstack:targets: [aws, onprem]\n"
        f"  slipstack:specs: {json.dumps(names)}\n  slipstack:kubernetes: {{cluster: existing, context: bench}}\n"
    )


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--components", action="store_true",
        help="the bare program also declares the plan's component resources (same graph, no framework logic)",
    )
    parser.add_argument(
        "--collect-rarely", action="store_true",
        help="the bare program sets the garbage collector as the Slipstack program does",
    )
    args = parser.parse_args()
    slipstack = [str(Path(sys.executable).parent / "slipstack")]
    print(f"{'specs':>5} {'resources':>9} {'slipstack s':>11} {'bare s':>8} {'ratio':>6} {'ms/resource':>11}")
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            make_project(root, count)
            plan_command = [*slipstack, "plan", "--stack", "bench", "-q", "--no-policy", "--out", str(root / "plan")]
            subprocess.run(plan_command, cwd=root, check=True, capture_output=True)  # warm-up, and the plan to replay
            plan = json.loads((root / "plan" / "plan.json").read_text())
            resources = len(plan["resources"])
            bare_command = [sys.executable, str(BARE_PROGRAM), str(root / "plan" / "plan.json"), str(root / "bare"),
                            *(["--components"] if args.components else []),
                            *(["--collect-rarely"] if args.collect_rarely else [])]
            ours, bare = [], []
            for _ in range(args.repeat):  # alternate, so drift in machine speed hits both alike
                ours.append(timed(plan_command, root))
                bare.append(timed(bare_command, root))
            ours_median, bare_median = statistics.median(ours), statistics.median(bare)
            print(
                f"{count:>5} {resources:>9} {ours_median:>11.2f} {bare_median:>8.2f} "
                f"{ours_median / bare_median:>6.2f} {1000 * ours_median / resources:>11.2f}"
            )


if __name__ == "__main__":
    main()
