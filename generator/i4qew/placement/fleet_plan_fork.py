"""`plan` of a fleet of hubs with validation's helper process (fleet_fork.py) planning and
rendering its own hubs (docs/parallel.md).

`plan --env ENV` of a repository with spec.hubs (no --base, --now nor --inventory; text,
markdown or json) says so before validating (`want`). Where validation forks its helper,
the helper, once it has sent its checks' answer, plans its hubs in ENV over the
inventories it read and renders each hub's part of the fleet's renderings
(fleet_plan.hub_part: its section of the text, of the markdown, its json document, and
what the fleet's totals take of it): that is its last message, instead of its
inventories. Validation hands the helper over (`hold`) instead of reaping it; the
command plans and renders this process's hubs meanwhile (`fleet_texts`), then takes the
helper's parts and joins them in spec.hubs order with the very functions the
one-process path uses (fleet_plan.fleet_renderings): the same bytes.

A helper that fails after its checks (an exception, a signal, an answer that cannot be
read) is only a reason to plan its hubs here too. A plan that does not happen (errors
that stop it, or any exit) kills and reaps the helper (`release`, in the command's
`finally`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from i4qew import memo, worker
from i4qew.model.repo import Hub, Repo
from i4qew.placement.inventory import Inventory
from i4qew.problems import Problem

FORMATS = frozenset({"text", "markdown", "json"})  # what a hub's part holds (html and svg: the plans here)


@dataclass(frozen=True)
class Wanted:
    """The plan `plan` will render after validating."""

    env: str
    formats: frozenset[str]
    group_by: str
    max_list: int


@dataclass
class Pending:
    """The helper, planning and rendering `hubs` (names) after its checks."""

    helper: worker.Worker
    hubs: tuple[str, ...]


_wanted: dict[str, Wanted] = memo.held("placement.fleet_plan_fork.wanted", {})
_pending: dict[str, Pending] = memo.held("placement.fleet_plan_fork.pending", {})


def want(root: Path, env: str, formats: Collection[str], group_by: str, max_list: int) -> None:
    """`plan` of `root` will render `formats` of `env` (no base, no --now, no --inventory)
    after validating: where validation's helper runs, it plans and renders its hubs."""
    if set(formats) <= FORMATS:
        _wanted[str(root.resolve())] = Wanted(env, frozenset(formats), group_by, max_list)


def wanted(root: Path) -> Wanted | None:
    return _wanted.get(str(root.resolve()))


def render_hubs(repo: Repo, hubs: Sequence[Hub], inventories: Mapping[str, Inventory | None],
                spec: Wanted) -> dict[str, object]:
    """In the helper: its hubs' parts (fleet_plan.hub_part), by name."""
    from i4qew.placement.fleet_plan import build_fleet_plan, hub_part

    if spec.env not in {e.name for e in repo.repository.environments}:
        return {}  # the command refuses it (require_environments)
    names = {h.name for h in hubs}
    plans = build_fleet_plan(repo, spec.env, {n: inv for n, inv in inventories.items() if n in names}, only=names)
    parts: dict[str, object] = {}
    keys = None
    for name, plan in plans.items():
        part = parts[name] = hub_part(name, plan, spec.formats, spec.group_by, spec.max_list, keys)
        keys = part.keys  # (one object for the hubs with the same workloads: pickled once)
    return parts


def hold(root: Path, helper: worker.Worker, hubs: Sequence[Hub]) -> None:
    """Validation's helper, which plans and renders `hubs` next: the command takes it."""
    release(root)
    _pending[str(root.resolve())] = Pending(helper, tuple(h.name for h in hubs))


def pending(root: Path) -> Pending | None:
    return _pending.get(str(root.resolve()))


def release(root: Path) -> None:
    """End the helper held for `root`, if any (killed and reaped if it still runs)."""
    got = _pending.pop(str(root.resolve()), None)
    if got is not None:
        got.helper.close()


def fleet_texts(root: Path, repo: Repo, env: str, problems: list[Problem], formats: Collection[str],
                group_by: str, max_list: int) -> dict[str, str] | None:
    """`plan`'s renderings of the fleet in `formats` with the helper's parts (None: no
    helper is held for `root`): this process's hubs planned here, then the helper's parts
    taken (or, if it failed, its hubs planned here too)."""
    from i4qew.placement import fleet_plan
    from i4qew.placement.fleet import readable
    from i4qew.placement.inventory_load import load_inventory

    held = pending(root)
    if held is None or not set(formats) <= FORMATS:
        return None

    def parts_of(names: Collection[str]) -> dict[str, fleet_plan.HubPart]:
        inventories = {h.name: load_inventory(root, folder=h.inventory_dir)[0]
                       for h in readable(repo.repository.hubs) if h.name in names}
        plans = fleet_plan.build_fleet_plan(repo, env, inventories, only=names)
        return {name: fleet_plan.hub_part(name, plan, formats, group_by, max_list) for name, plan in plans.items()}

    theirs = set(held.hubs)
    parts = parts_of({h.name for h in repo.repository.hubs} - theirs)
    try:
        got = held.helper.result()
        if not (isinstance(got, dict) and set(got) == theirs
                and all(isinstance(p, fleet_plan.HubPart) and set(formats) <= set(p.texts) for p in got.values())):
            raise worker.WorkerFailed("another answer")
    except worker.WorkerFailed:
        release(root)
        got = parts_of(theirs)
    release(root)
    ordered = {h.name: parts[h.name] if h.name in parts else got[h.name] for h in repo.repository.hubs}
    return fleet_plan.fleet_renderings(env, ordered, problems, formats, group_by)
