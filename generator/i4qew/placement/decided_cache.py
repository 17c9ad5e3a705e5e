"""The fleet's final decisions kept between runs (i4qew/store.py): per environment, for
each workload's effective placement, what each hub decides without a base decision
(`validate`, `plan --env`): the clusters chosen, how many the filters kept, and whether
numberOfClusters left some out (FleetDecider.hub_decisions with no base). A hit skips
the eligible clusters, the taints and numberOfClusters, and so reads nothing of the
inventories but their keys, sizes, times and taint summaries (inventory_load.py loads
a hub's clusters only when something asks for them).

A pack per fleet and environment, keyed by the fleet (eligible_cache.fleet_key: each
hub's inventory key, size, placement API and cluster sets) and the time each hub judges
taints at (`--now`, else its inventory's newest taint). An entry's key is the eligible
cache's (the hub group, the cluster sets, every conjunct's predicates written out) with
the placement's tolerations and numberOfClusters: everything the decision reads of the
workload, its policy, its model's policy and the environment (kept as its digest:
decided_docs.py holds it per workload document). A decision with a base
(`plan --base`, render's waves) is never kept here. The placements a hub's planner
evaluates alone without a base (Planner.evaluate_all: the models' stagings that `plan`
shows) are decided over the fleet the same way and kept in a pack of their own
(STAGINGS in place of the environment: a staging's environment is in its conjuncts).
"""

from __future__ import annotations

from collections.abc import Sequence

from i4qew import store
from i4qew.model.repo import Toleration
from i4qew.placement.decide import Planner
from i4qew.placement.effective import Conjunct, Placeable
from i4qew.placement.eligible_cache import EntryPack, EntryText

KIND = "decided"
STAGINGS = "*stagings"  # the pack of the placements evaluated alone (Planner.evaluate_all: the stagings)
MAX_ENTRIES = 200_000
# (hub index, the clusters chosen, how many the filters kept, advisory), hubs that keep none left out
Decided = tuple[tuple[int, int, int, bool], ...]


def decided_cache(fleet: str | None, env: str, planners: Sequence[Planner]) -> DecidedCache | None:
    """The pack of `fleet`, `env` and the planners' times; None when the fleet has no key or
    the cache is off (then nothing of this module runs)."""
    if fleet is None or not store.active().on:
        return None
    times = "\0".join(repr(p.now) for p in planners)
    return DecidedCache(store.digest(f"{fleet}\0{env}\0{times}".encode()))


class DecidedCache(EntryPack[Decided]):
    """One environment's pack of final decisions; `entry` writes a placement's key."""

    def __init__(self, key: str) -> None:
        super().__init__(KIND, key, _valid, MAX_ENTRIES)
        self._texts = EntryText()
        self._entries: dict[tuple[object, ...], tuple[tuple[Conjunct, ...], tuple[Toleration, ...], str]] = {}

    def entry(self, group: int, ep: Placeable) -> str:
        # Workloads share their factors (effective.py): by the identities of the conjuncts and
        # tolerations (each kept alive in the value, so no other object takes its id), written once.
        ids = (group, ep.cluster_sets, ep.max_clusters, id(ep.tolerations), *map(id, ep.conjuncts))
        got = self._entries.get(ids)
        if got is None:
            text = f"{self._texts(group, ep)}\0{ep.tolerations!r}\0{ep.max_clusters!r}"
            got = self._entries[ids] = (ep.conjuncts, ep.tolerations, store.digest(text.encode("utf-8", "surrogatepass")))
        return got[2]


def _valid(decided: object) -> bool:
    return isinstance(decided, tuple) and all(
        isinstance(d, tuple) and len(d) == 4 and type(d[0]) is int and type(d[1]) is int and type(d[2]) is int
        and type(d[3]) is bool for d in decided)
