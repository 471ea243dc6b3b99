"""Cases for K8S-NETPOL."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided, workload

from policies.rules.stack.k8s_netpol import RULE

DEP, NP = "kubernetes:apps/v1:Deployment", "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DENY = {"metadata": {"namespace": "models"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
MISSING = ("d", "namespace models runs workloads but has no default-deny ingress NetworkPolicy")


def test_pass() -> None:
    assert stack_messages(RULE, [resource(NP, "deny", DENY), resource(DEP, "d", workload())]) == []


def test_policy_allows_ingress() -> None:
    allowing = {
        "metadata": {"namespace": "models"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
    }
    assert stack_messages(RULE, [resource(NP, "np", allowing), resource(DEP, "d", workload())]) == [MISSING]


def test_missing() -> None:
    assert stack_messages(RULE, [resource(DEP, "d", workload())]) == [MISSING]


def test_unknown() -> None:
    props = workload()
    props["metadata"]["namespace"] = UNKNOWN
    assert stack_messages(RULE, [resource(DEP, "d", props)]) == [("d", undecided("metadata.namespace"))]
