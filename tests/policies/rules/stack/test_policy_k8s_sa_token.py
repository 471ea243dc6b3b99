"""Cases for K8S-SA-TOKEN, including the ServiceAccount-level setting CK_K8S_38 ignores."""

from policy_rule_cases import UNKNOWN, resource, stack_messages, undecided, workload

from policies.rules.stack.k8s_sa_token import RULE

DEP, SA = "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:ServiceAccount"
SA_OFF = {"metadata": {"name": "model", "namespace": "models"}, "automountServiceAccountToken": False}


def test_pass_pod_level_and_sa_level() -> None:
    assert stack_messages(RULE, [resource(DEP, "d", workload(pod={"automountServiceAccountToken": False}))]) == []
    assert (
        stack_messages(
            RULE, [resource(SA, "sa", SA_OFF), resource(DEP, "d", workload(pod={"serviceAccountName": "model"}))]
        )
        == []
    )


def test_pod_opts_in() -> None:
    found = stack_messages(
        RULE,
        [
            resource(SA, "sa", SA_OFF),
            resource(DEP, "d", workload(pod={"serviceAccountName": "model", "automountServiceAccountToken": True})),
        ],
    )
    assert found == [("d", "pod spec sets automountServiceAccountToken: true")]


def test_missing_everywhere() -> None:
    found = stack_messages(RULE, [resource(DEP, "d", workload(pod={"serviceAccountName": "model"}))])
    assert found == [("d", "automountServiceAccountToken is unset on the pod and not false on ServiceAccount model")]


def test_unknown() -> None:
    found = stack_messages(RULE, [resource(DEP, "d", workload(pod={"automountServiceAccountToken": UNKNOWN}))])
    assert found == [("d", undecided("spec.template.spec.automountServiceAccountToken"))]
