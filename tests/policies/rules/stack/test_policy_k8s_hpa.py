"""Cases for K8S-HPA."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided, workload

from policies.rules.stack.k8s_hpa import RULE

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def hpa(low: object = 2, high: object = 4, target: str = "m") -> dict:
    return {
        "metadata": {"name": "h", "namespace": "models"},
        "spec": {"minReplicas": low, "maxReplicas": high, "scaleTargetRef": {"kind": "Deployment", "name": target}},
    }


def pdb(least: int) -> dict:
    return {
        "metadata": {"namespace": "models"},
        "spec": {"minAvailable": least, "selector": {"matchLabels": {"app": "m"}}},
    }


def test_pass() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(HPA, "h", hpa()), resource(PDB, "p", pdb(1))]
    assert stack_messages(RULE, stack) == []


def test_target_missing() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(HPA, "h", hpa(target="gone"))]
    assert stack_messages(RULE, stack) == [
        ("h", "spec.scaleTargetRef Deployment/gone is not a workload of this stack in namespace models")
    ]


def test_cannot_scale() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(HPA, "h", hpa(low=3, high=3))]
    assert stack_messages(RULE, stack) == [
        ("h", "maxReplicas 3 must be greater than minReplicas 3, or the autoscaler cannot scale")
    ]


def test_budget_blocks_drain_at_minimum() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(HPA, "h", hpa()), resource(PDB, "p", pdb(2))]
    assert stack_messages(RULE, stack) == [
        ("h", "PodDisruptionBudget p minAvailable 2 >= minReplicas 2: at the minimum no pod may be evicted")
    ]


def test_missing_min_defaults_to_one() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(HPA, "h", hpa(low=None, high=1))]
    assert stack_messages(RULE, stack) == [
        ("h", "maxReplicas 1 must be greater than minReplicas 1, or the autoscaler cannot scale")
    ]


def test_unknown() -> None:
    stack = [resource(DEPLOYMENT, "d", workload()), resource(HPA, "h", hpa(high=UNKNOWN))]
    assert stack_messages(RULE, stack) == [("h", undecided("spec.maxReplicas"))]
