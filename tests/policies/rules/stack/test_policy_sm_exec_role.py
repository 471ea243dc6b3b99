"""Cases for SM-EXEC-ROLE: the model's role is found through its dependencies."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.sm_exec_role import RULE

MODEL = "aws:sagemaker/model:Model"
ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SCOPED = {
    "inlinePolicies": [
        {"name": "p", "policy": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:b/*"}]}}
    ]
}


def test_pass() -> None:
    assert (
        stack_messages(
            RULE, [resource(ROLE, "r", SCOPED), resource(MODEL, "m", {"executionRoleArn": "arn:r"}, deps=("r",))]
        )
        == []
    )


def test_full_access_attachment() -> None:
    found = stack_messages(
        RULE,
        [
            resource(ROLE, "r", SCOPED),
            resource(MODEL, "m", {}, deps=("r",)),
            resource(ATTACH, "a", {"policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"}, deps=("r",)),
        ],
    )
    assert found == [("m", "execution role r carries AmazonSageMakerFullAccess")]


def test_wildcard_inline() -> None:
    role = {
        "inlinePolicies": [
            {"name": "p", "policy": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:b"}]}}
        ]
    }
    found = stack_messages(RULE, [resource(ROLE, "r", role), resource(MODEL, "m", {}, deps=("r",))])
    assert found == [("m", "execution role r: inlinePolicies[0].Statement[0] allows wildcard actions s3:*")]


def test_missing_role() -> None:
    assert stack_messages(RULE, [resource(MODEL, "m", {})]) == [("m", "executionRoleArn is not set")]


def test_unknown() -> None:
    role = {"inlinePolicies": [{"name": "p", "policy": UNKNOWN}]}
    assert stack_messages(RULE, [resource(ROLE, "r", role), resource(MODEL, "m", {}, deps=("r",))]) == [
        ("m", undecided("inlinePolicies.0.policy"))
    ]
