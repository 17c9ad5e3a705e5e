"""Placement decisions over the inventory, following OCM's scheduler.

Placement (cluster.open-cluster-management.io/v1beta1), in OCM's order:
 1. cluster sets: the union of the effective placement's sets (`global` = all,
    `default` = clusters whose clusterset label is missing or empty: the hub's
    ManagedCluster webhook sets it to `default`); none in common = nothing;
 2. predicates: ORed; inside one, the label and claim selectors are ANDed;
 3. taints (OCM's TaintToleration filter): a NoSelect taint excludes the
    cluster unless tolerated; NoSelectIfNew too, unless the cluster is in the
    base decision; PreferNoSelect never excludes (and, by the default
    prioritizers, does not rank either). A toleration with tolerationSeconds
    tolerates until timeAdded + seconds (evaluated at `now`);
 4. numberOfClusters: what OCM's default prioritizers (Steady and Balance,
    weight 1 each) choose on a hub where this Placement is the only one with
    decisions: the clusters of the base decision first (Steady), then by name.
    Balance also counts the decisions of every other placement on the hub,
    which i4qew cannot see, so a decision that had to leave feasible clusters
    out is *advisory*: the count is exact, which clusters is the hub's choice.
PlacementRule (placementApi: PlacementRule): no cluster sets, no taints; the
default clusterConditions keep only clusters whose Available condition is True
(clusters that report no conditions count as available); clusterReplicas chooses
as numberOfClusters does and is advisory in the same way.

Every step is big-int set algebra over the inventory's label index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from i4qew import memo
from i4qew.model.repo import Predicate, Repo, Toleration, Workload
from i4qew.placement.bits import first, from_ids, members
from i4qew.placement.effective import EffectivePlacement, Placeable, effective_placement
from i4qew.placement.inventory import Cluster, Inventory, Taint
from i4qew.placement.names import gitops_cluster_name as gitops_cluster_name
from i4qew.placement.names import placement_name as placement_name

PLACEMENT_RULE = "PlacementRule"


@dataclass(frozen=True)
class Decision:
    workload: Workload
    env: str
    effective: EffectivePlacement
    name: str  # the Placement's name; its namespace is the workload's
    clusters: int  # chosen clusters as a bitset over the inventory
    key: str  # "namespace/workload": the workload's identity across revisions
    feasible: int = 0  # how many clusters the filters keep, before numberOfClusters
    # numberOfClusters left feasible clusters out: which ones is the hub's choice
    # (its Balance prioritizer counts decisions i4qew cannot see); the count is exact.
    advisory: bool = False

    def placed(self, clusters: int, feasible: int, advisory: bool) -> Decision:
        """The same workload's decision with these clusters (a hub's, from its empty one)."""
        return decision(self.workload, self.env, self.effective, self.name, clusters, self.key, feasible, advisory)


_new = object.__new__
_set = object.__setattr__


def decision(workload: Workload, env: str, effective: EffectivePlacement, name: str, clusters: int, key: str,
             feasible: int = 0, advisory: bool = False) -> Decision:
    """Decision(...) without the frozen dataclass's __init__ and its checks (a 5x fleet makes
    ~100,000): the same fields set in the same order, so equal, hashed, printed and pickled
    alike, and as compact (instance.__dict__.update would make each a dict twice the size)."""
    d: Decision = _new(Decision)
    _set(d, "workload", workload)
    _set(d, "env", env)
    _set(d, "effective", effective)
    _set(d, "name", name)
    _set(d, "clusters", clusters)
    _set(d, "key", key)
    _set(d, "feasible", feasible)
    _set(d, "advisory", advisory)
    return d


class _MadeOnRead:
    """LaterDecision.effective: its planner's effective placement, made on the first read
    (then kept in the instance, which a non-data descriptor gives way to)."""

    def __get__(self, obj: LaterDecision | None, owner: type | None = None) -> EffectivePlacement:
        if obj is None:
            raise AttributeError("effective")
        ep = obj.__dict__["planner"].effective(obj.workload, obj.env)
        obj.__dict__["effective"] = ep
        return ep  # type: ignore[no-any-return]


class LaterDecision(Decision):
    """A Decision whose effective placement is made when first read: a fleet's warm run
    knows where an unchanged workload's decisions are from its document (decided_docs.py),
    and the checks read the placement of few of them. Equal to the Decision of the same
    fields."""

    effective = _MadeOnRead()

    @staticmethod
    def of(planner: Planner, workload: Workload, env: str, name: str, key: str,
           clusters: int = 0, feasible: int = 0, advisory: bool = False) -> Decision:
        """`planner.effective(workload, env)` is the placement (never None: the caller knows one exists)."""
        d = object.__new__(LaterDecision)
        d.__dict__.update(workload=workload, env=env, name=name, clusters=clusters, key=key, feasible=feasible,
                          advisory=advisory, planner=planner)
        return d

    def placed(self, clusters: int, feasible: int, advisory: bool) -> Decision:
        if "effective" in self.__dict__:
            return super().placed(clusters, feasible, advisory)
        return LaterDecision.of(self.__dict__["planner"], self.workload, self.env, self.name, self.key, clusters,
                                feasible, advisory)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = Decision.__hash__


_FIELDS = tuple(f.name for f in dataclasses.fields(Decision))


def toleration_matches(tol: Toleration, taint: Taint, now: datetime | None) -> bool:
    if tol.effect and tol.effect != taint.effect:
        return False
    if tol.key and tol.key != taint.key:
        return False
    if tol.operator == "Exists":
        pass
    elif (tol.value or "") != taint.value:
        return False
    if tol.toleration_seconds is None:
        return True
    # OCM counts from the taint's timeAdded; a taint without one has expired.
    if taint.time_added is None or now is None:
        return False
    return now < taint.time_added + timedelta(seconds=tol.toleration_seconds)


def excluded(cluster: Cluster, tolerations: tuple[Toleration, ...], in_base: bool, now: datetime | None) -> bool:
    for taint in cluster.taints:
        if taint.effect == "PreferNoSelect" or (taint.effect == "NoSelectIfNew" and in_base):
            continue
        if not any(toleration_matches(t, taint, now) for t in tolerations):
            return True
    return False


class Planner:
    """Decisions of one repository over one inventory, with shared caches."""

    def __init__(self, repo: Repo, inventory: Inventory, *, now: datetime | None = None) -> None:
        self.repo = repo
        self.inv = inventory
        self.now = now if now is not None else inventory.as_of
        self.rule_mode = repo.repository.placement_api == PLACEMENT_RULE
        self._predicates: dict[Predicate, int] = {}
        self._by_id: dict[int, int] = {}
        self._keep: list[Predicate] = []  # keeps the ids in _by_id from being reused
        self._sets: dict[tuple[str, ...], int] = {}
        self._taints: dict[tuple[Toleration, ...], tuple[int, int]] = {}
        self._taints_by_id: dict[int, tuple[tuple[Toleration, ...], tuple[int, int]]] = {}
        self._kept_by_id: dict[int, tuple[tuple[Toleration, ...], int]] = {}  # kept(), by id of the tolerations
        self._decisions: dict[str, list[Decision]] = {}
        self._kept: tuple[str, dict[str, int], list[Decision]] | None = None  # the last call with a base
        self._effective: dict[tuple[int, str], EffectivePlacement | None] = {}
        # A hub of a fleet: decisions(env, base) made over the fleet (placement/fleet_decide.py),
        # and evaluate_all's placements too.
        self.shared: Callable[[str, Mapping[str, int] | None], list[Decision]] | None = None
        self.shared_all: Callable[[Sequence[Placeable]], list[int]] | None = None
        self.shared_of: Callable[[str, Sequence[Workload]], list[Decision | None]] | None = None
        self.shared_empties: Callable[[str, list[Decision]], list[Decision] | None] | None = None
        self.shared_placing: Callable[[str, list[Decision]], list[int] | None] | None = None

    def predicate(self, p: Predicate) -> int:
        # Keyed by identity first: hashing a Predicate walks its selectors, and the
        # same objects (a policy's predicates) come back for every workload using it.
        bits = self._by_id.get(id(p))
        if bits is None:
            bits = self._predicates.get(p)
            if bits is None:
                bits = self.inv.labels.selector(p.labels)
                if bits and not p.claims.is_empty():
                    bits &= self.inv.claims.selector(p.claims)
                self._predicates[p] = bits
            self._by_id[id(p)] = bits
            self._keep.append(p)
        return bits

    def predicates(self, preds: tuple[Predicate, ...]) -> int:
        """The clusters any of `preds` selects."""
        bits = 0
        for p in preds:
            bits |= self.predicate(p)
        return bits

    def sets(self, names: tuple[str, ...]) -> int:
        if self.rule_mode:
            return self.inv.all
        bits = self._sets.get(names)
        if bits is None:
            bits = 0
            for n in names:
                bits |= self.inv.set_members(n)
            self._sets[names] = bits
        return bits

    def taint_sets(self, tolerations: tuple[Toleration, ...]) -> tuple[int, int]:
        """Over the whole inventory, for one list of tolerations: the clusters a taint
        excludes, and those excluded only when new (NoSelectIfNew). Placements mostly
        share their tolerations (the offline ones), so this runs a handful of times,
        not once per workload."""
        by_id = self._taints_by_id.get(id(tolerations))  # the tuples are shared (effective.py): no hashing
        if by_id is not None and by_id[0] is tolerations:
            return by_id[1]
        cached = self._taints.get(tolerations)
        if cached is None:
            always: list[int] = []
            if_new: list[int] = []
            clusters, now, size = self.inv.clusters, self.now, len(self.inv)
            for i in members(self.inv.tainted):
                c = clusters[i]
                if excluded(c, tolerations, True, now):
                    always.append(i)
                elif excluded(c, tolerations, False, now):
                    if_new.append(i)
            cached = (from_ids(always, size), from_ids(if_new, size))
            self._taints[tolerations] = cached
        self._taints_by_id[id(tolerations)] = (tolerations, cached)
        return cached

    def kept(self, tolerations: tuple[Toleration, ...]) -> int:
        """The clusters no taint excludes with these tolerations and no base decision:
        tolerated(candidates, tolerations, 0) is candidates & kept(tolerations)."""
        by_id = self._kept_by_id.get(id(tolerations))
        if by_id is not None and by_id[0] is tolerations:
            return by_id[1]
        if self.rule_mode:
            kept = self.inv.all & ~self.inv.unavailable
        else:
            always, if_new = self.taint_sets(tolerations)
            kept = self.inv.all & ~(always | if_new)
        self._kept_by_id[id(tolerations)] = (tolerations, kept)
        return kept

    def tolerated(self, candidates: int, tolerations: tuple[Toleration, ...], base: int) -> int:
        """`candidates` without the clusters whose taints exclude them."""
        if self.rule_mode:
            return candidates & ~self.inv.unavailable
        if not candidates & self.inv.tainted:
            return candidates
        always, if_new = self.taint_sets(tolerations)
        return candidates & ~always & ~(if_new & ~base)

    def choose(self, feasible: int, count: int | None, base: int) -> int:
        """OCM's default prioritizers on a hub where no other placement has decisions:
        Balance scores every cluster alike, Steady ranks the base decision first;
        ties go by name (controllers/scheduling/schedule.go)."""
        if count is None or feasible.bit_count() <= count:
            return feasible
        kept = first(feasible & base, count)
        return kept | first(feasible & ~base, count - kept.bit_count())

    def feasible(self, ep: Placeable, base: int = 0) -> int:
        """The clusters the filters keep (sets, predicates, taints), before numberOfClusters."""
        # AND over the conjuncts of the OR of their predicates: the same clusters as
        # the OR of ep.predicates (AND distributes over OR), without multiplying out.
        eligible = self.sets(ep.cluster_sets)
        for c in ep.conjuncts:
            eligible &= self.predicates(c.predicates)
            if not eligible:
                return 0
        return self.tolerated(eligible, ep.tolerations, base)

    def evaluate(self, ep: Placeable, base: int = 0) -> int:
        return self.choose(self.feasible(ep, base), ep.max_clusters, base)

    def evaluate_all(self, placeables: Sequence[Placeable]) -> list[int]:
        """evaluate(p) of each (no base): over the fleet, for a hub of one (e.g. the stagings)."""
        if self.shared_all is not None:
            return self.shared_all(placeables)
        return [self.evaluate(p) for p in placeables]

    def effective(self, workload: Workload, env: str) -> EffectivePlacement | None:
        key = (id(workload), env)
        if key not in self._effective:
            self._effective[key] = effective_placement(self.repo, workload, env)
        return self._effective[key]

    def decide(self, workload: Workload, env: str, base: int = 0) -> Decision | None:
        ep = self.effective(workload, env)
        if ep is None:
            return None
        feasible = self.feasible(ep, base)
        count, n = ep.max_clusters, feasible.bit_count()
        return Decision(workload, env, ep, placement_name(workload.name, env), self.choose(feasible, count, base),
                        f"{workload.namespace}/{workload.name}", n, advisory=count is not None and n > count)

    def decisions_of(self, env: str, workloads: Sequence[Workload]) -> list[Decision | None]:
        """decisions(env)'s decision of each of `workloads` (None: it has none), for a
        caller that needs a few: a hub of a fleet makes no other workload's decision."""
        if self.shared_of is not None and env not in self._decisions:
            return self.shared_of(env, workloads)
        decisions = self.decisions(env)
        at = {id(d.workload): d for d in decisions}
        return [d if (d := at.get(id(w))) is not None and d.workload is w else None for w in workloads]

    def empties(self, env: str, decisions: list[Decision]) -> list[Decision] | None:
        """When `decisions` is decisions(env) as a fleet made it (no base): the list it was made
        from, each workload's empty decision in the same order, shared by the hubs of a group;
        where this hub places nothing, `decisions` holds that very object. Else None."""
        return self.shared_empties(env, decisions) if self.shared_empties is not None else None

    def placing(self, env: str, decisions: list[Decision]) -> list[int] | None:
        """Where `decisions` is one `empties` answers for: the positions (ascending) of those that
        select clusters, without a walk over the list (a fleet's hub places few of the fleet's
        workloads). Else None."""
        return self.shared_placing(env, decisions) if self.shared_placing is not None else None

    def decisions(self, env: str, base: Mapping[str, int] | None = None) -> list[Decision]:
        """One decision per workload enabled in `env`; `base` maps Decision.key to its
        base decision (a bitset over this inventory). The same call twice decides once
        (render: the branch's plan for its page, then its snapshot, over one base)."""
        if not base and env in self._decisions:
            return self._decisions[env]
        if base and self._kept is not None and self._kept[0] == env and self._kept[1] == base:
            return self._kept[2]
        out: list[Decision] = []
        if self.shared is not None:
            out = self.shared(env, base)
        else:
            for w in self.repo.workloads:
                if not w.enabled_in(env):
                    continue
                d = self.decide(w, env, (base or {}).get(f"{w.namespace}/{w.name}", 0))
                if d is not None:
                    out.append(d)
        if not base:
            self._decisions[env] = out
        else:
            self._kept = (env, dict(base), out)
        return out


_last: list[Planner] = memo.held("placement.decide.last_planner", [])
_KEPT = 64


def planner_for(repo: Repo, inventory: Inventory, now: datetime | None = None) -> Planner:
    """A planner shared by the checks and the command that run on the same repo and
    inventory in one process (validation, then plan), so decisions are made once."""
    for p in _last:
        if p.repo is repo and p.inv is inventory and p.now == (now if now is not None else inventory.as_of):
            return p
    planner = Planner(repo, inventory, now=now)
    _last[:] = [*_last[-(_KEPT - 1):], planner]  # one per hub of a fleet (spec.hubs)
    return planner
