"""Cases for AAS-SM-CAPACITY."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.aas_sm_capacity import RULE

EP, EPC = "aws:sagemaker/endpoint:Endpoint", "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
TARGET, POLICY = "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy"
DIM = "sagemaker:variant:DesiredInstanceCount"


def stack(low: object = 2, high: object = 4, with_policy: bool = True) -> list:
    found = [
        resource(EPC, "c", {"productionVariants": [{"variantName": "a", "instanceType": "ml.m5.large"}]}),
        resource(EP, "e", {}, deps=("c",)),
        resource(TARGET, "t", {"scalableDimension": DIM, "minCapacity": low, "maxCapacity": high}, deps=("e",)),
    ]
    return found + ([resource(POLICY, "p", {}, deps=("t",))] if with_policy else [])


def test_pass() -> None:
    assert stack_messages(RULE, stack()) == []


def test_failures() -> None:
    assert stack_messages(RULE, stack(low=1, high=1, with_policy=False)) == [
        ("t", "minCapacity is 1, prod needs at least 2"),
        ("t", "maxCapacity 1 is not above minCapacity 1; the variant cannot scale"),
        ("t", "no scaling policy references this target"),
    ]
    assert stack_messages(RULE, stack(low=1), env="dev") == []


def test_missing_target() -> None:
    assert stack_messages(RULE, stack()[:2]) == [("e", "1 instance-based variant(s) but 0 scalable target(s)")]


def test_unknown() -> None:
    assert stack_messages(RULE, stack(low=UNKNOWN)) == [("t", undecided("minCapacity"))]
