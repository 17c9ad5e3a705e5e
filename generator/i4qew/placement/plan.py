"""`plan`: decisions per workload over the inventory and, against a base revision,
what changes. Pure: the command reads the revisions; this compares them.

A workload is identified across revisions by "namespace/name". Against the base:
  added      enabled in the environment now, not at the base
  removed    the reverse
  changed    its deployed spec (incl. the config files it mounts), its
             placement (effective predicates, cluster sets, numberOfClusters,
             tolerations, or the chosen clusters) or the environment's delivery
             (subscription, applicationset) differs
  unchanged  neither
The blast radius is every cluster whose set of workloads changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from i4qew import memo
from i4qew.model.repo import Predicate, Repo, Workload
from i4qew.placement.decide import Decision, placement_name, planner_for
from i4qew.placement.effective import EffectivePlacement, effective_placement, same_declarations
from i4qew.placement.image_volumes import ImageVolumeCheck, image_volume_checks, image_volume_models
from i4qew.placement.inventory import Inventory
from i4qew.placement.plan_models import StagingPlan, VersionPlan, model_plans, staging_plans
from i4qew.placement.waves import WavePlan, wave_plans


@dataclass(frozen=True)
class WorkloadPlan:
    key: str
    name: str
    namespace: str
    placement: str
    policy: str
    effective: EffectivePlacement
    status: str  # planned (no base) | added | removed | changed | unchanged
    clusters: int  # chosen clusters now (bitset over the inventory; 0 when removed)
    spec_changed: bool = False
    placement_changed: bool = False
    gained: int = 0
    lost: int = 0
    lost_gone: tuple[str, ...] = ()  # lost clusters that left the inventory
    feasible: int = 0  # clusters the filters keep now, before numberOfClusters
    advisory: bool = False  # which clusters (not how many) is the hub's choice: Decision.advisory
    delivery_changed: bool = False  # another controller takes the release over on every cluster
    waves: tuple[WavePlan, ...] = ()  # the environment declares waves and an inventory is given

    @property
    def predicates(self) -> tuple[Predicate, ...]:
        """Multiplied out on demand: only the json format and plans without inventory show them."""
        return self.effective.predicates


@dataclass(frozen=True)
class Plan:
    env: str
    inventory: Inventory | None
    workloads: tuple[WorkloadPlan, ...]
    base: str | None = None  # the base revision as given
    blast: int = 0
    blast_gone: tuple[str, ...] = ()
    models: tuple[VersionPlan, ...] = ()  # the model versions and where they must be (plan_models.py)
    stagings: tuple[StagingPlan, ...] = ()  # the models' staging Placements and their decisions
    image_volumes: tuple[ImageVolumeCheck, ...] = ()  # models offered as image volumes, and who cannot
    delivery: str = "subscription"  # the environment's delivery now
    base_delivery: str | None = None  # ... and at the base

    @property
    def delivery_changed(self) -> bool:
        return self.base_delivery is not None and self.base_delivery != self.delivery

    def count(self, status: str) -> int:
        return sum(1 for w in self.workloads if w.status == status)


# The effective placements of the enabled workloads, by "namespace/name", per declarations
# (the workloads kept alive, and a repository with them), environment and default cluster
# sets: the hub views of a fleet (Repo.for_hub) with the same sets share one.
_placed: dict[tuple[int, str, tuple[str, ...]],
              tuple[tuple[Workload, ...], Repo, dict[str, tuple[Workload, EffectivePlacement]]]] = memo.held(
    "placement.plan.placements", {})


def _placements(repo: Repo, env: str) -> dict[str, tuple[Workload, EffectivePlacement]]:
    """Shared: callers only read it."""
    key = (id(repo.workloads), env, repo.repository.cluster_sets)
    got = _placed.get(key)
    if got is not None and got[0] is repo.workloads and same_declarations(got[1], repo):
        return got[2]
    out: dict[str, tuple[Workload, EffectivePlacement]] = {}
    for w in repo.workloads:
        if w.enabled_in(env):
            ep = effective_placement(repo, w, env)
            if ep is not None:
                out[f"{w.namespace}/{w.name}"] = (w, ep)
    if len(_placed) >= 64:
        _placed.clear()
    _placed[key] = (repo.workloads, repo, out)
    return out


# A workload's plan without clusters (none chosen, gained or lost, no waves), by its effective
# placement (kept alive; it names the workload and the environment) and the rest of its
# fields: its plan on each hub of a fleet that it does not reach (most of them) is one object.
_unplaced: dict[tuple[Any, ...], tuple[EffectivePlacement, WorkloadPlan]] = memo.held("placement.plan.unplaced", {})


def _plan_of(key: str, w: Workload, ep: EffectivePlacement, env: str, status: str, clusters: int, *,
             spec_changed: bool = False, placement_changed: bool = False, gained: int = 0, lost: int = 0,
             lost_gone: tuple[str, ...] = (), d: Decision | None = None, delivery_changed: bool = False,
             waves: tuple[WavePlan, ...] = ()) -> WorkloadPlan:
    """WorkloadPlan(...), with `d`'s feasible and advisory."""
    feasible, advisory = (d.feasible, d.advisory) if d is not None else (0, False)
    if clusters or gained or lost or lost_gone or waves or ep.workload is not w or ep.env != env:
        return WorkloadPlan(key, w.name, w.namespace, placement_name(w.name, env), ep.policy, ep, status, clusters,
                            spec_changed, placement_changed, gained, lost, lost_gone, feasible, advisory,
                            delivery_changed, waves)
    shared = (id(ep), status, spec_changed, placement_changed, feasible, advisory, delivery_changed)
    got = _unplaced.get(shared)
    if got is None or got[0] is not ep:
        if len(_unplaced) >= 500_000:
            _unplaced.clear()
        got = _unplaced[shared] = (ep, WorkloadPlan(
            key, w.name, w.namespace, placement_name(w.name, env), ep.policy, ep, status, 0, spec_changed,
            placement_changed, feasible=feasible, advisory=advisory, delivery_changed=delivery_changed))
    return got[1]


