"""The application load balancer in front of the model services on the stack's EKS cluster.

Creates: a security group (HTTPS and HTTP in, to the cluster's nodes on the model port out, and HTTPS out
to the identity provider when callers are authenticated), an
`aws.lb.LoadBalancer` (access logs to the stack's log bucket, invalid headers dropped, deletion
protection in prod), an HTTPS listener (ACM certificate, TLS 1.3/1.2 policy, 404 by default) and an
HTTP listener that only redirects to HTTPS, plus the ingress rule that lets the ALB reach the nodes.

Models are attached with `attach_service`: a target group of type `ip` and a host-header listener rule
per model (with `authentication`, the rule first authenticates the caller at the ALB, through an OIDC
identity provider or a Cognito user pool, and forwards only then: an unauthenticated API call gets 401,
`on_unauthenticated_request: deny`, unless a browser login redirect is asked for); a TargetGroupBinding
(created by the stack, `elbv2.k8s.aws/v1beta1`) makes the AWS Load
Balancer Controller register the model Service's pod IPs in that target group. The controller must run
in the cluster; this component does not install it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from infra.aws.access_log_bucket import ALB_LOG_PREFIX

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class OidcListenerAuthentication:
    """`authenticate-oidc`: the ALB runs the OIDC authorization-code flow against the identity provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    user_info_endpoint: str
    client_id: str
    client_secret: pulumi.Input[str]  # a secret setting of the stack, never a value in a file
    scope: str = "openid"
    on_unauthenticated_request: Literal["deny", "authenticate"] = "deny"
    session_timeout_seconds: int = 3600

    def action(self) -> dict[str, Any]:
        return {"type": "authenticate-oidc", "authenticate_oidc": {
            "issuer": self.issuer, "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint, "user_info_endpoint": self.user_info_endpoint,
            "client_id": self.client_id, "client_secret": self.client_secret, "scope": self.scope,
            "on_unauthenticated_request": self.on_unauthenticated_request,
            "session_timeout": self.session_timeout_seconds,
        }}


@dataclass(frozen=True)
class CognitoListenerAuthentication:
    """`authenticate-cognito`: the ALB signs callers in through a Cognito user pool (its app client's secret
    stays in Cognito: the ALB fetches it)."""

    user_pool_arn: str
    user_pool_client_id: str
    user_pool_domain: str
    scope: str = "openid"
    on_unauthenticated_request: Literal["deny", "authenticate"] = "deny"
    session_timeout_seconds: int = 3600

    def action(self) -> dict[str, Any]:
        return {"type": "authenticate-cognito", "authenticate_cognito": {
            "user_pool_arn": self.user_pool_arn, "user_pool_client_id": self.user_pool_client_id,
            "user_pool_domain": self.user_pool_domain, "scope": self.scope,
            "on_unauthenticated_request": self.on_unauthenticated_request,
            "session_timeout": self.session_timeout_seconds,
        }}


ListenerAuthentication = OidcListenerAuthentication | CognitoListenerAuthentication


@dataclass(frozen=True)
class ApplicationLoadBalancerArgs:
    name: str  # <= 32 characters
    vpc_id: str
    subnet_ids: Sequence[str]
    internet_facing: bool
    certificate_arn: str
    access_log_bucket: pulumi.Input[str]
    node_security_group_id: pulumi.Input[str]
    service_port: int = 8080
    deletion_protection: bool = True
    # Every model's listener rule authenticates its callers first (None: the rule forwards directly).
    authentication: ListenerAuthentication | None = None
    tags: dict[str, str] = field(default_factory=dict)


