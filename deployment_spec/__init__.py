"""The model deployment spec: its pydantic model tree, loader and errors.

Import from here: `load_spec(path)` returns a `LoadedSpec`; `LoadedSpec.for_environment(env)` the
`ResolvedSpec` with that environment's overrides merged in.
"""

from deployment_spec.errors import SpecError, SpecProblem
from deployment_spec.loader import LoadedSpec, ResolvedSpec, iter_spec_files, load_spec
from deployment_spec.model import API_VERSION, ENVIRONMENTS, KIND, ModelDeployment

__all__ = [
    "API_VERSION",
    "ENVIRONMENTS",
    "KIND",
    "LoadedSpec",
    "ModelDeployment",
    "ResolvedSpec",
    "SpecError",
    "SpecProblem",
    "iter_spec_files",
    "load_spec",
]
