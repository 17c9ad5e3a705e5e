"""The registry of semantic rules.

A rule is a function from the repository model to problems, registered with an
id, a one-line summary and a passing and a failing example (shown by
`docs/rules.md` and exercised by tests/cases/negative). Adding a rule is one
function and one decorator line in a module of `i4qew.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from i4qew.model import Repo
from i4qew.problems import Problem

Check = Callable[[Repo], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    passing: str
    failing: str
    check: Check


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, summary: str, *, passing: str, failing: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if rule_id in REGISTRY:
            raise RuntimeError(f"rule {rule_id} registered twice")
        REGISTRY[rule_id] = Rule(rule_id, summary, passing.strip(), failing.strip(), check)
        return check

    return register


def run_rules(repo: Repo) -> list[Problem]:
    from i4qew.rules import load_all

    load_all()
    problems: list[Problem] = []
    for r in REGISTRY.values():
        problems.extend(r.check(repo))
    return problems
