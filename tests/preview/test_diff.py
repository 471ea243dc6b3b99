"""The offline diff over pairs of plans: add, remove, change, masked secrets, no change."""

from __future__ import annotations

from pathlib import Path

from example_plans import clone, example_plans, resource, write_plan_set

from preview.diff import MASKED, UNKNOWN, diff_inputs, diff_stack, flatten
from preview.plans import read_stack_plan

BUCKET = "aws:s3/bucket:Bucket"


def _stack(tmp_path: Path, name: str, document: dict) -> object:
    write_plan_set(tmp_path / name, {document["stack"]: document})
    return read_stack_plan(tmp_path / name / document["stack"])


def test_no_change_between_identical_plans(tmp_path: Path) -> None:
    document = example_plans("head")["prod"]
    diff = diff_stack("prod", _stack(tmp_path, "a", document), _stack(tmp_path, "b", clone(document)))
    assert not diff.has_changes
    assert diff.unchanged == len(document["resources"])


def test_added_and_removed_resources_match_by_urn(tmp_path: Path) -> None:
    base = example_plans("base")["staging"]
    head = example_plans("head")["staging"]
    diff = diff_stack("staging", _stack(tmp_path, "base", base), _stack(tmp_path, "head", head))
    assert [r.name for r in diff.added] == ["breast-cancer-screening-latency-p99"]
    assert [r.type for r in diff.added] == ["aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert [r.name for r in diff.removed] == ["breast-cancer-screening-debug"]


def test_changed_resource_lists_the_paths_that_differ(tmp_path: Path) -> None:
    diff = diff_stack(
        "prod",
        _stack(tmp_path, "base", example_plans("base")["prod"]),
        _stack(tmp_path, "head", example_plans("head")["prod"]),
    )
    by_name = {item.resource.name: item for item in diff.changed}
    config = by_name["breast-cancer-screening-config"]
    assert [(c.path, c.before, c.after) for c in config.paths] == [
        ("productionVariants[0].initialInstanceCount", "2", "3")
    ]
    model_paths = {c.path for c in by_name["breast-cancer-screening-model"].paths}
    assert model_paths == {"primaryContainer.modelDataUrl", "tags.slipstack:model-version"}
    # Unchanged resources (the endpoint, the bucket, ...) are not listed as changed.
    assert "breast-cancer-screening-endpoint" not in by_name


def test_secret_change_is_masked_on_both_sides(tmp_path: Path) -> None:
    diff = diff_stack(
        "dev",
        _stack(tmp_path, "base", example_plans("base")["dev"]),
        _stack(tmp_path, "head", example_plans("head")["dev"]),
    )
    secret = next(item for item in diff.changed if item.resource.type == "kubernetes:core/v1:Secret")
    (change,) = secret.paths
    assert change.masked and change.before == MASKED and change.after == MASKED
    assert "ghp_plaintextTokenThatMustNotLeak" not in repr(diff.changed)


def test_value_under_a_secret_looking_key_is_masked_even_if_not_marked() -> None:
    (change,) = diff_inputs({"dbPassword": "old-one"}, {"dbPassword": "new-one"})
    assert change.masked and change.before == MASKED and change.after == MASKED


def test_object_replaced_by_a_secret_masks_its_former_fields() -> None:
    changes = diff_inputs({"env": {"user": "alice", "region": "eu"}}, {"env": "[secret]"})
    assert {c.path for c in changes} == {"env", "env.region", "env.user"}
    assert all(c.masked for c in changes)
    assert "alice" not in repr(changes)


def test_plain_changes_stay_visible_and_unknowns_read_known_after_apply() -> None:
    changes = diff_inputs(
        {"name": "a", "arn": "arn:aws:kms:eu-west-1:1:key/x"},
        {"name": "b", "arn": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
    )
    assert [(c.path, c.before, c.after, c.masked) for c in changes] == [
        ("arn", "arn:aws:kms:eu-west-1:1:key/x", UNKNOWN, False),
        ("name", "a", "b", False),
    ]


def test_added_and_removed_paths_show_absent_sides() -> None:
    changes = diff_inputs({"a": 1}, {"b": [1, 2]})
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("a", "1", None),
        ("b[0]", None, "1"),
        ("b[1]", None, "2"),
    ]


def test_flatten_keeps_empty_containers_as_leaves() -> None:
    assert flatten({"a": {}, "b": [], "c": {"d": [{"e": 1}]}}) == {"a": {}, "b": [], "c.d[0].e": 1}


def test_missing_base_makes_every_head_resource_added(tmp_path: Path) -> None:
    head = example_plans("head")["dev"]
    diff = diff_stack("dev", None, _stack(tmp_path, "head", head))
    assert len(diff.added) == len(head["resources"]) and not diff.removed and not diff.changed


def test_a_resource_with_a_new_parent_is_a_delete_and_a_create(tmp_path: Path) -> None:
    base = example_plans("base")["dev"]
    head = clone(base)
    moved = resource("dev", BUCKET, "logs", {"bucket": "logs"}, parent=("slipstack:aws:Logs", "logs"))
    kept = resource("dev", BUCKET, "logs", {"bucket": "logs"})
    base["resources"].append(kept)
    head["resources"].append(moved)
    diff = diff_stack("dev", _stack(tmp_path, "base", base), _stack(tmp_path, "head", head))
    assert [r.urn for r in diff.added] == [moved["urn"]]
    assert [r.urn for r in diff.removed] == [kept["urn"]]
