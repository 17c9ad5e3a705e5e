"""The one call from gitops into the compilers: validate, load the inventory, render.

Publishing depends on this function's shape only (`RenderFn`), so tests can
drive the git side with a stand-in tree when they need one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from i4qew.compile.hub.rollout_state import RolloutState
from i4qew.compile.render import render_tree
from i4qew.load.files import DECLARATION_DIRS, INVENTORY_DIR, REPOSITORY_FILE
from i4qew.model.repo import Repo
from i4qew.placement.expressible import repository_problems
from i4qew.placement.inventory_load import load_inventory
from i4qew.problems import Problem, UserError, has_errors, sort_problems
from i4qew.validation import validate_repo

DECISIONS_PATH = "placement/decisions.json"  # the previous snapshot, read back as the next base


@dataclass(frozen=True)
class RenderRequest:
    root: Path  # the folder holding i4qew.yaml (a clone, or a commit materialised)
    env: str
    source_commit: str
    inventory: Path | None  # --inventory, else the repository's clusters/
    # the branch's previous placement decisions ("namespace/workload" -> clusters),
    # so numberOfClusters choices stay where they were
    base: Mapping[str, Sequence[str]] | None = None
    rollout: RolloutState | None = None  # the rollout state to compile (environments with waves)


@dataclass(frozen=True)
class Rendered:
    files: Mapping[str, bytes]  # the environment branch's content
    config_paths: tuple[str, ...] = ()  # files workloads mount, repo-relative (inputs too)
    warnings: tuple[Problem, ...] = field(default=())
    repo: Repo | None = None  # the model rendered, when the renderer has one

    @property
    def extra_inputs(self) -> tuple[str, ...]:
        """Inputs outside the folders the fingerprint always covers."""
        covered = (REPOSITORY_FILE, *DECLARATION_DIRS, INVENTORY_DIR)
        return tuple(sorted(p for p in self.config_paths if p.split("/")[0] not in covered))


# raises UserError carrying the problems when the repository is not valid
RenderFn = Callable[[RenderRequest], Rendered]


def _stop_on_errors(problems: list[Problem]) -> None:
    if has_errors(problems):
        raise UserError(sort_problems(problems))


def render_source(req: RenderRequest) -> Rendered:
    validation = validate_repo(req.root)
    problems = list(validation.problems)
    _stop_on_errors(problems)
    repo = validation.repo
    if repo is None:
        raise UserError(sort_problems(problems))
    problems.extend(repository_problems(repo, req.env))
    _stop_on_errors(problems)
    loaded, inventory_problems = load_inventory(req.root, req.inventory)
    problems.extend(inventory_problems)
    _stop_on_errors(problems)
    base = {k: list(v) for k, v in req.base.items()} if req.base else None
    tree = render_tree(repo, req.env, inventory=loaded, source_commit=req.source_commit, base=base,
                       rollout=req.rollout)
    return Rendered(dict(tree), tuple(sorted(repo.files)), tuple(sort_problems(problems)), repo)
