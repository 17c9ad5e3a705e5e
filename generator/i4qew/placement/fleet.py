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
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from i4qew import store
from i4qew.k8s.names import dns1123_label
from i4qew.load.files import INVENTORY_DIR, REPOSITORY_FILE, discover
from i4qew.load.yamlio import parse
from i4qew.model.repo import Hub, Repo
from i4qew.placement.checks import decisions_by_env, inventory_problems, placement_problems
from i4qew.placement.checks_cache import HubChecks
from i4qew.placement.fleet_decide import hub_planners
from i4qew.placement.inventory import Inventory
from i4qew.placement.inventory_load import SUFFIXES, load_inventory, prefetch
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
    paths, problems = discover(root, (INVENTORY_DIR,), suffixes=SUFFIXES, what="the inventory", skip=None)
    folders = tuple(f"{h.inventory_dir}/" for h in hubs)
    for p in paths:
        rel = p.relative_to(root).as_posix()
        if not rel.startswith(folders):
            names = ", ".join(folders)
            problems.append(error(rel, 1, 1, "hub-inventory",
                                    f"this inventory file is in no hub's folder ({names}): its clusters are "
                                    "planned on no hub; move it into the folder of the hub that manages them"))
    out: dict[str, Inventory | None] = {}
    reported = set(problems)  # the walk above saw every file: its findings once
    for h in hubs:
        inv, found = load_inventory(root, folder=h.inventory_dir)
        out[h.name] = inv
        problems.extend(p for p in found if p not in reported)
    return out, problems


def _duplicates(hubs: tuple[Hub, ...], inventories: Hubs) -> list[Problem]:
    """One problem per inventory file whose clusters another hub already holds."""
    owner: dict[str, str] = {}
    out: list[Problem] = []
    for h in hubs:
        inv = inventories.get(h.name)
        if inv is None:
            continue
        by_file: dict[str, list[tuple[str, str]]] = {}
        twice = [(i, other) for i, name in enumerate(inv.names) if (other := owner.setdefault(name, h.name)) != h.name]
        for i, other in twice:  # (the names are the inventory's summary: its clusters only when needed)
            c = inv.clusters[i]
            by_file.setdefault(c.origin.path, []).append((c.name, other))
        for path, found in by_file.items():
            first = next(c for c in inv.clusters if c.name == found[0][0] and c.origin.path == path)
            where, line, col = inv.locate(first)
            others = sorted({o for _, o in found})
            names = ", ".join(n for n, _ in found[:5]) + (f", … ({len(found) - 5} more)" if len(found) > 5 else "")
            out.append(error(where, line, col, "hub-cluster-duplicate",
                             f"{len(found)} cluster{'s' if len(found) != 1 else ''} of hub '{h.name}' "
                             f"{'are' if len(found) != 1 else 'is'} also in the inventory of hub "
                             f"{', '.join(repr(o) for o in others)} ({names}): a cluster registers with one hub; "
                             "keep each in the folder of the hub that manages it"))
    return out


def _limits(repo: Repo, inventories: Hubs) -> list[Problem]:
    doc = repo.repository.doc
    out: list[Problem] = []
    for h in repo.repository.hubs:
        inv = inventories.get(h.name)
        if inv is None or len(inv) <= h.cluster_limit or doc is None:
            continue
        declared = "managedClusterLimit" in doc.data["spec"]["hubs"][h.index]
        limit = (f"its managedClusterLimit is {h.cluster_limit:,}" if declared else
                 f"ACM documents {h.cluster_limit:,} managed clusters for one hub")
        out.append(doc.problem(("spec", "hubs", h.index, "name"), "hub-cluster-limit",
                               f"hub '{h.name}' holds {len(inv):,} clusters ({h.inventory_dir}/), and {limit}: "
                               "move clusters to another hub (docs/hubs.md)"))
    return out


