"""The JSON Schema editors use: valid draft 2020-12, accepts the shipped specs, rejects what the loader rejects."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from deployment_spec.schema import spec_json_schema


def test_schema_is_valid_and_accepts_shipped_specs(repo_root: Path) -> None:
    schema = spec_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((repo_root / "deployments").glob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert errors == [], f"{path}: {[e.message for e in errors]}"


def test_schema_rejects_unknown_keys_and_documents_fields(repo_root: Path) -> None:
    schema = spec_json_schema()
    data = yaml.safe_load((repo_root / "deployments" / "diabetes-progression.yaml").read_text())
    data["serving"]["replcias"] = {"min": 1}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert schema["$defs"]["Replicas"]["properties"]["min"]["description"]


def test_overlay_sections_complete_without_requiring_keys() -> None:
    schema = spec_json_schema()
    overlay = {"model": {"version": "2.0.0"}, "serving": {"replicas": {"min": 2}}}
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/EnvironmentOverlay"})
    assert list(validator.iter_errors(overlay)) == []
