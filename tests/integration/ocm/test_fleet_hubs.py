"""A fleet of hubs decides once over the concatenated inventories (placement/fleet_decide.py):
on the oracle's random fleets (fleets.py) split across hubs, each hub's decisions equal
what the hub's own planner decides alone over its inventory (the decisions test_random_fleets
checks against OCM's scheduler), with and without a base decision. The hubs differ in their
cluster sets, and only some declare the label-selector ManagedClusterSet."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew import memo, store
from i4qew.placement.checks import _judged, placement_problems
from i4qew.placement.decide import Decision, Planner
from i4qew.placement.fleet import load_hubs
from i4qew.placement.fleet_decide import hub_planners
from i4qew.validation import validate_repo
from tests.integration.ocm import fleets
from tests.support.placements import kubectl_list

HUBS: tuple[dict[str, Any], ...] = ({"name": "east"}, {"name": "west", "clusterSets": ["plant-a", "near", "default"]}, {"name": "south"},
        {"name": "north", "clusterSets": ["global"]})


def split_fleet(seed: int, root: Path) -> Path:
    rng = random.Random(seed)
    fleet = fleets.random_fleet(seed, clusters=90, workloads=24)
    fleet.write(root)
    for f in (root / "clusters").iterdir():
        f.unlink()
    hubs = [dict(h) for h in HUBS[:2 + seed % 3]]
    shares: dict[str, list[dict[str, Any]]] = {str(h["name"]): [] for h in hubs}
    for c in fleet.clusters:  # not by name: a hub's clusters are scattered over the names
        shares[rng.choice(list(shares))].append(c)
    for i, (hub, clusters) in enumerate(shares.items()):
        (root / "clusters" / hub).mkdir()
        docs = [kubectl_list(clusters)] + ([fleets.LAB_SET] if i % 2 == 0 else [])
        (root / "clusters" / hub / "fleet.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    repository = yaml.safe_load((root / "i4qew.yaml").read_text())
    repository["spec"]["hubs"] = hubs
    (root / "i4qew.yaml").write_text(yaml.safe_dump(repository, sort_keys=False))
    return root


def shown(decisions: list[Decision]) -> list[tuple[str, str, str, int, int, bool]]:
    return [(d.key, d.env, d.name, d.clusters, d.feasible, d.advisory) for d in decisions]


def cache(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The persistent cache on (the suite's) or off (a cold run: FleetDecider._cold decides
    everything afresh), the process memos emptied either way."""
    if mode == "off":
        monkeypatch.setenv(store.ENV, "")
    memo.clear()


