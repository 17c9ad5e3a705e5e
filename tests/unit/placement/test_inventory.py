"""The cluster inventory: every shape kubectl prints, and problems for malformed entries."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from i4qew.placement.inventory_load import load_inventory
from tests.support.placements import cluster, kubectl_list
from tests.support.tools import ROOT


def write(root: Path, name: str, text: str) -> Path:
    (root / "clusters").mkdir(parents=True, exist_ok=True)
    path = root / "clusters" / name
    path.write_text(text)
    return path


def test_the_example_repository_inventory() -> None:
    inv, problems = load_inventory(ROOT)
    assert problems == [] and inv is not None
    assert len(inv) == 12
    assert list(inv.names) == sorted(inv.names)  # ids order clusters by name
    kiln = inv.clusters[inv.ids["porto-kiln"]]
    assert kiln.labels["arch.edge.i4q.eu/arm64"] == "true"
    assert kiln.cluster_set == "factories"
    assert kiln.claims["product.open-cluster-management.io"] == "K3s"
    assert kiln.allocatable["memory"] == 8 * 2**30 and kiln.allocatable["cpu"] == 4
    (taint,) = kiln.taints
    assert (taint.key, taint.value, taint.effect) == ("cluster.open-cluster-management.io/unreachable", "", "NoSelect")
    assert taint.time_added is not None and taint.time_added.isoformat() == "2026-11-20T08:00:00+00:00"


def test_single_objects_multi_document_and_json(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", yaml.safe_dump(cluster("a", {"site": "x"})))
    write(tmp_path, "more.yml", yaml.safe_dump_all([cluster("b"), None, cluster("c")]))
    (tmp_path / "clusters" / "json").mkdir()
    (tmp_path / "clusters" / "json" / "d.json").write_text(json.dumps(kubectl_list([cluster("d"), cluster("e")]), indent=4))
    (tmp_path / "clusters" / "json" / "f.json").write_text(json.dumps(cluster("f", allocatable={"cpu": "1500m"})))
    (tmp_path / "clusters" / "notes.txt").write_text("not an inventory file")
    inv, problems = load_inventory(tmp_path)
    assert problems == [] and inv is not None
    assert list(inv.names) == ["a", "b", "c", "d", "e", "f"]
    # Stored as the hub's webhook stores it: no clusterset label means `default`.
    assert inv.clusters[0].labels == {"name": "a", "site": "x", "cluster.open-cluster-management.io/clusterset": "default"}
    assert inv.clusters[0].cluster_set == "default"
    assert inv.clusters[5].allocatable == {"cpu": Fraction(3, 2)}


def test_allocatable_wins_and_capacity_fills_in(tmp_path: Path) -> None:
    obj = cluster("a", allocatable={"cpu": "7500m"})
    obj["status"]["capacity"] = {"cpu": "8", "memory": "16Gi"}
    write(tmp_path, "a.yaml", yaml.safe_dump(obj))
    inv, _ = load_inventory(tmp_path)
    assert inv is not None
    assert inv.clusters[0].allocatable == {"cpu": Fraction(15, 2), "memory": 16 * 2**30}


def test_inventory_override_file_outside_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    elsewhere = tmp_path / "fleet.json"
    elsewhere.write_text(json.dumps(kubectl_list([cluster("z")])))
    inv, problems = load_inventory(repo, elsewhere)
    assert problems == [] and inv is not None and list(inv.names) == ["z"]
    inv, problems = load_inventory(repo, tmp_path / "missing.yaml")
    assert inv is not None and len(inv) == 0
    assert [(p.rule, p.path) for p in problems] == [("unreadable", (tmp_path / "missing.yaml").as_posix())]


def test_no_inventory_is_none(tmp_path: Path) -> None:
    assert load_inventory(tmp_path) == (None, [])
    (tmp_path / "clusters").mkdir()
    assert load_inventory(tmp_path) == (None, [])


def test_malformed_entries_are_problems_with_positions(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", """\
apiVersion: v1
kind: List
items:
- kind: ManagedCluster
  metadata:
    name: good
- kind: ManagedCluster
  metadata:
    name: boolean-label
    labels:
      gpu: true
- kind: ManagedCluster
  metadata:
    name: bad-taint
  spec:
    taints:
    - key: k
      effect: NoSchedule
- kind: ManagedCluster
  metadata:
    labels: {}
- kind: ConfigMap
  metadata:
    name: stray
- kind: ManagedCluster
  metadata:
    name: good
""")
    inv, problems = load_inventory(tmp_path)
    assert inv is not None
    assert list(inv.names) == ["bad-taint", "boolean-label", "good"]
    found = [(p.line, p.severity.value, p.rule) for p in problems]
    assert found == [
        (11, "error", "inventory-entry"),  # gpu: true is a bool, not a label value
        (18, "error", "inventory-entry"),  # NoSchedule is a node taint, not a cluster taint
        (21, "error", "inventory-entry"),  # no metadata.name
        (22, "warning", "inventory-entry"),  # a ConfigMap is ignored
        (27, "error", "inventory-entry"),  # `good` twice
    ]
    assert "quote" in problems[0].message and "'boolean-label'" in problems[0].message
    assert "NoSelect, PreferNoSelect, NoSelectIfNew" in problems[1].message


def test_syntax_errors(tmp_path: Path) -> None:
    write(tmp_path, "broken.json", '{"kind": "List",\n "items": [}\n')
    write(tmp_path, "broken.yaml", "items:\n  - a: 1\n b: 2\n")
    inv, problems = load_inventory(tmp_path)
    assert inv is not None and len(inv) == 0
    assert [(p.path, p.line, p.rule) for p in problems] == [
        ("clusters/broken.json", 2, "json-syntax"), ("clusters/broken.yaml", 3, "yaml-syntax")]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_symlinks_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(yaml.safe_dump(cluster("x")))
    (tmp_path / "repo" / "clusters").mkdir(parents=True)
    (tmp_path / "repo" / "clusters" / "link.yaml").symlink_to(outside)
    inv, problems = load_inventory(tmp_path / "repo")
    assert inv is None
    assert [(p.path, p.rule) for p in problems] == [("clusters/link.yaml", "unsafe-path")]


@pytest.mark.slow
def test_positions_in_a_large_inventory(tmp_path: Path) -> None:
    """Beyond the exact-position size, a problem points at the cluster's name line."""
    clusters = [cluster(f"c{i:04d}", {"site": "x" * 40}, claims={"id.k8s.io": f"c{i:04d}"}) for i in range(1200)]
    clusters[700]["metadata"]["labels"]["gpu"] = 1
    path = write(tmp_path, "big.yaml", yaml.safe_dump(kubectl_list(clusters)))
    assert path.stat().st_size > 256 * 1024
    _, problems = load_inventory(tmp_path)
    (problem,) = problems
    line = path.read_text().splitlines()[problem.line - 1]
    assert "c0700" in line and "name" in line
