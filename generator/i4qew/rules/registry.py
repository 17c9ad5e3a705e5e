"""The registry of rules: every id a problem line can carry.

A semantic rule is a function from the repository model to problems,
registered with an id, a one-line summary and a passing and a failing example
(shown by `docs/rules.md` and exercised by tests/corpus/negative). Adding a rule
is one function and one decorator line in a module of `i4qew.rules` (a new module:
one line in `rules/catalog.py`).

The checks that run before the model exists (loading, JSON Schema, building)
report under ids of their own; `describe` registers those without a function
so that the documentation and the corpus cover every id a user can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from i4qew.model.repo import Repo
from i4qew.problems import Problem

Check = Callable[[Repo], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    passing: str
    failing: str
    check: Check | None
    family: str  # the rules module, or the stage (load, schema, build) that reports it


REGISTRY: dict[str, Rule] = {}


def _add(entry: Rule) -> None:
    if entry.id in REGISTRY:
        raise RuntimeError(f"rule {entry.id} registered twice")
    REGISTRY[entry.id] = entry


def rule(rule_id: str, summary: str, *, passing: str, failing: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        family = check.__module__.rsplit(".", 1)[-1]
        _add(Rule(rule_id, summary, passing.strip(), failing.strip(), check, family))
        return check

    return register


def describe(rule_id: str, summary: str, *, stage: str, passing: str, failing: str) -> None:
    """Register an id reported by the loader, the schema check or the model build."""
    _add(Rule(rule_id, summary, passing.strip(), failing.strip(), None, stage))
