"""Cases for S3-NO-ACL: pass, each way to fail, a missing property, an unknown value."""

import pytest
from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.aws.s3_no_acl import RULE

CASES = [
    (
        "pass ownership",
        "prod",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
        [],
    ),
    (
        "ownership preferred",
        "prod",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        {"rule": {"objectOwnership": "BucketOwnerPreferred"}},
        ["rule.objectOwnership is 'BucketOwnerPreferred', must be BucketOwnerEnforced (ACLs disabled)"],
    ),
    ("pass private acl", "prod", "aws:s3/bucketAcl:BucketAcl", {"acl": "private"}, []),
    (
        "public canned acl",
        "prod",
        "aws:s3/bucketAcl:BucketAcl",
        {"acl": "public-read"},
        ["acl is 'public-read', a public canned ACL"],
    ),
    (
        "public grant",
        "prod",
        "aws:s3/bucketAcl:BucketAcl",
        {
            "accessControlPolicy": {
                "grants": [
                    {"grantee": {"uri": "http://acs.amazonaws.com/groups/global/AllUsers"}, "permission": "READ"}
                ]
            }
        },
        ["accessControlPolicy.grants[0] grants to http://acs.amazonaws.com/groups/global/AllUsers"],
    ),
    (
        "missing",
        "prod",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        {},
        ["rule.objectOwnership is None, must be BucketOwnerEnforced (ACLs disabled)"],
    ),
    ("unknown", "prod", "aws:s3/bucketAcl:BucketAcl", {"acl": UNKNOWN}, [undecided("acl")]),
]


@pytest.mark.parametrize(("env", "type_", "props", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_s3_no_acl(env: str, type_: str | None, props: dict, expected: list[str]) -> None:
    assert messages(RULE, props, env, type_) == expected
