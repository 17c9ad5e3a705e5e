"""The one call from gitops into the compilers: validate, load the inventory, render.

Publishing depends on this function's shape only (`RenderFn`, gitops/requests.py);
publish and promote import this module when they render (docs/DESIGN.md, "Layers").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from i4qew.compile.incremental import keeps_placement, render_changed, whole_folders
from i4qew.compile.render import render_tree
from i4qew.gitops.requests import Rendered, RenderRequest
from i4qew.placement.expressible import repository_problems
from i4qew.placement.fleet import load_inventories
from i4qew.placement.fleet_fork import want_inventories
from i4qew.problems import Problem, UserError, has_errors, sort_problems
from i4qew.validation import Validation, validate_repo


def _stop_on_errors(problems: list[Problem]) -> None:
    if has_errors(problems):
        raise UserError(sort_problems(problems))


def render_source(req: RenderRequest, validate: Callable[[Path], Validation] = validate_repo) -> Rendered:
    """Validate (`validate`: validate_repo, or what gives its answer), then render."""
    if req.inventory is None:
        want_inventories(req.root)  # a helper process that reads hubs for validation sends them back
    validation = validate(req.root)
    problems = list(validation.problems)
    _stop_on_errors(problems)
    repo = validation.repo
    if repo is None:
        raise UserError(sort_problems(problems))
    problems.extend(repository_problems(repo, req.env))
    _stop_on_errors(problems)
    base = req.base or None  # (shared lists: publish_render.previous_decisions)
    if req.changed is not None and req.rollout is None and keeps_placement(repo, req.env, req.changed):
        # the head's placement files stay: no inventory read again (validation reported its problems)
        written, kept = render_changed(repo, req.env, req.changed, req.previous.entries(whole_folders(repo)),
                                       inventory=None, source_commit=req.source_commit)
        return Rendered(written, tuple(sorted(repo.files)), tuple(sort_problems(problems)), repo, kept)
    loaded, hubs, inventory_problems = load_inventories(req.root, repo, req.inventory)
    problems.extend(inventory_problems)
    _stop_on_errors(problems)
    if req.changed is not None and req.rollout is None:
        previous = req.previous.entries(whole_folders(repo))
        written, kept = render_changed(repo, req.env, req.changed, previous, inventory=loaded, hubs=hubs,
                                       source_commit=req.source_commit, base=base)
        return Rendered(written, tuple(sorted(repo.files)), tuple(sort_problems(problems)), repo, kept)
    tree = render_tree(repo, req.env, inventory=loaded, source_commit=req.source_commit, base=base,
                       rollout=req.rollout, hubs=hubs, held=req.held)
    return Rendered(dict(tree), tuple(sorted(repo.files)), tuple(sort_problems(problems)), repo)
