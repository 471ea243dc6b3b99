"""What the AWS provider returns for each resource type: its id, its ARN and the computed attributes.

One entry per resource type, written from the ARN formats of AWS's Service Authorization Reference
(the "Resource types defined by <service>" tables) and the Terraform provider's documented `id`
for the type. The mock engine answers with these, so a policy or an IAM statement scoped by an ARN is
checked against the string AWS would really hand back (`arn:aws:states:...:stateMachine:<name>`, an
OIDC provider without a region), and a value a consumer reads (a cluster's security group id) is
filled, never null.

Random parts (hex ids, UUIDs) are derived from a per-resource key that includes the project and stack,
so two stacks never share a KMS key id and two plans of the same stack are byte-identical.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PARTITION = "aws"


@dataclass(frozen=True)
class Identity:
    """What one mock resource is known by: the parts the templates fill in."""

    key: str  # "<project>/<stack>/<type>::<name>": the seed of every random part
    name: str  # the physical name (set by the program, else derived from the logical name)
    region: str
    account: str
    state: dict[str, Any]

    def hex(self, length: int, salt: str = "") -> str:
        return hashlib.sha256(f"{self.key}#{salt}".encode()).hexdigest()[:length]

    def uuid(self, salt: str = "") -> str:
        return str(uuid.UUID(hashlib.md5(f"{self.key}#{salt}".encode()).hexdigest()))

    def upper(self, length: int, salt: str = "") -> str:
        return self.hex(length, salt).upper()

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:{PARTITION}:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


# A type's answer: (id, computed attributes including "arn" where the type has one).
Answer = tuple[str, dict[str, Any]]
Format = Callable[[Identity], Answer]


def _bucket(r: Identity) -> Answer:
    return r.name, {
        "arn": r.arn("s3", r.name, region=False, account=False),
        "bucketDomainName": f"{r.name}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{r.name}.s3.{r.region}.amazonaws.com",
        "hostedZoneId": "Z1BKCTXD74EZPE",
        "region": r.region,
    }


def _bucket_setting(r: Identity) -> Answer:
    # BucketVersioning, BucketPolicy, ...: the provider's id is the bucket's name.
    return str(r.state.get("bucket") or r.name), {}


def _kms_key(r: Identity) -> Answer:
    key_id = r.uuid()
    return key_id, {"keyId": key_id, "arn": r.arn("kms", f"key/{key_id}")}


def _kms_alias(r: Identity) -> Answer:
    alias = r.name if r.name.startswith("alias/") else f"alias/{r.name}"
    return alias, {"arn": r.arn("kms", alias), "targetKeyArn": r.state.get("targetKeyId") or ""}


def _iam_role(r: Identity) -> Answer:
    path = r.state.get("path") or "/"
    # Unique ids are 21 characters: a 4-letter type prefix (AROA for roles) and 17 of base32.
    return r.name, {"arn": r.arn("iam", f"role{path}{r.name}", region=False), "uniqueId": "AROA" + r.upper(17),
                    "createDate": "2026-01-01T00:00:00Z"}


def _iam_policy(r: Identity) -> Answer:
    path = r.state.get("path") or "/"
    arn = r.arn("iam", f"policy{path}{r.name}", region=False)
    return arn, {"arn": arn, "policyId": "ANPA" + r.upper(17), "attachmentCount": 0}


def _iam_role_policy(r: Identity) -> Answer:
    return f"{r.state.get('role') or 'role'}:{r.name}", {}


def _iam_role_policy_attachment(r: Identity) -> Answer:
    return f"{r.state.get('role') or 'role'}-{r.hex(26)}", {}


def _oidc_provider(r: Identity) -> Answer:
    # IAM is global: no region in the ARN; the resource part is the issuer without its scheme.
    url = str(r.state.get("url") or f"oidc.eks.{r.region}.amazonaws.com/id/{r.upper(32)}").removeprefix("https://")
    arn = r.arn("iam", f"oidc-provider/{url}", region=False)
    return arn, {"arn": arn}


def _named(service: str, template: str, *, region: bool = True, id_is_arn: bool = False) -> Format:
    def answer(r: Identity) -> Answer:
        arn = r.arn(service, template.format(name=r.name), region=region)
        return (arn if id_is_arn else r.name), {"arn": arn}

    return answer


def _sns_subscription(r: Identity) -> Answer:
    topic = str(r.state.get("topic") or r.arn("sns", r.name))
    arn = f"{topic}:{r.uuid()}"
    return arn, {"arn": arn, "ownerId": r.account, "pendingConfirmation": r.state.get("protocol") == "email"}


def _sns_topic(r: Identity) -> Answer:
    arn = r.arn("sns", r.name)
    return arn, {"arn": arn, "owner": r.account}


def _sfn_state_machine(r: Identity) -> Answer:
    arn = r.arn("states", f"stateMachine:{r.name}")
    return arn, {"arn": arn, "creationDate": "2026-01-01T00:00:00Z", "status": "ACTIVE",
                 "stateMachineVersionArn": "", "revisionId": r.uuid("revision")}


def _log_group(r: Identity) -> Answer:
    # The provider's `arn` has no trailing ":*" (the DescribeLogGroups form does).
    return r.name, {"arn": r.arn("logs", f"log-group:{r.name}")}


def _event_target(r: Identity) -> Answer:
    return f"{r.state.get('rule') or 'rule'}-{r.state.get('targetId') or r.hex(26)}", {}


def _schedule(r: Identity) -> Answer:
    group = r.state.get("groupName") or "default"
    return f"{group}/{r.name}", {"arn": r.arn("scheduler", f"schedule/{group}/{r.name}"), "groupName": group}


def _eks_cluster(r: Identity) -> Answer:
    vpc_config = dict(r.state.get("vpcConfig") or {})
    vpc_config.setdefault("clusterSecurityGroupId", f"sg-{r.hex(17, 'cluster-sg')}")
    vpc_config.setdefault("vpcId", f"vpc-{r.hex(17, 'vpc')}")
    oidc = f"https://oidc.eks.{r.region}.amazonaws.com/id/{r.upper(32, 'oidc')}"
    return r.name, {
        "arn": r.arn("eks", f"cluster/{r.name}"),
        "endpoint": f"https://{r.upper(32, 'endpoint')}.gr7.{r.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTi1NT0NLLUNBLS0tLS0="},
        "identities": [{"oidcs": [{"issuer": oidc}]}],
        "vpcConfig": vpc_config,
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "version": r.state.get("version") or "1.33",
    }


def _eks_node_group(r: Identity) -> Answer:
    cluster = r.state.get("clusterName") or "cluster"
    node_group = r.state.get("nodeGroupName") or r.name
    return f"{cluster}:{node_group}", {
        "arn": r.arn("eks", f"nodegroup/{cluster}/{node_group}/{r.uuid()}"),
        "nodeGroupName": node_group,
        "status": "ACTIVE",
        "resources": [{"autoscalingGroups": [{"name": f"eks-{node_group}-{r.uuid('asg')}"}],
                       "remoteAccessSecurityGroupId": ""}],
    }


def _load_balancer(r: Identity) -> Answer:
    kind = "net" if r.state.get("loadBalancerType") == "network" else "app"
    arn = r.arn("elasticloadbalancing", f"loadbalancer/{kind}/{r.name}/{r.hex(16)}")
    scheme = "internal-" if r.state.get("internal") else ""
    return arn, {"arn": arn, "arnSuffix": arn.split(":loadbalancer/", 1)[1],
                 "dnsName": f"{scheme}{r.name}-{int(r.hex(8), 16) % 10**10}.{r.region}.elb.amazonaws.com",
                 "zoneId": "Z32O12XQLNTSW2", "vpcId": f"vpc-{r.hex(17, 'vpc')}"}


def _listener(r: Identity) -> Answer:
    load_balancer = str(r.state.get("loadBalancerArn") or "")
    parent = f"app/lb/{r.hex(16, 'lb')}"
    if ":loadbalancer/" in load_balancer:
        parent = load_balancer.split(":loadbalancer/", 1)[1]
    arn = r.arn("elasticloadbalancing", f"listener/{parent}/{r.hex(16)}")
    return arn, {"arn": arn}


def _listener_rule(r: Identity) -> Answer:
    listener = str(r.state.get("listenerArn") or "")
    parent = f"app/lb/{r.hex(16, 'lb')}/{r.hex(16, 'listener')}"
    if ":listener/" in listener:
        parent = listener.split(":listener/", 1)[1]
    arn = r.arn("elasticloadbalancing", f"listener-rule/{parent}/{r.hex(16)}")
    return arn, {"arn": arn}


def _target_group(r: Identity) -> Answer:
    arn = r.arn("elasticloadbalancing", f"targetgroup/{r.name[:32]}/{r.hex(16)}")
    return arn, {"arn": arn, "arnSuffix": arn.split(":", 5)[5]}


def _certificate(r: Identity) -> Answer:
    arn = r.arn("acm", f"certificate/{r.uuid()}")
    return arn, {"arn": arn, "status": "ISSUED"}


def _web_acl(r: Identity) -> Answer:
    scope = "global" if r.state.get("scope") == "CLOUDFRONT" else "regional"
    web_acl_id = r.uuid()
    return web_acl_id, {"arn": r.arn("wafv2", f"{scope}/webacl/{r.name}/{web_acl_id}"), "capacity": 1000,
                        "lockToken": r.uuid("lock")}


def _web_acl_association(r: Identity) -> Answer:
    return f"{r.state.get('webAclArn') or ''},{r.state.get('resourceArn') or ''}", {}


def _security_group(r: Identity) -> Answer:
    group_id = f"sg-{r.hex(17)}"
    return group_id, {"arn": r.arn("ec2", f"security-group/{group_id}"), "ownerId": r.account}


def _security_group_rule(r: Identity) -> Answer:
    rule_id = f"sgr-{r.hex(17)}"
    return rule_id, {"arn": r.arn("ec2", f"security-group-rule/{rule_id}"), "securityGroupRuleId": rule_id}


def _vpc_endpoint(r: Identity) -> Answer:
    endpoint_id = f"vpce-{r.hex(17)}"
    service = str(r.state.get("serviceName") or "")
    computed: dict[str, Any] = {"arn": r.arn("ec2", f"vpc-endpoint/{endpoint_id}"), "ownerId": r.account,
                                "state": "available"}
    if r.state.get("vpcEndpointType") == "Gateway":
        computed["prefixListId"] = f"pl-{r.hex(8, 'pl')}"
    else:
        short = service.rsplit(".", 1)[-1]
        computed["dnsEntries"] = [{"dnsName": f"{endpoint_id}-{r.hex(8, 'dns')}.{short}.{r.region}.vpce.amazonaws.com",
                                   "hostedZoneId": "Z7K1066E3PUKB"}]
        computed["networkInterfaceIds"] = [f"eni-{r.hex(17, 'eni')}"]
    return endpoint_id, computed


def _ecr_repository(r: Identity) -> Answer:
    return r.name, {"arn": r.arn("ecr", f"repository/{r.name}"), "registryId": r.account,
                    "repositoryUrl": f"{r.account}.dkr.ecr.{r.region}.amazonaws.com/{r.name}"}


def _scalable_target(r: Identity) -> Answer:
    resource_id = str(r.state.get("resourceId") or r.name)
    return resource_id, {"arn": r.arn("application-autoscaling", f"scalable-target/{r.hex(36)}")}


def _scaling_policy(r: Identity) -> Answer:
    resource_id = str(r.state.get("resourceId") or "")
    arn = r.arn("autoscaling", f"scalingPolicy:{r.uuid()}:resource/{r.state.get('serviceNamespace') or 'sagemaker'}/"
                               f"{resource_id}:policyName/{r.name}")
    return r.name, {"arn": arn, "alarmArns": []}


def _dashboard(r: Identity) -> Answer:
    dashboard = str(r.state.get("dashboardName") or r.name)
    # Dashboards are global: the ARN has an account and no region.
    return dashboard, {"dashboardArn": r.arn("cloudwatch", f"dashboard/{dashboard}", region=False)}


def _metric_alarm(r: Identity) -> Answer:
    return r.name, {"arn": r.arn("cloudwatch", f"alarm:{r.name}")}


def _topic_policy(r: Identity) -> Answer:
    return str(r.state.get("arn") or r.arn("sns", r.name)), {"owner": r.account}


def _sqs_queue(r: Identity) -> Answer:
    # The provider's id for a queue is its URL; the ARN has the name after the account.
    url = f"https://sqs.{r.region}.amazonaws.com/{r.account}/{r.name}"
    return url, {"arn": r.arn("sqs", r.name), "url": url}


def _sqs_queue_policy(r: Identity) -> Answer:
    return str(r.state.get("queueUrl") or r.name), {}


def _schedule_group(r: Identity) -> Answer:
    return r.name, {"arn": r.arn("scheduler", f"schedule-group/{r.name}"), "state": "ACTIVE",
                    "creationDate": "2026-01-01T00:00:00Z", "lastModificationDate": "2026-01-01T00:00:00Z"}


def _listener_certificate(r: Identity) -> Answer:
    return f"{r.state.get('listenerArn') or ''}_{r.state.get('certificateArn') or ''}", {}


def _eks_addon(r: Identity) -> Answer:
    cluster = str(r.state.get("clusterName") or "cluster")
    addon = str(r.state.get("addonName") or r.name)
    return f"{cluster}:{addon}", {"arn": r.arn("eks", f"addon/{cluster}/{addon}/{r.uuid()}"),
                                  "createdAt": "2026-01-01T00:00:00Z", "modifiedAt": "2026-01-01T00:00:00Z"}


def _sagemaker(kind: str) -> Format:
    # SageMaker lower-cases the name in its ARNs (CreateEndpoint returns ...:endpoint/<lowercase name>).
    def answer(r: Identity) -> Answer:
        return r.name, {"arn": r.arn("sagemaker", f"{kind}/{r.name.lower()}")}

    return answer


# Type token -> format. A type not listed here is refused by the engine rather than answered with a
# made-up ARN: add its row (from the service authorization reference) when a component starts using it.
AWS_FORMATS: dict[str, Format] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_setting,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_setting,
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_setting,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_setting,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_setting,
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_setting,
    "aws:s3/bucketLogging:BucketLogging": _bucket_setting,
    "aws:s3/bucketNotification:BucketNotification": _bucket_setting,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _iam_policy,
    "aws:iam/rolePolicy:RolePolicy": _iam_role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _iam_role_policy_attachment,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:sagemaker/model:Model": _sagemaker("model"),
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": _sagemaker("endpoint-config"),
    "aws:sagemaker/endpoint:Endpoint": _sagemaker("endpoint"),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": _sagemaker("model-package-group"),
    "aws:sns/topic:Topic": _sns_topic,
    "aws:sns/topicPolicy:TopicPolicy": _topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": _sns_subscription,
    "aws:sfn/stateMachine:StateMachine": _sfn_state_machine,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/eventRule:EventRule": _named("events", "rule/{name}"),
    "aws:cloudwatch/eventTarget:EventTarget": _event_target,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:scheduler/schedule:Schedule": _schedule,
    "aws:scheduler/scheduleGroup:ScheduleGroup": _schedule_group,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:sqs/queuePolicy:QueuePolicy": _sqs_queue_policy,
    "aws:lb/listenerCertificate:ListenerCertificate": _listener_certificate,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": _web_acl_association,
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": lambda r: (
        str(r.state.get("resourceArn") or ""), {}),
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _security_group_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _security_group_rule,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": lambda r: (str(r.state.get("repository") or r.name),
                                                         {"registryId": r.account}),
    "aws:appautoscaling/target:Target": _scalable_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
}
