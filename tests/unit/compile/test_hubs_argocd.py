"""Argo CD delivery (`delivery: applicationset`) with spec.hubs: each hub's folder hub/<hub>/
holds that hub's own Argo CD objects (docs/hubs.md, "Argo CD on each hub"), and the
Applications its generator makes are for that hub's decided clusters only."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from i4qew.compile.render import render_tree
from i4qew.placement.fleet import load_inventories
from tests.support.argocd import ARGO_NS, docs_in, generated_application
from tests.support.crds import crd_errors
from tests.support.hubs import TWO_HUBS
from tests.support.repos import load

SETS = {"east": ["plants-east"], "west": ["global"]}  # the example's hubs' cluster sets


@pytest.fixture(scope="module")
def tree() -> dict[str, bytes]:
    repo = load(TWO_HUBS)
    _, hubs, problems = load_inventories(TWO_HUBS, repo)
    assert not problems
    return render_tree(repo, "production", inventory=None, source_commit=None, hubs=hubs)


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("hub", ["east", "west"])
def test_each_hub_folder_holds_that_hubs_argo_cd_objects(tree: dict[str, bytes], hub: str) -> None:
    docs = docs_in(tree, f"hub/{hub}/")
    assert not {"Channel", "Subscription", "Application"} & {d["kind"] for d in docs}
    (gitops,) = by_kind(docs, "GitOpsCluster")
    assert gitops["metadata"]["namespace"] == ARGO_NS
    argo_placements = {d["metadata"]["name"]: d for d in by_kind(docs, "Placement")
                       if d["metadata"]["namespace"] == ARGO_NS}
    env_placement = argo_placements.pop(gitops["spec"]["placementRef"]["name"])
    # the GitOpsCluster registers the hub's clusters of the environment, in the hub's cluster sets
    assert env_placement["spec"]["clusterSets"] == SETS[hub]
    bound = {(b["metadata"]["namespace"], b["spec"]["clusterSet"]) for b in by_kind(docs, "ManagedClusterSetBinding")}
    for p in by_kind(docs, "Placement"):  # bound on this hub, in the Placement's namespace
        assert {(p["metadata"]["namespace"], s) for s in p["spec"]["clusterSets"]} <= bound, p["metadata"]
    # each ApplicationSet reads the decisions of a Placement of its own hub folder
    appsets = by_kind(docs, "ApplicationSet")
    read = {a["spec"]["generators"][0]["clusterDecisionResource"]["labelSelector"]["matchLabels"][
        "cluster.open-cluster-management.io/placement"] for a in appsets}
    assert read == set(argo_placements) == {"anomaly-production", "dashboard-production"}
    assert [e for d in docs if d["kind"] != "Namespace" for e in crd_errors(d)] == []


def test_the_hubs_differ_only_by_their_cluster_sets(tree: dict[str, bytes]) -> None:
    east = {p.removeprefix("hub/east/"): d for p, d in tree.items() if p.startswith("hub/east/")}
    west = {p.removeprefix("hub/west/"): d for p, d in tree.items() if p.startswith("hub/west/")}
    assert set(east) == set(west) and "argocd/gitopscluster.yaml" in east
    assert not any(p.startswith("hub/argocd/") for p in tree)  # nothing outside the hubs' folders
    for path in east:
        assert east[path].replace(b"plants-east", b"global") == west[path], path


def test_each_hub_generates_applications_for_its_own_decided_clusters(tree: dict[str, bytes]) -> None:
    """What each hub's generator makes from its own PlacementDecisions (recorded in
    placement/<hub>/decisions.json): one Application per decided cluster of that hub,
    named after the cluster, so names never collide across the hubs (a cluster is in
    one hub's inventory only: rule hub-cluster-duplicate)."""
    names: dict[str, str] = {}
    for hub in ("east", "west"):
        snapshot = json.loads(tree[f"placement/{hub}/decisions.json"])
        decided = {p["placement"]: snapshot["decisions"][p["decision"]] for p in snapshot["placements"]}
        inventory = yaml.safe_load((TWO_HUBS / "clusters" / hub / "managedclusters.yaml").read_text())
        own = {c["metadata"]["name"] for c in inventory["items"]}
        for appset in by_kind(docs_in(tree, f"hub/{hub}/argocd/"), "ApplicationSet"):
            for cluster in decided[appset["metadata"]["name"]]:
                assert cluster in own
                app = generated_application(appset, cluster)
                assert crd_errors(app) == []
                assert app["spec"]["source"]["path"] == f"charts/{appset['metadata']['labels']['edge.i4q.eu/workload']}"
                assert app["metadata"]["name"] not in names, (hub, names)
                names[app["metadata"]["name"]] = hub
    assert set(names.values()) == {"east", "west"}
