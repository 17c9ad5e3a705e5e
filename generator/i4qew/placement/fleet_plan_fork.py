"""`plan` of a fleet of hubs with validation's helper process (fleet_fork.py) planning and
rendering its own hubs (docs/parallel.md).

`plan --env ENV` of a repository with spec.hubs (no --base, --now nor --inventory; text,
markdown or json) says so before validating (`want`). Where validation forks its helper,
the helper, once it has sent its checks' answer, plans its hubs in ENV over the
inventories it read and renders each hub's part of the fleet's renderings
(fleet_plan.render_hubs, given by the command: its section of the text, of the markdown, its json document, and
what the fleet's totals take of it): that is its last message, instead of its
inventories. Validation hands the helper over (`hold`) instead of reaping it; the
command plans and renders this process's hubs meanwhile (fleet_plan.fleet_texts), then takes the
helper's parts and joins them in spec.hubs order with the very functions the
one-process path uses (fleet_plan.fleet_renderings): the same bytes.

A helper that fails after its checks (an exception, a signal, an answer that cannot be
read) is only a reason to plan its hubs here too. A plan that does not happen (errors
that stop it, or any exit) kills and reaps the helper (`release`, in the command's
`finally`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from i4qew import memo, worker
from i4qew.model.repo import Hub, Repo
from i4qew.placement.inventory import Inventory

FORMATS = frozenset({"text", "markdown", "json"})  # what a hub's part holds (html and svg: the plans here)


@dataclass(frozen=True)
class Wanted:
    """The plan `plan` will render after validating, and what renders the helper's hubs
    (fleet_plan.render_hubs: given by the command, as validation gives the rules)."""

    env: str
    formats: frozenset[str]
    group_by: str
    max_list: int
    parts: Callable[[Repo, Sequence[Hub], Mapping[str, Inventory | None], Wanted], dict[str, Any]]


@dataclass
class Pending:
    """The helper, planning and rendering `hubs` (names) after its checks; `early`: this
    process's hubs' parts made while it waited for the helper's checks."""

    helper: worker.Worker
    hubs: tuple[str, ...]
    early: dict[str, Any]


_wanted: dict[str, Wanted] = memo.held("placement.fleet_plan_fork.wanted", {})
_pending: dict[str, Pending] = memo.held("placement.fleet_plan_fork.pending", {})


def want(root: Path, wanted: Wanted) -> None:
    """`plan` of `root` will render `wanted` (no base, no --now, no --inventory) after
    validating: where validation's helper runs, it plans and renders its hubs."""
    if wanted.formats <= FORMATS:
        _wanted[str(root.resolve())] = wanted


def wanted(root: Path) -> Wanted | None:
    return _wanted.get(str(root.resolve()))


def plan_while(spec: Wanted | None, repo: Repo, hubs: Sequence[Hub], inventories: Mapping[str, Inventory | None],
               helper: worker.Worker) -> dict[str, Any]:
    """This process's `hubs`' parts, made one by one while the helper has not answered for its
    checks (time this process would wait): the command makes the others, once no error stops
    the plan. Any failure only leaves the rest to the command (it fails there as in one process)."""
    out: dict[str, Any] = {}
    if spec is None:
        return out
    try:
        for h in hubs:
            if helper.channel.waiting():
                break
            out.update(spec.parts(repo, [h], {h.name: inventories.get(h.name)}, spec))
    except Exception:  # (the plan's own bug: raised by the command, if it plans)
        return {}
    return out


def hold(root: Path, helper: worker.Worker, hubs: Sequence[Hub], early: dict[str, Any]) -> None:
    """Validation's helper, which plans and renders `hubs` next: the command takes it."""
    release(root)
    _pending[str(root.resolve())] = Pending(helper, tuple(h.name for h in hubs), early)


def pending(root: Path) -> Pending | None:
    return _pending.get(str(root.resolve()))


def release(root: Path) -> None:
    """End the helper held for `root`, if any (killed and reaped if it still runs)."""
    got = _pending.pop(str(root.resolve()), None)
    if got is not None:
        got.helper.close()
