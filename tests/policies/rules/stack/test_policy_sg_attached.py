"""Cases for SG-ATTACHED (advisory)."""

from policy_rule_cases import resource, stack_messages

from policies.rules.stack.sg_attached import RULE

SG = "aws:ec2/securityGroup:SecurityGroup"
RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
UNUSED = "no resource uses this security group"


def test_used_by_a_load_balancer() -> None:
    stack = [resource(SG, "sg", {}), resource("aws:lb/loadBalancer:LoadBalancer", "alb", {}, deps=("sg",))]
    assert stack_messages(RULE, stack) == []


def test_only_its_own_rules_do_not_count() -> None:
    assert stack_messages(RULE, [resource(SG, "sg", {}), resource(RULE_TYPE, "r", {}, deps=("sg",))]) == [
        ("sg", UNUSED)
    ]


def test_a_child_is_not_a_user() -> None:
    stack = [resource(SG, "sg", {}), resource("aws:lb/loadBalancer:LoadBalancer", "alb", {}, parent="urn:sg")]
    assert stack_messages(RULE, stack) == [("sg", UNUSED)]


def test_orphan() -> None:
    assert stack_messages(RULE, [resource(SG, "sg", {})]) == [("sg", UNUSED)]
