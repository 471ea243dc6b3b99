"""Fuzzing the loader: no input, however broken, produces anything but a SpecError (never a traceback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deployment_spec import SpecError, load_spec

MINIMAL: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "fixtures" / "minimal.yaml").read_text())
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["aws", "onprem", "prod", "canary", "ml.m5.large", "1.0.0", "latest", "", "~", "null"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(list(MINIMAL))), inner, max_size=4),
    ),
    max_leaves=20,
)


def load_must_fail_cleanly_or_pass(path: Path) -> None:
    try:
        load_spec(path)
    except SpecError as error:
        assert error.problems, "a SpecError always carries at least one problem"
        for problem in error.problems:
            assert str(problem).startswith(f"{path}:")


@FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    load_must_fail_cleanly_or_pass(path)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(raw)
    load_must_fail_cleanly_or_pass(path)


@FUZZ
@given(section=st.sampled_from([*sorted(MINIMAL), "serving", "rollout", "monitoring", "security", "environments"]),
       value=values)
def test_valid_document_with_one_section_replaced(tmp_path: Path, section: str, value: Any) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({**MINIMAL, section: value}))
    load_must_fail_cleanly_or_pass(path)


@FUZZ
@given(environment=st.sampled_from(["dev", "staging", "prod"]), overlay=values)
def test_arbitrary_overlays(tmp_path: Path, environment: str, overlay: Any) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({**MINIMAL, "environments": {environment: overlay}}))
    load_must_fail_cleanly_or_pass(path)


@FUZZ
@given(data=st.data())
def test_mutated_yaml_text(tmp_path: Path, data: st.DataObject) -> None:
    text = yaml.safe_dump(MINIMAL)
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    breakers = [":", "- ", "  ", "\t", "&a ", "*a", "!!python/object:os.system ", "{", "]", "\n"]
    insert = data.draw(st.sampled_from(breakers))
    path = tmp_path / "spec.yaml"
    path.write_text(text[:position] + insert + text[position:])
    load_must_fail_cleanly_or_pass(path)
