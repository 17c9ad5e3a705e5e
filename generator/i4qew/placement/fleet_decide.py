"""A fleet's decisions made once over the fleet (spec.hubs), not once per hub.

Each hub decides over its own inventory: a Placement sees its hub's ManagedClusters
and no other. But the filters that do not depend on the hub (the predicates' label
and claim selectors) select the same clusters whichever hub holds them. The fleet
index is the hubs' inventories concatenated, hub by hub, each in its own order: hub
h's cluster i is fleet bit offset[h] + i, so a hub's share of a fleet set is a shift
and a mask. Per workload and environment, the predicates and the cluster sets (each
hub's own, shifted into place) are evaluated once over the fleet; only the hubs whose
share is not empty decide further, with their own planner (taints at the hub's time,
numberOfClusters over the hub's base decision). Every other hub gets the workload's
empty decision, one object shared by those hubs, without any work: a workload for a
few sites costs a few hubs, not all of them.

The decisions are the ones each hub's `Planner` makes alone (tests/unit/placement
compare them); `hub_planners` wires each hub's planner to the fleet's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from i4qew import memo
from i4qew.model.repo import Repo, Workload
from i4qew.placement.decide import (
    Decision,
    LaterDecision,
    Planner,
    decision,
    placement_name,
    planner_for,
)
from i4qew.placement.decided_cache import STAGINGS, Decided, DecidedCache, decided_cache
from i4qew.placement.decided_docs import DecidedDocs
from i4qew.placement.effective import EffectivePlacement, Placeable
from i4qew.placement.eligible_cache import EligibleCache, Shares, eligible_cache, fleet_key
from i4qew.placement.fleet_sets import FleetSets
from i4qew.placement.inventory import Inventory


@dataclass
class _Decided:
    """One environment over the fleet, before the hubs' bases."""

    empties: list[list[Decision]]  # per group: each workload's empty decision, in the planner's order
    # per hub: (position in the list, workload, effective placement, the hub's share of the eligible clusters)
    reached: list[list[tuple[int, Workload, EffectivePlacement, int]]] = field(default_factory=list)


@dataclass
class _Final:
    """One environment over the fleet without a base: per group, each workload's empty
    decision (in the planner's order) and what the hubs decide for it; each hub's list is
    made when asked for (a warm `validate` asks for the hubs it checks again only)."""

    empties: list[list[Decision]]
    decided: list[list[Decided]]
    hubs: dict[int, list[Decision]] = field(default_factory=dict)
    placing: dict[int, list[int]] = field(default_factory=dict)  # per hub made: where its decision selects clusters
    # per hub: (position, clusters, how many the filters kept, advisory); made for the first hub's list
    reached: dict[int, list[tuple[int, int, int, bool]]] | None = None
    at: dict[int, dict[int, int]] = field(default_factory=dict)  # per group: id(workload) -> position


