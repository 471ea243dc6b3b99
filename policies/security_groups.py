"""Security-group permissions as rules read them, whichever of the three ways a stack declares them.

A permission can sit inline on `aws:ec2/securityGroup` (`ingress`/`egress` lists), on a legacy
`aws:ec2/securityGroupRule` (`type` ingress/egress) or on the newer one-rule-per-resource
`aws:vpc/securityGroupIngressRule`/`EgressRule`. Rules judge all three alike. Every value is read
with `read`/`read_list`, so an unknown raises UnknownValue (fail closed); a value of an unexpected
shape widens the permission (a port that is not a number counts as every port) instead of crashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import type_tokens as t
from policies.rule import read, read_list

SECURITY_GROUP_TYPES = frozenset(
    {t.EC2_SECURITY_GROUP, t.EC2_SECURITY_GROUP_RULE, t.VPC_SG_INGRESS_RULE, t.VPC_SG_EGRESS_RULE}
)
WORLD = frozenset({"0.0.0.0/0", "::/0"})
ALL_PROTOCOLS = frozenset({"-1", "all"})


@dataclass(frozen=True)
class Permission:
    where: str  # "ingress[0]", "rule", for messages
    direction: str  # "ingress" | "egress"
    protocol: str
    from_port: int
    to_port: int
    cidrs: tuple[str, ...]
    description: Any

    @property
    def all_ports(self) -> bool:
        return self.protocol in ALL_PROTOCOLS or (self.from_port <= 0 and self.to_port >= 65535)

    def covers(self, port: int) -> bool:
        return self.all_ports or self.from_port <= port <= self.to_port

    @property
    def from_world(self) -> bool:
        return bool(WORLD & set(self.cidrs))

    def ports_text(self) -> str:
        if self.all_ports:
            return "all ports"
        return f"port {self.from_port}" if self.from_port == self.to_port else f"ports {self.from_port}-{self.to_port}"


def _port(value: Any, default: int) -> int:
    # bool is an int in Python; a true/false port is a malformed value, so it widens the range.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


def _strings(values: list[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values if v is not None)


def _permission(source: Mapping[str, Any], where: str, direction: str, path: tuple[Any, ...]) -> Permission:
    protocol = read(source, *path, "protocol")
    if protocol is None:
        protocol = read(source, *path, "ipProtocol")
    protocol_text = str(protocol).lower() if protocol is not None else "-1"
    cidrs = [
        *read_list(source, *path, "cidrBlocks"),
        *read_list(source, *path, "ipv6CidrBlocks"),
        *read_list(source, *path, "cidrIpv4"),
        *read_list(source, *path, "cidrIpv6"),
    ]
    return Permission(
        where=where,
        direction=direction,
        protocol=protocol_text,
        from_port=_port(read(source, *path, "fromPort"), 0),
        to_port=_port(read(source, *path, "toPort"), 65535),
        cidrs=_strings(cidrs),
        description=read(source, *path, "description"),
    )


def permissions(props: Mapping[str, Any], resource_type: str) -> list[Permission]:
    """Every ingress and egress permission the resource declares."""
    if resource_type == t.EC2_SECURITY_GROUP:
        found = []
        for direction in ("ingress", "egress"):
            for index, item in enumerate(read_list(props, direction)):
                if isinstance(item, Mapping):
                    found.append(_permission(props, f"{direction}[{index}]", direction, (direction, index)))
        return found
    if resource_type == t.EC2_SECURITY_GROUP_RULE:
        kind = read(props, "type")
        direction = "egress" if kind == "egress" else "ingress"
        return [_permission(props, "rule", direction, ())]
    if resource_type == t.VPC_SG_INGRESS_RULE:
        return [_permission(props, "rule", "ingress", ())]
    if resource_type == t.VPC_SG_EGRESS_RULE:
        return [_permission(props, "rule", "egress", ())]
    return []
