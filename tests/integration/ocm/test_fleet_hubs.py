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


@pytest.mark.parametrize("seed", range(1, 9))
def test_each_hub_decides_over_the_fleet_as_it_decides_alone(seed: int, tmp_path: Path) -> None:
    root = split_fleet(seed, tmp_path / "repo")
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
