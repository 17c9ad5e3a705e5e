"""validate's fleet checks (fleet.py) on the machine's second core (docs/parallel.md).

A cold `validate` of a fleet of hubs spends most of its time after the model is built: the rules, then per hub its
inventory, its decisions and its placement checks. While the model is built, a reader (fleet_read.py, `read_ahead`)
reads the last hubs' inventories. Right after the model (and every effective placement, `_placements`), one helper
process is forked (i4qew/worker.py): it inherits the model and does the rules and a share of the hubs (inventory,
decisions, checks) while this process does the other hubs (the reader's among them). The hubs' checks depend on each
other only through `runs`, the (environment, workload) pairs some hub places (a workload that selects no cluster on
one hub is a problem only when no hub places it): each process decides its hubs, sends what they place (a bitmap
over environments x workloads, a few KB), and checks its hubs once it has the other's. The helper answers with small
things only: per hub its load problems, cluster count and names, and its checked problems (for `plan`, it then plans
and renders its hubs, fleet_plan_fork.py; for render and publish, it sends its parsed inventories). The answer is
merged by the very functions the one-process path uses (fleet.merge_hubs, duplicates, limits), in spec.hubs order:
the same problems, byte for byte.

Only where it pays: two hubs or more, the persistent cache off (on: `_alone`), 2 cores, inventories of PAYS_BYTES
or more (`I4QEW_JOBS`: 1 never, 2 always). A helper that fails in any way (an exception, a signal, a hub found broken
otherwise than by its own files) only means all of it here: the same answer, or the same exception raised here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from i4qew import memo, store, worker
from i4qew.load.files import INVENTORY_DIR
from i4qew.model.repo import Hub, Repo
from i4qew.placement import fleet_plan_fork, inventory_load
from i4qew.placement.effective import effective_placement
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
from i4qew.placement.fleet_read import ReadAhead
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import load_inventory, prefetch
from i4qew.problems import Problem

PAYS_BYTES = PREFETCH_BYTES  # below this, the fork and the merge cost more than a share saves
# What the rules cost next to a hub's share, in bytes of inventory (5x fleet, main 9548025):
# rules ~115 us of CPU per declaration; a hub's inventory, decisions and checks ~65 ns
# per byte of its files, ~0.6 of that when the reader (fleet_read.py) parsed it already.
RULE_BYTES_PER_DECLARATION = 1_750
READ_SHARE = 0.6
# plan decides the helper's hubs again in its environment: about a seventh of their cost,
# and a pass over the workloads of about 2.5 MB's (5x fleet: 0.19 s + 0.035 s per hub).
PLAN_AGAIN = 0.15
PLAN_PASS_BYTES = 2_500_000
# plan, its helper planning its hubs (fleet_plan_fork.py): a hub's plan PLAN_SHARE of its share, the join JOIN_BYTES
PLAN_SHARE, JOIN_BYTES = 0.3, 1_500_000

Runs = set[tuple[str, str]]


def _pays(root: Path, hub_names: Sequence[str]) -> bool:
    jobs = worker.jobs()
    if jobs == 1 or len(hub_names) < 2 or len(set(hub_names)) != len(hub_names) or store.active().on:
        return False
    if not worker.can_fork():
        return False
    return jobs == 2 or (worker.cores() >= 2 and _sizes(root)[0] >= PAYS_BYTES)


# clusters/'s size and each folder's in it, by root: walked once per run (prefetch_inventories,
# read_ahead, FleetChecks and _split ask); they only choose whether to fork and the split.
_walked: dict[str, tuple[int, dict[str, int]]] = memo.held("placement.fleet_fork.walked", {})


def _sizes(root: Path) -> tuple[int, dict[str, int]]:
    """tree_size(root / clusters) and tree_size(root / clusters/<name>) by name, in one walk."""
    key = str(root.resolve())
    got = _walked.get(key)
    if got is None:
        folder, total, sizes = root / INVENTORY_DIR, 0, {}
        try:
            for entry in folder.iterdir():
                real = entry.is_dir() and not entry.is_symlink()
                size = tree_size(entry) if real else entry.lstat().st_size
                total += size
                sizes[entry.name] = size if real else tree_size(entry)
        except OSError:
            pass  # the loader reports what cannot be read
        got = _walked[key] = (total, sizes)
    return got


def read_ahead(root: Path) -> ReadAhead | None:
    """Where the fleet's helper will run, a reader of the hubs' inventories forked now, before
    the model is built (fleet_read.py): the last hubs first, as FleetChecks gives its helper
    the first ones."""
    if worker.jobs() == 1 or store.active().on:  # (before reading i4qew.yaml: a warm run pays nothing)
        return None
    folders = declared_hub_folders(root)
    if not folders or not _pays(root, [f.split("/", 1)[1] for f in folders]):
        return None
    try:
        return ReadAhead(root, folders[::-1])
    except OSError:  # no process to be had: read as without it
        return None


# The roots whose inventories `plan` reads after validating (the helper sends its hubs'
# back), and the environment and time it plans at (its hubs' decisions are made again here).
_wanted: dict[str, tuple[str | None, datetime | None]] = memo.held("placement.fleet_fork.wanted", {})


def prefetch_inventories(root: Path, override: Path | None = None, env: str | None = None,
                         now: datetime | None = None) -> None:
    """`plan --env ENV [--now NOW]` will read the inventory (each hub's, with spec.hubs)
    after validating: where validation's helper process reads a share of the hubs, it sends
    their inventories back, and their decisions in `env` are made here before the plan
    asks; otherwise the inventories are read on the other core while the declarations are
    validated (inventory_load.prefetch), when large enough to pay for the forks."""
    folders = declared_hub_folders(root) if override is None else None
    if folders and _pays(root, folders):
        want_inventories(root, env, now)
        return
    if worker.jobs() == 1 or (override is None and _sizes(root)[0] < PREFETCH_BYTES):
        return
    if folders:
        for folder in folders:
            prefetch(root, folder=folder)
    else:
        prefetch(root, override)
        if override is not None:
            prefetch(root)  # validation's own look at clusters/


def want_inventories(root: Path, env: str | None = None, now: datetime | None = None) -> None:
    """The command reads every hub's inventory after validating `root` (render, publish,
    plan): where validation's helper reads some, it sends them back; with `env` (plan),
    their decisions in `env` (at `now`) are made here too."""
    _wanted[str(root.resolve())] = (env, now)


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


def _decide(root: Path, repo: Repo, hubs: Sequence[Hub], walk: list[Problem], read: ReadAhead | None) -> _Share:
    """Load `hubs`' inventories (those the reader read from there) and decide over those without errors."""
    inventories: dict[str, Inventory | None] = {}
    found: dict[str, list[Problem]] = {}
    for h in hubs:
        got = read.take(h.inventory_dir) if read is not None else None
        inventories[h.name], found[h.name] = got if got is not None else load_inventory(root, folder=h.inventory_dir)
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


