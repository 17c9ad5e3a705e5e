"""Placement decisions against hand-computed expectations, one OCM rule at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tests.support.placements import cluster, decisions, policy, workload, write_repo

SET = "cluster.open-cluster-management.io/clusterset"
UNREACHABLE = "cluster.open-cluster-management.io/unreachable"
T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)


def one(tmp_path: Path, clusters: list[dict[str, Any]], **spec: Any) -> list[str]:
    """The clusters one workload lands on, its policy being `spec`."""
    write_repo(tmp_path, policies=[policy("p", **spec)], workloads=[workload("w", "p")], clusters=clusters)
    return decisions(tmp_path)["w"]


FLEET_SETS = [
    cluster("a", {SET: "factories", "site": "x"}),
    cluster("b", {SET: "labs", "site": "x"}),
    cluster("c", {"site": "x"}),  # no clusterset label: the `default` set
]


def test_cluster_sets_scope_the_placement(tmp_path: Path) -> None:
    assert one(tmp_path, FLEET_SETS, selector="site=x") == ["a", "b", "c"]  # repository default: global
    assert one(tmp_path, FLEET_SETS, selector="site=x", clusterSets=["factories"]) == ["a"]
    assert one(tmp_path, FLEET_SETS, selector="site=x", clusterSets=["default"]) == ["c"]
    assert one(tmp_path, FLEET_SETS, selector="site=x", clusterSets=["factories", "default"]) == ["a", "c"]
    assert one(tmp_path, FLEET_SETS, selector="site=x", clusterSets=["global"]) == ["a", "b", "c"]
    assert one(tmp_path, FLEET_SETS, selector="site=x", clusterSets=["nowhere"]) == []


def test_an_empty_clusterset_label_means_the_default_set(tmp_path: Path) -> None:
    # The hub's ManagedCluster webhook stores a missing or empty label as `default`,
    # and label selectors see the stored value.
    fleet = [*FLEET_SETS, cluster("d", {SET: "", "site": "x"})]
    assert one(tmp_path, fleet, selector="site=x", clusterSets=["default"]) == ["c", "d"]
    assert one(tmp_path, fleet, selector=f"site=x, {SET}=default") == ["c", "d"]
    assert one(tmp_path, fleet, selector=f"site=x, !{SET}") == []


def test_a_label_selector_cluster_set_from_the_inventory(tmp_path: Path) -> None:
    one(tmp_path, FLEET_SETS, selector="site=x", clusterSets=["labs"])
    text = (tmp_path / "clusters" / "managedclusters.yaml").read_text()
    (tmp_path / "clusters" / "sets.yaml").write_text(yaml.safe_dump({
        "apiVersion": "cluster.open-cluster-management.io/v1beta2", "kind": "ManagedClusterSet",
        "metadata": {"name": "labs"},
        "spec": {"clusterSelector": {"selectorType": "LabelSelector",
                                     "labelSelector": {"matchLabels": {"name": "c"}}}}}))
    assert text  # the clusters are unchanged; only the set's membership rule is new
    assert decisions(tmp_path)["w"] == ["c"]


FLEET = [
    cluster("edge-1", {"site": "bologna", "tier": "near"}, claims={"platform.open-cluster-management.io": "K3s"}),
    cluster("edge-2", {"site": "bologna", "tier": "far"}, claims={"platform.open-cluster-management.io": "K3s"}),
    cluster("edge-3", {"site": "porto", "tier": "near", "role": "gw"},
            claims={"platform.open-cluster-management.io": "OpenShift"}),
    cluster("edge-4", {"site": "haifa", "role": "gw"}),
]


def test_requirements_inside_a_predicate_are_anded(tmp_path: Path) -> None:
    assert one(tmp_path, FLEET, selector="site=bologna, tier=near") == ["edge-1"]
    assert one(tmp_path, FLEET, selector="tier!=far") == ["edge-1", "edge-3", "edge-4"]  # != also matches no key
    assert one(tmp_path, FLEET, selector="site=bologna, !role") == ["edge-1", "edge-2"]


def test_predicates_are_ored(tmp_path: Path) -> None:
    assert one(tmp_path, FLEET, anyOf=[{"selector": "site=bologna, tier=far"}, {"matchLabels": {"role": "gw"}}]) == [
        "edge-2", "edge-3", "edge-4"]


def test_claims_are_anded_with_labels(tmp_path: Path) -> None:
    assert one(tmp_path, FLEET, selector="tier=near", claims="platform.open-cluster-management.io=K3s") == ["edge-1"]
    assert one(tmp_path, FLEET, anyOf=[{"selector": "role=gw", "claims": "platform.open-cluster-management.io"},
                                       {"selector": "tier=far"}]) == ["edge-2", "edge-3"]


def tainted(effect: str, key: str = "example.com/maintenance", value: str = "", when: datetime | None = T0) -> list[dict[str, Any]]:
    return [
        cluster("a", {"site": "x"}),
        cluster("b", {"site": "x"}, taints=[{"key": key, "value": value, "effect": effect,
                                               **({"timeAdded": when.isoformat().replace("+00:00", "Z")} if when else {})}]),
    ]


def test_no_select_taint_excludes_unless_tolerated(tmp_path: Path) -> None:
    assert one(tmp_path, tainted("NoSelect"), selector="site=x") == ["a"]
    assert one(tmp_path, tainted("NoSelect"), selector="site=x",
               tolerations=[{"key": "example.com/maintenance", "operator": "Exists"}]) == ["a", "b"]
    # Equal (the default operator) compares the value; an effect given must be the taint's.
    assert one(tmp_path, tainted("NoSelect", value="planned"), selector="site=x",
               tolerations=[{"key": "example.com/maintenance", "value": "other"}]) == ["a"]
    assert one(tmp_path, tainted("NoSelect", value="planned"), selector="site=x",
               tolerations=[{"key": "example.com/maintenance", "value": "planned"}]) == ["a", "b"]
    assert one(tmp_path, tainted("NoSelect"), selector="site=x",
               tolerations=[{"key": "example.com/maintenance", "operator": "Exists", "effect": "NoSelectIfNew"}]) == ["a"]
    # An empty key with Exists tolerates every taint.
    assert one(tmp_path, tainted("NoSelect"), selector="site=x", tolerations=[{"operator": "Exists"}]) == ["a", "b"]


def test_offline_clusters_keep_their_workloads_by_default(tmp_path: Path) -> None:
    assert one(tmp_path, tainted("NoSelect", key=UNREACHABLE), selector="site=x") == ["a", "b"]
    assert one(tmp_path, tainted("NoSelect", key=UNREACHABLE), selector="site=x", tolerateOffline=False) == ["a"]


def test_prefer_no_select_neither_excludes_nor_ranks(tmp_path: Path) -> None:
    # OCM's TaintToleration filter tolerates PreferNoSelect, and the default prioritizers
    # (Steady, Balance) never look at taints: numberOfClusters still goes by name.
    assert one(tmp_path, tainted("PreferNoSelect"), selector="site=x") == ["a", "b"]
    fleet = [cluster("a", {"site": "x"}, taints=[{"key": "k", "effect": "PreferNoSelect", "timeAdded": "2026-01-10T08:00:00Z"}]),
             cluster("b", {"site": "x"})]
    assert one(tmp_path, fleet, selector="site=x", maxClusters=1) == ["a"]
    assert one(tmp_path, fleet, selector="site=x", maxClusters=1,
               tolerations=[{"key": "k", "operator": "Exists"}]) == ["a"]


def test_no_select_if_new_keeps_clusters_already_chosen(tmp_path: Path) -> None:
    one(tmp_path, tainted("NoSelectIfNew"), selector="site=x")
    assert decisions(tmp_path)["w"] == ["a"]
    assert decisions(tmp_path, base={"w": ["a", "b"]})["w"] == ["a", "b"]
    assert decisions(tmp_path, base={"w": ["a"]})["w"] == ["a"]


def test_toleration_seconds_count_from_the_taint_time(tmp_path: Path) -> None:
    one(tmp_path, tainted("NoSelect"), selector="site=x",
        tolerations=[{"key": "example.com/maintenance", "operator": "Exists", "tolerationSeconds": 3600}])
    assert decisions(tmp_path, now=T0 + timedelta(minutes=59))["w"] == ["a", "b"]
    assert decisions(tmp_path, now=T0 + timedelta(minutes=61))["w"] == ["a"]
    # Without --now, the time is the inventory's newest taint: the toleration still holds.
    assert decisions(tmp_path)["w"] == ["a", "b"]
    # A taint without timeAdded has no time left to tolerate (OCM counts from timeAdded).
    one(tmp_path, tainted("NoSelect", when=None), selector="site=x",
        tolerations=[{"key": "example.com/maintenance", "operator": "Exists", "tolerationSeconds": 3600}])
    assert decisions(tmp_path, now=T0)["w"] == ["a"]


FOUR = [cluster(n, {"site": "x"}) for n in ("d", "b", "a", "c")]


def test_number_of_clusters_is_stable(tmp_path: Path) -> None:
    assert one(tmp_path, FOUR, selector="site=x", maxClusters=2) == ["a", "b"]  # by name
    assert decisions(tmp_path)["w"] == ["a", "b"]  # the same on every run
    assert decisions(tmp_path, base={"w": ["c", "d"]})["w"] == ["c", "d"]  # the base decision is kept
    assert decisions(tmp_path, base={"w": ["d"]})["w"] == ["a", "d"]  # then filled up by name
    assert decisions(tmp_path, base={"w": ["d", "gone"]})["w"] == ["a", "d"]  # clusters that left count for nothing


def test_placement_rule_mode(tmp_path: Path) -> None:
    fleet = [cluster("a", {"site": "x", SET: "labs"}, available="True"),
             cluster("b", {"site": "x"}, available="Unknown"),
             cluster("c", {"site": "x"}, taints=[{"key": "k", "effect": "NoSelect", "timeAdded": "2026-01-10T08:00:00Z"}]),
             cluster("d", {"site": "x"})]
    write_repo(tmp_path, policies=[policy("p", selector="site=x"), policy("two", selector="site=x", maxClusters=2)],
               workloads=[workload("w", "p"), workload("v", "two")], clusters=fleet, placementApi="PlacementRule")
    # No cluster sets and no taints in a PlacementRule; the default clusterConditions
    # keep the clusters whose Available condition is True (none reported: kept).
    got = decisions(tmp_path)
    assert got["w"] == ["a", "c", "d"]
    assert got["v"] == ["a", "c"]  # clusterReplicas: by name


def test_environment_selector_and_architectures_narrow_the_placement(tmp_path: Path) -> None:
    fleet = [cluster("a", {"stage": "dev", "arch.edge.i4q.eu/amd64": "true"}),
             cluster("b", {"stage": "dev", "arch.edge.i4q.eu/arm64": "true"}),
             cluster("c", {"stage": "production", "arch.edge.i4q.eu/arm64": "true"}),
             cluster("d", {"stage": "dev"})]
    envs = [{"name": "dev", "branch": "acm-dev", "selector": "stage=dev"},
            {"name": "production", "branch": "production", "selector": "stage=production"}]
    write_repo(tmp_path, policies=[policy("all", selector="")], clusters=fleet, environments=envs,
               workloads=[workload("w", "all", architectures=["arm64"]), workload("any", "all")])
    assert decisions(tmp_path, "dev") == {"any": ["a", "b", "d"], "w": ["b"]}
    assert decisions(tmp_path, "production") == {"any": ["c"], "w": ["c"]}
