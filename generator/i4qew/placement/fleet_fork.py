"""validate's fleet checks (fleet.py) on the machine's second core (docs/parallel.md).

A cold `validate` of a fleet of hubs spends most of its time after the model is built:
the rules, then per hub its inventory, its decisions and its placement checks. Right
after the model, one helper process is forked (i4qew/worker.py): it inherits the model
and does a share of the hubs (inventory, decisions, checks) while this process does the
rules and the other hubs. The hubs' checks depend on each other only through `runs`,
the (environment, workload) pairs some hub places (a workload that selects no cluster
on one hub is a problem only when no hub places it): each process decides its hubs,
sends what they place (a bitmap over environments x workloads, a few KB), and checks
its hubs once it has the other's. The helper answers with small things only: per hub
its load problems, cluster count and names, and its checked problems (and, for `plan`,
which needs every inventory in this process, its parsed inventories: unpickling one
costs a seventh of parsing it). The answer is merged by the very functions the
one-process path uses (fleet.merge_hubs, duplicates, limits), in spec.hubs order: the
same problems, byte for byte.

Only where it pays: a repository with two hubs or more, the persistent cache off (a
warm run reads its answers from there), 2 cores, and inventories of PAYS_BYTES or more
(`I4QEW_JOBS`: 1 never, 2 always). A helper that fails in any way (an exception, a
signal, a hub found broken otherwise than by its own files) is only a reason to do
the whole of it in this process (fleet.all_inventory_problems): the same answer, or
the same exception raised here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from i4qew import memo, store, worker
from i4qew.load.files import INVENTORY_DIR
from i4qew.model.repo import Hub, Repo
from i4qew.placement import inventory_load
from i4qew.placement.fleet import (
    PREFETCH_BYTES,
    all_inventory_problems,
    broken_hubs,
    declared_hub_folders,
    duplicates,
    hub_problems,
    hub_runs,
    limits,
    merge_hubs,
    planned_hubs,
    readable,
    tree_size,
    walk_hubs,
    without_inventory,
)
from i4qew.placement.fleet_decide import hub_planners
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import load_inventory, prefetch
from i4qew.problems import Problem

PAYS_BYTES = PREFETCH_BYTES  # below this, the fork and the merge cost more than a share saves
# What the rules cost next to a hub's share, in bytes of inventory (5x fleet, main 78c9876):
# rules ~160 us of CPU per declaration; a hub's inventory, decisions and checks ~80 ns
# per byte of its files.
RULE_BYTES_PER_DECLARATION = 2_000

Runs = set[tuple[str, str]]


def _pays(root: Path, hub_names: Sequence[str]) -> bool:
    jobs = worker.jobs()
    if jobs == 1 or len(hub_names) < 2 or len(set(hub_names)) != len(hub_names) or store.active().on:
        return False
    if not worker.can_fork():
        return False
    return jobs == 2 or (worker.cores() >= 2 and tree_size(root / INVENTORY_DIR) >= PAYS_BYTES)


# The roots whose inventories `plan` reads after validating: the helper sends them back.
_wanted: set[str] = memo.held("placement.fleet_fork.wanted", set())


def prefetch_inventories(root: Path, override: Path | None = None) -> None:
    """`plan` will read the inventory (each hub's, with spec.hubs) after validating: where
    validation's helper process reads a share of the hubs, it sends their inventories
    back; otherwise they are read on the other core while the declarations are validated
    (inventory_load.prefetch), when large enough to pay for the forks."""
    folders = declared_hub_folders(root) if override is None else None
    if folders and _pays(root, folders):
        _wanted.add(str(root.resolve()))
        return
    if worker.jobs() == 1 or (override is None and tree_size(root / INVENTORY_DIR) < PREFETCH_BYTES):
        return
    if folders:
        for folder in folders:
            prefetch(root, folder=folder)
    else:
        prefetch(root, override)
        if override is not None:
            prefetch(root)  # validation's own look at clusters/


@dataclass
class _Share:
    """What one process found of its hubs."""

    inventories: dict[str, Inventory | None]
    found: dict[str, list[Problem]]  # per hub: the problems of loading its inventory
    sizes: dict[str, int | None]  # per hub: its clusters (None: no inventory)
    broken: set[str]
    planned: list[tuple[Hub, Inventory]]
    runs: Runs
    checked: dict[str, list[Problem]] = field(default_factory=dict)


def _decide(root: Path, repo: Repo, hubs: Sequence[Hub], walk: list[Problem]) -> _Share:
    """Load `hubs`' inventories and decide over those without errors."""
    inventories: dict[str, Inventory | None] = {}
    found: dict[str, list[Problem]] = {}
    for h in hubs:
        inventories[h.name], found[h.name] = load_inventory(root, folder=h.inventory_dir)
    mine = {h.name for h in hubs}
    broken = mine & broken_hubs(repo, [*walk, *itertools.chain.from_iterable(found.values())])
    usable = {name: inv for name, inv in inventories.items() if name not in broken}
    planned = planned_hubs(repo, usable)
    hub_planners(repo, usable, None)  # decided once over these hubs
    sizes = {name: None if inv is None else len(inv) for name, inv in inventories.items()}
    return _Share(inventories, found, sizes, broken, planned, hub_runs(repo, planned, None))


def _check(repo: Repo, share: _Share, runs: Runs) -> None:
    share.checked = {h.name: hub_problems(repo, h, inv, None, runs) for h, inv in share.planned}


def _pairs(repo: Repo) -> list[tuple[str, str]]:
    """Every (environment, "namespace/workload") a decision can have: what `runs` is coded over."""
    keys = [f"{w.namespace}/{w.name}" for w in repo.workloads]
    return [(e.name, k) for e in repo.repository.environments for k in keys]


def _encode(runs: Runs, pairs: list[tuple[str, str]]) -> tuple[bytes, list[tuple[str, str]]]:
    at = {p: i for i, p in enumerate(pairs)}
    bitmap = bytearray((len(pairs) + 7) // 8)
    rest = []
    for p in runs:
        i = at.get(p)
        if i is None:
            rest.append(p)
        else:
            bitmap[i >> 3] |= 1 << (i & 7)
    return bytes(bitmap), sorted(rest)


def _decode(coded: tuple[bytes, list[tuple[str, str]]], pairs: list[tuple[str, str]]) -> Runs:
    bitmap, rest = coded
    out = set(rest)
    for byte_at, byte in enumerate(bitmap):
        while byte:
            low = byte & -byte
            out.add(pairs[(byte_at << 3) + low.bit_length() - 1])
            byte ^= low
    return out


def _helper(channel: worker.Channel, root: Path, repo: Repo, hubs: Sequence[Hub], walk: list[Problem],
            keep: bool) -> dict[str, Any]:
    """The helper process's part: its hubs decided, `runs` swapped, its hubs checked."""
    share = _decide(root, repo, hubs, walk)
    pairs = _pairs(repo)
    channel.post(_encode(share.runs, pairs))
    _check(repo, share, share.runs | _decode(channel.take(), pairs))
    names = {h.name: inv.names for h, inv in share.planned}
    kept = [got for inv in share.inventories.values()
            if inv is not None and (got := inventory_load.held(inv)) is not None] if keep else []
    return {"found": share.found, "sizes": share.sizes, "broken": share.broken, "names": names,
            "checked": share.checked, "kept": kept}


def _split(root: Path, repo: Repo, hubs: Sequence[Hub]) -> tuple[list[Hub], list[Hub]]:
    """(this process's hubs, the helper's): the last hubs here, as many as balance the
    rules this process runs meanwhile; the helper has one hub at least."""
    rules = RULE_BYTES_PER_DECLARATION * sum(1 for _ in repo.documents())
    costs = [tree_size(root / h.inventory_dir) for h in hubs]
    total = sum(costs)
    best, here = 0, 0
    for k in range(len(hubs)):  # k hubs here (the last k)
        mine = sum(costs[len(hubs) - k:])
        span = max(rules + mine, total - mine)
        if k == 0 or span < best:
            best, here = span, k
    cut = len(hubs) - here
    return list(hubs[cut:]), list(hubs[:cut])


def _redone(root: Path, repo: Repo) -> list[Problem]:
    """All of it in this process, after the helper failed."""
    return all_inventory_problems(root, repo)


class FleetChecks:
    """fleet.all_inventory_problems(root, repo), started before the rules run; `problems`
    after them, `close` in any case (it ends the helper, if any)."""

    def __init__(self, root: Path, repo: Repo) -> None:
        self.root, self.repo = root, repo
        self.helper: worker.Worker | None = None
        if not repo.repository.hubs:
            return
        hubs = readable(repo.repository.hubs)
        if not _pays(root, [h.name for h in repo.repository.hubs]) or len(hubs) < 2:
            return
        self.walk = walk_hubs(root, hubs)
        mine, theirs = _split(root, repo, hubs)
        keep = str(root.resolve()) in _wanted
        try:
            self.helper = worker.Worker(lambda channel: _helper(channel, root, repo, theirs, self.walk, keep))
        except OSError:  # no process to be had: all of it here
            return
        self.failed = False
        try:
            self.pairs = _pairs(repo)
            self.share = _decide(root, repo, mine, self.walk)
            self.helper.post(_encode(self.share.runs, self.pairs))
        except worker.WorkerFailed:  # it ended already: `problems` redoes its part
            self.failed = True
        except BaseException:
            self.close()
            raise

    def problems(self) -> list[Problem]:
        if self.helper is None:
            return all_inventory_problems(self.root, self.repo)
        try:
            if self.failed:
                raise worker.WorkerFailed("ended early")
            runs = self.share.runs | _decode(self.helper.take(), self.pairs)
            _check(self.repo, self.share, runs)
            theirs = self.helper.result()
            return self._merged(theirs)
        except worker.WorkerFailed:
            self.close()
            return _redone(self.root, self.repo)

    def _merged(self, theirs: dict[str, Any]) -> list[Problem]:
        repo, share = self.repo, self.share
        hubs = readable(repo.repository.hubs)
        found = {**share.found, **theirs["found"]}
        sizes = {**share.sizes, **theirs["sizes"]}
        problems = list(self.walk)
        reported = set(problems)
        for h in hubs:
            problems.extend(p for p in found[h.name] if p not in reported)
        broken = broken_hubs(repo, problems)
        if broken & {h.name for h in hubs} != share.broken | theirs["broken"]:
            raise worker.WorkerFailed("a hub found broken by another hub's files")
        for entry in theirs["kept"]:
            inventory_load.hold(entry)
        usable = {name: size for name, size in sizes.items() if name not in broken}
        names = {**{h.name: inv.names for h, inv in share.planned}, **theirs["names"]}
        mine = {h.name: inv for h, inv in share.planned}
        checked = {**share.checked, **theirs["checked"]}
        planned = [h.name for h in repo.repository.hubs if usable.get(h.name) is not None]
        if set(planned) != set(checked):
            raise worker.WorkerFailed("the processes planned other hubs")

        def inventory_of(name: str) -> Inventory:
            inv = mine.get(name) or load_inventory(self.root, folder=f"{INVENTORY_DIR}/{name}")[0]
            assert inv is not None
            return inv

        return [*problems, *duplicates(hubs, names, inventory_of),
                *limits(repo, {n: s for n, s in usable.items() if s is not None}),
                *merge_hubs(planned, [checked[n] for n in planned]), *without_inventory(repo, broken, usable)]

    def close(self) -> None:
        if self.helper is not None:
            self.helper.close()
