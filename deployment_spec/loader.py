"""Load a spec file, merge its environment overlays, and report every problem with its file and line.

Errors read `file:line: path.to.field: what is wrong (what is allowed)`. The YAML is walked node by
node so each value keeps the line it came from; a value merged in from `environments.<env>` keeps the
overlay's line, so a bad override is blamed where it was written, not in the base section.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from deployment_spec.cross_checks import run_cross_checks
from deployment_spec.errors import SpecError, SpecProblem
from deployment_spec.model import API_VERSION, ENVIRONMENTS, KIND, ModelDeployment

Loc = tuple[str | int, ...]
# Bounds that keep a hostile file from exhausting memory through alias expansion or nesting.
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_FILE_BYTES = 4 * 1024 * 1024
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def format_path(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(document)"


# --- YAML with line numbers ----------------------------------------------------------------------


class _LineTrackingReader:
    """Turns a YAML node graph into plain data plus a map from each value's path to its line."""

    def __init__(self, loader: yaml.SafeLoader, file: str):
        self.loader = loader
        self.file = file
        self.lines: dict[Loc, int] = {}
        self.problems: list[SpecProblem] = []
        self.nodes = 0
        self._active: set[int] = set()

    def read(self, node: yaml.Node, loc: Loc = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES or len(loc) > MAX_DEPTH:
            raise _TooLarge(node.start_mark.line + 1)
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in self._active:  # an alias that contains itself
            self.problems.append(
                SpecProblem(self.file, node.start_mark.line + 1, format_path(loc), "recursive YAML alias (remove it)")
            )
            return None
        if isinstance(node, yaml.MappingNode):
            self._active.add(id(node))
            try:
                return self._mapping(node, loc)
            finally:
                self._active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self._active.add(id(node))
            try:
                return [self.read(item, (*loc, index)) for index, item in enumerate(node.value)]
            finally:
                self._active.discard(id(node))
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # resolves `<<:` merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                self.problems.append(
                    SpecProblem(self.file, line, format_path(loc), f"key {key!r} is not a string (quote it)")
                )
                continue
            if key in result:
                self.problems.append(
                    SpecProblem(
                        self.file, line, format_path((*loc, key)),
                        f"duplicate key '{key}' (first set on line {self.lines[(*loc, key)]}; keep one)",
                    )
                )
                continue
            self.lines[(*loc, key)] = line
            result[key] = self.read(value_node, (*loc, key))
        return result


class _TooLarge(Exception):
    def __init__(self, line: int):
        self.line = line


