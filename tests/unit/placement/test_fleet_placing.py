"""What a fleet's decider tells the checks about each hub's list (Planner.placing, Planner.empties):
the positions of the decisions that select clusters, so that `hub_runs` and the checks' `_judged`
read only those; the same answers as walks over every decision, cold (no cache) and warm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew import memo, store
from i4qew.placement.checks import _judged, placement_problems
from i4qew.placement.decide import Planner
from i4qew.placement.fleet import hub_runs, load_hubs, planned_hubs
from i4qew.placement.fleet_decide import hub_planners
from i4qew.validation import validate_repo
from tests.support.placements import cluster, kubectl_list, policy, workload


def fleet(root: Path) -> Path:
    """Three hubs (two bind one cluster set, so they share their empty decisions); a policy that
    places on no cluster it selects (maxClusters 0: a hub's own decision, empty); workloads for one
    hub, for two, for every one and for none."""
    repository = {"apiVersion": "edge.i4q.eu/v1alpha1", "kind": "Repository", "metadata": {"name": "t"},
                  "spec": {"git": {"url": "https://gitlab.example.com/t/t.git"}, "clusterSets": ["global"],
                           "environments": [{"name": "dev", "branch": "acm-dev", "selector": "stage=dev"},
                                            {"name": "production", "branch": "production",
                                             "selector": "stage=production", "promotesFrom": "dev"}],
                           "hubs": [{"name": "east"}, {"name": "west", "clusterSets": ["west"]}, {"name": "south"}]}}
    root.mkdir(parents=True)
    (root / "i4qew.yaml").write_text(yaml.safe_dump(repository, sort_keys=False))
    policies = [policy("lines", selector="role=line"), policy("east", selector="site=east"),
                policy("not-south", selector="site!=south"), policy("nowhere", selector="site=nowhere"),
                policy("none", selector="role=line", maxClusters=0), policy("one", selector="role=line", maxClusters=1)]
    workloads = [workload(f"w{i}-{p['metadata']['name']}", p["metadata"]["name"]) for i in range(3) for p in policies]
    for folder, docs in (("policies", policies), ("workloads", workloads)):
        (root / folder).mkdir()
        (root / folder / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    for hub in ("east", "west", "south"):
        clusters: list[dict[str, Any]] = [
            cluster(f"{hub}-{i}-{stage}", {"role": "line", "stage": stage, "site": hub,
                                           "cluster.open-cluster-management.io/clusterset": hub})
            for i in range(3) for stage in ("dev", "production")]
        (root / "clusters" / hub).mkdir(parents=True)
        (root / "clusters" / hub / "managedclusters.yaml").write_text(yaml.safe_dump(kubectl_list(clusters)))
    return root


@pytest.mark.parametrize("cold", [True, False])
def test_each_hub_names_where_it_places_and_the_checks_read_only_there(tmp_path: Path, cold: bool,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet(tmp_path / "r")
    if cold:
        monkeypatch.setenv(store.ENV, "")
    else:
        monkeypatch.setenv(store.ENV, str(tmp_path / "cache"))
        validate_repo(root)  # fills the caches: the decisions below come from them
    memo.clear()
    repo = validate_repo(root).repo
    assert repo is not None
    inventories, _ = load_hubs(root, repo)
    wired = hub_planners(repo, inventories)
    envs = [e.name for e in repo.repository.environments]
    every = {(e, d.key) for p in wired.values() for e in envs for d in p.decisions(e)}
    walked = {(e, d.key) for p in wired.values() for e in envs for d in p.decisions(e) if d.clusters}
    assert walked and walked != every  # some workloads are placed, some nowhere
    assert hub_runs(repo, planned_hubs(repo, inventories), None) == walked
    placing_somewhere = own_empty = 0
    for name, planner in wired.items():
        for e in envs:
            got = planner.decisions(e)
            empties = planner.empties(e, got)
            assert empties is not None
            assert planner.placing(e, got) == [i for i, d in enumerate(got) if d.clusters], (name, e)
            assert planner.placing(e, list(got)) is None  # only the list the fleet gave
            placing_somewhere += bool(planner.placing(e, got))
            own_empty += sum(1 for d, x in zip(got, empties, strict=True) if d is not x and not d.clusters)
            for elsewhere in (walked, set(sorted(walked)[::2]), set(), every):
                assert _judged(planner, e, got, elsewhere) == [
                    d for d in got if d.clusters or (d.env, d.key) not in elsewhere], (name, e, len(elsewhere))
    assert placing_somewhere and own_empty  # (maxClusters 0: a hub's own decision with no cluster)
    for hub in repo.repository.hubs:
        inv = inventories[hub.name]
        assert inv is not None
        fast = placement_problems(repo.for_hub(hub), inv, elsewhere=walked)
        with monkeypatch.context() as plain_walk:
            plain_walk.setattr(Planner, "empties", lambda self, env, decisions: None)
            plain_walk.setattr(Planner, "placing", lambda self, env, decisions: None)
            assert hub_runs(repo, planned_hubs(repo, inventories), None) == walked
            assert placement_problems(repo.for_hub(hub), inv, elsewhere=walked) == fast
