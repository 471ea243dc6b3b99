"""Run a Pulumi program in-process under the SDK's mock engine and record what it would create.

No CLI, credentials or network: `pulumi.runtime.set_mocks` stands in for the engine, and a recording
monitor keeps every registration request (type, name, parent, dependencies, inputs as the engine
names them). The mocks answer with plausible, deterministic outputs (ids, ARNs, bucket names,
Kubernetes metadata), so a program that reads outputs behaves as it would for real, and two plans of
the same program are byte-identical (which is what makes plan diffs meaningful).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from slipstack.plan.aws_formats import AWS_FORMATS, Identity

UNKNOWN = rpc.UNKNOWN  # the engine's marker for a value not known until deploy time
SECRET_MASK = "[secret]"
MOCK_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "eu-west-1"


def _digest(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# Properties whose value the engine derives from the resource name when the program leaves them unset.
_NAME_PROPERTIES = ("name", "bucket", "functionName", "clusterName", "topicName", "nodeGroupName",
                    "dashboardName")
# Types whose `name` property is something else's name (a rule's, a role's), never their own physical name.
_UNNAMED_TYPES = frozenset({
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:cloudwatch/eventTarget:EventTarget",
    "aws:sns/topicSubscription:TopicSubscription", "aws:sns/topicPolicy:TopicPolicy",
    "aws:wafv2/webAclAssociation:WebAclAssociation", "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:appautoscaling/target:Target", "aws:ecr/lifecyclePolicy:LifecyclePolicy",
})


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    # Resource options the engine acts on at delete time (protect, retainOnDelete); only those set.
    options: dict[str, bool] = field(default_factory=dict)

    def as_plan_entry(self) -> dict[str, Any]:
        entry = self._entry()
        if self.options:
            entry["options"] = dict(self.options)
        return entry

    def _entry(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "inputs": self.inputs,
        }


class PlausibleOutputs(pulumi.runtime.Mocks):
    """Mocks whose outputs look like the real provider's: ids, ARNs, names, Kubernetes metadata."""

    def __init__(
        self, region: str = DEFAULT_REGION, account_id: str = MOCK_ACCOUNT_ID, *, project: str = "", stack: str = ""
    ):
        self.region = region
        self.account_id = account_id
        # Part of every random id: two stacks (or projects) never share a key id or an ALB suffix.
        self.project = project
        self.stack = stack

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:role/slipstack-deployer",
                "userId": "AROAEXAMPLEDEPLOYER",
                "id": self.account_id,
            }
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = [f"{self.region}{letter}" for letter in "abc"]
            return {"names": zones, "zoneIds": zones, "id": self.region}
        if token == "aws:ec2/getSubnet:getSubnet":
            subnet = str(args.args.get("id") or "subnet-0")
            return {**dict(args.args), "id": subnet, "vpcId": f"vpc-{_digest('vpc:' + subnet, 17)}",
                    "cidrBlock": "10.0.0.0/24", "availabilityZone": f"{self.region}a", "ownerId": self.account_id,
                    "arn": f"arn:aws:ec2:{self.region}:{self.account_id}:subnet/{subnet}"}
        if token == "aws:ec2/getRouteTable:getRouteTable":
            table = f"rtb-{_digest('rtb:' + str(args.args.get('subnetId')), 17)}"
            return {**dict(args.args), "id": table, "routeTableId": table, "ownerId": self.account_id,
                    "arn": f"arn:aws:ec2:{self.region}:{self.account_id}:route-table/{table}"}
        if token == "aws:ecr/getImage:getImage":
            # The digest ECR reports for an immutable tag: the plan's stand-in is a hash of repository and tag.
            pushed = f"{args.args.get('repositoryName')}:{args.args.get('imageTag')}"
            digest = "sha256:" + hashlib.sha256(pushed.encode()).hexdigest()
            return {**dict(args.args), "imageDigest": digest, "id": digest, "imageTags": [args.args.get("imageTag")],
                    "registryId": self.account_id, "imagePushedAt": 1767225600, "imageSizeInBytes": 412_000_000}
        if token == "aws:eks/getAddonVersion:getAddonVersion":
            # EKS's default add-on version for a Kubernetes version: the plan's stand-in follows the version's minor.
            minor = str(args.args.get("kubernetesVersion") or "1.33").split(".")[-1]
            return {**dict(args.args), "version": f"v1.{minor}.0-eksbuild.1", "id": str(args.args.get("addonName"))}
        if token == "docker:index/getRegistryImage:getRegistryImage":
            # The registry's digest of an image tag (GHCR, Harbor, ...): the plan's stand-in hashes repository:tag,
            # as for ECR above. Under `pulumi up` the docker provider asks the registry.
            name = str(args.args.get("name"))
            digest = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
            return {**dict(args.args), "sha256Digest": digest, "id": digest}
        # Unknown invokes answer with their own arguments: enough for programs that only echo them.
        return dict(args.args)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ.startswith("kubernetes:"):
            return self._kubernetes(args, inputs)
        if args.typ.startswith("aws:"):
            return self._aws(args, inputs)
        return f"{args.name}-{_digest(args.typ + args.name, 8)}", inputs

    def _aws(self, args: pulumi.runtime.MockResourceArgs, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        key = f"{self.project}/{self.stack}/{args.typ}::{args.name}"
        physical = next((state[p] for p in _NAME_PROPERTIES if isinstance(state.get(p), str)), None)
        if physical is None:
            # The real engine auto-names with a random suffix; a hash suffix keeps plans reproducible.
            physical = f"{args.name}-{_digest(key, 7)}"
            if args.typ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
                state.setdefault("bucket", physical)
            elif args.typ not in _UNNAMED_TYPES:
                state.setdefault("name", physical)
        identity = Identity(key=key, name=physical, region=state.get("region") or self.region,
                            account=self.account_id, state=state)
        answer = AWS_FORMATS.get(args.typ)
        if answer is None:
            # No row for this type: an id only, never an ARN in a format nobody checked.
            resource_id = physical
        else:
            resource_id, computed = answer(identity)
            for name, value in computed.items():
                if name == "vpcConfig" or state.get(name) in (None, "", UNKNOWN):
                    state[name] = value
        state.setdefault("tagsAll", state.get("tags", {}))
        return resource_id, state

    def _kubernetes(self, args: pulumi.runtime.MockResourceArgs, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        metadata = dict(state.get("metadata") or {})
        metadata.setdefault("name", args.name)
        metadata["uid"] = str(uuid.UUID(hashlib.md5(f"{args.typ}::{args.name}".encode()).hexdigest()))
        state["metadata"] = metadata
        namespace = metadata.get("namespace")
        resource_id = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
        return resource_id, state


def _plain(value: Any) -> Any:
    """A deserialized input as JSON: secrets masked, unknowns as the engine's marker, resources by URN."""
    if rpc.is_rpc_secret(value):
        return SECRET_MASK
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return f"resource:{type(value).__name__}"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire format has only doubles; the program wrote an integer
    return value


def _secret_leaves_masked(raw: Any) -> Any:
    """A serialized property (protobuf Struct as plain data) with only its secret leaves masked.

    Deserializing bubbles a secret nested anywhere in a property up to the whole property (an ALB rule's
    `actions` list with one secret client secret would be masked entirely): what the plan shows, and what a
    policy reads, would lose every non-secret part of it (the action types).
    """
    if isinstance(raw, Mapping):
        sig = raw.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return SECRET_MASK
        if sig == rpc._special_output_value_sig:
            if raw.get("secret"):
                return SECRET_MASK
            return _secret_leaves_masked(raw["value"]) if "value" in raw else rpc.UNKNOWN
        if sig is not None:  # a resource reference, asset or archive: as the SDK's deserialization shows it
            return _plain(rpc.deserialize_property(raw, keep_unknowns=True))
        return {str(k): _secret_leaves_masked(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_secret_leaves_masked(v) for v in raw]
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def _recorded_inputs(request_object: Any) -> dict[str, Any]:
    """A registration's inputs as plan data: secrets masked where they are, not where they bubbled to."""
    from google.protobuf.json_format import MessageToDict

    inputs = _plain(rpc.deserialize_properties(request_object, keep_unknowns=True))
    masked = [key for key, value in inputs.items() if value == SECRET_MASK]
    if masked:
        raw = MessageToDict(request_object)
        for key in masked:
            inputs[key] = _secret_leaves_masked(raw[key])
    return dict(inputs)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, keeping each registration's parent, provider and dependencies too."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResourceOutputs(self, request: Any) -> Any:
        # Only the root stack's outputs are kept: they are the program's exports, serialized by the SDK.
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        dependencies = sorted(set(request.dependencies))
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                # A provider reference is "<urn>::<id>"; the URN is what ties resources to it.
                provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                dependencies=dependencies,
                inputs=_recorded_inputs(request.object),
                # What the mock answered (the ARN and computed attributes consumers read): kept for checks
                # of the plan's references, not written to plan.json.
                outputs=_plain(rpc.deserialize_properties(response.object, keep_unknowns=True))
                if response.object
                else {},
                id=response.id or None,
                options={key: True for key, value in (("protect", request.protect),
                                                      ("retainOnDelete", request.retainOnDelete)) if value},
            )
        )
        return response


@dataclass
class ProgramRun:
    resources: list[RecordedResource]
    outputs: dict[str, Any]


def run_program(
    program: Callable[[], Mapping[str, Any] | None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    mocks: pulumi.runtime.Mocks | None = None,
) -> ProgramRun:
    """Run `program` under the mock engine with `config` (engine-form keys such as 'slipstack:specs').

    The program returns its stack outputs (and may also `pulumi.export` them, as it does under the
    real CLI); they are resolved here the same way the engine would resolve them.

    The program runs on a thread of its own, with its own event loop and a new root stack, as it runs
    at the bottom of the language host under the CLI: the SDK walks the whole Python stack at every
    registration to record where the resource was declared, so beneath the command line's frames
    every resource would pay for them (6% of a 100-model plan). Nothing is left behind in the caller's
    thread, so two runs in one process (tests) never share a stack or its exports.
    """
    result: list[ProgramRun] = []
    failure: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            try:
                result.append(_run_in_this_thread(program, project=project, stack=stack, config=config, mocks=mocks))
            finally:
                _close(loop)
        except BaseException as error:  # raised again in the caller's thread
            failure.append(error)

    worker = threading.Thread(target=run, name=f"pulumi-program-{stack}", daemon=True)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Close the run's loop as asyncio.run does: a failed program can leave registrations that never ran."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


def _run_in_this_thread(
    program: Callable[[], Mapping[str, Any] | None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    mocks: pulumi.runtime.Mocks | None,
) -> ProgramRun:
    monitor = RecordingMonitor(
        mocks or PlausibleOutputs(region=config.get("aws:region", DEFAULT_REGION), project=project, stack=stack)
    )
    pulumi.runtime.set_all_config(dict(config), secret_keys=[])
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def _run() -> None:
        outputs = program() or {}
        # What the CLI does when the program ends: the root stack registers its exports (and, here, what the
        # program returned) through the SDK's own serialization, which awaits every Output once.
        root = pulumi.runtime.get_root_resource()
        assert isinstance(root, pulumi.runtime.stack.Stack)
        root.register_outputs(pulumi.runtime.stack.massage({**root.outputs, **outputs}, []))

    _run()
    return ProgramRun(
        resources=monitor.recorded, outputs=json.loads(json.dumps(_plain(monitor.stack_outputs), default=str))
    )
