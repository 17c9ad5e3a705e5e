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

import bisect
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from i4qew import memo
from i4qew.model.repo import Predicate, Repo, Workload
from i4qew.placement.bits import LabelIndex
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
    # per hub: (position, clusters, how many the filters kept, advisory); made for the first hub's list
    reached: dict[int, list[tuple[int, int, int, bool]]] | None = None
    at: dict[int, dict[int, int]] = field(default_factory=dict)  # per group: id(workload) -> position


class FleetDecider:
    """The hubs' planners (each over its inventory) deciding once over their concatenation."""

    def __init__(self, planners: Sequence[Planner]) -> None:
        self.planners = tuple(planners)
        self.offsets: list[int] = []
        self.below: list[int] = []  # per hub, the fleet's bits below its offset
        size = 0
        for p in self.planners:
            self.offsets.append(size)
            self.below.append((1 << size) - 1)
            size += len(p.inv)
        self.key = fleet_key(self.planners)  # None: not kept between runs
        # Hubs whose views place alike: an effective placement reads one hub setting, its cluster sets.
        by_sets: dict[tuple[str, ...], list[int]] = {}
        for i, p in enumerate(self.planners):
            by_sets.setdefault(p.repo.repository.cluster_sets, []).append(i)
        self.groups = list(by_sets.values())
        self.group_of = {h: g for g, hubs in enumerate(self.groups) for h in hubs}
        self._sets_of: dict[tuple[int, tuple[str, ...]], dict[int, int] | None] = {}
        # per hub, the clusters Planner.tolerated may take out: tainted ones (all, for a PlacementRule hub)
        self._tainted = [p.inv.all if p.rule_mode else p.inv.tainted for p in self.planners]
        self._predicates: dict[int, tuple[Predicate, int]] = {}  # by id, the object kept alive
        # by id of a conjunct's predicates (the tuple kept alive): their fleet set, each hub's share
        self._ors_of: dict[int, tuple[tuple[Predicate, ...], int, dict[int, int] | None]] = {}
        self._sets: dict[tuple[int, tuple[str, ...]], int] = {}
        self._envs: dict[str, _Decided] = {}
        self._finals: dict[str, _Final] = {}
        self._evaluated: dict[int, tuple[Placeable, int, dict[int, int]]] = {}  # by id, the placement kept alive
        self._eligible: tuple[str, EligibleCache] | None = None  # the pack _decided opened

    @cached_property
    def labels(self) -> LabelIndex:  # built only when some placement is not in the cache
        return LabelIndex([c.labels for p in self.planners for c in p.inv.clusters])

    @cached_property
    def claims(self) -> LabelIndex:
        return LabelIndex([c.claims for p in self.planners for c in p.inv.clusters])

    def predicate(self, p: Predicate) -> int:
        got = self._predicates.get(id(p))
        if got is not None:
            return got[1]
        bits = self.labels.selector(p.labels)
        if bits and not p.claims.is_empty():
            bits &= self.claims.selector(p.claims)
        self._predicates[id(p)] = (p, bits)
        return bits

    def sets(self, group: int, names: tuple[str, ...]) -> int:
        """The clusters of the named sets on the group's hubs (each hub's own sets)."""
        bits = self._sets.get((group, names))
        if bits is None:
            bits = 0
            for h in self.groups[group]:
                bits |= self.planners[h].sets(names) << self.offsets[h]
            self._sets[(group, names)] = bits
        return bits

    def eligible(self, group: int, ep: Placeable) -> int:
        """Cluster sets and predicates over the fleet (what Planner.feasible does before taints)."""
        bits = self.sets(group, ep.cluster_sets)
        for c in ep.conjuncts:
            if not bits:
                return 0
            bits &= self._ors(c.predicates)[0]
        return bits

    def _ors(self, preds: tuple[Predicate, ...]) -> tuple[int, dict[int, int] | None]:
        """The clusters any of `preds` selects over the fleet, and (once asked for by _fresh)
        each hub's share of them. Once per tuple: the factors of the effective placements are
        shared objects (effective.py), and a policy's tuple serves its workload and model
        conjuncts alike."""
        got = self._ors_of.get(id(preds))
        if got is None or got[0] is not preds:
            ors = 0
            for p in preds:
                ors |= self.predicate(p)
            got = self._ors_of[id(preds)] = (preds, ors, None)
        return got[1], got[2]

    def _split(self, preds: tuple[Predicate, ...]) -> dict[int, int]:
        """Each hub's non-empty share of the clusters any of `preds` selects, by hub, ascending."""
        ors, split = self._ors(preds)
        if split is None:
            split = dict(self._shares(ors))
            self._ors_of[id(preds)] = (preds, ors, split)
        return split

    def _sets_split(self, group: int, names: tuple[str, ...]) -> dict[int, int] | None:
        """Each hub's non-empty share of the group's clusters in the named sets (its own sets);
        None when that is every cluster of every hub (nothing to AND)."""
        key = (group, names)
        if key in self._sets_of:
            return self._sets_of[key]
        split: dict[int, int] = {}
        for h in self.groups[group]:
            if bits := self.planners[h].sets(names):
                split[h] = bits
        everything = len(split) == len(self.planners) and all(split[h] == p.inv.all for h, p in enumerate(self.planners))
        self._sets_of[key] = None if everything else split
        return self._sets_of[key]

    def _fresh(self, group: int, ep: Placeable) -> Decided:
        """What each hub of the group decides for `ep` without a base, from nothing kept: the
        same as _tolerated(shares of eligible(group, ep)), hub by hub. The conjuncts are ANDed
        over each hub's share (a few hundred bytes), only on the hubs where every conjunct
        selects something, instead of over the whole fleet's set (~6 KB at 50,000 clusters)."""
        ors_of = self._ors_of
        sets = self._sets_split(group, ep.cluster_sets)
        splits = [] if sets is None else [sets]
        for c in ep.conjuncts:
            preds = c.predicates
            got = ors_of.get(id(preds))
            split = got[2] if got is not None and got[0] is preds else None
            splits.append(split if split is not None else self._split(preds))
        if not splits:  # (no conjunct, every cluster)
            splits = [{h: self.planners[h].inv.all for h in self.groups[group]}]
        first = min(splits, key=len)
        planners, tainted, count, tolerations = self.planners, self._tainted, ep.max_clusters, ep.tolerations
        out = []
        for h, bits in first.items():
            for split in splits:
                if split is not first:
                    other = split.get(h)
                    if other is None:
                        bits = 0
                        break
                    bits &= other
                    if not bits:
                        break
            if not bits:
                continue
            # Planner.tolerated(bits, tolerations, 0): a Placement hub's share with no tainted cluster keeps every one
            feasible = bits if bits & tainted[h] == 0 else bits & planners[h].kept(tolerations)
            n = feasible.bit_count()
            if not n:
                continue
            if count is None or n <= count:
                out.append((h, feasible, n, False))
            else:
                out.append((h, planners[h].choose(feasible, count, 0), n, True))
        return tuple(out)

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
            empties: list[Decision] = []
            placed: list[tuple[int, Decided]] = []
            for w in planner.repo.workloads:
                if not w.enabled_in(env):
                    continue
                ep = planner.effective(w, env)
                if ep is None:
                    continue
                decided = self._fresh(g, ep)
                if decided:
                    placed.append((len(empties), decided))
                empties.append(decision(w, env, ep, placement_name(w.name, env), 0, f"{w.namespace}/{w.name}"))
            lists = {h: list(empties) for h in hubs}
            for pos, decided in placed:
                e = empties[pos]
                for h, clusters, n, advisory in decided:
                    lists[h][pos] = e.placed(clusters, n, advisory)
            final.empties.append(empties)
            final.hubs.update(lists)
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
        for pos, clusters, n, advisory in final.reached.pop(hub, ()):  # read once: let it go
            out[pos] = empties[pos].placed(clusters, n, advisory)
        final.hubs[hub] = out
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

    def _tolerated(self, shares: Shares, ep: Placeable) -> Decided:
        """Each hub's decision from its share of the eligible clusters: taints, then numberOfClusters."""
        out = []
        count = ep.max_clusters
        for h, eligible in shares:
            planner = self.planners[h]
            feasible = planner.tolerated(eligible, ep.tolerations, 0)
            n = feasible.bit_count()
            if n:
                out.append((h, planner.choose(feasible, count, 0), n, count is not None and n > count))
        return tuple(out)

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

    def _shares(self, bits: int) -> Shares:
        """Each hub's share of a fleet set, hub by hub, the empty ones left out. Peeled
        from the top: the highest hub with a member is the set shifted down to its offset
        (nothing above it is left), then the set is cut below that offset."""
        offsets, below = self.offsets, self.below
        out = []
        while bits:
            h = bisect.bisect_right(offsets, bits.bit_length() - 1) - 1
            out.append((h, bits >> offsets[h]))
            bits &= below[h]
        out.reverse()
        return tuple(out)

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
    return {name: p for (name, _, _), p in zip(hubs, planners, strict=True)}