def _placements(repo: Repo, hubs: Sequence[Hub], halfway: Callable[[], None]) -> None:
    """Every effective placement the hubs' deciders make (FleetDecider._cold: each enabled
    workload in each environment, per distinct cluster sets), made before the fork: kept
    by effective.py, both processes take them instead of making them each. `halfway` is
    called when half of them are made (the reader is told to stop: it ends the hub it
    reads meanwhile)."""
    views: dict[tuple[str, ...], Repo] = {}
    for h in hubs:
        view = repo.for_hub(h)
        views.setdefault(view.repository.cluster_sets, view)
    made = [(view, env.name) for view in views.values() for env in view.repository.environments]
    for i, (view, env) in enumerate(made):
        if i == len(made) // 2:
            halfway()
        for w in view.workloads:
            if w.enabled_in(env):
                effective_placement(view, w, env)


def _helper(channel: worker.Channel, root: Path, repo: Repo, hubs: Sequence[Hub], walk: list[Problem],
            keep: bool, rules: Callable[[], list[Problem]], pairs: list[tuple[str, str]],
            read: ReadAhead | None, spec: fleet_plan_fork.Wanted | None) -> dict[str, Any]:
    """The helper process's part: its hubs decided, `runs` swapped, the rules run, its hubs
    checked; with `spec` (plan), that answer posted, then its hubs planned and rendered."""
    share = _decide(root, repo, hubs, walk, read)
    channel.post(_encode(share.runs, pairs))
    found = rules()
    _check(repo, share, share.runs | _decode(channel.take(), pairs))
    names = {h.name: inv.names for h, inv in share.planned}
    kept = {name: got for name, inv in share.inventories.items()
            if inv is not None and (got := inventory_load.held(inv)) is not None} if keep else {}
    answer = {"found": share.found, "sizes": share.sizes, "broken": share.broken, "names": names,
              "checked": share.checked, "kept": kept, "rules": found}
    if spec is None:
        return answer
    channel.post(answer)
    channel.flush()  # all of it now, not after the plans (this process's next message)
    return spec.parts(repo, hubs, share.inventories, spec)


