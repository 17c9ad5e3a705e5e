"""Render only what a change of some workloads touches (issue 17, incremental publish).

A workload owns its chart (charts/<name>/); a namespace owns its hub objects
(hub/apps/<namespace>/, hub/namespaces/<namespace>.yaml; under hub/<hub>/ with
spec.hubs), which the namespace's workloads share, and which a change of fields no hub
object reads (Changed.hub: an image, env, probes...) leaves as they are; a model owns its staging charts
(staging/<ns>/<model>/), which follow every workload that mounts it. A staging's hub
objects live in a namespace's folder: the models' namespace (spec.models.namespace)
for a hostPath model, the workload namespace for a PVC model, so a change that
touches a model renders the models' namespace too. Everything else is either the
repository's (the Channel) or the whole environment's (README, placement snapshots,
model indexes, pictures) and is rendered again, whole, unless the change touches
only chart fields (compile.CHART_ONLY) and the caller passes the previous README
(Changed.readme): then the previous placement files stay and the README is written
with the cluster counts read back from it. For a set of changed
workloads (their names, namespaces and models, before and after the change) the
result is the paths rendered again and the paths of the previous render that stay
as they are; together they are, byte for byte, what `render_tree` writes
(tests/unit/compile/test_incremental.py checks it on random edit sequences).

Pure, like compile/render.py: the caller says what changed and what the
previous render held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set

from i4qew import memo
from i4qew.compile import Changed, Tree, merge
from i4qew.compile.fleet import fleet_pages
from i4qew.compile.readme import Unreadable, read_counts, render_readme
from i4qew.compile.readme_splice import spliced_readme
from i4qew.compile.render import render_globals, render_objects, render_pages, render_tree, waves_in
from i4qew.compile.staging.names import STAGING_PATH
from i4qew.model.repo import Repo
from i4qew.placement.inventory import Inventory

README = "README.md"


def _owner(path: str, hub_folders: tuple[str, ...]) -> tuple[str, str] | None:
    """("chart", name), ("model", model) or ("namespace", namespace) for a path a workload,
    a model or a namespace owns; ("hub", "") for the hub's shared objects; None for the
    environment's files."""
    parts = path.split("/")
    if parts[0] == "charts" and len(parts) > 2:
        return "chart", parts[1]
    if parts[0] == STAGING_PATH and len(parts) > 3:
        return "model", parts[2]
    for folder in hub_folders:
        if path.startswith(folder):
            rest = path[len(folder):].split("/")
            if rest[0] == "apps" and len(rest) > 2:
                return "namespace", rest[1]
            if rest[0] == "namespaces" and len(rest) == 2:
                return "namespace", rest[1].removesuffix(".yaml")
            return "hub", ""
    return None


def _hub_folders(repo: Repo) -> tuple[str, ...]:
    return tuple(f"hub/{h.name}/" for h in repo.repository.hubs) or ("hub/",)


def whole_folders(repo: Repo) -> Callable[[str], bool]:
    """Which folders of a previous render one workload, model or namespace owns whole
    (charts/<workload>, staging/<ns>/<model>, the hub objects' apps/<namespace>): a
    caller may give each as one entry "<folder>/" in `previous` (render_changed keeps
    or drops it whole) instead of its files."""
    hub_folders = _hub_folders(repo)

    def whole(folder: str) -> bool:
        parts = folder.split("/")
        if parts[0] == "charts":
            return len(parts) == 2
        if parts[0] == STAGING_PATH:
            return len(parts) == 3
        for hub in hub_folders:
            if folder.startswith(hub):
                rest = folder[len(hub):].split("/")
                return len(rest) == 2 and rest[0] == "apps"
        return False

    return whole


def _mine(path: str, changed: Changed, hub_folders: tuple[str, ...]) -> bool:
    """True when the change's partial render decides this path (it writes it, or it goes)."""
    owner = _owner(path, hub_folders)
    if owner is None:
        return False
    kind, name = owner
    if kind == "hub":
        return True
    return name in (changed.names if kind == "chart" else changed.models if kind == "model" else changed.namespaces)


def image_volumes_in(repo: Repo, env: str) -> bool:
    """True when `env` may mount models as image volumes: which models it mounts follows
    the inventory and every workload of the model (placement/image_volumes.py)."""
    environment = repo.repository.environment(env)
    return environment is not None and environment.image_volumes is not None


def in_parts(repo: Repo, env: str) -> bool:
    """Whether render_changed renders `env` in parts: not with waves (its hub objects follow
    the rollout state), not delivered by Argo CD (its ApplicationSets list every workload),
    not where models may be image volumes (which models follows the inventory)."""
    return not waves_in(repo, env) and repo.repository.delivery_of(env) == "subscription" \
        and not image_volumes_in(repo, env)


