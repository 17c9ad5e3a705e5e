"""Render only what a change of some workloads touches (issue 17, incremental publish).

A workload owns its chart (charts/<name>/); a namespace owns its hub objects
(hub/apps/<namespace>/, hub/namespaces/<namespace>.yaml; under hub/<hub>/ with
spec.hubs), which the namespace's workloads share. Everything else is either the
repository's (the Channel) or the whole environment's (README, placement
snapshots, model indexes, pictures) and is rendered again, whole. For a set of
changed workloads (their names and namespaces, before and after the change) the
result is the paths rendered again and the paths of the previous render that
stay as they are; together they are, byte for byte, what `render_tree` writes
(tests/unit/compile/test_incremental.py checks it on random edit sequences).

Pure, like compile/render.py: the caller says what changed and what the
previous render held.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Set

from i4qew.compile import Changed, Tree, merge
from i4qew.compile.render import render_globals, render_objects, render_tree, waves_in
from i4qew.model.repo import Repo
from i4qew.placement.inventory import Inventory


def _owner(path: str, hub_folders: tuple[str, ...]) -> tuple[str, str] | None:
    """("chart", name) or ("namespace", namespace) for a path a workload or a namespace
    owns; ("hub", "") for the hub's shared objects; None for the environment's files."""
    parts = path.split("/")
    if parts[0] == "charts" and len(parts) > 2:
        return "chart", parts[1]
    for folder in hub_folders:
        if path.startswith(folder):
            rest = path[len(folder):].split("/")
            if rest[0] == "apps" and len(rest) > 2:
                return "namespace", rest[1]
            if rest[0] == "namespaces" and len(rest) == 2:
                return "namespace", rest[1].removesuffix(".yaml")
            return "hub", ""
    return None


def _mine(path: str, changed: Changed, hub_folders: tuple[str, ...]) -> bool:
    """True when the change's partial render decides this path (it writes it, or it goes)."""
    owner = _owner(path, hub_folders)
    if owner is None:
        return False
    kind, name = owner
    return kind == "hub" or (name in changed.names if kind == "chart" else name in changed.namespaces)


def models_in(repo: Repo, env: str) -> bool:
    """True when `env`'s branch may hold what a workload change moves beyond its own chart
    and namespace: a staging chart (any Model i4qew distributes) or image volumes."""
    environment = repo.repository.environment(env)
    return any(not m.external for m in repo.models.values()) or (
        environment is not None and environment.image_volumes is not None)


def render_changed(repo: Repo, env: str, changed: Changed, previous: Iterable[str], *,
                   inventory: Inventory | None, source_commit: str | None,
                   base: Mapping[str, Iterable[str]] | None = None,
                   hubs: Mapping[str, Inventory | None] | None = None) -> tuple[Tree, frozenset[str]]:
    """(the files rendered again, the paths of `previous` that stay as they are). An
    environment with waves (its hub objects follow the rollout state) or delivered by
    Argo CD (its ApplicationSets list every workload) is rendered whole, and so is one with
    models i4qew stages or mounts as image volumes (a staging follows every workload of its
    model, an image volume the inventory)."""
    if waves_in(repo, env) or repo.repository.delivery_of(env) != "subscription" or models_in(repo, env):
        return render_tree(repo, env, inventory=inventory, source_commit=source_commit, base=base,
                           hubs=hubs), frozenset()
    hub_folders = tuple(f"hub/{h.name}/" for h in repo.repository.hubs) or ("hub/",)
    touched = tuple(w for w in repo.workloads if w.name in changed.names or w.namespace in changed.namespaces)
    objects = render_objects(dataclasses.replace(repo, workloads=touched), env)
    written = {p: data for p, data in objects.items() if _mine(p, changed, hub_folders)}
    environment = render_globals(repo, env, inventory=inventory, source_commit=source_commit, base=base, hubs=hubs)
    kept = frozenset(p for p in previous if _owner(p, hub_folders) is not None and not _mine(p, changed, hub_folders))
    return merge(written, environment), kept


def apply(previous: Mapping[str, bytes], written: Mapping[str, bytes], kept: Set[str]) -> Tree:
    """The whole tree: the kept paths of the previous render and the written ones."""
    return merge({p: previous[p] for p in kept}, written)
