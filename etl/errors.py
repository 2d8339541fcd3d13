"""Why a batch is refused: every problem names the file, what is wrong and how to fix it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FileProblem(Exception):
    """One file of a batch cannot be loaded as it is (not frozen: raising sets __traceback__)."""

    file: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}. Fix: {self.fix}."


class BatchRefused(Exception):
    """The whole batch is refused; the database is unchanged."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"Batch refused; the database is unchanged.\n{lines}")
