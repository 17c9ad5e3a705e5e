"""The generated Placements, read back from their YAML, select the clusters the
effective placements name, over clusters/managedclusters.yaml.

The evaluation here follows OCM's scheduler on the emitted objects only: cluster
sets, predicates ORed (label and claim selectors ANDed, parsed back with
`from_structured`), NoSelect taints unless tolerated. The expected sets are
worked out by hand from the example declarations (see the comments).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from i4qew.compile.hub.subscription import compile_hub
from i4qew.compile.render import render_tree
from i4qew.k8s.selector_structured import from_structured
from i4qew.model.repo import Repo
from i4qew.placement.inventory_load import load_inventory
from i4qew.placement.snapshot import DECISIONS_PATH, read_decisions
from tests.support.argocd import ARGO_NS, generated_application, render_dev
from tests.support.crds import crd_errors
from tests.support.repos import inventory, load, variant_repo
from tests.support.tools import ROOT

CLUSTERSET = "cluster.open-cluster-management.io/clusterset"

# By hand, from workloads/, policies/, models/, i4qew.yaml and the inventory's labels:
EXPECTED = {
    "dev": {
        # env=lrt, !decommissioned, stage=dev, amd64 or arm64
        "i4q-lrt/sktime": {"bologna-lab", "haifa-lab"},
        # (role=cnc-gateway | site=ljubljana,tier=far-edge), stage=dev, arm64
        "i4q-pm/vibration-anomaly": {"ljubljana-lab"},
        # site in (bologna,porto), gpu, tier!=far-edge, models cache, stage=dev, amd64
        "i4q-vision/defect-detector": {"bologna-lab", "porto-lab"},
        # as above without the model cache (no model)
        "i4q-vision/inspection-ui": {"bologna-lab", "porto-lab"},
    },
    "production": {
        # haifa-old is decommissioned; porto/ljubljana clusters have no env=lrt
        "i4q-lrt/sktime": {"bologna-line1", "bologna-line2", "haifa-plant"},
        # both ljubljana CNC gateways match both alternatives
        "i4q-pm/vibration-anomaly": {"ljubljana-cnc1", "ljubljana-cnc2"},
        # porto-kiln is far-edge without a GPU
        "i4q-vision/defect-detector": {"bologna-line1", "bologna-line2", "porto-ceramics"},
        "i4q-vision/inspection-ui": {"bologna-line1", "bologna-line2", "porto-ceramics"},
    },
}


def in_sets(cluster: dict[str, Any], sets: list[str]) -> bool:
    label = cluster["metadata"].get("labels", {}).get(CLUSTERSET)
    return any(s == "global" or s == label or (s == "default" and label is None) for s in sets)


def tolerated(taint: dict[str, Any], tolerations: list[dict[str, Any]]) -> bool:
    for t in tolerations:
        if t.get("key") not in (None, taint["key"]) or t.get("effect") not in (None, taint["effect"]):
            continue
        if t.get("operator", "Equal") == "Exists" or t.get("value", "") == taint.get("value", ""):
            return True
    return False


def selected_by_placement(placement: dict[str, Any], clusters: list[dict[str, Any]]) -> set[str]:
    spec = placement["spec"]
    chosen = set()
    for c in clusters:
        labels = c["metadata"].get("labels", {})
        claims = {x["name"]: x["value"] for x in c.get("status", {}).get("clusterClaims", [])}
        if not in_sets(c, spec.get("clusterSets", [])):
            continue
        taints = [t for t in c["spec"].get("taints", []) if t["effect"] in ("NoSelect", "NoSelectIfNew")]
        if not all(tolerated(t, spec.get("tolerations", [])) for t in taints):
            continue
        for p in spec["predicates"]:
            sel = p["requiredClusterSelector"]
            label_sel = sel.get("labelSelector", {})
            claim_sel = sel.get("claimSelector", {})
            if (from_structured(label_sel.get("matchLabels"), label_sel.get("matchExpressions")).matches(labels)
                    and from_structured(None, claim_sel.get("matchExpressions")).matches(claims)):
                chosen.add(c["metadata"]["name"])
                break
    assert "numberOfClusters" not in spec  # none of the examples limits the count
    return chosen


def selected_by_rule(rule: dict[str, Any], clusters: list[dict[str, Any]]) -> set[str]:
    sel = rule["spec"]["clusterSelector"]
    match = from_structured(sel.get("matchLabels"), sel.get("matchExpressions"))
    return {c["metadata"]["name"] for c in clusters if match.matches(c["metadata"].get("labels", {}))}


def placements(repo: Repo, env: str, kind: str) -> dict[str, dict[str, Any]]:
    out = {}
    for data in compile_hub(repo, env).values():
        for doc in yaml.safe_load_all(data):
            # the workload's own, in its namespace (not a wave's; an applicationset environment
            # has copies in the Argo CD namespace)
            # (not a model's staging either)
            if (doc["kind"] == kind and "edge.i4q.eu/workload" in doc["metadata"]["labels"]
                    and "edge.i4q.eu/wave" not in doc["metadata"]["labels"]
                    and doc["metadata"]["namespace"] != repo.repository.argocd.namespace):
                out[f"{doc['metadata']['namespace']}/{doc['metadata']['labels']['edge.i4q.eu/workload']}"] = doc
    return out


@pytest.fixture(scope="module")
def repo() -> Repo:
    return load(ROOT)


@pytest.mark.parametrize("env", ["dev", "production"])
def test_placements_select_the_expected_clusters(repo: Repo, env: str) -> None:
    clusters = inventory()
    got = {key: selected_by_placement(p, clusters) for key, p in placements(repo, env, "Placement").items()}
    assert got == EXPECTED[env]


@pytest.mark.parametrize("env", ["dev", "production"])
def test_the_placement_snapshot_agrees(repo: Repo, env: str) -> None:
    inv, problems = load_inventory(ROOT)
    assert problems == []
    tree = render_tree(repo, env, inventory=inv, source_commit=None)
    decided = {k: set(v) for k, v in read_decisions(tree[DECISIONS_PATH]).items()}
    assert decided == EXPECTED[env]


def test_offline_taints_are_tolerated_unless_turned_off(tmp_path: Path) -> None:
    """porto-kiln (arm64, site=porto) carries the unreachable NoSelect taint: a CNC
    policy chosen by site keeps it, unless the policy sets tolerateOffline: false."""
    clusters = inventory()
    tolerant = load(variant_repo(tmp_path / "a", api="Placement"))
    strict = load(variant_repo(tmp_path / "b", api="Placement", tolerate_offline=False))
    key = "i4q-pm/vibration-anomaly"
    p = placements(tolerant, "production", "Placement")[key]
    assert selected_by_placement(p, clusters) == {"ljubljana-cnc1", "ljubljana-cnc2", "porto-kiln"}
    assert {t["key"] for t in p["spec"]["tolerations"]} == {
        "cluster.open-cluster-management.io/unreachable", "cluster.open-cluster-management.io/unavailable"}
    p = placements(strict, "production", "Placement")[key]
    assert "tolerations" not in p["spec"]
    assert selected_by_placement(p, clusters) == {"ljubljana-cnc1", "ljubljana-cnc2"}


@pytest.mark.parametrize("env", ["dev", "production"])
def test_placement_rules_select_the_expected_clusters(tmp_path: Path, env: str) -> None:
    """PlacementRule mode (variant_repo: sktime on amd64 only, CNC gateways by site,
    the two sites' OR folded into one `site in (ljubljana,porto)`)."""
    repo = load(variant_repo(tmp_path))
    rules = placements(repo, env, "PlacementRule")
    expected = dict(EXPECTED[env])
    # PlacementRule knows no taints: porto-kiln (arm64, site=porto) is chosen in production.
    expected["i4q-pm/vibration-anomaly"] = (
        {"ljubljana-lab"} if env == "dev" else {"ljubljana-cnc1", "ljubljana-cnc2", "porto-kiln"})
    assert {k: selected_by_rule(r, inventory()) for k, r in rules.items()} == expected
    site = [e for e in rules["i4q-pm/vibration-anomaly"]["spec"]["clusterSelector"]["matchExpressions"]
            if e["key"] == "site"]
    assert site == [{"key": "site", "operator": "In", "values": ["ljubljana", "porto"]}]


def test_every_gated_pod_of_dev_gets_its_staging_by_argo_cd_on_its_clusters() -> None:
    """dev is delivered by Argo CD: a gated pod waits for its model version, so an
    ApplicationSet must deliver a staging chart holding that version (in the namespace
    whose volume the pod mounts) to every cluster the workload's own ApplicationSet
    reaches; the Application it makes per cluster points at that chart and release."""
    tree = render_dev()
    docs = [d for p, data in sorted(tree.items()) if p.startswith("hub/") for d in yaml.safe_load_all(data)]
    argo = {d["metadata"]["name"]: d for d in docs if d["metadata"].get("namespace") == ARGO_NS
            and d["kind"] == "Placement"}
    appsets = [d for d in docs if d["kind"] == "ApplicationSet"]

    def reached(appset: dict[str, Any]) -> set[str]:
        (generator,) = appset["spec"]["generators"]
        name = generator["clusterDecisionResource"]["labelSelector"]["matchLabels"][
            "cluster.open-cluster-management.io/placement"]
        return selected_by_placement(argo[name], inventory())

    stagings = {}  # (namespace, model, version) -> the clusters its ApplicationSet reaches
    for a in appsets:
        source, dest = a["spec"]["template"]["spec"]["source"], a["spec"]["template"]["spec"]["destination"]
        if not source["path"].startswith("staging/"):
            continue
        values = yaml.safe_load(tree[f"{source['path']}/values.yaml"])
        assert source["helm"]["releaseName"] == values["name"]
        assert source["path"] == f"staging/{dest['namespace']}/{values['model']}"
        for cluster in sorted(reached(a))[:1]:
            app = generated_application(a, cluster)
            assert crd_errors(app) == [] and "CreateNamespace=true" in app["spec"]["syncPolicy"]["syncOptions"]
        for v in values["desired"]["versions"]:
            stagings[(dest["namespace"], v["model"], v["version"])] = reached(a)
    gated = 0
    for a in appsets:
        source = a["spec"]["template"]["spec"]["source"]
        values = yaml.safe_load(tree[f"{source['path']}/values.yaml"])
        model = values.get("model") or {}
        if not source["path"].startswith("charts/") or not model.get("gate"):
            continue
        gated += 1
        namespace = (a["spec"]["template"]["spec"]["destination"]["namespace"]
                     if "persistentVolumeClaim" in model["volume"] else "i4qew-models")
        key = (namespace, model["name"], model["version"])
        assert key in stagings, f"{source['path']}: no staging chart delivers {key}"
        assert reached(a) and reached(a) <= stagings[key], (source["path"], reached(a), stagings[key])
    assert gated == 3  # sktime, vibration-anomaly, defect-detector
