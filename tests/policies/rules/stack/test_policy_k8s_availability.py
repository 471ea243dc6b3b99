"""Cases for K8S-AVAILABILITY."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided, workload

from policies.rules.stack.k8s_availability import RULE

DEP, HPA, PDB = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:policy/v1:PodDisruptionBudget",
)


def dep(replicas: object = 2) -> dict:
    props = workload()
    props["spec"]["replicas"] = replicas
    return props


def pdb(**spec: object) -> dict:
    return {"metadata": {"namespace": "models"}, "spec": {"selector": {"matchLabels": {"app": "m"}}, **spec}}


def test_pass() -> None:
    assert stack_messages(RULE, [resource(DEP, "d", dep(2)), resource(PDB, "pdb", pdb(maxUnavailable=1))]) == []
    hpa = {
        "metadata": {"namespace": "models"},
        "spec": {"minReplicas": 2, "scaleTargetRef": {"kind": "Deployment", "name": "m"}},
    }
    assert (
        stack_messages(
            RULE, [resource(DEP, "d", dep(None)), resource(HPA, "h", hpa), resource(PDB, "pdb", pdb(maxUnavailable=1))]
        )
        == []
    )


def test_failures() -> None:
    found = stack_messages(RULE, [resource(DEP, "d", dep(1)), resource(PDB, "pdb", pdb(maxUnavailable=0))])
    assert found == [
        ("d", "replicas is 1 and no HorizontalPodAutoscaler; prod needs at least 2"),
        ("d", "PodDisruptionBudget pdb allows no disruption; node drains would hang"),
    ]
    assert stack_messages(RULE, [resource(DEP, "d", dep(1))], env="staging") == []


def test_missing() -> None:
    assert stack_messages(RULE, [resource(DEP, "d", dep(2))]) == [("d", "no PodDisruptionBudget selects its pods")]


def test_unknown() -> None:
    assert stack_messages(RULE, [resource(DEP, "d", dep(UNKNOWN))]) == [("d", undecided("spec.replicas"))]
