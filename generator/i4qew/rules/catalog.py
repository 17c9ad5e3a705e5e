"""Every rule family, imported here once: the registry is complete when this module is.

A new family is one module under rules/ and one import line below; the import
order is the registry's order (docs/rules.md, and the order the rules run in).
"""

from __future__ import annotations

from i4qew.model.repo import Repo
from i4qew.problems import Problem, Severity

# Importing a family registers its rules: this order is the registry's.
# isort: off
from i4qew.rules import builtin
from i4qew.rules import declarations
from i4qew.rules import names
from i4qew.rules import references
from i4qew.rules import images
from i4qew.rules import secrets
from i4qew.rules import resources
from i4qew.rules import ports
from i4qew.rules import ingress
from i4qew.rules import environments
from i4qew.rules import hubs
from i4qew.rules import mounts
from i4qew.rules import models
from i4qew.rules import delivery
from i4qew.rules import argocd
from i4qew.rules import placement
from i4qew.rules import limits
from i4qew.rules import tolerations
from i4qew.rules import guardrails
from i4qew.rules import guard_images
from i4qew.rules import guard_limits
from i4qew.rules import guard_config
from i4qew.rules import governance
from i4qew.rules import waves
# isort: on
from i4qew.rules.local_cache import local_problems
from i4qew.rules.registry import REGISTRY, Rule
from i4qew.rules.walk import forget_keys

# In the order docs/rules.md lists them.
FAMILIES = (builtin, declarations, names, references, images, secrets, resources, ports, ingress, environments,
            hubs, mounts, models, delivery, argocd, placement, limits, tolerations, guardrails, guard_images, guard_limits,
            guard_config, governance, waves)
FAMILY_NAMES = tuple(f.__name__.rsplit(".", 1)[-1] for f in FAMILIES)


def all_rules() -> dict[str, Rule]:
    return REGISTRY


def run_rules(repo: Repo) -> list[Problem]:
    """Every rule's problems (in no order that matters: validation sorts them). The
    rules that judge each declaration on its own (`@local`), or each workload given the
    policies and models (`@given`), answer through rules/local_cache.py."""
    rules = [r for r in REGISTRY.values() if r.check is not None]
    forget_keys()
    try:
        problems = local_problems(repo, lambda r: _run([x for x in rules if x.local], r),
                                  lambda r: _run([x for x in rules if x.given], r))
        problems.extend(_run([r for r in rules if not r.local and not r.given], repo)[0])
    finally:
        forget_keys()
    return problems


def _run(rules: list[Rule], repo: Repo) -> tuple[list[Problem], bool]:
    """The rules' problems, and whether every one of them ran to its end."""
    problems: list[Problem] = []
    ran = True
    for r in rules:
        if r.check is None:
            continue
        try:
            problems.extend(r.check(repo))
        except Exception as exc:  # a bug in one rule must not hide the others' findings
            ran = False
            problems.append(Problem("i4qew.yaml", 1, 1, Severity.ERROR, "internal-error",
                                    f"rule {r.id} failed ({type(exc).__name__}: {exc}); please report this as a bug"))
    return problems, ran