# Per effective-placement map (_placements, kept alive) and environment: every workload's
# plan with no cluster chosen, and the position of each key.
_nowhere: dict[tuple[int, str], tuple[Mapping[str, Any], tuple[WorkloadPlan, ...], dict[str, int]]] = memo.held(
    "placement.plan.nowhere", {})


def _planned(head: Mapping[str, tuple[Workload, EffectivePlacement]], env: str,
             decided: Mapping[str, Decision]) -> tuple[WorkloadPlan, ...]:
    """The plans of `head`'s workloads (no waves, no base): the plans with no cluster made
    once for the hubs of a fleet, and on each hub only the workloads it places (a quarter
    of them at issue 17's 5x) made anew."""
    got = _nowhere.get((id(head), env))
    if got is None or got[0] is not head:
        if len(_nowhere) >= 64:
            _nowhere.clear()
        got = _nowhere[(id(head), env)] = (head, tuple(_plan_of(k, w, ep, env, "planned", 0)
                                                        for k, (w, ep) in head.items()),
                                           {k: i for i, k in enumerate(head)})
    _, nowhere, position = got
    plans: list[WorkloadPlan] | None = None
    for k, d in decided.items():
        if (d.clusters or d.feasible or d.advisory) and k in position:
            if plans is None:
                plans = list(nowhere)
            at = position[k]
            if d.clusters:
                # _plan_of(k, w, ep, env, "planned", d.clusters, d=d): the plan without clusters
                # with these three fields (41,000 plans at issue 17's 5x)
                p = nowhere[at]
                plans[at] = WorkloadPlan(k, p.name, p.namespace, p.placement, p.policy, p.effective, "planned",
                                         d.clusters, feasible=d.feasible, advisory=d.advisory)
            else:
                w, ep = head[k]
                plans[at] = _plan_of(k, w, ep, env, "planned", 0, d=d)
    return nowhere if plans is None else tuple(plans)


