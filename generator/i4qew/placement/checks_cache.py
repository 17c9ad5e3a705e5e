"""The fleet's placement problems kept between runs (i4qew/store.py), hub by hub, and
brought up to date by the change: after a one-workload edit only the hubs that
workload lands on (before or after) are checked again, and nothing walks the other
workloads' decisions.

A workload's decision on a hub is a function of its own document and of what every
workload shares: the repository settings, the policies and models, each hub's
inventory, view and time. So the entry is keyed by the shared part only (`fleet_key`:
i4qew.yaml's bytes and the settings the checks read, every policy's and model's file
(name, path, position, bytes), per hub its name, inventory key and size, the time taints
are judged at, the placement API and cluster sets; whether any workload declares
architectures) and holds, beside each hub's problems, what the run judged: per
workload document (path, position, its file's bytes key) its key and, per environment
where it has a decision, the hubs that place it. The next run with the same shared part
compares its workloads with those: each document gone or new (an edit is both) marks
the hubs it was or is placed on; one placed on no hub in some environment marks every
hub (placement-empty is judged across the hubs). The marked hubs are checked again,
the others answer as stored; then the entry holds this run's workloads. An edit that
changed only a workload's image (`unmoved`: no check reads one) marks no hub.

Not kept (every hub checked every run): a repository with rollout waves (wave_problems
reads much more) or with two workloads of one key (which one environment-overlap
compares is positional, and `elsewhere` is by key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime

from i4qew import store
from i4qew.load.parsed_cache import parsed_cache
from i4qew.model.repo import Hub, Repo, Workload
from i4qew.placement.checks import placement_problems
from i4qew.placement.decide import Decision, planner_for
from i4qew.placement.doc_keys import Files, Ident, ident, shared_declarations
from i4qew.placement.inventory import Inventory
from i4qew.problems import Problem, Severity

KIND = "hubchecks"
_CLASSES = store.allow((Problem, Severity))
_VERSION = b"hubchecks 2\0"

Placed = tuple[tuple[str, tuple[int, ...]], ...]  # per environment with a decision: the hubs placing it
Judged = dict[Ident, tuple[str, Placed]]  # per workload document: its key, where it is placed


def fleet_key(repo: Repo, planned: Sequence[tuple[Hub, Inventory]], now: datetime | None,
              files: Files) -> str | None:
    """The key of everything the workloads share; None when the fleet is not kept."""
    settings = repo.repository
    if any(e.waves for e in settings.environments) or any(not inv.key for _, inv in planned):
        return None
    keys = [f"{w.namespace}/{w.name}" for w in repo.workloads]
    if len(set(keys)) != len(keys):
        return None
    hubs = []
    for h, inv in planned:
        view = repo.for_hub(h)
        planner = planner_for(view, inv, now)
        hubs.append((h.name, inv.key, len(inv), repr(planner.now), planner.rule_mode, view.repository.cluster_sets))
    head = (settings.arch_prefix, settings.capacity_warn_percent, any(w.architectures for w in repo.workloads),
            [(e.name, e.index, repr(e.selector), e.selector_text) for e in settings.environments],
            hubs, shared_declarations(repo, files))
    return hashlib.blake2b(_VERSION + repr(head).encode(), digest_size=20).hexdigest()


def unmoved(new: Sequence[tuple[Ident, Workload]], gone: AbstractSet[Ident], before: Judged,
            found: Sequence[list[Problem]]) -> dict[Ident, Ident]:
    """The new documents whose edit changes nothing the hub checks read, each with the gone
    document it replaces: at the same path and position,
    with the same key, its data the same but for the image fields (`projection`: no check
    reads an image), in a file no stored problem points into (the edit may have moved the
    positions of its nodes; nothing else a problem says depends on the document). Such a
    workload is decided and judged on every hub as the gone one was. The gone document's
    data is read from the parsed documents cache, by its file's bytes key; without it
    (evicted, or a file not kept there) the edit is checked as any other."""
    at = {(i[0], i[1]): i for i in gone}
    if not at or not new:
        return {}
    quoted = {p.path for ps in found for p in ps}
    cache = None
    out: dict[Ident, Ident] = {}
    for i, w in new:
        old = at.get((i[0], i[1]))
        if old is None or i[0] in quoted or not old[2].startswith("b") or before[old][0] != f"{w.namespace}/{w.name}":
            continue
        if cache is None:
            cache = parsed_cache()
        held = cache.held(old[2][1:])
        if held is None or not 0 <= old[1] < len(held[0]) or held[1][old[1]]:
            continue
        seen = projection(held[0][old[1]])
        if seen is not None and seen == projection(w.doc.data):
            out[i] = old
    return out


_UNREAD = "image"  # the workload fields no hub check reads (spec.image, and an environment's override of it)


def projection(data: object) -> str | None:
    """A workload document's data as the hub checks read it: all of it, in order, but its
    image fields (repr: a value's type and the order of keys count). None: not a mapping."""
    if not isinstance(data, dict):
        return None
    spec = data.get("spec")
    if isinstance(spec, dict):
        spec = {k: v for k, v in spec.items() if k != _UNREAD}
        envs = spec.get("environments")
        if isinstance(envs, dict):
            spec["environments"] = {e: {k: v for k, v in o.items() if k != _UNREAD} if isinstance(o, dict) else o
                                    for e, o in envs.items()}
        data = {**data, "spec": spec}
    return repr(data)


def touched(placed: Placed, hubs: int) -> set[int]:
    """The hubs whose problems a workload placed so can change: those that place it, or
    every hub when some environment places it nowhere (each hub then explains why)."""
    if any(not on for _, on in placed):
        return set(range(hubs))
    return {h for _, on in placed for h in on}


class HubChecks:
    """The placement problems of each planned hub, in the order of `planned`."""

    def __init__(self, repo: Repo, planned: Sequence[tuple[Hub, Inventory]], now: datetime | None) -> None:
        self.repo, self.planned, self.now = repo, planned, now
        self.where = store.active()
        self._files: Files = {}

    def problems(self) -> list[list[Problem]]:
        key = fleet_key(self.repo, self.planned, self.now, self._files)
        docs = [(ident(w.doc, self._files), w) for w in self.repo.workloads]
        stored = self._stored(key) if key is not None else None
        if stored is None:
            judged = self._placed(docs, every=True)
            found = self._check(range(len(self.planned)), judged)
        else:
            before, found = stored
            new = [(i, w) for i, w in docs if i not in before]
            gone = before.keys() - {i for i, _ in docs}
            if not new and not gone:
                return found
            judged = {i: before[i] for i, _ in docs if i in before}
            same = unmoved(new, gone, before, found)
            if same:  # edits that change nothing the checks read: no hub to check again
                gone -= set(same.values())
                new = [(i, w) for i, w in new if i not in same]
                judged.update({i: before[old] for i, old in same.items()})
            fresh = self._placed(new, every=False) if new else {}  # (no decision to make: none made)
            judged.update(fresh)
            marked: set[int] = set()
            for _, placed in [*(before[i] for i in gone), *fresh.values()]:
                marked |= touched(placed, len(self.planned))
            found = [*found]
            for h, got in zip(sorted(marked), self._check(sorted(marked), judged), strict=True):
                found[h] = got
        if key is not None:
            self.where.put(KIND, key, (judged, found))
        return found

    def _stored(self, key: str) -> tuple[Judged, list[list[Problem]]] | None:
        got = self.where.get(KIND, key, _CLASSES)
        if (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], dict) and isinstance(got[1], list)
                and len(got[1]) == len(self.planned) and all(isinstance(ps, list) for ps in got[1])):
            return got[0], got[1]
        return None  # absent, or not this format: a miss

    def _placed(self, docs: Sequence[tuple[Ident, Workload]], *, every: bool) -> Judged:
        """Per document, the workload's key and, per environment with a decision, the hubs that
        place it, from every hub's decisions (`every`: `docs` are all the workloads; else each
        hub makes only these workloads' decisions: Planner.decisions_of)."""
        envs: dict[int, dict[str, list[int]]] = {id(w): {} for _, w in docs}
        workloads = [w for _, w in docs]
        for h, (hub, inv) in enumerate(self.planned):
            view = self.repo.for_hub(hub)
            planner = planner_for(view, inv, self.now)
            for e in view.repository.environments:
                found: Iterable[Decision | None] = (planner.decisions(e.name) if every
                                                    else planner.decisions_of(e.name, workloads))
                for d in found:
                    if d is None:
                        continue
                    on = envs[id(d.workload)].setdefault(e.name, [])
                    if d.clusters:
                        on.append(h)
        return {i: (f"{w.namespace}/{w.name}", tuple((env, tuple(on)) for env, on in envs[id(w)].items()))
                for i, w in docs}

    def _check(self, hubs: Iterable[int], judged: Mapping[Ident, tuple[str, Placed]]) -> list[list[Problem]]:
        runs = {(env, k) for k, placed in judged.values() for env, on in placed if on}
        return [placement_problems(self.repo.for_hub(self.planned[h][0]), self.planned[h][1], now=self.now,
                                   elsewhere=runs) for h in hubs]
