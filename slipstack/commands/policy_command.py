"""`slipstack policy`: evaluate the CrossGuard pack on a plan file, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

# Below this width the verdict is printed as one block per finding instead of a table.
WIDE_TABLE_COLUMNS = 110


def _style(enforcement: str) -> str:
    return "red" if enforcement == "mandatory" else "yellow"


def resource_name(urn: str) -> str:
    """The name a violation is reported under: the resource's logical name, as exemptions accept it."""
    return urn.rsplit("::", 1)[-1] or "(stack)"


def evaluate_and_report(plan: Path, config: Path | None, out: Path | None) -> None:
    """Evaluate the pack on a plan file, print the verdict, write policy.json; raise on a mandatory violation.

    `slipstack plan` calls the two halves, so both commands give the same verdict in the same words.
    """
    report, target = evaluate_and_print(plan, config, out)
    raise_on_verdict(report, target)


def raise_on_verdict(report: Any, target: Path) -> None:
    from contracts.errors import shown_path
    from policies.errors import PolicyVerdictError

    if not report.passed:
        raise PolicyVerdictError(f"{len(report.mandatory)} mandatory policy violation(s); see {shown_path(target)}")


def evaluate_and_print(plan: Path, config: Path | None, out: Path | None) -> tuple[Any, Path]:
    """The verdict on a plan file, printed and written to policy.json (next to the plan unless `out`)."""
    from rich.console import Console
    from rich.table import Table

    from contracts.errors import shown_path
    from policies.catalog import rule_ids
    from policies.config import load_policy_config
    from policies.offline import evaluate_plan, load_plan, write_report

    console = Console()
    loaded = load_plan(plan)
    policy_config = load_policy_config(config, rule_ids()) if config is not None else None
    report = evaluate_plan(loaded, policy_config)
    target = out if out is not None else plan.parent / "policy.json"
    write_report(report, target)

    order = {"mandatory": 0, "advisory": 1}
    ordered = sorted(report.violations, key=lambda v: (order.get(v.enforcement, 2), v.policy, v.urn))
    if ordered and console.width >= WIDE_TABLE_COLUMNS:
        # Columns fold instead of cutting: a resource name or an ARN in a message is never lost.
        table = Table("policy", "resource", "finding and fix", title=f"policy verdict ({report.environment})",
                      expand=True)
        for column, ratio in zip(table.columns, (None, 2, 3), strict=True):
            column.overflow = "fold"
            column.ratio = ratio
        for v in ordered:
            table.add_row(
                f"{v.enforcement}\n{v.policy}", f"{resource_name(v.urn)}\n({v.type})",
                f"{v.message}\nfix: {v.remediation}", style=_style(v.enforcement), end_section=True,
            )
        console.print(table)
    elif ordered:
        # A narrow terminal: one block per finding reads better than a table squeezed to a word per line.
        console.print(f"policy verdict ({report.environment})", style="bold")
        for v in ordered:
            console.print(f"{v.enforcement.upper()} {v.policy}  {resource_name(v.urn)} ({v.type})",
                          style=_style(v.enforcement), overflow="fold", highlight=False)
            console.print(f"  {v.message}", overflow="fold", highlight=False)
            console.print(f"  fix: {v.remediation}", overflow="fold", highlight=False)
    for waived in report.waived:
        console.print(f"exempted {waived.policy} on {resource_name(waived.urn)} ({waived.source}): {waived.reason}",
                      overflow="fold")
    for unused in report.unused_exemptions:
        console.print(
            f"[yellow]unused exemption[/yellow] {unused.policy} ({unused.source}) for {', '.join(unused.resources)}: "
            "it waived nothing; fix the rule id or resource name, or remove it", overflow="fold", highlight=False,
        )
    console.print(
        f"{report.policies_run} policies on {report.resources_checked} resources: "
        f"{len(report.mandatory)} mandatory, {len(report.violations) - len(report.mandatory)} advisory violations, "
        f"{len(report.waived)} exempted, {len(report.unused_exemptions)} unused exemptions; wrote {shown_path(target)}",
        overflow="fold",
    )
    return report, target


def register(app: typer.Typer) -> None:
    @app.command("policy")
    def policy(
        plan: Path = typer.Option(None, "--plan", help="plan.json written by `slipstack plan`."),
        config: Path = typer.Option(
            None, "--config", help="Policy config (default: policies/config/<plan environment>.json)."
        ),
        out: Path = typer.Option(None, "--out", help="Where to write policy.json (default: next to the plan)."),
        list_rules: bool = typer.Option(False, "--list", help="List the rules and exit."),
    ) -> None:
        """Run the policy pack on a plan: prints a table, writes policy.json, exits 1 on a mandatory violation."""
        from rich.console import Console
        from rich.table import Table

        from policies.catalog import all_rules, rule_group
        from policies.errors import PolicyError

        console = Console()
        if list_rules:
            table = Table("id", "group", "enforcement", "severity", "description", "anchors")
            for rule in all_rules():
                table.add_row(
                    rule.id,
                    rule_group(rule),
                    rule.enforcement,
                    rule.severity,
                    rule.description,
                    ", ".join(rule.anchors),
                )
            console.print(table)
            return
        if plan is None:
            raise PolicyError("--plan is required: pass the plan.json written by `slipstack plan`")
        evaluate_and_report(plan, config, out)
