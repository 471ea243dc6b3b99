"""Cases for S3-TLS-ONLY."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided

from policies.rules.stack.s3_tls_only import RULE

BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
MISSING = "no bucket policy denies aws:SecureTransport=false on the bucket and bucket/*"


def deny(resources: list[str]) -> dict:
    return {
        "policy": {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        }
    }


def test_pass() -> None:
    assert (
        stack_messages(
            RULE, [resource(BUCKET, "b", {}), resource(POLICY, "p", deny(["arn:b", "arn:b/*"]), deps=("b",))]
        )
        == []
    )


def test_objects_not_covered() -> None:
    assert stack_messages(RULE, [resource(BUCKET, "b", {}), resource(POLICY, "p", deny(["arn:b"]), deps=("b",))]) == [
        ("b", MISSING)
    ]


def test_missing_policy() -> None:
    assert stack_messages(RULE, [resource(BUCKET, "b", {})]) == [("b", MISSING)]


def test_unknown() -> None:
    assert stack_messages(
        RULE, [resource(BUCKET, "b", {}), resource(POLICY, "p", {"policy": UNKNOWN}, deps=("b",))]
    ) == [("b", undecided("policy"))]
