"""The CrossGuard adapters give the same verdicts as the offline evaluator, on the engine's proxied props.

The validators are called directly with pulumi_policy's own argument objects and its real
unknown-checking proxy (constructing a PolicyPack would start the gRPC server).
"""

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, unknown_checking_proxy

from policies.catalog import all_rules
from policies.crossguard import build_policies, plain, resource_policy, stack_policy
from policies.rule import Rule
from policies.rules.aws.sm_model_netiso import RULE as NETISO
from policies.rules.stack.s3_pab import RULE as PAB

OPTS = PolicyResourceOptions(
    protect=False,
    ignore_changes=[],
    delete_before_replace=None,
    aliases=[],
    custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
    additional_secret_outputs=[],
)


def run_resource(
    rule: Rule, props: dict, config: dict | None = None, type_: str = "aws:sagemaker/model:Model"
) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(type_, unknown_checking_proxy(props), "urn:m", "m", OPTS, None, config)

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    resource_policy(rule).validate(args, report)
    return found


def test_every_rule_becomes_a_policy() -> None:
    policies = build_policies()
    assert [p.name for p in policies] == [r.id for r in all_rules()]


def test_unknown_reported_not_skipped() -> None:
    # The engine would turn UnknownValueError into an advisory note; the adapter reports it at the rule's level.
    [message] = run_resource(NETISO, {"enableNetworkIsolation": UNKNOWN_BOOLEAN_VALUE})
    assert message.startswith("could not decide: enableNetworkIsolation is unknown at preview")


def test_same_verdicts_as_offline_and_config_exemption() -> None:
    assert run_resource(NETISO, {"enableNetworkIsolation": False}) == ["enableNetworkIsolation is False, must be true"]
    assert run_resource(NETISO, {"enableNetworkIsolation": True}) == []
    waived = {"exemptions": [{"resource": "m", "reason": "tokenizer download"}]}
    assert run_resource(NETISO, {"enableNetworkIsolation": False}, waived) == []
    assert run_resource(NETISO, {"enableNetworkIsolation": False}, type_="aws:s3/bucket:Bucket") == []


def test_stack_policy_correlates_by_dependency_objects() -> None:
    bucket = PolicyResource("aws:s3/bucket:Bucket", unknown_checking_proxy({}), "urn:b", "b", OPTS, None, None, [], {})
    block = PolicyResource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        unknown_checking_proxy({"blockPublicAcls": True}),
        "urn:pab",
        "pab",
        OPTS,
        None,
        None,
        [bucket],
        {},
    )
    found: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append((message, urn))

    stack_policy(PAB).validate(StackValidationArgs([bucket, block]), report)
    assert found == [
        ("BucketPublicAccessBlock pab: blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets not true", "urn:b")
    ]


def test_plain_replaces_unknowns_with_sentinel() -> None:
    copied = plain(unknown_checking_proxy({"a": [1, UNKNOWN_BOOLEAN_VALUE], "b": {"c": UNKNOWN_BOOLEAN_VALUE}}))
    assert copied == {
        "a": [1, "04da6b54-80e4-46f7-96ec-b56ff0331ba9"],
        "b": {"c": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
    }
