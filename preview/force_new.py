"""Which input changes make Pulumi replace a resource instead of updating it, per resource type.

Bridged AWS resources replace when a `ForceNew` attribute of terraform-provider-aws changes (Pulumi's
names are the camelCase of Terraform's); Kubernetes resources replace per pulumi-kubernetes'
`forceNewProperties` (provider/pkg/provider/diff.go: metadata.name/namespace for every kind, plus a few
per kind). A path listed here covers everything under it; `[*]` stands for any list index. `ALL_INPUTS`
means every input except the listed ones (resources the provider cannot update in place).

Every custom resource type in the shipped plans must have an entry (tests/preview/test_force_new.py),
so a new type cannot silently show a replacement as an in-place change. `source` says where the entry
was taken from: "read" entries were checked against the provider source for this table; "schema" entries
follow the provider's documented ForceNew arguments and are worth re-reading when the provider is upgraded.
Each "read" entry names the provider file it was read from. Nested paths follow Pulumi's input names (a MaxItems-1
block is an object, `a.b`; other blocks are pluralised lists). Replacements a provider forces only on some old/new
value pairs (CustomizeDiff `ForceNew`/`ForceNewIfChange`, framework ModifyPlan) cannot be expressed as a path; the
comment above the entry names them, and they are not listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALL_INPUTS = "*"
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class ForceNew:
    paths: tuple[str, ...]
    source: str  # "read" or "schema", see above
    except_paths: tuple[str, ...] = ()  # only with ALL_INPUTS: what the provider does update in place


# internal/service/s3/bucket_{logging,server_side_encryption_configuration,versioning}.go and
# bucket_lifecycle_configuration_fw.go (RequiresReplace): bucket and expected_bucket_owner.
_BUCKET_SETTING = ForceNew(("bucket", "expectedBucketOwner"), "read")
_K8S_METADATA = ("metadata.name", "metadata.namespace")
_TAGS = ("tags", "tagsAll")

AWS: dict[str, ForceNew] = {
    # internal/service/sagemaker/model.go: every argument but tags is ForceNew.
    "aws:sagemaker/model:Model": ForceNew((ALL_INPUTS,), "read", _TAGS),
    # internal/service/sagemaker/endpoint_configuration.go: every argument but tags is ForceNew
    # (production_variants and shadow_production_variants are not, but every attribute inside them is).
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": ForceNew((ALL_INPUTS,), "read", _TAGS),
    # internal/service/sagemaker/endpoint.go: name and deployment_config.auto_rollback_configuration.
    "aws:sagemaker/endpoint:Endpoint": ForceNew(("name", "deploymentConfig.autoRollbackConfiguration"), "read"),
    # internal/service/sagemaker/model_package_group.go: name and description (update is tags only).
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": ForceNew(
        ("modelPackageGroupName", "modelPackageGroupDescription"), "read"),
    # internal/service/s3/bucket.go: bucket, bucket_prefix, object_lock_enabled and the deprecated
    # object_lock_configuration.object_lock_enabled.
    "aws:s3/bucket:Bucket": ForceNew(
        ("bucket", "bucketPrefix", "objectLockEnabled", "objectLockConfiguration.objectLockEnabled"), "read"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _BUCKET_SETTING,
    "aws:s3/bucketLogging:BucketLogging": _BUCKET_SETTING,
    # internal/service/s3/bucket_{ownership_controls,policy,public_access_block}.go: bucket only.
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ForceNew(("bucket",), "read"),
    "aws:s3/bucketPolicy:BucketPolicy": ForceNew(("bucket",), "read"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ForceNew(("bucket",), "read"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _BUCKET_SETTING,
    "aws:s3/bucketVersioning:BucketVersioning": _BUCKET_SETTING,
    # internal/service/kms/key.go: custom_key_store_id, customer_master_key_spec, key_usage, multi_region,
    # xks_key_id.
    "aws:kms/key:Key": ForceNew(
        ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"), "read"),
    # internal/service/kms/alias.go: name and name_prefix (target_key_id updates in place).
    "aws:kms/alias:Alias": ForceNew(("name", "namePrefix"), "read"),
    # Added with the VPC endpoints, ECR repository, WAF, EKS add-on and batch dead-letter queue; from the
    # provider's documented ForceNew arguments, still to be read against its source.
    # internal/service/ec2/vpc_endpoint.go: vpc_id, service_name, vpc_endpoint_type, resource_configuration_arn,
    # service_network_arn, service_region, dns_options.private_dns_preference/private_dns_specified_domains.
    # CustomizeDiff also forces new on private_dns_enabled for non-Interface endpoints (conditional, not listed).
    "aws:ec2/vpcEndpoint:VpcEndpoint": ForceNew(
        ("vpcId", "serviceName", "vpcEndpointType", "resourceConfigurationArn", "serviceNetworkArn", "serviceRegion",
         "dnsOptions.privateDnsPreference", "dnsOptions.privateDnsSpecifiedDomains"), "read"),
    # internal/service/ecr/repository.go: name and encryption_configuration (the block and both attributes in it).
    "aws:ecr/repository:Repository": ForceNew(("name", "encryptionConfigurations"), "read"),
    # internal/service/eks/addon.go: cluster_name and addon_name.
    "aws:eks/addon:Addon": ForceNew(("clusterName", "addonName"), "read"),
    # internal/service/scheduler/schedule_group.go: name and name_prefix (update is tags only).
    "aws:scheduler/scheduleGroup:ScheduleGroup": ForceNew(("name", "namePrefix"), "read"),
    # internal/service/sqs/queue.go: name, name_prefix, fifo_queue.
    "aws:sqs/queue:Queue": ForceNew(("name", "namePrefix", "fifoQueue"), "read"),
    # internal/service/sqs/queue_policy.go: queue_url.
    "aws:sqs/queuePolicy:QueuePolicy": ForceNew(("queueUrl",), "read"),
    # internal/service/wafv2/web_acl.go: name, name_prefix, scope (rules, default_action etc. go through UpdateWebACL).
    "aws:wafv2/webAcl:WebAcl": ForceNew(("name", "namePrefix", "scope"), "read"),
    # internal/service/wafv2/web_acl_association.go: resource_arn and web_acl_arn (no update at all).
    "aws:wafv2/webAclAssociation:WebAclAssociation": ForceNew(("resourceArn", "webAclArn"), "read"),
    # internal/service/iam/role.go: name, name_prefix, path.
    "aws:iam/role:Role": ForceNew(("name", "namePrefix", "path"), "read"),
    # internal/service/iam/policy.go: description, name, name_prefix, path.
    "aws:iam/policy:Policy": ForceNew(("name", "namePrefix", "path", "description"), "read"),
    # internal/service/iam/role_policy.go: name, name_prefix, role.
    "aws:iam/rolePolicy:RolePolicy": ForceNew(("name", "namePrefix", "role"), "read"),
    # internal/service/iam/role_policy_attachment.go: role and policy_arn (no update at all).
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ForceNew(("role", "policyArn"), "read"),
    # internal/service/iam/openid_connect_provider.go: url (client_id_list, thumbprint_list update in place).
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ForceNew(("url",), "read"),
    # internal/service/logs/group.go: name, name_prefix, log_group_class (kms_key_id, retention update in place).
    "aws:cloudwatch/logGroup:LogGroup": ForceNew(("name", "namePrefix", "logGroupClass"), "read"),
    # internal/service/cloudwatch/metric_alarm.go: alarm_name is ForceNew.
    "aws:cloudwatch/metricAlarm:MetricAlarm": ForceNew(("name",), "read"),
    # internal/service/cloudwatch/dashboard.go: dashboard_name.
    "aws:cloudwatch/dashboard:Dashboard": ForceNew(("dashboardName",), "read"),
    # internal/service/events/rule.go: name, name_prefix, event_bus_name.
    "aws:cloudwatch/eventRule:EventRule": ForceNew(("name", "namePrefix", "eventBusName"), "read"),
    # internal/service/events/target.go: rule, target_id, event_bus_name.
    "aws:cloudwatch/eventTarget:EventTarget": ForceNew(("rule", "targetId", "eventBusName"), "read"),
    # internal/service/ec2/vpc_security_group.go: description, name, name_prefix, vpc_id (ingress/egress update).
    "aws:ec2/securityGroup:SecurityGroup": ForceNew(("name", "namePrefix", "description", "vpcId"), "read"),
    # internal/service/ec2/vpc_security_group_ingress_rule.go: security_group_id (RequiresReplace); ModifyPlan also
    # replaces when the source kind changes (cidr_ipv4/cidr_ipv6/prefix_list_id/referenced_security_group_id), which
    # depends on old and new values and is not listed.
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ForceNew(("securityGroupId",), "read"),
    # internal/service/eks/cluster.go: name, role_arn, bootstrap_self_managed_addons,
    # access_config.bootstrap_cluster_creator_admin_permissions, kubernetes_network_config.ip_family/service_ipv4_cidr
    # (not elastic_load_balancing), outpost_config.control_plane_instance_type/control_plane_placement.group_name (not
    # outpost_arns), remote_network_config. CustomizeDiff also replaces when encryption_config is removed or an existing
    # compute_config.node_role_arn changes (conditional, not listed).
    "aws:eks/cluster:Cluster": ForceNew(
        ("name", "roleArn", "bootstrapSelfManagedAddons", "accessConfig.bootstrapClusterCreatorAdminPermissions",
         "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr",
         "outpostConfig.controlPlaneInstanceType", "outpostConfig.controlPlanePlacement.groupName",
         "remoteNetworkConfig"), "read"),
    # internal/service/eks/node_group.go: as listed, plus launch_template.id/name (launch_template.version updates).
    "aws:eks/nodeGroup:NodeGroup": ForceNew(
        ("amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "launchTemplate.id",
         "launchTemplate.name", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds"),
        "read"),
    # internal/service/elbv2/load_balancer.go: name, name_prefix, internal, load_balancer_type,
    # customer_owned_ipv4_pool, subnet_mapping (every attribute inside is ForceNew too). customizeDiffNLBSubnets also
    # replaces a network load balancer when its subnets change (conditional, not listed).
    "aws:lb/loadBalancer:LoadBalancer": ForceNew(
        ("name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool", "subnetMappings"), "read"),
    # internal/service/elbv2/listener.go: load_balancer_arn only (everything else goes through ModifyListener).
    "aws:lb/listener:Listener": ForceNew(("loadBalancerArn",), "read"),
    # internal/service/elbv2/listener_rule.go: listener_arn only (priority is explicitly ForceNew: false).
    "aws:lb/listenerRule:ListenerRule": ForceNew(("listenerArn",), "read"),
    # internal/service/elbv2/target_group.go: as listed, plus ip_address_type.
    "aws:lb/targetGroup:TargetGroup": ForceNew(
        ("name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId", "ipAddressType"), "read"),
    # internal/service/scheduler/schedule.go: name, name_prefix, group_name.
    "aws:scheduler/schedule:Schedule": ForceNew(("name", "namePrefix", "groupName"), "read"),
    # internal/service/sfn/state_machine.go: name, name_prefix, type.
    "aws:sfn/stateMachine:StateMachine": ForceNew(("name", "namePrefix", "type"), "read"),
    # internal/service/sns/topic.go: name, name_prefix, fifo_topic.
    "aws:sns/topic:Topic": ForceNew(("name", "namePrefix", "fifoTopic"), "read"),
    # internal/service/sns/topic_policy.go: arn.
    "aws:sns/topicPolicy:TopicPolicy": ForceNew(("arn",), "read"),
    # internal/service/sns/topic_subscription.go: topic_arn (Pulumi's `topic`), protocol, endpoint.
    # endpoint_auto_confirms and confirmation_timeout_in_minutes are not ForceNew.
    "aws:sns/topicSubscription:TopicSubscription": ForceNew(("topic", "protocol", "endpoint"), "read"),
    # internal/service/appautoscaling/target.go: resource_id, scalable_dimension, service_namespace.
    "aws:appautoscaling/target:Target": ForceNew(("resourceId", "scalableDimension", "serviceNamespace"), "read"),
    # internal/service/appautoscaling/policy.go: name, resource_id, scalable_dimension, service_namespace.
    "aws:appautoscaling/policy:Policy": ForceNew(
        ("name", "resourceId", "scalableDimension", "serviceNamespace"), "read"),
    # pulumi-kubernetes provider/pkg/provider/provider.go DiffConfig (and provider_diffconfig_test.go): a provider
    # pointed at another cluster replaces every resource it manages. It replaces on renderYamlToDirectory and on a
    # changed clusterIdentifier; kubeconfig/context/cluster replace only when the active cluster they resolve to
    # changes (or the value is unknown, or no clusterIdentifier pins it), which a plan diff cannot resolve, so they
    # are listed as replacing: a conservative over-approximation.
    "pulumi:providers:kubernetes": ForceNew(
        ("kubeconfig", "context", "cluster", "clusterIdentifier", "renderYamlToDirectory"), "read"),
}

# pulumi-kubernetes provider/pkg/provider/diff.go (read): per kind, on top of metadata.name/namespace.
_KIND_EXTRA: dict[str, tuple[str, ...]] = {
    "apps/v1:Deployment": ("spec.selector",),
    "apps/v1:DaemonSet": ("spec.selector",),
    "apps/v1:StatefulSet": ("spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.selector",
                            "spec.serviceName", "spec.volumeClaimTemplates"),
    "core/v1:Service": ("spec.clusterIP",),
    "core/v1:ResourceQuota": ("spec.scopes",),
    "core/v1:ConfigMap": ("binaryData", "data"),
    "core/v1:Secret": ("type", "stringData", "data"),
    "rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    "batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
}
# pulumi-kubernetes provider/pkg/provider/helm_release.go Diff: forceNewFields are .name and .namespace.
_HELM_RELEASE = ForceNew(("name", "namespace"), "read")


def force_new(resource_type: str) -> ForceNew | None:
    """The entry for a type, or None when the table does not know it (a test keeps that from shipping)."""
    if resource_type in AWS:
        return AWS[resource_type]
    if resource_type == "kubernetes:helm.sh/v3:Release":
        return _HELM_RELEASE
    if resource_type.startswith("kubernetes:"):
        kind = resource_type.removeprefix("kubernetes:")
        return ForceNew(_K8S_METADATA + _KIND_EXTRA.get(kind, ()), "read")
    return None


def _covers(prefix: str, path: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def replacing_paths(resource_type: str, paths: list[str]) -> list[str]:
    """The changed input paths (flattened, e.g. productionVariants[0].instanceType) that force a replacement."""
    entry = force_new(resource_type)
    if entry is None:
        return []
    found = []
    for path in paths:
        general = _INDEX.sub("[*]", path)
        if ALL_INPUTS in entry.paths:
            if not any(_covers(keep, general) for keep in entry.except_paths):
                found.append(path)
        elif any(_covers(_INDEX.sub("[*]", prefix), general) for prefix in entry.paths):
            found.append(path)
    return found
