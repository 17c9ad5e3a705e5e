"""The whole content of an environment branch, as one deterministic tree.

    README.md            compile/readme.py
    plan.html, plan.svg  placement/picture/ (the placement picture)
    charts/<workload>/   compile/chart/charts.py
    staging/<ns>/<model>/  compile/staging/chart.py (a model's stager, per environment)
    hub/                 compile/hub/subscription.py (hub/<hub>/: compile/fleet.py)
    placement/, models/  placement/snapshot.py (decisions over the inventory)

Pure: the caller validated the repository and loaded the inventory; nothing
here reads the disk, the clock or git.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from i4qew.compile import Changed, Tree, merge
from i4qew.compile.chart.charts import compile_charts
from i4qew.compile.fleet import fleet_globals, fleet_objects, fleet_wave_objects
from i4qew.compile.hub.rollout_state import RolloutState
from i4qew.compile.hub.subscription import compile_hub
from i4qew.compile.readme import render_readme
from i4qew.compile.staging.chart import compile_staging_charts
from i4qew.compile.staging.held import Held
from i4qew.model.repo import Repo
from i4qew.placement.expressible import hub_problems
from i4qew.placement.image_volumes import image_volume_models_for
from i4qew.placement.inventory import Inventory
from i4qew.placement.picture.aggregate import build_picture
from i4qew.placement.picture.page import render_html
from i4qew.placement.picture.svg import render_svg
from i4qew.placement.plan import Plan, build_plan
from i4qew.placement.snapshot import placement_files
from i4qew.placement.wave_checks import needs_inventory
from i4qew.problems import UserError

# The placement page, next to the README. Neither it nor the picture names the source commit
# (the README and the commit's Source-Commit trailer do), so they change only with what
# they show: issue 17's fleet has 15 hubs' pages of ~2.4 MB each, rewritten on every publish before.
PAGE_PATH = "plan.html"
PICTURE_PATH = "plan.svg"  # the site matrix, shown in the README


def render_tree(repo: Repo, env: str, *, inventory: Inventory | None, source_commit: str | None,
                base: Mapping[str, Iterable[str]] | None = None, rollout: RolloutState | None = None,
                hubs: Mapping[str, Inventory | None] | None = None, held: Held | None = None) -> Tree:
    """Raises UserError (with problems) when `env` cannot be compiled for the hub.

    `base` ("namespace/workload" -> cluster names of the branch's previous
    snapshot) keeps numberOfClusters choices stable; publish passes it. `rollout`
    is the branch's rollout state (environments with waves; None: all follow the head),
    `held` the model versions its pinned commits run (compile/staging/held.py).
    With spec.hubs, `hubs` holds each hub's inventory and `inventory` is unused."""
    if repo.repository.hubs:
        # first: the hub compiler raises the problems a user can fix
        if waves_in(repo, env):
            objects = merge(fleet_wave_objects(repo, env, hubs or {}, rollout=rollout, base=base),
                            compile_charts(repo, env), compile_staging_charts(repo, env, frozenset(), held))
        else:
            objects = render_objects(repo, env)
        return merge(objects, render_globals(repo, env, inventory=inventory, source_commit=source_commit,
                                             base=base, hubs=hubs))
    problems = hub_problems(repo, env)  # first: the problems a user can fix
    if not problems and inventory is None:
        problems = needs_inventory(repo)
    if problems:
        raise UserError(problems)
    keep = inventory.bits_by_key(base) if base and inventory is not None else None
    # Models mounted as image volumes in `env`: decided over the inventory's kubeversion claims.
    image = image_volume_models_for(repo, env, inventory, keep)
    plan = build_plan(repo, env, inventory, keep=keep)
    # the same decisions again (the planner decides once per base): the snapshot and the model index
    placement = placement_files(repo, env, inventory, base=base)
    counts = {w.key: w.clusters.bit_count() for w in plan.workloads} if inventory is not None else None
    members = None  # each wave's clusters, for the waves only names can say (compile/hub/waves.py)
    if inventory is not None:
        members = {w.key: [inventory.cluster_names(x.clusters) for x in w.waves] for w in plan.workloads if w.waves}
    hub = compile_hub(repo, env, image, rollout=rollout, wave_members=members)
    picture = build_picture(repo, plan, [])  # no source commit: see PAGE_PATH
    pages = {PAGE_PATH: render_html(picture), PICTURE_PATH: render_svg(picture)}
    readme = {"README.md": render_readme(repo, env, source_commit=source_commit, cluster_counts=counts, image=image)}
    return merge(readme, compile_charts(repo, env, image), compile_staging_charts(repo, env, image, held), hub,
                 placement, pages)


