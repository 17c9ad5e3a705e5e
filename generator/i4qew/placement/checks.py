"""Checks that need the cluster inventory, reported as problems.

| rule | severity | finding |
|---|---|---|
| placement-empty | error | an effective placement selects no cluster; the message evaluates the conjuncts one by one and names the one that emptied it |
| model-not-distributed | error | a workload lands on clusters its model's own policy does not reach (the model policy's cluster sets, taints or maxClusters differ) |
| cluster-arch-label | warning | clusters without any architecture label: workloads that declare `architectures` never select them |
| capacity | error / warning | on a cluster, the requests × replicas of everything placed there exceed allocatable (error) or `spec.capacity.warnAbovePercent` of it (warning, default 85) |
| environment-overlap | error | one workload of two environments lands on the same cluster |
| environment-collision | error | two environments' selectors select the same cluster (SPEC §3) |
| wave-empty, wave-whole, wave-canary | warning | rollout waves over the inventory (wave_checks.py) |
| wave-share | error | without an inventory: waves only cluster names can say (wave_checks.py) |
"""

from __future__ import annotations

import itertools
from collections.abc import Set as AbstractSet
from datetime import datetime
from pathlib import Path

from i4qew import memo
from i4qew.model.repo import OFFLINE_TAINTS, PlacementPolicy, Repo, Toleration, Workload
from i4qew.placement.bits import members
from i4qew.placement.capacity import capacity_problems
from i4qew.placement.decide import Decision, Planner, planner_for
from i4qew.placement.effective import Conjunct, EffectivePlacement
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.wave_checks import needs_inventory, wave_problems
from i4qew.problems import Problem, has_errors, warning

SHOWN = 5  # cluster names quoted in a message before "…"


def some(names: list[str], total: int | None = None) -> str:
    total = len(names) if total is None else total
    head = ", ".join(names[:SHOWN])
    return head + (f", … ({total - SHOWN} more)" if total > SHOWN else "")


def _placement_path(w: Workload, env: str) -> tuple[str | int, ...]:
    if "placement" in w.overrides.get(env, {}):
        return ("spec", "environments", env, "placement")
    return ("spec", "placement")


def explain_empty(planner: Planner, ep: EffectivePlacement) -> str:
    """Evaluate the conjuncts cumulatively: which one emptied the placement."""
    steps: list[str] = []
    bits = planner.inv.all
    for i, c in enumerate(ep.conjuncts):
        bits &= planner.predicates(c.predicates)
        n = bits.bit_count()
        steps.append(f"{c.name} selects {n} cluster{'s' if n != 1 else ''}" if i == 0 else f"with {c.name}: {n}")
        if not bits:
            return "; ".join(steps)
    if not ep.cluster_sets:
        return "; ".join([*steps, "the cluster sets of the workload policy and the model policy have none in common"])
    if not planner.rule_mode:
        bits &= planner.sets(ep.cluster_sets)
        steps.append(f"in cluster set{'s' if len(ep.cluster_sets) > 1 else ''} {', '.join(ep.cluster_sets)}: {bits.bit_count()}")
        if not bits:
            return "; ".join(steps)
    bits = planner.tolerated(bits, ep.tolerations, 0)
    steps.append(f"{'available' if planner.rule_mode else 'not excluded by a taint'}: {bits.bit_count()}")
    return "; ".join(steps)


def _model_policy_placement(repo: Repo, policy: PlacementPolicy, d: Decision) -> EffectivePlacement:
    tolerations = list(policy.tolerations)
    if policy.tolerate_offline:
        known = {t.key for t in tolerations}
        tolerations.extend(Toleration(k, "Exists", None, None) for k in OFFLINE_TAINTS if k not in known)
    return EffectivePlacement(
        workload=d.workload, env=d.env, conjuncts=(Conjunct(f"model policy '{policy.name}'", policy.predicates),),
        cluster_sets=policy.cluster_sets or repo.repository.cluster_sets, max_clusters=policy.max_clusters,
        tolerations=tuple(tolerations), model=None, policy=policy.name,
    )


