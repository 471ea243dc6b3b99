"""The shipped AWS stacks give their private subnets a path to every service the jobs call."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from contracts.aws_network import JOB_VPC_SERVICES


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_jobs_subnets_have_an_endpoint_for_every_service_they_call(
    stack: str, shipped_plan: Any, repo_root: Any
) -> None:
    spec = yaml.safe_load((repo_root / "deployments" / "breast-cancer-screening.yaml").read_text())
    vpc = spec["security"]["vpc"]
    resources = shipped_plan(stack)["resources"]
    endpoints = [r["inputs"] for r in resources if r["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint"]
    region = shipped_plan(stack)["region"]
    services = sorted(e["serviceName"].removeprefix(f"com.amazonaws.{region}.") for e in endpoints)
    assert services == sorted(JOB_VPC_SERVICES)
    for endpoint in endpoints:
        if endpoint["vpcEndpointType"] == "Interface":
            assert endpoint["subnetIds"] == vpc["subnet_ids"]
    rules = [r["inputs"] for r in resources if r["type"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
             and r["name"].startswith(f"{stack}-vpce-")]
    assert [r["referencedSecurityGroupId"] for r in rules] == vpc["security_group_ids"]
    # The drift job's processing jobs run in those subnets with those groups: the clients of the endpoints.
    machine = next(r["inputs"] for r in resources if r["type"] == "aws:sfn/stateMachine:StateMachine")
    jobs = [state["Parameters"] for state in json.loads(machine["definition"])["States"].values()
            if state.get("Resource") == "arn:aws:states:::sagemaker:createProcessingJob.sync"]
    assert jobs and all(job["NetworkConfig"]["VpcConfig"] == {
        "Subnets": vpc["subnet_ids"], "SecurityGroupIds": vpc["security_group_ids"]} for job in jobs)
