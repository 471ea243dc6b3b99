"""How `slipstack plan` grows with the number of specs, next to a bare Pulumi program doing the same.

For N = 1, 10, 100 generated specs (copies of the example spec under new names) in one hybrid stack:
- slipstack: `slipstack plan --stack bench -q --no-policy` as a whole process: spec loading, composition,
  components, the mock engine, writing plan.json and manifests (the policy pack's time is measured by
  bench/policy_bench.py; the bare program has no policy step either);
- bare: a program with no framework that declares exactly the resources of that plan (same types,
  names and inputs) with `pulumi.CustomResource`, after importing the typed SDK module of every type
  it declares (as a hand-written program must), under the same mock engine, as a whole process; it
  writes the same plan.json, so the output work is the same too.
The ratio slipstack/bare is the framework's overhead (target: under 1.3x).

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
BARE_PROGRAM = """
import importlib, json, sys
from pathlib import Path
import pulumi
from slipstack.plan.engine import run_program
from slipstack.plan.runner import write_plan

plan = json.loads(Path(sys.argv[1]).read_text())
custom = [r for r in plan["resources"] if r["custom"] and not r["type"].startswith("pulumi:providers:")]

def sdk_module(token):
    package, module, _ = token.split(":")
    if package == "aws":
        return "pulumi_aws." + module.split("/")[0]
    group, version = module.rsplit("/", 1)
    group = group.split(".")[0] if group.endswith(".k8s.io") else group
    return f"pulumi_kubernetes.{group}.{version}" if "." not in group else "pulumi_kubernetes.apiextensions"

for name in sorted({sdk_module(r["type"]) for r in custom}):
    importlib.import_module(name)

def program():
    for resource in custom:
        pulumi.CustomResource(resource["type"], resource["name"], dict(resource["inputs"]))
    return {}

run = run_program(program, project="slipstack", stack="bench", config={"aws:region": "eu-west-1"})
document = {**plan, "resources": sorted((r.as_plan_entry() for r in run.resources), key=lambda r: r["urn"])}
write_plan(document, Path(sys.argv[2]))
print(len(run.resources), "resources")
"""


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
    args = parser.parse_args()
    slipstack = [str(Path(sys.executable).parent / "slipstack")]
    print(f"{'specs':>5} {'resources':>9} {'slipstack s':>11} {'bare s':>8} {'ratio':>6} {'ms/resource':>11}")
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            make_project(root, count)
            bare_script = root / "bare.py"
            bare_script.write_text(BARE_PROGRAM)
            plan_command = [*slipstack, "plan", "--stack", "bench", "-q", "--no-policy", "--out", str(root / "plan")]
            subprocess.run(plan_command, cwd=root, check=True, capture_output=True)  # warm-up, and the plan to replay
            plan = json.loads((root / "plan" / "plan.json").read_text())
            resources = len(plan["resources"])
            bare_command = [sys.executable, str(bare_script), str(root / "plan" / "plan.json"), str(root / "bare")]
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