class FleetDecider(FleetSets):
    """The hubs' planners (each over its inventory) deciding once over their concatenation
    (fleet_sets.py), each decision kept in the caches when they are on."""

    def __init__(self, planners: Sequence[Planner]) -> None:
        super().__init__(planners)
        self.key = fleet_key(self.planners)  # None: not kept between runs
        self._envs: dict[str, _Decided] = {}
        self._finals: dict[str, _Final] = {}
        self._evaluated: dict[int, tuple[Placeable, int, dict[int, int]]] = {}  # by id, the placement kept alive
        self._eligible: tuple[str, EligibleCache] | None = None  # the pack _decided opened

    def _empties(self, group: int, env: str) -> list[Decision]:
        """Each workload of `env` with an effective placement, as its empty decision, in the planner's order."""
        planner = self.planners[self.groups[group][0]]
        return [decision(w, env, ep, placement_name(w.name, env), 0, f"{w.namespace}/{w.name}")
                for w in planner.repo.workloads if w.enabled_in(env) and (ep := planner.effective(w, env)) is not None]

    def _eligible_shares(self, cache: EligibleCache | None, group: int, ep: EffectivePlacement) -> Shares:
        """Each hub's share of the clusters `ep` selects (from the eligible cache when it holds them)."""
        entry = cache.entry(group, ep) if cache is not None else ""
        shares = cache.get(entry) if cache is not None else None
        if shares is None:
            shares = self._shares(self.eligible(group, ep))
            if cache is not None:
                cache.put(entry, shares)
        return shares

    def _decide(self, env: str) -> _Decided:
        got = self._envs.get(env)
        if got is not None:
            return got
        decided = _Decided([], [[] for _ in self.planners])
        cache = eligible_cache(self.key, env)
        for g in range(len(self.groups)):
            empties = self._empties(g, env)
            for pos, empty in enumerate(empties):
                for h, share in self._eligible_shares(cache, g, empty.effective):
                    decided.reached[h].append((pos, empty.workload, empty.effective, share))
            decided.empties.append(empties)
        if cache is not None:
            cache.save()
        self._envs[env] = decided
        return decided

    def _final(self, env: str) -> _Final:
        """Every workload's decision on each hub without a base, per group: its empty
        decision and what the hubs decide (from the decided cache when it holds them,
        decided_cache.py: no eligible set, taint or count). No hub's list is made here."""
        got = self._finals.get(env)
        if got is not None:
            return got
        cache = decided_cache(self.key, env, self.planners)
        if cache is None:  # no cache (a cold run): every hub's list is asked for, made in one pass
            final = self._cold(env)
            self._finals[env] = final
            return final
        docs = DecidedDocs(env, self.planners[0].repo, len(self.groups))
        final = _Final([], [])
        for g in range(len(self.groups)):
            planner = self.planners[self.groups[g][0]]
            empties: list[Decision] = []
            rows: list[Decided] = []
            for w in planner.repo.workloads:
                if not w.enabled_in(env):
                    continue
                known = docs.get(w, g)  # where its decisions are, by its document
                if known is None:  # no effective placement
                    docs.hit(w, g)
                    continue
                decided = cache.get(known) if isinstance(known, str) else None
                if decided is not None:  # its placement is made only if read
                    docs.hit(w, g)
                    empties.append(LaterDecision.of(planner, w, env, placement_name(w.name, env),
                                                    f"{w.namespace}/{w.name}"))
                    rows.append(decided)
                    continue
                ep = planner.effective(w, env)
                if ep is None:
                    docs.put(w, g, None)
                    continue
                entry = cache.entry(g, ep)
                decided = cache.get(entry)
                if decided is None:
                    decided = self._decided(env, g, ep)
                    cache.put(entry, decided)
                docs.put(w, g, entry)
                empties.append(decision(w, env, ep, placement_name(w.name, env), 0, f"{w.namespace}/{w.name}"))
                rows.append(decided)
            final.empties.append(empties)
            final.decided.append(rows)
        docs.save()
        cache.save()
        if self._eligible is not None:
            self._eligible[1].save()
        self._finals[env] = final
        return final

    def _cold(self, env: str) -> _Final:
        """_final without the caches: each workload's placement decided (_fresh), and every
        hub's list made at once (a cold run asks for each)."""
        final = _Final([], [])
        for g, hubs in enumerate(self.groups):
            planner = self.planners[hubs[0]]
            made = [(w, ep) for w in planner.repo.workloads if w.enabled_in(env)
                    and (ep := planner.effective(w, env)) is not None]
            self.prefetch(ep for _, ep in made)
            empties: list[Decision] = []
            placed: list[tuple[int, Decided]] = []
            for w, ep in made:
                decided = self._fresh(g, ep)
                if decided:
                    placed.append((len(empties), decided))
                empties.append(decision(w, env, ep, placement_name(w.name, env), 0, f"{w.namespace}/{w.name}"))
            lists = {h: list(empties) for h in hubs}
            placing: dict[int, list[int]] = {h: [] for h in hubs}
            for pos, decided in placed:
                e = empties[pos]
                for h, clusters, n, advisory in decided:
                    lists[h][pos] = e.placed(clusters, n, advisory)
                    if clusters:
                        placing[h].append(pos)
            final.empties.append(empties)
            final.hubs.update(lists)
            final.placing.update(placing)
        return final

    def _hub_final(self, hub: int, env: str) -> list[Decision]:
        """Hub `hub`'s decisions without a base, made on the first call for it: the group's
        empty decisions, with those of the workloads the hub places."""
        final = self._final(env)
        got = final.hubs.get(hub)
        if got is not None:
            return got
        g = self.group_of[hub]
        if final.reached is None:  # each hub's (position, decision) pairs, in one pass over the fleet
            reached: dict[int, list[tuple[int, int, int, bool]]] = {}
            final.reached = reached
            for rows in final.decided:  # a hub is in one group: only its group's rows name it
                for pos, decided in enumerate(rows):
                    for h, clusters, n, advisory in decided:
                        reached.setdefault(h, []).append((pos, clusters, n, advisory))
        empties = final.empties[g]
        out = list(empties)
        placing = []
        for pos, clusters, n, advisory in final.reached.pop(hub, ()):  # read once: let it go
            out[pos] = empties[pos].placed(clusters, n, advisory)
            if clusters:
                placing.append(pos)
        final.hubs[hub] = out
        final.placing[hub] = placing
        if len(final.hubs) == len(self.planners):  # every hub's list made: no one reads the rows again
            final.decided = []
        return out

    def empties_of(self, hub: int, env: str, decisions: list[Decision]) -> list[Decision] | None:
        """The group's empty decisions `decisions` was made from, if it is the list this decider
        gave hub `hub` for `env` without a base (Planner.empties)."""
        final = self._finals.get(env)
        if final is None or final.hubs.get(hub) is not decisions:
            return None
        return final.empties[self.group_of[hub]]

    def placing_of(self, hub: int, env: str, decisions: list[Decision]) -> list[int] | None:
        """The positions (ascending) of the decisions of `decisions` that select clusters, if it
        is the list this decider gave hub `hub` for `env` without a base."""
        final = self._finals.get(env)
        if final is None or final.hubs.get(hub) is not decisions:
            return None
        return final.placing.get(hub)

    def decisions_of(self, hub: int, env: str, workloads: Sequence[Workload]) -> list[Decision | None]:
        """Hub `hub`'s decision (no base) of each of `workloads` (None: it has none in
        `env`), without making the hub's whole list, nor any other hub's."""
        final = self._final(env)
        g = self.group_of[hub]
        at = final.at.get(g)
        if at is None:
            at = final.at[g] = {id(d.workload): pos for pos, d in enumerate(final.empties[g])}
        listed = final.hubs.get(hub)
        out: list[Decision | None] = []
        for w in workloads:
            pos = at.get(id(w))
            if pos is None or final.empties[g][pos].workload is not w:
                out.append(None)
            elif listed is not None:
                out.append(listed[pos])
            else:
                empty = final.empties[g][pos]
                found = next(((clusters, n, advisory) for h, clusters, n, advisory in final.decided[g][pos]
                              if h == hub), None)
                out.append(empty if found is None else empty.placed(*found))
        return out

    def evaluate_all(self, hub: int, placeables: Sequence[Placeable]) -> list[int]:
        """What hub `hub`'s planner evaluates for each placement alone (Planner.evaluate, no
        base), each decided once for the fleet (and kept in the decided cache: STAGINGS)."""
        group = self.group_of[hub]
        cache: DecidedCache | None = None
        out = []
        for p in placeables:
            got = self._evaluated.get(id(p))
            if got is None or got[0] is not p or got[1] != group:
                if cache is None:
                    cache = decided_cache(self.key, STAGINGS, self.planners)
                entry = cache.entry(group, p) if cache is not None else ""
                decided = cache.get(entry) if cache is not None else None
                if decided is None:
                    decided = self._fresh(group, p)
                    if cache is not None:
                        cache.put(entry, decided)
                got = self._evaluated[id(p)] = (p, group, {h: clusters for h, clusters, _, _ in decided})
            out.append(got[2].get(hub, 0))
        if cache is not None:
            cache.save()
        return out

    def _decided(self, env: str, group: int, ep: EffectivePlacement) -> Decided:
        """What each hub of the group decides for `ep` without a base (hub_decisions' steps)."""
        cache = self._eligible_cache(env)
        if cache is None:
            return self._fresh(group, ep)
        return self._tolerated(self._eligible_shares(cache, group, ep), ep)

    def _eligible_cache(self, env: str) -> EligibleCache | None:
        """The eligible pack of `env`, opened on the first decision the decided cache misses."""
        if self._eligible is None or self._eligible[0] != env:
            if self._eligible is not None:
                self._eligible[1].save()
            cache = eligible_cache(self.key, env)
            if cache is None:
                return None
            self._eligible = (env, cache)
        return self._eligible[1]

    def hub_decisions(self, hub: int, env: str, base: Mapping[str, int] | None) -> list[Decision]:
        """What hub `hub`'s planner decides alone: Planner.decisions(env, base)."""
        if not base:
            return self._hub_final(hub, env)
        decided = self._decide(env)
        out = list(decided.empties[self.group_of[hub]])
        planner = self.planners[hub]
        for pos, w, ep, eligible in decided.reached[hub]:
            empty = out[pos]
            was = base.get(empty.key, 0) if base else 0
            feasible = planner.tolerated(eligible, ep.tolerations, was)
            count, n = ep.max_clusters, feasible.bit_count()
            if n:
                out[pos] = decision(w, env, ep, empty.name, planner.choose(feasible, count, was), empty.key, n,
                                    count is not None and n > count)
        return out


