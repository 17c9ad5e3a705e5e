"""A fleet of ACM hubs (i4qew.yaml `spec.hubs`): each hub's inventory, and the checks
that look at one hub at a time or across them.

Each hub reads its inventory from clusters/<hub>/ and decides only over it: a
Placement on a hub sees that hub's ManagedClusters and no other. Without
`spec.hubs` the repository is one hub whose inventory is the whole of clusters/.

| rule | severity | finding |
|---|---|---|
| hub-cluster-duplicate | error | a cluster name in the inventories of two hubs (a cluster registers with one hub) |
| hub-cluster-limit | error | a hub holds more managed clusters than its `managedClusterLimit` (default and maximum 3,500, the figure ACM documents for one hub) |
| hub-inventory | error | an inventory file under clusters/ that is in no hub's folder (its clusters are planned nowhere) |

rules/placement.py documents and registers these ids with the other placement checks'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from pathlib import Path

from i4qew import store
from i4qew.k8s.names import dns1123_label
from i4qew.load.files import (
    INVENTORY_DIR,
    MAX_DECLARATION_BYTES,
    REPOSITORY_FILE,
    discover,
    read_bytes,
)
from i4qew.load.yamlio import parse
from i4qew.model.repo import Hub, Repo
from i4qew.placement.checks import decisions_by_env, inventory_problems, placement_problems
from i4qew.placement.checks_cache import HubChecks
from i4qew.placement.decide import Decision, planner_for
from i4qew.placement.fleet_decide import hub_planners
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import SUFFIXES, load_inventory
from i4qew.placement.wave_checks import needs_inventory
from i4qew.problems import ExitCode, Problem, UserError, error, has_errors

Hubs = Mapping[str, Inventory | None]  # hub name -> its inventory (None: clusters/<hub>/ holds none)


def readable(hubs: tuple[Hub, ...]) -> tuple[Hub, ...]:
    """The hubs whose names can name a folder (rule hub-name reports the others), once each."""
    names = [h.name for h in hubs]
    return tuple(h for i, h in enumerate(hubs) if not dns1123_label(h.name) and h.name not in names[:i])


def load_hubs(root: Path, repo: Repo) -> tuple[dict[str, Inventory | None], list[Problem]]:
    """Each hub's inventory, and the problems of reading them (files in no hub's folder included)."""
    hubs = readable(repo.repository.hubs)
    problems = walk_hubs(root, hubs)
    out: dict[str, Inventory | None] = {}
    reported = set(problems)  # the walk above saw every file: its findings once
    for h in hubs:
        inv, found = load_inventory(root, folder=h.inventory_dir)
        out[h.name] = inv
        problems.extend(p for p in found if p not in reported)
    return out, problems


def walk_hubs(root: Path, hubs: tuple[Hub, ...]) -> list[Problem]:
    """The problems of finding the inventory files under clusters/, files in no hub's folder included."""
    paths, problems = discover(root, (INVENTORY_DIR,), suffixes=SUFFIXES, what="the inventory", skip=None)
    folders = tuple(f"{h.inventory_dir}/" for h in hubs)
    for p in paths:
        rel = p.relative_to(root).as_posix()
        if not rel.startswith(folders):
            names = ", ".join(folders)
            problems.append(error(rel, 1, 1, "hub-inventory",
                                    f"this inventory file is in no hub's folder ({names}): its clusters are "
                                    "planned on no hub; move it into the folder of the hub that manages them"))
    return problems


def duplicates(hubs: tuple[Hub, ...], names_of: Mapping[str, Sequence[str]],
               inventory_of: Callable[[str], Inventory]) -> list[Problem]:
    """One problem per inventory file whose clusters another hub already holds. `names_of`:
    each planned hub's cluster names, in order (the inventory's summary); `inventory_of`:
    its inventory, read only for a hub with such clusters."""
    owner: dict[str, str] = {}
    out: list[Problem] = []
    for h in hubs:
        names = names_of.get(h.name)
        if names is None:
            continue
        twice = [(i, other) for i, name in enumerate(names) if (other := owner.setdefault(name, h.name)) != h.name]
        if not twice:
            continue
        inv = inventory_of(h.name)
        by_file: dict[str, list[tuple[str, str]]] = {}
        for i, other in twice:
            c = inv.clusters[i]
            by_file.setdefault(c.origin.path, []).append((c.name, other))
        for path, found in by_file.items():
            first = next(c for c in inv.clusters if c.name == found[0][0] and c.origin.path == path)
            where, line, col = inv.locate(first)
            others = sorted({o for _, o in found})
            shown = ", ".join(n for n, _ in found[:5]) + (f", … ({len(found) - 5} more)" if len(found) > 5 else "")
            out.append(error(where, line, col, "hub-cluster-duplicate",
                             f"{len(found)} cluster{'s' if len(found) != 1 else ''} of hub '{h.name}' "
                             f"{'are' if len(found) != 1 else 'is'} also in the inventory of hub "
                             f"{', '.join(repr(o) for o in others)} ({shown}): a cluster registers with one hub; "
                             "keep each in the folder of the hub that manages it"))
    return out


