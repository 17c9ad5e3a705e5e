"""`PATH:LINE:COL: severity [rule] message`, one per line, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from i4qew.problems import Problem, Severity


def summary(problems: Sequence[Problem], files: Sequence[str]) -> str:
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = sum(p.severity is Severity.WARNING for p in problems)
    return f"{len(files)} files checked: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def render(problems: Sequence[Problem], files: Sequence[str]) -> str:
    lines = [p.format() for p in problems]
    lines.append(summary(problems, files))
    return "\n".join(lines) + "\n"