@dataclass(frozen=True)
class _Compared:
    """The head's and the base's workloads of an environment, compared apart from their clusters."""

    order: tuple[str, ...]  # "namespace/name" of both, by name then key
    spec_changed: Mapping[str, bool]  # workloads of both: deployed spec or mounted files differ
    same_placement: Mapping[str, bool]  # workloads of both: the same effective placement


# Per pair of effective-placement maps (_placements: kept alive, shared by the hub views
# with the same cluster sets) and the files both repositories mount: a fleet compares
# each workload once, not once per hub.
_comparisons: dict[tuple[int, int, str], tuple[Any, ...]] = memo.held("placement.plan.comparisons", {})


def _compare(repo: Repo, base_repo: Repo, env: str, head: Mapping[str, tuple[Workload, EffectivePlacement]],
             base: Mapping[str, tuple[Workload, EffectivePlacement]]) -> _Compared:
    got = _comparisons.get((id(head), id(base), env))
    if got is not None and got[0] is head and got[1] is base and got[2] is repo.files and got[3] is base_repo.files:
        compared: _Compared = got[4]
        return compared
    both = [k for k in head if k in base]
    compared = _Compared(
        tuple(sorted({*head, *base}, key=lambda k: (k.split("/", 1)[1], k))),
        {k: _deployed(repo, head[k][0], env) != _deployed(base_repo, base[k][0], env) for k in both},
        {k: _same_placement(head[k][1], base[k][1]) for k in both})
    if len(_comparisons) >= 64:
        _comparisons.clear()
    _comparisons[(id(head), id(base), env)] = (head, base, repo.files, base_repo.files, compared)
    return compared


def _nowhere_of(k: str, head: Mapping[str, tuple[Workload, EffectivePlacement]],
                base: Mapping[str, tuple[Workload, EffectivePlacement]], compared: _Compared, env: str,
                moved: bool) -> WorkloadPlan:
    """build_plan's plan of `k` against the base (no waves) where no cluster is or was its own."""
    if k not in base:
        w, ep = head[k]
        return _plan_of(k, w, ep, env, "added", 0)
    bw, bep = base[k]
    if k not in head:
        return _plan_of(k, bw, bep, env, "removed", 0)
    w, ep = head[k]
    spec_changed = compared.spec_changed[k]
    placement_changed = not compared.same_placement[k]
    return _plan_of(k, w, ep, env, "changed" if spec_changed or placement_changed or moved else "unchanged", 0,
                    spec_changed=spec_changed, placement_changed=placement_changed, delivery_changed=moved)


# Per comparison (_compare's, kept alive), environment and change of delivery: the plan of each
# workload of either revision that no cluster is or was given to, and each key's position.
_unreached_plans: dict[tuple[int, str, bool], tuple[_Compared, tuple[WorkloadPlan, ...], dict[str, int]]] = \
    memo.held("placement.plan.unreached", {})


def _unreached(compared: _Compared, env: str, moved: bool,
               plan: Callable[[str], WorkloadPlan]) -> tuple[tuple[WorkloadPlan, ...], dict[str, int]]:
    got = _unreached_plans.get((id(compared), env, moved))
    if got is None or got[0] is not compared:
        if len(_unreached_plans) >= 64:
            _unreached_plans.clear()
        got = _unreached_plans[(id(compared), env, moved)] = (
            compared, tuple(plan(k) for k in compared.order), {k: i for i, k in enumerate(compared.order)})
    return got[1], got[2]


def _deployed(repo: Repo, w: Workload, env: str) -> tuple[dict[str, Any], dict[str, str | None]]:
    spec = w.spec_for(env)
    files = ((spec.get("config") or {}).get("files") or {}).values()
    # Where it runs is the placement's part of the change, not the spec's.
    deployed = {k: v for k, v in spec.items() if k != "placement"}
    return deployed, {path: repo.files.get(path) for path in sorted(files) if isinstance(path, str)}