def limits(repo: Repo, sizes: Mapping[str, int]) -> list[Problem]:
    """The hubs over their managed-cluster limit (`sizes`: each planned hub's cluster count)."""
    doc = repo.repository.doc
    out: list[Problem] = []
    for h in repo.repository.hubs:
        size = sizes.get(h.name)
        if size is None or size <= h.cluster_limit or doc is None:
            continue
        declared = "managedClusterLimit" in doc.data["spec"]["hubs"][h.index]
        limit = (f"its managedClusterLimit is {h.cluster_limit:,}" if declared else
                 f"ACM documents {h.cluster_limit:,} managed clusters for one hub")
        out.append(doc.problem(("spec", "hubs", h.index, "name"), "hub-cluster-limit",
                               f"hub '{h.name}' holds {size:,} clusters ({h.inventory_dir}/), and {limit}: "
                               "move clusters to another hub (docs/hubs.md)"))
    return out


def _per_hub(repo: Repo, inventories: Hubs, now: datetime | None) -> list[Problem]:
    """The placement checks on each hub (merge_hubs)."""
    planned = planned_hubs(repo, inventories)
    hub_planners(repo, inventories, now)  # decided once over the fleet
    if store.active().on:  # each hub's problems kept between runs, brought up to date by the change
        checked = HubChecks(repo, planned, now).problems()
    else:
        runs = hub_runs(repo, planned, now)
        checked = [hub_problems(repo, h, inv, now, runs) for h, inv in planned]
    return merge_hubs([h.name for h, _ in planned], checked)


def planned_hubs(repo: Repo, inventories: Hubs) -> list[tuple[Hub, Inventory]]:
    """The hubs that decide (those with an inventory), in spec.hubs order."""
    return [(h, inv) for h in repo.repository.hubs if (inv := inventories.get(h.name)) is not None]


def hub_runs(repo: Repo, planned: Sequence[tuple[Hub, Inventory]], now: datetime | None) -> set[tuple[str, str]]:
    """(environment, "namespace/workload") of each decision that selects a cluster of a hub of `planned`.
    Of a fleet's hubs, the positions where each places (Planner.placing) in the group's list of
    empty decisions (Planner.empties), each read once."""
    runs: set[tuple[str, str]] = set()
    groups: dict[tuple[int, str], tuple[list[Decision], set[int]]] = {}
    for h, inv in planned:
        view = repo.for_hub(h)
        planner = planner_for(view, inv, now)
        for env, ds in decisions_by_env(view, inv, now).items():
            at, empties = planner.placing(env, ds), planner.empties(env, ds)
            if at is None or empties is None:
                runs.update([(env, d.key) for d in ds if d.clusters])
            else:
                groups.setdefault((id(empties), env), (empties, set()))[1].update(at)
    for (_, env), (empties, placing) in groups.items():
        runs.update([(env, empties[i].key) for i in placing])
    return runs


def hub_problems(repo: Repo, hub: Hub, inv: Inventory, now: datetime | None,
                 runs: AbstractSet[tuple[str, str]]) -> list[Problem]:
    """One hub's placement checks; `runs`: hub_runs over every planned hub of the fleet."""
    return placement_problems(repo.for_hub(hub), inv, now=now, elsewhere=runs)


def merge_hubs(planned: Sequence[str], checked: Sequence[list[Problem]]) -> list[Problem]:
    """The fleet's placement problems from each planned hub's (`planned`: their names, in
    spec.hubs order). A workload that selects no cluster on one hub is normal in a fleet
    (its sites are elsewhere): placement-empty only when no hub has one."""
    out: list[Problem] = []
    seen: set[tuple[str, int, int, str]] = set()
    # by place and by "workload 'w' would run on no cluster in 'env'" (the reason differs per hub)
    empty: dict[tuple[str, int, int, str], list[tuple[str, Problem]]] = {}
    for name, found in zip(planned, checked, strict=True):
        for p in found:
            if p.rule == "placement-empty":
                empty.setdefault((p.path, p.line, p.column, p.message.split(":", 1)[0]), []).append((name, p))
                continue
            key = (p.path, p.line, p.column, p.rule)
            if p.path.startswith(INVENTORY_DIR + "/") or key not in seen:
                seen.add(key)
                out.append(p if p.path.startswith(INVENTORY_DIR + "/")
                           else dataclasses.replace(p, message=f"on hub '{name}': {p.message}"))
    for twins in empty.values():
        if len(twins) == len(planned):
            hub, p = twins[0]
            n = len(planned) - 1
            rest = "" if not n else f" (nor on the other {n} hub{'s' if n > 1 else ''})"
            out.append(dataclasses.replace(p, message=f"on hub '{hub}'{rest}: {p.message}"))
    return out


