"""The JSON Schema of the spec, for editors (yaml-language-server) and for CI checks of spec files."""

from __future__ import annotations

import copy
from typing import Any

from deployment_spec.model import API_VERSION, ModelDeployment

SCHEMA_ID = "https://slipstack.dev/schemas/slipstack-v1-modeldeployment.json"
# Overlay sections are free-form mappings in the model (they are validated after merging); in the
# schema they point at their section's definition so editors still complete their keys.
_OVERLAY_SECTIONS = {
    "model": "ModelSection",
    "serving": "Serving",
    "rollout": "Rollout",
    "monitoring": "Monitoring",
    "security": "Security",
}


def spec_json_schema() -> dict[str, Any]:
    schema = ModelDeployment.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = f"Slipstack {API_VERSION} ModelDeployment"
    overlay = schema["$defs"]["EnvironmentOverlay"]["properties"]
    for section, definition in _OVERLAY_SECTIONS.items():
        # Overlays are partial: the section's keys are offered, none of them is required.
        partial = copy.deepcopy(schema["$defs"][definition])
        partial.pop("required", None)
        schema["$defs"][f"{definition}Overlay"] = partial
        overlay[section] = {
            "description": overlay[section].get("description", ""),
            "anyOf": [{"$ref": f"#/$defs/{definition}Overlay"}, {"type": "null"}],
        }
    return schema
