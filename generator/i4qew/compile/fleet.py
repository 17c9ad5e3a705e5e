"""The hubs' part of an environment branch when i4qew.yaml declares `spec.hubs`.

One branch serves every hub: the charts are shared (each Subscription names
charts/<workload>), and each hub gets its own folders

    hub/<hub>/               what compile/hub/ writes for one hub (its cluster sets,
                             its channel namespace), applied by that hub's bootstrap
    hub/rollout.yaml         with rollout waves: the environment's rollout state, which
                             pins the waves of every hub (applied by none)
    placement/<hub>/decisions.json, models/<hub>/index.json
                             the decisions over that hub's inventory
    placement/<hub>/plan.html, plan.svg
                             that hub's placement picture (placement/picture/)

Pure, like compile/render.py. The hubs' pictures (the costly part: a plan and a picture
of each hub's whole inventory) are drawn on both cores where that pays (worker.shared,
docs/parallel.md): the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set

from i4qew import worker
from i4qew.compile import Tree
from i4qew.compile.hub.names import hub_path
from i4qew.compile.hub.rollout_state import PATH as ROLLOUT_PATH
from i4qew.compile.hub.rollout_state import RolloutState, configmap
from i4qew.compile.hub.subscription import compile_hub, yaml_docs
from i4qew.model.repo import Hub, Repo, Workload
from i4qew.placement.decide import Planner
from i4qew.placement.fleet_decide import hub_planners
from i4qew.placement.inventory import Inventory
from i4qew.placement.picture.aggregate import build_picture
from i4qew.placement.picture.page import render_html
from i4qew.placement.picture.svg import render_svg
from i4qew.placement.plan import build_plan
from i4qew.placement.snapshot import (
    DECISIONS_PATH,
    MODEL_INDEX_PATH,
    placement_snapshot,
)
from i4qew.placement.snapshot_read import Joined
from i4qew.placement.wave_checks import needs_inventory
from i4qew.problems import UserError


def decisions_path(hub: Hub) -> str:
    return f"placement/{hub.name}/decisions.json"


def fleet_objects(repo: Repo, env: str, namespaces: Set[str] | None = None) -> Tree:
    """hub/<hub>/ of every hub, for an environment without waves. A hub's view of the repository differs from another's only
    by its cluster sets and channel namespace (Repo.for_hub): hubs that declare the same
    get the same objects, compiled once and placed in each hub's folder. `namespaces`:
    only what those own, and the shared files (compile_hub)."""
    tree: Tree = {}
    compiled: dict[tuple[tuple[str, ...], str], Tree] = {}
    for hub in repo.repository.hubs:
        same = (hub.cluster_sets, hub.channel_namespace)
        objects = compiled.get(same)
        if objects is None:
            objects = compiled[same] = compile_hub(repo.for_hub(hub), env, namespaces=namespaces)
        tree.update(_in_folder(hub, objects))
    return tree


def _in_folder(hub: Hub, objects: Tree) -> Tree:
    return {f"{hub_path(hub)}/{path.removeprefix('hub/')}": data for path, data in objects.items()}


def fleet_wave_objects(repo: Repo, env: str, inventories: Mapping[str, Inventory | None], *,
                       rollout: RolloutState | None, base: Mapping[str, Iterable[str]] | None = None) -> Tree:
    """hub/<hub>/ of every hub for an environment with rollout waves (docs/hubs.md, "Rollout
    waves across hubs"): each hub's wave objects with its own wave members (a share is
    drawn from the hub's own clusters), every hub pinned by the one rollout state of the
    environment, which stays at hub/rollout.yaml of the branch, outside every hub's folder."""
    tree: Tree = {}
    bases = _per_hub(base or {}, inventories)
    hub_planners(repo, inventories)  # decided once over the fleet
    for hub in repo.repository.hubs:
        view = repo.for_hub(hub)
        inventory = inventories.get(hub.name)
        members = None
        if inventory is None and (problems := needs_inventory(view, f"{hub.inventory_dir}/")):
            raise UserError(problems)  # validate says it too (wave-share)
        if inventory is not None:
            hub_base = bases.get(hub.name)
            keep = inventory.bits_by_key(hub_base) if hub_base else None
            plan = build_plan(view, env, inventory, keep=keep)
            members = {w.key: [inventory.cluster_names(x.clusters) for x in w.waves] for w in plan.workloads if w.waves}
        objects = compile_hub(view, env, rollout=rollout, wave_members=members)
        del objects[ROLLOUT_PATH]  # the environment's, below
        tree.update(_in_folder(hub, objects))
    environment = repo.repository.environment(env)
    assert environment is not None
    tree[ROLLOUT_PATH] = yaml_docs([configmap(repo, env, [w.name for w in environment.waves], rollout or RolloutState())])
    return dict(sorted(tree.items()))


def _per_hub(base: Mapping[str, Iterable[str]], inventories: Mapping[str, Inventory | None]) -> dict[str, dict[str, list[str]]]:
    """The union of the hubs' previous decisions, split by the hub each cluster is in, in one
    pass (each hub looking its names up in the whole union cost hubs x the union), each
    distinct value once (publish_render.previous_decisions shares one list per decision):
    a list whose clusters are all in one hub is that hub's as it is."""
    owner = {name: hub for hub, inv in inventories.items() if inv is not None for name in inv.ids}
    out: dict[str, dict[str, list[str]]] = {}
    split: dict[int, dict[str, list[str]]] = {}  # (`base` holds each value: no id is reused meanwhile)
    for key, names in base.items():
        per: dict[str, list[list[str]]] = {}
        for piece in names.parts if isinstance(names, Joined) else (names,):
            parts = split.get(id(piece))
            if parts is None:
                parts = split[id(piece)] = _split(piece, owner)
            for hub, part in parts.items():
                per.setdefault(hub, []).append(part)
        for hub, lists in per.items():
            out.setdefault(hub, {})[key] = lists[0] if len(lists) == 1 else [n for part in lists for n in part]
    return out


def _split(names: Iterable[str], owner: Mapping[str, str]) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {}
    for name in names:
        hub = owner.get(name)
        if hub is not None:
            parts.setdefault(hub, []).append(name)
    if len(parts) == 1 and isinstance(names, list):
        (hub, part), = parts.items()
        if len(part) == len(names):
            parts[hub] = names  # shared on: Inventory.bits_by_key makes its bits once
    return parts


def fleet_globals(repo: Repo, env: str, inventories: Mapping[str, Inventory | None], *,
                  base: Mapping[str, Iterable[str]] | None = None) -> tuple[Tree, dict[str, int] | None]:
    """The placement/ and models/ files of every hub, and the clusters each
    "namespace/workload" runs on across the fleet (None when no hub has an inventory).
    The pictures do not name the source commit (the README and the commit's Source-Commit
    trailer do): a publish that moves no decision leaves every hub's page as it was.

    `base` is the union of the hubs' previous decisions: cluster names are unique
    across hubs (rule hub-cluster-duplicate), so each hub takes back its own."""
    tree: Tree = {}
    counts: dict[str, int] | None = None
    bases = _per_hub(base or {}, inventories)
    hub_planners(repo, inventories)  # decided once over the fleet
    for hub in repo.repository.hubs:
        view = repo.for_hub(hub)
        inventory = inventories.get(hub.name)
        placement, chosen = placement_snapshot(view, env, inventory, base=bases.get(hub.name))
        tree[decisions_path(hub)] = placement[DECISIONS_PATH]
        tree[f"models/{hub.name}/index.json"] = placement[MODEL_INDEX_PATH]
        if inventory is not None:
            counts = counts if counts is not None else {}
            for key, names in chosen.items():
                counts[key] = counts.get(key, 0) + len(names)
    # (after every hub's decisions: a helper drawing pictures has them too)
    tree.update(_pages(repo, env, inventories, repo.repository.hubs, bases))
    return tree, counts


# Below this many clusters in the pictures to draw, a helper costs about what it saves
# (a hub's picture: ~0.1 ms per cluster of its inventory at issue 17's 5x).
PAGES_PAY_CLUSTERS = 4_000


def _pages(repo: Repo, env: str, inventories: Mapping[str, Inventory | None], hubs: Sequence[Hub],
           bases: Mapping[str, Mapping[str, Iterable[str]]]) -> Tree:
    """The pictures of `hubs`, in their order: a helper process draws the first ones."""
    sizes = [len(inv) if (inv := inventories.get(h.name)) is not None else 0 for h in hubs]
    drawn = worker.shared([lambda h=h: _hub_pages(repo.for_hub(h), h, env, inventories.get(h.name),  # type: ignore[misc]
                                                  bases.get(h.name)) for h in hubs],
                          sizes, pays=sum(sizes) >= PAGES_PAY_CLUSTERS)
    return {path: data for pages in drawn for path, data in pages.items()}


def _hub_pages(view: Repo, hub: Hub, env: str, inventory: Inventory | None,
               base: Mapping[str, Iterable[str]] | None) -> Tree:
    keep = inventory.bits_by_key(base) if base and inventory is not None else None
    picture = build_picture(view, build_plan(view, env, inventory, keep=keep), [])
    return {f"placement/{hub.name}/plan.html": render_html(picture), f"placement/{hub.name}/plan.svg": render_svg(picture)}


def fleet_pages(repo: Repo, env: str, inventories: Mapping[str, Inventory | None], touched: Callable[[Workload], bool],
                *, base: Mapping[str, Iterable[str]] | None = None) -> Tree:
    """The pictures fleet_globals writes, of the hubs where a workload `touched` accepts
    may run in some environment (its cluster sets and predicates select a cluster there,
    before taints and numberOfClusters): the others' show no capacity of it."""
    bases = _per_hub(base or {}, inventories)
    planners = hub_planners(repo, inventories)  # decided once over the fleet
    drawn = []
    for hub in repo.repository.hubs:
        view, inventory, planner = repo.for_hub(hub), inventories.get(hub.name), planners.get(hub.name)
        if inventory is None or planner is None:  # without an inventory a picture shows no capacity
            continue
        if any(_may_run(planner, w, e.name) for w in view.workloads if touched(w)
               for e in view.repository.environments):
            drawn.append(hub)
    return _pages(repo, env, inventories, drawn, bases)


def _may_run(planner: Planner, w: Workload, env: str) -> bool:
    """Whether `w` may have clusters in `env` over the planner's inventory: what
    Planner.feasible keeps before taints (which only take clusters away)."""
    ep = planner.effective(w, env) if w.enabled_in(env) else None
    if ep is None:
        return False
    bits = planner.sets(ep.cluster_sets)
    for c in ep.conjuncts:
        bits &= planner.predicates(c.predicates)
    return bool(bits)
