"""What a hub can express: the problems compiling an environment for the hub would hit.

Both `validate` (rules/delivery.py, so a merge request learns it before a publish
does) and the hub compiler (compile/hub/, which refuses to write what it cannot
express) ask this module; neither imports the other.

PlacementRule (apps.open-cluster-management.io/v1) has one label selector and
nothing else, so an effective placement that needs an OR over different labels,
cluster claims or cluster sets cannot be one; Placement can say all of it. The same
holds for where a model is staged (placement/staging.py), reported at the Model.
"""

from __future__ import annotations

from typing import Final

from i4qew.k8s.selectors import IN, Requirement, Selector
from i4qew.model.repo import Predicate, Repo
from i4qew.placement.effective import GLOBAL_SET, EffectivePlacement, Placeable, effective_placement
from i4qew.placement.staging import stagings
from i4qew.problems import Problem, error, sort_problems

RULE_ID: Final = "placement-api"


def environment_placements(repo: Repo, env: str) -> list[EffectivePlacement]:
    """Effective placements of the workloads enabled in `env`, by namespace then name."""
    out = []
    for w in sorted(repo.workloads, key=lambda w: (w.namespace, w.name)):
        if not w.enabled_in(env):
            continue
        ep = effective_placement(repo, w, env)
        if ep is not None:  # an unresolved reference: validation reported it
            out.append(ep)
    return out


def repository_problems(repo: Repo, env: str) -> list[Problem]:
    """`env` unknown, or a delivery its placementApi cannot feed."""
    r = repo.repository
    environment = r.environment(env)
    if environment is None:
        names = ", ".join(e.name for e in r.environments)
        return [_repository_problem(repo, ("spec", "environments"), "unknown-environment",
                                    f"no environment '{env}' in i4qew.yaml (environments: {names})")]
    if environment.delivery == "applicationset" and r.placement_api == "PlacementRule":
        # The generator reads PlacementDecisions (the acm-placement ConfigMap); i4qew
        # emits no PlacementRule flavour of it.
        return [_repository_problem(repo, ("spec", "placementApi"), RULE_ID,
                                    f"environment '{env}' has delivery: applicationset, whose ApplicationSets read "
                                    "the decisions of OCM Placements; use placementApi: Placement in i4qew.yaml")]
    return []


def hub_problems(repo: Repo, env: str) -> list[Problem]:
    """Problems compiling `env` for the hub would hit; empty when compile_hub succeeds."""
    problems = repository_problems(repo, env)
    if problems or repo.repository.placement_api != "PlacementRule":
        return problems
    found = [p for ep in environment_placements(repo, env) for p in rule_problems(repo, ep)]
    return sort_problems([*found, *staging_rule_problems(repo, env)])


def _repository_problem(repo: Repo, path: tuple[str | int, ...], rule: str, message: str) -> Problem:
    doc = repo.repository.doc
    return doc.problem(path, rule, message) if doc is not None else error("i4qew.yaml", 1, 1, rule, message)


def selects_nothing(ep: Placeable) -> bool:
    return not ep.predicates or not ep.cluster_sets


def _merge_pair(a: Predicate, b: Predicate) -> Predicate | None:
    """`a OR b` as one predicate when they differ only in the values of an `In` on one key."""
    if a.claims != b.claims:
        return None
    ra, rb = set(a.labels.requirements), set(b.labels.requirements)
    only_a, only_b = ra - rb, rb - ra
    if len(only_a) != 1 or len(only_b) != 1:
        return None
    (x,), (y,) = only_a, only_b
    if x.key != y.key or x.operator != IN or y.operator != IN:
        return None
    merged = Requirement(x.key, IN, tuple(set(x.values) | set(y.values)))
    return Predicate(Selector((*(ra & rb), merged)), a.claims)


def merge_for_rule(predicates: tuple[Predicate, ...]) -> tuple[Predicate, ...]:
    """ORs over the values of one key folded into `key in (...)`; other ORs stay separate."""
    preds = list(predicates)
    merged = True
    while merged and len(preds) > 1:
        merged = False
        for i in range(len(preds)):
            for j in range(i + 1, len(preds)):
                m = _merge_pair(preds[i], preds[j])
                if m is not None:
                    preds[i] = m
                    del preds[j]
                    merged = True
                    break
            if merged:
                break
    return tuple(preds)


def rule_problems(repo: Repo, ep: EffectivePlacement) -> list[Problem]:
    """What the effective placement needs that a PlacementRule cannot say."""
    why = inexpressible(ep)
    if not why:
        return []
    w = ep.workload
    path: tuple[str | int, ...] = ("spec", "placement")
    if "placement" in w.overrides.get(ep.env, {}):
        path = ("spec", "environments", ep.env, "placement")
    message = (f"placementApi: PlacementRule cannot express where '{w.name}' goes in {ep.env}: "
               f"{'; '.join(why)}; use placementApi: Placement in i4qew.yaml")
    return [w.doc.problem(path, RULE_ID, message)]


def staging_rule_problems(repo: Repo, env: str) -> list[Problem]:
    """What a PlacementRule cannot say about where a model is staged, at the Model's placement."""
    out = []
    for s in stagings(repo, env):
        why = inexpressible(s)
        if why:
            out.append(s.model.doc.problem(
                ("spec", "placement"), RULE_ID,
                f"placementApi: PlacementRule cannot express where model '{s.model.name}' is staged in {env}: "
                f"{'; '.join(why)}; use placementApi: Placement in i4qew.yaml"))
    return out


def inexpressible(ep: Placeable) -> list[str]:
    """Why a PlacementRule cannot say what `ep` selects (empty when it can)."""
    if selects_nothing(ep):
        return []
    why: list[str] = []
    preds = merge_for_rule(ep.predicates)
    if len(preds) > 1:
        alternatives = " | ".join(p.labels.to_text() or "(all clusters)" for p in preds)
        why.append(f"it is an OR over different labels ({alternatives})")
    if any(not p.claims.is_empty() for p in preds):
        why.append("it selects by cluster claims")
    if GLOBAL_SET not in ep.cluster_sets:
        why.append(f"it is limited to the cluster sets {', '.join(ep.cluster_sets)}")
    return why
