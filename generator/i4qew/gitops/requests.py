"""What publish and promote ask of a render, and what they get back (`RenderFn`).

Light on purpose: a publish whose inputs are unchanged never renders, so it never
imports the validation and the compilers (gitops/rendering.py, ~0.2 s to import).
Tests drive the git side with a stand-in `RenderFn` when they need one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from i4qew.compile import Changed
from i4qew.load.files import DECLARATION_DIRS, INVENTORY_DIR, REPOSITORY_FILE
from i4qew.problems import Problem

if TYPE_CHECKING:
    from i4qew.compile.hub.rollout_state import RolloutState
    from i4qew.compile.staging.held import Held
    from i4qew.model.repo import Repo

DECISIONS_PATH = "placement/decisions.json"  # the previous snapshot, read back as the next base


def is_snapshot(path: str) -> bool:
    """placement/decisions.json, or a hub's placement/<hub>/decisions.json (spec.hubs)."""
    return path == DECISIONS_PATH or (path.startswith("placement/") and path.endswith("/decisions.json")
                                      and path.count("/") == 2)


class Previous(Protocol):
    """The files of the branch head a render of some workloads may keep (RenderRequest.changed)."""

    def entries(self, whole: Callable[[str], bool]) -> tuple[str, ...]:
        """Its files, and as one entry "<folder>/" each folder `whole` accepts (not read further)."""


@dataclass(frozen=True)
class Listed:
    """Previous files given as a list (a folder "<path>/" stands for its files)."""

    paths: tuple[str, ...]

    def entries(self, whole: Callable[[str], bool]) -> tuple[str, ...]:
        return self.paths


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
    held: Held | None = None  # the model versions its pinned commits run (gitops/held_models.py)
    # only these workloads changed since the branch head, whose files are `previous`
    # (gitops/incremental.py): render what they touch, keep the rest
    changed: Changed | None = None
    previous: Previous = Listed(())


@dataclass(frozen=True)
class Rendered:
    files: Mapping[str, bytes]  # the environment branch's content
    config_paths: tuple[str, ...] = ()  # files workloads mount, repo-relative (inputs too)
    warnings: tuple[Problem, ...] = field(default=())
    repo: Repo | None = None  # the model rendered, when the renderer has one
    # entries of RenderRequest.previous that stay as they are (files, folders "<path>/")
    kept: frozenset[str] = frozenset()

    @property
    def extra_inputs(self) -> tuple[str, ...]:
        """Inputs outside the folders the fingerprint always covers."""
        covered = (REPOSITORY_FILE, *DECLARATION_DIRS, INVENTORY_DIR)
        return tuple(sorted(p for p in self.config_paths if p.split("/")[0] not in covered))


# raises UserError carrying the problems when the repository is not valid
RenderFn = Callable[[RenderRequest], Rendered]