def _decision_problems(repo: Repo, planner: Planner, d: Decision, reach_of: dict[str, int]) -> list[Problem]:
    """`reach_of`: the clusters each model policy does NOT reach (by policy name), filled as met."""
    w = d.workload
    if not d.clusters:
        why = "the inventory holds no clusters" if not len(planner.inv) else explain_empty(planner, d.effective)
        return [w.doc.problem(_placement_path(w, d.env), "placement-empty",
                              f"workload '{w.name}' would run on no cluster in '{d.env}': {why}")]
    ref = w.spec.get("model")  # Workload.model, the effective placement's (effective.py), not made for this
    model = repo.models.get(ref["name"]) if ref else None
    policy = repo.policies.get(model.placement) if model else None
    if model is None or policy is None:
        return []
    missing = d.clusters & _unreached(repo, planner, policy, d, reach_of)
    if not missing:
        return []
    names = planner.inv.cluster_names(missing)
    return [w.doc.problem(("spec", "model", "name"), "model-not-distributed",
                          f"model '{model.name}' (policy '{policy.name}') is not distributed to {len(names)} "
                          f"of the {d.clusters.bit_count()} clusters '{w.name}' runs on in '{d.env}': "
                          f"{some(names)} (the model policy's cluster sets, tolerations or maxClusters leave them out)")]


def _unreached(repo: Repo, planner: Planner, policy: PlacementPolicy, d: Decision, reach_of: dict[str, int]) -> int:
    """The clusters the model policy does not reach: it depends on the policy and the hub, not
    on the workload (by policy name in `reach_of`)."""
    unreached = reach_of.get(policy.name)
    if unreached is None:
        unreached = reach_of[policy.name] = ~planner.evaluate(_model_policy_placement(repo, policy, d))
    return unreached


def _model_misses(repo: Repo, planner: Planner, d: Decision, reach_of: dict[str, int],
                  by_model: dict[str, int | None]) -> bool:
    """Whether _decision_problems may find something for a placed decision: its workload's
    model policy leaves out some of its clusters (`by_model`: what the model's policy does
    not reach, None without a model or policy, by model name, filled as met)."""
    ref = d.workload.spec.get("model")
    if not ref:
        return False
    name = ref["name"]
    if name in by_model:
        unreached = by_model[name]
    else:
        model = repo.models.get(name)
        policy = repo.policies.get(model.placement) if model else None
        unreached = by_model[name] = (None if model is None or policy is None
                                      else _unreached(repo, planner, policy, d, reach_of))
    return unreached is not None and bool(d.clusters & unreached)


def _arch_problems(repo: Repo, inv: Inventory) -> list[Problem]:
    if not any(w.architectures for w in repo.workloads):
        return []
    prefix = repo.repository.arch_prefix
    keys: set[str] = set().union(*inv.clusters_labels()) if len(inv) else set()
    arch_keys = sorted(key for key in keys if key.startswith(prefix))
    inv.labels.prefetch(arch_keys)  # (one pass over the clusters for them all)
    labelled = 0
    for key in arch_keys:
        labelled |= inv.labels.with_key(key)
    if not inv.all & ~labelled:
        return []
    bare = [inv.clusters[i] for i in members(inv.all & ~labelled)]
    path, line, col = inv.locate(bare[0])
    return [warning(path, line, col, "cluster-arch-label",
                    f"{len(bare)} cluster{'s carry' if len(bare) != 1 else ' carries'} no {prefix}<arch> label "
                    f"({some([c.name for c in bare])}): workloads that declare spec.architectures never select "
                    f"{'them' if len(bare) != 1 else 'it'}; label each cluster with the CPU architectures of its nodes")]


def _environment_problems(repo: Repo, planner: Planner, by_env: dict[str, list[Decision]]) -> list[Problem]:
    out: list[Problem] = []
    envs = repo.repository.environments
    doc = repo.repository.doc
    # (names) no cluster of this inventory is in both environments: an environment's decisions
    # are within its selector (its conjunct, effective.py; an empty selector selects every cluster)
    apart: dict[tuple[str, str], bool] = {}
    for a, b in itertools.combinations(envs, 2):
        both = planner.inv.labels.selector(a.selector) & planner.inv.labels.selector(b.selector)
        apart[(a.name, b.name)] = apart.get((a.name, b.name), True) and not both
        if both and doc is not None:
            names = planner.inv.cluster_names(both)
            path = ("spec", "environments", b.index, "selector") if b.selector_text else ("spec", "environments", b.index)
            out.append(doc.problem(path, "environment-collision",
                                   f"environments '{a.name}' and '{b.name}' both select {len(names)} cluster"
                                   f"{'s' if len(names) != 1 else ''} of the inventory ({some(names)}): give each "
                                   "environment a selector that no cluster of another environment matches"))
    for (ea, da), (eb, db) in itertools.combinations(by_env.items(), 2):
        if apart.get((ea, eb)):
            continue
        other = {d.key: d for d in db}
        for d in da:
            twin = other.get(d.key) if d.clusters else None
            shared = d.clusters & twin.clusters if twin else 0
            if shared:
                names = planner.inv.cluster_names(shared)
                out.append(d.workload.doc.problem(("metadata", "name"), "environment-overlap",
                                                  f"workload '{d.workload.name}' of '{ea}' and of '{eb}' would both run on "
                                                  f"{len(names)} cluster{'s' if len(names) != 1 else ''}: {some(names)}"))
    return out