def scope_of(repo: Repo, changed: Changed) -> Changed:
    """What the change renders again: its workloads' charts; their namespaces' hub objects
    unless it touches no field they read (Changed.hub); the stagings of the models they
    mount, which follow only their users' placement fields (placement/staging.py
    staging_for), unless it touches none (Changed.placement), and then the models'
    namespace too (a hostPath model's staging objects live there, next to every other's)."""
    namespaces = changed.namespaces if changed.hub else frozenset()
    models = changed.models if changed.placement else frozenset()
    if models:
        namespaces |= {repo.repository.models.namespace}
    return Changed(changed.names, namespaces, models)


def render_changed(repo: Repo, env: str, changed: Changed, previous: Iterable[str], *,
                   inventory: Inventory | None, source_commit: str | None,
                   base: Mapping[str, Iterable[str]] | None = None,
                   hubs: Mapping[str, Inventory | None] | None = None) -> tuple[Tree, frozenset[str]]:
    """(the files rendered again, the entries of `previous` that stay as they are:
    its files, and folders given whole, whole_folders). An
    environment with waves (its hub objects follow the rollout state) or delivered by
    Argo CD (its ApplicationSets list every workload) is rendered whole, and so is one
    that may mount models as image volumes (which models follows the inventory)."""
    if not in_parts(repo, env):
        return render_tree(repo, env, inventory=inventory, source_commit=source_commit, base=base,
                           hubs=hubs), frozenset()
    hub_folders = _hub_folders(repo)
    scope = scope_of(repo, changed)
    objects = render_objects(repo, env, scope)
    written = {p: data for p, data in objects.items() if _mine(p, scope, hub_folders)}
    kept = frozenset(p for p in previous if _owner(p, hub_folders) is not None and not _mine(p, scope, hub_folders))
    readme = _readme_only(repo, env, changed, source_commit)
    if readme is not None:  # the head's placement files stay but the README and maybe some pictures
        again = {README: readme, **_pages(repo, env, changed, inventory, hubs, base)}
        return merge(written, again), kept | {p for p in previous if _owner(p, hub_folders) is None
                                              and p not in again}
    environment = render_globals(repo, env, inventory=inventory, source_commit=source_commit, base=base, hubs=hubs)
    return merge(written, environment), kept


def _kept_counts(repo: Repo, env: str, changed: Changed) -> tuple[dict[str, int] | None] | None:
    """(the cluster counts of the previous README) when the change keeps the previous
    placement files (Changed.readme); None when it does not."""
    if changed.placement or changed.readme is None or not in_parts(repo, env):
        return None
    try:
        counts = _counts_in(changed.readme)
    except Unreadable:
        return None
    return (None if counts is None else dict(counts),)


@memo.lru(maxsize=2)
def _counts_in(readme: bytes) -> tuple[tuple[str, int], ...] | None:
    """read_counts, once per README (keeps_placement, then render_changed: 10,000 rows at 5x)."""
    counts = read_counts(readme)
    return None if counts is None else tuple(counts.items())


def keeps_placement(repo: Repo, env: str, changed: Changed) -> bool:
    """Whether render_changed keeps every previous placement file: it then reads no inventory."""
    return _kept_counts(repo, env, changed) is not None and not changed.capacity


def _pages(repo: Repo, env: str, changed: Changed, inventory: Inventory | None,
           hubs: Mapping[str, Inventory | None] | None, base: Mapping[str, Iterable[str]] | None) -> Tree:
    """The pictures a change of CAPACITY fields shows otherwise: those of the hubs where
    the changed workloads may run (one hub: its picture)."""
    if not changed.capacity:
        return {}
    if not repo.repository.hubs:
        return render_pages(repo, env, inventory=inventory, base=base)
    return fleet_pages(repo, env, hubs or {}, lambda w: w.name in changed.names and w.namespace in changed.namespaces,
                       base=base)


def _readme_only(repo: Repo, env: str, changed: Changed, source_commit: str | None) -> bytes | None:
    """The README when the change keeps the head's placement files (Changed.readme), with
    the head README's cluster counts: the decisions are the head's. None: render them all."""
    counts = _kept_counts(repo, env, changed)
    if counts is None or changed.readme is None:
        return None
    spliced = spliced_readme(changed.readme, repo, env, changed.names, source_commit, counts[0])
    # as render_globals writes it: image volumes never reach this far (in_parts)
    return spliced or render_readme(repo, env, source_commit=source_commit, cluster_counts=counts[0])


def apply(previous: Mapping[str, bytes], written: Mapping[str, bytes], kept: Set[str]) -> Tree:
    """The whole tree: the kept entries of the previous render (a folder "<path>/": every
    file under it) and the written ones."""
    folders = tuple(p for p in kept if p.endswith("/"))
    return merge({p: data for p, data in previous.items() if p in kept or p.startswith(folders)}, written)
