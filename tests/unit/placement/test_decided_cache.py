"""The fleet's final decisions kept between runs (placement/decided_cache.py) and the
inventories loaded lazily (inventory_load.py): a warm `plan` and `validate` answer as
cold ones after each edit of what a decision reads, and a warm run whose decisions all
come from the caches does not load a hub's clusters it does not check again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from i4qew import memo, store
from i4qew.cli.main import cli
from i4qew.placement import fleet_decide, inventory_load
from tests.support.placements import cluster, kubectl_list, model, policy, workload

T0 = "2026-12-01T10:00:00Z"
OFFLINE = {"key": "cluster.open-cluster-management.io/unreachable", "effect": "NoSelect", "timeAdded": T0}
MAINTENANCE = {"key": "example.com/maintenance", "value": "planned", "effect": "NoSelect", "timeAdded": T0}


def fleet(root: Path) -> Path:
    """Two hubs binding different cluster sets, taints (one timed toleration), numberOfClusters, a model with its own policy."""
    repository = {"apiVersion": "edge.i4q.eu/v1alpha1", "kind": "Repository", "metadata": {"name": "t"},
                  "spec": {"git": {"url": "https://gitlab.example.com/t/t.git"}, "clusterSets": ["global"],
                           "environments": [{"name": "dev", "branch": "acm-dev", "selector": "stage=dev"},
                                            {"name": "production", "branch": "production",
                                             "selector": "stage=production", "promotesFrom": "dev"}],
                           "hubs": [{"name": "east", "clusterSets": ["plants-east"]}, {"name": "west"}]}}
    root.mkdir(parents=True)
    (root / "i4qew.yaml").write_text(yaml.safe_dump(repository, sort_keys=False))
    # lines names its cluster sets: the same placement on hubs that bind different sets
    policies = [policy("lines", selector="role=line", clusterSets=["global"]),
                policy("two", selector="role=line", maxClusters=2),
                policy("patient", selector="role=line", tolerations=[
                    {"key": "example.com/maintenance", "operator": "Exists", "tolerationSeconds": 3600}]),
                policy("offline", selector="role=line", tolerateOffline=True),
                policy("gpus", selector="gpu=yes"), policy("gpuless", selector="gpu=no")]
    workloads = [workload("a", "lines", resources={"requests": {"cpu": "100m"}}),
                 workload("b", "two"), workload("c", "patient"), workload("d", "offline"),
                 workload("e", "lines", model={"name": "m", "version": "1", "mountPath": "/models"}),
                 workload("h", "two", model={"name": "m", "version": "1", "mountPath": "/models"})]  # b's policy too
    for folder, docs in (("policies", policies), ("workloads", workloads), ("models", [model("m", "gpus")])):
        (root / folder).mkdir()
        (root / folder / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    (root / "workloads" / "g.yaml").write_text(yaml.safe_dump(workload("g", "gpuless"), sort_keys=False))  # east only
    hubs: dict[str, list[dict[str, Any]]] = {
        "east": [cluster(f"e{i}-{stage}", {"role": "line", "stage": stage, "gpu": "yes" if i % 2 else "no",
                                              "cluster.open-cluster-management.io/clusterset": "plants-east"},
                         taints=[MAINTENANCE] if i == 1 else [OFFLINE] if i == 2 else None,
                         allocatable={"cpu": "8", "memory": "16Gi"})
                 for i in range(4) for stage in ("dev", "production")],
        "west": [cluster(f"w{i}-{stage}", {"role": "line", "stage": stage, "gpu": "yes"},
                         taints=[OFFLINE] if i == 0 else None, allocatable={"cpu": "8", "memory": "16Gi"})
                 for i in range(3) for stage in ("dev", "production")],
    }
    for hub, clusters in hubs.items():
        (root / "clusters" / hub).mkdir(parents=True)
        (root / "clusters" / hub / "managedclusters.yaml").write_text(yaml.safe_dump(kubectl_list(clusters)))
    return root


def invoke(root: Path, cache: str, *args: str) -> tuple[int, str]:
    memo.clear()
    result = CliRunner().invoke(cli, [*args, "-C", str(root)], env={store.ENV: cache})
    memo.clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


COMMANDS = [("validate",), ("plan", "--env", "dev", "--format", "json"), ("plan", "--env", "production"),
            ("plan", "--env", "production", "--now", "2026-12-01T10:30:00Z", "--format", "json")]


def answers(root: Path, cache: str) -> list[tuple[int, str]]:
    return [invoke(root, cache, *command) for command in COMMANDS]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


# (what is edited, file, old, new): each changes some decision of some hub
EDITS = [
    ("a workload's placement", "workloads/all.yaml", "placement: lines", "placement: two"),
    ("a policy's predicates", "policies/all.yaml", "selector: role=line\n", "selector: role=line,gpu=no\n"),
    ("a policy's numberOfClusters", "policies/all.yaml", "maxClusters: 2", "maxClusters: 1"),
    ("a policy's tolerations", "policies/all.yaml", "tolerationSeconds: 3600", "tolerationSeconds: 60"),
    ("a policy's offline tolerations", "policies/all.yaml", "tolerateOffline: true", "tolerateOffline: false"),
    ("the model's policy", "policies/all.yaml", "selector: gpu=yes", "selector: gpu=no"),
    ("an inventory label", "clusters/west/managedclusters.yaml", "gpu: 'yes'", "gpu: 'no'"),
    ("an inventory taint", "clusters/east/managedclusters.yaml", "value: planned", "value: unplanned"),
    ("a taint's time", "clusters/east/managedclusters.yaml", "2026-12-01T10:00:00Z", "2026-12-01T09:00:00Z"),
    ("an environment's selector", "i4qew.yaml", "selector: stage=dev", "selector: role=line"),
    ("a workload's architectures", "workloads/all.yaml", "placement: patient\n",
     "placement: patient\n  architectures: [arm64]\n"),
]


def test_a_warm_plan_answers_as_a_cold_one_after_each_edit(tmp_path: Path) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    first = answers(root, "")
    assert '"advisory": true' in first[1][1] and "e1-production" in first[3][1], first  # counts and taints matter
    assert answers(root, cache) == first  # fills the caches
    assert answers(root, cache) == first  # answers from them
    for what, path, old, new in EDITS:
        edit(root / path, old, new)
        assert answers(root, cache) == answers(root, ""), what


def test_files_added_and_removed(tmp_path: Path) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    answers(root, cache)
    more = root / "workloads" / "more.yaml"
    more.write_text(yaml.safe_dump(workload("f", "two", namespace="other"), sort_keys=False))
    (root / "policies" / "more.yaml").write_text(yaml.safe_dump(policy("gpuless", selector="gpu=no")))
    assert answers(root, cache) == answers(root, "")
    edit(more, "placement: two", "placement: gpuless")
    assert answers(root, cache) == answers(root, "")
    more.unlink()
    (root / "clusters" / "west" / "more.yaml").write_text(yaml.safe_dump(kubectl_list(
        [cluster("w9-dev", {"role": "line", "stage": "dev", "gpu": "yes"})])))
    assert answers(root, cache) == answers(root, "")


def test_only_the_hub_checked_again_loads_its_clusters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = fleet(tmp_path / "r")
    cache = str(tmp_path / "cache")
    invoke(root, cache, "validate")
    loaded: list[str] = []
    real = inventory_load._stored
    monkeypatch.setattr(inventory_load, "_stored", lambda key, read, **k: loaded.append(read[0][0]) or real(key, read, **k))
    decided: list[str] = []
    real_decided = fleet_decide.FleetDecider._decided
    monkeypatch.setattr(fleet_decide.FleetDecider, "_decided",
                        lambda self, env, g, ep: decided.append(ep.workload.name) or real_decided(self, env, g, ep))
    for path, old, new, hubs in (("all.yaml", "cpu: 100m", "cpu: 200m", ["east", "west"]),  # a file of both hubs
                                 ("g.yaml", "name: g\n", "name: g2\n", ["east"])):  # g runs on east only
        edit(root / "workloads" / path, old, new)
        cold = invoke(root, "", "validate")
        loaded.clear()
        decided.clear()
        assert invoke(root, cache, "validate") == cold
        assert decided == [], path  # every decision from the cache
        assert sorted(loaded) == [f"clusters/{h}/managedclusters.yaml" for h in hubs], path
