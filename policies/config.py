"""The policy config: one JSON file per environment, usable both as Pulumi's `--policy-pack-config`
and as `slipstack policy --config`.

The format is Pulumi's: a rule id (or "all") maps to an enforcement level or to an object with
`enforcementLevel` plus this pack's properties, `environment` and `exemptions`
(`[{"resource": urn-or-name, "reason": "...", "match": optional text of the one finding}]`).
`match` lets an exemption cover a single finding (one wildcard action) rather than the whole
resource, the lesson of cdk-nag's over-suppressed IAM5.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies.errors import PolicyConfigError
from policies.rule import Enforcement, Rule

ENVIRONMENTS = ("dev", "staging", "prod")
CONFIG_DIR = Path(__file__).parent / "config"


class Exemption(BaseModel):
    """One waived finding; the reason is mandatory and is printed with every verdict."""

    model_config = ConfigDict(extra="forbid")

    resource: str = Field(min_length=1, description="URN or logical name of the exempted resource.")
    reason: str = Field(description="Why the finding is accepted; must not be empty.")
    match: str | None = Field(default=None, description="Only findings whose message contains this text are exempted.")

    @field_validator("reason")
    @classmethod
    def reason_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reason is empty; every exemption needs a reason")
        return value.strip()

    def covers(self, urn: str, name: str, message: str) -> bool:
        if self.resource not in (urn, name):
            return False
        return self.match is None or self.match in message


class RuleSettings(BaseModel):
    """Per-rule settings in the config file."""

    model_config = ConfigDict(extra="forbid")

    enforcementLevel: Enforcement | None = Field(default=None, description="Overrides the rule's default.")
    environment: Literal["dev", "staging", "prod"] | None = Field(
        default=None, description="Environment the stack deploys to; env-dependent rules read it."
    )
    exemptions: list[Exemption] = Field(default_factory=list, description="Waived findings.")


class PolicyConfig(BaseModel):
    """A parsed config: settings per rule id, plus the pack-wide level under "all"."""

    model_config = ConfigDict(extra="forbid")

    all: Enforcement | None = None
    rules: dict[str, RuleSettings] = Field(default_factory=dict)
    source: str = "<defaults>"

    @property
    def environment(self) -> str | None:
        """The one environment the file declares (None when it declares none)."""
        found = {s.environment for s in self.rules.values() if s.environment is not None}
        if len(found) > 1:
            raise PolicyConfigError(
                f"{self.source}: rules declare different environments {sorted(found)}; use one per file"
            )
        return found.pop() if found else None

    def level(self, rule: Rule, environment: str | None) -> Enforcement:
        settings = self.rules.get(rule.id)
        if settings is not None and settings.enforcementLevel is not None:
            return settings.enforcementLevel
        if self.all is not None:
            return self.all
        return rule.default_level(environment)

    def exemptions(self, rule_id: str) -> list[Exemption]:
        settings = self.rules.get(rule_id)
        return settings.exemptions if settings else []


def parse_policy_config(raw: Any, source: str, known_ids: list[str]) -> PolicyConfig:
    """Validate a config object; unknown rule ids get the closest known ids suggested."""
    if not isinstance(raw, dict):
        raise PolicyConfigError(
            f"{source}: expected a JSON object mapping rule ids to a level or settings, got {type(raw).__name__}"
        )
    rules: dict[str, RuleSettings] = {}
    all_level: Any = None
    for key, value in raw.items():
        if key == "all":
            all_level = value.get("enforcementLevel") if isinstance(value, dict) else value
            continue
        if key not in known_ids:
            close = difflib.get_close_matches(key, known_ids, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; run `slipstack policy --list` for the ids"
            raise PolicyConfigError(f"{source}: unknown rule id {key!r}{hint}")
        settings = {"enforcementLevel": value} if isinstance(value, str) else value
        try:
            rules[key] = RuleSettings.model_validate(settings)
        except ValidationError as error:
            raise PolicyConfigError(f"{source}: {key}: {_describe(error)}") from None
    try:
        return PolicyConfig(all=all_level, rules=rules, source=source)
    except ValidationError as error:
        raise PolicyConfigError(f"{source}: all: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "<value>"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is missing" + ("; every exemption needs a reason" if where.endswith("reason") else "")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def load_policy_config(path: Path, known_ids: list[str]) -> PolicyConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyConfigError(f"cannot read policy config {path}: {error.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})") from None
    return parse_policy_config(raw, str(path), known_ids)


def render_pack_config(rules: tuple[Rule, ...], environment: str) -> dict[str, Any]:
    """The shipped config for one environment: every rule with its level and the environment."""
    return {
        rule.id: {"enforcementLevel": rule.default_level(environment), "environment": environment} for rule in rules
    }


def bundled_config(environment: str, known_ids: list[str]) -> PolicyConfig:
    path = CONFIG_DIR / f"{environment}.json"
    if not path.exists():
        return PolicyConfig()
    return load_policy_config(path, known_ids)