def _split(root: Path, repo: Repo, hubs: Sequence[Hub], plan: bool, read: frozenset[str] = frozenset(),
           spec: fleet_plan_fork.Wanted | None = None) -> tuple[list[Hub], list[Hub]]:
    """(the helper's hubs, this process's): the helper runs the rules and the first hubs, as
    many as balance the hubs here (`read`: the folders the reader parsed already, READ_SHARE
    of their cost); for `plan`, this process decides the helper's hubs again (PLAN_AGAIN of
    their cost, and one fleet's pass), or with `spec`, each plans its own (PLAN_SHARE)."""
    rules = RULE_BYTES_PER_DECLARATION * sum(1 for _ in repo.documents())
    sizes = _sizes(root)[1]
    costs = [sizes.get(h.name, 0) * (READ_SHARE if h.inventory_dir in read else 1) for h in hubs]
    total = sum(costs)
    best, cut = 0.0, 0
    planned = [sizes.get(h.name, 0) * PLAN_SHARE if spec is not None else 0 for h in hubs]
    for k in range(len(hubs) + 1):  # the helper's: the first k
        theirs = sum(costs[:k])
        again = (PLAN_AGAIN * theirs + PLAN_PASS_BYTES if k else 0) if plan and spec is None else 0
        span = max(rules + theirs + sum(planned[:k]),  # (the decisions again: after the merge)
                   total - theirs + sum(planned[k:]) + (JOIN_BYTES if spec is not None else 0)) + again
        if k == 0 or span < best:
            best, cut = span, k
    return list(hubs[:cut]), list(hubs[cut:])


def _redone(root: Path, repo: Repo, rules: Callable[[], list[Problem]]) -> list[Problem]:
    return [*rules(), *all_inventory_problems(root, repo)]  # all of it here, after the helper failed


