"""Cases for S3-LIFECYCLE."""

from policy_rule_cases import resource, stack_messages

from policies.rules.stack.s3_lifecycle import RULE

BUCKET = "aws:s3/bucket:Bucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
MISSING = "no BucketLifecycleConfiguration is attached to this bucket"


def test_pass() -> None:
    assert stack_messages(RULE, [resource(BUCKET, "b", {}), resource(LIFECYCLE, "l", {}, deps=("b",))]) == []


def test_lifecycle_of_another_bucket() -> None:
    stack = [resource(BUCKET, "a", {}), resource(BUCKET, "b", {}), resource(LIFECYCLE, "l", {}, deps=("b",))]
    assert stack_messages(RULE, stack) == [("a", MISSING)]


def test_missing() -> None:
    assert stack_messages(RULE, [resource(BUCKET, "b", {})]) == [("b", MISSING)]