@pytest.mark.parametrize("mode", ["on", "off"])
@pytest.mark.parametrize("seed", range(1, 9))
def test_each_hub_decides_over_the_fleet_as_it_decides_alone(seed: int, mode: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = split_fleet(seed, tmp_path / "repo")
    cache(mode, monkeypatch)
    repo = validate_repo(root).repo
    assert repo is not None
    inventories, _ = load_hubs(root, repo)
    wired = hub_planners(repo, inventories)
    assert len(wired) == len(repo.repository.hubs) > 1
    rng = random.Random(seed * 31)
    reached = 0
    for hub in repo.repository.hubs:
        inv = inventories[hub.name]
        assert inv is not None
        alone = Planner(repo.for_hub(hub), inv)
        for env in ("dev", "production"):
            got = wired[hub.name].decisions(env)
            assert shown(got) == shown(alone.decisions(env)), (hub.name, env)
            reached += sum(1 for d in got if d.clusters)
            # a base decision (Steady keeps it, NoSelectIfNew lets its clusters stay)
            base = {d.key: rng.getrandbits(len(inv)) for d in got if rng.random() < 0.6}
            assert shown(wired[hub.name].decisions(env, base)) == shown(alone.decisions(env, base)), (hub.name, env)
    assert reached  # the fleets place something


@pytest.mark.parametrize("mode", ["on", "off"])
@pytest.mark.parametrize("seed", range(1, 9))
def test_hub_checks_over_the_fleet_judge_as_a_walk_over_every_decision(seed: int, mode: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """placement_problems on a fleet's hub finds the empty decisions no other hub runs without
    walking the group's empty decisions (Planner.empties): the same decisions judged and the same
    problems as the walk over every decision, for the fleet's own `elsewhere`, a part of it,
    none and every workload; PlacementRule hubs too. Each environment's decisions stay within its
    selector, which lets the checks skip environment pairs no cluster of a hub is in both of."""
    root = split_fleet(seed, tmp_path / "repo")
    if seed % 3 == 0:
        repository = yaml.safe_load((root / "i4qew.yaml").read_text())
        repository["spec"]["placementApi"] = "PlacementRule"
        (root / "i4qew.yaml").write_text(yaml.safe_dump(repository, sort_keys=False))
    # a policy that places on no cluster of those it selects (maxClusters 0): a hub's own decision, empty
    policies = list(yaml.safe_load_all((root / "policies" / "all.yaml").read_text()))
    policies[seed % 6]["spec"]["maxClusters"] = 0
    (root / "policies" / "all.yaml").write_text(yaml.safe_dump_all(policies, sort_keys=False))
    # a workload copied (the same namespace/name twice: duplicate-name's business), one placed differently
    workloads = list(yaml.safe_load_all((root / "workloads" / "all.yaml").read_text()))
    twin = yaml.safe_load(yaml.safe_dump(workloads[seed % len(workloads)]))
    twin["spec"]["placement"] = policies[(seed + 1) % 6]["metadata"]["name"]
    (root / "workloads" / "all.yaml").write_text(yaml.safe_dump_all([*workloads, twin], sort_keys=False))
    cache(mode, monkeypatch)
    repo = validate_repo(root).repo
    assert repo is not None
    inventories, _ = load_hubs(root, repo)
    wired = hub_planners(repo, inventories)
    envs = list(repo.repository.environments)
    runs = {(e.name, d.key) for p in wired.values() for e in envs for d in p.decisions(e.name) if d.clusters}
    every = {(e.name, d.key) for p in wired.values() for e in envs for d in p.decisions(e.name)}
    judged = 0
    for elsewhere in (runs, set(sorted(runs)[::2]), set(), every):
        for hub in repo.repository.hubs:
            view, inv = repo.for_hub(hub), inventories[hub.name]
            assert inv is not None
            for e in envs:
                got = wired[hub.name].decisions(e.name)
                assert _judged(wired[hub.name], e.name, got, elsewhere) == [
                    d for d in got if d.clusters or (d.env, d.key) not in elsewhere], (hub.name, e.name)
            fast = placement_problems(view, inv, elsewhere=elsewhere)
            with monkeypatch.context() as plain_walk:
                plain_walk.setattr(Planner, "empties", lambda self, env, decisions: None)
                plain = placement_problems(view, inv, elsewhere=elsewhere)
            assert fast == plain, (hub.name, len(elsewhere))
            judged += len(plain)
    assert judged  # the fleets have problems to find
    for hub in repo.repository.hubs:
        planner, inv = wired[hub.name], inventories[hub.name]
        assert inv is not None
        for e in envs:
            got = planner.decisions(e.name)
            empties = planner.empties(e.name, got)
            assert empties is not None and len(empties) == len(got)
            assert all(d is x or (d.key, d.env, d.workload) == (x.key, x.env, x.workload) for d, x in zip(got, empties, strict=True))
            assert all(not x.clusters for x in empties)
            assert planner.empties(e.name, list(got)) is None  # only the list the fleet gave
            assert planner.placing(e.name, got) == [i for i, d in enumerate(got) if d.clusters]
            if not e.selector.is_empty():
                selected = inv.labels.selector(e.selector)
                assert all(not d.clusters & ~selected for d in got), (hub.name, e.name)