class FleetChecks:
    """The problems of `rules` (validate's rules, a callable) and fleet.all_inventory_problems:
    with a helper, started here (this process's hubs decided, the helper forked for the
    rules and the other hubs), `problems` gives them; `close` in any case (it ends the
    helper, if any)."""

    def __init__(self, root: Path, repo: Repo, rules: Callable[[], list[Problem]],
                 read: ReadAhead | None = None) -> None:
        self.root, self.repo, self.rules, self.read = root, repo, rules, read
        self.helper: worker.Worker | None = None
        hubs = readable(repo.repository.hubs)
        if not hubs or not _pays(root, [h.name for h in repo.repository.hubs]) or len(hubs) < 2:
            if read is not None:
                read.stop()
                read.hold_all()  # all of it here: load_inventory takes them
            return
        self.walk, self.plan, self.pairs = walk_hubs(root, hubs), _wanted.get(str(root.resolve())), _pairs(repo)
        if read is not None:  # made while the reader reads on
            _placements(repo, hubs, read.ask)
        done = frozenset(read.stop()) if read is not None else frozenset()
        self.spec = spec = fleet_plan_fork.wanted(root)  # plan: the helper plans and renders its hubs
        theirs, mine = _split(root, repo, hubs, self.plan is not None and self.plan[0] is not None, done, spec)
        keep, self.theirs, self.mine = self.plan is not None and spec is None, theirs, mine
        try:
            self.helper = worker.Worker(
                lambda channel: _helper(channel, root, repo, theirs, self.walk, keep, rules, self.pairs, read, spec))
        except OSError:  # no process to be had: all of it here
            if read is not None:
                read.hold_all()
            return
        self.failed = False
        try:
            self.share = _decide(root, repo, mine, self.walk, read)
            self.helper.post(_encode(self.share.runs, self.pairs))
        except worker.WorkerFailed:  # it ended already: `problems` redoes its part
            self.failed = True
        except BaseException:
            self.close()
            raise

    def problems(self) -> list[Problem]:
        if self.helper is None:
            return self._alone()
        try:
            if self.failed:
                raise worker.WorkerFailed("ended early")
            runs = self.share.runs | _decode(self.helper.take(), self.pairs)
            _check(self.repo, self.share, runs)
            early = fleet_plan_fork.plan_while(self.spec, self.repo, self.mine, self.share.inventories, self.helper)
            theirs = self.helper.result() if self.spec is None else self.helper.take()
            found = [*theirs["rules"], *self._merged(theirs)]
        except worker.WorkerFailed:
            self.close()
            if self.read is not None:
                self.read.hold_all()
            return _redone(self.root, self.repo, self.rules)
        if self.read is not None:  # the helper's hubs are its kept ones (_merged); any other, for plan
            self.read.drop(h.inventory_dir for h in self.theirs)
            self.read.hold_all()
        if self.spec is not None:  # it plans and renders its hubs next: the command takes it
            fleet_plan_fork.hold(self.root, self.helper, self.theirs, early)
            self.helper = None
        elif self.plan is not None and self.plan[0] is not None:
            self._decide_again(*self.plan)
        return found

    def _alone(self) -> list[Problem]:
        """No helper above. Cache on (most answers kept), a large fleet: the rules in a helper while this
        process checks the hubs (worker.shared). Cache off: all of it here."""
        tasks: list[Callable[[], list[Problem]]] = [self.rules, lambda: all_inventory_problems(self.root, self.repo)]
        on = store.active().on and worker.jobs() != 1  # (else clusters/ is not walked to size the fleet)
        rules, checked = worker.shared(tasks, [1, 1], pays=_sizes(self.root)[0] >= PAYS_BYTES) if on else [t() for t in tasks]
        return [*rules, *checked]

    def _decide_again(self, env: str | None, now: datetime | None) -> None:
        """The helper's hubs' decisions in `env`, made here before `plan` asks for them (over
        those hubs only: the fleet's pass over every hub would decide this process's again)."""
        for planner in hub_planners(self.repo, self.kept, now).values():
            if env in {e.name for e in planner.repo.repository.environments}:
                planner.decisions(env)

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
        for entry in theirs["kept"].values():
            inventory_load.hold(entry)
        self.kept: dict[str, Inventory] = {name: entry[1][0] for name, entry in theirs["kept"].items()}
        usable = {name: size for name, size in sizes.items() if name not in broken}
        names = {**{h.name: inv.names for h, inv in share.planned}, **theirs["names"]}
        mine = {h.name: inv for h, inv in share.planned}
        checked = {**share.checked, **theirs["checked"]}
        planned = [h.name for h in repo.repository.hubs if usable.get(h.name) is not None]
        if set(planned) != set(checked):
            raise worker.WorkerFailed("the processes planned other hubs")

        def inventory_of(name: str) -> Inventory:
            folder = f"{INVENTORY_DIR}/{name}"
            got = self.read.take(folder) if self.read is not None else None
            inv = mine.get(name) or (got or load_inventory(self.root, folder=folder))[0]
            assert inv is not None
            return inv

        return [*problems, *duplicates(hubs, names, inventory_of),
                *limits(repo, {n: s for n, s in usable.items() if s is not None}),
                *merge_hubs(planned, [checked[n] for n in planned]), *without_inventory(repo, broken, usable)]

    def close(self) -> None:
        if self.helper is not None:
            self.helper.close()
