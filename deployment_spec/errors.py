"""Errors of the spec loader: every problem found, each with its file, line and field path."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.errors import SlipstackError, shown_path


@dataclass(frozen=True)
class SpecProblem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        # "<string>"-style sources (a spec given as text) are not paths.
        where = self.file if not self.file or self.file.startswith("<") else shown_path(self.file)
        return f"{where}:{self.line}: {self.path}: {self.message}"


class SpecError(SlipstackError):
    """A spec that does not load; carries every problem, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