def fleet_problems(repo: Repo, inventories: Hubs, *, now: datetime | None = None) -> list[Problem]:
    """Every inventory-dependent problem of a repository with hubs (inventories read)."""
    usable = {name: inv for name, inv in inventories.items() if inv is not None}
    return [*duplicates(readable(repo.repository.hubs), {n: inv.names for n, inv in usable.items()},
                        usable.__getitem__),
            *limits(repo, {n: len(inv) for n, inv in usable.items()}), *_per_hub(repo, inventories, now)]


def all_inventory_problems(root: Path, repo: Repo) -> list[Problem]:
    """The hook of `validate_repo`: one hub (clusters/) or each hub of spec.hubs.
    A hub whose inventory has errors is not planned (as with one hub)."""
    if not repo.repository.hubs:
        return inventory_problems(root, repo)
    inventories, problems = load_hubs(root, repo)
    broken = broken_hubs(repo, problems)
    usable = {name: inv for name, inv in inventories.items() if name not in broken}
    return [*problems, *fleet_problems(repo, usable), *without_inventory(repo, broken, usable)]


def broken_hubs(repo: Repo, problems: Sequence[Problem]) -> set[str]:
    """The hubs whose inventory has errors: they are not planned."""
    return {h.name for h in repo.repository.hubs
            if has_errors([p for p in problems if p.path.startswith(h.inventory_dir + "/")])}


def without_inventory(repo: Repo, broken: AbstractSet[str], usable: Mapping[str, object]) -> list[Problem]:
    """Waves only cluster names can say, on a hub without an inventory (render refuses them too)."""
    return [p for h in repo.repository.hubs if h.name not in broken and usable.get(h.name) is None
            for p in needs_inventory(repo.for_hub(h), f"{h.inventory_dir}/")]


def load_inventories(root: Path, repo: Repo, override: Path | None = None) -> tuple[
        Inventory | None, dict[str, Inventory | None] | None, list[Problem]]:
    """What render, publish and plan decide over: (the inventory, None, problems) for one
    hub; (None, each hub's inventory, problems) with spec.hubs, where --inventory is refused."""
    if not repo.repository.hubs:
        inventory, problems = load_inventory(root, override)
        return inventory, None, problems
    if override is not None:
        raise UserError(f"--inventory {override}: i4qew.yaml declares hubs (spec.hubs), and each hub plans over "
                        "its own folder clusters/<hub>/; put the ManagedClusters there", ExitCode.USAGE)
    inventories, problems = load_hubs(root, repo)
    return None, inventories, problems


def declared_hub_folders(root: Path) -> tuple[str, ...] | None:
    """clusters/<hub> of each hub i4qew.yaml names, read ahead of validation so that `plan`
    can start loading the right inventories early; None when it cannot tell. Read as the
    loader reads it: a FIFO, a device or a file over the size limit is not read (the loader
    reports it), nor a symlink."""
    path = root / REPOSITORY_FILE
    if path.is_symlink():
        return None
    data = read_bytes(REPOSITORY_FILE, str(path), MAX_DECLARATION_BYTES)
    if isinstance(data, Problem):
        return None
    try:
        parsed = parse(REPOSITORY_FILE, data.decode("utf-8"))
        if isinstance(parsed, Problem):
            return None
        hubs = parsed.docs[0]["spec"].get("hubs") or []
        names = tuple(h["name"] for h in hubs)
    except (OSError, UnicodeDecodeError, LookupError, TypeError, AttributeError):
        return None
    return tuple(f"{INVENTORY_DIR}/{n}" for n in names if isinstance(n, str) and not dns1123_label(n))


PREFETCH_BYTES = 4 * 1024 * 1024  # below this, reading the inventory costs less than forking for it (fleet_fork.py)


def tree_size(folder: Path) -> int:
    total = 0
    try:
        for entry in folder.iterdir():
            total += tree_size(entry) if entry.is_dir() and not entry.is_symlink() else entry.lstat().st_size
    except OSError:
        pass  # the loader reports what cannot be read
    return total
