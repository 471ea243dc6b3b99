"""Estimated monthly cost of a plan: instance-hours of SageMaker endpoints and EKS node groups.

Only what runs around the clock at a known size is priced: every production and shadow variant of
an endpoint configuration (instanceType x initialInstanceCount, i.e. the autoscaling floor) and
every EKS managed node group (instanceTypes[0] x scalingConfig.desiredSize). Serverless variants
are billed per request and are listed as not estimated, like anything whose size is unknown until
apply or whose price the table lacks: an estimate never silently counts an unknown as zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.type_tokens import EKS_NODE_GROUP, SM_ENDPOINT_CONFIG
from preview.diff import UNKNOWN_MARK
from preview.errors import PreviewError


class RegionPrices(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sagemaker: dict[str, float] = Field(default_factory=dict, description="SageMaker hosting, per instance-hour.")
    ec2: dict[str, float] = Field(default_factory=dict, description="EC2 on-demand (EKS nodes), per instance-hour.")


class PriceTable(BaseModel):
    """Hourly on-demand prices per region; `as_of` is printed under every estimate."""

    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="The date the prices were taken.")
    currency: str = Field(default="USD", min_length=3, max_length=3, description="ISO 4217 currency code.")
    hours_per_month: float = Field(default=730, gt=0, le=744, description="Hours in the billed month (AWS uses 730).")
    source: str = Field(default="", description="Where the prices come from.")
    regions: dict[str, RegionPrices] = Field(description="Region -> prices.")


def bundled_price_table() -> PriceTable:
    text = resources.files("preview").joinpath("price_table.json").read_text()
    return PriceTable.model_validate_json(text)


def load_price_table(path: Path | None) -> PriceTable:
    """The bundled table, or the one in `path` (which replaces it whole, so its as-of date is the truth)."""
    if path is None:
        return bundled_price_table()
    try:
        return PriceTable.model_validate(json.loads(path.read_text()))
    except OSError as error:
        raise PreviewError(f"{path}: cannot read the price table ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise PreviewError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise PreviewError(
            f"{path}: {where}: {first['msg']} (a price table has as_of, currency, hours_per_month and "
            "regions: {REGION: {sagemaker: {TYPE: hourly}, ec2: {TYPE: hourly}}})"
        ) from None


@dataclass(frozen=True)
class CostLine:
    resource: str  # the Pulumi resource name
    what: str  # "SageMaker variant AllTraffic", "EKS node group"
    instance_type: str
    count: int
    hourly: float
    monthly: float


@dataclass(frozen=True)
class Unpriced:
    resource: str
    reason: str


@dataclass
class CostEstimate:
    region: str
    currency: str
    lines: list[CostLine] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)

    @property
    def monthly(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or value == UNKNOWN_MARK:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def estimate_cost(document: dict[str, Any], table: PriceTable) -> CostEstimate:
    region = str(document.get("region") or "")
    estimate = CostEstimate(region=region, currency=table.currency)
    prices = table.regions.get(region)

    def price(resource: str, what: str, family: str, instance_type: Any, count: Any) -> None:
        number = _count(count)
        if not isinstance(instance_type, str) or instance_type == UNKNOWN_MARK or number is None:
            estimate.unpriced.append(Unpriced(resource, f"{what}: instance type or count unknown until apply"))
            return
        if prices is None:
            reason = f"{what}: no prices for region '{region}' (add it with --prices)"
            estimate.unpriced.append(Unpriced(resource, reason))
            return
        hourly = getattr(prices, family).get(instance_type)
        if hourly is None:
            estimate.unpriced.append(
                Unpriced(resource, f"{what}: {instance_type} is not in the price table (add it with --prices)")
            )
            return
        monthly = round(hourly * number * table.hours_per_month, 2)
        estimate.lines.append(CostLine(resource, what, instance_type, number, hourly, monthly))

    for resource in document.get("resources") or []:
        inputs = resource.get("inputs") or {}
        name = str(resource.get("name", ""))
        if resource.get("type") == SM_ENDPOINT_CONFIG:
            for kind, key in (("variant", "productionVariants"), ("shadow variant", "shadowProductionVariants")):
                for variant in inputs.get(key) or []:
                    if not isinstance(variant, dict):
                        continue
                    what = f"SageMaker {kind} {variant.get('variantName', '?')}"
                    if variant.get("serverlessConfig"):
                        estimate.unpriced.append(Unpriced(name, f"{what}: serverless, billed per request"))
                        continue
                    price(name, what, "sagemaker", variant.get("instanceType"), variant.get("initialInstanceCount"))
        elif resource.get("type") == EKS_NODE_GROUP:
            types = inputs.get("instanceTypes")
            # AWS defaults a managed node group to t3.medium when instanceTypes is left out.
            instance_type = types[0] if isinstance(types, list) and types else ("t3.medium" if types is None else types)
            scaling = inputs.get("scalingConfig") or {}
            what = "EKS node group" + (" (spot; on-demand price shown)" if inputs.get("capacityType") == "SPOT" else "")
            price(name, what, "ec2", instance_type, scaling.get("desiredSize"))
    return estimate