def _per_hub(repo: Repo, inventories: Hubs, now: datetime | None) -> list[Problem]:
    """The placement checks on each hub. A workload that selects no cluster on one hub
    is normal in a fleet (its sites are elsewhere): placement-empty only when no hub has one."""
    out: list[Problem] = []
    seen: set[tuple[str, int, int, str]] = set()
    # by place and by "workload 'w' would run on no cluster in 'env'" (the reason differs per hub)
    empty: dict[tuple[str, int, int, str], list[tuple[str, Problem]]] = {}
    planned = [(h, inv) for h in repo.repository.hubs if (inv := inventories.get(h.name)) is not None]
    hub_planners(repo, inventories, now)  # decided once over the fleet
    if store.active().on:  # each hub's problems kept between runs, brought up to date by the change
        checked = HubChecks(repo, planned, now).problems()
    else:
        runs = {(env, d.key) for h, inv in planned for env, ds in decisions_by_env(repo.for_hub(h), inv, now).items()
                for d in ds if d.clusters}
        checked = [placement_problems(repo.for_hub(h), inv, now=now, elsewhere=runs) for h, inv in planned]
    for (h, _), hub_problems in zip(planned, checked, strict=True):
        for p in hub_problems:
            if p.rule == "placement-empty":
                empty.setdefault((p.path, p.line, p.column, p.message.split(":", 1)[0]), []).append((h.name, p))
                continue
            key = (p.path, p.line, p.column, p.rule)
            if p.path.startswith(INVENTORY_DIR + "/") or key not in seen:
                seen.add(key)
                out.append(p if p.path.startswith(INVENTORY_DIR + "/")
                           else dataclasses.replace(p, message=f"on hub '{h.name}': {p.message}"))
    for found in empty.values():
        if len(found) == len(planned):
            hub, p = found[0]
            n = len(planned) - 1
            rest = "" if not n else f" (nor on the other {n} hub{'s' if n > 1 else ''})"
            out.append(dataclasses.replace(p, message=f"on hub '{hub}'{rest}: {p.message}"))
    return out


def fleet_problems(repo: Repo, inventories: Hubs, *, now: datetime | None = None) -> list[Problem]:
    """Every inventory-dependent problem of a repository with hubs (inventories read)."""
    return [*_duplicates(readable(repo.repository.hubs), inventories), *_limits(repo, inventories),
            *_per_hub(repo, inventories, now)]


def all_inventory_problems(root: Path, repo: Repo) -> list[Problem]:
    """The hook of `validate_repo`: one hub (clusters/) or each hub of spec.hubs.
    A hub whose inventory has errors is not planned (as with one hub)."""
    if not repo.repository.hubs:
        return inventory_problems(root, repo)
    inventories, problems = load_hubs(root, repo)
    broken = {h.name for h in repo.repository.hubs
              if has_errors([p for p in problems if p.path.startswith(h.inventory_dir + "/")])}
    usable = {name: inv for name, inv in inventories.items() if name not in broken}
    # waves only cluster names can say, on a hub without an inventory (render refuses them too)
    missing = [p for h in repo.repository.hubs if h.name not in broken and usable.get(h.name) is None
               for p in needs_inventory(repo.for_hub(h), f"{h.inventory_dir}/")]
    return [*problems, *fleet_problems(repo, usable), *missing]


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
    can start loading the right inventories early; None when it cannot tell."""
    try:
        parsed = parse(REPOSITORY_FILE, (root / REPOSITORY_FILE).read_text("utf-8"))
        if isinstance(parsed, Problem):
            return None
        hubs = parsed.docs[0]["spec"].get("hubs") or []
        names = tuple(h["name"] for h in hubs)
    except (OSError, UnicodeDecodeError, LookupError, TypeError, AttributeError):
        return None
    return tuple(f"{INVENTORY_DIR}/{n}" for n in names if isinstance(n, str) and not dns1123_label(n))


PREFETCH_BYTES = 4 * 1024 * 1024  # below this, reading the inventory costs less than forking for it


def _size(folder: Path) -> int:
    total = 0
    try:
        for entry in folder.iterdir():
            total += _size(entry) if entry.is_dir() and not entry.is_symlink() else entry.lstat().st_size
    except OSError:
        pass  # the loader reports what cannot be read
    return total


def prefetch_inventories(root: Path, override: Path | None = None) -> None:
    """Start reading the inventory (each hub's, with spec.hubs) on the other core while the
    declarations are validated (inventory_load.prefetch); only for an inventory large
    enough to pay for the fork."""
    if override is None and _size(root / INVENTORY_DIR) < PREFETCH_BYTES:
        return
    folders = declared_hub_folders(root)
    if folders:
        for folder in folders:
            prefetch(root, folder=folder)
    else:
        prefetch(root, override)
        if override is not None:
            prefetch(root)  # validation's own look at clusters/
