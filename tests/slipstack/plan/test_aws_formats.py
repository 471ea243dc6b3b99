"""The mock engine answers in each service's real formats, and the plans refer only to ARNs that exist.

Two independent sources judge the mock's table (slipstack/plan/aws_formats.py):
- moto, which implements the AWS APIs: the same resource created there must give an ARN of the same
  shape (random parts aside);
- the ARN formats of AWS's Service Authorization Reference, written below as regular expressions.
Then every ARN written anywhere in a shipped plan (IAM statements, alarm actions, key policies, state
machine definitions) must be one the plan itself produces, an AWS-owned ARN, or an ARN the spec or
stack configuration names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest
from moto import mock_aws

from slipstack.plan.aws_formats import AWS_FORMATS
from slipstack.plan.engine import MOCK_ACCOUNT_ID, run_program

REGION = "eu-west-1"

# Service Authorization Reference, "Resource types defined by ...": the ARN of each resource type the
# stacks create or name, ${Partition} = aws. Region and account are left out where AWS leaves them out.
SAR_FORMATS: dict[str, str] = {
    "iam role": r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+",
    "iam policy": r"arn:aws:iam::(\d{12}|aws):policy/[\w+=,.@/-]+",
    "iam oidc-provider": r"arn:aws:iam::\d{12}:oidc-provider/[\w.-]+(/[\w.-]+)*",
    "s3 bucket/object": r"arn:aws:s3:::[a-z0-9.-]{3,63}(/.*)?",
    "kms key": r"arn:aws:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}",
    "kms alias": r"arn:aws:kms:[a-z0-9-]+:\d{12}:alias/[\w/-]+",
    "sagemaker": r"arn:aws:sagemaker:[a-z0-9-]+:\d{12}:(model|endpoint-config|endpoint|model-package-group|"
                 r"processing-job|transform-job|inference-component|model-package)/[a-z0-9*-]+(/\d+)?",
    "sns topic": r"arn:aws:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(:[0-9a-f-]{36})?",
    "states": r"arn:aws:states:([a-z0-9-]+:\d{12}:(stateMachine|execution):[\w*:-]+|::[a-z-]+(:[\w.]+)+)",
    "cloudwatch alarm": r"arn:aws:cloudwatch:[a-z0-9-]+:\d{12}:alarm:[^:]+",
    "cloudwatch dashboard": r"arn:aws:cloudwatch::\d{12}:dashboard/[\w-]+",
    "logs": r"arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:[\w/.#-]+(:log-stream:[\w*./-]*|:\*)?",
    "events rule": r"arn:aws:events:[a-z0-9-]+:\d{12}:rule/[\w.-]+",
    "scheduler": r"arn:aws:scheduler:([a-z0-9-]+:\d{12}:(schedule/[\w.-]+/[\w.-]+|schedule-group/[\w.-]+)|"
                 r"::aws-sdk:[a-z0-9]+:[a-zA-Z0-9]+)",
    "sqs queue": r"arn:aws:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}(\.fifo)?",
    "eks": r"arn:aws:eks:[a-z0-9-]+:\d{12}:(cluster/[\w-]+|(nodegroup|addon)/[\w-]+/[\w-]+/[0-9a-f-]{36})",
    "elbv2": r"arn:aws:elasticloadbalancing:[a-z0-9-]+:\d{12}:(loadbalancer/app/[\w-]+/[0-9a-f]{16}|"
             r"listener/app/[\w-]+/[0-9a-f]{16}/[0-9a-f]{16}|listener-rule/app/[\w-]+/[0-9a-f]{16}/[0-9a-f]{16}/"
             r"[0-9a-f]{16}|targetgroup/[\w-]{1,32}/[0-9a-f]{16})",
    "acm": r"arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}",
    "wafv2": r"arn:aws:wafv2:[a-z0-9-]+:\d{12}:(regional|global)/(webacl|managedruleset)/[\w-]+/[0-9a-f-]{36}",
    "ec2": r"arn:aws:ec2:[a-z0-9-]+:\d{12}:(security-group/sg-[0-9a-f]{8,17}|security-group-rule/sgr-[0-9a-f]{17}|"
           r"subnet/subnet-[0-9a-f]{8,17}|network-interface/\*|vpc-endpoint/vpce-[0-9a-f]{17}|vpc/vpc-[0-9a-f]{8,17})",
    "ecr": r"arn:aws:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9._/-]+",
    "application-autoscaling": r"arn:aws:application-autoscaling:[a-z0-9-]+:\d{12}:scalable-target/[0-9a-z]+",
    "autoscaling policy": r"arn:aws:autoscaling:[a-z0-9-]+:\d{12}:scalingPolicy:[0-9a-f-]{36}:resource/.+"
                          r":policyName/.+",
    "iam account root": r"arn:aws:iam::\d{12}:root",
    "sts assumed-role": r"arn:aws:sts::\d{12}:assumed-role/[\w+=,.@-]+/.+",
}
_SAR = [re.compile(pattern) for pattern in SAR_FORMATS.values()]


def _sar_format(arn: str) -> str | None:
    return next((name for name, pattern in zip(SAR_FORMATS, _SAR, strict=True) if pattern.fullmatch(arn)), None)


def _shape(arn: str, account: str, name: str) -> str:
    """An ARN with its account, region, name and random parts replaced by markers, to compare formats."""
    shape = arn.replace(account, "<account>").replace(REGION, "<region>").replace(name, "<name>")
    shape = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", shape)
    return re.sub(r"(?<=[/-])[0-9a-f]{16,17}\b", "<hex>", shape)


def _mock_answer(type_token: str, name: str, inputs: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """What the plan's engine answers for one resource of `type_token`, registered for real under the mocks."""
    import pulumi

    captured: dict[str, Any] = {}

    def program() -> None:
        resource = pulumi.CustomResource(type_token, name, dict(inputs or {}))
        captured["resource"] = resource

    run = run_program(program, project="slipstack", stack="formats", config={"aws:region": REGION})
    (recorded,) = [r for r in run.resources if r.type == type_token]
    return str(recorded.id), recorded.outputs


