"""Cases for CW-ENDPOINT-ALARMS."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.cw_endpoint_alarms import RULE

EP = "aws:sagemaker/endpoint:Endpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_pass_by_dependency() -> None:
    found = stack_messages(
        RULE,
        [
            resource(EP, "e", {}),
            resource(ALARM, "a5", {"metricName": "Invocation5XXErrors"}, deps=("e",)),
            resource(ALARM, "al", {"metricName": "ModelLatency"}, deps=("e",)),
        ],
    )
    assert found == []


def test_missing_latency() -> None:
    found = stack_messages(
        RULE,
        [
            resource(EP, "e", {"name": "ep"}),
            resource(ALARM, "a5", {"metricName": "Invocation5XXErrors", "dimensions": {"EndpointName": "ep"}}),
        ],
    )
    assert found == [("e", "no CloudWatch alarm on ModelLatency for this endpoint")]


def test_missing_all_and_not_applicable_in_dev() -> None:
    assert stack_messages(RULE, [resource(EP, "e", {})]) == [
        ("e", "no CloudWatch alarm on Invocation5XXErrors, ModelLatency for this endpoint")
    ]
    assert stack_messages(RULE, [resource(EP, "e", {})], env="dev") == []


def test_unknown() -> None:
    found = stack_messages(RULE, [resource(EP, "e", {}), resource(ALARM, "a", {"metricName": UNKNOWN}, deps=("e",))])
    assert found == [("e", undecided("metricName"))]
