"""VpcServiceEndpoints: one endpoint per service the jobs call, HTTPS from the clients only, rules described."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.aws_network import INTERFACE_SERVICES, JOB_VPC_SERVICES

SUBNETS = ("subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719")
CLIENTS = ("sg-0c1d2e3f4a5b6c7d8", "sg-0d1e2f3a4b5c6d7e8")


def declare(**overrides: Any) -> Any:
    from infra.aws.vpc_service_endpoints import VpcServiceEndpoints, VpcServiceEndpointsArgs

    args = {"vpc_id": "vpc-0a1b2c3d4e5f60718", "subnet_ids": SUBNETS, "route_table_ids": ["rtb-0a1b2c3d4e5f60718"],
            "client_security_group_ids": CLIENTS, "region": "eu-west-1", "tags": {"team": "ml"}, **overrides}
    return lambda: VpcServiceEndpoints("net", VpcServiceEndpointsArgs(**args)) and None


def test_every_service_the_jobs_call_gets_an_endpoint(pulumi_run: Any) -> None:
    run = pulumi_run(declare())
    endpoints = {r.inputs["serviceName"].removeprefix("com.amazonaws.eu-west-1."): r.inputs
                 for r in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert sorted(endpoints) == sorted(JOB_VPC_SERVICES)
    gateway = endpoints["s3"]
    assert gateway["vpcEndpointType"] == "Gateway" and gateway["routeTableIds"] == ["rtb-0a1b2c3d4e5f60718"]
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    for service in INTERFACE_SERVICES:
        interface = endpoints[service]
        assert interface["vpcEndpointType"] == "Interface"
        # Private DNS: the SDK's default host names (monitoring.eu-west-1.amazonaws.com) reach the endpoint.
        assert interface["privateDnsEnabled"] is True
        assert interface["subnetIds"] == list(SUBNETS)
        assert interface["securityGroupIds"] == [group.id]


def test_only_https_from_the_client_groups_reaches_the_endpoints(pulumi_run: Any) -> None:
    run = pulumi_run(declare())
    group = run.one("aws:ec2/securityGroup:SecurityGroup").inputs
    assert "ingress" not in group and "egress" not in group  # rules are separate, described resources
    rules = [r.inputs for r in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")]
    assert sorted(r["referencedSecurityGroupId"] for r in rules) == sorted(CLIENTS)
    for rule in rules:
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
        assert rule["description"].startswith(f"HTTPS from {rule['referencedSecurityGroupId']}")
        assert "cidrIpv4" not in rule


def test_endpoints_need_their_clients(pulumi_run: Any) -> None:
    with pytest.raises(ValueError, match="security groups of their clients"):
        pulumi_run(declare(client_security_group_ids=()))
