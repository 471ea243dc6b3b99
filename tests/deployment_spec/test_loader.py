"""The loader: valid specs load, and every kind of bad input names its file, line, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployment_spec import SpecError, load_spec

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = (FIXTURES / "minimal.yaml").read_text()


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.exit_code == 2
    return [str(problem) for problem in caught.value.problems]


def test_minimal_spec_loads_with_secure_defaults() -> None:
    loaded = load_spec(FIXTURES / "minimal.yaml")
    spec = loaded.base
    assert spec.metadata.name == "minimal-model"
    assert spec.security.network_isolation is True
    assert spec.serving.kubernetes.service_type == "ClusterIP"
    assert spec.targets == ["aws"]
    assert loaded.declared_environments == ()


@pytest.mark.parametrize("name", ["breast-cancer-screening", "diabetes-progression"])
def test_shipped_specs_load(repo_root: Path, name: str) -> None:
    loaded = load_spec(repo_root / "deployments" / f"{name}.yaml")
    assert loaded.name == name
    assert loaded.for_environment("prod").spec.serving.replicas.min >= 2


def test_overlay_merges_over_base_and_lists_replace(repo_root: Path) -> None:
    loaded = load_spec(repo_root / "deployments" / "breast-cancer-screening.yaml")
    dev = loaded.for_environment("dev").spec
    prod = loaded.for_environment("prod").spec
    assert dev.targets == ["onprem"]
    assert prod.targets == ["aws", "onprem"]
    assert dev.monitoring.capture.percentage == 100
    assert dev.monitoring.capture.enabled is True  # kept from the base: mappings merge key by key
    assert dev.monitoring.notifications.sms == []  # lists replace
    assert dev.monitoring.notifications.emails == ["oncall-diagnostics@example.com"]
    assert prod.serving.instance_type == "ml.c5.xlarge"
    assert prod.serving.replicas.min == 2
    assert loaded.base.serving.replicas.min == 1


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert problems_of(missing) == [f"{missing}:0: (file): file not found (check the path)"]


def test_empty_file(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, ""))
    assert "the file is empty" in problem


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("  task: classification", "  task: [classification"))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:")
    assert "(yaml): malformed YAML" in problem


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, "- a\n- b\n"))
    assert "expected a mapping with apiVersion: slipstack/v1" in problem


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "serving:\n  replcias: {min: 1, max: 2}\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:21: serving.replcias: unknown key 'replcias' (did you mean 'replicas'?")
    assert "allowed: mode, instance_type" in problem


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "serving:\n  replicas: {min: many}\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:21: serving.replicas.min: Input should be a valid integer")
    assert "'many'" in problem


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("  version: 1.0.0\n", ""))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:8: model.version: required field is missing (add 'version'")


def test_literal_lists_allowed_values(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("data_classification: internal", "data_classification: secret"))
    [problem] = problems_of(path)
    assert "metadata.data_classification" in problem
    assert "'public', 'internal', 'confidential' or 'restricted'" in problem


def test_pattern_mismatch_explains_the_form(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("name: minimal-model", "name: Minimal_Model"))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:4: metadata.name: 'Minimal_Model' is not valid")
    assert "DNS label" in problem


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = MINIMAL.replace("task: classification", "task: clustering").replace("version: 1.0.0", "version: one")
    assert len(problems_of(write(tmp_path, text))) == 2


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "targets: [aws]\ntargets: [onprem]\n")
    [problem] = problems_of(path)
    assert "duplicate key 'targets' (first set on line 20" in problem


def test_non_string_key(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, MINIMAL + "1: one\n"))
    assert "key 1 is not a string" in problem


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, MINIMAL + "extra: &loop [*loop]\n"))
    assert "recursive YAML alias" in problem


def test_alias_bomb_is_bounded(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    [problem] = problems_of(write(tmp_path, bomb))
    assert "too large" in problem


def test_newer_api_version_says_upgrade(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, MINIMAL.replace("slipstack/v1", "slipstack/v2")))
    assert "'slipstack/v2' is not supported by this Slipstack (supported: slipstack/v1)" in problem


def test_wrong_kind(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, MINIMAL.replace("kind: ModelDeployment", "kind: Deployment")))
    assert ":2: kind: Input should be 'ModelDeployment'" in problem


def test_overlay_error_is_blamed_on_the_overlay_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "environments:\n  prod:\n    serving:\n      replicas: {min: 3, max: 2}\n")
    problems = problems_of(path)
    assert any(f"{path}:23: environments.prod.serving.replicas.min: min 3 is greater than max 2" in p for p in problems)


def test_overlay_type_error_points_into_overlay(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "environments:\n  dev:\n    monitoring:\n      capture: {percentage: 300}\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:23: environments.dev.monitoring.capture.percentage: ")
    assert "less than or equal to 100" in problem


def test_base_value_error_seen_through_an_environment_points_at_base(tmp_path: Path) -> None:
    text = MINIMAL + "rollout: {strategy: canary, traffic_percent: 80}\nenvironments:\n  dev: {}\n"
    path = write(tmp_path, text)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:20: rollout.traffic_percent: canary of 80% is more than half the fleet")


def test_unknown_environment_and_overlay_section(tmp_path: Path) -> None:
    text = MINIMAL + "environments:\n  qa: {}\n  dev:\n    metadata: {owner: x@example.com}\n"
    problems = problems_of(write(tmp_path, text))
    assert any("environments.qa: Input should be 'dev', 'staging' or 'prod'" in p for p in problems)
    assert any("environments.dev.metadata: unknown key 'metadata'" in p for p in problems)


def test_for_environment_rejects_unknown_name() -> None:
    loaded = load_spec(FIXTURES / "minimal.yaml")
    with pytest.raises(SpecError, match="unknown environment 'qa'"):
        loaded.for_environment("qa")


def test_prod_rules_apply_when_a_stack_resolves_prod() -> None:
    loaded = load_spec(FIXTURES / "minimal.yaml")  # declares no environments: valid as written
    with pytest.raises(SpecError, match="prod needs at least 2 replicas"):
        loaded.for_environment("prod")


def test_relative_paths_resolve_against_the_spec_folder(repo_root: Path) -> None:
    resolved = load_spec(repo_root / "deployments" / "diabetes-progression.yaml").for_environment("dev")
    assert resolved.resolve_path(resolved.spec.model.artifact) == (
        repo_root / "examples" / "artifacts" / "diabetes-progression" / "model.joblib"
    )


def test_latency_threshold_between_buckets_is_reported_at_its_line(tmp_path: Path) -> None:
    text = MINIMAL + "monitoring:\n  latency_p99_ms: 220\n"
    line = text.splitlines().index("  latency_p99_ms: 220") + 1
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.startswith(f"{tmp_path / 'spec.yaml'}:{line}: monitoring.latency_p99_ms: ")
    assert "use 200 or 250" in problem


def test_the_canary_candidate_is_a_spec_of_its_own_only_when_it_gets_traffic(tmp_path: Path, repo_root: Path) -> None:
    text = (repo_root / "deployments" / "breast-cancer-screening.yaml").read_text()
    prod = "  prod:\n    targets: [aws, onprem]\n"
    with_candidate = text.replace(prod, prod + "    rollout: {candidate: {version: 1.1.0, artifact: next.joblib}}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(with_candidate)
    loaded = load_spec(spec)
    prod_spec = loaded.for_environment("prod")
    candidate = prod_spec.canary_candidate()
    assert candidate is not None
    assert (candidate.spec.model.version, candidate.spec.model.artifact) == ("1.1.0", "next.joblib")
    # Everything else is the model's own: the candidate is packaged and checked like it.
    assert candidate.spec.model.signature == prod_spec.spec.model.signature
    assert candidate.resolve_path("next.joblib") == tmp_path / "next.joblib"
    # dev deploys all at once: no candidate gets traffic there.
    assert loaded.for_environment("dev").canary_candidate() is None
