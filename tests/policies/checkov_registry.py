"""Run by the anchor test under .venv-scan's Python (Checkov pins libraries of its own): prints
{check id: [every resource type or kind it applies to, over all of Checkov's registries]} as JSON."""

import json
import logging

logging.disable(logging.WARNING)

from checkov.cloudformation.checks.resource.registry import cfn_registry  # noqa: E402
from checkov.common.checks_infra.registry import get_graph_checks_registry  # noqa: E402
from checkov.kubernetes.checks.resource.registry import registry as kubernetes_registry  # noqa: E402
from checkov.terraform.checks.data.registry import data_registry  # noqa: E402
from checkov.terraform.checks.resource.registry import resource_registry  # noqa: E402

found: dict[str, set[str]] = {}
for registry in (resource_registry, data_registry, kubernetes_registry, cfn_registry):
    for checks in registry.checks.values():
        for check in checks:
            types = getattr(check, "supported_resources", None) or getattr(check, "supported_entities", ()) or ()
            found.setdefault(check.id, set()).update(types)
for framework in ("terraform", "kubernetes"):
    graph = get_graph_checks_registry(framework)
    graph.load_checks()
    for check in graph.checks:
        found.setdefault(check.id, set()).update(check.resource_types)
print(json.dumps({check_id: sorted(types) for check_id, types in sorted(found.items())}))