def decisions_by_env(repo: Repo, inventory: Inventory, now: datetime | None = None) -> dict[str, list[Decision]]:
    planner = planner_for(repo, inventory, now)
    return {e.name: planner.decisions(e.name) for e in repo.repository.environments}


# (a fleet group's empty decisions, the positions of each (environment, key) among them): the
# same for each hub of the group, so made once; kept by identity (the decider's lists, kept alive)
_positions: list[tuple[list[Decision], dict[tuple[str, str], list[int]]]] = \
    memo.held("placement.checks.positions", [])


def _judged(planner: Planner, env: str, decisions: list[Decision],
            elsewhere: AbstractSet[tuple[str, str]]) -> list[Decision]:
    """The decisions placement_problems judges, in order: those that place something, and the
    empty ones no other hub runs somewhere (not in `elsewhere`). On a fleet's hub (Planner.empties)
    without a walk over the group's empty decisions: the keys not elsewhere are one set
    difference, and where the hub places nothing its list holds the empty decision itself (the
    decider knows where it does: Planner.placing)."""
    empties = planner.empties(env, decisions)
    if empties is None or len(empties) != len(decisions):
        return [d for d in decisions if d.clusters or (d.env, d.key) not in elsewhere]
    at = next((a for e, a in _positions if e is empties), None)
    if at is None:
        at = {}
        for i, e in enumerate(empties):
            at.setdefault((e.env, e.key), []).append(i)
        _positions[:] = [*_positions[-7:], (empties, at)]
    judged = planner.placing(env, decisions)
    if judged is None:  # (a decision of the hub's own may still choose no cluster: numberOfClusters 0)
        judged = [i for i, d in enumerate(decisions) if d is not empties[i] and d.clusters]
    alone = at.keys() - elsewhere
    if alone:
        judged = sorted({*judged, *(i for key in alone for i in at[key])})
    return [decisions[i] for i in judged]


def placement_problems(repo: Repo, inventory: Inventory, *, now: datetime | None = None,
                       elsewhere: AbstractSet[tuple[str, str]] = frozenset()) -> list[Problem]:
    """Every inventory-dependent problem of the repository, all environments.
    `elsewhere`: the (env, "namespace/workload") another hub runs somewhere (spec.hubs),
    for which selecting no cluster of this inventory is no problem."""
    planner = planner_for(repo, inventory, now)
    by_env = decisions_by_env(repo, inventory, now)
    out: list[Problem] = []
    reach_of: dict[str, int] = {}
    by_model: dict[str, int | None] = {}
    placed: list[Decision] = []
    for name, decisions in by_env.items():
        # an empty decision another hub of the fleet runs somewhere: not a problem here
        for d in _judged(planner, name, decisions, elsewhere):
            if d.clusters:
                placed.append(d)
                if not _model_misses(repo, planner, d, reach_of, by_model):
                    continue  # (_decision_problems would find nothing)
            found = _decision_problems(repo, planner, d, reach_of)
            if found:
                out.extend(found)
    out.extend(_arch_problems(repo, inventory))
    out.extend(_environment_problems(repo, planner, by_env))
    for env in repo.repository.environments:
        if env.waves:
            out.extend(wave_problems(repo, planner, env, by_env[env.name]))
    out.extend(capacity_problems(repo, inventory, placed))  # (it judges the placed decisions only)
    return out



def inventory_problems(root: Path, repo: Repo) -> list[Problem]:
    """The hook of `validate_repo`: when clusters/ holds an inventory, its own problems
    and every placement check over it. An inventory with errors is reported alone:
    decisions over what was left of it would blame every workload for one typo."""
    inventory, problems = load_inventory(root)
    if inventory is not None and not has_errors(problems):
        problems = [*problems, *placement_problems(repo, inventory)]
    if inventory is None and not problems:
        problems = needs_inventory(repo)
    return problems
