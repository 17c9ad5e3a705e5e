"""The registry of rules: every id a problem line can carry.

A semantic rule is a function from the repository model to problems,
registered with an id, a one-line summary and a passing and a failing example:
files of a repository in the form rules/examples.py describes, which docs/rules.md
shows and tests/unit/rules/test_examples.py runs through `i4qew validate` (the few
that no example repository can show say why in `not_run`). A negative case under
tests/corpus/negative exercises each id too. Adding a rule is one function and one
decorator line in a module of `i4qew.rules` (a new module: one line in
`rules/catalog.py`).

The checks that run before the model exists (loading, JSON Schema, building)
report under ids of their own; `describe` registers those without a function
so that the documentation and the corpus cover every id a user can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

from i4qew.model.repo import Repo
from i4qew.problems import Problem
from i4qew.rules.examples import sections

Check = Callable[[Repo], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    passing: str
    failing: str
    check: Check | None
    family: str  # the rules module, or the stage (load, schema, build) that reports it
    not_run: str = ""  # why no example repository can show it (the examples are then prose)
    # It judges each declaration on its own (`local`): its problems about a declaration are
    # reported at that declaration's file and depend only on it, the repository settings
    # (i4qew.yaml) and the config files; rules/local_cache.py keeps them per file.
    local: bool = False
    # It judges each workload on its own given every policy and model (`given`): its problems
    # about a workload are reported at that workload's file and depend only on it, the
    # policies, the models, the names declared, the settings and the config files; what it
    # reports elsewhere does not depend on the workloads. rules/local_cache.py keeps them
    # per workload file, keyed also by every policy and model.
    given: bool = False


REGISTRY: dict[str, Rule] = {}


def _add(entry: Rule) -> None:
    if entry.id in REGISTRY:
        raise RuntimeError(f"rule {entry.id} registered twice")
    if not entry.not_run:
        for example in (entry.passing, entry.failing):
            try:
                sections(example)
            except ValueError as exc:
                raise RuntimeError(f"rule {entry.id}: {exc} (rules/examples.py)") from None
    REGISTRY[entry.id] = entry


def rule(rule_id: str, summary: str, *, passing: str, failing: str,
         not_run: str = "") -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        family = check.__module__.rsplit(".", 1)[-1]
        _add(Rule(rule_id, summary, passing.strip(), failing.strip(), check, family, not_run))
        return check

    return register


def local(check: Check) -> Check:
    """Mark the rule registered for `check` (write it above `@rule`) as judging each
    declaration on its own (see Rule.local): run over the declarations that changed,
    the others' problems come from the persistent cache."""
    return _mark(check, "local")


def given(check: Check) -> Check:
    """Mark the rule registered for `check` (write it above `@rule`) as judging each workload
    on its own given the policies and models (see Rule.given): run over the workloads that
    changed, the others' problems come from the persistent cache while no policy, model,
    setting or config file changes."""
    return _mark(check, "given")


def _mark(check: Check, flag: Literal["local", "given"]) -> Check:
    for rule_id, entry in REGISTRY.items():
        if entry.check is check:
            REGISTRY[rule_id] = replace(entry, local=True) if flag == "local" else replace(entry, given=True)
            return check
    raise RuntimeError(f"@{flag} above a function no @rule registered: {check.__name__}")


def describe(rule_id: str, summary: str, *, stage: str, passing: str, failing: str, not_run: str = "") -> None:
    """Register an id reported by the loader, the schema check, the model build, the
    placement checks or `plan --base`."""
    _add(Rule(rule_id, summary, passing.strip(), failing.strip(), None, stage, not_run))
