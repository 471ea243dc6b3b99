"""Cases for S3-ACCESS-LOGS: the log bucket itself is exempt."""

from policy_rule_cases import UNKNOWN, resource, stack_messages

from policies.rules.stack.s3_access_logs import RULE

BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
MISSING = "no BucketLogging writes this bucket's access logs"


def test_pass_and_log_bucket_exempt() -> None:
    found = stack_messages(
        RULE,
        [
            resource(BUCKET, "art", {"bucket": "art"}),
            resource(BUCKET, "logs", {"bucket": "logs"}),
            resource(LOGGING, "lg", {"bucket": "art", "targetBucket": "logs"}, deps=("art", "logs")),
        ],
    )
    assert found == []


def test_missing_logging() -> None:
    assert stack_messages(RULE, [resource(BUCKET, "art", {"bucket": "art"})]) == [("art", MISSING)]


def test_dev_is_still_judged_offline() -> None:
    # Enforcement (advisory outside prod) comes from the config, not from the rule.
    assert stack_messages(RULE, [resource(BUCKET, "art", {})], env="dev") == [("art", MISSING)]


def test_unknown_names_fall_back_to_dependencies() -> None:
    found = stack_messages(
        RULE,
        [
            resource(BUCKET, "art", {"bucket": UNKNOWN}),
            resource(LOGGING, "lg", {"bucket": UNKNOWN, "targetBucket": UNKNOWN}, deps=("art",)),
        ],
    )
    assert found == []