_deciders: list[FleetDecider] = memo.held("placement.fleet_decide.deciders", [])
_KEPT = 4  # the head's fleet and a base's, with room to spare


def hub_planners(repo: Repo, inventories: Mapping[str, Inventory | None],
                 now: datetime | None = None) -> dict[str, Planner]:
    """Each hub's planner (hubs with an inventory, in spec.hubs order), deciding over the fleet.
    The planners are planner_for's, so every later planner_for of a hub gets the wired one."""
    hubs = [(h.name, view, inv) for h in repo.repository.hubs
            if (inv := inventories.get(h.name)) is not None and (view := repo.for_hub(h)) is not None]
    planners = [planner_for(view, inv, now) for _, view, inv in hubs]
    if len(planners) > 1:
        decider = next((d for d in _deciders if len(d.planners) == len(planners)
                        and all(a is b for a, b in zip(d.planners, planners, strict=True))), None)
        if decider is None:
            decider = FleetDecider(planners)
            _deciders[:] = [*_deciders[-(_KEPT - 1):], decider]
        for i, p in enumerate(planners):
            p.shared = functools.partial(decider.hub_decisions, i)
            p.shared_all = functools.partial(decider.evaluate_all, i)
            p.shared_of = functools.partial(decider.decisions_of, i)
            p.shared_empties = functools.partial(decider.empties_of, i)
            p.shared_placing = functools.partial(decider.placing_of, i)
    return {name: p for (name, _, _), p in zip(hubs, planners, strict=True)}