def _same_placement(a: EffectivePlacement, b: EffectivePlacement) -> bool:
    if (a.cluster_sets, a.max_clusters, frozenset(a.tolerations)) != \
            (b.cluster_sets, b.max_clusters, frozenset(b.tolerations)):
        return False
    # The predicates are the conjuncts multiplied out: the same factors, the same product,
    # without multiplying out (and hashing) 10,000 workloads' products twice.
    return tuple(c.predicates for c in a.conjuncts) == tuple(c.predicates for c in b.conjuncts) \
        or a.predicates == b.predicates


def _numbered_alike(a: Inventory, b: Inventory) -> bool:
    """Whether each cluster of `a` has its id in `b`: the same names in the same order (an
    inventory holds a name once: inventory_parse keeps the first of two)."""
    return a.names == b.names


def _has_waves(repo: Repo, env: str, inventory: Inventory | None) -> bool:
    environment = repo.repository.environment(env)
    return inventory is not None and environment is not None and bool(environment.waves)


def _waves(repo: Repo, w: Workload, env: str, inventory: Inventory | None, clusters: int,
           base: tuple[Repo, Workload, int] | None = None) -> tuple[WavePlan, ...]:
    environment = repo.repository.environment(env)
    if inventory is None or environment is None or not environment.waves:
        return ()
    base_waves = None
    if base is not None:
        base_env = base[0].repository.environment(env)
        base_waves = (base[1].waves_for(base_env) if base_env is not None else (), base[2])
    return wave_plans(inventory, w.waves_for(environment), clusters, base_waves)


