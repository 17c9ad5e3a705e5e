"""A fleet's plan against a base makes the plan of a workload a hub neither places nor
placed once for every hub (placement/plan.py `_unreached`) and plans only the others on each
hub: the plans are those made workload by workload on every hub, also for a workload whose
base clusters all left the hub's inventory, one whose placement changed where it reaches no
cluster, and one whose filters keep clusters it does not choose (numberOfClusters 0); without
a base, each hub's plan holds what its planner decides for every workload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from i4qew import memo
from i4qew.placement import plan as plan_module
from i4qew.placement.fleet import load_hubs
from i4qew.placement.fleet_decide import hub_planners
from i4qew.placement.fleet_plan import build_fleet_plan
from i4qew.placement.plan import Plan
from i4qew.validation import read_repo
from tests.integration.ocm.test_fleet_hubs import split_fleet
from tests.integration.ocm.test_fleet_plans import base_revision, head_revision


def renamed(folder: Path) -> None:
    """Every cluster of the hub under another name: the base's decisions there are all gone now."""
    for path in folder.glob("*.yaml"):
        docs = list(yaml.safe_load_all(path.read_text()))
        for doc in docs:
            for item in doc.get("items", []) if isinstance(doc, dict) else []:
                item["metadata"]["name"] = "old-" + item["metadata"]["name"]
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def fleets(root: Path, base_root: Path) -> Callable[[], dict[str, dict[str, Plan]]]:
    """What plans both revisions' fleets (each call from empty caches), over one model of each."""
    repo, base_repo = read_repo(root), read_repo(base_root)
    assert repo is not None and base_repo is not None
    inventories, base_inventories = load_hubs(root, repo)[0], load_hubs(base_root, base_repo)[0]

    def plans() -> dict[str, dict[str, Plan]]:
        memo.clear()
        out = {env: build_fleet_plan(repo, env, inventories, base_repo=base_repo, base_inventories=base_inventories,
                                     base_label="base") for env in ("dev", "production")}
        memo.clear()
        return out

    return plans


@pytest.mark.parametrize("seed", range(1, 5))
def test_plans_shared_by_the_hubs_a_workload_does_not_reach_are_those_planned_one_by_one(
        seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = head_revision(split_fleet(seed, tmp_path / "repo"))
    base_root = base_revision(root, tmp_path / "base", seed)
    policies = root / "policies" / "all.yaml"
    docs = list(yaml.safe_load_all(policies.read_text()))
    docs[seed % 6]["spec"]["maxClusters"] = 0  # feasible clusters, none chosen
    policies.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    renamed(next(p for p in sorted((base_root / "clusters").iterdir()) if p.is_dir()))
    plans = fleets(root, base_root)
    shared = plans()
    # every workload planned on every hub, as build_plan does where waves are declared
    monkeypatch.setattr(plan_module, "_has_waves", lambda *args: True)
    assert shared == plans()
    every = [w for fleet in shared.values() for hub in fleet.values() for w in hub.workloads]
    assert any(w.lost_gone and not w.lost and not w.clusters for w in every)
    assert any(w.placement_changed and not (w.clusters or w.lost or w.lost_gone) for w in every)
    assert any(w.feasible and not w.clusters for w in every)


@pytest.mark.parametrize("seed", range(1, 3))
def test_without_a_base_each_plan_says_what_its_hub_decides(seed: int, tmp_path: Path) -> None:
    """Every workload's clusters, feasible count and advisory on each hub, including one whose
    filters keep clusters it does not choose (numberOfClusters 0)."""
    root = head_revision(split_fleet(seed, tmp_path / "repo"))
    policies = root / "policies" / "all.yaml"
    docs = list(yaml.safe_load_all(policies.read_text()))
    docs[seed % 6]["spec"]["maxClusters"] = 0
    policies.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    memo.clear()
    repo = read_repo(root)
    assert repo is not None
    inventories = load_hubs(root, repo)[0]
    unchosen = 0
    for env in ("dev", "production"):
        fleet = build_fleet_plan(repo, env, inventories)
        for hub, planner in hub_planners(repo, inventories).items():
            planned = {w.key: (w.clusters, w.feasible, w.advisory) for w in fleet[hub].workloads}
            for d in planner.decisions(env):
                assert planned[d.key] == (d.clusters, d.feasible, d.advisory), (hub, env, d.key)
                unchosen += bool(d.feasible and not d.clusters)
    memo.clear()
    assert unchosen
