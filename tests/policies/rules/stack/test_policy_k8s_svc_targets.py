"""Cases for K8S-SVC-TARGETS."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided, workload

from policies.rules.stack.k8s_svc_targets import RULE

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def service(selector: object, name: str = "m", namespace: str = "models") -> dict:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": {"selector": selector}}


def ingress(backend: str) -> dict:
    path = {"backend": {"service": {"name": backend, "port": {"name": "http"}}}, "path": "/"}
    return {"metadata": {"name": "i", "namespace": "models"}, "spec": {"rules": [{"http": {"paths": [path]}}]}}


def test_pass() -> None:
    stack = [
        resource(DEPLOYMENT, "d", workload()),
        resource(SERVICE, "s", service({"app": "m"})),
        resource(INGRESS, "i", ingress("m")),
    ]
    assert stack_messages(RULE, stack) == []


def test_selector_matches_nothing() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(SERVICE, "s", service({"app": "renamed"}))]
    assert stack_messages(RULE, stack) == [
        ("s", "spec.selector {'app': 'renamed'} matches the pods of no workload in namespace models")
    ]


def test_other_namespace_does_not_count() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(SERVICE, "s", service({"app": "m"}, namespace="other"))]
    assert stack_messages(RULE, stack) == [
        ("s", "spec.selector {'app': 'm'} matches the pods of no workload in namespace other")
    ]


def test_ingress_to_missing_service() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(INGRESS, "i", ingress("gone"))]
    assert stack_messages(RULE, stack) == [
        ("i", "spec.rules[0].http.paths[0] targets Service 'gone', which the stack does not define in namespace models")
    ]


def test_selectorless_and_external_name_services_are_not_applicable() -> None:
    external = {"metadata": {"name": "x", "namespace": "models"}, "spec": {"type": "ExternalName"}}
    assert stack_messages(RULE, [resource(SERVICE, "s", service({})), resource(SERVICE, "x", external)]) == []


def test_unknown() -> None:
    assert stack_messages(RULE, [resource(SERVICE, "s", service(UNKNOWN))]) == [("s", undecided("spec.selector"))]