def read_yaml_with_lines(path: Path) -> tuple[Any, dict[Loc, int]]:
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([SpecProblem(file, 0, "(file)", "file not found (check the path)")]) from None
    except IsADirectoryError:
        raise SpecError([SpecProblem(file, 0, "(file)", "is a directory, not a spec file")]) from None
    except OSError as error:
        raise SpecError([SpecProblem(file, 0, "(file)", f"cannot read: {error.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError([SpecProblem(file, 0, "(file)", f"larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError(
            [SpecProblem(file, 0, "(file)", f"not UTF-8 text (byte {error.start}); save the file as UTF-8")]
        ) from None
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError([SpecProblem(file, 1, "(document)", "the file is empty (expected a ModelDeployment)")])
        reader = _LineTrackingReader(loader, file)
        data = reader.read(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        what = " ".join(part for part in (error.context, error.problem) if part)
        raise SpecError([SpecProblem(file, line, "(yaml)", f"malformed YAML: {what}")]) from None
    except yaml.YAMLError as error:
        raise SpecError([SpecProblem(file, 0, "(yaml)", f"malformed YAML: {error}")]) from None
    except _TooLarge as error:
        raise SpecError(
            [SpecProblem(file, error.line, "(yaml)", "document too large or too deeply nested (alias expansion?)")]
        ) from None
    except (ValueError, TypeError, OverflowError) as error:  # a scalar PyYAML cannot construct (e.g. bad date)
        raise SpecError([SpecProblem(file, 0, "(yaml)", f"malformed YAML value: {error}")]) from None
    finally:
        loader.dispose()
    if reader.problems:
        raise SpecError(reader.problems)
    return data, reader.lines


# --- pydantic errors in the spec's words ---------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Optional/Union/Annotated removed)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _walk(loc: Loc) -> tuple[list[Any], Any]:
    """The types a value at `loc` may have, and the FieldInfo of the field that holds it (or None)."""
    candidates: list[Any] = [ModelDeployment]
    info: Any = None
    for part in loc:
        next_candidates: list[Any] = []
        info = None
        for candidate in candidates:
            origin = typing.get_origin(candidate)
            if isinstance(part, int) and origin is list:
                next_candidates += _unwrap(typing.get_args(candidate)[0])
            elif isinstance(part, str) and origin is dict:
                next_candidates += _unwrap(typing.get_args(candidate)[1])
            elif isinstance(part, str) and isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, field_info in candidate.model_fields.items():
                    if part in (name, field_info.alias):
                        info = field_info
                        next_candidates += _unwrap(field_info.annotation)
        candidates = next_candidates
    return candidates, info


def _field_info(loc: Loc) -> Any:
    return _walk(loc)[1]


def _allowed_keys(loc: Loc) -> list[str]:
    models = [t for t in _walk(loc)[0] if isinstance(t, type) and issubclass(t, BaseModel)]
    return [info.alias or name for model in models for name, info in model.model_fields.items()]


def _describe(error: dict[str, Any], loc: Loc) -> tuple[Loc, str]:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return loc, f"unknown key '{key}' ({hint}allowed: {', '.join(allowed)})"
    if kind == "missing":
        info = _field_info(loc)
        about = f": {info.description}" if info is not None and info.description else ""
        return loc, f"required field is missing (add '{loc[-1]}'{about})"
    if kind == "string_pattern_mismatch":
        info = _field_info(loc)
        rule = info.description if info is not None and info.description else f"pattern {error['ctx']['pattern']}"
        return loc, f"{value!r} is not valid (expected: {rule})"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        return loc, message.removeprefix("Value error, ")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return loc, f"{message} (got {shown})"


def _problems_from_validation(
    error: ValidationError, locate: typing.Callable[[Loc], tuple[int, Loc]], file: str
) -> list[SpecProblem]:
    problems = []
    for item in error.errors(include_url=False):
        # Pydantic marks a bad mapping key as a trailing "[key]"; the key's own path says it better.
        loc: Loc = tuple(part for part in item["loc"] if part != "[key]")
        loc, message = _describe(dict(item), loc)
        line, shown_loc = locate(loc)
        problems.append(SpecProblem(file, line, format_path(shown_loc), message))
    return problems


# --- overlays ------------------------------------------------------------------------------------


def _merge(
    base: dict[str, Any], overlay: dict[str, Any], origin: dict[Loc, tuple[int, Loc]],
    overlay_lines: dict[Loc, int], base_loc: Loc, overlay_loc: Loc,
) -> dict[str, Any]:
    """Deep-merge `overlay` into a copy of `base`; mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in overlay.items():
        target_loc, source_loc = (*base_loc, key), (*overlay_loc, key)
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            origin[target_loc] = (overlay_lines.get(source_loc, 0), source_loc)
            merged[key] = _merge(merged[key], value, origin, overlay_lines, target_loc, source_loc)
            continue
        # A replaced value's old sub-paths must not keep pointing at base lines.
        for stale in [loc for loc in origin if loc[: len(target_loc)] == target_loc]:
            del origin[stale]
        merged[key] = copy.deepcopy(value)
        for loc, line in overlay_lines.items():
            if loc[: len(source_loc)] == source_loc:
                origin[(*target_loc, *loc[len(source_loc):])] = (line, loc)
    return merged


# --- the loaded spec -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedSpec:
    """A spec with one environment's overrides merged in: what the stacks deploy."""

    spec: ModelDeployment
    environment: str
    source: Path

    @property
    def name(self) -> str:
        return self.spec.metadata.name

    def resolve_path(self, value: str) -> Path:
        """A path written in the spec, relative to the spec file's folder."""
        path = Path(value)
        return path if path.is_absolute() else (self.source.parent / path).resolve()

    def canary_candidate(self) -> ResolvedSpec | None:
        """The candidate as a spec of its own (its version and artifact as the model's), when it gets traffic.

        A candidate receives traffic only under a canary or linear rollout with a traffic share; the on-prem
        stack then runs it beside the stable version, so it is packaged and published like the model itself.
        """
        rollout = self.spec.rollout
        candidate = rollout.candidate
        if candidate is None or rollout.strategy == "all_at_once" or not rollout.traffic_percent:
            return None
        model = self.spec.model.model_copy(update={"version": candidate.version, "artifact": candidate.artifact})
        return ResolvedSpec(self.spec.model_copy(update={"model": model}), self.environment, self.source)


@dataclass(frozen=True)
class LoadedSpec:
    source: Path
    base: ModelDeployment
    raw: dict[str, Any] = field(repr=False)
    lines: dict[Loc, int] = field(repr=False)
    _resolved: dict[str, ResolvedSpec] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.base.metadata.name

    @cached_property
    def declared_environments(self) -> tuple[str, ...]:
        return tuple(env for env in ENVIRONMENTS if env in self.base.environments)

    def for_environment(self, environment: str) -> ResolvedSpec:
        """Merge `environments.<environment>` over the base and check the result; raise SpecError if invalid."""
        if environment not in ENVIRONMENTS:
            raise SpecError(
                [SpecProblem(str(self.source), 0, "environments", f"unknown environment '{environment}' "
                             f"(allowed: {', '.join(ENVIRONMENTS)})")]
            )
        if environment not in self._resolved:
            self._resolved[environment] = _resolve(self, environment)
        return self._resolved[environment]


def _resolve(loaded: LoadedSpec, environment: str) -> ResolvedSpec:
    file = str(loaded.source)
    base_raw = {key: value for key, value in loaded.raw.items() if key != "environments"}
    origin: dict[Loc, tuple[int, Loc]] = {loc: (line, loc) for loc, line in loaded.lines.items()}
    overlay = (loaded.raw.get("environments") or {}).get(environment) or {}
    overlay_loc: Loc = ("environments", environment)
    overlay_lines = {loc: line for loc, line in loaded.lines.items() if loc[:2] == overlay_loc}
    merged = _merge(base_raw, overlay, origin, overlay_lines, (), overlay_loc)

    def locate(loc: Loc) -> tuple[int, Loc]:
        for end in range(len(loc), -1, -1):
            if loc[:end] in origin:
                line, shown = origin[loc[:end]]
                return line, (*shown, *loc[end:])
        return 0, loc

    try:
        spec = ModelDeployment.model_validate(merged)
    except ValidationError as error:
        raise SpecError(_problems_from_validation(error, locate, file)) from None
    problems = [
        SpecProblem(file, *(lambda located: (located[0], format_path(located[1])))(locate(loc)), message)
        for loc, message in run_cross_checks(spec, environment)
    ]
    if problems:
        raise SpecError(problems)
    return ResolvedSpec(spec=spec, environment=environment, source=loaded.source)


def load_spec(path: str | Path) -> LoadedSpec:
    """Read and validate a spec file: the base and every environment it declares. Raises SpecError."""
    source = Path(path)
    file = str(source)
    data, lines = read_yaml_with_lines(source)
    if not isinstance(data, dict):
        raise SpecError(
            [SpecProblem(file, 1, "(document)", f"expected a mapping with apiVersion: {API_VERSION} and kind: "
                         f"{KIND}, got {type(data).__name__}")]
        )
    api_version = data.get("apiVersion")
    if api_version != API_VERSION and isinstance(api_version, str) and api_version.startswith("slipstack/"):
        raise SpecError(
            [SpecProblem(file, lines.get(("apiVersion",), 1), "apiVersion",
                         f"'{api_version}' is not supported by this Slipstack (supported: {API_VERSION}); "
                         "upgrade Slipstack or rewrite the spec")]
        )

    def locate(loc: Loc) -> tuple[int, Loc]:
        for end in range(len(loc), -1, -1):
            if loc[:end] in lines:
                return lines[loc[:end]], loc
        return 0, loc

    try:
        base = ModelDeployment.model_validate(data)
    except ValidationError as error:
        raise SpecError(_problems_from_validation(error, locate, file)) from None
    loaded = LoadedSpec(source=source.resolve(), base=base, raw=data, lines=lines)
    problems: list[SpecProblem] = []
    for environment in loaded.declared_environments or ENVIRONMENTS[:1]:
        try:
            loaded.for_environment(environment)
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(_dedupe(problems))
    return loaded


def _dedupe(problems: list[SpecProblem]) -> list[SpecProblem]:
    seen: dict[tuple[int, str, str], SpecProblem] = {}
    for problem in problems:
        seen.setdefault((problem.line, problem.path, problem.message), problem)
    return sorted(seen.values(), key=lambda p: (p.file, p.line, p.path))


def iter_spec_files(paths: list[Path]) -> Iterator[Path]:
    """Spec files named directly, or every *.yaml / *.yml in a named folder."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            yield path
