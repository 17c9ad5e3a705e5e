"""The synthetic fleet generator (bench/fleet.py) that every benchmark relies on.

It must be deterministic (a benchmark compares like with like across runs and
machines) and produce a repository i4qew accepts without a single error (a
benchmark of a failing validation measures the error path, not the product).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
import yaml_rs

from tests.support.tools import ROOT

FLEET = ROOT / "bench" / "fleet.py"
SMALL = ["--workloads", "30", "--policies", "10", "--models", "5", "--clusters", "200"]


def generate(dest: Path, *args: str, hash_seed: str = "0") -> Path:
    # A different PYTHONHASHSEED per run catches output that depends on set or dict-of-str order.
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, str(FLEET), str(dest), *args], check=True, env=env,
                   capture_output=True, text=True)
    return dest


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def i4qew(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "i4qew", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("fleet") / "repo", *SMALL, "--seed", "7")


def test_same_seed_gives_a_byte_identical_tree(small: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", *SMALL, "--seed", "7", hash_seed="12345")
    first, second = tree(small), tree(again)
    assert len(first) > 40
    assert first == second


def test_another_seed_gives_another_fleet(small: Path, tmp_path: Path) -> None:
    other = tree(generate(tmp_path / "other", *SMALL, "--seed", "8"))
    mine = tree(small)
    assert other["clusters/managedclusters.yaml"] != mine["clusters/managedclusters.yaml"]
    assert {k: v for k, v in other.items() if k.startswith("workloads/")} != \
           {k: v for k, v in mine.items() if k.startswith("workloads/")}


def test_small_fleet_has_the_requested_counts(small: Path) -> None:
    assert len(list((small / "workloads").rglob("*.yaml"))) == 30
    assert len(list((small / "policies").glob("*.yaml"))) == 10
    assert len(list((small / "models").glob("*.yaml"))) == 5


def test_small_fleet_validates_without_any_problem(small: Path) -> None:
    done = i4qew("validate", "-C", str(small))
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 errors, 0 warnings" in done.stdout, done.stdout


@pytest.mark.parametrize("env", ["dev", "production"])
def test_every_workload_lands_on_some_cluster(small: Path, env: str) -> None:
    done = i4qew("plan", "-C", str(small), "--env", env, "--format", "json")
    if "No such command" in done.stderr:
        pytest.skip("`i4qew plan` is not there yet")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    plan = json.loads(done.stdout)
    assert len(plan["workloads"]) == 30
    empty = [w["workload"] for w in plan["workloads"] if not w["clusters"]]
    assert empty == []
    assert plan["problems"] == []


def test_inventory_is_one_kubectl_list_of_managed_clusters(small: Path) -> None:
    text = (small / "clusters" / "managedclusters.yaml").read_text()
    listing = yaml.safe_load(text)
    assert listing["apiVersion"] == "v1"
    assert listing["kind"] == "List"
    assert listing["metadata"] == {"resourceVersion": ""}
    items = listing["items"]
    assert len(items) == 200
    assert {(i["apiVersion"], i["kind"]) for i in items} == {("cluster.open-cluster-management.io/v1", "ManagedCluster")}
    names = [i["metadata"]["name"] for i in items]
    assert len(set(names)) == 200
    for item in items:
        labels = item["metadata"]["labels"]
        assert labels["stage"] in ("dev", "production")
        assert any(k.startswith("arch.edge.i4q.eu/") for k in labels)
        assert item["spec"]["hubAcceptsClient"] is True
        status = item["status"]
        assert set(status) >= {"allocatable", "capacity", "clusterClaims", "conditions", "version"}
        # Every value kubectl prints as a string stays a string for a YAML 1.1 reader.
        assert all(isinstance(v, str) for v in labels.values())
        assert all(isinstance(v, str) for v in status["allocatable"].values())
        assert (labels.get("gpu.edge.i4q.eu/nvidia") == "true") == ("nvidia.com/gpu" in status["allocatable"])
    stages = Counter(i["metadata"]["labels"]["stage"] for i in items)
    assert stages["dev"] > 0 and stages["production"] > 0
    assert any(i["spec"].get("taints") for i in items)


def test_yaml_1_1_and_1_2_readers_agree_on_every_file(small: Path) -> None:
    for path in sorted(small.rglob("*.yaml")):
        text = path.read_text()
        assert list(yaml.safe_load_all(text)) == [yaml_rs.loads(text, parse_datetime=False)], path


def test_single_file_layout_and_json_inventory(tmp_path: Path) -> None:
    repo = generate(tmp_path / "one", *SMALL, "--seed", "7", "--single-file", "--inventory-json")
    assert sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()) == [
        "clusters/managedclusters.yaml", "i4qew.yaml", "inventory.json",
        "models/models.yaml", "policies/policies.yaml", "workloads/workloads.yaml",
    ]
    assert json.loads((repo / "inventory.json").read_text()) == \
        yaml.safe_load((repo / "clusters" / "managedclusters.yaml").read_text())
    done = i4qew("validate", "-C", str(repo))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_fleet_of_hubs_splits_the_same_clusters_and_validates_clean(small: Path, tmp_path: Path) -> None:
    hubs = generate(tmp_path / "hubs", *SMALL, "--seed", "7", "--hubs", "3")
    parts = sorted(p.relative_to(hubs).as_posix() for p in (hubs / "clusters").rglob("*.yaml"))
    assert parts == [f"clusters/hub-0{i}/managedclusters.yaml" for i in (1, 2, 3)]
    names = [[i["metadata"]["name"] for i in yaml_rs.loads((hubs / p).read_text())["items"]] for p in parts]
    assert sorted(len(n) for n in names) == [66, 67, 67]
    one = yaml_rs.loads((small / "clusters" / "managedclusters.yaml").read_text())["items"]
    assert [n for part in names for n in part] == [i["metadata"]["name"] for i in one]
    assert "  hubs:\n    - name: hub-01\n    - name: hub-02\n    - name: hub-03\n" in (hubs / "i4qew.yaml").read_text()
    done = i4qew("validate", "-C", str(hubs))
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 errors, 0 warnings" in done.stdout, done.stdout
