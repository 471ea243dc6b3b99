"""The monthly cost estimate: instance-hours from the price table, never an unknown counted as zero."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_plans import resource

from preview.cost import bundled_price_table, estimate_cost, load_price_table
from preview.errors import PreviewError

CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"


def _plan(*resources: dict, region: str = "eu-west-1") -> dict:
    return {"region": region, "resources": list(resources)}


def _config(variants: list[dict], shadow: list[dict] | None = None) -> dict:
    inputs: dict = {"productionVariants": variants}
    if shadow:
        inputs["shadowProductionVariants"] = shadow
    return resource("prod", CONFIG, "m-config", inputs)


def test_variants_and_node_groups_are_priced_by_instance_hours() -> None:
    plan = _plan(
        _config(
            [{"variantName": "AllTraffic", "instanceType": "ml.m5.large", "initialInstanceCount": 2}],
            shadow=[{"variantName": "Shadow", "instanceType": "ml.m5.large", "initialInstanceCount": 1}],
        ),
        resource(
            "prod", "aws:eks/nodeGroup:NodeGroup", "nodes",
            {"instanceTypes": ["m6i.large"], "scalingConfig": {"desiredSize": 3}},
        ),
    )
    estimate = estimate_cost(plan, bundled_price_table())
    assert [(line.what, line.count, line.monthly) for line in estimate.lines] == [
        ("SageMaker variant AllTraffic", 2, round(0.128 * 2 * 730, 2)),
        ("SageMaker shadow variant Shadow", 1, round(0.128 * 730, 2)),
        ("EKS node group", 3, round(0.107 * 3 * 730, 2)),
    ]
    assert estimate.monthly == round(0.128 * 3 * 730 + 0.107 * 3 * 730, 2)
    assert not estimate.unpriced


def test_serverless_unknown_and_unlisted_are_reported_not_counted() -> None:
    plan = _plan(
        _config(
            [
                {"variantName": "Serverless", "serverlessConfig": {"memorySizeInMb": 2048, "maxConcurrency": 5}},
                {"variantName": "Later", "instanceType": "ml.m5.large",
                 "initialInstanceCount": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
                {"variantName": "Exotic", "instanceType": "ml.p5.48xlarge", "initialInstanceCount": 1},
            ]
        )
    )
    estimate = estimate_cost(plan, bundled_price_table())
    assert estimate.monthly == 0 and not estimate.lines
    reasons = [item.reason for item in estimate.unpriced]
    assert "serverless, billed per request" in reasons[0]
    assert "unknown until apply" in reasons[1]
    assert "ml.p5.48xlarge is not in the price table" in reasons[2]


def test_unknown_region_is_reported() -> None:
    plan = _plan(_config([{"variantName": "A", "instanceType": "ml.m5.large", "initialInstanceCount": 1}]),
                 region="ap-south-2")
    (item,) = estimate_cost(plan, bundled_price_table()).unpriced
    assert "no prices for region 'ap-south-2'" in item.reason


def test_price_file_replaces_the_bundled_table(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"as_of": "2026-10-01", "currency": "EUR", "regions": {
        "eu-west-1": {"sagemaker": {"ml.m5.large": 0.1}}}}))
    table = load_price_table(path)
    assert str(table.as_of) == "2026-10-01" and table.currency == "EUR"
    plan = _plan(_config([{"variantName": "A", "instanceType": "ml.m5.large", "initialInstanceCount": 1}]))
    assert estimate_cost(plan, table).monthly == 73.0


def test_bad_price_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"as_of": "yesterday", "regions": {}}))
    with pytest.raises(PreviewError, match=r"prices.json: as_of: .*a price table has as_of"):
        load_price_table(path)
