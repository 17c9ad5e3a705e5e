"""The fleet's eligible clusters kept between runs (i4qew/store.py): per environment, for
each workload's effective placement, each hub's share of the clusters its cluster sets
and predicates select (what `FleetDecider.eligible` computes over the fleet's label
index, before taints and numberOfClusters).

A pack per fleet and environment, keyed by the fleet: each hub's inventory key (the
bytes of its files), its cluster sets and its placement API, in spec.hubs order. An
entry's key is the effective placement as the decider evaluates it (its cluster sets and
each conjunct's predicates, label and claim selectors written out in full), with the
hub group it was evaluated for: two workloads with the same placement share an entry,
and a changed workload, policy or model is another key. A fleet whose inventories were
not read from files (no key) is not kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from i4qew import store
from i4qew.model.repo import Predicate
from i4qew.placement.decide import Planner
from i4qew.placement.effective import Conjunct, Placeable

KIND = "eligible"
MAX_ENTRIES = 200_000
_NO_CLASSES = store.allow(())
Shares = tuple[tuple[int, int], ...]  # (hub index, the hub's share of the eligible clusters)
V = TypeVar("V")


def fleet_key(planners: Sequence[Planner]) -> str | None:
    parts = []
    for p in planners:
        if not p.inv.key:
            return None
        parts.append(f"{p.inv.key}\0{len(p.inv)}\0{p.rule_mode}\0{p.repo.repository.cluster_sets!r}")
    return store.digest("\n".join(parts).encode())


def eligible_cache(fleet: str | None, env: str) -> EligibleCache | None:
    """The pack of `fleet` and `env`; None when the fleet has no key or the cache is off (a
    run without the cache evaluates every placement: nothing of this module is in its way)."""
    return EligibleCache(fleet, env) if fleet is not None and store.active().on else None


class EntryText:
    """An effective placement as the decider evaluates it, written out with the hub group
    it is evaluated for: the key of its entry."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Predicate, str]] = {}  # by id, the object kept alive
        self._conjuncts: dict[int, tuple[Conjunct, str]] = {}

    def __call__(self, group: int, ep: Placeable) -> str:
        texts = self._conjuncts
        parts = []
        for c in ep.conjuncts:  # shared between workloads (effective.py): written once each
            got = texts.get(id(c))
            if got is None or got[0] is not c:
                got = texts[id(c)] = (c, "\2".join(self._text(p) for p in c.predicates))
            parts.append(got[1])
        conjuncts = "\1".join(parts)
        return f"{group}\0{ep.cluster_sets!r}\0{conjuncts}"

    def _text(self, p: Predicate) -> str:
        got = self._texts.get(id(p))
        if got is None or got[0] is not p:
            got = self._texts[id(p)] = (p, f"{p.labels!r}\3{p.claims!r}")
        return got[1]


class EntryPack(Generic[V]):
    """One pack of entries by key: `get` before computing, `put` after, `save` once (what
    this run used first, then what the pack held, up to `limit`)."""

    def __init__(self, kind: str, key: str, valid: Callable[[object], bool], limit: int = MAX_ENTRIES) -> None:
        self.where = store.active()
        self.kind, self.key, self.valid, self.limit = kind, key, valid, limit
        got = self.where.get(kind, key, _NO_CLASSES) if self.where.on else None
        self.held: dict[str, V] = got if isinstance(got, dict) else {}
        self.used: dict[str, V] = {}
        self.added = 0

    def get(self, entry: str) -> V | None:
        got = self.used.get(entry)  # checked when it came in
        if got is None:
            got = self.held.get(entry)
            if got is None or not self.valid(got):
                return None
            self.used[entry] = got
        return got

    def put(self, entry: str, value: V) -> None:
        self.used[entry] = value
        self.added += 1

    def save(self) -> None:
        if not self.added or not self.where.on:
            return
        merged = dict(self.used)
        for k, v in self.held.items():
            if len(merged) >= self.limit:
                break
            merged.setdefault(k, v)
        self.where.put(self.kind, self.key, merged)
        self.held, self.added = merged, 0


class EligibleCache(EntryPack[Shares]):
    """One environment's pack of eligible clusters; `entry` writes a placement's key."""

    def __init__(self, fleet: str, env: str) -> None:
        super().__init__(KIND, store.digest(f"{fleet}\0{env}".encode()), _valid)
        self.entry = EntryText()


def _valid(shares: object) -> bool:
    return isinstance(shares, tuple) and all(
        isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], int) and isinstance(s[1], int) for s in shares)
