"""Cases for K8S-NAMESPACE, including the namespace set on the kubernetes provider (CK_K8S_21 misfires there)."""

from policy_rule_cases import UNKNOWN, messages, undecided

from policies.rules.k8s.namespace import RULE

SVC = "kubernetes:core/v1:Service"
FAIL = "namespace is {} (resource and provider); use the model's namespace"


def test_pass_on_resource() -> None:
    assert messages(RULE, {"metadata": {"namespace": "models"}}, type_=SVC) == []


def test_pass_from_provider() -> None:
    assert messages(RULE, {"metadata": {}}, type_=SVC, provider={"namespace": "models"}) == []


def test_default_namespace_fails() -> None:
    assert messages(RULE, {"metadata": {"namespace": "default"}}, type_=SVC) == [FAIL.format("default")]


def test_missing_fails() -> None:
    assert messages(RULE, {}, type_=SVC, provider={}) == [FAIL.format("unset")]


def test_unknown() -> None:
    assert messages(RULE, {"metadata": {"namespace": UNKNOWN}}, type_=SVC) == [undecided("metadata.namespace")]
    assert messages(RULE, {}, type_=SVC, provider={"namespace": UNKNOWN}) == [undecided("namespace")]
