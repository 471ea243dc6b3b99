"""Cases for S3-PAB: the block is found through dependencies, never by bucket id."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.s3_pab import RULE

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ALL_ON = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}


def test_pass() -> None:
    assert stack_messages(RULE, [resource(BUCKET, "b", {}), resource(PAB, "pab", ALL_ON, deps=("b",))]) == []


def test_flag_off() -> None:
    found = stack_messages(
        RULE, [resource(BUCKET, "b", {}), resource(PAB, "pab", {**ALL_ON, "blockPublicPolicy": False}, deps=("b",))]
    )
    assert found == [("b", "BucketPublicAccessBlock pab: blockPublicPolicy not true")]


def test_missing_block() -> None:
    # A block for another bucket does not count.
    found = stack_messages(
        RULE, [resource(BUCKET, "b", {}), resource(BUCKET, "c", {}), resource(PAB, "pab", ALL_ON, deps=("c",))]
    )
    assert found == [("b", "no BucketPublicAccessBlock references this bucket")]


def test_unknown() -> None:
    found = stack_messages(
        RULE, [resource(BUCKET, "b", {}), resource(PAB, "pab", {**ALL_ON, "ignorePublicAcls": UNKNOWN}, deps=("b",))]
    )
    assert found == [("b", undecided("ignorePublicAcls"))]
