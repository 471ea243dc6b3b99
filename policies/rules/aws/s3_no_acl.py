"""S3-NO-ACL: buckets use bucket-owner-enforced ownership and never grant public ACLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import type_tokens as t
from policies.rule import Outcome, Rule, RuleContext, read, read_list, verdict

PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def check(props: Mapping[str, Any], context: RuleContext) -> Outcome:
    if context.resource_type == t.S3_OWNERSHIP_CONTROLS:
        ownership = read(props, "rule", "objectOwnership")
        if ownership == "BucketOwnerEnforced":
            return verdict([])
        return verdict([f"rule.objectOwnership is {ownership!r}, must be BucketOwnerEnforced (ACLs disabled)"])
    problems = []
    acl = read(props, "acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        problems.append(f"acl is {acl!r}, a public canned ACL")
    for index, _ in enumerate(read_list(props, "accessControlPolicy", "grants")):
        uri = read(props, "accessControlPolicy", "grants", index, "grantee", "uri")
        if isinstance(uri, str) and uri in PUBLIC_GRANTEES:
            problems.append(f"accessControlPolicy.grants[{index}] grants to {uri}")
    return verdict(problems)


RULE = Rule(
    id="S3-NO-ACL",
    description="S3 buckets disable ACLs (BucketOwnerEnforced) and grant no public ACL.",
    severity="critical",
    remediation="Use BucketOwnershipControls with BucketOwnerEnforced and drop BucketAcl resources.",
    anchors=(
        "CKV_AWS_20",
        "compliance-policies aws/s3/Bucket/disallowPublicRead",
    ),
    enforcement="M",
    resource_types=frozenset({t.S3_BUCKET_ACL, t.S3_OWNERSHIP_CONTROLS}),
    check=check,
)
