"""Errors of the spec loader: every problem found, each with its file, line and field path."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.errors import SlipstackError


@dataclass(frozen=True)
class SpecProblem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class SpecError(SlipstackError):
    """A spec that does not load; carries every problem, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