def build_plan(repo: Repo, env: str, inventory: Inventory | None, *,
               base_repo: Repo | None = None, base_inventory: Inventory | None = None,
               base_label: str | None = None, now: datetime | None = None,
               keep: Mapping[str, int] | None = None) -> Plan:
    """`keep` (without `base_repo`): earlier decisions ("namespace/workload" -> clusters)
    that numberOfClusters choices stay on, as publish keeps the branch's snapshot."""
    planner = planner_for(repo, inventory, now) if inventory is not None else None
    head = _placements(repo, env)
    checks = image_volume_checks(repo, env, planner, keep if base_repo is None else None)
    image = image_volume_models(checks)
    delivery = repo.repository.delivery_of(env)
    staging = staging_plans(repo, env, planner, image)
    if base_repo is None:
        # only the decisions that give the workload something (a fleet's hub: a quarter of them);
        # the rest plan as no decision (no cluster, none feasible)
        decided = {d.key: d for d in planner.decisions(env, keep) if d.clusters or d.feasible or d.advisory} \
            if planner else {}
        models = model_plans(repo, env, planner, {k: d.clusters for k, d in decided.items()}, image=image,
                             staging=staging)
        if _has_waves(repo, env, inventory):
            planned = tuple(_plan_of(k, w, ep, env, "planned", decided[k].clusters if k in decided else 0,
                                     d=decided.get(k), waves=_waves(repo, w, env, inventory,
                                                                     decided[k].clusters if k in decided else 0))
                            for k, (w, ep) in head.items())
        else:
            planned = _planned(head, env, decided)
        return Plan(env, inventory, planned, models=models, stagings=staging,
            image_volumes=tuple(checks.values()), delivery=delivery)
    base_delivery = base_repo.repository.delivery_of(env)

    base_inv = base_inventory if base_inventory is not None else inventory
    base_planner = planner_for(base_repo, base_inv, now) if base_inv is not None else None
    base = _placements(base_repo, env)
    base_decided = {d.key: d for d in base_planner.decisions(env)} if base_planner else {}
    # Base decisions as bitsets over the head inventory, plus the names it no longer has. An
    # inventory read again from the base revision with the same clusters in the same order (a
    # merge request that changes no cluster) numbers them alike: its sets are the head's.
    same = base_inv is inventory or (base_inv is not None and inventory is not None
                                     and _numbered_alike(base_inv, inventory))
    in_head: dict[str, int] = {}
    gone: dict[str, tuple[str, ...]] = {}
    for k, d in base_decided.items():
        if inventory is None:
            continue
        if same or not d.clusters:  # no cluster: none to find in the head's inventory either
            in_head[k] = d.clusters
        else:
            names = base_inv.cluster_names(d.clusters) if base_inv is not None else []
            in_head[k] = inventory.bits_of(names)
            gone[k] = tuple(n for n in names if n not in inventory.ids)
    decided = {d.key: d for d in planner.decisions(env, in_head)} if planner else {}

    compared = _compare(repo, base_repo, env, head, base)
    waves = _has_waves(repo, env, inventory)
    moved = delivery != base_delivery

    def plan_of(k: str) -> WorkloadPlan:
        now_bits = decided[k].clusters if k in decided else 0
        was_bits = in_head.get(k, 0)
        if k not in base:
            w, ep = head[k]
            return _plan_of(k, w, ep, env, "added", now_bits, gained=now_bits, d=decided.get(k),
                            waves=_waves(repo, w, env, inventory, now_bits) if waves else ())
        bw, bep = base[k]
        if k not in head:
            return _plan_of(k, bw, bep, env, "removed", 0, lost=was_bits, lost_gone=gone.get(k, ()))
        w, ep = head[k]
        # most workloads keep their clusters: no set arithmetic for them (41,000 at issue 17's 5x)
        gained, lost = (0, 0) if now_bits == was_bits else (now_bits & ~was_bits, was_bits & ~now_bits)
        spec_changed = compared.spec_changed[k]
        placement_changed = bool(gained or lost or gone.get(k)) or not compared.same_placement[k]
        return _plan_of(k, w, ep, env, "changed" if spec_changed or placement_changed or moved else "unchanged",
                        now_bits, spec_changed=spec_changed, placement_changed=placement_changed,
                        gained=gained, lost=lost, lost_gone=gone.get(k, ()), d=decided.get(k),
                        delivery_changed=moved,
                        waves=_waves(repo, w, env, inventory, now_bits, (base_repo, bw, was_bits)) if waves else ())

    if waves:
        plans = [plan_of(k) for k in compared.order]
        touched: list[WorkloadPlan] = plans
    else:
        # A workload this hub neither places nor placed (most of a fleet's) has the same plan on
        # every hub, made once (_unreached); only the others are planned here.
        nowhere, position = _unreached(compared, env, moved, lambda k: _nowhere_of(k, head, base, compared, env, moved))
        plans = list(nowhere)
        keys = {k for k, d in decided.items() if d.clusters or d.feasible or d.advisory}
        keys.update(k for k, bits in in_head.items() if bits)
        keys.update(k for k, names in gone.items() if names)
        touched = []
        for k in keys:
            if k in position:
                plans[position[k]] = p = plan_of(k)
                touched.append(p)
    blast = 0
    blast_gone: set[str] = set()
    for p in touched:
        # A change of delivery uninstalls and reinstalls the release on every cluster it was on.
        if p.status in ("added", "removed") or p.spec_changed or p.delivery_changed:
            blast |= p.clusters | p.lost
        else:
            blast |= p.gained | p.lost
        blast_gone.update(p.lost_gone)
    def to_head(bits: int) -> int:
        if inventory is None or base_inv is None or same:
            return bits
        return inventory.bits_of(base_inv.cluster_names(bits))

    base_image = image_volume_models(image_volume_checks(base_repo, env, base_planner))
    models = model_plans(repo, env, planner, {k: d.clusters for k, d in decided.items()}, image=image,
                         base_repo=base_repo, base_planner=base_planner,
                         base_decided={k: d.clusters for k, d in base_decided.items()}, base_image=base_image,
                         to_head=to_head, staging=staging)
    return Plan(env, inventory, tuple(plans), base_label, blast, tuple(sorted(blast_gone)), models,
                staging, tuple(checks.values()), delivery, base_delivery)
