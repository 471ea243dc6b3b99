"""The VPC endpoints private subnets need so SageMaker jobs and endpoints in them reach AWS services.

Creates:
- `aws.ec2.VpcEndpoint` (Gateway) for S3 on the subnets' route tables: inputs, outputs, manifests,
  captured data and ECR's image layers (which ECR serves from S3) stay on the AWS network;
- `aws.ec2.SecurityGroup` for the interface endpoints, with one described ingress rule per client
  security group (HTTPS only) and no egress rule (the provider removes AWS's allow-all default; an
  endpoint's interfaces only answer, and security groups are stateful);
- `aws.ec2.VpcEndpoint` (Interface, private DNS on) in the subnets for each of `interface_services`
  (CloudWatch `monitoring` for the drift/quality metrics, `logs`, `ecr.api` + `ecr.dkr` for the image,
  `sts` for the SDK's credentials), so the SDK's default host names resolve to the endpoints.

Private DNS for a service can be on for one endpoint per VPC: declare one set per VPC (the stack
shares it between the models whose specs name the same subnets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from contracts.aws_network import INTERFACE_SERVICES

HTTPS = 443


@dataclass(frozen=True)
class VpcServiceEndpointsArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[str]
    route_table_ids: pulumi.Input[Sequence[str]]
    client_security_group_ids: Sequence[str]  # the jobs' and endpoints' groups: may call the endpoints
    region: str
    interface_services: Sequence[str] = INTERFACE_SERVICES
    tags: dict[str, str] = field(default_factory=dict)


class VpcServiceEndpoints(pulumi.ComponentResource):
    gateway: aws.ec2.VpcEndpoint
    interfaces: dict[str, aws.ec2.VpcEndpoint]
    security_group: aws.ec2.SecurityGroup

    def __init__(self, name: str, args: VpcServiceEndpointsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:VpcServiceEndpoints", name, None, opts)
        if not args.subnet_ids or not args.client_security_group_ids:
            raise ValueError("VPC endpoints need the subnets and the security groups of their clients")
        child = pulumi.ResourceOptions(parent=self)
        self.gateway = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=args.vpc_id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=args.route_table_ids,
            tags={**args.tags, "Name": f"{name}-s3"},
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Slipstack: HTTPS from the model's jobs and endpoints to the AWS service endpoints",
            tags={**args.tags, "Name": f"{name}-endpoints"},
            opts=child,
        )
        for index, group in enumerate(args.client_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-client-{index}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=group,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description=f"HTTPS from {group} (SageMaker jobs and endpoints) to the service endpoints",
                opts=child,
            )
        self.interfaces = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=args.vpc_id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=list(args.subnet_ids),
                security_group_ids=[self.security_group.id],
                tags={**args.tags, "Name": f"{name}-{service}"},
                opts=child,
            )
            for service in args.interface_services
        }
        self.register_outputs({
            "s3_prefix_list_id": self.gateway.prefix_list_id,
            "security_group_id": self.security_group.id,
        })
