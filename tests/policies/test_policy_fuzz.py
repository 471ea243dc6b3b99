"""Every rule, fed props of any shape, returns a verdict or "could not decide": it never crashes.

Random props alone rarely reach the deep paths rules read, so Hypothesis mostly mutates real ones:
it takes the props of a resource of the rule's types from a shipped plan and replaces one subtree
(any depth) with a value of another shape (None, a number, a string, a list, a dict, an unknown
sentinel). Stack rules get a whole shipped plan with one or more resources mutated that way.
"""

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.catalog import all_rules
from policies.judgement import judge_resource, judge_stack
from policies.rule import UNKNOWN_SENTINELS, Rule, RuleContext, StackResource, StackView, read_list, verdict

KEYS = st.sampled_from(
    [
        "spec",
        "template",
        "containers",
        "metadata",
        "labels",
        "name",
        "kind",
        "policy",
        "Statement",
        "Effect",
        "Action",
        "Resource",
        "Principal",
        "Condition",
        "rules",
        "ingress",
        "egress",
        "cidrBlocks",
        "fromPort",
        "matchLabels",
        "selector",
        "type",
        "enabled",
        "arn",
        "level",
    ]
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.text(max_size=8)
    | st.sampled_from(sorted(UNKNOWN_SENTINELS))
    | st.sampled_from(["*", "0.0.0.0/0", "Allow", "Deny", "-1", "tcp", "ALL", "default", "{", "[1]", "{}"])
)
VALUES = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=10
)
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
RULES = all_rules()


def _mutate(value: Any, data: Any, depth: int = 0) -> Any:
    """`value` with one subtree (chosen by Hypothesis, possibly the whole value) replaced."""
    children = (
        list(value.keys()) if isinstance(value, Mapping) else list(range(len(value))) if isinstance(value, list) else []
    )
    if not children or depth > 12 or data.draw(st.integers(0, 4)) == 0:
        return data.draw(VALUES)
    key = data.draw(st.sampled_from(children))
    copy: Any = dict(value) if isinstance(value, Mapping) else list(value)
    copy[key] = _mutate(value[key], data, depth + 1)
    return copy


def _examples(plans: dict[str, dict[str, Any]], types: frozenset[str]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (plan["environment"], r["type"], r["inputs"])
        for plan in plans.values()
        for r in plan["resources"]
        if r["type"] in types
    ]


def _judge_mutated_resource(rule: Rule, plans: dict[str, dict[str, Any]], data: Any) -> None:
    examples = _examples(plans, rule.resource_types)
    if examples and data.draw(st.booleans()):
        environment, resource_type, props = data.draw(st.sampled_from(examples))
        props = _mutate(props, data)
    else:
        environment = data.draw(st.sampled_from(["dev", "staging", "prod"]))
        resource_type = data.draw(st.sampled_from(sorted(rule.resource_types) or ["aws:s3/bucket:Bucket"]))
        props = data.draw(st.dictionaries(KEYS, VALUES, max_size=5))
    if not isinstance(props, dict):
        props = {"value": props}
    findings, _ = judge_resource(rule, props, RuleContext(environment, resource_type, "urn:x", "x"))
    assert all(isinstance(f.message, str) and f.message for f in findings)


@pytest.mark.parametrize("rule", [r for r in RULES if not r.is_stack_rule], ids=lambda r: r.id)
@FUZZ
@given(data=st.data())
def test_resource_rule_never_crashes(rule: Rule, shipped_plans: dict[str, dict[str, Any]], data: Any) -> None:
    _judge_mutated_resource(rule, shipped_plans, data)


def test_the_fuzz_finds_a_rule_that_trusts_a_shape(shipped_plans: dict[str, dict[str, Any]]) -> None:
    """The check above can fail: a rule that hashes list items (as EKS-LOGS once did) is caught."""

    def fragile(props: Mapping[str, Any], context: RuleContext) -> Any:
        return verdict([] if set(read_list(props, "enabledClusterLogTypes")) else ["no logs"])

    rule = Rule("FRAGILE", "d", "low", "r", ("Slipstack",), "M", frozenset({"aws:eks/cluster:Cluster"}), check=fragile)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: Any) -> None:
        _judge_mutated_resource(rule, shipped_plans, data)

    with pytest.raises(TypeError, match="unhashable"):
        run()


@pytest.mark.parametrize("rule", [r for r in RULES if r.is_stack_rule], ids=lambda r: r.id)
@FUZZ
@given(data=st.data())
def test_stack_rule_never_crashes(rule: Rule, shipped_plans: dict[str, dict[str, Any]], data: Any) -> None:
    plan = shipped_plans[data.draw(st.sampled_from(sorted(shipped_plans)))]
    resources = [
        StackResource(r["type"], r["urn"], r["name"], r["inputs"], r.get("parent"), tuple(r.get("dependencies", ())))
        for r in plan["resources"]
    ]
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(resources) - 1))
        judged = [i for i, r in enumerate(resources) if r.type in rule.judged_types]
        if judged and data.draw(st.booleans()):
            index = data.draw(st.sampled_from(judged))
        old = resources[index]
        props = _mutate(dict(old.props), data)
        resources[index] = StackResource(
            old.type,
            old.urn,
            old.name,
            props if isinstance(props, dict) else {"v": props},
            old.parent,
            old.dependencies,
        )
    findings, _ = judge_stack(rule, StackView(resources), RuleContext(plan["environment"]))
    assert all(isinstance(f.message, str) and f.message for f in findings)
