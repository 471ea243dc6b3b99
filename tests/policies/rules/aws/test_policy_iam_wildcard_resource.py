"""Cases for IAM-WILDCARD-RESOURCE: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.iam_wildcard_resource import RULE

CASES = [
    (
        "pass",
        "prod",
        "aws:iam/policy:Policy",
        {
            "policy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"],
                        "Resource": "*",
                    }
                ]
            }
        },
        [],
    ),
    (
        "scopable on star",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}},
        ["policy.Statement[0] grants s3:GetObject on Resource *"],
    ),
    (
        "describe calls that support no resource scoping",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ec2:DescribeVpcs", "elasticloadbalancing:DescribeTargetGroups", "acm:ListCertificates"]}]}},
        [],
    ),
    (
        "describe of a scopable service still counts",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ec2:DescribeVpcs", "acm:DescribeCertificate"]}]}},
        ["policy.Statement[0] grants acm:DescribeCertificate on Resource *"],
    ),
    ("missing", "prod", "aws:iam/policy:Policy", {}, []),
    (
        "unknown",
        "prod",
        "aws:iam/policy:Policy",
        {"policy": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": UNKNOWN}]}},
        [undecided("policy.Statement[0].Resource")],
    ),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_iam_wildcard_resource(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
