"""The pull-request comment: per stack what changes, whether it is safe, and what it costs.

One comment per pull request, found again by its first line (a hidden marker) and edited in place.
GitHub refuses comment bodies over 65,536 characters, so the comment is rendered at the most detailed
level that fits: the largest sections (change lists, changed paths, diagrams, advisory findings) are
summarised first, and every stack's summary row and every mandatory violation stay to the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from preview.cost import CostEstimate, PriceTable, estimate_cost
from preview.diagram import render_mermaid
from preview.diff import ChangedResource, ResourceRef, StackDiff, diff_stack
from preview.plans import PlanSet, check_comparable

MARKER = "<!-- slipstack-preview -->"
GITHUB_COMMENT_LIMIT = 65_536
# Room for what a workflow may add around the body (a footer with the run link).
COMMENT_BUDGET = GITHUB_COMMENT_LIMIT - 1_536
STACK_ORDER = ("dev", "staging", "prod")
FULL_DETAIL = 4


@dataclass
class StackPreview:
    diff: StackDiff
    head_cost: CostEstimate | None
    base_cost: CostEstimate | None
    diagram: str | None

    @property
    def stack(self) -> str:
        return self.diff.stack

    @property
    def blocking(self) -> str | None:
        """Why this stack must not merge (a mandatory violation or a missing verdict), or None."""
        head = self.diff.head
        if head is None:
            return None
        if head.verdict is None:
            return f"{self.stack}: no policy verdict (no policy.json next to its plan.json)"
        if head.verdict.mandatory:
            return f"{self.stack}: {len(head.verdict.mandatory)} mandatory policy violation(s)"
        protected = [r for r in self.diff.destroyed_stateful if r.protected]
        if protected:
            # `pulumi up` refuses to delete a protected resource: the deploy would fail half-way.
            return (f"{self.stack}: deletes or replaces {len(protected)} protected stateful resource(s); "
                    "remove their protection in a reviewed change first")
        return None


@dataclass
class Preview:
    project: str
    prices: PriceTable
    stacks: list[StackPreview]
    notes: list[str] = field(default_factory=list)
    # Stacks the head cannot plan (a broken spec or stack config), with the message saying what and where.
    head_errors: dict[str, str] = field(default_factory=dict)
    # What the pull request changes about its own judgement (new exemptions, policy changes): a reviewer
    # from CODEOWNERS approves these, so the check is "needs approval" even when every verdict passes.
    approvals: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[str]:
        errors = [f"{stack}: cannot plan: {error}" for stack, error in self.head_errors.items()]
        return errors + [reason for stack in self.stacks if (reason := stack.blocking)]

    @property
    def status(self) -> str:
        """failed (a mandatory violation, a missing verdict, a stack that cannot plan), needs_approval or passed."""
        if self.blocking:
            return "failed"
        return "needs_approval" if self.approvals else "passed"


def _stack_rank(stack: str) -> tuple[int, str]:
    return (STACK_ORDER.index(stack) if stack in STACK_ORDER else len(STACK_ORDER), stack)


def build_preview(base: PlanSet, head: PlanSet, prices: PriceTable) -> Preview:
    """Diff, verdict, diagram and cost for every stack planned on either side."""
    check_comparable(base, head)
    notes = []
    if base.empty:
        notes.append(
            f"No base plan in `{base.root}` (e.g. the first pull request): showing the head plan alone, "
            "every resource as added."
        )
    stacks = []
    for stack in sorted(set(base.stacks) | set(head.stacks), key=_stack_rank):
        base_plan, head_plan = base.stacks.get(stack), head.stacks.get(stack)
        if head_plan is None:
            notes.append(
                f"Stack `{stack}` is planned on the base but not on the head: it is removed or failed to plan."
            )
        elif base_plan is None and not base.empty:
            notes.append(f"Stack `{stack}` is new in this pull request.")
        diff = diff_stack(stack, base_plan, head_plan)
        diagram = None
        if head_plan is not None or base_plan is not None:
            base_resources = base_plan.resources if base_plan else []
            diagram = render_mermaid(
                head_plan.resources if head_plan else [],
                added=frozenset(r.urn for r in diff.added),
                changed=frozenset(c.resource.urn for c in diff.changed),
                removed=[r for r in base_resources if r["urn"] in {x.urn for x in diff.removed}],
            )
        stacks.append(
            StackPreview(
                diff=diff,
                head_cost=estimate_cost(head_plan.document, prices) if head_plan else None,
                base_cost=estimate_cost(base_plan.document, prices) if base_plan else None,
                diagram=diagram,
            )
        )
    project = next(iter((head.stacks or base.stacks).values())).project if (head.stacks or base.stacks) else "?"
    return Preview(project=project, prices=prices, stacks=stacks, notes=notes)


# ---------------------------------------------------------------------------------------------- rendering


def _cell(text: str, width: int | None = None) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _money(amount: float, currency: str, signed: bool = False, decimals: int = 2) -> str:
    sign = ("+" if amount > 0 else "-" if amount < 0 else "±") if signed else ""
    number = f"{abs(amount):,.{decimals}f}"
    return f"{sign}${number}" if currency == "USD" else f"{sign}{number} {currency}"


def _changes_cell(stack: StackPreview) -> str:
    diff = stack.diff
    if diff.head is None:
        return f"stack not in head plans (-{len(diff.removed)})"
    if not diff.has_changes:
        return f"no changes ({diff.unchanged} resources)"
    cell = f"+{len(diff.added)} ~{len(diff.updated)} -{len(diff.removed)}"
    return cell + (f" (replace {len(diff.replaced)})" if diff.replaced else "")


def _verdict_cell(stack: StackPreview) -> str:
    head = stack.diff.head
    if head is None:
        return "n/a"
    if head.verdict is None:
        return "⚠️ verdict missing (not checked)"
    mandatory, advisory = len(head.verdict.mandatory), len(head.verdict.advisory)
    if mandatory:
        return f"❌ {mandatory} mandatory, {advisory} advisory"
    return f"✅ passed ({advisory} advisory)" if advisory else "✅ passed"


def _cost_cells(stack: StackPreview, currency: str) -> tuple[str, str]:
    head, base = stack.head_cost, stack.base_cost
    total = _money(head.monthly, currency) if head else "n/a"
    if head and head.unpriced:
        total += f" + {len(head.unpriced)} not estimated"
    if base is None:
        return total, "new"
    delta = (head.monthly if head else 0.0) - base.monthly
    return total, _money(round(delta, 2), currency, signed=True)


def _summary(preview: Preview, title: str | None, summarised: bool) -> list[str]:
    lines = [MARKER, f"## Slipstack preview: {_code(preview.project)}"]
    if title:
        lines.append(_cell(title))
    lines += ["", "| Stack | Changes | Policy verdict | Est. monthly cost | vs base |", "|---|---|---|---|---|"]
    currency = preview.prices.currency
    for stack in preview.stacks:
        total, delta = _cost_cells(stack, currency)
        lines.append(
            f"| {_code(stack.stack)} | {_changes_cell(stack)} | {_verdict_cell(stack)} | {total} | {delta} |"
        )
    lines.append("")
    blocking = preview.blocking
    if blocking:
        shown = [reason for reason in blocking if not any(reason.startswith(f"{s}: cannot plan")
                                                          for s in preview.head_errors)]
        shown += [f"{stack} cannot plan" for stack in preview.head_errors]
        lines.append(f"**Not safe to merge:** {'; '.join(_cell(reason) for reason in shown)}.")
    elif preview.approvals:
        lines.append("**Needs approval:** this pull request changes how it is judged; a code owner of "
                     "`policies/` or `deployments/` must approve.")
    elif any(stack.diff.head for stack in preview.stacks):
        lines.append("**Policy:** no mandatory violations in any stack.")
    for stack in preview.stacks:
        destroyed = stack.diff.destroyed_stateful
        if destroyed:
            listed = ", ".join(
                f"{_code(r.name)} ({r.type.rsplit(':', 1)[-1]}, "
                f"{'deleted' if r in stack.diff.removed else 'replaced'}{', protected' if r.protected else ''})"
                for r in destroyed[:6]
            )
            more = f" and {len(destroyed) - 6} more" if len(destroyed) > 6 else ""
            lines.append(f"- 🛑 {_code(stack.stack)} destroys {len(destroyed)} stateful resource(s): {listed}{more}")
    for failed, error in preview.head_errors.items():
        lines.append(f"- ❌ {_code(failed)} cannot plan: {_cell(error, 600)}")
    lines += _headlines(preview)
    lines.extend(f"- ⚠️ {_cell(item, 300)}" for item in preview.approvals)
    lines.extend(f"> {_cell(note)}" for note in preview.notes)
    prices = preview.prices
    lines.append(
        f"<sub>Costs: SageMaker endpoint and EKS node instance-hours at on-demand prices as of {prices.as_of} "
        f"({prices.currency}, {prices.hours_per_month:g} h/month, autoscaling floor); data transfer, storage and "
        "requests are not included.</sub>"
    )
    if summarised:
        lines.append(
            "<sub>Summarised to fit GitHub's 65,536-character comment limit: the full preview is in the "
            "workflow's `slipstack-preview` artifact.</sub>"
        )
    return lines


def _headlines(preview: Preview, per_stack: int = 4) -> list[str]:
    """Above the fold: what each stack replaces (with the change that forces it) and how much is tags only."""
    lines: list[str] = []
    for stack in preview.stacks:
        diff = stack.diff
        replaced = sorted(diff.replaced, key=lambda c: (not c.resource.stateful, c.resource.urn))
        for item in replaced[:per_stack]:
            forcing = [c for c in item.paths if c.path in item.replace_paths]
            # A derived physical name changes with everything else: show the input that caused it.
            shown = next((c for c in forcing if c.path != "name"), forcing[0] if forcing else None)
            if shown is not None:
                what = f"{_code(shown.path)}: {_code(shown.before or '(absent)')} → {_code(shown.after or '(absent)')}"
            else:
                what = _cell(item.replaced_because or "")
            lines.append(f"- ± {_code(stack.stack)} replaces {_code(item.resource.name)} "
                         f"({item.resource.type.rsplit(':', 1)[-1]}): {what}")
        if len(replaced) > per_stack:
            lines.append(f"- ± {_code(stack.stack)}: {len(replaced) - per_stack} more replacement(s) below")
        tags = sum(1 for c in diff.updated if c.tags_only)
        if tags:
            lines.append(f"- {_code(stack.stack)}: {tags} resource(s) change tags or labels only")
    return lines


def _unused_exemptions(unused: list[dict[str, Any]]) -> list[str]:
    if not unused:
        return []
    lines = ["", f"**Unused exemptions ({len(unused)}):** they waive nothing; fix the rule id or resource name, "
             "or remove them.", ""]
    for item in unused:
        names = ", ".join(_code(str(n)) for n in item.get("resources") or [])
        lines.append(f"- {_code(str(item.get('policy', '?')))} ({item.get('source', '?')}) for {names}")
    return lines


def _mandatory(stack: StackPreview, detail: int) -> list[str]:
    head = stack.diff.head
    if head is None or head.verdict is None:
        if head is not None:
            return [
                "",
                "**Policy verdict missing:** no `policy.json` next to the plan, so nothing was checked; "
                "run `slipstack policy --plan` on it. This stack is not known to be safe.",
            ]
        return []
    mandatory = sorted(head.verdict.mandatory, key=lambda v: (v.get("policy", ""), v.get("urn", "")))
    unused = _unused_exemptions(head.verdict.unused_exemptions)
    if not mandatory:
        return unused
    lines = ["", f"**Mandatory violations ({len(mandatory)}):**", ""]
    if detail >= 0:
        width = 300 if detail >= 1 else 120
        lines += ["| Policy | Resource | Message | Fix |", "|---|---|---|---|"]
        for v in mandatory:
            lines.append(
                f"| {_code(v.get('policy', '?'))} | {_code(v.get('urn', '').rsplit('::', 1)[-1] or '(stack)')} "
                f"| {_cell(v.get('message', ''), width)} | {_cell(v.get('remediation', ''), width)} |"
            )
        return lines + unused
    # Last resort for thousands of violations: one row per policy with the resources it hits.
    by_policy: dict[str, list[str]] = {}
    for v in mandatory:
        by_policy.setdefault(v.get("policy", "?"), []).append(v.get("urn", "").rsplit("::", 1)[-1] or "(stack)")
    lines += ["| Policy | Count | Resources |", "|---|---|---|"]
    for policy, names in sorted(by_policy.items()):
        shown = ", ".join(_code(n) for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        lines.append(f"| {_code(policy)} | {len(names)} | {shown} |")
    return lines


def _resource_list(title: str, refs: list[ResourceRef], cap: int) -> list[str]:
    if not refs:
        return []
    lines = [f"<details><summary>{title} ({len(refs)})</summary>", "", "| Type | Name |", "|---|---|"]
    lines += [f"| {_code(r.type)} | {_code(r.name)} |" for r in refs[:cap]]
    if len(refs) > cap:
        lines.append(f"| … | {len(refs) - cap} more |")
    return [*lines, "", "</details>"]


def _changed_list(changed: list[ChangedResource], cap: int, path_cap: int) -> list[str]:
    if not changed:
        return []
    replacing = any(item.replaced for item in changed)
    title = "Replaced" if replacing else "Changed"
    lines = [f"<details><summary>{title} ({len(changed)})</summary>", ""]
    for item in changed[:cap]:
        why = f" — replaced: {_cell(item.replaced_because)}" if item.replaced_because else ""
        lines.append(f"- {_code(item.resource.name)} ({_code(item.resource.type)}){why}")
        if path_cap == 0:
            continue
        for change in item.paths[:path_cap]:
            before = "(absent)" if change.before is None else _code(change.before)
            after = "(absent)" if change.after is None else _code(change.after)
            forces = " **forces replacement**" if change.path in item.replace_paths else ""
            lines.append(f"  - {_code(change.path)}: {before} → {after}{forces}")
        if len(item.paths) > path_cap:
            lines.append(f"  - … {len(item.paths) - path_cap} more paths")
    if len(changed) > cap:
        lines.append(f"- … {len(changed) - cap} more resources")
    return [*lines, "", "</details>"]


def _tags_only(updated: list[ChangedResource]) -> list[str]:
    """Every tag-only update folded into one line: how many resources, and the distinct tag changes."""
    folded = [c for c in updated if c.tags_only]
    if not folded:
        return []
    changes: dict[str, tuple[str | None, str | None]] = {}
    for item in folded:
        for change in item.paths:
            key = change.path.split(".", 1)[-1]
            changes.setdefault(key, (change.before, change.after))
    shown = "; ".join(
        f"{_code(key)}: {'(absent)' if b is None else _code(b)} → {'(absent)' if a is None else _code(a)}"
        for key, (b, a) in sorted(changes.items())[:4]
    )
    more = f" and {len(changes) - 4} more" if len(changes) > 4 else ""
    return ["", f"- {len(folded)} resources change tags or labels only: {shown}{more}"]


def _changes_by_type(diff: StackDiff) -> list[str]:
    counts: Counter[tuple[str, str]] = Counter()
    for ref in diff.added:
        counts[(ref.type, "+")] += 1
    for ref in diff.removed:
        counts[(ref.type, "-")] += 1
    for item in diff.changed:
        counts[(item.resource.type, "~")] += 1
    types = sorted({kind for kind, _ in counts})
    lines = ["| Type | + | ~ | - |", "|---|---|---|---|"]
    lines += [f"| {_code(t)} | {counts[(t, '+')]} | {counts[(t, '~')]} | {counts[(t, '-')]} |" for t in types]
    return lines


def _stack_section(stack: StackPreview, detail: int, currency: str) -> list[str]:
    lines = ["", f"### {_code(stack.stack)}"]
    lines += _mandatory(stack, detail)
    if detail <= 0:
        return lines
    diff = stack.diff
    if diff.has_changes:
        lines += ["", f"**Changes:** {_changes_cell(stack)}", ""]
        if detail == 1:
            lines += _changes_by_type(diff)
        else:
            cap, path_cap = {2: (20, 0), 3: (50, 10)}.get(detail, (10**9, 10**9))
            # What cannot be undone first: replacements and deletions, stateful ones at the top of each list.
            first = sorted(diff.replaced, key=lambda c: (not c.resource.stateful, c.resource.urn))
            lines += _changed_list(first, cap, path_cap)
            lines += _resource_list("Deleted", sorted(diff.removed, key=lambda r: (not r.stateful, r.urn)), cap)
            updates = [c for c in diff.updated if not c.tags_only]
            lines += _changed_list(updates, cap, path_cap)
            lines += _tags_only(diff.updated)
            lines += _resource_list("Added", diff.added, cap)
    head = diff.head
    if head and head.verdict and head.verdict.advisory:
        advisory = sorted(head.verdict.advisory, key=lambda v: (v.get("policy", ""), v.get("urn", "")))
        if detail == 1:
            lines += ["", f"Advisory findings: {len(advisory)} (listed in policy.json)."]
        else:
            cap = {2: 10, 3: 20}.get(detail, 10**9)
            lines += ["", f"<details><summary>Advisory findings ({len(advisory)})</summary>", ""]
            lines += [
                f"- {_code(v.get('policy', '?'))} on {_code(v.get('urn', '').rsplit('::', 1)[-1] or '(stack)')}: "
                f"{_cell(v.get('message', ''), 200)}"
                for v in advisory[:cap]
            ]
            if len(advisory) > cap:
                lines.append(f"- … {len(advisory) - cap} more")
            lines += ["", "</details>"]
    if detail >= 3 and stack.diagram:
        lines += ["", "<details><summary>Diagram</summary>", "", "```mermaid", stack.diagram, "```", "", "</details>"]
    cost = stack.head_cost
    if detail >= 2 and cost and (cost.lines or cost.unpriced):
        lines += ["", "<details><summary>Cost estimate</summary>", ""]
        if cost.lines:
            lines += ["| Resource | What | Instance | Count | Per hour | Per month |", "|---|---|---|---|---|---|"]
            lines += [
                f"| {_code(line.resource)} | {_cell(line.what)} | {_code(line.instance_type)} | {line.count} "
                f"| {_money(line.hourly, currency, decimals=4)} | {_money(line.monthly, currency)} |"
                for line in cost.lines
            ]
        for item in cost.unpriced:
            lines.append(f"- not estimated: {_code(item.resource)}: {_cell(item.reason)}")
        lines += ["", "</details>"]
    return lines


def render_markdown(preview: Preview, detail: int = FULL_DETAIL, title: str | None = None) -> str:
    """The comment at one level of detail (4 = everything, 0 = summaries and mandatory violations)."""
    lines = _summary(preview, title, summarised=detail < FULL_DETAIL)
    for stack in preview.stacks:
        lines += _stack_section(stack, detail, preview.prices.currency)
    return "\n".join(lines) + "\n"


def render_comment(preview: Preview, title: str | None = None, budget: int = COMMENT_BUDGET) -> str:
    """The most detailed rendering under `budget` characters (GitHub counts characters, not bytes)."""
    for detail in range(FULL_DETAIL, -2, -1):
        text = render_markdown(preview, detail, title)
        if len(text) <= budget:
            return text
    # Even grouped violations overflow (thousands of policies): cut the tail, keeping summary and start.
    cut = "\n\n… cut to fit GitHub's comment limit; see the `slipstack-preview` artifact.\n"
    return text[: budget - len(cut)] + cut
