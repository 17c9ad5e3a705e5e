"""The fleet's sets of clusters and what its hubs decide afresh (no cache, no base): the
part of placement/fleet_decide.py's FleetDecider that works on the hubs' inventories
concatenated. Hub h's cluster i is fleet bit offset[h] + i; a hub's share of a fleet set is
a shift and a mask (`_shares`). A conjunct's predicates are evaluated once over the fleet and
split into each hub's share once (`_split`); a placement is decided hub by hub over those
shares, only on the hubs where every conjunct selects something (`_fresh`)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from functools import cached_property

from i4qew.model.repo import Predicate
from i4qew.placement.bits import LabelIndex
from i4qew.placement.decide import Planner
from i4qew.placement.decided_cache import Decided
from i4qew.placement.effective import Placeable
from i4qew.placement.eligible_cache import Shares


class FleetSets:
    """The hubs' planners (each over its inventory) and their inventories concatenated."""

    def __init__(self, planners: Sequence[Planner]) -> None:
        self.planners = tuple(planners)
        self.offsets: list[int] = []
        self.below: list[int] = []  # per hub, the fleet's bits below its offset
        size = 0
        for p in self.planners:
            self.offsets.append(size)
            self.below.append((1 << size) - 1)
            size += len(p.inv)
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

    @cached_property
    def labels(self) -> LabelIndex:  # built only when some placement is not in the cache
        return LabelIndex([c.labels for p in self.planners for c in p.inv.clusters])

    @cached_property
    def claims(self) -> LabelIndex:
        return LabelIndex([c.claims for p in self.planners for c in p.inv.clusters])

    def prefetch(self, placements: Iterable[Placeable]) -> None:
        """The label and claim keys the predicates of `placements` read, indexed in one pass
        each (LabelIndex.prefetch) before they are evaluated one by one."""
        seen: set[int] = set()
        labels: dict[str, None] = {}
        claims: dict[str, None] = {}
        for ep in placements:
            for c in ep.conjuncts:
                if id(c.predicates) in seen:
                    continue
                seen.add(id(c.predicates))
                for p in c.predicates:
                    if id(p) not in self._predicates:
                        labels.update(dict.fromkeys(r.key for r in p.labels.requirements))
                        claims.update(dict.fromkeys(r.key for r in p.claims.requirements))
        if labels:
            self.labels.prefetch(labels)
        if claims:
            self.claims.prefetch(claims)

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