def waves_in(repo: Repo, env: str) -> bool:
    environment = repo.repository.environment(env)
    return environment is not None and bool(environment.waves)


def render_objects(repo: Repo, env: str, scope: Changed | None = None) -> Tree:
    """What each workload, namespace and model owns, for an environment without waves (one
    with waves: render_tree):
    charts/<workload>/ and the hub objects (hub/, or hub/<hub>/ with spec.hubs), and the
    models' staging charts (staging/<ns>/<model>/, shared by the hubs). With `scope`
    (compile/incremental.py, Subscription delivery): only the charts of its workload names,
    the hub objects its namespaces own and the staging charts of its models, each as the
    whole repository renders it."""
    if waves_in(repo, env):
        raise UserError(f"environment {env!r} rolls out in waves: its hub objects follow the rollout state "
                        "(render_tree renders it whole)")
    # No image volumes here: with spec.hubs the rule image-volumes refuses them, and an
    # incremental render renders an environment that has them whole.
    namespaces = None if scope is None else scope.namespaces
    hub = fleet_objects(repo, env, namespaces) if repo.repository.hubs else compile_hub(repo, env, namespaces=namespaces)
    charts = repo if scope is None else dataclasses.replace(
        repo, workloads=tuple(w for w in repo.workloads if w.name in scope.names))
    return merge(hub, compile_charts(charts, env),
                 compile_staging_charts(repo, env, models=None if scope is None else scope.models))


def render_globals(repo: Repo, env: str, *, inventory: Inventory | None, source_commit: str | None,
                   base: Mapping[str, Iterable[str]] | None = None,
                   hubs: Mapping[str, Inventory | None] | None = None) -> Tree:
    """What every workload shares (environments without waves): the README, the placement
    snapshots, model indexes and pictures."""
    if repo.repository.hubs:
        fleet, fleet_counts = fleet_globals(repo, env, hubs or {}, base=base)
        readme = {"README.md": render_readme(repo, env, source_commit=source_commit, cluster_counts=fleet_counts)}
        return merge(readme, fleet)
    keep = inventory.bits_by_key(base) if base and inventory is not None else None
    image = image_volume_models_for(repo, env, inventory, keep)
    plan = build_plan(repo, env, inventory, keep=keep)
    placement = placement_files(repo, env, inventory, base=base)
    counts = {w.key: w.clusters.bit_count() for w in plan.workloads} if inventory is not None else None
    readme = {"README.md": render_readme(repo, env, source_commit=source_commit, cluster_counts=counts, image=image)}
    return merge(readme, placement, pages(repo, plan))


def pages(repo: Repo, plan: Plan) -> Tree:
    """The placement picture of a plan: the page and the site matrix."""
    picture = build_picture(repo, plan, [])  # no source commit: see PAGE_PATH
    return {PAGE_PATH: render_html(picture), PICTURE_PATH: render_svg(picture)}


def render_pages(repo: Repo, env: str, *, inventory: Inventory | None,
                 base: Mapping[str, Iterable[str]] | None = None) -> Tree:
    """The pictures render_globals writes (one hub: plan.html, plan.svg), alone."""
    keep = inventory.bits_by_key(base) if base and inventory is not None else None
    return pages(repo, build_plan(repo, env, inventory, keep=keep))
