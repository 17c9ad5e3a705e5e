"""Problems: the one value every check produces, and the exit codes of the CLI.

Checks never raise for bad user input; they *yield* `Problem`s that an engine
collects, sorts and hands to a reporter (the yamllint model).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    OK = 0
    PROBLEMS = 1  # problems found, or the operation was refused
    USAGE = 2  # bad command line (click's own code)
    REMOTE_MOVED = 3  # the remote branch kept moving and the retries ran out
    EXTERNAL = 4  # an external service failed (git remote, GitLab API)
    INTERNAL = 5  # a bug in i4qew or a missing dependency (i4qew.cli.entry)


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: `PATH:LINE:COL: severity [rule] message` (1-based line and column)."""

    path: str
    line: int
    column: int
    severity: Severity
    rule: str
    message: str

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule, self.message)

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity.value} [{self.rule}] {self.message}"


def error(path: str, line: int, column: int, rule: str, message: str) -> Problem:
    return Problem(path, line, column, Severity.ERROR, rule, message)


def warning(path: str, line: int, column: int, rule: str, message: str) -> Problem:
    return Problem(path, line, column, Severity.WARNING, rule, message)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sorted by file, line, column; duplicates (same place, rule and text) dropped."""
    return sorted(set(problems), key=Problem.sort_key)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def unknown_environment(name: str, declared: Iterable[str]) -> str:
    """The one answer of every command to an environment i4qew.yaml does not declare (exit 2)."""
    return f"no environment {name!r} in i4qew.yaml (environments: {', '.join(declared) or 'none'})"


class UserError(Exception):
    """A refusal that is the user's to fix (exit 1), carrying its problem lines."""

    def __init__(self, problems: list[Problem] | str, code: ExitCode = ExitCode.PROBLEMS) -> None:
        self.problems = problems if isinstance(problems, list) else []
        self.text = problems if isinstance(problems, str) else ""
        self.code = code
        super().__init__(self.text or "\n".join(p.format() for p in self.problems))