class ApplicationLoadBalancer(pulumi.ComponentResource):
    load_balancer: aws.lb.LoadBalancer
    https_listener: aws.lb.Listener

    def __init__(self, name: str, args: ApplicationLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("slipstack:aws:ApplicationLoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._name, self._args = name, args
        self._priority = 0
        clients = "0.0.0.0/0" if args.internet_facing else "10.0.0.0/8"
        egress: list[aws.ec2.SecurityGroupEgressArgsDict] = [
            {"protocol": "tcp", "from_port": args.service_port, "to_port": args.service_port,
             "security_groups": [args.node_security_group_id],
             "description": "To the model pods on the cluster's nodes"},
        ]
        if args.authentication is not None:
            # The ALB itself calls the identity provider's token and user info endpoints (public HTTPS, no fixed
            # range) to authenticate callers: without this every login fails.
            egress.append({"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"],
                           "description": "HTTPS to the identity provider (the ALB authenticates callers)"})
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description="Slipstack ALB: HTTPS (and HTTP redirect) in, model port to the cluster out",
            vpc_id=args.vpc_id,
            ingress=[{"protocol": "tcp", "from_port": port, "to_port": port, "cidr_blocks": [clients],
                      "description": purpose}
                     for port, purpose in ((443, "HTTPS from clients"),
                                           (80, "HTTP from clients, redirected to HTTPS"))],
            egress=egress,
            tags=args.tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-nodes",
            security_group_id=args.node_security_group_id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp", from_port=args.service_port, to_port=args.service_port,
            description="ALB to model pods",
            opts=child,
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=args.name,
            load_balancer_type="application",
            internal=not args.internet_facing,
            subnets=list(args.subnet_ids),
            security_groups=[group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            access_logs={"bucket": args.access_log_bucket, "prefix": ALB_LOG_PREFIX, "enabled": True},
            tags=args.tags,
            opts=child,
        )
        self.https_listener = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=443, protocol="HTTPS", ssl_policy=TLS_POLICY, certificate_arn=args.certificate_arn,
            default_actions=[{"type": "fixed-response", "fixed_response": {
                "content_type": "text/plain", "message_body": "not found", "status_code": "404"}}],
            tags=args.tags,
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http-redirect",
            load_balancer_arn=self.load_balancer.arn,
            port=80, protocol="HTTP",
            default_actions=[{"type": "redirect", "redirect": {
                "protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}],
            tags=args.tags,
            opts=child,
        )
        self.register_outputs({"dns_name": self.load_balancer.dns_name})

    def attach_service(
        self, model: str, host: str, certificate_arn: str | None, tags: dict[str, str]
    ) -> aws.lb.TargetGroup:
        """A target group (ip targets, /v2/health/ready) and a host-header rule for one model service."""
        self._priority += 1
        child = pulumi.ResourceOptions(parent=self)
        target_group = aws.lb.TargetGroup(
            f"{self._name}-{model}-tg",
            name=f"{model}"[:26] + "-tg",
            port=self._args.service_port, protocol="HTTP", target_type="ip", vpc_id=self._args.vpc_id,
            health_check={"path": "/v2/health/ready", "matcher": "200", "protocol": "HTTP"},
            tags=tags,
            opts=child,
        )
        if certificate_arn and certificate_arn != self._args.certificate_arn:
            aws.lb.ListenerCertificate(
                f"{self._name}-{model}-cert", listener_arn=self.https_listener.arn, certificate_arn=certificate_arn,
                opts=child,
            )
        aws.lb.ListenerRule(
            f"{self._name}-{model}-rule",
            listener_arn=self.https_listener.arn,
            priority=self._priority,
            conditions=[{"host_header": {"values": [host]}}],
            actions=listener_rule_actions(self._args.authentication, target_group.arn),
            tags=tags,
            opts=child,
        )
        return target_group


def listener_rule_actions(
    authentication: ListenerAuthentication | None, target_group_arn: pulumi.Input[str]
) -> list[Any]:  # the SDK's ListenerRuleActionArgsDict, built from plain dicts
    """The rule's actions in order: authenticate first (when configured), then forward."""
    forward = {"type": "forward", "target_group_arn": target_group_arn}
    if authentication is None:
        return [forward]
    return [{**authentication.action(), "order": 1}, {**forward, "order": 2}]
