"""Time `slipstack comment`'s core (load plans, diff, cost, diagram, render under the size limit) on large plans.

Run: .venv/bin/python bench/preview_comment.py  (prints resources per stack, seconds and comment size)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "preview"))

from example_plans import example_plans, resource, write_plan_set  # noqa: E402

from preview.comment import build_preview, render_comment  # noqa: E402
from preview.cost import bundled_price_table  # noqa: E402
from preview.plans import read_plan_set  # noqa: E402


def main() -> None:
    for extra in (100, 1_000, 5_000):
        with tempfile.TemporaryDirectory() as folder:
            base_plans, head_plans = example_plans("base"), example_plans("head")
            for stack in base_plans:
                for index in range(extra):
                    inputs = {f"k{k}": f"v{k}-{index}" for k in range(8)}
                    base_plans[stack]["resources"].append(resource(stack, "aws:sqs/queue:Queue", f"q{index}", inputs))
                    inputs = {**inputs, "k0": "changed"} if index % 2 else inputs
                    head_plans[stack]["resources"].append(resource(stack, "aws:sqs/queue:Queue", f"q{index}", inputs))
            base = write_plan_set(Path(folder) / "base", base_plans)
            head = write_plan_set(Path(folder) / "head", head_plans)
            start = time.perf_counter()
            preview = build_preview(
                read_plan_set(base, required=False), read_plan_set(head, required=True), bundled_price_table()
            )
            text = render_comment(preview)
            seconds = time.perf_counter() - start
            print(f"{extra:>6} extra resources x 3 stacks: {seconds:.3f} s, comment {len(text):,} characters")


if __name__ == "__main__":
    main()