def _vpc(ec2: Any) -> tuple[str, str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{REGION}b")["Subnet"]["SubnetId"]
    return vpc, a, b


def _role(client: Callable[[str], Any]) -> str:
    return client("iam").create_role(RoleName="formats-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def _load_balancer(client: Callable[[str], Any], name: str) -> dict[str, Any]:
    _, a, b = _vpc(client("ec2"))
    return client("elbv2").create_load_balancer(Name=name, Subnets=[a, b])["LoadBalancers"][0]


def _listener(client: Callable[[str], Any]) -> tuple[str, str]:
    elb = client("elbv2")
    ec2 = client("ec2")
    vpc, a, b = _vpc(ec2)
    lb = elb.create_load_balancer(Name="formats-lb", Subnets=[a, b])["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb.create_target_group(Name="formats-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    listener = elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )["Listeners"][0]["ListenerArn"]
    return listener, group["TargetGroupArn"]


# Type token -> (physical name, mock inputs, what moto returns for the same resource: its ARN).
MOTO_CASES: dict[str, tuple[str, dict[str, Any], Callable[[Callable[[str], Any]], str]]] = {
    "aws:iam/role:Role": ("formats-role", {"name": "formats-role"}, _role),
    "aws:iam/policy:Policy": ("formats-policy", {"name": "formats-policy"}, lambda c: c("iam").create_policy(
        PolicyName="formats-policy", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ))["Policy"]["Arn"]),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (
        "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789",
        {"url": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"},
        lambda c: c("iam").create_open_id_connect_provider(
            Url="https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789", ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"],
    ),
    "aws:sns/topic:Topic": ("formats-topic", {"name": "formats-topic"},
                            lambda c: c("sns").create_topic(Name="formats-topic")["TopicArn"]),
    "aws:sfn/stateMachine:StateMachine": ("formats-sm", {"name": "formats-sm"}, lambda c: c(
        "stepfunctions").create_state_machine(name="formats-sm", definition="{}", roleArn=_role(c))["stateMachineArn"]),
    "aws:kms/key:Key": ("", {}, lambda c: c("kms").create_key()["KeyMetadata"]["Arn"]),
    "aws:sagemaker/model:Model": ("formats-model", {"name": "formats-model"}, lambda c: c("sagemaker").create_model(
        ModelName="formats-model", ExecutionRoleArn=_role(c), PrimaryContainer={"Image": "image"})["ModelArn"]),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": (
        "formats-group", {"modelPackageGroupName": "formats-group", "name": "formats-group"},
        lambda c: c("sagemaker").create_model_package_group(ModelPackageGroupName="formats-group")[
            "ModelPackageGroupArn"],
    ),
    "aws:cloudwatch/logGroup:LogGroup": ("/formats/group", {"name": "/formats/group"}, lambda c: (
        c("logs").create_log_group(logGroupName="/formats/group"),
        # DescribeLogGroups appends ":*"; the provider's `arn` attribute strips it.
        c("logs").describe_log_groups(logGroupNamePrefix="/formats/group")["logGroups"][0]["arn"].removesuffix(":*"),
    )[1]),
    "aws:cloudwatch/eventRule:EventRule": ("formats-rule", {"name": "formats-rule"}, lambda c: c("events").put_rule(
        Name="formats-rule", ScheduleExpression="rate(1 hour)")["RuleArn"]),
    "aws:ecr/repository:Repository": ("slipstack/formats", {"name": "slipstack/formats"}, lambda c: c(
        "ecr").create_repository(repositoryName="slipstack/formats")["repository"]["repositoryArn"]),
    "aws:wafv2/webAcl:WebAcl": ("formats-acl", {"name": "formats-acl", "scope": "REGIONAL"}, lambda c: c(
        "wafv2").create_web_acl(Name="formats-acl", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[],
                                VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                                  "MetricName": "formats"})["Summary"]["ARN"]),
    "aws:ec2/securityGroup:SecurityGroup": ("formats-sg", {"name": "formats-sg"}, lambda c: c(
        "ec2").create_security_group(GroupName="formats-sg", Description="formats",
                                     VpcId=_vpc(c("ec2"))[0])["SecurityGroupArn"]),
    "aws:lb/loadBalancer:LoadBalancer": ("formats-lb", {"name": "formats-lb"},
                                         lambda c: _load_balancer(c, "formats-lb")["LoadBalancerArn"]),
    "aws:lb/targetGroup:TargetGroup": ("formats-tg", {"name": "formats-tg"}, lambda c: c(
        "elbv2").create_target_group(Name="formats-tg", Protocol="HTTP", Port=80, VpcId=_vpc(c("ec2"))[0])[
        "TargetGroups"][0]["TargetGroupArn"]),
    "aws:scheduler/schedule:Schedule": ("formats-schedule", {"name": "formats-schedule"}, lambda c: c(
        "scheduler").create_schedule(Name="formats-schedule", ScheduleExpression="rate(1 hour)",
                                     FlexibleTimeWindow={"Mode": "OFF"},
                                     Target={"Arn": f"arn:aws:states:{REGION}:{MOCK_ACCOUNT_ID}:stateMachine:x",
                                             "RoleArn": _role(c)})["ScheduleArn"]),
    "aws:eks/cluster:Cluster": ("formats-cluster", {"name": "formats-cluster"}, lambda c: c("eks").create_cluster(
        name="formats-cluster", roleArn=_role(c),
        resourcesVpcConfig={"subnetIds": list(_vpc(c("ec2"))[1:])})["cluster"]["arn"]),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("formats-alarm", {"name": "formats-alarm"}, lambda c: (
        c("cloudwatch").put_metric_alarm(AlarmName="formats-alarm", MetricName="m", Namespace="n", Statistic="Sum",
                                         Period=60, EvaluationPeriods=1, Threshold=1,
                                         ComparisonOperator="GreaterThanThreshold"),
        c("cloudwatch").describe_alarms(AlarmNames=["formats-alarm"])["MetricAlarms"][0]["AlarmArn"],
    )[1]),
    "aws:cloudwatch/dashboard:Dashboard": ("formats-dash", {"dashboardName": "formats-dash"}, lambda c: (
        c("cloudwatch").put_dashboard(DashboardName="formats-dash", DashboardBody="{}"),
        c("cloudwatch").list_dashboards()["DashboardEntries"][0]["DashboardArn"],
    )[1]),
    "aws:acm/certificate:Certificate": ("", {"domainName": "a.example.com"}, lambda c: c("acm").request_certificate(
        DomainName="a.example.com")["CertificateArn"]),
}


@pytest.mark.parametrize("type_token", sorted(MOTO_CASES))
def test_mock_arn_has_the_shape_moto_gives_the_same_resource(type_token: str) -> None:
    name, inputs, created_in_moto = MOTO_CASES[type_token]
    _, outputs = _mock_answer(type_token, "formats", inputs)
    mock_arn = outputs.get("arn") or outputs.get("dashboardArn")
    with mock_aws():
        moto_arn = created_in_moto(lambda service: boto3.client(service, region_name=REGION))
    assert _shape(mock_arn, MOCK_ACCOUNT_ID, name or "\0") == _shape(moto_arn, MOCK_ACCOUNT_ID, name or "\0")
    assert _sar_format(mock_arn), f"{mock_arn} is in no ARN format of the service authorization reference"


def test_listener_and_rule_arns_nest_under_their_load_balancer_as_in_moto() -> None:
    import pulumi

    def program() -> None:
        lb = pulumi.CustomResource("aws:lb/loadBalancer:LoadBalancer", "lb", {"name": "formats-lb"})
        listener = pulumi.CustomResource("aws:lb/listener:Listener", "listener",
                                         {"loadBalancerArn": lb.id})  # the provider's id of an LB is its ARN
        pulumi.CustomResource("aws:lb/listenerRule:ListenerRule", "rule", {"listenerArn": listener.id})

    run = run_program(program, project="slipstack", stack="formats", config={"aws:region": REGION})
    mock = {r.type: r.outputs["arn"] for r in run.resources}
    with mock_aws():
        c = boto3.client("elbv2", region_name=REGION)
        listener, group = _listener(lambda s: boto3.client(s, region_name=REGION))
        rule = c.create_rule(ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                             Actions=[{"Type": "forward", "TargetGroupArn": group}])["Rules"][0]["RuleArn"]
    assert _shape(mock["aws:lb/listener:Listener"], MOCK_ACCOUNT_ID, "formats-lb") == _shape(
        listener, MOCK_ACCOUNT_ID, "formats-lb")
    assert _shape(mock["aws:lb/listenerRule:ListenerRule"], MOCK_ACCOUNT_ID, "formats-lb") == _shape(
        rule, MOCK_ACCOUNT_ID, "formats-lb")


def test_state_machine_and_oidc_provider_are_in_their_services_formats() -> None:
    # The two the first release got wrong: Step Functions is "states" with "stateMachine:", IAM has no region.
    _, machine = _mock_answer("aws:sfn/stateMachine:StateMachine", "m", {"name": "drift"})
    assert machine["arn"] == f"arn:aws:states:{REGION}:{MOCK_ACCOUNT_ID}:stateMachine:drift"
    _, provider = _mock_answer("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "p",
                               {"url": "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"})
    assert provider["arn"] == f"arn:aws:iam::{MOCK_ACCOUNT_ID}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"


def _aws_resources(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in document["resources"] if r["type"].startswith("aws:") and r["custom"]]


@pytest.mark.parametrize("stack", ["staging", "prod", "modes"])
def test_every_aws_type_in_a_shipped_plan_has_a_format_row(stack: str, shipped_plan: Callable[..., Any]) -> None:
    missing = sorted({r["type"] for r in _aws_resources(shipped_plan(stack))} - set(AWS_FORMATS))
    assert not missing, f"add rows to slipstack/plan/aws_formats.py for {missing}"


def test_random_ids_differ_per_resource_and_per_stack(
    shipped_plan: Callable[..., Any], shipped_plan_answers: Callable[..., Any]
) -> None:
    keys: dict[str, list[str]] = {}
    every_arn: list[str] = []
    for stack in ("staging", "prod"):
        # A topic policy or an event target takes `arn` as an input (the topic's): only computed ARNs count.
        given = {r["urn"] for r in shipped_plan(stack)["resources"] if "arn" in r["inputs"]}
        for urn, answer in shipped_plan_answers(stack).items():
            if "aws:kms/key:Key" in urn:
                keys.setdefault(stack, []).append(answer["keyId"])
            if isinstance(answer.get("arn"), str) and "$aws:" in urn and urn not in given:
                every_arn.append(answer["arn"])
    assert keys["staging"] and keys["prod"]
    assert not set(keys["staging"]) & set(keys["prod"]), "two stacks share a KMS key id"
    assert len(every_arn) == len(set(every_arn)), "two resources answer with the same ARN"


def _nulls(value: Any, path: str = "") -> Iterator[str]:
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nulls(item, f"{path}[{index}]")


@pytest.mark.parametrize("stack", ["staging", "prod", "modes"])
def test_no_reference_in_a_shipped_plan_resolves_to_null(stack: str, shipped_plan: Callable[..., Any]) -> None:
    # An output the mock forgot (the EKS cluster's security group id) would arrive as null in a consumer.
    nulls = [f"{r['name']}{path}" for r in _aws_resources(shipped_plan(stack)) for path in _nulls(r["inputs"])
             if re.search(r"(Id|Ids|Arn|Arns|arn|id)(\[\d+\])?$", path)]
    assert not nulls, f"references that resolved to null: {nulls}"


# --- every ARN a plan writes must be one the plan (or AWS, or the spec) provides ---------------------

_ARN = re.compile(r"arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:[^\"'\s,\]\}]+")
# ARNs of things AWS creates at run time (jobs, log streams, interfaces) or owns itself, by pattern, each
# with the reason it cannot be a resource of the plan.
RUNTIME_OR_AWS_OWNED = {
    "arn:aws:iam::aws:policy/*": "AWS-managed policies",
    "arn:aws:states:::*": "Step Functions service integrations",
    "arn:aws:scheduler:::aws-sdk:*": "EventBridge Scheduler's universal targets (an AWS API call)",
    "arn:aws:sagemaker:*:*:processing-job/*-*": "processing jobs the state machine starts, by name prefix",
    "arn:aws:sagemaker:*:*:transform-job/*-*": "batch transform jobs the schedule starts, by name prefix",
    "arn:aws:logs:*:*:log-group:/aws/sagemaker/*": "log groups SageMaker creates for jobs and endpoints",
    "arn:aws:events:*:*:rule/StepFunctionsGetEventsForSageMaker*": "the rule the .sync integration manages",
    "arn:aws:ec2:*:*:network-interface/*": "interfaces SageMaker creates in the subnets",
    "arn:aws:ecr:*:*:repository/sagemaker-*": "AWS's prebuilt SageMaker serving images",
    "arn:aws:sts::*:assumed-role/*": "sessions of the deploying role",
    "arn:aws:iam::*:root": "the account itself, as a key or topic policy principal",
    "arn:aws:iam::*:role/aws-service-role/*": "service-linked roles AWS creates on first use",
    "arn:aws:elasticloadbalancing:*:*:*/net/*": "load balancers the AWS Load Balancer Controller creates at run time",
    "arn:aws:elasticloadbalancing:*:*:*/app/*/*/*": "listeners and rules the controller adds to its load balancers",
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _named_by_configuration(document: dict[str, Any], repo_root: Any) -> set[str]:
    """ARNs the specs and stack configuration name: outside the plan by design (invokers, certificates)."""
    text = "\n".join(path.read_text() for path in (repo_root / "deployments").glob("*.yaml"))
    text += "\n".join(path.read_text() for path in (repo_root / "stacks").glob("Pulumi.*.yaml"))
    named = set(_ARN.findall(text))
    # Buckets the specs name by URI (batch input and output, labels): outside the plan, named by the user.
    named |= {f"arn:aws:s3:::{bucket}" for bucket in re.findall(r"s3://([a-z0-9.-]{3,63})", text)}
    # Subnets, security groups and VPCs are named by id; the plan writes their ARNs.
    region, account = document["region"], MOCK_ACCOUNT_ID
    for kind, prefix in (("subnet", "subnet-"), ("security-group", "sg-"), ("vpc", "vpc-")):
        named |= {f"arn:aws:ec2:{region}:{account}:{kind}/{found}"
                  for found in re.findall(rf"\b{prefix}[0-9a-f]{{8,17}}\b", text)}
    return named


def _produced(answers: dict[str, dict[str, Any]], document: dict[str, Any]) -> set[str]:
    produced = {value for answer in answers.values() for value in _strings(answer) if value.startswith("arn:")}
    # Names a resource's ARN is written with before it exists (an alarm in an IAM condition).
    return produced | {arn + ":*" for arn in produced if ":log-group:" in arn}


def _unproducible(document: dict[str, Any], answers: dict[str, dict[str, Any]], repo_root: Any) -> list[str]:
    produced = _produced(answers, document)
    external = _named_by_configuration(document, repo_root)
    problems = []
    for resource in _aws_resources(document):
        for text in _strings(resource["inputs"]):
            for arn in _ARN.findall(text):
                arn = arn.rstrip(".")
                if arn in produced or arn in external:
                    continue
                if any(fnmatchcase(arn, pattern) for pattern in RUNTIME_OR_AWS_OWNED):
                    continue
                bucket, _, key = arn.partition("/")
                if arn.startswith("arn:aws:s3:::") and key and (bucket in produced or bucket in external):
                    continue  # objects under a bucket of the plan or one the configuration names
                if "*" in arn and any(fnmatchcase(candidate, arn) for candidate in produced):
                    continue  # a wildcard over resources of the plan (an ALB's listeners, a key's aliases)
                problems.append(f"{resource['name']}: {arn}")
    return problems


@pytest.mark.parametrize("stack", ["staging", "prod", "modes"])
def test_every_arn_in_a_shipped_plan_is_one_the_plan_can_produce(
    stack: str, shipped_plan: Callable[..., Any], shipped_plan_answers: Callable[..., Any], repo_root: Any
) -> None:
    document = shipped_plan(stack)
    problems = _unproducible(document, shipped_plan_answers(stack), repo_root)
    assert not problems, "ARNs no resource of the plan, AWS or the configuration provides:\n" + "\n".join(problems)


@pytest.mark.parametrize("stack", ["staging", "prod", "modes"])
def test_every_arn_in_a_shipped_plan_is_in_a_service_reference_format(
    stack: str, shipped_plan: Callable[..., Any], shipped_plan_answers: Callable[..., Any]
) -> None:
    document = shipped_plan(stack)
    arns = {arn for r in _aws_resources(document) for text in _strings(r["inputs"]) for arn in _ARN.findall(text)}
    arns |= {a for answer in shipped_plan_answers(stack).values() for a in _strings(answer) if _ARN.fullmatch(a)}
    wrong = sorted(arn for arn in arns if "*" not in arn and not _sar_format(arn.removesuffix(":*")))
    assert not wrong, f"ARNs in no service authorization reference format: {wrong}"


def test_the_reference_check_fails_on_an_arn_nothing_produces(
    shipped_plan: Callable[..., Any], shipped_plan_answers: Callable[..., Any], repo_root: Any
) -> None:
    document = json.loads(json.dumps(shipped_plan("prod")))
    alarm = next(r for r in document["resources"] if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm")
    # The first release's state machine format: an alarm action nobody could ever deliver to.
    alarm["inputs"]["alarmActions"] = [f"arn:aws:sfn:{REGION}:{MOCK_ACCOUNT_ID}:statemachine/drift"]
    assert _unproducible(document, shipped_plan_answers("prod"), repo_root) == [
        f"{alarm['name']}: arn:aws:sfn:{REGION}:{MOCK_ACCOUNT_ID}:statemachine/drift"
    ]
