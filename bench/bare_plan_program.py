"""The bare Pulumi program plan_bench.py compares `slipstack plan` with: no spec, no translation, no framework.

It declares exactly the resources of a plan file: the custom resources with the typed SDK classes
(`pulumi_aws.s3.Bucket(...)`, `pulumi_kubernetes.apps.v1.Deployment(...)`; custom resources such as a
PrometheusRule as `pulumi.CustomResource`) with the same names and inputs, and, with `--components`, the
same component resources with each resource under the same parent. It runs under the same mock engine
and writes the same plan.json and manifests. With `--collect-rarely` it also sets the garbage collector as
the Slipstack program does (stacks.program.collect_rarely), to compare like with like.

    .venv/bin/python bench/bare_plan_program.py PLAN.json OUT_DIR [--components] [--collect-rarely]
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pulumi

from slipstack.plan.engine import run_program
from slipstack.plan.runner import write_plan


def sdk_class(token: str) -> Any:
    """The typed SDK class of a type token; None for custom resources, which have none."""
    package, module, name = token.split(":")
    if package == "aws":
        path = "pulumi_aws." + module.split("/")[0]
    else:
        group, version = module.rsplit("/", 1)
        group = group.split(".")[0] if group.endswith(".k8s.io") else group
        if "." in group:
            return None
        path = f"pulumi_kubernetes.{group}.{version}"
    return getattr(importlib.import_module(path), name, None)


def python_name(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    with_components = "--components" in sys.argv[3:]
    if "--collect-rarely" in sys.argv[3:]:
        from stacks.program import collect_rarely

        collect_rarely()
    custom = [r for r in plan["resources"] if r["custom"] and not r["type"].startswith("pulumi:providers:")]
    components = [r for r in plan["resources"] if not r["custom"]] if with_components else []

    def program() -> dict[str, Any]:
        declared: dict[str, pulumi.Resource] = {}

        def options(resource: dict[str, Any]) -> pulumi.ResourceOptions | None:
            parent = declared.get(resource["parent"] or "")
            return pulumi.ResourceOptions(parent=parent) if parent is not None else None

        # Parents before children: a component's URN holds its ancestors' types, one per "$".
        for component in sorted(components, key=lambda r: r["urn"].count("$")):
            declared[component["urn"]] = pulumi.ComponentResource(
                component["type"], component["name"], None, options(component)
            )
        for resource in custom:
            cls = sdk_class(resource["type"])
            if cls is not None:
                cls(resource["name"], **{python_name(k): v for k, v in resource["inputs"].items()},
                    opts=options(resource))
            else:
                pulumi.CustomResource(resource["type"], resource["name"], dict(resource["inputs"]), options(resource))
        return {}

    run = run_program(program, project=plan["project"], stack=plan["stack"], config={"aws:region": plan["region"]})
    entries = sorted((r.as_plan_entry() for r in run.resources), key=lambda r: r["urn"])
    write_plan({**plan, "resources": entries}, Path(sys.argv[2]))
    declared = {r.name: r.inputs for r in run.resources}
    mismatched = [r["name"] for r in custom if json.dumps(declared.get(r["name"]), sort_keys=True)
                  != json.dumps(r["inputs"], sort_keys=True)]
    if mismatched:
        sys.exit(f"the bare program declared different inputs for {len(mismatched)} resources: {mismatched[:5]}")
    print(len(run.resources), "resources")


if __name__ == "__main__":
    main()
