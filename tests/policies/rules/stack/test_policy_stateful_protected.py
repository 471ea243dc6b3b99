"""Cases for STATEFUL-PROTECTED: prod's keys, buckets, endpoints... carry `protect`; others are not judged."""

from policy_rule_cases import stack_messages

from policies.rule import StackResource
from policies.rules.stack.stateful_protected import RULE

KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"


def _res(type_: str, name: str, protect: bool) -> StackResource:
    return StackResource(type_, f"urn:{name}", name, {}, options={"protect": True} if protect else {})


def test_pass_when_every_stateful_resource_is_protected() -> None:
    assert stack_messages(RULE, [_res(KEY, "k", True), _res(BUCKET, "b", True), _res(ROLE, "r", False)]) == []


def test_an_unprotected_key_and_bucket_are_flagged_by_name() -> None:
    found = stack_messages(RULE, [_res(KEY, "k", False), _res(BUCKET, "b", True), _res(BUCKET, "c", False)])
    assert [urn for urn, _ in found] == ["k", "c"]
    assert "would delete it" in found[0][1]


def test_not_applicable_outside_prod() -> None:
    assert stack_messages(RULE, [_res(KEY, "k", False)], env="staging") == []
