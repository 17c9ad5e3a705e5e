"""Rollout waves over the inventory: disjoint, in order, the last one takes the rest."""

from __future__ import annotations

from pathlib import Path

from i4qew.placement.decide import Planner
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.waves import members_by_wave
from i4qew.validation import validate_repo
from tests.support.placements import cluster, policy, workload, write_repo

FLEET = [cluster(f"{site}-{i}", {"site": site}) for site in ("bologna", "porto", "lab") for i in range(1, 5)]
ENV = {"name": "production", "branch": "production"}


def waves_of(root: Path, name: str = "w") -> dict[str, list[str]]:
    v = validate_repo(root)
    assert v.repo is not None and not [p for p in v.problems if p.severity.value == "error"], v.problems
    inv, _ = load_inventory(root)
    assert inv is not None
    planner = Planner(v.repo, inv)
    env = v.repo.repository.environments[0]
    (d,) = [d for d in planner.decisions(env.name) if d.workload.name == name]
    waves = d.workload.waves_for(env)
    bits = members_by_wave(inv, waves, d.clusters)
    assert sum(b.bit_count() for b in bits) == d.clusters.bit_count()  # disjoint, nothing left out
    return {w.name: inv.cluster_names(b) for w, b in zip(waves, bits, strict=True)}


def test_a_cluster_belongs_to_the_first_wave_that_selects_it(tmp_path: Path) -> None:
    waves = [{"name": "canary", "selector": "site=lab", "clusters": 1}, {"name": "labs", "selector": "site in (lab, porto)"},
             {"name": "half", "percent": 50}, {"name": "rest"}]
    write_repo(tmp_path, clusters=FLEET, policies=[policy("all")], workloads=[workload("w", "all")],
               environments=[{**ENV, "waves": waves}])
    assert waves_of(tmp_path) == {
        "canary": ["lab-1"],
        "labs": ["lab-2", "lab-3", "lab-4", "porto-1", "porto-2", "porto-3", "porto-4"],
        "half": ["bologna-1", "bologna-2"],  # 50 % of the 4 left, by name
        "rest": ["bologna-3", "bologna-4"],
    }


def test_a_share_rounds_up_and_counts_only_the_clusters_left(tmp_path: Path) -> None:
    waves = [{"name": "first", "percent": 10}, {"name": "second", "percent": 10}, {"name": "rest"}]
    write_repo(tmp_path, clusters=FLEET, policies=[policy("all")], workloads=[workload("w", "all")],
               environments=[{**ENV, "waves": waves}])
    got = waves_of(tmp_path)
    assert (len(got["first"]), len(got["second"]), len(got["rest"])) == (2, 1, 9)  # ceil(1.2), ceil(1.0)


def test_a_workload_redraws_its_waves_and_keeps_the_environments_names(tmp_path: Path) -> None:
    env_waves = [{"name": "canary", "selector": "site=lab", "soak": "24h"}, {"name": "rest"}]
    mine = [{"name": "canary", "selector": "site=porto", "clusters": 2}, {"name": "rest"}]
    write_repo(tmp_path, clusters=FLEET, policies=[policy("all"), policy("bp", selector="site in (bologna, porto)")],
               workloads=[workload("w", "bp", environments={"production": {"waves": mine}}), workload("v", "all")],
               environments=[{**ENV, "waves": env_waves}])
    assert waves_of(tmp_path)["canary"] == ["porto-1", "porto-2"]
    assert waves_of(tmp_path, "v")["canary"] == ["lab-1", "lab-2", "lab-3", "lab-4"]
    v = validate_repo(tmp_path)
    assert v.repo is not None
    w = v.repo.workload("w")
    assert w is not None and w.waves_for(v.repo.repository.environments[0])[0].soak_minutes == 24 * 60
