"""The placement picture's data: a plan aggregated by site, for the page and the SVG.

A *site* is the value of the plan's group label (`--group-by`, default `site`);
clusters without it form the site `(none)`. Per workload and site the clusters
chosen now and, against a base, gained and lost; per site its clusters (those of
the environment, plus any a workload is or was placed on) with their capacity
headroom and the model versions placed there. Pure: page.py and svg.py
turn a Picture into bytes.

Waves: `build_picture(..., waves={cluster: wave})` fills `ClusterRow.wave` and
makes the page show a wave column; nothing passes them yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from i4qew import memo
from i4qew.model.repo import Repo
from i4qew.placement.bits import first, members
from i4qew.placement.capacity import allocatable_milli, cluster_loads, requests_milli
from i4qew.placement.decide import planner_for
from i4qew.placement.inventory import Inventory
from i4qew.placement.plan import Plan, WorkloadPlan
from i4qew.placement.plan_format import NO_GROUP, headline
from i4qew.placement.snapshot import predicate_texts
from i4qew.problems import Problem, Severity

CORE = ("cpu", "memory")
NAMES_PER_WORKLOAD = 100  # cluster names listed per changed workload
NAMES_TOTAL = 20_000  # and in all: a change to every workload of a big fleet stays a few MB
GONE = "(left the inventory)"


@dataclass(frozen=True)
class Cell:
    """One workload at one site: clusters now, gained, lost."""

    now: int = 0
    gained: int = 0
    lost: int = 0


@dataclass(frozen=True)
class WorkloadRow:
    name: str
    namespace: str
    placement: str
    policy: str
    status: str  # planned | added | removed | changed | unchanged
    spec_changed: bool
    placement_changed: bool
    clusters: int
    gained: int
    lost: int  # including clusters that left the inventory
    model: tuple[str, str] | None  # (name, version)
    cells: Mapping[str, Cell]  # site -> counts, only sites with any
    gained_names: tuple[tuple[str, tuple[str, ...]], ...]  # (site, names), capped
    lost_names: tuple[tuple[str, tuple[str, ...]], ...]
    predicates: tuple[str, ...] = ()  # only without an inventory

    @property
    def changed(self) -> bool:
        return self.status in ("added", "removed", "changed")


@dataclass(frozen=True)
class Free:
    """Headroom of one resource on one cluster, in milli-units (free < 0: overcommitted)."""

    free: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.free / self.total if self.total else (0.0 if self.free >= 0 else -100.0)


@dataclass(frozen=True)
class ClusterRow:
    name: str
    workloads: int  # of this environment, placed there now
    gained: int  # workloads arriving
    lost: int  # workloads leaving
    free: tuple[Free | None, ...]  # per Picture.resources; None: the inventory does not say
    wave: str | None = None


@dataclass(frozen=True)
class SiteRow:
    name: str
    clusters: int  # clusters listed below: the environment's at the site, and any used
    used: int  # clusters with at least one workload now
    workloads: int  # workloads with at least one cluster here now
    placed: int  # (workload, cluster) pairs now
    gained: int  # (workload, cluster) pairs gained
    lost: int
    models: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # (model, ((version, workloads), ...))
    tightest: tuple[Free | None, ...]  # the least headroom per resource
    cluster_rows: tuple[ClusterRow, ...]
    waves: tuple[str, ...] = ()


@dataclass(frozen=True)
class Picture:
    env: str
    group_by: str
    headline: str
    base: str | None
    inventory: int | None  # clusters in the inventory; None without one
    resources: tuple[str, ...]
    warn_percent: int
    sites: tuple[SiteRow, ...]
    workloads: tuple[WorkloadRow, ...]
    problems: tuple[str, ...]  # formatted problem lines
    errors: int
    source: str | None = None  # the source commit (environment branches)
    waves: bool = False


def sites_word(group_by: str) -> str:
    """How the groups are called in text: "sites", else "<label> values"."""
    return "sites" if group_by == "site" else f"{group_by} values"


def _site_order(name: str) -> tuple[bool, str]:
    return (name == NO_GROUP, name)


def _named(inv: Inventory, bits: int, label: str, cap: int) -> list[tuple[str, list[str]]]:
    """Up to `cap` cluster names of `bits`, grouped by site (sites sorted)."""
    by: dict[str, list[str]] = {}
    for i in members(first(bits, cap)):
        c = inv.clusters[i]
        by.setdefault(c.labels.get(label, NO_GROUP), []).append(c.name)
    return sorted(by.items(), key=lambda g: _site_order(g[0]))


class _Sets:
    """Cluster sets expanded once each: 2,000 workloads share a few hundred decisions."""

    def __init__(self, inv: Inventory, label: str) -> None:
        self.site_of = [c.labels.get(label, NO_GROUP) for c in inv.clusters]
        self._ids: dict[int, list[int]] = {}
        self._sites: dict[int, dict[str, int]] = {}
        self.cells: dict[tuple[int, int, int], dict[str, Cell]] = {}  # _cells' answers (read-only for callers)

    def ids(self, bits: int) -> list[int]:
        got = self._ids.get(bits)
        if got is None:
            got = self._ids[bits] = members(bits)
        return got

    def by_site(self, bits: int) -> dict[str, int]:
        got = self._sites.get(bits)
        if got is None:
            got = self._sites[bits] = {}
            site_of = self.site_of
            for i in self.ids(bits):
                s = site_of[i]
                got[s] = got.get(s, 0) + 1
        return got


def _cells(sets: _Sets, p: WorkloadPlan) -> dict[str, Cell]:
    """Shared by the workloads with the same clusters now, gained and lost (one policy's)."""
    key = (p.clusters, p.gained, p.lost)
    got = sets.cells.get(key)
    if got is None:
        now = sets.by_site(p.clusters) if p.clusters else {}
        gained = sets.by_site(p.gained) if p.gained else {}
        lost = sets.by_site(p.lost) if p.lost else {}
        got = sets.cells[key] = {s: Cell(now.get(s, 0), gained.get(s, 0), lost.get(s, 0))
                                 for s in sorted({*now, *gained, *lost}, key=_site_order)}
    return got


def _model(p: WorkloadPlan) -> tuple[str, str] | None:
    m = p.effective.model
    return (m.name, m.version) if m is not None else None


# The row of a workload plan with no cluster chosen, gained or lost, by the plan (kept alive)
# and whether there is an inventory: nothing else is read for it. A fleet's hubs share one
# plan for each workload they do not reach (placement/plan.py), 110,000 rows at issue 17's 5x.
_empty_rows: dict[tuple[int, bool], tuple[WorkloadPlan, WorkloadRow]] = memo.held(
    "placement.picture.aggregate.empty_rows", {})


def _row(inv: Inventory | None, sets: _Sets | None, p: WorkloadPlan, label: str, based: bool,
         budget: list[int]) -> WorkloadRow:
    """`budget`: [cluster names still to list], spent here."""
    if p.clusters or p.gained or p.lost or p.lost_gone:
        return _made_row(inv, sets, p, label, based, budget)
    key = (id(p), inv is None)
    got = _empty_rows.get(key)
    if got is None or got[0] is not p:
        if len(_empty_rows) >= 500_000:
            _empty_rows.clear()
        got = _empty_rows[key] = (p, _made_row(inv, sets, p, label, based, budget))
    return got[1]


def _made_row(inv: Inventory | None, sets: _Sets | None, p: WorkloadPlan, label: str, based: bool,
              budget: list[int]) -> WorkloadRow:
    gone = len(p.lost_gone)
    cells: dict[str, Cell] = {}
    gained_names: list[tuple[str, tuple[str, ...]]] = []
    lost_names: list[tuple[str, tuple[str, ...]]] = []
    predicates: tuple[str, ...] = ()
    if inv is None or sets is None:
        predicates = tuple(pr["labels"] + (f" | claims {pr['claims']}" if "claims" in pr else "")
                           for pr in predicate_texts(p.predicates))
    else:
        cells = _cells(sets, p)
        cap = min(NAMES_PER_WORKLOAD, budget[0])
        if based and cap > 0 and (p.gained or p.lost or p.lost_gone):
            gained_names = [(s, tuple(n)) for s, n in _named(inv, p.gained, label, cap)]
            lost_names = [(s, tuple(n)) for s, n in _named(inv, p.lost, label, cap)]
            if p.lost_gone:
                lost_names.append((GONE, p.lost_gone[:cap]))
            budget[0] -= sum(len(n) for _, n in (*gained_names, *lost_names))
    return WorkloadRow(p.name, p.namespace, p.placement, p.policy, p.status, p.spec_changed,
                       p.placement_changed, p.clusters.bit_count(), p.gained.bit_count(),
                       p.lost.bit_count() + gone, _model(p), cells, tuple(gained_names), tuple(lost_names),
                       predicates)


def _per_cluster(sets: _Sets, size: int, each: Iterable[int]) -> list[int]:
    """How many of the sets `each` hold each cluster (each distinct set expanded once)."""
    mult: dict[int, int] = {}
    for bits in each:
        if bits:
            mult[bits] = mult.get(bits, 0) + 1
    counts = [0] * size
    for bits, k in mult.items():
        for i in sets.ids(bits):
            counts[i] += k
    return counts


def _loads(repo: Repo, plan: Plan, inv: Inventory, sets: _Sets, now: datetime | None) -> dict[str, list[int]]:
    """Requests on each cluster, all environments (as the capacity check counts them):
    this plan's decisions for its environment, the planner's for the others."""
    placed = [(p.clusters, requests_milli(p.effective.workload, plan.env))
              for p in plan.workloads if p.clusters]
    planner = planner_for(repo, inv, now)
    for e in repo.repository.environments:
        if e.name != plan.env:  # cluster_loads counts no empty decision (most of a fleet hub's)
            placed.extend((d.clusters, requests_milli(d.workload, d.env)) for d in planner.decisions(e.name)
                          if d.clusters)
    return cluster_loads(len(inv), placed, sets.ids)


def _resources(inv: Inventory, loads: Mapping[str, list[int]]) -> tuple[str, ...]:
    reported = {res for c in inv.clusters for res in c.allocatable}
    if not reported:
        return ()
    extended = sorted(r for r in loads if r not in CORE and r in reported)
    return (*(r for r in CORE if r in reported), *extended)


def _free(inv: Inventory, i: int, resources: tuple[str, ...], loads: Mapping[str, list[int]]) -> tuple[Free | None, ...]:
    alloc = inv.clusters[i].allocatable
    out: list[Free | None] = []
    for res in resources:
        total = allocatable_milli(alloc, res) if alloc else None
        load = loads.get(res)
        out.append(None if total is None else Free(total - (load[i] if load else 0), total))
    return tuple(out)


def _tightest(rows: Iterable[ClusterRow], width: int) -> tuple[Free | None, ...]:
    best: list[Free | None] = [None] * width
    for r in rows:
        for k, f in enumerate(r.free):
            b = best[k]
            if f is not None and f.total and (b is None or f.percent < b.percent):
                best[k] = f
    return tuple(best)


def _sites(repo: Repo, plan: Plan, inv: Inventory, sets: _Sets, rows: list[WorkloadRow], label: str,
           resources: tuple[str, ...], loads: Mapping[str, list[int]],
           waves: Mapping[str, str] | None) -> list[SiteRow]:
    n = len(inv)
    environment = repo.repository.environment(plan.env)
    in_env = inv.labels.selector(environment.selector) if environment is not None else inv.all
    # the workloads with a cluster now, gained or lost (on a fleet's hub a quarter of them):
    # the others add nothing below
    placed = [p for p in plan.workloads if p.clusters or p.gained or p.lost]
    now = _per_cluster(sets, n, (p.clusters for p in placed))
    gained = _per_cluster(sets, n, (p.gained for p in placed))
    lost = _per_cluster(sets, n, (p.lost for p in placed))
    touched = 0
    for p in placed:
        touched |= p.clusters | p.lost
    shown = in_env | touched
    per_site: dict[str, list[int]] = {}
    for i in members(shown):
        per_site.setdefault(sets.site_of[i], []).append(i)
    models: dict[str, dict[str, dict[str, int]]] = {}
    workloads: dict[str, int] = {}
    for r in rows:
        for s, cell in r.cells.items():
            if cell.now:
                workloads[s] = workloads.get(s, 0) + 1
                if r.model:
                    versions = models.setdefault(s, {}).setdefault(r.model[0], {})
                    versions[r.model[1]] = versions.get(r.model[1], 0) + 1
    out: list[SiteRow] = []
    for site in sorted(per_site, key=_site_order):
        ids = per_site[site]
        cluster_rows = tuple(
            ClusterRow(inv.clusters[i].name, now[i], gained[i], lost[i], _free(inv, i, resources, loads),
                       waves.get(inv.clusters[i].name) if waves is not None else None)
            for i in ids)
        out.append(SiteRow(
            site, len(ids), sum(1 for i in ids if now[i]), workloads.get(site, 0), sum(now[i] for i in ids),
            sum(gained[i] for i in ids), sum(lost[i] for i in ids),
            tuple((m, tuple(sorted(v.items()))) for m, v in sorted(models.get(site, {}).items())), _tightest(cluster_rows, len(resources)), cluster_rows,
            tuple(sorted({r.wave for r in cluster_rows if r.wave is not None}))))
    return out


def build_picture(repo: Repo, plan: Plan, problems: list[Problem], *, group_by: str = "site",
                  now: datetime | None = None, source: str | None = None,
                  waves: Mapping[str, str] | None = None, ordered: bool = True) -> Picture:
    """`now` as given to the plan (taint tolerations of the other environments'
    decisions); `source` the commit an environment branch was rendered from; `ordered`
    False: the workload rows in the plan's order, for a caller that orders them itself
    (fleet.py's fleet_picture)."""
    inv = plan.inventory
    based = plan.base is not None
    sets = _Sets(inv, group_by) if inv is not None else None
    budget = [NAMES_TOTAL]
    rows = [_row(inv, sets, p, group_by, based, budget) for p in plan.workloads]
    if ordered:
        order = {"added": 0, "removed": 1, "changed": 2}
        rows.sort(key=lambda r: (order.get(r.status, 3), r.name, r.namespace))
    sites: list[SiteRow] = []
    resources: tuple[str, ...] = ()
    if inv is not None and sets is not None:
        loads = _loads(repo, plan, inv, sets, now)
        resources = _resources(inv, loads)
        sites = _sites(repo, plan, inv, sets, rows, group_by, resources, loads, waves)
    return Picture(
        env=plan.env, group_by=group_by, headline=headline(plan, problems), base=plan.base,
        inventory=None if inv is None else len(inv), resources=resources,
        warn_percent=repo.repository.capacity_warn_percent, sites=tuple(sites), workloads=tuple(rows),
        problems=tuple(p.format() for p in problems),
        errors=sum(1 for p in problems if p.severity is Severity.ERROR),
        source=source, waves=waves is not None)


def no_plan(env: str, problems: list[Problem], group_by: str = "site") -> Picture:
    """The picture when validation failed before planning: the problems only."""
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    return Picture(env=env, group_by=group_by, headline=f"No plan: the repository does not validate "
                   f"({errors} error{'' if errors == 1 else 's'})", base=None, inventory=None, resources=(),
                   warn_percent=0, sites=(), workloads=(), problems=tuple(p.format() for p in problems),
                   errors=errors)
