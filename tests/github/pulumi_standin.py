#!/usr/bin/env python3
"""A recording stand-in for the `pulumi` executable, for the pipeline rehearsal (tests/github/test_rehearsal.py).

It appends every invocation (argv, working directory, the commit checked out there) to $PULUMI_STANDIN_LOG and
answers as the CLI would for the commands the pipeline uses, keeping per-stack state in $PULUMI_STANDIN_STATE:
- `login URL`, `stack select --create [--secrets-provider P]`: recorded;
- `up --target URN...`: creates the targeted S3 buckets and KMS aliases (in moto, through boto3), as the
  engine would before the artifacts are published;
- `up` (full): runs the stack's program under the mock engine (`slipstack plan`, in the working directory, so
  the checked-out commit's own code) and keeps its outputs as the stack's outputs; on-prem service URLs are
  mapped through $PULUMI_STANDIN_SERVICES ({"model@version": url}; unmapped: a closed port, i.e. the new
  pods never answered);
- `stack output --json`, `stack tag ls --json`, `stack tag set NAME VALUE`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing answers


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def _options(args: list[str], name: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == name]


def main(args: list[str]) -> int:
    state = Path(os.environ["PULUMI_STANDIN_STATE"])
    state.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    with open(os.environ["PULUMI_STANDIN_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": args, "cwd": os.getcwd(), "commit": commit}) + "\n")
    stack = _option(args, "--stack") or _option(args, "-s")
    if args[:1] == ["login"]:
        print(f"Logged in to {args[1] if len(args) > 1 else 'the backend'}")
        return 0
    if not stack:
        print("error: no stack selected; pass --stack", file=sys.stderr)
        return 255
    folder = state / stack
    folder.mkdir(exist_ok=True)
    if args[:2] == ["stack", "select"]:
        return 0
    if args[:1] == ["up"]:
        targets = _options(args, "--target")
        return _targeted_up(targets) if targets else _full_up(stack, folder)
    if args[:2] == ["stack", "output"]:
        outputs = folder / "outputs.json"
        print(outputs.read_text() if outputs.is_file() else "{}")
        return 0
    if args[:3] == ["stack", "tag", "ls"]:
        tags = folder / "tags.json"
        print(tags.read_text() if tags.is_file() else "{}")
        return 0
    if args[:3] == ["stack", "tag", "set"]:
        tags_file = folder / "tags.json"
        tags = json.loads(tags_file.read_text()) if tags_file.is_file() else {}
        tags[args[3]] = args[4]
        tags_file.write_text(json.dumps(tags))
        return 0
    print(f"error: the stand-in does not know `pulumi {' '.join(args)}`", file=sys.stderr)
    return 255


def _targeted_up(targets: list[str]) -> int:
    import boto3

    s3, kms = boto3.client("s3"), boto3.client("kms")
    plan = json.loads((Path("build/deploy") / _stack_from(targets[0]) / "plan.json").read_text())
    by_urn = {r["urn"]: r for r in plan["resources"]}
    for urn in targets:
        resource = by_urn[urn]
        inputs = resource.get("inputs") or {}
        if resource["type"] == "aws:s3/bucket:Bucket":
            # Like the engine: a resource already in the stack's state is left alone (no second create).
            if inputs["bucket"] in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
                continue
            region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
            s3.create_bucket(Bucket=inputs["bucket"], CreateBucketConfiguration={"LocationConstraint": region})
        elif resource["type"] == "aws:kms/alias:Alias":
            existing = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
            if inputs["name"] not in existing:
                key = kms.create_key(Description=urn)["KeyMetadata"]["KeyId"]
                kms.create_alias(AliasName=inputs["name"], TargetKeyId=key)
    print(f"Resources: {len(targets)} targeted")
    return 0


def _stack_from(urn: str) -> str:
    return urn.split("::")[0].removeprefix("urn:pulumi:")


def _full_up(stack: str, folder: Path) -> int:
    with tempfile.TemporaryDirectory() as out:
        planned = subprocess.run([sys.executable, "-m", "slipstack", "plan", "--stack", stack, "--out", out,
                                  "--quiet", "--no-policy"], capture_output=True, text=True)
        if planned.returncode != 0:
            print(planned.stderr, file=sys.stderr)
            return 255
        outputs = json.loads((Path(out) / "plan.json").read_text())["outputs"]
    services = json.loads(os.environ.get("PULUMI_STANDIN_SERVICES", "{}"))
    for name, model in (outputs.get("models") or {}).items():
        onprem = model.get("onprem")
        if onprem and onprem.get("service_url"):
            onprem["service_url"] = services.get(f"{name}@{model.get('version')}", CLOSED_PORT_URL)
    (folder / "outputs.json").write_text(json.dumps(outputs))
    print("Update succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
